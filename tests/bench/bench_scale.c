/* bench_scale.c - time, memory and plan quality of ewc_place() on one instance */
/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ewc.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int usage(void)
{
	fputs("usage: bench_scale REGIONS JOBS [RUNS [SOLVER [GAP [TIME_LIMIT]]]]\n"
	      "  SOLVER auto, direct or decompose (auto); GAP 1e-4; TIME_LIMIT 60 s.\n"
	      "  Prints one line: the median time of ewc_place() over RUNS runs (5),\n"
	      "  the load time, peak RSS, and the plan's objective, bound and gap.\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_ctx *ctx = NULL;
	ewc_jobs *jobs = NULL;
	ewc_totals t = EWC_TOTALS_INIT;
	struct rusage ru;
	int runs = 5, rc = 1, proven = 0;
	double t0, load, *times;
	const char *solver = "auto";

	if (argc < 3 || argc > 7)
		return usage();
	if (argc > 3)
		runs = atoi(argv[3]);
	if (argc > 4)
		solver = argv[4];
	if (argc > 5)
		o.mip_gap = atof(argv[5]);
	if (argc > 6)
		o.time_limit = atof(argv[6]);
	if (runs < 1 || runs > 1000)
		return usage();
	if (!strcmp(solver, "direct"))
		o.solver = EWC_SOLVER_DIRECT;
	else if (!strcmp(solver, "decompose"))
		o.solver = EWC_SOLVER_DECOMPOSE;
	else if (strcmp(solver, "auto"))
		return usage();
	times = malloc((size_t)runs * sizeof *times);
	if (!times)
		return 1;

	t0 = now_s();
	const char *paths[1] = { argv[1] };
	if (ewc_ctx_new(&ctx) != 0 || ewc_ctx_load_regions(ctx, paths, 1, NULL, 0) != 0 ||
	    ewc_jobs_new(&jobs, ctx) != 0 || ewc_jobs_load_csv(jobs, argv[2]) != 0) {
		fprintf(stderr, "bench_scale: %s\n", ewc_errmsg());
		goto out;
	}
	load = now_s() - t0;
	for (int r = 0; r < runs; r++) {
		ewc_plan *plan = NULL;
		t0 = now_s();
		if (ewc_place(&plan, ctx, jobs, &o) != 0) {
			fprintf(stderr, "bench_scale: %s\n", ewc_errmsg());
			goto out;
		}
		times[r] = now_s() - t0;
		ewc_plan_totals(plan, &t);
		proven = ewc_plan_proven(plan);
		ewc_plan_free(plan);
	}
	qsort(times, (size_t)runs, sizeof *times, cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("jobs %zu  solver %s  gap-target %g  place median %.3f s (min %.3f, max %.3f, "
	       "%d runs)  load %.3f s  peak RSS %.0f MB  objective %.2f  bound %.2f  gap %.5f%%  "
	       "placed %zu (priority %g)  unplaced %zu  proven %d\n",
	       ewc_jobs_count(jobs), solver, o.mip_gap, times[runs / 2], times[0], times[runs - 1],
	       runs, load, (double)ru.ru_maxrss / 1024.0, t.objective, t.lower_bound,
	       100.0 * t.gap, t.placed, t.priority_placed, t.unplaced, proven);
	rc = 0;
out:
	free(times);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return rc;
}
