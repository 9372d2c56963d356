/* db.c - ewc's state in SQLite: jobs, current placements, runs, snapshots */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db_int.h"

/* "EWC1": marks a database as ewc's, so a foreign one is never changed. */
#define EWC_DB_APP_ID 0x45574331
#define EWC_DB_SCHEMA 5
#define EWC__STR2(x) #x
#define EWC__STR(x) EWC__STR2(x)

struct ewc_db {
	sqlite3 *h;
	char *path;
	int held;   /* ewc_db_begin(): writes wait in one open transaction */
};

/* Schema version 1. Times are ISO 8601 UTC text. */
static const char *const schema_v1 =
	"CREATE TABLE region_snapshots ("
	"  id INTEGER PRIMARY KEY,"
	"  taken_at TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  regions TEXT NOT NULL);" /* JSON: the descriptors as loaded */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('place', 'rebalance')),"
	"  snapshot INTEGER REFERENCES region_snapshots(id),"
	"  mode TEXT NOT NULL,"
	"  carbon_price REAL NOT NULL,"
	"  cost_cny REAL NOT NULL, carbon_kg REAL NOT NULL, energy_kwh REAL NOT NULL,"
	"  objective REAL NOT NULL, lower_bound REAL NOT NULL, gap REAL NOT NULL,"
	"  placed INTEGER NOT NULL, unplaced INTEGER NOT NULL,"
	"  base_cost_cny REAL NOT NULL, base_carbon_kg REAL NOT NULL,"
	"  base_objective REAL NOT NULL,"
	"  moves INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE jobs ("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('train', 'infer')),"
	"  gpu_type TEXT NOT NULL,"
	"  gpus INTEGER NOT NULL CHECK (gpus > 0),"
	"  hours REAL NOT NULL CHECK (hours > 0),"
	"  origin TEXT NOT NULL,"
	"  slo_ms REAL, data_gb REAL NOT NULL, priority REAL NOT NULL,"
	"  pin TEXT, avoid TEXT, checkpoint_gb REAL NOT NULL, deadline_h REAL,"
	"  added_at TEXT NOT NULL,"
	"  finished_at TEXT);"
	"CREATE TABLE placements ("
	"  job TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,"
	"  region TEXT NOT NULL,"
	"  gpu_type TEXT NOT NULL,"
	"  gpus INTEGER NOT NULL,"
	"  hours REAL NOT NULL,"          /* on the placed type */
	"  started_at TEXT NOT NULL,"
	"  run INTEGER NOT NULL REFERENCES runs(id));";

/* Version 2: what a rebalancing records. Runs of version 1 keep 0 in the
 * new columns (their split by zone was not recorded). */
static const char *const schema_v2 =
	"ALTER TABLE runs ADD COLUMN before_cost_cny REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN before_carbon_kg REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN migration_cny REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN gpu_hours_east REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN gpu_hours_west REAL NOT NULL DEFAULT 0;"
	"CREATE TABLE moves ("
	"  run INTEGER NOT NULL REFERENCES runs(id),"
	"  job TEXT NOT NULL,"
	"  from_region TEXT NOT NULL, from_type TEXT NOT NULL,"
	"  to_region TEXT NOT NULL, to_type TEXT NOT NULL,"
	"  gpus INTEGER NOT NULL,"
	"  hours REAL NOT NULL,"  /* remaining, on the new type */
	"  migration_cny REAL NOT NULL, saving_cny REAL NOT NULL,"
	"  carbon_avoided_kg REAL NOT NULL,"
	"  PRIMARY KEY (run, job));";

/* Version 3: what `ewc regions sync` fetched. A snapshot's settings are a
 * JSON array of ewc_ctx_set() strings; checked_at moves forward when the
 * server says the copy is still current (HTTP 304). Every attempt, good or
 * bad, leaves one row in feed_log. */
static const char *const schema_v3 =
	"CREATE TABLE feed_snapshots ("
	"  id INTEGER PRIMARY KEY,"
	"  feed TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  format TEXT NOT NULL,"
	"  taken_at TEXT NOT NULL,"
	"  checked_at TEXT NOT NULL,"
	"  etag TEXT, last_modified TEXT,"
	"  rows_used INTEGER NOT NULL, rows_skipped INTEGER NOT NULL,"
	"  settings TEXT NOT NULL);"
	"CREATE INDEX feed_snapshots_feed ON feed_snapshots (feed, id);"
	"CREATE TABLE feed_log ("
	"  id INTEGER PRIMARY KEY,"
	"  feed TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('updated', 'not-modified', 'failed')),"
	"  http_status INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  message TEXT NOT NULL);";

/* Schema version 4: each run's rates, CNY and kg CO2 per day of its placed
 * set (migration not included), so that runs compare like with like. */
static const char *const schema_v4 =
	"ALTER TABLE runs ADD COLUMN cost_rate_cny_day REAL;"
	"ALTER TABLE runs ADD COLUMN carbon_rate_kg_day REAL;";

/* Schema version 5: plans over a horizon. A job's earliest hour, and the
 * time its earliest_h and deadline_h count from (NULL: added_at); a
 * placement's started_at may lie ahead (a planned start). */
static const char *const schema_v5 =
	"ALTER TABLE jobs ADD COLUMN earliest_h REAL NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN window_from TEXT;";

static int db_err(ewc_db *db, int code, const char *what)
{
	return ewc__seterr(code, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

static int exec(ewc_db *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, what);
	return 0;
}

/* Start a write transaction, taking the write lock at once; inside
 * ewc_db_begin()'s, a savepoint of it. */
static int begin(ewc_db *db, const char *what)
{
	return exec(db, db->held ? "SAVEPOINT ewc_step" : "BEGIN IMMEDIATE", what) ? EWC_EIO : 0;
}

/* End the transaction begin() started: commit when rc is 0, else roll
 * back, so that a failure leaves the database as it was. The outcome.
 * Inside ewc_db_begin()'s transaction a success only releases the
 * savepoint: the commit is ewc_db_end()'s. */
static int end(ewc_db *db, int rc, const char *what)
{
	if (db->held) {
		if (rc == 0 && exec(db, "RELEASE ewc_step", what))
			rc = EWC_EIO;
		if (rc) {
			sqlite3_exec(db->h, "ROLLBACK TO ewc_step", NULL, NULL, NULL);
			sqlite3_exec(db->h, "RELEASE ewc_step", NULL, NULL, NULL);
		}
		return rc;
	}
	if (rc == 0 && exec(db, "COMMIT", what))
		rc = EWC_EIO;
	if (rc)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int ewc_db_begin(ewc_db *db)
{
	if (!db)
		return ewc__seterr(EWC_EINVAL, "ewc_db_begin: NULL database");
	if (db->held)
		return ewc__seterr(EWC_EINVAL, "ewc_db_begin: a transaction is already open");
	if (exec(db, "BEGIN IMMEDIATE", "cannot start a transaction"))
		return EWC_EIO;
	db->held = 1;
	return 0;
}

int ewc_db_end(ewc_db *db, int commit)
{
	int rc = 0;

	if (!db || !db->held)
		return ewc__seterr(EWC_EINVAL, "ewc_db_end: no transaction is open");
	db->held = 0;
	if (commit && exec(db, "COMMIT", "cannot commit"))
		rc = EWC_EIO;
	if (!commit || rc)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* One integer from a query with no parameters, e.g. a PRAGMA. */
static int query_int(ewc_db *db, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* A damaged file is refused before anything is written to it: SQLite's
 * structural check of every page (fast: no index is compared with its
 * table). */
static int quick_check(ewc_db *db)
{
	sqlite3_stmt *st = NULL;
	char first[256] = "";
	int rc = sqlite3_prepare_v2(db->h, "PRAGMA quick_check(1)", -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(first, sizeof first, "%s", (const char *)sqlite3_column_text(st, 0));
		for (char *c = first; *c; c++)
			if (*c == '\n')
				*c = ' ';
		rc = strcmp(first, "ok") == 0 ? SQLITE_OK : SQLITE_CORRUPT;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		return 0;
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return ewc__seterr(EWC_EINPUT, "%s: the database is damaged (%s); left untouched: "
		                   "restore it from a backup", db->path,
		                   first[0] ? first : sqlite3_errstr(rc));
	return db_err(db, EWC_EIO, "cannot check the database");
}

/* WAL mode, once for the file. The switch needs the file to itself, and
 * SQLite does not wait for that through the busy handler: another process
 * opening the same new database at once is waited for here, up to 30 s. */
static int wal(ewc_db *db)
{
	for (int i = 0;; i++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		const char *mode = NULL;
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(st, 0);
		int is_wal = mode && strcmp(mode, "wal") == 0;
		sqlite3_finalize(st);
		if (is_wal)
			return 0;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_ROW) || i >= 3000)
			return db_err(db, EWC_EIO, "cannot switch to WAL");
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Check that the file is ewc's (or new and empty) before anything is
 * written, then bring its schema to the current version. */
static int prepare(ewc_db *db)
{
	long long app = 0, version = 0, objects = 0;
	/* one read transaction: a migration another process commits cannot
	 * land between the three reads */
	int rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA application_id", &app);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int(db, "SELECT count(*) FROM sqlite_master", &objects);
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return ewc__seterr(EWC_EINPUT, "%s: not an ewc database (not SQLite, or damaged); "
		                   "left untouched", db->path);
	if (rc != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot read the database");
	if (app != EWC_DB_APP_ID && (app != 0 || objects != 0))
		return ewc__seterr(EWC_EINPUT, "%s: an SQLite database, but not ewc's; left untouched",
		                   db->path);
	if (version > EWC_DB_SCHEMA)
		return ewc__seterr(EWC_EINPUT, "%s: schema version %lld is newer than this ewc "
		                   "knows (%d); left untouched", db->path, version, EWC_DB_SCHEMA);
	rc = quick_check(db);
	if (rc)
		return rc;
	if (wal(db) || exec(db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys"))
		return EWC_EIO;
	if (version == EWC_DB_SCHEMA)
		return 0;
	/* migrate forward, all or nothing (version 0: a new database) */
	if (begin(db, "cannot start the migration"))
		return EWC_EIO;
	/* another process may have migrated it while this one waited for the
	 * write lock: read the version again, under the lock */
	if (query_int(db, "PRAGMA user_version", &version) != SQLITE_OK)
		return end(db, db_err(db, EWC_EIO, "cannot read the database"), "");
	if (version == EWC_DB_SCHEMA)
		return end(db, 0, "cannot end the migration");
	rc = (version < 1 && exec(db, schema_v1, "cannot create the schema")) ||
	     (version < 2 && exec(db, schema_v2, "cannot migrate the schema to version 2")) ||
	     (version < 3 && exec(db, schema_v3, "cannot migrate the schema to version 3")) ||
	     (version < 4 && exec(db, schema_v4, "cannot migrate the schema to version 4")) ||
	     (version < 5 && exec(db, schema_v5, "cannot migrate the schema to version 5")) ||
	     exec(db, "PRAGMA application_id = " EWC__STR(EWC_DB_APP_ID),
	          "cannot mark the database") ||
	     exec(db, "PRAGMA user_version = " EWC__STR(EWC_DB_SCHEMA),
	          "cannot set the schema version")
	         ? EWC_EIO : 0;
	return end(db, rc, "cannot commit the migration");
}

int ewc_db_open(ewc_db **out, const char *path)
{
	ewc_db *db;
	int rc;

	if (!out || !path || !*path)
		return ewc__seterr(EWC_EINVAL, "ewc_db_open: bad arguments");
	*out = NULL;
	db = calloc(1, sizeof *db);
	if (!db || !(db->path = ewc__strdup(path))) {
		free(db);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	{
		struct stat st;
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			rc = ewc__seterr(EWC_EIO, "%s: not a regular file: a database is one", path);
			ewc_db_free(db);
			return rc;
		}
	}
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                                      SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = db->h ? db_err(db, EWC_EIO, "cannot open")
		           : ewc__seterr(EWC_ENOMEM, "out of memory");
		ewc_db_free(db);
		return rc;
	}
	/* concurrent writers wait for each other (up to 30 s) instead of
	 * failing with "database is locked", from the first statement on */
	sqlite3_busy_timeout(db->h, 30000);
	rc = prepare(db);
	if (rc) {
		ewc_db_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void ewc_db_free(ewc_db *db)
{
	if (!db)
		return;
	if (db->held) /* never committed: dropped */
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

/* The regions a plan was made on, as JSON text (caller frees), or NULL
 * when out of memory: never a snapshot with entries missing. */
static char *regions_json(const ewc__world *w, const long *held)
{
	json_t *arr = json_array();
	char *text = NULL;

	if (!arr)
		return NULL;
	for (size_t r = 0; r < w->nregions; r++) {
		const ewc__region *R = &w->regions[r];
		json_t *gpus = json_array(), *links = json_array(), *o;
		int bad = !gpus || !links;

		for (size_t k = 0; k < R->ngpus && !bad; k++)
			bad = json_array_append_new(
				      gpus, json_pack("{s:s, s:I, s:f}", "type", w->gpus[R->gpus[k].type].type,
				                      "free",
				                      /* the figures as given: the ledger's GPUs
				                       * (taken) back on, a rebalancing's (held)
				                       * back off */
				                      (json_int_t)(R->gpus[k].free + R->gpus[k].taken -
				                                   (held ? held[r * w->ngpus +
				                                                (size_t)R->gpus[k].type] : 0)),
				                      "price", R->gpus[k].price)) != 0;
		for (size_t k = 0; k < R->nlinks && !bad; k++)
			bad = json_array_append_new(links, json_pack("{s:s, s:f, s:f}", "site",
			                                              w->sites[R->links[k].site],
			                                              "latency_ms", R->links[k].latency_ms,
			                                              "price_per_gb",
			                                              R->links[k].price_per_gb)) != 0;
		if (bad) {
			json_decref(gpus);
			json_decref(links);
			json_decref(arr);
			return NULL;
		}
		/* "o" hands gpus and links over to the region's object */
		o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:o, s:o}", "id", R->id, "zone",
		              ewc_zone_name(R->zone), "power_price", R->power_price, "green_share",
		              R->green_share, "grid_factor", R->grid_factor, "pue", R->pue, "gpus",
		              gpus, "links", links);
		if (json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return text;
}

static int bind_opt_double(sqlite3_stmt *st, int i, double v, int present)
{
	return present ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static ewc_kind col_kind(sqlite3_stmt *st, int i)
{
	return strcmp(col_text(st, i), ewc_kind_name(EWC_KIND_INFER)) == 0 ? EWC_KIND_INFER
	                                                                   : EWC_KIND_TRAIN;
}

/* Step a statement that returns no row; reset it for the next use. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A snapshot of the regions as loaded: `held` (per pool, or NULL) is
 * taken back off the free counts a rebalancing added it to. */
static int insert_snapshot(ewc_db *db, const ewc__world *w, const long *held, const char *when,
                           const char *source, long long *id)
{
	sqlite3_stmt *st = NULL;
	char *regions = regions_json(w, held);
	int rc = 0;

	if (!regions)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(db->h, "INSERT INTO region_snapshots (taken_at, source, regions) "
	                       "VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(db, EWC_EIO, "cannot prepare");
	} else {
		sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, regions, -1, SQLITE_STATIC);
		if (step_done(st))
			rc = db_err(db, EWC_EIO, "cannot record the regions");
		else
			*id = sqlite3_last_insert_rowid(db->h);
	}
	sqlite3_finalize(st);
	free(regions);
	return rc;
}

static int insert_run(ewc_db *db, const ewc__db_run *r, long long snapshot, long long *id)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db->h, "INSERT INTO runs (at, kind, snapshot, mode, carbon_price, "
	                       "cost_cny, carbon_kg, energy_kwh, objective, lower_bound, gap, "
	                       "placed, unplaced, base_cost_cny, base_carbon_kg, base_objective, "
	                       "moves, before_cost_cny, before_carbon_kg, migration_cny, "
	                       "gpu_hours_east, gpu_hours_west, cost_rate_cny_day, "
	                       "carbon_rate_kg_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	                       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st,
	                       NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_err(db, EWC_EIO, "cannot prepare");
	}
	double v[] = { r->carbon_price, r->t->cost_cny, r->t->carbon_kg, r->t->energy_kwh,
	               r->objective, r->lower_bound, r->gap };
	sqlite3_bind_text(st, 1, r->when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, snapshot);
	sqlite3_bind_text(st, 4, r->mode, -1, SQLITE_STATIC);
	for (int i = 0; i < 7; i++)
		sqlite3_bind_double(st, 5 + i, v[i]);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)r->t->placed);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)r->t->unplaced);
	sqlite3_bind_double(st, 14, r->base->cost_cny);
	sqlite3_bind_double(st, 15, r->base->carbon_kg);
	sqlite3_bind_double(st, 16, r->base->objective);
	sqlite3_bind_int64(st, 17, r->moves);
	sqlite3_bind_double(st, 18, r->before_cost);
	sqlite3_bind_double(st, 19, r->before_carbon);
	sqlite3_bind_double(st, 20, r->migration);
	sqlite3_bind_double(st, 21, r->t->gpu_hours_east);
	sqlite3_bind_double(st, 22, r->t->gpu_hours_west);
	bind_opt_double(st, 23, r->cost_rate, isfinite(r->cost_rate));
	bind_opt_double(st, 24, r->carbon_rate, isfinite(r->carbon_rate));
	if (step_done(st))
		rc = db_err(db, EWC_EIO, "cannot record the run");
	else
		*id = sqlite3_last_insert_rowid(db->h);
	sqlite3_finalize(st);
	return rc;
}

typedef struct commit_stmts {
	sqlite3_stmt *running, *job, *place;
} commit_stmts;

static void finalize_all(commit_stmts *s)
{
	sqlite3_finalize(s->running);
	sqlite3_finalize(s->job);
	sqlite3_finalize(s->place);
}

/* The body of ewc__db_record_place(), inside its transaction. */
/* The capacity ledger: held[r * ngpus + t] receives the GPUs that running
 * jobs hold on region r, type t (regions and types of w) since after the
 * region's figures were taken (its as_of): its free count does not know of
 * them. 0, or EWC_EIO/EWC_ENOMEM. */
static int held_since(ewc_db *db, const ewc__world *w, long *held)
{
	sqlite3_stmt *st = NULL;
	int step;

	for (size_t q = 0; q < w->nregions * w->ngpus; q++)
		held[q] = 0;
	if (sqlite3_prepare_v2(db->h, "SELECT p.region, p.gpu_type, p.gpus, p.started_at "
	                       "FROM placements p JOIN jobs j ON j.id = p.job "
	                       "WHERE j.finished_at IS NULL", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot prepare");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int r = ewc__region_find(w, col_text(st, 0));
		int t = ewc__gpu_find(w, col_text(st, 1));
		double started;
		if (r < 0 || t < 0 || ewc_time_parse(col_text(st, 3), &started) != 0)
			continue; /* a pool this inventory does not have */
		if (started > w->regions[r].as_of)
			held[(size_t)r * w->ngpus + (size_t)t] += (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_err(db, EWC_EIO, "cannot read the placements");
	return 0;
}

/* What running jobs give back when they end, for plans over a horizon:
 * each unfinished placement's GPUs at its start plus its hours, into its
 * region's when (made when missing). A job past its hours and not marked
 * finished holds its GPUs with no end known: it gives nothing back. 0, or
 * EWC_EIO/EWC_ENOMEM. */
static int releases(ewc_db *db, ewc__world *w)
{
	sqlite3_stmt *st = NULL;
	int step, rc = 0;

	for (size_t r = 0; r < w->nregions; r++)
		if (w->regions[r].when)
			w->regions[r].when->nrel = 0;
	if (sqlite3_prepare_v2(db->h, "SELECT p.region, p.gpu_type, p.gpus, p.started_at, p.hours "
	                       "FROM placements p JOIN jobs j ON j.id = p.job "
	                       "WHERE j.finished_at IS NULL", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot prepare");
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int r = ewc__region_find(w, col_text(st, 0));
		int t = ewc__gpu_find(w, col_text(st, 1));
		double started, end;
		if (r < 0 || t < 0 || ewc_time_parse(col_text(st, 3), &started) != 0)
			continue;
		end = started + 3600.0 * sqlite3_column_double(st, 4);
		if (!(end > w->regions[r].as_of))
			continue;
		long g = (long)sqlite3_column_int64(st, 2);
		rc = ewc__when_event(&w->regions[r], t, end, g);
		/* a planned start after the figures: the GPUs are taken off them
		 * (held_since) but are free in the slots before it. An event at
		 * -inf gives them back, one just past the start of the slot before
		 * the start takes them again (slots are hours from their start) */
		if (rc == 0 && started > w->regions[r].as_of)
			rc = ewc__when_event(&w->regions[r], t, -HUGE_VAL, g) ||
			     ewc__when_event(&w->regions[r], t, started - 3600.0 + 1e-3, -g)
			     ? EWC_ENOMEM : 0;
	}
	sqlite3_finalize(st);
	if (rc)
		return ewc__seterr(rc, "out of memory");
	if (step != SQLITE_DONE)
		return db_err(db, EWC_EIO, "cannot read the placements");
	return 0;
}

int ewc_db_ledger(ewc_db *db, ewc_ctx *ctx, long *taken)
{
	long *held;
	long total = 0;
	int rc;

	if (taken)
		*taken = 0;
	if (!db || !ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_db_ledger: NULL argument");
	ewc__lock(ctx);
	ewc__world *w = &ctx->w;
	size_t npools = w->nregions * w->ngpus;
	held = calloc(npools ? npools : 1, sizeof *held);
	if (!held) {
		ewc__unlock(ctx);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	rc = held_since(db, w, held);
	if (rc == 0)
		rc = releases(db, w);
	if (rc == 0) {
		long long last = 0;
		if (query_int(db, "SELECT coalesce(max(id), 0) FROM runs", &last) != SQLITE_OK)
			rc = db_err(db, EWC_EIO, "cannot read the runs");
		w->ledger_run = last;
	}
	for (size_t r = 0; rc == 0 && r < w->nregions; r++)
		for (size_t k = 0; k < w->regions[r].ngpus; k++) {
			ewc__rgpu *G = &w->regions[r].gpus[k];
			long base = G->free + G->taken, h = held[r * w->ngpus + (size_t)G->type];
			/* idempotent: from the figures as given, each time */
			G->taken = h < base ? h : base;
			G->free = base - G->taken;
			total += G->taken;
			/* more held than the figures had (jobs planned in turn over
			 * a horizon): over time the excess counts too */
			if (h > base && ewc__when_event(&w->regions[r], G->type, -HUGE_VAL, base - h))
				rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		}
	ewc__unlock(ctx);
	free(held);
	if (rc == 0 && taken)
		*taken = total;
	return rc;
}

/* A plan commits only if the pools it uses still have room for it next to
 * what runs committed after the figures hold: one after the other or at
 * once (the write lock is held), two plans cannot overbook a pool. */
static int ledger_check(ewc_db *db, const ewc__world *w, const ewc__db_job *jobs, size_t n)
{
	size_t npools = w->nregions * w->ngpus;
	long *held = calloc(npools ? npools : 1, sizeof *held);
	long *use = calloc(npools ? npools : 1, sizeof *use);
	int rc = 0;

	if (!held || !use) {
		free(held);
		free(use);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	for (size_t j = 0; j < n; j++) {
		int r, t;
		if (!jobs[j].region)
			continue;
		r = ewc__region_find(w, jobs[j].region);
		t = ewc__gpu_find(w, jobs[j].gpu_type);
		if (r >= 0 && t >= 0)
			use[(size_t)r * w->ngpus + (size_t)t] += jobs[j].gpus;
	}
	rc = held_since(db, w, held);
	for (size_t r = 0; rc == 0 && r < w->nregions; r++)
		for (size_t k = 0; rc == 0 && k < w->regions[r].ngpus; k++) {
			const ewc__rgpu *G = &w->regions[r].gpus[k];
			size_t q = r * w->ngpus + (size_t)G->type;
			long base = G->free + G->taken;
			char at[32];
			if (!use[q] || use[q] + held[q] <= base)
				continue;
			ewc_time_format(w->regions[r].as_of, at, sizeof at);
			rc = ewc__seterr(EWC_ECAPACITY,
			                 "%s: capacity: %s %s had %ld free as of %s; runs committed since "
			                 "hold %ld of them and this plan needs %ld: nothing written "
			                 "(plan again: ewc place --db takes what runs hold into account)",
			                 db->path, w->regions[r].id, w->gpus[G->type].type, base, at,
			                 held[q], use[q]);
		}
	free(held);
	free(use);
	return rc;
}

/* The same over time: in every slot of the plan's horizon, what the plan
 * holds in a pool and what runs committed after its ledger was read hold
 * there (their planned intervals) must fit in the free GPUs the plan was
 * made against. A slot is [t0 + 3600 s, t0 + 3600 (s + 1)). */
static int ledger_check_time(ewc_db *db, const ewc__db_run *r, const ewc__db_job *jobs,
                             size_t n)
{
	const ewc__world *w = r->w;
	size_t H = r->nslots, npools = w->nregions * w->ngpus;
	long *mine = calloc(npools * H > 0 ? npools * H : 1, sizeof *mine);
	long *theirs = calloc(npools * H > 0 ? npools * H : 1, sizeof *theirs);
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (!mine || !theirs) {
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < n; j++) {
		int q0 = jobs[j].region ? ewc__region_find(w, jobs[j].region) : -1;
		int t = jobs[j].region ? ewc__gpu_find(w, jobs[j].gpu_type) : -1;
		if (q0 < 0 || t < 0)
			continue;
		double a = (jobs[j].start - r->t0) / 3600.0;
		for (size_t s = a > 0 ? (size_t)floor(a + 1e-9) : 0;
		     s < H && (double)s < a + jobs[j].hours - 1e-9; s++)
			mine[((size_t)q0 * w->ngpus + (size_t)t) * H + s] += jobs[j].gpus;
	}
	if (sqlite3_prepare_v2(db->h, "SELECT p.region, p.gpu_type, p.gpus, p.started_at, p.hours "
	                       "FROM placements p JOIN jobs j ON j.id = p.job "
	                       "WHERE j.finished_at IS NULL AND p.run > ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = db_err(db, EWC_EIO, "cannot prepare");
		goto out;
	}
	sqlite3_bind_int64(st, 1, w->ledger_run);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int q0 = ewc__region_find(w, col_text(st, 0)), t = ewc__gpu_find(w, col_text(st, 1));
		double started, end;
		if (q0 < 0 || t < 0 || ewc_time_parse(col_text(st, 3), &started) != 0)
			continue;
		end = started + 3600.0 * sqlite3_column_double(st, 4);
		for (size_t s = 0; s < H; s++) {
			double T = r->t0 + 3600.0 * (double)s;
			if (T < end && T + 3600.0 > started)
				theirs[((size_t)q0 * w->ngpus + (size_t)t) * H + s] +=
					(long)sqlite3_column_int64(st, 2);
		}
	}
	if (step != SQLITE_DONE) {
		rc = db_err(db, EWC_EIO, "cannot read the placements");
		goto out;
	}
	for (size_t q = 0; rc == 0 && q < npools; q++)
		for (size_t s = 0; s < H; s++) {
			size_t c = q * H + s;
			char at[32];
			if (!mine[c] || mine[c] + theirs[c] <= r->slot_cap[c])
				continue;
			ewc_time_format(r->t0 + 3600.0 * (double)s, at, sizeof at);
			rc = ewc__seterr(EWC_ECAPACITY,
			                 "%s: capacity: %s %s had %ld free in the hour from %s; runs "
			                 "committed since the plan was made hold %ld of them and this "
			                 "plan needs %ld: nothing written (plan again: ewc place --db "
			                 "takes what runs hold into account)", db->path,
			                 w->regions[q / w->ngpus].id, w->gpus[q % w->ngpus].type,
			                 r->slot_cap[c], at, theirs[c], mine[c]);
			break;
		}
out:
	sqlite3_finalize(st);
	free(mine);
	free(theirs);
	return rc;
}

static int place_body(ewc_db *db, const ewc__db_run *r, const ewc__db_job *jobs, size_t n,
                      long long *run_out)
{
	commit_stmts s = { NULL, NULL, NULL };
	long long snapshot, run;
	const char *when = r->when;
	int rc = r->nslots ? ledger_check_time(db, r, jobs, n) : ledger_check(db, r->w, jobs, n);

	if (rc == 0)
		rc = insert_snapshot(db, r->w, r->held, when, r->source, &snapshot);
	if (rc == 0)
		rc = insert_run(db, r, snapshot, &run);
	if (rc)
		return rc;
	rc = EWC_EIO;
	if (sqlite3_prepare_v2(db->h, "SELECT p.started_at FROM placements p JOIN jobs j "
	                       "ON j.id = p.job WHERE j.id = ? AND j.finished_at IS NULL",
	                       -1, &s.running, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO jobs (id, kind, gpu_type, gpus, "
	                       "hours, origin, slo_ms, data_gb, priority, pin, avoid, "
	                       "checkpoint_gb, deadline_h, added_at, finished_at, earliest_h, "
	                       "window_from) "
	                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
	                       -1, &s.job, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO placements (job, region, gpu_type, gpus, hours, "
	                       "started_at, run) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s.place,
	                       NULL)) {
		rc = db_err(db, EWC_EIO, "cannot prepare");
		goto out;
	}
	for (size_t j = 0; j < n; j++) {
		const ewc__job *J = jobs[j].job;

		sqlite3_bind_text(s.running, 1, J->id, -1, SQLITE_STATIC);
		if (sqlite3_step(s.running) == SQLITE_ROW) {
			rc = ewc__seterr(EWC_EINPUT, "%s: job \"%s\" is already running (since %s); "
			                 "finish or remove it first", db->path, J->id,
			                 (const char *)sqlite3_column_text(s.running, 0));
			goto out;
		}
		sqlite3_reset(s.running);
		sqlite3_bind_text(s.job, 1, J->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.job, 2, ewc_kind_name(J->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(s.job, 3, J->gpu_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s.job, 4, J->gpus);
		sqlite3_bind_double(s.job, 5, J->hours);
		sqlite3_bind_text(s.job, 6, J->origin, -1, SQLITE_STATIC);
		bind_opt_double(s.job, 7, J->slo_ms, J->slo_ms >= 0);
		sqlite3_bind_double(s.job, 8, J->data_gb);
		sqlite3_bind_double(s.job, 9, J->priority);
		if (jobs[j].pin)
			sqlite3_bind_text(s.job, 10, jobs[j].pin, -1, SQLITE_STATIC);
		if (J->avoid_text)
			sqlite3_bind_text(s.job, 11, J->avoid_text, -1, SQLITE_STATIC);
		sqlite3_bind_double(s.job, 12, J->checkpoint_gb);
		bind_opt_double(s.job, 13, J->deadline_h, J->deadline_h > 0);
		sqlite3_bind_text(s.job, 14, when, -1, SQLITE_STATIC);
		sqlite3_bind_double(s.job, 15, J->earliest_h);
		if (jobs[j].window_from)
			sqlite3_bind_text(s.job, 16, jobs[j].window_from, -1, SQLITE_STATIC);
		if (step_done(s.job)) {
			rc = db_err(db, EWC_EIO, "cannot record a job");
			goto out;
		}
		if (!jobs[j].region)
			continue;
		sqlite3_bind_text(s.place, 1, J->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.place, 2, jobs[j].region, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.place, 3, jobs[j].gpu_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s.place, 4, jobs[j].gpus);
		sqlite3_bind_double(s.place, 5, jobs[j].hours);
		sqlite3_bind_text(s.place, 6, jobs[j].started_at ? jobs[j].started_at : when, -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(s.place, 7, run);
		if (step_done(s.place)) {
			rc = db_err(db, EWC_EIO, "cannot record a placement");
			goto out;
		}
	}
	if (run_out)
		*run_out = run;
	rc = 0;
out:
	finalize_all(&s);
	return rc;
}

int ewc__db_record_place(ewc_db *db, const ewc__db_run *run, const ewc__db_job *jobs,
                         size_t n, long long *run_out)
{
	if (begin(db, "cannot start a transaction"))
		return EWC_EIO;
	return end(db, place_body(db, run, jobs, n, run_out), "cannot commit");
}

int ewc_db_jobs(ewc_db *db, int running_only, ewc_db_job_fn fn, void *user)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!db || !fn)
		return ewc__seterr(EWC_EINVAL, "ewc_db_jobs: bad arguments");
	if (sqlite3_prepare_v2(db->h,
	                       "SELECT j.id, j.kind, j.gpu_type, j.gpus, j.hours, j.origin, "
	                       "j.added_at, j.finished_at, p.region, p.gpu_type, p.hours, "
	                       "p.started_at, p.gpus FROM jobs j LEFT JOIN placements p "
	                       "ON p.job = j.id "
	                       "WHERE ? = 0 OR (p.job IS NOT NULL AND j.finished_at IS NULL) "
	                       "ORDER BY j.added_at, j.rowid", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot list jobs");
	sqlite3_bind_int(st, 1, running_only != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ewc_db_job j = EWC_DB_JOB_INIT;
		j.id = col_text(st, 0);
		j.kind = col_kind(st, 1);
		j.gpu_type = col_text(st, 2);
		j.gpus = (long)sqlite3_column_int64(st, 3);
		j.hours = sqlite3_column_double(st, 4);
		j.origin = col_text(st, 5);
		j.added_at = col_text(st, 6);
		j.finished_at = col_text(st, 7);
		j.region = col_text(st, 8);
		j.placed_type = col_text(st, 9);
		j.placed_hours = sqlite3_column_double(st, 10);
		j.started_at = col_text(st, 11);
		j.placed_gpus = (long)sqlite3_column_int64(st, 12);
		if (fn(user, &j) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, EWC_EIO, "cannot list jobs");
}

/* Run one single-row change on job `id`; EWC_ENOTFOUND when it touches no
 * row. */
static int change_job(ewc_db *db, const char *sql, const char *id, const char *when,
                      const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, what);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (when)
		sqlite3_bind_text(st, 2, when, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(db, EWC_EIO, what);
	if (sqlite3_changes(db->h) == 0)
		return ewc__seterr(EWC_ENOTFOUND, "%s: no job \"%s\"%s", db->path, id,
		                   when ? " that is still running" : "");
	return 0;
}

int ewc_db_job_finish(ewc_db *db, const char *id, double now)
{
	char when[32];

	if (!db || !id || !isfinite(now))
		return ewc__seterr(EWC_EINVAL, "ewc_db_job_finish: bad arguments");
	ewc_time_format(now, when, sizeof when);
	/* the placement goes (its GPUs are free again); the job stays, finished */
	if (begin(db, "cannot start a transaction"))
		return EWC_EIO;
	int rc = change_job(db, "UPDATE jobs SET finished_at = ?2 WHERE id = ?1 AND "
	                    "finished_at IS NULL AND id IN (SELECT job FROM placements)",
	                    id, when, "cannot finish the job");
	if (rc == 0)
		rc = change_job(db, "DELETE FROM placements WHERE job = ?1", id, NULL,
		                "cannot finish the job");
	return end(db, rc, "cannot commit");
}

int ewc_db_job_remove(ewc_db *db, const char *id)
{
	if (!db || !id)
		return ewc__seterr(EWC_EINVAL, "ewc_db_job_remove: bad arguments");
	/* one statement: its placement goes with it (ON DELETE CASCADE) */
	return change_job(db, "DELETE FROM jobs WHERE id = ?1", id, NULL, "cannot remove the job");
}

int ewc__db_running(ewc_db *db, ewc__running_fn fn, void *user)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->h,
	                       "SELECT j.id, j.kind, j.gpu_type, j.gpus, j.hours, j.origin, "
	                       "j.slo_ms, j.data_gb, j.priority, j.pin, j.avoid, j.checkpoint_gb, "
	                       "j.deadline_h, coalesce(j.window_from, j.added_at), p.region, "
	                       "p.gpu_type, p.hours, p.started_at, j.earliest_h "
	                       "FROM jobs j JOIN placements p ON p.job = j.id "
	                       "WHERE j.finished_at IS NULL ORDER BY j.added_at, j.rowid", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot list the running jobs");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ewc_job j = EWC_JOB_INIT;
		j.id = col_text(st, 0);
		j.kind = col_kind(st, 1);
		j.gpu_type = col_text(st, 2);
		j.gpus = (long)sqlite3_column_int64(st, 3);
		j.hours = sqlite3_column_double(st, 4);
		j.origin = col_text(st, 5);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			j.slo_ms = sqlite3_column_double(st, 6);
		j.data_gb = sqlite3_column_double(st, 7);
		j.priority = sqlite3_column_double(st, 8);
		j.pin = col_text(st, 9);
		j.avoid = col_text(st, 10);
		j.checkpoint_gb = sqlite3_column_double(st, 11);
		if (sqlite3_column_type(st, 12) != SQLITE_NULL)
			j.deadline_h = sqlite3_column_double(st, 12);
		j.earliest_h = sqlite3_column_double(st, 18);
		if (fn(user, &j, col_text(st, 13), col_text(st, 14), col_text(st, 15),
		       sqlite3_column_double(st, 16), col_text(st, 17)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, EWC_EIO, "cannot list the running jobs");
}

int ewc_db_runs(ewc_db *db, long limit, ewc_db_run_fn fn, void *user)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!db || !fn)
		return ewc__seterr(EWC_EINVAL, "ewc_db_runs: bad arguments");
	if (sqlite3_prepare_v2(db->h,
	                       "SELECT * FROM (SELECT id, at, kind, mode, cost_cny, carbon_kg, "
	                       "energy_kwh, gap, placed, unplaced, base_cost_cny, base_carbon_kg, "
	                       "before_cost_cny, before_carbon_kg, migration_cny, moves, "
	                       "gpu_hours_east, gpu_hours_west, cost_rate_cny_day, "
	                       "carbon_rate_kg_day FROM runs ORDER BY id DESC LIMIT ?) "
	                       "ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot list runs");
	sqlite3_bind_int64(st, 1, limit > 0 ? (sqlite3_int64)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ewc_db_run r = EWC_DB_RUN_INIT;
		r.id = sqlite3_column_int64(st, 0);
		r.at = col_text(st, 1);
		r.kind = col_text(st, 2);
		r.mode = col_text(st, 3);
		r.cost_cny = sqlite3_column_double(st, 4);
		r.carbon_kg = sqlite3_column_double(st, 5);
		r.energy_kwh = sqlite3_column_double(st, 6);
		r.gap = sqlite3_column_double(st, 7);
		r.placed = (long)sqlite3_column_int64(st, 8);
		r.unplaced = (long)sqlite3_column_int64(st, 9);
		r.base_cost_cny = sqlite3_column_double(st, 10);
		r.base_carbon_kg = sqlite3_column_double(st, 11);
		r.before_cost_cny = sqlite3_column_double(st, 12);
		r.before_carbon_kg = sqlite3_column_double(st, 13);
		r.migration_cny = sqlite3_column_double(st, 14);
		r.moves = (long)sqlite3_column_int64(st, 15);
		r.gpu_hours_east = sqlite3_column_double(st, 16);
		r.gpu_hours_west = sqlite3_column_double(st, 17);
		r.cost_rate_cny_per_day = sqlite3_column_type(st, 18) == SQLITE_NULL
		                          ? NAN : sqlite3_column_double(st, 18);
		r.carbon_rate_kg_per_day = sqlite3_column_type(st, 19) == SQLITE_NULL
		                           ? NAN : sqlite3_column_double(st, 19);
		if (fn(user, &r) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_err(db, EWC_EIO, "cannot list runs");
}

typedef struct rebal_stmts {
	sqlite3_stmt *check, *update, *move;
} rebal_stmts;

/* The body of ewc__db_record_rebalance(), inside its transaction. */
static int cmp_seen(const void *key, const void *elem)
{
	return strcmp((const char *)key, *(const char *const *)elem);
}

/* The running set is still the one the rebalancing was planned on: the
 * same jobs, no more, no fewer (a concurrent place --commit or jobs
 * finish changes it). */
static int same_running(ewc_db *db, const ewc__db_run *r)
{
	sqlite3_stmt *st = NULL;
	size_t count = 0;
	int step, rc = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT p.job FROM placements p JOIN jobs j ON j.id = p.job "
	                       "WHERE j.finished_at IS NULL", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot prepare");
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = col_text(st, 0);
		count++;
		if (!bsearch(id, r->seen, r->nseen, sizeof *r->seen, cmp_seen))
			rc = ewc__seterr(EWC_EINPUT, "%s: job \"%s\" started running after the "
			                 "rebalancing was planned: the state changed; nothing written "
			                 "(plan it again)", db->path, id);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_err(db, EWC_EIO, "cannot read the placements");
	sqlite3_finalize(st);
	if (rc == 0 && count != r->nseen)
		rc = ewc__seterr(EWC_EINPUT, "%s: %zu jobs run now, the rebalancing was planned on "
		                 "%zu: the state changed; nothing written (plan it again)", db->path,
		                 count, r->nseen);
	return rc;
}

static int rebalance_body(ewc_db *db, const ewc__db_run *r, const ewc_move *moves, size_t n,
                          long long *run_out)
{
	rebal_stmts q = { NULL, NULL, NULL };
	const char *when = r->when;
	long long snapshot, run;
	int rc = insert_snapshot(db, r->w, r->held, when, r->source, &snapshot);

	if (rc == 0)
		rc = insert_run(db, r, snapshot, &run);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM placements p JOIN jobs j ON j.id = p.job "
	                       "WHERE p.job = ? AND p.region = ? AND p.gpu_type = ? AND "
	                       "p.started_at = ? AND j.finished_at IS NULL", -1, &q.check,
	                       NULL) ||
	    sqlite3_prepare_v2(db->h, "UPDATE placements SET region = ?, gpu_type = ?, hours = ?, "
	                       "started_at = ?, run = ?, gpus = ? WHERE job = ?", -1, &q.update,
	                       NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO moves (run, job, from_region, from_type, "
	                       "to_region, to_type, gpus, hours, migration_cny, saving_cny, "
	                       "carbon_avoided_kg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
	                       &q.move, NULL)) {
		rc = db_err(db, EWC_EIO, "cannot prepare");
		goto out;
	}
	for (size_t j = 0; j < n; j++) {
		const ewc_move m = moves[j];
		/* the plan was made on this state: it must still be the state */
		sqlite3_bind_text(q.check, 1, m.job, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.check, 2, m.from_region, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.check, 3, m.from_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.check, 4, m.started_at, -1, SQLITE_STATIC);
		rc = sqlite3_step(q.check);
		sqlite3_reset(q.check);
		if (rc != SQLITE_ROW) {
			rc = rc == SQLITE_DONE
			         ? ewc__seterr(EWC_EINPUT, "%s: job \"%s\" no longer runs on %s %s since "
			                       "%s: the state changed since the rebalancing was "
			                       "planned; nothing written", db->path, m.job,
			                       m.from_region, m.from_type, m.started_at)
			         : db_err(db, EWC_EIO, "cannot read a placement");
			goto out;
		}
		if (!m.moved)
			continue;
		sqlite3_bind_text(q.update, 1, m.to_region, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.update, 2, m.to_type, -1, SQLITE_STATIC);
		sqlite3_bind_double(q.update, 3, m.to_hours);
		/* a job not started yet keeps a planned start: its new one */
		char planned[32];
		if (m.version >= 3 && m.waiting) {
			ewc_time_format(m.to_start, planned, sizeof planned);
			sqlite3_bind_text(q.update, 4, planned, -1, SQLITE_TRANSIENT);
		} else {
			sqlite3_bind_text(q.update, 4, when, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(q.update, 5, run);
		sqlite3_bind_int64(q.update, 6, m.gpus);
		sqlite3_bind_text(q.update, 7, m.job, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q.move, 1, run);
		sqlite3_bind_text(q.move, 2, m.job, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.move, 3, m.from_region, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.move, 4, m.from_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.move, 5, m.to_region, -1, SQLITE_STATIC);
		sqlite3_bind_text(q.move, 6, m.to_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q.move, 7, m.gpus);
		sqlite3_bind_double(q.move, 8, m.to_hours);
		sqlite3_bind_double(q.move, 9, m.migration_cny);
		sqlite3_bind_double(q.move, 10, m.saving_cny);
		sqlite3_bind_double(q.move, 11, m.carbon_avoided_kg);
		if (step_done(q.update) || step_done(q.move)) {
			rc = db_err(db, EWC_EIO, "cannot record a move");
			goto out;
		}
	}
	/* and no job has started or finished beside those */
	if (r->seen && (rc = same_running(db, r)) != 0)
		goto out;
	if (run_out)
		*run_out = run;
	rc = 0;
out:
	sqlite3_finalize(q.check);
	sqlite3_finalize(q.update);
	sqlite3_finalize(q.move);
	return rc;
}

int ewc__db_record_rebalance(ewc_db *db, const ewc__db_run *run, const ewc_move *moves,
                             size_t n, long long *run_out)
{
	if (begin(db, "cannot start a transaction"))
		return EWC_EIO;
	return end(db, rebalance_body(db, run, moves, n, run_out), "cannot commit");
}

/* ---- feed snapshots ------------------------------------------------------ */

int ewc__db_feed_last(ewc_db *db, const char *feed, ewc__feed_state *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(db->h, "SELECT id, url, taken_at, etag, last_modified "
	                       "FROM feed_snapshots WHERE feed = ? ORDER BY id DESC LIMIT 1",
	                       -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot prepare");
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *e = col_text(st, 3), *lm = col_text(st, 4);
		out->id = sqlite3_column_int64(st, 0);
		out->url = ewc__strdup(col_text(st, 1));
		out->etag = e ? ewc__strdup(e) : NULL;
		out->last_modified = lm ? ewc__strdup(lm) : NULL;
		if (ewc_time_parse(col_text(st, 2), &out->taken_at) != 0)
			out->taken_at = 0;
		rc = !out->url || (e && !out->etag) || (lm && !out->last_modified)
		         ? ewc__seterr(EWC_ENOMEM, "out of memory") : 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : db_err(db, EWC_EIO, "cannot read the feed snapshots");
	}
	sqlite3_finalize(st);
	if (rc)
		ewc__feed_state_clear(out);
	return rc;
}

void ewc__feed_state_clear(ewc__feed_state *s)
{
	free(s->url);
	free(s->etag);
	free(s->last_modified);
	memset(s, 0, sizeof *s);
}

static int feed_log(ewc_db *db, const char *feed, const char *when, const char *status,
                    long http, int attempts, const char *message)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db->h, "INSERT INTO feed_log (feed, at, status, http_status, "
	                       "attempts, message) VALUES (?, ?, ?, ?, ?, ?)", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot prepare");
	sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, http);
	sqlite3_bind_int(st, 5, attempts);
	sqlite3_bind_text(st, 6, message ? message : "", -1, SQLITE_STATIC);
	if (step_done(st))
		rc = db_err(db, EWC_EIO, "cannot log the feed");
	sqlite3_finalize(st);
	return rc;
}

int ewc__db_feed_store(ewc_db *db, const ewc__feed_store *f)
{
	sqlite3_stmt *st = NULL;
	char when[32], *settings = NULL;
	int rc = 0;

	if (f->status == EWC_FEED_UPDATED) {
		/* the new snapshot's settings, as a JSON array of strings */
		json_t *arr = json_array();
		const char *s;
		for (size_t i = 0; arr && (s = ewc_import_setting(f->im, i)) != NULL; i++)
			if (json_array_append_new(arr, json_string(s)) != 0) {
				json_decref(arr);
				arr = NULL;
			}
		/* hourly series ride along, told apart by their tabs */
		for (size_t i = 0; arr && (s = ewc__import_series_raw(f->im, i)) != NULL; i++)
			if (json_array_append_new(arr, json_string(s)) != 0) {
				json_decref(arr);
				arr = NULL;
			}
		if (arr)
			settings = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		if (!settings)
			return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	ewc_time_format(f->now, when, sizeof when);
	if (begin(db, "cannot start a transaction")) {
		free(settings);
		return EWC_EIO;
	}
	if (f->status == EWC_FEED_UPDATED) {
		size_t used, skipped;
		ewc_import_rows(f->im, &used, &skipped);
		if (sqlite3_prepare_v2(db->h, "INSERT INTO feed_snapshots (feed, url, format, "
		                       "taken_at, checked_at, etag, last_modified, rows_used, "
		                       "rows_skipped, settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		                       -1, &st, NULL) != SQLITE_OK) {
			rc = db_err(db, EWC_EIO, "cannot prepare");
		} else {
			sqlite3_bind_text(st, 1, f->feed, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, f->url, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, f->format, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, when, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, when, -1, SQLITE_STATIC);
			if (f->etag)
				sqlite3_bind_text(st, 6, f->etag, -1, SQLITE_STATIC);
			if (f->last_modified)
				sqlite3_bind_text(st, 7, f->last_modified, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 8, (sqlite3_int64)used);
			sqlite3_bind_int64(st, 9, (sqlite3_int64)skipped);
			sqlite3_bind_text(st, 10, settings, -1, SQLITE_STATIC);
			if (step_done(st))
				rc = db_err(db, EWC_EIO, "cannot store the feed snapshot");
		}
		sqlite3_finalize(st);
	} else if (f->status == EWC_FEED_NOT_MODIFIED) {
		if (sqlite3_prepare_v2(db->h, "UPDATE feed_snapshots SET checked_at = ? WHERE id = ?",
		                       -1, &st, NULL) != SQLITE_OK) {
			rc = db_err(db, EWC_EIO, "cannot prepare");
		} else {
			sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, f->snapshot);
			if (step_done(st))
				rc = db_err(db, EWC_EIO, "cannot mark the feed snapshot current");
		}
		sqlite3_finalize(st);
	}
	if (rc == 0)
		rc = feed_log(db, f->feed, when,
		              f->status == EWC_FEED_UPDATED ? "updated"
		              : f->status == EWC_FEED_NOT_MODIFIED ? "not-modified" : "failed",
		              f->http_status, f->attempts, f->message);
	free(settings);
	return end(db, rc, "cannot commit the feed");
}

/* One feed's newest snapshot, read for the overlay. */
typedef struct overlay_row {
	char *feed, *url, *settings;
	double taken_at, checked_at;
} overlay_row;

/* A feed that sets a region's free counts makes them as of its time. */
static void free_counts_as_of(ewc_ctx *ctx, const char *const *v, size_t m, double taken_at)
{
	ewc__lock(ctx);
	for (size_t k = 0; k < m; k++) {
		const char *eq = strchr(v[k], '='), *dot = strchr(v[k], '.');
		size_t n = eq ? (size_t)(eq - v[k]) : 0;
		if (!eq || !dot || dot > eq || n < 5 || strncmp(eq - 5, ".free", 5) != 0)
			continue;
		for (size_t r = 0; r < ctx->w.nregions; r++) {
			ewc__region *R = &ctx->w.regions[r];
			size_t idlen = strlen(R->id);
			int hit = (dot - v[k] == 1 && v[k][0] == '*') ||
			          ((size_t)(dot - v[k]) == idlen && strncmp(v[k], R->id, idlen) == 0);
			if (hit && taken_at > R->as_of)
				R->as_of = taken_at;
		}
	}
	ewc__unlock(ctx);
}

int ewc_db_overlay(ewc_db *db, ewc_ctx *ctx, ewc_overlay_fn fn, void *user)
{
	sqlite3_stmt *st = NULL;
	overlay_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, step;

	if (!db || !ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_db_overlay: NULL argument");
	/* the newest snapshot of each feed, oldest first */
	if (sqlite3_prepare_v2(db->h, "SELECT feed, url, settings, taken_at, checked_at "
	                       "FROM feed_snapshots WHERE id IN "
	                       "(SELECT max(id) FROM feed_snapshots GROUP BY feed) ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot prepare");
	while ((step = sqlite3_step(st)) == SQLITE_ROW && rc == 0) {
		overlay_row *r;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 8;
			overlay_row *v = realloc(rows, nc * sizeof *v);
			if (!v) {
				rc = ewc__seterr(EWC_ENOMEM, "out of memory");
				break;
			}
			rows = v;
			cap = nc;
		}
		r = &rows[n++];
		r->feed = ewc__strdup(col_text(st, 0));
		r->url = ewc__strdup(col_text(st, 1));
		r->settings = ewc__strdup(col_text(st, 2));
		if (ewc_time_parse(col_text(st, 3), &r->taken_at) != 0 ||
		    ewc_time_parse(col_text(st, 4), &r->checked_at) != 0)
			rc = ewc__seterr(EWC_EIO, "%s: feed %s: a snapshot with a bad time", db->path,
			                 col_text(st, 0));
		else if (!r->feed || !r->url || !r->settings)
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_err(db, EWC_EIO, "cannot read the feed snapshots");
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_error_t err;
		json_t *arr = json_loads(rows[i].settings, 0, &err);
		size_t m = json_array_size(arr), skipped = 0;
		const char **v = calloc(m ? m : 1, sizeof *v);
		ewc_overlay o = { EWC_OVERLAY_VERSION, rows[i].feed, rows[i].url, rows[i].taken_at,
		                  rows[i].checked_at, 0, 0 };
		if (!v) {
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		} else if (!json_is_array(arr)) {
			rc = ewc__seterr(EWC_EIO, "%s: feed %s: the stored snapshot is damaged", db->path,
			                 rows[i].feed);
		} else {
			for (size_t k = 0; k < m && rc == 0; k++)
				if (!(v[k] = json_string_value(json_array_get(arr, k))))
					rc = ewc__seterr(EWC_EIO, "%s: feed %s: the stored snapshot is damaged",
					                 db->path, rows[i].feed);
			/* figures first, then the hourly series (with a tab) */
			size_t nset = 0;
			for (size_t k = 0; k < m && rc == 0; k++)
				if (!strchr(v[k], '\t')) {
					const char *x = v[k];
					memmove(v + 1 + nset, v + nset, (k - nset) * sizeof *v);
					v[nset++] = x;
				}
			if (rc == 0)
				rc = ewc__series_apply(ctx, v, nset, v + nset, m - nset, 1, &skipped);
			if (rc == 0)
				free_counts_as_of(ctx, v, nset, rows[i].taken_at);
			o.applied = m - skipped;
			o.skipped = skipped;
			if (rc == 0 && fn)
				fn(user, &o);
		}
		free(v);
		json_decref(arr);
	}
	for (size_t i = 0; i < n; i++) {
		free(rows[i].feed);
		free(rows[i].url);
		free(rows[i].settings);
	}
	free(rows);
	return rc;
}

int ewc__db_last_snapshot(ewc_db *db, char **json)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	*json = NULL;
	if (sqlite3_prepare_v2(db->h, "SELECT s.regions FROM runs r JOIN region_snapshots s "
	                       "ON s.id = r.snapshot ORDER BY r.id DESC LIMIT 1", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot read the snapshots");
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*json = ewc__strdup(col_text(st, 0) ? col_text(st, 0) : "[]");
		if (!*json)
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	} else if (step != SQLITE_DONE) {
		rc = db_err(db, EWC_EIO, "cannot read the snapshots");
	}
	sqlite3_finalize(st);
	return rc;
}
