/* testutil.h - small helpers shared by the Check runners */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_TESTUTIL_H
#define EWC_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewc.h"

/* A two-type catalog used by most hand-computed tests. */
#define T_CATALOG \
	"<gpus>\n" \
	"  <gpu type=\"A100\" watts=\"400\" perf=\"1\"/>\n" \
	"  <gpu type=\"X2\" watts=\"800\" perf=\"2\"/>\n" \
	"</gpus>\n"

/* east1: A100 at 10 CNY/h, power 0.5, green 0.2, grid 0.6, PUE 1.25, 2 ms
 * from city at 0.1 CNY/GB. west1: A100 at 8, X2 at 14 (4 free), power 0.3,
 * green 0.5, grid 0.5, PUE 1.2, 20 ms from city at 0.05 CNY/GB. */
#define T_TWO_REGIONS \
	"<regions>\n" \
	"  <region id=\"east1\" zone=\"east\">\n" \
	"    <power price=\"0.5\" green-share=\"0.2\" grid-factor=\"0.6\" pue=\"1.25\"/>\n" \
	"    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n" \
	"    <link site=\"city\" latency-ms=\"2\" price-per-gb=\"0.1\"/>\n" \
	"  </region>\n" \
	"  <region id=\"west1\" zone=\"west\">\n" \
	"    <power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>\n" \
	"    <gpu type=\"A100\" free=\"16\" price=\"8\"/>\n" \
	"    <gpu type=\"X2\" free=\"4\" price=\"14\"/>\n" \
	"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0.05\"/>\n" \
	"  </region>\n" \
	"</regions>\n"

#define T_HEADER "id,kind,gpu_type,gpus,hours,origin,slo_ms,data_gb,priority,pin,avoid\n"

static inline ewc_buffer tbuf(const char *name, const char *text)
{
	ewc_buffer b = { name, text, strlen(text) };
	return b;
}

/* Load a catalog and one regions document; returns the load's code. */
static inline int t_load(ewc_ctx *ctx, const char *catalog, const char *regions)
{
	ewc_buffer b[2] = { tbuf("gpus.xml", catalog), tbuf("t.xml", regions) };
	return ewc_ctx_load_regions(ctx, NULL, 0, b, 2);
}

static inline ewc_ctx *t_ctx(const char *catalog, const char *regions)
{
	ewc_ctx *ctx = NULL;
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	int rc = t_load(ctx, catalog, regions);
	ck_assert_msg(rc == 0, "load failed: %s", ewc_errmsg());
	return ctx;
}

static inline ewc_jobs *t_jobs(ewc_ctx *ctx, const char *csv)
{
	ewc_jobs *jobs = NULL;
	ewc_buffer b = tbuf("jobs.csv", csv);
	ck_assert_int_eq(ewc_jobs_new(&jobs, ctx), 0);
	int rc = ewc_jobs_load_csv_buffer(jobs, &b);
	ck_assert_msg(rc == 0, "jobs failed: %s", ewc_errmsg());
	return jobs;
}

/* A tiny deterministic generator for the random tests: set t_rng_state to
 * a seed, then t_rnd(n) gives 0 .. n - 1. */
static unsigned long t_rng_state;
static inline unsigned t_rnd(unsigned n)
{
	t_rng_state = t_rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((t_rng_state >> 33) % n);
}

/* Relative-or-absolute closeness for money and kg figures. */
#define ck_assert_near(x, y) \
	ck_assert_msg(fabs((double)(x) - (double)(y)) <= 1e-9 * fmax(1.0, fabs((double)(y))), \
	              "%s = %.12g, expected %.12g", #x, (double)(x), (double)(y))

static inline int t_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* EWC_TESTUTIL_H */
