-- An ewc state database of schema version 1 (ewc 0.1.0, before
-- rebalancing), as `sqlite3 state.db .dump` shows it: one plan recorded,
-- one job running. check_rebalance migrates it to the current schema.
PRAGMA foreign_keys = OFF;
BEGIN TRANSACTION;
CREATE TABLE region_snapshots (
  id INTEGER PRIMARY KEY,
  taken_at TEXT NOT NULL,
  source TEXT NOT NULL,
  regions TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('place', 'rebalance')),
  snapshot INTEGER REFERENCES region_snapshots(id),
  mode TEXT NOT NULL,
  carbon_price REAL NOT NULL,
  cost_cny REAL NOT NULL, carbon_kg REAL NOT NULL, energy_kwh REAL NOT NULL,
  objective REAL NOT NULL, lower_bound REAL NOT NULL, gap REAL NOT NULL,
  placed INTEGER NOT NULL, unplaced INTEGER NOT NULL,
  base_cost_cny REAL NOT NULL, base_carbon_kg REAL NOT NULL,
  base_objective REAL NOT NULL,
  moves INTEGER NOT NULL DEFAULT 0);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('train', 'infer')),
  gpu_type TEXT NOT NULL,
  gpus INTEGER NOT NULL CHECK (gpus > 0),
  hours REAL NOT NULL CHECK (hours > 0),
  origin TEXT NOT NULL,
  slo_ms REAL, data_gb REAL NOT NULL, priority REAL NOT NULL,
  pin TEXT, avoid TEXT, checkpoint_gb REAL NOT NULL, deadline_h REAL,
  added_at TEXT NOT NULL,
  finished_at TEXT);
CREATE TABLE placements (
  job TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  region TEXT NOT NULL,
  gpu_type TEXT NOT NULL,
  gpus INTEGER NOT NULL,
  hours REAL NOT NULL,
  started_at TEXT NOT NULL,
  run INTEGER NOT NULL REFERENCES runs(id));
INSERT INTO region_snapshots VALUES (1, '2026-11-20T00:00:00Z', 'night0.xml', '[]');
INSERT INTO runs VALUES (1, '2026-11-20T00:00:00Z', 'place', 1, 'balanced', 100.0,
  2110.0, 96.0, 200.0, 2119.6, 2119.6, 0.0, 1, 0, 2110.0, 96.0, 2119.6, 0);
INSERT INTO jobs VALUES ('A', 'train', 'A100', 4, 100.0, 'city', NULL, 0.0, 1.0, NULL,
  NULL, 0.0, NULL, '2026-11-20T00:00:00Z', NULL);
INSERT INTO placements VALUES ('A', 'east1', 'A100', 4, 100.0, '2026-11-20T00:00:00Z', 1);
COMMIT;
PRAGMA application_id = 1163346737;
PRAGMA user_version = 1;
