/* check_sched.c - live capacity: place one, reserve, release, commit, threads */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>

#include "testutil.h"

#define HEADER T_HEADER

static ewc_job job_T(void)
{
	/* the job of check_place's hand-computed plan: west1 A100, 6565.2 CNY */
	ewc_job j = EWC_JOB_INIT;
	j.id = "T";
	j.gpu_type = "A100|X2";
	j.gpus = 8;
	j.hours = 100;
	j.origin = "city";
	j.data_gb = 1000;
	return j;
}

START_TEST(test_place_one_exact)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_job j = job_T();
	ewc_placement p = EWC_PLACEMENT_INIT;
	long free_gpus;

	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, 0, &p), 0);
	ck_assert_int_eq(p.placed, 1);
	ck_assert_str_eq(p.region, "west1");
	ck_assert_str_eq(p.gpu_type, "A100");
	ck_assert_near(p.cost_cny, 6565.2);
	ck_assert_near(p.carbon_kg, 96);
	ck_assert_near(p.objective, 6574.8);
	ck_assert_near(p.latency_ms, 20);
	ck_assert(p.reservation == 0);
	/* without EWC_RESERVE nothing is taken */
	ewc_ctx_available(ctx, "west1", "A100", &free_gpus);
	ck_assert_int_eq(free_gpus, 16);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_reserve_release)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_job j = job_T();
	ewc_placement a = EWC_PLACEMENT_INIT, b = EWC_PLACEMENT_INIT, c = EWC_PLACEMENT_INIT;
	long f;

	/* west1 has 16 A100: two reservations of 8 fill it, the third goes to
	 * east1 (8 A100), a fourth finds nothing */
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, EWC_RESERVE, &a), 0);
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, EWC_RESERVE, &b), 0);
	ck_assert_str_eq(a.region, "west1");
	ck_assert_str_eq(b.region, "west1");
	ewc_ctx_available(ctx, "west1", "A100", &f);
	ck_assert_int_eq(f, 0);
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, EWC_RESERVE, &c), 0);
	ck_assert_str_eq(c.region, "east1");
	ck_assert_near(c.cost_cny, 8300);
	ck_assert_uint_eq(ewc_ctx_reservations(ctx), 3);
	{
		ewc_placement d = EWC_PLACEMENT_INIT;
		ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, EWC_RESERVE, &d), 0);
		ck_assert_int_eq(d.placed, 0);
		ck_assert_str_eq(d.reason, "capacity: no eligible region has 8 free A100 or X2 "
		                           "(most: 4 X2 in west1)");
		ck_assert(d.reservation == 0);
	}
	ck_assert_int_eq(ewc_release(ctx, a.reservation), 0);
	ck_assert_int_eq(ewc_release(ctx, a.reservation), EWC_ENOTFOUND);
	ck_assert_int_eq(ewc_release(ctx, 0), EWC_ENOTFOUND);
	ck_assert_int_eq(ewc_release(ctx, b.reservation), 0);
	ck_assert_int_eq(ewc_release(ctx, c.reservation), 0);
	ewc_ctx_available(ctx, "west1", "A100", &f);
	ck_assert_int_eq(f, 16);
	ewc_ctx_available(ctx, "east1", "A100", &f);
	ck_assert_int_eq(f, 8);
	ck_assert_uint_eq(ewc_ctx_reservations(ctx), 0);
	/* a reused slot gets a new id: the old one stays dead */
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, EWC_RESERVE, &b), 0);
	ck_assert(b.reservation != a.reservation);
	ck_assert_int_eq(ewc_release(ctx, a.reservation), EWC_ENOTFOUND);
	ck_assert_int_eq(ewc_release(ctx, b.reservation), 0);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_updates_change_answers)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_job j = job_T();
	ewc_placement p = EWC_PLACEMENT_INIT;
	long f;

	/* with west1's A100 gone and X2 grown to 8, T runs on X2 for 50 h:
	 * 400 GPU-h * 14 + 384 kWh * 0.3 + 50 = 5765.2 CNY */
	ck_assert_int_eq(ewc_ctx_set_available(ctx, "west1", "A100", 0), 0);
	ck_assert_int_eq(ewc_ctx_set_available(ctx, "west1", "X2", 8), 0);
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, 0, &p), 0);
	ck_assert_str_eq(p.gpu_type, "X2");
	ck_assert_near(p.hours, 50);
	ck_assert_near(p.cost_cny, 5765.2);
	/* power at 20 CNY/kWh in west1 makes east1 cheaper (8300) */
	ck_assert_int_eq(ewc_ctx_set_power(ctx, "west1", 20, NAN), 0);
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, 0, &p), 0);
	ck_assert_str_eq(p.region, "east1");
	ck_assert_int_eq(ewc_ctx_set_available(ctx, "west1", "H100", 1), EWC_ENOTFOUND);
	ck_assert_str_eq(ewc_errmsg(), "region \"west1\" has no GPU type \"H100\"");
	ck_assert_int_eq(ewc_ctx_set_available(ctx, "mars", "A100", 1), EWC_ENOTFOUND);
	ck_assert_int_eq(ewc_ctx_set_available(ctx, "west1", "A100", -1), EWC_EINVAL);
	ck_assert_int_eq(ewc_ctx_set_power(ctx, "west1", NAN, 1.5), EWC_EINVAL);
	ck_assert_int_eq(ewc_ctx_available(ctx, "west1", "X2", &f), 0);
	ck_assert_int_eq(f, 8);
	/* a bad job is an input error, named */
	j.gpus = 0;
	ck_assert_int_eq(ewc_place_one(ctx, &j, NULL, 0, &p), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(), "job \"T\": gpus: must be an integer > 0, got 0");
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_commit_all_or_nothing)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER
		"T,train,A100|X2,8,100,city,,1000,,,\n"
		"I,infer,A100,4,10,city,5,,,,\n"
		"BIG,train,A100,64,10,city,,,,,\n");
	ewc_plan *plan, *plan2, *plan3;
	unsigned long long ids[3];
	long f;

	/* three plans of one list, made while everything is free */
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, NULL), 0);
	ck_assert_int_eq(ewc_place(&plan2, ctx, jobs, NULL), 0);
	ck_assert_int_eq(ewc_place(&plan3, ctx, jobs, NULL), 0);
	ck_assert_int_eq(ewc_plan_commit(plan, ids), 0);
	ck_assert(ids[0] != 0 && ids[1] != 0);
	ck_assert(ids[2] == 0); /* BIG is unplaced */
	ck_assert_uint_eq(ewc_ctx_reservations(ctx), 2);
	ewc_ctx_available(ctx, "west1", "A100", &f);
	ck_assert_int_eq(f, 8);
	ewc_ctx_available(ctx, "east1", "A100", &f);
	ck_assert_int_eq(f, 4);
	/* the same plan again: said so, nothing reserved */
	ck_assert_int_eq(ewc_plan_commit(plan, NULL), EWC_EALREADY);
	ck_assert_str_eq(ewc_errmsg(), "ewc_plan_commit: this plan is committed already (its "
	                               "reservations hold); release them or make a new plan");
	ck_assert_uint_eq(ewc_ctx_reservations(ctx), 2);
	/* the second plan: east1 has 4 left and it needs 4, west1 has 8 and
	 * it needs 8, so it fits; the third cannot */
	ck_assert_int_eq(ewc_plan_commit(plan2, NULL), 0);
	ck_assert_int_eq(ewc_plan_commit(plan3, NULL), EWC_ECAPACITY);
	ck_assert_str_eq(ewc_errmsg(), "capacity changed since the plan was made: east1 has 0 "
	                                  "free A100, the plan needs 4");
	ewc_ctx_available(ctx, "west1", "A100", &f);
	ck_assert_int_eq(f, 0); /* nothing of the failed commit was applied */
	ck_assert_uint_eq(ewc_ctx_reservations(ctx), 4);
	ck_assert_int_eq(ewc_release(ctx, ids[0]), 0);
	ck_assert_int_eq(ewc_release(ctx, ids[1]), 0);
	ewc_plan_free(plan);
	ewc_plan_free(plan2);
	ewc_plan_free(plan3);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_plan_keeps_its_snapshot)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER "T,train,A100|X2,8,100,city,,1000,,,\n");
	ewc_plan *plan;
	ewc_option o = EWC_OPTION_INIT;

	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, NULL), 0);
	ewc_ctx_set_power(ctx, "west1", 20, NAN);
	ewc_ctx_set_available(ctx, "west1", "A100", 0);
	/* the plan's figures are those it was made with */
	ewc_plan_option(plan, 0, 2, &o);
	ck_assert_str_eq(o.region, "west1");
	ck_assert_int_eq(o.chosen, 1);
	ck_assert_near(o.cost_cny, 6565.2);
	ck_assert_int_eq(o.free_gpus, 16);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* 8 threads x 10,000 reserve/release on one context. */
#define THREADS 8
#define ROUNDS 10000

typedef struct worker {
	ewc_ctx *ctx;
	int id;
	long placed;
	long overbooked;
	long errors;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	ewc_job j = EWC_JOB_INIT;
	char id[32];

	snprintf(id, sizeof id, "w%d", w->id);
	j.id = id;
	j.gpu_type = w->id % 2 ? "A100|X2" : "A100";
	j.gpus = 1 + w->id % 4;
	j.hours = 10;
	j.origin = "city";
	for (int i = 0; i < ROUNDS; i++) {
		ewc_placement p = EWC_PLACEMENT_INIT;
		long f = 0;
		if (ewc_place_one(w->ctx, &j, NULL, EWC_RESERVE, &p) != 0) {
			w->errors++;
			continue;
		}
		if (!p.placed)
			continue;
		w->placed++;
		if (ewc_ctx_available(w->ctx, p.region, p.gpu_type, &f) != 0 || f < 0)
			w->overbooked++;
		if (ewc_release(w->ctx, p.reservation) != 0)
			w->errors++;
	}
	return NULL;
}

START_TEST(test_threads_never_overbook)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	pthread_t th[THREADS];
	worker w[THREADS];
	long placed = 0, f;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){ ctx, i, 0, 0, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].overbooked, 0);
		ck_assert_int_eq(w[i].errors, 0);
		placed += w[i].placed;
	}
	/* 28 GPUs for 8 threads of 1-4: almost every call finds room */
	ck_assert_int_gt(placed, THREADS * ROUNDS / 2);
	ewc_ctx_available(ctx, "west1", "A100", &f);
	ck_assert_int_eq(f, 16);
	ewc_ctx_available(ctx, "west1", "X2", &f);
	ck_assert_int_eq(f, 4);
	ewc_ctx_available(ctx, "east1", "A100", &f);
	ck_assert_int_eq(f, 8);
	ck_assert_uint_eq(ewc_ctx_reservations(ctx), 0);
	ewc_ctx_free(ctx);
}
END_TEST

/* Batch solves in several threads at once: GLPK keeps one problem per
 * thread, and each thread's plan must equal the single-thread one. */
static void *solve(void *arg)
{
	ewc_ctx *ctx = arg;
	ewc_jobs *jobs = NULL;
	ewc_plan *plan = NULL;
	ewc_buffer b = tbuf("jobs.csv", HEADER "T,train,A100|X2,8,100,city,,1000,,,\n"
	                                       "I,infer,A100,4,10,city,5,,,,\n");
	ewc_totals t = EWC_TOTALS_INIT;
	double *out = malloc(sizeof *out);

	*out = -1;
	for (int i = 0; i < 20; i++) {
		if (ewc_jobs_new(&jobs, ctx) || ewc_jobs_load_csv_buffer(jobs, &b) ||
		    ewc_place(&plan, ctx, jobs, NULL) || ewc_plan_totals(plan, &t)) {
			*out = -2;
		} else if (*out != -2) {
			*out = t.objective;
		}
		ewc_plan_free(plan);
		ewc_jobs_free(jobs);
		plan = NULL;
		jobs = NULL;
	}
	return out;
}

START_TEST(test_threads_solve)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, solve, ctx), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		ck_assert_near(*(double *)r, 6985.76);
		free(r);
	}
	ewc_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_place_one_exact);
	tcase_add_test(tc, test_reserve_release);
	tcase_add_test(tc, test_updates_change_answers);
	tcase_add_test(tc, test_commit_all_or_nothing);
	tcase_add_test(tc, test_plan_keeps_its_snapshot);
	tcase_add_test(tc, test_threads_never_overbook);
	tcase_add_test(tc, test_threads_solve);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
