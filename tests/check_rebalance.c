/* check_rebalance.c - rebalancing running jobs: the moves a hand
 * computation says, the margin, the move cap, three nights of history, a
 * database migrated from schema 1, and a state changed under a plan */
/* SPDX-License-Identifier: MIT */
#include "testdb.h"

/* Two regions as in T_TWO_REGIONS, with east1's A100 price and free count
 * and west1's A100 free count as parameters.
 *
 * Per A100 GPU-hour (400 W):
 *   east1: 0.5 kWh (PUE 1.25), power 0.25 CNY, carbon 0.5*0.6*0.8 = 0.24 kg
 *   west1: 0.48 kWh (PUE 1.2), power 0.144 CNY, carbon 0.48*0.5*0.5 = 0.12 kg
 * so with an east price of 10 the balanced objective (100 CNY/t) is
 * 10.274 east and 8.156 west per GPU-hour. */
static char *regions(double east_price, int east_free, int west_free)
{
	static char buf[2048];
	snprintf(buf, sizeof buf,
	         "<regions>\n"
	         "  <region id=\"east1\" zone=\"east\">\n"
	         "    <power price=\"0.5\" green-share=\"0.2\" grid-factor=\"0.6\" pue=\"1.25\"/>\n"
	         "    <gpu type=\"A100\" free=\"%d\" price=\"%g\"/>\n"
	         "    <link site=\"city\" latency-ms=\"2\" price-per-gb=\"0.1\"/>\n"
	         "  </region>\n"
	         "  <region id=\"west1\" zone=\"west\">\n"
	         "    <power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>\n"
	         "    <gpu type=\"A100\" free=\"%d\" price=\"8\"/>\n"
	         "    <gpu type=\"X2\" free=\"4\" price=\"14\"/>\n"
	         "    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0.05\"/>\n"
	         "  </region>\n"
	         "</regions>\n",
	         east_free, east_price, west_free);
	return buf;
}

/* A: 4 A100 for 100 h, 100 GB of data, a 200 GB checkpoint.
 * B: 4 A100 for 12 h, no checkpoint. At an east price of 5 both go east
 * (5.274 per GPU-hour against 8.156 west). */
#define JOBS \
	"id,kind,gpu_type,gpus,hours,origin,data_gb,checkpoint_gb\n" \
	"A,train,A100,4,100,city,100,200\n" \
	"B,train,A100,4,12,city,0,0\n"

#define NOW 1795305600.0 /* 2026-11-22T00:00:00Z */
#define H 3600.0


/* Night 0: both jobs placed east and recorded. */
static ewc_db *night0(void)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, regions(5, 8, 16));
	ewc_jobs *jobs = t_jobs(ctx, JOBS);
	ewc_plan *plan = NULL;
	ewc_db *db = NULL;
	ewc_assignment a = EWC_ASSIGNMENT_INIT;

	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, NULL), 0);
	ewc_plan_assignment(plan, 0, &a);
	ck_assert_str_eq(a.region, "east1");
	ewc_plan_assignment(plan, 1, &a);
	ck_assert_str_eq(a.region, "east1");
	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "night0.xml", NULL), 0);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return db;
}

static ewc_rebalance *rebalance(ewc_db *db, ewc_ctx **ctx, const char *xml, double now,
                                double margin, long max_moves)
{
	ewc_rebalance_options o = EWC_REBALANCE_OPTIONS_INIT;
	ewc_rebalance *rb = NULL;
	int rc;

	o.margin = margin;
	o.max_moves = max_moves;
	o.place.mip_gap = 0;
	*ctx = t_ctx(T_CATALOG, xml);
	rc = ewc_rebalance_plan(&rb, *ctx, db, now, &o);
	ck_assert_msg(rc == 0, "rebalance: %s", ewc_errmsg());
	return rb;
}

static ewc_move job_of(const ewc_rebalance *rb, const char *id)
{
	for (size_t i = 0; i < ewc_rebalance_count(rb); i++) {
		ewc_move m = EWC_MOVE_INIT;
		ck_assert_int_eq(ewc_rebalance_job(rb, i, &m), 0);
		if (strcmp(m.job, id) == 0)
			return m;
	}
	ck_abort_msg("no job %s in the rebalancing", id);
	return (ewc_move)EWC_MOVE_INIT;
}

/* Night 1, 10 h later, the east price back at 10 (the GPUs the jobs hold
 * are not in the free counts: 0 free east).
 *   A, 90 h left, 360 GPU-hours. Stay: 360 * 10.25 = 3690 CNY (its data is
 *   east already), objective 360 * 10.274 = 3698.64. Move west: run
 *   360 * 8.144 = 2931.84 plus its data 100 GB * 0.05 = 5, so 2936.84;
 *   migration 200 GB * 0.05 = 10 plus restart 1 h * 4 * 8 = 32, so 42;
 *   objective 360 * 8.156 + 5 + 1.2 * 42 = 2991.56 < 3698.64: it moves.
 *   Saving 3690 - 2936.84 - 42 = 711.16; carbon 360 * (0.24 - 0.12) = 43.2.
 *   B, 2 h left, 8 GPU-hours. Stay 8 * 10.274 = 82.192; move
 *   8 * 8.156 + 1.2 * 32 = 103.648: it stays. */
START_TEST(test_moves_by_hand)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 0.2, -1);
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;
	ewc_move a, b;

	ck_assert_int_eq(ewc_rebalance_summarize(rb, &s), 0);
	ck_assert_uint_eq(s.jobs, 2);
	ck_assert_uint_eq(s.moves, 1);
	a = job_of(rb, "A");
	ck_assert_int_eq(a.moved, 1);
	ck_assert_str_eq(a.from_region, "east1");
	ck_assert_str_eq(a.to_region, "west1");
	ck_assert_str_eq(a.to_type, "A100");
	ck_assert_near(a.from_hours, 90);
	ck_assert_near(a.to_hours, 90);
	ck_assert_near(a.cost_stay_cny, 3690);
	ck_assert_near(a.cost_to_cny, 2936.84);
	ck_assert_near(a.checkpoint_cny, 10);
	ck_assert_near(a.restart_cny, 32);
	ck_assert_near(a.migration_cny, 42);
	ck_assert_near(a.saving_cny, 711.16);
	ck_assert_near(a.carbon_avoided_kg, 43.2);
	b = job_of(rb, "B");
	ck_assert_int_eq(b.moved, 0);
	ck_assert_str_eq(b.to_region, "east1");
	/* why: the east price doubled since night 0 (and east1's 8 free A100
	 * are gone); A's move names the price, B stays */
	ck_assert_int_eq(ewc_rebalance_compared(rb), 1);
	ck_assert_uint_eq(ewc_rebalance_change_count(rb), 2);
	ck_assert_str_eq(ewc_rebalance_change(rb, 0), "east1 A100 price 5.00 -> 10.00 CNY/GPU-h");
	ck_assert_str_eq(ewc_rebalance_change(rb, 1), "east1 A100 free GPUs 8 -> 0");
	for (size_t i = 0; i < ewc_rebalance_count(rb); i++) {
		ewc_move m = EWC_MOVE_INIT;
		ewc_rebalance_job(rb, i, &m);
		if (strcmp(m.job, "A") == 0)
			ck_assert_str_eq(ewc_rebalance_why(rb, i), "east1 A100 price 5.00 -> 10.00 CNY/GPU-h");
		else
			ck_assert_ptr_null(ewc_rebalance_why(rb, i));
	}
	ck_assert_near(b.from_hours, 2);
	ck_assert_near(b.cost_stay_cny, 82);
	/* totals: before 3690 + 82, after 2936.84 + 42 + 82 */
	ck_assert_near(s.before.cost_cny, 3772);
	ck_assert_near(s.after.cost_cny, 3060.84);
	ck_assert_near(s.migration_cny, 42);
	ck_assert_near(s.saving_cny, 711.16);
	ck_assert_near(s.carbon_avoided_kg, 43.2);
	/* the solver's objective has the margin: 2991.56 + 82.192 */
	ck_assert_near(s.objective, 3073.752);
	ck_assert_near(s.lower_bound, 3073.752);
	ck_assert_int_eq(s.have_previous, 1);
	ck_assert_int_eq(s.previous_run, 1);
	ck_assert_str_eq(s.previous_kind, "place");

	/* recorded: A restarts west now with its 90 h, B is untouched */
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "night1.xml", NULL), 0);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements WHERE job = 'A' AND "
	                         "region = 'west1' AND hours = 90 AND "
	                         "started_at = '2026-11-22T10:00:00Z' AND run = 2"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements WHERE job = 'B' AND "
	                         "region = 'east1' AND started_at = '2026-11-22T00:00:00Z'"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM moves WHERE run = 2 AND job = 'A' AND "
	                         "from_region = 'east1' AND to_region = 'west1' AND "
	                         "migration_cny = 42"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT moves * 1000 + round(cost_cny) FROM runs WHERE id = 2 "
	                         "AND kind = 'rebalance'"), 1000 + 3061);
	/* the snapshot holds the free counts as loaded, not with A and B added */
	ck_assert_int_eq(t_sql_int(t_path, "SELECT json_extract(regions, '$[0].gpus[0].free') FROM "
	                         "region_snapshots WHERE id = 2"), 0);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

/* The same night with margin 20: A's move would cost 2936.16 + 5 + 21 * 42
 * = 3823.16 in the objective, more than staying (3698.64). Break-even is
 * margin (3698.64 - 2941.16) / 42 - 1 = 17.03: at 17 A still moves. */
/* A service moved to a faster type holds fewer GPUs there. S: 8 A100 of
 * service for 100 h, placed east at an east price of 5 (8 x 5.25 = 42 CNY
 * an hour against 4 X2 x 14.29 = 57.15 west). Ten hours later, the east
 * price at 10: staying costs 720 GPU-h x 10.25 = 7380; west1's X2 holds
 * ceil(8 x 1/2) = 4 for the same 90 h: 360 GPU-h x 14 = 5040 + 345.6 kWh
 * x 0.3 = 103.68, so 5143.68, restart 1 h x 4 x 14 = 56; objective
 * 5143.68 + 8.64 + 1.2 x 56 = 5219.52, below west1's A100 (5949.12) and
 * staying (7397.28). */
START_TEST(test_service_moves_to_faster_type)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, regions(5, 8, 16));
	ewc_jobs *jobs = t_jobs(ctx, "id,kind,gpu_type,gpus,hours,origin,slo_ms\n"
	                             "S,infer,A100|X2,8,100,city,30\n");
	ewc_plan *plan = NULL;
	ewc_db *db = NULL;
	ewc_rebalance *rb;
	ewc_move m;
	ewc_assignment a = EWC_ASSIGNMENT_INIT;

	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, NULL), 0);
	ewc_plan_assignment(plan, 0, &a);
	ck_assert_str_eq(a.region, "east1");
	ck_assert_int_eq(a.gpus, 8);
	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "night0.xml", NULL), 0);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);

	rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 0.2, -1);
	m = job_of(rb, "S");
	ck_assert_int_eq(m.moved, 1);
	ck_assert_str_eq(m.to_region, "west1");
	ck_assert_str_eq(m.to_type, "X2");
	ck_assert_int_eq(m.from_gpus, 8);
	ck_assert_int_eq(m.gpus, 4);
	ck_assert_near(m.from_hours, 90);
	ck_assert_near(m.to_hours, 90);
	ck_assert_near(m.cost_stay_cny, 7380);
	ck_assert_near(m.cost_to_cny, 5143.68);
	ck_assert_near(m.restart_cny, 56);
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "night1.xml", NULL), 0);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	/* the database holds what it holds now: 4 X2 for 90 h */
	ck_assert_int_eq(t_sql_int(t_path, "SELECT gpus * 1000 + round(hours) FROM placements "
	                                   "WHERE job = 'S' AND gpu_type = 'X2'"), 4090);
	ewc_db_free(db);
}
END_TEST

/* A night on the figures of night 0, nothing changed: no change named, no
 * move, and the daily rate of the running set equal to night 0's. */
START_TEST(test_nothing_changed)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb = rebalance(db, &ctx, regions(5, 8, 16), NOW + 1 * H, 0.2, -1);
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;

	ck_assert_int_eq(ewc_rebalance_summarize(rb, &s), 0);
	ck_assert_int_eq(ewc_rebalance_compared(rb), 1);
	ck_assert_uint_eq(ewc_rebalance_change_count(rb), 0);
	ck_assert_uint_eq(s.moves, 0);
	/* A and B east at 5: 21 CNY an hour each, 1,008 a day, as at night 0 */
	ck_assert_near(s.cost_rate_cny_per_day, 1008);
	ck_assert_near(s.previous_cost_rate_cny_per_day, 1008);
	ck_assert_near(s.carbon_rate_kg_per_day, s.previous_carbon_rate_kg_per_day);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

START_TEST(test_high_margin_nothing_moves)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 20, -1);
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;

	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 0);
	ck_assert_near(s.after.cost_cny, s.before.cost_cny);
	ck_assert_near(s.saving_cny, 0);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 17, -1);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 1);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

/* One hour in, both gain from moving (B: 11 h left, 44 GPU-hours save
 * 44 * 2.118 = 93.19 against 1.2 * 32 = 38.4); with --max-moves 1 only A,
 * whose gain is larger, moves; with 0 nothing does. */
START_TEST(test_max_moves)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 1 * H, 0.2, -1);
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;

	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 2);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	/* a cap that does not bind: the same plan and objective */
	{
		double obj = s.objective;
		rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 1 * H, 0.2, 2);
		ewc_rebalance_summarize(rb, &s);
		ck_assert_uint_eq(s.moves, 2);
		ck_assert_near(s.objective, obj);
		ck_assert_int_eq(s.proven, 1);
		ewc_rebalance_free(rb);
		ewc_ctx_free(ctx);
	}

	rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 1 * H, 0.2, 1);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 1);
	ck_assert_int_eq(job_of(rb, "A").moved, 1);
	ck_assert_int_eq(job_of(rb, "B").moved, 0);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 1 * H, 0, 0);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 0);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	/* room west for one job only: A takes it (west1 has 4 A100 free) */
	rb = rebalance(db, &ctx, regions(10, 0, 4), NOW + 1 * H, 0.2, -1);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 1);
	ck_assert_int_eq(job_of(rb, "A").moved, 1);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

typedef struct runs_seen {
	int n;
	char line[8][96];
} runs_seen;

static int take_run(void *user, const ewc_db_run *r)
{
	runs_seen *s = user;
	if (s->n < 8)
		snprintf(s->line[s->n++], sizeof s->line[0], "%lld %s %.10s %ld", r->id, r->kind,
		         r->at, r->moves);
	return 0;
}

/* Three nights after the plan.
 * Night 1 (+10 h, east at 10): A moves west, as above.
 * Night 2 (+34 h, east back at 5, 4 east GPUs free: B still holds its 4,
 * past its 12 h and left out): A has 90 - 24 = 66 h left, 264 GPU-hours.
 * Stay west: 264 * 8.156 = 2153.184. Back east: 264 * 5.274 + 100 GB * 0.1
 * + 1.2 * (200 GB * 0.1 + 4 * 5) = 1392.336 + 10 + 48 = 1450.336: it moves.
 * Night 3 (+58 h, the same prices): A is where it is cheapest; no move. */
START_TEST(test_three_nights)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb;
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;
	runs_seen seen = { 0 };
	long long run = 0;


	rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 0.2, -1);
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "night1", &run), 0);
	ck_assert_int_eq(run, 2);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	rb = rebalance(db, &ctx, regions(5, 4, 12), NOW + 34 * H, 0.2, -1);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.jobs, 1);
	ck_assert_uint_eq(s.skipped, 1);
	{
		const char *job, *why;
		ck_assert_int_eq(ewc_rebalance_skipped(rb, 0, &job, &why), 0);
		ck_assert_str_eq(job, "B");
		ck_assert_ptr_nonnull(strstr(why, "past its planned 12 h"));
	}
	ck_assert_uint_eq(s.moves, 1);
	{
		ewc_move a = job_of(rb, "A");
		ck_assert_str_eq(a.from_region, "west1");
		ck_assert_str_eq(a.to_region, "east1");
		ck_assert_near(a.from_hours, 66);
		ck_assert_near(a.migration_cny, 40);
		ck_assert_near(a.cost_stay_cny, 264 * 8.144);
		ck_assert_near(a.cost_to_cny, 264 * 5.25 + 10);
	}
	ck_assert_near(s.objective, 1450.336);
	ck_assert_int_eq(s.previous_run, 2);
	ck_assert_str_eq(s.previous_kind, "rebalance");
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "night2", &run), 0);
	ck_assert_int_eq(run, 3);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	rb = rebalance(db, &ctx, regions(5, 4, 12), NOW + 58 * H, 0.2, -1);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 0);
	ck_assert_near(job_of(rb, "A").from_hours, 42);
	ck_assert_int_eq(s.previous_run, 3);
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "night3", &run), 0);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);

	ck_assert_int_eq(ewc_db_runs(db, 0, take_run, &seen), 0);
	ck_assert_int_eq(seen.n, 4);
	ck_assert_str_eq(seen.line[0], "1 place 2026-11-22 0");
	ck_assert_str_eq(seen.line[1], "2 rebalance 2026-11-22 1");
	ck_assert_str_eq(seen.line[2], "3 rebalance 2026-11-23 1");
	ck_assert_str_eq(seen.line[3], "4 rebalance 2026-11-24 0");
	/* the newest two only, oldest first */
	seen.n = 0;
	ck_assert_int_eq(ewc_db_runs(db, 2, take_run, &seen), 0);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_str_eq(seen.line[0], "3 rebalance 2026-11-23 1");
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements WHERE job = 'A' AND "
	                         "region = 'east1' AND hours = 66 AND "
	                         "started_at = '2026-11-23T10:00:00Z'"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM moves"), 2);
	ewc_db_free(db);
}
END_TEST

/* A plan made on a state that changed before it was recorded is refused
 * whole: here B finishes in between. */
START_TEST(test_state_changed)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 0.2, -1);

	ck_assert_int_eq(ewc_db_job_finish(db, "B", NOW + 11 * H), 0);
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "x", NULL), EWC_EINPUT);
	ck_assert_ptr_nonnull(strstr(ewc_errmsg(), "job \"B\" no longer runs"));
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM region_snapshots"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements WHERE job = 'A' AND "
	                         "region = 'east1'"), 1);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

/* The same when a job starts in between (a concurrent place --commit): the
 * moves themselves still hold, the running set does not. */
START_TEST(test_state_grew)
{
	ewc_db *db = night0();
	ewc_ctx *ctx, *c2;
	ewc_rebalance *rb = rebalance(db, &ctx, regions(10, 0, 16), NOW + 10 * H, 0.2, -1);
	ewc_jobs *jobs;
	ewc_plan *plan;

	c2 = t_ctx(T_CATALOG, regions(10, 8, 16));
	jobs = t_jobs(c2, "id,kind,gpu_type,gpus,hours,origin\nC,train,A100,2,5,city\n");
	ck_assert_int_eq(ewc_place(&plan, c2, jobs, NULL), 0);
	ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW + 10.5 * H, "c.xml", NULL), 0);
	ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "x", NULL), EWC_EINPUT);
	{
		char want[512];
		snprintf(want, sizeof want, "%s: job \"C\" started running after the rebalancing was "
		         "planned: the state changed; nothing written (plan it again)", t_path);
		ck_assert_str_eq(ewc_errmsg(), want);
	}
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM runs"), 2);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM moves"), 0);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(c2);
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

/* A job whose GPU type left the catalog is left out, not an error; a job
 * whose region is gone must move. */
START_TEST(test_regions_changed)
{
	ewc_db *db = night0();
	ewc_ctx *ctx;
	ewc_rebalance *rb;
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;
	static const char west_only[] =
		"<regions>\n"
		"  <region id=\"west1\" zone=\"west\">\n"
		"    <power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>\n"
		"    <gpu type=\"A100\" free=\"16\" price=\"8\"/>\n"
		"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0.05\"/>\n"
		"  </region>\n"
		"</regions>\n";

	rb = rebalance(db, &ctx, west_only, NOW + 1 * H, 0.2, -1);
	ewc_rebalance_summarize(rb, &s);
	ck_assert_uint_eq(s.moves, 2);
	ck_assert_near(s.before.cost_cny, 0); /* staying is not possible */
	ck_assert_uint_eq(s.before.placed, 0);
	ck_assert_str_eq(job_of(rb, "B").to_region, "west1");
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
}
END_TEST

/* A schema 1 database (as ewc 0.1.0 before rebalancing wrote it) is
 * migrated forward on open, its rows kept. */
START_TEST(test_migrate_v1)
{
	sqlite3 *h = NULL;
	ewc_db *db = NULL;
	FILE *f;
	char *sql;
	long n;
	char file[512];

	snprintf(file, sizeof file, "%s/tests/data/state-v1.sql", getenv("top_srcdir")
	         ? getenv("top_srcdir") : ".");
	f = fopen(file, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", file);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = calloc((size_t)n + 1, 1);
	ck_assert_int_eq(fread(sql, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_int_eq(sqlite3_open(t_path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(sql);
	ck_assert_int_eq(t_sql_int(t_path, "PRAGMA user_version"), 1);

	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	ck_assert_int_eq(t_sql_int(t_path, "PRAGMA user_version"), 5);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM placements"), 1);
	/* version 5: a job's earliest hour, and what its hours count from */
	ck_assert_int_eq(t_sql_int(t_path, "SELECT count(*) FROM jobs WHERE earliest_h = 0 AND "
	                                   "window_from IS NULL"), 1);
	ck_assert_int_eq(t_sql_int(t_path, "SELECT migration_cny + moves FROM runs"), 0);
	{
		runs_seen seen = { 0 };
		ck_assert_int_eq(ewc_db_runs(db, 0, take_run, &seen), 0);
		ck_assert_int_eq(seen.n, 1);
		ck_assert_str_eq(seen.line[0], "1 place 2026-11-20 0");
	}
	/* and it rebalances like any other */
	{
		ewc_ctx *ctx;
		ewc_rebalance *rb = rebalance(db, &ctx, regions(10, 0, 16), NOW, 0.2, -1);
		ck_assert_uint_eq(ewc_rebalance_count(rb), 1);
		ck_assert_int_eq(ewc_db_commit_rebalance(db, rb, "x", NULL), 0);
		ewc_rebalance_free(rb);
		ewc_ctx_free(ctx);
	}
	ewc_db_free(db);
}
END_TEST

/* Over a horizon: plans committed in turn (the ledger read before each),
 * one job finished early, then a rebalancing over the horizon committed.
 * Read back from the database with SQLite: no pool holds more than its 8
 * GPUs in any hour from then on, no job not started yet starts before its
 * window or ends after it, and the rebalancing places at least the
 * priority and costs no more than everyone keeping their place. */
static unsigned long tr_state;
static unsigned tr_rnd(unsigned n)
{
	tr_state = tr_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((tr_state >> 33) % n);
}

#define TR_REGIONS \
	"<regions as-of=\"2026-12-06T00:00:00Z\">\n" \
	"  <region id=\"gd\" zone=\"east\">\n" \
	"    <power price=\"1.0\" green-share=\"0\" grid-factor=\"0.5\" pue=\"1.25\"/>\n" \
	"    <tariff peak=\"10-12,14-19\" valley=\"0-8\" peak-ratio=\"1.7\"" \
	" valley-ratio=\"0.38\" tz=\"+08:00\"/>\n" \
	"    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n" \
	"    <link site=\"city\" latency-ms=\"5\" price-per-gb=\"0\"/>\n" \
	"  </region>\n" \
	"  <region id=\"nm\" zone=\"west\">\n" \
	"    <power price=\"0.5\" green-share=\"0.3\" grid-factor=\"0.7\" pue=\"1.2\"/>\n" \
	"    <tariff peak=\"17-22\" valley=\"23-7\" peak-ratio=\"1.5\"" \
	" valley-ratio=\"0.45\" tz=\"+08:00\"/>\n" \
	"    <gpu type=\"A100\" free=\"8\" price=\"9.5\"/>\n" \
	"    <link site=\"city\" latency-ms=\"40\" price-per-gb=\"0\"/>\n" \
	"  </region>\n" \
	"</regions>\n"

/* The same, gd's free GPUs given as an hourly series (the same 8 in every
 * hour): the series is the slot's count as given, so what the ledger
 * takes and what a rebalancing gives back count against it as against the
 * free count. */
static const char *tr_regions(int series)
{
	static char buf[4096];
	char hours[512];
	size_t u = 0;

	if (!series)
		return TR_REGIONS;
	for (int h = 0; h < 120; h++)
		u += (size_t)snprintf(hours + u, sizeof hours - u, "%s8", h ? " " : "");
	snprintf(buf, sizeof buf,
	         "<regions as-of=\"2026-12-06T00:00:00Z\">\n"
	         "  <region id=\"gd\" zone=\"east\">\n"
	         "    <power price=\"1.0\" green-share=\"0\" grid-factor=\"0.5\" pue=\"1.25\"/>\n"
	         "    <tariff peak=\"10-12,14-19\" valley=\"0-8\" peak-ratio=\"1.7\""
	         " valley-ratio=\"0.38\" tz=\"+08:00\"/>\n"
	         "    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n"
	         "    <link site=\"city\" latency-ms=\"5\" price-per-gb=\"0\"/>\n"
	         "    <hourly start=\"2026-12-06T00:00:00Z\"><free type=\"A100\">%s</free></hourly>\n"
	         "  </region>\n"
	         "  <region id=\"nm\" zone=\"west\">\n"
	         "    <power price=\"0.5\" green-share=\"0.3\" grid-factor=\"0.7\" pue=\"1.2\"/>\n"
	         "    <tariff peak=\"17-22\" valley=\"23-7\" peak-ratio=\"1.5\""
	         " valley-ratio=\"0.45\" tz=\"+08:00\"/>\n"
	         "    <gpu type=\"A100\" free=\"8\" price=\"9.5\"/>\n"
	         "    <link site=\"city\" latency-ms=\"40\" price-per-gb=\"0\"/>\n"
	         "  </region>\n"
	         "</regions>\n", hours);
	return buf;
}

START_TEST(test_over_a_horizon_never_overbooks)
{
	const double t0 = 1796601600.0; /* 2026-12-07T00:00:00Z */
	const double now = t0 + 3 * 3600.0;
	ewc_ctx *ctx = t_ctx(T_CATALOG, tr_regions(_i >= 40)), *fresh;
	ewc_db *db = NULL;
	ewc_rebalance *rb = NULL;
	ewc_rebalance_options ro = EWC_REBALANCE_OPTIONS_INIT;
	ewc_rebalance_summary sum = EWC_REBALANCE_SUMMARY_INIT;
	char sql[2048], ids[16][16];
	size_t nids = 0;

	tr_state = 0x5eed + (unsigned long)_i * 7919;
	ck_assert_int_eq(ewc_db_open(&db, t_path), 0);
	for (int batch = 0; batch < 3; batch++) {
		char csv[2048];
		size_t len = (size_t)snprintf(csv, sizeof csv,
		                              "id,kind,gpu_type,gpus,hours,origin,earliest_h,"
		                              "deadline_h,priority\n");
		ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
		ewc_plan *plan = NULL;
		ewc_jobs *jobs;
		for (int k = 0; k < 4; k++) {
			unsigned h = 1 + tr_rnd(6), e = tr_rnd(10);
			char dl[16] = "";
			if (tr_rnd(2))
				snprintf(dl, sizeof dl, "%u", e + h + tr_rnd(14));
			snprintf(ids[nids], sizeof ids[nids], "b%dj%d", batch, k);
			len += (size_t)snprintf(csv + len, sizeof csv - len,
			                        "%s,train,A100,%u,%u,city,%u,%s,%u\n", ids[nids++],
			                        1 + tr_rnd(8), h, e, dl, 1 + tr_rnd(3));
		}
		jobs = t_jobs(ctx, csv);
		ck_assert_int_eq(ewc_db_ledger(db, ctx, NULL), 0);
		o.horizon_h = 24;
		o.start_time = t0;
		ck_assert_msg(ewc_place(&plan, ctx, jobs, &o) == 0, "%s", ewc_errmsg());
		ck_assert_msg(ewc_db_commit_plan(db, plan, t0, "t", NULL) == 0, "batch %d: %s", batch,
		              ewc_errmsg());
		ewc_plan_free(plan);
		ewc_jobs_free(jobs);
	}
	/* one job ends early (finished, whether it ran or not); a job its
	 * batch left out is not recorded */
	{
		int rc = ewc_db_job_finish(db, ids[tr_rnd((unsigned)nids)], now);
		ck_assert_msg(rc == 0 || rc == EWC_ENOTFOUND, "%d: %s", rc, ewc_errmsg());
	}
	/* the nightly run reads the figures as given, as `ewc rebalance` does */
	fresh = t_ctx(T_CATALOG, tr_regions(_i >= 40));
	ro.place.horizon_h = 24;
	ro.margin = 0;
	/* the operator marks the jobs past their hours finished first: until
	 * then they hold their GPUs, and the plans after them may not fit */
	ck_assert_msg(ewc_rebalance_plan(&rb, fresh, db, now, &ro) == 0, "%s", ewc_errmsg());
	for (size_t i = 0; i < ewc_rebalance_skipped_count(rb); i++) {
		const char *job, *why;
		ck_assert_int_eq(ewc_rebalance_skipped(rb, i, &job, &why), 0);
		ck_assert_msg(strncmp(why, "past its planned", 16) == 0, "%s: %s", job, why);
		ck_assert_int_eq(ewc_db_job_finish(db, job, now), 0);
	}
	ewc_rebalance_free(rb);
	ck_assert_msg(ewc_rebalance_plan(&rb, fresh, db, now, &ro) == 0, "%s", ewc_errmsg());
	ck_assert_int_eq(ewc_rebalance_summarize(rb, &sum), 0);
	ck_assert_uint_eq(sum.skipped, 0);
	ck_assert_uint_eq(sum.after.unplaced, sum.before.unplaced);
	ck_assert_msg(sum.after.objective <= sum.before.objective + 1e-6, "%g > %g",
	              sum.after.objective, sum.before.objective);
	ck_assert_msg(ewc_db_commit_rebalance(db, rb, "t", NULL) == 0, "%s", ewc_errmsg());
	ewc_rebalance_free(rb);
	ewc_db_free(db);
	/* every hour from now: what the unfinished placements hold, per pool */
	snprintf(sql, sizeof sql,
	         "WITH RECURSIVE hrs(t) AS (SELECT %.0f UNION ALL SELECT t + 3600 FROM hrs "
	         "WHERE t < %.0f) SELECT coalesce(max(u), 0) FROM (SELECT sum(p.gpus) AS u "
	         "FROM hrs h, placements p JOIN jobs j ON j.id = p.job "
	         "WHERE j.finished_at IS NULL AND CAST(strftime('%%s', p.started_at) AS REAL) < "
	         "h.t + 3600 AND CAST(strftime('%%s', p.started_at) AS REAL) + 3600 * p.hours > "
	         "h.t GROUP BY h.t, p.region, p.gpu_type)", now, now + 72 * 3600.0);
	ck_assert_int_le(t_sql_int(t_path, sql), 8);
	ck_assert_int_ge(t_sql_int(t_path, "SELECT count(*) FROM placements"), 1);
	/* the windows: from its earliest hour (and not before now, unless it
	 * had started), to its deadline */
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM placements p JOIN jobs j ON j.id = p.job "
	         "WHERE j.finished_at IS NULL AND (CAST(strftime('%%s', p.started_at) AS REAL) < "
	         "CAST(strftime('%%s', j.window_from) AS REAL) + 3600 * j.earliest_h - 1 OR "
	         "(j.deadline_h IS NOT NULL AND CAST(strftime('%%s', p.started_at) AS REAL) + "
	         "3600 * p.hours > CAST(strftime('%%s', j.window_from) AS REAL) + "
	         "3600 * j.deadline_h + 1))");
	ck_assert_int_eq(t_sql_int(t_path, sql), 0);
	ewc_ctx_free(fresh);
	ewc_ctx_free(ctx);
}
END_TEST

/* The move cap at scale (priced into the objective, from the free plan,
 * staying the plan to beat) against the direct model proven at gap 0, on
 * random running sets that all gain from moving west: the cap holds, the
 * lower bound never passes the proven optimum, a plan called proven is
 * optimal within its gap, and most plans are the optimum. */
static ewc_rebalance *mm_run(ewc_db *db, const char *xml, long max_moves, int direct,
                             ewc_ctx **ctx)
{
	ewc_rebalance_options o = EWC_REBALANCE_OPTIONS_INIT;
	ewc_rebalance *rb = NULL;

	o.margin = 0.2;
	o.max_moves = max_moves;
	o.place.solver = direct ? EWC_SOLVER_DIRECT : EWC_SOLVER_DECOMPOSE;
	o.place.mip_gap = direct ? 0 : 1e-4;
	o.place.time_limit = direct ? 60 : 0.5;
	*ctx = t_ctx(T_CATALOG, xml);
	ck_assert_msg(ewc_rebalance_plan(&rb, *ctx, db, NOW + 1 * H, &o) == 0, "%s", ewc_errmsg());
	return rb;
}

START_TEST(test_max_moves_priced_match_direct)
{
	int binding = 0, optimal = 0;

	t_rng_state = 0x5eed + (unsigned long)_i * 104729;
	for (int round = 0; round < 12; round++) {
		char csv[2048], path[160], west[2048];
		size_t u = (size_t)snprintf(csv, sizeof csv, "%s",
		                            "id,kind,gpu_type,gpus,hours,origin,data_gb,checkpoint_gb\n");
		int n = 4 + (int)t_rnd(9);
		ewc_ctx *ctx = t_ctx(T_CATALOG, regions(5, 64, 16)), *cd, *cx;
		ewc_jobs *jobs;
		ewc_plan *plan = NULL;
		ewc_db *db = NULL;
		ewc_rebalance *free_rb, *rd, *rx;
		ewc_rebalance_summary sf = EWC_REBALANCE_SUMMARY_INIT, sd = EWC_REBALANCE_SUMMARY_INIT,
		                      sx = EWC_REBALANCE_SUMMARY_INIT;
		long cap;

		for (int j = 0; j < n; j++)
			u += (size_t)snprintf(csv + u, sizeof csv - u, "j%d,train,A100,%u,%u,city,%u,%u\n",
			                      j, 1 + t_rnd(4), 20 + 10 * t_rnd(20), 10 * t_rnd(11),
			                      20 * t_rnd(11));
		/* night 0: all east, where power is cheap */
		jobs = t_jobs(ctx, csv);
		ck_assert_int_eq(ewc_place(&plan, ctx, jobs, NULL), 0);
		snprintf(path, sizeof path, "%s/mm%d.db", t_dir, round);
		ck_assert_int_eq(ewc_db_open(&db, path), 0);
		ck_assert_int_eq(ewc_db_commit_plan(db, plan, NOW, "night0.xml", NULL), 0);
		ewc_plan_free(plan);
		ewc_jobs_free(jobs);
		ewc_ctx_free(ctx);
		/* an hour later east is dear and the west has room for some */
		snprintf(west, sizeof west, "%s", regions(10, 0, 4 + (int)t_rnd(30)));
		free_rb = mm_run(db, west, -1, 1, &cd);
		ewc_rebalance_summarize(free_rb, &sf);
		ewc_rebalance_free(free_rb);
		ewc_ctx_free(cd);
		if (sf.moves < 2) {
			ewc_db_free(db);
			continue;
		}
		cap = 1 + (long)t_rnd((unsigned)sf.moves - 1);
		binding++;
		rd = mm_run(db, west, cap, 1, &cd);
		rx = mm_run(db, west, cap, 0, &cx);
		ewc_rebalance_summarize(rd, &sd);
		ewc_rebalance_summarize(rx, &sx);
		{
			double tol = 1e-6 * fmax(1, fabs(sd.objective));
			ck_assert_int_eq(sd.proven, 1);
			ck_assert_uint_le(sx.moves, (size_t)cap);
			ck_assert_uint_eq(sx.jobs, sd.jobs);
			ck_assert_msg(sx.lower_bound <= sd.objective + tol, "round %d: bound %.9g > %.9g",
			              round, sx.lower_bound, sd.objective);
			ck_assert_double_ge(sx.objective, sd.objective - tol);
			if (sx.proven)
				ck_assert_double_le(sx.objective,
				                    sd.objective + 1e-4 * fmax(1, fabs(sx.objective)) + tol);
			optimal += sx.objective <= sd.objective + tol;
		}
		ewc_rebalance_free(rd);
		ewc_rebalance_free(rx);
		ewc_ctx_free(cd);
		ewc_ctx_free(cx);
		ewc_db_free(db);
	}
	ck_assert_int_ge(binding, 4);
	ck_assert_msg(optimal * 4 >= binding * 3, "optimal on %d of %d", optimal, binding);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rebalance");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, t_db_setup, t_db_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_moves_by_hand);
	tcase_add_test(tc, test_nothing_changed);
	tcase_add_test(tc, test_service_moves_to_faster_type);
	tcase_add_test(tc, test_high_margin_nothing_moves);
	tcase_add_test(tc, test_max_moves);
	tcase_add_loop_test(tc, test_max_moves_priced_match_direct, 0, 3);
	tcase_add_test(tc, test_three_nights);
	tcase_add_test(tc, test_state_changed);
	tcase_add_test(tc, test_state_grew);
	tcase_add_loop_test(tc, test_over_a_horizon_never_overbooks, 0, 60);
	tcase_add_test(tc, test_regions_changed);
	tcase_add_test(tc, test_migrate_v1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
