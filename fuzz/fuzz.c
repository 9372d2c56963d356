/* fuzz.c - libFuzzer entry points for every parser of libewc, one program
 * per target (FUZZ_TARGET below, set by Makefile.am):
 *   regions   a region descriptor document (the catalog fixed)
 *   catalog   a GPU catalog document (the regions fixed)
 *   jobs      a jobs CSV on fixed regions
 *   map       an importer's map CSV (a fixed google-cfe file)
 *   cfe, casdk, em, skypilot, ewcxml
 *             each importer's data, through a fixed map
 *   place     the whole pipeline on tiny inputs: a jobs CSV placed on two
 *             regions, the plan written as JSON
 * Build with ./configure CC=clang --enable-fuzzing; run with make fuzz-smoke
 * or by hand (docs/security.md). Without FUZZ_TARGET it is fuzz_regress, a
 * plain program that runs given inputs once (tests/fuzz-regress.sh). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ewc.h"

#define T_REGIONS 1
#define T_CATALOG 2
#define T_JOBS 3
#define T_MAP 4
#define T_CFE 5
#define T_CASDK 6
#define T_EM 7
#define T_SKYPILOT 8
#define T_EWCXML 9
#define T_PLACE 10


static const char catalog[] =
	"<gpus>\n"
	"  <gpu type=\"A100\" watts=\"400\" perf=\"1\"/>\n"
	"  <gpu type=\"H100\" watts=\"700\" perf=\"2\" domestic=\"false\"/>\n"
	"</gpus>\n";

static const char regions[] =
	"<regions>\n"
	"  <region id=\"west\" zone=\"west\">\n"
	"    <power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.8\" pue=\"1.25\"/>\n"
	"    <gpu type=\"A100\" free=\"8\" price=\"8\"/>\n"
	"    <gpu type=\"H100\" free=\"4\" price=\"20\"/>\n"
	"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0.05\" gbps=\"10\"/>\n"
	"  </region>\n"
	"  <region id=\"east\" zone=\"east\">\n"
	"    <power price=\"0.6\" green-share=\"0.2\" grid-factor=\"0.6\" pue=\"1.25\"/>\n"
	"    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n"
	"    <link site=\"city\" latency-ms=\"2\" price-per-gb=\"0.1\"/>\n"
	"  </region>\n"
	"</regions>\n";

/* Every external name the fixtures use, onto the two regions. */
static const char map[] =
	"external,region,green-share\n"
	"asia-east1,west,\nasia-east2,east,\neastus,east,\nwestus,west,\n"
	"CN-NM,west,renewable\nCN-SH,east,fossil-free\nus-east-1,west,\nus-central1,east,\n"
	"us-central1,west,\nwest,west,\neast,east,\n";

static ewc_ctx *fixed;   /* what the inputs are read against: never changed */
static ewc_ctx *scratch; /* where the settings an import makes are tried */

static ewc_ctx *load(const char *cat, size_t catlen, const char *reg, size_t reglen)
{
	ewc_buffer b[2] = { { "gpus.xml", cat, catlen }, { "regions.xml", reg, reglen } };
	ewc_ctx *ctx = NULL;

	if (ewc_ctx_new(&ctx) != 0)
		abort();
	if (ewc_ctx_load_regions(ctx, NULL, 0, b, 2) != 0) {
		ewc_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fixed = load(catalog, sizeof catalog - 1, regions, sizeof regions - 1);
	scratch = load(catalog, sizeof catalog - 1, regions, sizeof regions - 1);
	if (!fixed || !scratch)
		abort(); /* the fixed inputs must load */
	return 0;
}

static void import(const char *format, const ewc_buffer *data, const ewc_buffer *m)
{
	ewc_import_options o = EWC_IMPORT_OPTIONS_INIT;
	ewc_import *im = NULL;
	size_t used, skipped;
	const char *s;

	o.format = format;
	o.currency_rate = 7.2;
	if (ewc_import_read(&im, fixed, data, m, &o) != 0)
		return;
	ewc_import_rows(im, &used, &skipped);
	for (size_t i = 0; (s = ewc_import_setting(im, i)) != NULL; i++)
		if (ewc_ctx_set(scratch, s) != 0) /* every setting made must be one ewc takes */
			abort();
	for (size_t i = 0; ewc_import_skipped(im, i); i++)
		;
	for (size_t i = 0; ewc_import_unchanged(im, i); i++)
		;
	ewc_import_free(im);
}

static void jobs_and_place(const ewc_buffer *in, int place)
{
	ewc_jobs *jobs = NULL;

	if (ewc_jobs_new(&jobs, fixed) != 0)
		abort();
	if (ewc_jobs_load_csv_buffer(jobs, in) == 0 && place && ewc_jobs_count(jobs) <= 8) {
		ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
		ewc_plan *plan = NULL;
		char *json = NULL;
		o.time_limit = 2;
		if (ewc_place(&plan, fixed, jobs, &o) == 0) {
			if (ewc_plan_to_json(plan, 0, &json) != 0)
				abort();
			ewc_free(json);
			ewc_plan_free(plan);
		}
	}
	ewc_jobs_free(jobs);
}

static void one(int target, const char *text, size_t size)
{
	static const char cfe[] =
		"Google Cloud Region,Location,Google CFE,Grid carbon intensity (gCO2eq / kWh)\n"
		"asia-east1,Taiwan,0.17,453\nasia-east2,Hong Kong,0.01,360\n";
	ewc_buffer in = { "input", text, size };
	ewc_buffer m = { "map.csv", map, sizeof map - 1 };
	ewc_buffer d = { "cfe.csv", cfe, sizeof cfe - 1 };

	switch (target) {
	case T_REGIONS: ewc_ctx_free(load(catalog, sizeof catalog - 1, text, size)); break;
	case T_CATALOG: ewc_ctx_free(load(text, size, regions, sizeof regions - 1)); break;
	case T_JOBS: jobs_and_place(&in, 0); break;
	case T_PLACE: jobs_and_place(&in, 1); break;
	case T_MAP: import("google-cfe", &d, &in); break;
	case T_CFE: import("google-cfe", &in, &m); break;
	case T_CASDK: import("casdk", &in, &m); break;
	case T_EM: import("electricitymaps", &in, &m); break;
	case T_SKYPILOT: import("skypilot", &in, &m); break;
	case T_EWCXML:
		import("ewc", &in, NULL);
		import("ewc", &in, &m);
		break;
	default: abort();
	}
}

#ifdef FUZZ_TARGET
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(FUZZ_TARGET, (const char *)data, size);
	return 0;
}
#endif

#ifndef FUZZ_TARGET
/* Without libFuzzer: fuzz_regress TARGET FILE... runs each file once as
 * TARGET's input (the seeds and regression inputs, in make check, under
 * whatever sanitizers the build has). */
#include <stdio.h>

static const char *const names[] = { "", "regions", "catalog", "jobs", "map", "cfe",
                                     "casdk", "em", "skypilot", "ewcxml", "place" };

int main(int argc, char **argv)
{
	int target = 0;

	for (int t = 1; argc > 1 && t <= T_PLACE; t++)
		if (strcmp(argv[1], names[t]) == 0)
			target = t;
	if (!target) {
		fprintf(stderr, "usage: fuzz_regress TARGET FILE...\n");
		return 2;
	}
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char *buf = NULL;
		long n;
		if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
		    fread(buf, 1, (size_t)n, f) != (size_t)n) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			return 2;
		}
		fclose(f);
		one(target, buf, (size_t)n);
		free(buf);
	}
	ewc_ctx_free(fixed);
	ewc_ctx_free(scratch);
	return 0;
}
#endif
