/* bench_place_one.c - latency of ewc_place_one() on the shipped hubs */
/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ewc.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Time `calls` calls, cycling through the example jobs; print median/p99. */
static int run(ewc_ctx *ctx, ewc_jobs *jobs, unsigned flags, size_t calls, const char *label)
{
	double *t = malloc(calls * sizeof *t);
	size_t n = ewc_jobs_count(jobs), placed = 0;
	double sum = 0;

	if (!t)
		return 1;
	for (size_t i = 0; i < calls; i++) {
		ewc_job j = EWC_JOB_INIT;
		ewc_placement p = EWC_PLACEMENT_INIT;
		ewc_jobs_get(jobs, i % n, &j);
		double t0 = now_ns();
		if (ewc_place_one(ctx, &j, NULL, flags, &p) != 0) {
			fprintf(stderr, "bench: %s\n", ewc_errmsg());
			free(t);
			return 1;
		}
		if (p.reservation)
			ewc_release(ctx, p.reservation);
		t[i] = (now_ns() - t0) / 1000.0;
		placed += p.placed;
		sum += t[i];
	}
	qsort(t, calls, sizeof *t, cmp_double);
	printf("%-28s calls %zu  placed %zu  median %.2f us  p99 %.2f us  max %.2f us  mean %.2f us\n",
	       label, calls, placed, t[calls / 2], t[(size_t)(calls * 0.99)], t[calls - 1],
	       sum / (double)calls);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *regions = argc > 1 ? argv[1] : "regions";
	const char *jobs_csv = argc > 2 ? argv[2] : "examples/jobs.csv";
	size_t calls = argc > 3 ? strtoul(argv[3], NULL, 10) : 200000;
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	int rc;

	if (ewc_ctx_new(&ctx) || ewc_ctx_load_regions(ctx, &regions, 1, NULL, 0) ||
	    ewc_jobs_new(&jobs, ctx) || ewc_jobs_load_csv(jobs, jobs_csv)) {
		fprintf(stderr, "bench: %s\n", ewc_errmsg());
		return 1;
	}
	printf("ewc_place_one on %zu regions, %zu example jobs (%s)\n", ewc_region_count(ctx),
	       ewc_jobs_count(jobs), jobs_csv);
	run(ctx, jobs, 0, calls / 10, "warm-up");
	rc = run(ctx, jobs, 0, calls, "place one");
	rc |= run(ctx, jobs, EWC_RESERVE, calls, "place one + reserve/release");
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return rc;
}
