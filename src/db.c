/* db.c - ewc's state in SQLite: jobs, current placements, runs, snapshots */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ewc_int.h"
#include "plan_int.h"

/* "EWC1": marks a database as ewc's, so a foreign one is never changed. */
#define EWC_DB_APP_ID 0x45574331
#define EWC_DB_SCHEMA 1

struct ewc_db {
	sqlite3 *h;
	char *path;
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

static int db_err(ewc_db *db, int code, const char *what)
{
	return ewc__seterr(code, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

/* ISO 8601 UTC, second precision. */
static void iso_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int exec(ewc_db *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, what);
	return 0;
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

/* Check that the file is ewc's (or new and empty) before anything is
 * written, then bring its schema to the current version. */
static int prepare(ewc_db *db)
{
	long long app = 0, version = 0, objects = 0;
	int rc = query_int(db, "PRAGMA application_id", &app);

	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int(db, "SELECT count(*) FROM sqlite_master", &objects);
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
	if (exec(db, "PRAGMA journal_mode = WAL", "cannot switch to WAL") ||
	    exec(db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys"))
		return EWC_EIO;
	sqlite3_busy_timeout(db->h, 5000);
	if (version == EWC_DB_SCHEMA)
		return 0;
	/* migrate forward, all or nothing (version 0: a new database) */
	if (exec(db, "BEGIN IMMEDIATE", "cannot start the migration"))
		return EWC_EIO;
	if ((version < 1 && exec(db, schema_v1, "cannot create the schema")) ||
	    exec(db, "PRAGMA application_id = 1163346737", "cannot mark the database") ||
	    exec(db, "PRAGMA user_version = 1", "cannot set the schema version") ||
	    exec(db, "COMMIT", "cannot commit the migration")) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return EWC_EIO;
	}
	return 0;
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
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                                      SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = db->h ? db_err(db, EWC_EIO, "cannot open")
		           : ewc__seterr(EWC_ENOMEM, "out of memory");
		ewc_db_close(db);
		return rc;
	}
	rc = prepare(db);
	if (rc) {
		ewc_db_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void ewc_db_close(ewc_db *db)
{
	if (!db)
		return;
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

/* The regions a plan was made on, as JSON text (caller frees), or NULL
 * when out of memory: never a snapshot with entries missing. */
static char *regions_json(const ewc__world *w)
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
			bad = json_array_append_new(gpus, json_pack("{s:s, s:I, s:f}", "type",
			                                             w->gpus[R->gpus[k].type].type, "free",
			                                             (json_int_t)R->gpus[k].free, "price",
			                                             R->gpus[k].price)) != 0;
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

/* Step a statement that returns no row; reset it for the next use. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

typedef struct commit_stmts {
	sqlite3_stmt *snap, *run, *running, *job, *place;
} commit_stmts;

static void finalize_all(commit_stmts *s)
{
	sqlite3_finalize(s->snap);
	sqlite3_finalize(s->run);
	sqlite3_finalize(s->running);
	sqlite3_finalize(s->job);
	sqlite3_finalize(s->place);
}

/* The body of ewc_db_commit_plan(), inside its transaction. */
static int commit_body(ewc_db *db, const ewc_plan *p, const char *when, const char *source,
                       long long *run_out)
{
	commit_stmts s = { NULL, NULL, NULL, NULL, NULL };
	const ewc_totals *t = &p->totals, *b = &p->base_totals;
	char *regions = regions_json(&p->w);
	long long snap, run;
	int rc = EWC_EIO;

	if (!regions) {
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(db->h, "INSERT INTO region_snapshots (taken_at, source, regions) "
	                       "VALUES (?, ?, ?)", -1, &s.snap, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO runs (at, kind, snapshot, mode, carbon_price, "
	                       "cost_cny, carbon_kg, energy_kwh, objective, lower_bound, gap, "
	                       "placed, unplaced, base_cost_cny, base_carbon_kg, base_objective) "
	                       "VALUES (?, 'place', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                       -1, &s.run, NULL) ||
	    sqlite3_prepare_v2(db->h, "SELECT p.started_at FROM placements p JOIN jobs j "
	                       "ON j.id = p.job WHERE j.id = ? AND j.finished_at IS NULL",
	                       -1, &s.running, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO jobs (id, kind, gpu_type, gpus, "
	                       "hours, origin, slo_ms, data_gb, priority, pin, avoid, "
	                       "checkpoint_gb, deadline_h, added_at, finished_at) "
	                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
	                       -1, &s.job, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO placements (job, region, gpu_type, gpus, hours, "
	                       "started_at, run) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s.place,
	                       NULL)) {
		rc = db_err(db, EWC_EIO, "cannot prepare");
		goto out;
	}
	sqlite3_bind_text(s.snap, 1, when, -1, SQLITE_STATIC);
	sqlite3_bind_text(s.snap, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s.snap, 3, regions, -1, SQLITE_STATIC);
	if (step_done(s.snap)) {
		rc = db_err(db, EWC_EIO, "cannot record the regions");
		goto out;
	}
	snap = sqlite3_last_insert_rowid(db->h);
	{
		double v[] = { p->opts.carbon_price, t->cost_cny, t->carbon_kg, t->energy_kwh,
		               t->objective, t->lower_bound, t->gap };
		sqlite3_bind_text(s.run, 1, when, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s.run, 2, snap);
		sqlite3_bind_text(s.run, 3, ewc_mode_name(p->opts.mode), -1, SQLITE_STATIC);
		for (int i = 0; i < 7; i++)
			sqlite3_bind_double(s.run, 4 + i, v[i]);
		sqlite3_bind_int64(s.run, 11, (sqlite3_int64)t->placed);
		sqlite3_bind_int64(s.run, 12, (sqlite3_int64)t->unplaced);
		sqlite3_bind_double(s.run, 13, b->cost_cny);
		sqlite3_bind_double(s.run, 14, b->carbon_kg);
		sqlite3_bind_double(s.run, 15, b->objective);
	}
	if (step_done(s.run)) {
		rc = db_err(db, EWC_EIO, "cannot record the run");
		goto out;
	}
	run = sqlite3_last_insert_rowid(db->h);

	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__job *J = &p->jobs->v[j];
		int c = p->choice[j];

		sqlite3_bind_text(s.running, 1, J->id, -1, SQLITE_STATIC);
		if (sqlite3_step(s.running) == SQLITE_ROW) {
			rc = ewc__seterr(EWC_EINPUT, "%s: job \"%s\" is already running (since %s); "
			                 "finish or remove it first", db->path, J->id,
			                 (const char *)sqlite3_column_text(s.running, 0));
			goto out;
		}
		sqlite3_reset(s.running);
		sqlite3_bind_text(s.job, 1, J->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.job, 2, J->kind == EWC_KIND_INFER ? "infer" : "train", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(s.job, 3, J->gpu_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s.job, 4, J->gpus);
		sqlite3_bind_double(s.job, 5, J->hours);
		sqlite3_bind_text(s.job, 6, J->origin, -1, SQLITE_STATIC);
		bind_opt_double(s.job, 7, J->slo_ms, J->slo_ms >= 0);
		sqlite3_bind_double(s.job, 8, J->data_gb);
		sqlite3_bind_double(s.job, 9, J->priority);
		if (J->pin >= 0)
			sqlite3_bind_text(s.job, 10, p->w.regions[J->pin].id, -1, SQLITE_STATIC);
		if (J->avoid_text)
			sqlite3_bind_text(s.job, 11, J->avoid_text, -1, SQLITE_STATIC);
		sqlite3_bind_double(s.job, 12, J->checkpoint_gb);
		bind_opt_double(s.job, 13, J->deadline_h, J->deadline_h > 0);
		sqlite3_bind_text(s.job, 14, when, -1, SQLITE_STATIC);
		if (step_done(s.job)) {
			rc = db_err(db, EWC_EIO, "cannot record a job");
			goto out;
		}
		if (c < 0)
			continue;
		sqlite3_bind_text(s.place, 1, J->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.place, 2, p->w.regions[p->opt_region[c]].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s.place, 3, p->w.gpus[p->opt_type[c]].type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s.place, 4, J->gpus);
		sqlite3_bind_double(s.place, 5, p->opt_cost[c].hours);
		sqlite3_bind_text(s.place, 6, when, -1, SQLITE_STATIC);
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
	free(regions);
	return rc;
}

int ewc_db_commit_plan(ewc_db *db, const ewc_plan *plan, double now, const char *source,
                       long long *run_out)
{
	char when[32];
	int rc;

	if (!db || !plan || !isfinite(now))
		return ewc__seterr(EWC_EINVAL, "ewc_db_commit_plan: bad arguments");
	iso_time(now, when, sizeof when);
	if (exec(db, "BEGIN IMMEDIATE", "cannot start a transaction"))
		return EWC_EIO;
	rc = commit_body(db, plan, when, source ? source : "", run_out);
	if (rc == 0 && exec(db, "COMMIT", "cannot commit"))
		rc = EWC_EIO;
	if (rc)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
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
	                       "p.started_at FROM jobs j LEFT JOIN placements p ON p.job = j.id "
	                       "WHERE ? = 0 OR (p.job IS NOT NULL AND j.finished_at IS NULL) "
	                       "ORDER BY j.added_at, j.rowid", -1, &st, NULL) != SQLITE_OK)
		return db_err(db, EWC_EIO, "cannot list jobs");
	sqlite3_bind_int(st, 1, running_only != 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ewc_db_job j = EWC_DB_JOB_INIT;
		j.id = (const char *)sqlite3_column_text(st, 0);
		j.kind = strcmp((const char *)sqlite3_column_text(st, 1), "infer") == 0
		             ? EWC_KIND_INFER : EWC_KIND_TRAIN;
		j.gpu_type = (const char *)sqlite3_column_text(st, 2);
		j.gpus = (long)sqlite3_column_int64(st, 3);
		j.hours = sqlite3_column_double(st, 4);
		j.origin = (const char *)sqlite3_column_text(st, 5);
		j.added_at = (const char *)sqlite3_column_text(st, 6);
		j.finished_at = (const char *)sqlite3_column_text(st, 7);
		j.region = (const char *)sqlite3_column_text(st, 8);
		j.placed_type = (const char *)sqlite3_column_text(st, 9);
		j.placed_hours = sqlite3_column_double(st, 10);
		j.started_at = (const char *)sqlite3_column_text(st, 11);
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
	iso_time(now, when, sizeof when);
	/* the placement goes (its GPUs are free again); the job stays, finished */
	if (exec(db, "BEGIN IMMEDIATE", "cannot start a transaction"))
		return EWC_EIO;
	int rc = change_job(db, "UPDATE jobs SET finished_at = ?2 WHERE id = ?1 AND "
	                    "finished_at IS NULL AND id IN (SELECT job FROM placements)",
	                    id, when, "cannot finish the job");
	if (rc == 0)
		rc = change_job(db, "DELETE FROM placements WHERE job = ?1", id, NULL,
		                "cannot finish the job");
	if (rc == 0 && exec(db, "COMMIT", "cannot commit"))
		rc = EWC_EIO;
	if (rc)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int ewc_db_job_remove(ewc_db *db, const char *id)
{
	if (!db || !id)
		return ewc__seterr(EWC_EINVAL, "ewc_db_job_remove: bad arguments");
	/* one statement: its placement goes with it (ON DELETE CASCADE) */
	return change_job(db, "DELETE FROM jobs WHERE id = ?1", id, NULL, "cannot remove the job");
}
