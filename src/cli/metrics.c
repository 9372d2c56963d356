/* metrics.c - `--metrics FILE`: what a placement or a rebalancing did, as an
 * OpenMetrics text file for node_exporter's textfile collector */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Label values are quoted: backslash, quote and newline escaped. */
static void label(FILE *f, const char *name, const char *v, int first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = v ? v : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

static void value(FILE *f, double v)
{
	fprintf(f, " %.17g\n", isfinite(v) ? v : 0.0);
}

/* GPUs in use by region and type, from (region, type, gpus) triples. */
typedef struct pool_use {
	const char *region, *type;
	long gpus;
} pool_use;

static int cmp_pool(const void *a, const void *b)
{
	const pool_use *x = a, *y = b;
	int c = strcmp(x->region, y->region);
	return c ? c : strcmp(x->type, y->type);
}

static void pools(FILE *f, pool_use *u, size_t n)
{
	qsort(u, n, sizeof *u, cmp_pool);
	family(f, "ewc_gpus_used", "gauge", "GPUs the plan uses, by region and GPU type.");
	for (size_t i = 0; i < n;) {
		size_t k = i;
		long sum = 0;
		while (k < n && cmp_pool(&u[i], &u[k]) == 0)
			sum += u[k++].gpus;
		fputs("ewc_gpus_used{", f);
		label(f, "region", u[i].region, 1);
		label(f, "gpu_type", u[i].type, 0);
		fputc('}', f);
		value(f, (double)sum);
		i = k;
	}
}

static void common(FILE *f, const char *run, const ewc_totals *t, const ewc_totals *base,
                   double gap, double seconds, double now)
{
	family(f, "ewc_plan_cost_cny", "gauge", "Cost of the plan in CNY.");
	fprintf(f, "ewc_plan_cost_cny{run=\"%s\"}", run);
	value(f, t->cost_cny);
	/* carbon in grams: Prometheus' base unit of mass */
	family(f, "ewc_plan_carbon_grams", "gauge",
	       "Carbon of the plan in g CO2, market-based and location-based.");
	fprintf(f, "ewc_plan_carbon_grams{run=\"%s\",basis=\"market\"}", run);
	value(f, 1000 * t->carbon_kg);
	fprintf(f, "ewc_plan_carbon_grams{run=\"%s\",basis=\"location\"}", run);
	value(f, 1000 * t->carbon_location_kg);
	family(f, "ewc_saving_vs_near_origin_cny", "gauge",
	       "Cost saved against keeping every job near its origin, in CNY.");
	fprintf(f, "ewc_saving_vs_near_origin_cny{run=\"%s\"}", run);
	value(f, base->cost_cny - t->cost_cny);
	family(f, "ewc_carbon_avoided_vs_near_origin_grams", "gauge",
	       "Carbon avoided against keeping every job near its origin, in g CO2.");
	fprintf(f, "ewc_carbon_avoided_vs_near_origin_grams{run=\"%s\",basis=\"market\"}", run);
	value(f, 1000 * (base->carbon_kg - t->carbon_kg));
	fprintf(f, "ewc_carbon_avoided_vs_near_origin_grams{run=\"%s\",basis=\"location\"}", run);
	value(f, 1000 * (base->carbon_location_kg - t->carbon_location_kg));
	family(f, "ewc_jobs_placed", "gauge", "Jobs the plan places.");
	fprintf(f, "ewc_jobs_placed{run=\"%s\"}", run);
	value(f, (double)t->placed);
	family(f, "ewc_jobs_unplaced", "gauge", "Jobs the plan leaves out.");
	fprintf(f, "ewc_jobs_unplaced{run=\"%s\"}", run);
	value(f, (double)t->unplaced);
	family(f, "ewc_solver_gap_ratio", "gauge",
	       "Relative gap between the plan's objective and its proven lower bound.");
	fprintf(f, "ewc_solver_gap_ratio{run=\"%s\"}", run);
	value(f, gap);
	family(f, "ewc_run_duration_seconds", "gauge", "Wall time of the run.");
	fprintf(f, "ewc_run_duration_seconds{run=\"%s\"}", run);
	value(f, seconds);
	family(f, "ewc_run_timestamp_seconds", "gauge", "When the run was made (Unix time).");
	fprintf(f, "ewc_run_timestamp_seconds{run=\"%s\"}", run);
	value(f, now);
}

static void feeds(FILE *f, double now)
{
	size_t n = tool_feed_count();

	if (n == 0)
		return;
	family(f, "ewc_feed_age_seconds", "gauge",
	       "Age of each feed's data, since it was last confirmed.");
	for (size_t i = 0; i < n; i++) {
		const char *name;
		double checked;
		tool_feed_get(i, &name, &checked);
		fputs("ewc_feed_age_seconds{", f);
		label(f, "feed", name, 1);
		fputc('}', f);
		value(f, fmax(0.0, now - checked));
	}
}

static int finish(tool_buf *b, const char *path, tool_staged *st)
{
	fputs("# EOF\n", b->f);
	if (tool_buf_close(b) != 0)
		return -1;
	int rc = tool_stage(st, path, b->data, b->len);
	free(b->data);
	return rc;
}

int metrics_place(const char *path, ewc_plan *plan, size_t n, double seconds, double now,
                  tool_staged *st)
{
	ewc_totals t = EWC_TOTALS_INIT, base = EWC_TOTALS_INIT;
	size_t k = 0;
	pool_use *u = calloc(n ? n : 1, sizeof *u);
	tool_buf b;

	st->tmp = st->target = NULL;
	if (!u || tool_buf_open(&b) != 0) {
		free(u);
		tool_error("out of memory");
		return -1;
	}
	ewc_plan_totals(plan, &t);
	ewc_plan_baseline(plan, &base);
	common(b.f, "place", &t, &base, t.gap, seconds, now);
	for (size_t i = 0; i < n; i++) {
		ewc_assignment a = EWC_ASSIGNMENT_INIT;
		ewc_plan_assignment(plan, i, &a);
		if (a.region)
			u[k++] = (pool_use){ a.region, a.gpu_type, a.gpus };
	}
	pools(b.f, u, k);
	family(b.f, "ewc_gpus_taken_by_later_runs", "gauge",
	       "GPUs held by runs committed after the regions' figures were taken.");
	fputs("ewc_gpus_taken_by_later_runs", b.f);
	value(b.f, (double)ewc_plan_gpus_taken(plan));
	feeds(b.f, now);
	free(u);
	return finish(&b, path, st);
}

int metrics_rebalance(const char *path, const ewc_rebalance *rb,
                      const ewc_rebalance_summary *s, double seconds, tool_staged *st)
{
	size_t n = ewc_rebalance_count(rb), k = 0;
	pool_use *u = calloc(n ? n : 1, sizeof *u);
	tool_buf b;

	st->tmp = st->target = NULL;
	if (!u || tool_buf_open(&b) != 0) {
		free(u);
		tool_error("out of memory");
		return -1;
	}
	common(b.f, "rebalance", &s->after, &s->baseline, s->gap, seconds, s->now);
	family(b.f, "ewc_rebalance_moves", "gauge", "Running jobs the rebalancing moves.");
	fputs("ewc_rebalance_moves", b.f);
	value(b.f, (double)s->moves);
	family(b.f, "ewc_rebalance_saving_cny", "gauge",
	       "What the moves save over the hours left, migration paid, in CNY.");
	fputs("ewc_rebalance_saving_cny", b.f);
	value(b.f, s->saving_cny - s->migration_cny);
	family(b.f, "ewc_rebalance_jobs_skipped", "gauge",
	       "Running jobs left out of the rebalancing (past their hours, type gone).");
	fputs("ewc_rebalance_jobs_skipped", b.f);
	value(b.f, (double)s->skipped);
	for (size_t i = 0; i < n; i++) {
		ewc_move m = EWC_MOVE_INIT;
		ewc_rebalance_job(rb, i, &m);
		if (m.to_region)
			u[k++] = (pool_use){ m.to_region, m.to_type, m.gpus };
	}
	pools(b.f, u, k);
	feeds(b.f, s->now);
	free(u);
	return finish(&b, path, st);
}
