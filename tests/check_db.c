/* check_db.c - the state database: creation, plans recorded whole, job
 * life cycle, and files that are not ewc's left untouched */
/* SPDX-License-Identifier: MIT */
#include "testdb.h"

/* T (8 A100 for 100 h) is cheapest in west1; I (an SLO of 5 ms) reaches
 * only east1; U asks for 99 X2, more than any region has. */
#define JOBS T_HEADER \
	"T,train,A100,8,100,city,,,,,\n" \
	"I,infer,A100,4,10,city,5,,2,,\n" \
	"U,train,X2,99,10,city,,,,,\n"


static ewc_plan *make_plan(ewc_ctx **ctx, ewc_jobs **jobs)
{
	ewc_plan *plan = NULL;

	*ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	*jobs = t_jobs(*ctx, JOBS);
	ck_assert_int_eq(ewc_place(&plan, *ctx, *jobs, NULL), 0);
	return plan;
}

typedef struct listing {
	int n;
	char line[8][128];
} listing;

static int collect(void *user, const ewc_db_job *j)
{
	listing *l = user;
	if (l->n < 8)
		snprintf(l->line[l->n++], sizeof l->line[0], "%s %s %s %s %s", j->id,
		         j->region ? j->region : "-", j->placed_type ? j->placed_type : "-",
		         j->started_at ? j->started_at : "-", j->finished_at ? j->finished_at : "-");
	return 0;
}

/* 2026-11-22T00:00:00Z and an hour later */
#define NOW 1795305600.0
#define LATER (NOW + 3600.0)

START_TEST(test_new_database)
{
	ewc_db *db = NULL;

	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ewc_db_free(db);
	ck_assert_int_eq(t_sql_int(t_path, "PRAGMA user_version"), 5);
	ck_assert_int_eq(t_sql_int(t_path, "PRAGMA application_id"), 0x45574331);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	                                "AND name IN ('jobs', 'placements', 'runs', "
	                                "'region_snapshots', 'moves', 'feed_snapshots', 'feed_log')"), 7);
	{
		sqlite3 *h = NULL;
		sqlite3_stmt *st = NULL;
		ck_assert_int_eq(sqlite3_open(t_path, &h), SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	/* opened again: the same schema, nothing migrated twice */
	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ewc_db_free(db);
	ck_assert_int_eq(t_sql_int(t_path, "PRAGMA user_version"), 5);
}
END_TEST

START_TEST(test_commit_plan)
{
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_plan *plan = make_plan(&ctx, &jobs);
	ewc_db *db = NULL;
	listing l = { 0 };
	long long run = 0;

	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "t.xml", &run), 0);
	ck_assert_int_eq(run, 1);
	ck_assert_int_eq(ewc_db_jobs(db, 0, collect, &l), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(l.line[0], "T west1 A100 2026-11-22T00:00:00Z -");
	ck_assert_str_eq(l.line[1], "I east1 A100 2026-11-22T00:00:00Z -");
	ck_assert_str_eq(l.line[2], "U - - - -");
	l.n = 0;
	ck_assert_int_eq(ewc_db_jobs(db, 1, collect, &l), 0);
	ck_assert_int_eq(l.n, 2);
	/* the run carries the plan's totals; the snapshot the regions */
	ck_assert_int_eq(t_sql_int(t_path, "SELECT placed * 10 + unplaced FROM runs"), 21);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT json_array_length(regions) FROM region_snapshots"),
	                 2);
	/* with each region's free GPUs by type and its links: west1 has 4 X2,
	 * 20 ms from city */
	ck_assert_int_eq(t_sql_int(t_path, "SELECT json_extract(regions, '$[1].gpus[1].free') * 100 + "
	                                "json_extract(regions, '$[1].links[0].latency_ms') "
	                                "FROM region_snapshots"), 420);
	{
		ewc_totals t = EWC_TOTALS_INIT;
		ewc_plan_totals(plan, &t);
		ck_assert_int_eq(t_sql_int(t_path, "SELECT round(cost_cny * 1000) FROM runs"),
		                 (long long)llround(t.cost_cny * 1000));
	}

	/* the same plan again: T and I are running, so nothing is written */
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, LATER, "t.xml", NULL), EWC_EINPUT);
	{
		char want[256];
		snprintf(want, sizeof want, "%s: job \"T\" is already running (since "
		         "2026-11-22T00:00:00Z); finish or remove it first", t_path);
		ck_assert_str_eq(ewc_errmsg(), want);
	}
	/* the run and snapshot written before the conflict were rolled back */
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM region_snapshots"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements"), 2);
	ewc_db_free(db);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* A held transaction: what this handle writes stays invisible to others
 * until ewc_db_end(db, 1); ewc_db_end(db, 0), or freeing the handle, drops
 * it; a failing commit inside it drops only its own part. */
START_TEST(test_held_transaction)
{
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_plan *plan = make_plan(&ctx, &jobs);
	ewc_db *db = NULL;
	listing l = { 0 };

	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_end(db, 1), EWC_EINVAL);
	ck_assert_int_eq(ewc_db_begin(db), 0);
	ck_assert_int_eq(ewc_db_begin(db), EWC_EINVAL);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "t.xml", NULL), 0);
	/* this handle sees its run; the file does not have it yet */
	ck_assert_int_eq(ewc_db_jobs(db, 1, collect, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_int_eq(ewc_db_end(db, 0), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements"), 0);

	/* held, and the handle freed without an end: dropped */
	ck_assert_int_eq(ewc_db_begin(db), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "t.xml", NULL), 0);
	ewc_db_free(db);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 0);

	/* held and ended with 1: there; a second commit of the same jobs
	 * inside it fails alone, the first stays */
	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_begin(db), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "t.xml", NULL), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, LATER, "t.xml", NULL), EWC_EINPUT);
	ck_assert_int_eq(ewc_db_end(db, 1), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements"), 2);
	ewc_db_free(db);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* The ledger: the region's 8 A100 were free as of 2026-11-21; A (6) is
 * committed on the 22nd. A second plan for B (4) made without the ledger
 * cannot commit (6 + 4 > 8); with it, B does not fit and C (2) does. */
#define LEDGER_REGION(asof) \
	"<regions as-of=\"" asof "\"><region id=\"r1\" zone=\"west\">" \
	"<power price=\"0.3\" green-share=\"0\" grid-factor=\"0.5\" pue=\"1.2\"/>" \
	"<gpu type=\"A100\" free=\"8\" price=\"10\"/>" \
	"<link site=\"city\" latency-ms=\"2\" price-per-gb=\"0\"/></region></regions>"

static ewc_plan *plan_of(ewc_ctx *ctx, const char *csv, ewc_jobs **jobs)
{
	ewc_plan *plan = NULL;
	*jobs = t_jobs(ctx, csv);
	ck_assert_int_eq(ewc_place(&plan, ctx, *jobs, NULL), 0);
	return plan;
}

START_TEST(test_ledger)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, LEDGER_REGION("2026-11-21T00:00:00Z"));
	ewc_jobs *ja, *jb, *jc;
	ewc_plan *pa = plan_of(ctx, "id,kind,gpu_type,gpus,hours,origin\nA,train,A100,6,10,city\n", &ja);
	ewc_plan *pb = plan_of(ctx, "id,kind,gpu_type,gpus,hours,origin\nB,train,A100,4,10,city\n", &jb);
	ewc_plan *pc;
	ewc_db *db = NULL;
	ewc_assignment a = EWC_ASSIGNMENT_INIT;
	long taken = -1, fr = 0;

	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_ledger(db, ctx, &taken), 0);
	ck_assert_int_eq(taken, 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, pa, NOW, "t.xml", NULL), 0);
	/* B was planned on 8 free: A holds 6 of them now */
	ck_assert_int_eq(ewc_db_commit_plan(db, pb, NOW + 60, "t.xml", NULL), EWC_ECAPACITY);
	{
		char want[512];
		snprintf(want, sizeof want, "%s: capacity: r1 A100 had 8 free as of "
		         "2026-11-21T00:00:00Z; runs committed since hold 6 of them and this plan "
		         "needs 4: nothing written (plan again: ewc place --db takes what runs hold "
		         "into account)", t_path);
		ck_assert_str_eq(ewc_errmsg(), want);
	}
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 1);
	/* with the ledger: 2 free; twice is the same as once */
	ck_assert_int_eq(ewc_db_ledger(db, ctx, &taken), 0);
	ck_assert_int_eq(ewc_db_ledger(db, ctx, &taken), 0);
	ck_assert_int_eq(taken, 6);
	ck_assert_int_eq(ewc_ctx_available(ctx, "r1", "A100", &fr), 0);
	ck_assert_int_eq(fr, 2);
	pc = plan_of(ctx, "id,kind,gpu_type,gpus,hours,origin\nB2,train,A100,4,10,city\n"
	                  "C,train,A100,2,10,city\n", &jc);
	ck_assert_int_eq(ewc_plan_gpus_taken(pc), 6);
	ewc_plan_assignment(pc, 0, &a);
	ck_assert_ptr_null(a.region);
	ewc_plan_assignment(pc, 1, &a);
	ck_assert_str_eq(a.region, "r1");
	ck_assert_int_eq(ewc_db_commit_plan(db, pc, NOW + 120, "t.xml", NULL), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT sum(gpus) FROM placements"), 8);
	ewc_plan_free(pa);
	ewc_plan_free(pb);
	ewc_plan_free(pc);
	ewc_jobs_free(ja);
	ewc_jobs_free(jb);
	ewc_jobs_free(jc);
	ewc_ctx_free(ctx);

	/* figures taken after the runs: they know of them, nothing is taken */
	ctx = t_ctx(T_CATALOG, LEDGER_REGION("2026-11-23T00:00:00Z"));
	ck_assert_int_eq(ewc_db_ledger(db, ctx, &taken), 0);
	ck_assert_int_eq(taken, 0);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

START_TEST(test_job_life)
{
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_plan *plan = make_plan(&ctx, &jobs);
	ewc_db *db = NULL;
	listing l = { 0 };

	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "t.xml", NULL), 0);
	ck_assert_int_eq(ewc_db_job_finish(db, "T", LATER), 0);
	ck_assert_int_eq(ewc_db_job_finish(db, "T", LATER), EWC_ENOTFOUND);
	{
		char want[256];
		snprintf(want, sizeof want, "%s: no job \"T\" that is still running", t_path);
		ck_assert_str_eq(ewc_errmsg(), want);
	}
	ck_assert_int_eq(ewc_db_job_finish(db, "U", LATER), EWC_ENOTFOUND);
	ck_assert_int_eq(ewc_db_jobs(db, 0, collect, &l), 0);
	ck_assert_str_eq(l.line[0], "T - - - 2026-11-22T01:00:00Z");
	l.n = 0;
	ck_assert_int_eq(ewc_db_jobs(db, 1, collect, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(ewc_db_job_remove(db, "I"), 0);
	ck_assert_int_eq(ewc_db_job_remove(db, "I"), EWC_ENOTFOUND);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements"), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM jobs"), 2);
	/* a finished job may be planned again */
	ck_assert_int_eq(ewc_db_job_remove(db, "U"), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, LATER, "t.xml", NULL), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 2);
	ewc_db_free(db);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* The whole file's bytes, for "left untouched". */
static char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = malloc(1 << 16);
	ck_assert_ptr_nonnull(f);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void refused(const char *file, const char *msg_tail)
{
	ewc_db *db = (ewc_db *)1;
	size_t n0, n1;
	char *before = slurp(file, &n0), *after, want[256];

	ck_assert_int_eq(ewc_db_open(&db, file), EWC_EINPUT);
	ck_assert_ptr_null(db);
	snprintf(want, sizeof want, "%s: %s", file, msg_tail);
	ck_assert_str_eq(ewc_errmsg(), want);
	after = slurp(file, &n1);
	ck_assert_msg(n0 == n1 && memcmp(before, after, n0) == 0, "%s was changed", file);
	free(before);
	free(after);
}

START_TEST(test_foreign_files)
{
	char file[160];
	sqlite3 *h = NULL;
	FILE *f;

	snprintf(file, sizeof file, "%s/notes.txt", t_dir);
	f = fopen(file, "w");
	fputs("this is not a database, but it is long enough to look like a header........\n", f);
	fclose(f);
	refused(file, "not an ewc database (not SQLite, or damaged); left untouched");

	snprintf(file, sizeof file, "%s/other.db", t_dir);
	ck_assert_int_eq(sqlite3_open(file, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE accounts (id INTEGER)", NULL, NULL, NULL), 0);
	sqlite3_close(h);
	refused(file, "an SQLite database, but not ewc's; left untouched");

	snprintf(file, sizeof file, "%s/newer.db", t_dir);
	ck_assert_int_eq(sqlite3_open(file, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "PRAGMA application_id = 1163346737; "
	                                 "PRAGMA user_version = 9", NULL, NULL, NULL), 0);
	sqlite3_close(h);
	refused(file, "schema version 9 is newer than this ewc knows (5); left untouched");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, t_db_setup, t_db_teardown);
	tcase_add_test(tc, test_new_database);
	tcase_add_test(tc, test_commit_plan);
	tcase_add_test(tc, test_held_transaction);
	tcase_add_test(tc, test_ledger);
	tcase_add_test(tc, test_job_life);
	tcase_add_test(tc, test_foreign_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
