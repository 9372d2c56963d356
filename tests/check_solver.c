/* check_solver.c - the solver's searches on hand-made models, below the library */
/* SPDX-License-Identifier: MIT */
/*
 * The library solves whole plans; on small lists GLPK proves them, and
 * the local searches that carry large lists (solver/lns.c) never get a
 * turn. Here they are called directly on models built by hand, so that
 * each can be shown to reach what it is meant to reach.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"

/* Three pools of 4 GPUs, A (0), B (1), C (2); three jobs of 4 GPUs and
 * priority 1: x can use A or B, y B or C, u only A. The plan x on A, y
 * on B leaves u out (priority 2). The most priority (3) moves x to B and
 * y to C, which frees A for u: a chain over three pools. Within A and B
 * (or B and C) alone nothing gains: u needs A, x can leave A only if y
 * leaves B, and y can leave B only for C. */
static const int opt_job[] = { 0, 0, 1, 1, 2 };
static const int opt_pool[] = { 0, 1, 1, 2, 0 };
static const double opt_obj[] = { 1, 1, 1, 1, 1 };
static const long opt_gpus[] = { 4, 4, 4, 4, 4 };
static const double job_priority[] = { 1, 1, 1 };
static const long job_gpus[] = { 4, 4, 4 };

static ewc__mip chain(const long *cap)
{
	ewc__mip m;

	memset(&m, 0, sizeof m);
	m.njobs = 3;
	m.nopts = 5;
	m.npools = 3;
	m.opt_job = opt_job;
	m.opt_pool = opt_pool;
	m.opt_obj = opt_obj;
	m.opt_gpus = opt_gpus;
	m.job_priority = job_priority;
	m.job_gpus = job_gpus;
	m.pool_cap = cap;
	m.mip_gap = 1e-4;
	m.time_limit = 10;
	return m;
}

START_TEST(test_priority_chain_over_three_pools)
{
	static const long cap[] = { 4, 4, 4 };
	ewc__mip m = chain(cap);
	size_t *first = ewc__mip_first(&m);
	int choice[] = { 0, 2, -1 };

	ck_assert_ptr_nonnull(first);
	ck_assert_int_eq(ewc__lns_priority(&m, first, choice, ewc__now_s() + 10), 0);
	/* x on B, y on C, u on A */
	ck_assert_int_eq(choice[0], 1);
	ck_assert_int_eq(choice[1], 3);
	ck_assert_int_eq(choice[2], 4);
	free(first);
}
END_TEST

START_TEST(test_priority_chain_without_room_keeps_plan)
{
	/* C has no room: the chain cannot close, the plan stays as it was */
	static const long cap[] = { 4, 4, 0 };
	ewc__mip m = chain(cap);
	size_t *first = ewc__mip_first(&m);
	int choice[] = { 0, 2, -1 };

	ck_assert_ptr_nonnull(first);
	ck_assert_int_eq(ewc__lns_priority(&m, first, choice, ewc__now_s() + 10), 0);
	ck_assert_int_eq(choice[0], 0);
	ck_assert_int_eq(choice[1], 2);
	ck_assert_int_eq(choice[2], -1);
	free(first);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("solver");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_priority_chain_over_three_pools);
	tcase_add_test(tc, test_priority_chain_without_room_keeps_plan);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
