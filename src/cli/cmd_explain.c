/* cmd_explain.c - `ewc explain`: every option of one job, and the choice */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmds.h"

const char cmd_explain_help[] =
	"usage: ewc explain [--regions PATH]... --jobs FILE --job ID [OPTIONS]\n"
	"\n"
	"Place the whole job list, then show for job ID every (region, GPU type)\n"
	"with its cost, carbon and objective, the chosen one marked (*) and the\n"
	"baseline's marked (b), and why each excluded option was excluded.\n"
	"\n"
	"  --regions, --jobs, --mode, --carbon-price, --carbon-basis, --gap,\n"
	"  --time-limit, --solver, --policy, --carbon-budget, --min-green-share,\n"
	"  --max-region-share   as for ewc place\n"
	"  --job ID             the job to explain\n";

typedef struct row {
	ewc_option o;
} row;

static int cmp_rows(const void *x, const void *y)
{
	const row *a = x, *b = y;

	if (a->o.eligible != b->o.eligible)
		return a->o.eligible ? -1 : 1;
	if (a->o.eligible && a->o.objective != b->o.objective)
		return a->o.objective < b->o.objective ? -1 : 1;
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	cmd_args a;
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_plan *plan;
	ewc_assignment as = EWC_ASSIGNMENT_INIT;
	char n1[64], n2[64], n3[64], n4[64], n5[64], n6[64];
	const char *unit;
	size_t job, nopt;
	row *rows;
	tool_buf ob;
	int rc;

	rc = args_parse("explain", ARGS_EXPLAIN, cmd_explain_help, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	rc = place_run(&a, &ctx, &jobs, &plan);
	if (rc)
		return rc;
	unit = ewc_plan_mode(plan) == EWC_MODE_CARBON ? "kg" : "CNY";
	job = (size_t)ewc_jobs_find(jobs, a.job);
	ewc_plan_assignment(plan, job, &as);
	nopt = ewc_plan_option_count(plan, job);
	rows = calloc(nopt ? nopt : 1, sizeof *rows);
	if (!rows) {
		tool_error("out of memory");
		rc = EXIT_ERR;
		goto out;
	}
	for (size_t k = 0; k < nopt; k++) {
		rows[k].o.version = EWC_OPTION_VERSION;
		ewc_plan_option(plan, job, k, &rows[k].o);
	}
	qsort(rows, nopt, sizeof *rows, cmp_rows);
	if (tool_buf_open(&ob) != 0) {
		rc = EXIT_ERR;
		free(rows);
		goto out;
	}

	{
		ewc_job j = EWC_JOB_INIT;
		ewc_jobs_get(jobs, job, &j);
		fprintf(ob.f, "job %s: %s, %ld x %s for %s h (on %.*s), origin %s", j.id,
		       ewc_kind_name(j.kind), j.gpus, j.gpu_type,
		       tool_fmt(n1, sizeof n1, j.hours, 1), (int)strcspn(j.gpu_type, "|"),
		       j.gpu_type, j.origin);
		if (j.kind == EWC_KIND_INFER)
			fprintf(ob.f, ", SLO %g ms", j.slo_ms);
		if (j.data_gb > 0)
			fprintf(ob.f, ", %s GB of data", tool_fmt(n2, sizeof n2, j.data_gb, 0));
		fprintf(ob.f, "\n");
	}
	if (as.region)
		fprintf(ob.f, "chosen: %s (%s) %s, %ld GPUs for %s h, cost %s CNY, carbon %s kg market-based, "
		       "%s kg location-based, objective %s %s\n", as.region,
		       ewc_zone_name(as.zone), as.gpu_type, as.gpus, tool_fmt(n4, sizeof n4, as.hours, 1),
		       tool_fmt(n1, sizeof n1, as.cost_cny, 2),
		       tool_fmt(n2, sizeof n2, as.carbon_kg, 1),
		       tool_fmt(n5, sizeof n5, as.carbon_location_kg, 1),
		       tool_fmt(n3, sizeof n3, as.objective, 2), unit);
	else
		fprintf(ob.f, "unplaced: %s\n", as.reason);
	fprintf(ob.f, "near-origin plan: %s%s%s\n\n", as.baseline_region ? as.baseline_region : "(unplaced)",
	       as.baseline_gpu_type ? " " : "", as.baseline_gpu_type ? as.baseline_gpu_type : "");

	fprintf(ob.f, "   %-20s %-4s %-5s %7s %5s %9s %14s %12s %12s %12s %14s\n", "REGION", "ZONE", "TYPE",
	       "LAT MS", "GPUS", "HOURS", "COST CNY", "TRANSFER", "MARKET KG", "LOCATION KG", "OBJECTIVE");
	for (size_t k = 0; k < nopt; k++) {
		const ewc_option *o = &rows[k].o;
		char lat[32];
		if (o->latency_ms >= 0)
			snprintf(lat, sizeof lat, "%.1f", o->latency_ms);
		else
			snprintf(lat, sizeof lat, "-");
		if (!o->eligible)
			continue;
		fprintf(ob.f, "%c%c %-20s %-4s %-5s %7s %5ld %9s %14s %12s %12s %12s %14s\n",
		       o->chosen ? '*' : ' ', o->baseline ? 'b' : ' ', o->region, ewc_zone_name(o->zone),
		       o->gpu_type, lat, o->gpus, tool_fmt(n1, sizeof n1, o->hours, 1), tool_fmt(n2, sizeof n2, o->cost_cny, 2),
		       tool_fmt(n3, sizeof n3, o->transfer_cny, 2),
		       tool_fmt(n4, sizeof n4, o->carbon_kg, 1),
		       tool_fmt(n6, sizeof n6, o->carbon_location_kg, 1),
		       tool_fmt(n5, sizeof n5, o->objective, 2));
	}
	fprintf(ob.f, "\nexcluded:\n");
	for (size_t k = 0; k < nopt; k++)
		if (!rows[k].o.eligible)
			fprintf(ob.f, "   %-20s %-4s %-5s %s\n", rows[k].o.region, ewc_zone_name(rows[k].o.zone),
			       rows[k].o.gpu_type, rows[k].o.reason);
	fprintf(ob.f, "\n* chosen by the plan, b chosen by the near-origin plan; objective in %s.\n", unit);
	/* for people: a job id's control bytes are escaped */
	if (tool_buf_close(&ob) != 0 || tool_write_text(NULL, ob.data, ob.len) != 0)
		rc = EXIT_ERR;
	free(ob.data);
	free(rows);
out:
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return rc;
}
