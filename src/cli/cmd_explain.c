/* cmd_explain.c - `ewc explain`: every option of one job, and the choice */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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
	"  --job ID             the job to explain\n"
	"  --format table|csv|json   the table (default), one CSV row per option, or\n"
	"                       JSON (format ewc.explain/1, docs/formats.md)\n"
	"  --output FILE        write there instead of standard output\n";

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

static json_t *option_json(const ewc_option *o)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:o, s:I, s:f, s:f, s:f, s:f, "
	                      "s:f, s:f, s:f, s:I}",
	                      "region", o->region, "zone", ewc_zone_name(o->zone), "gpu_type",
	                      o->gpu_type, "has_type", o->has_type, "eligible", o->eligible,
	                      "chosen", o->chosen, "baseline", o->baseline, "latency_ms",
	                      o->latency_ms >= 0 ? json_real(o->latency_ms) : json_null(), "gpus",
	                      (json_int_t)o->gpus, "hours", o->hours, "cost_cny", o->cost_cny,
	                      "transfer_cny", o->transfer_cny, "energy_kwh", o->energy_kwh,
	                      "carbon_kg", o->carbon_kg, "carbon_location_kg", o->carbon_location_kg,
	                      "objective", o->objective, "free_gpus", (json_int_t)o->free_gpus);
	if (j && !o->eligible)
		json_object_set_new(j, "reason", json_string(o->reason));
	return j;
}

/* The explanation for programs: the job, the choice, every option. */
static char *explain_json(ewc_plan *plan, const ewc_job *j, const ewc_assignment *as,
                          const row *rows, size_t nopt, const char *unit)
{
	json_t *root = json_object(), *opts = json_array(), *job;
	char *text;

	job = json_pack("{s:s, s:s, s:s, s:I, s:f, s:s, s:f}", "id", j->id, "kind",
	                ewc_kind_name(j->kind), "gpu_type", j->gpu_type, "gpus",
	                (json_int_t)j->gpus, "hours", j->hours, "origin", j->origin, "priority",
	                j->priority);
	if (!root || !opts || !job) {
		json_decref(root);
		json_decref(opts);
		json_decref(job);
		return NULL;
	}
	json_object_set_new(root, "format", json_string("ewc.explain/1"));
	json_object_set_new(root, "mode", json_string(ewc_mode_name(ewc_plan_mode(plan))));
	json_object_set_new(root, "carbon_basis",
	                    json_string(ewc_carbon_basis_name(ewc_plan_carbon_basis(plan))));
	json_object_set_new(root, "objective_unit", json_string(unit));
	json_object_set_new(root, "job", job);
	if (as->region)
		json_object_set_new(root, "chosen",
		                    json_pack("{s:s, s:s, s:I, s:f}", "region", as->region, "gpu_type",
		                              as->gpu_type, "gpus", (json_int_t)as->gpus, "hours",
		                              as->hours));
	else
		json_object_set_new(root, "unplaced", json_string(as->reason ? as->reason : ""));
	json_object_set_new(root, "baseline",
	                    as->baseline_region
	                        ? json_pack("{s:s, s:s}", "region", as->baseline_region, "gpu_type",
	                                    as->baseline_gpu_type ? as->baseline_gpu_type : "")
	                        : json_null());
	for (size_t k = 0; k < nopt; k++)
		json_array_append_new(opts, option_json(&rows[k].o));
	json_object_set_new(root, "options", opts);
	text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	json_decref(root);
	return text;
}

static void explain_csv(FILE *f, const char *job, const row *rows, size_t nopt)
{
	fputs("job,region,zone,gpu_type,eligible,chosen,baseline,latency_ms,gpus,hours,cost_cny,"
	      "transfer_cny,carbon_kg,carbon_location_kg,objective,free_gpus,reason\n", f);
	for (size_t k = 0; k < nopt; k++) {
		const ewc_option *o = &rows[k].o;
		tool_csv_field(f, job, 0);
		tool_csv_field(f, o->region, 0);
		tool_csv_field(f, ewc_zone_name(o->zone), 0);
		tool_csv_field(f, o->gpu_type, 0);
		fprintf(f, "%d,%d,%d,", o->eligible, o->chosen, o->baseline);
		if (o->latency_ms >= 0)
			tool_csv_num(f, o->latency_ms, 0);
		else
			fputs(",", f);
		fprintf(f, "%ld,", o->gpus);
		tool_csv_num(f, o->hours, 0);
		tool_csv_num(f, o->cost_cny, 0);
		tool_csv_num(f, o->transfer_cny, 0);
		tool_csv_num(f, o->carbon_kg, 0);
		tool_csv_num(f, o->carbon_location_kg, 0);
		tool_csv_num(f, o->objective, 0);
		fprintf(f, "%ld,", o->free_gpus);
		tool_csv_field(f, o->eligible ? "" : o->reason, 1);
	}
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
	if (strcmp(a.format, "json") == 0 || strcmp(a.format, "csv") == 0) {
		ewc_job j = EWC_JOB_INIT;
		ewc_jobs_get(jobs, job, &j);
		if (strcmp(a.format, "json") == 0) {
			char *text = explain_json(plan, &j, &as, rows, nopt, unit);
			size_t n = text ? strlen(text) : 0;
			char *nl = text ? realloc(text, n + 2) : NULL;
			if (!nl) {
				free(text);
				tool_error("out of memory");
				rc = EXIT_ERR;
			} else {
				nl[n] = '\n';
				if (tool_write(a.output, nl, n + 1) != 0)
					rc = EXIT_ERR;
				free(nl);
			}
		} else if (tool_buf_open(&ob) != 0) {
			rc = EXIT_ERR;
		} else {
			explain_csv(ob.f, j.id, rows, nopt);
			if (tool_buf_close(&ob) != 0 || tool_write(a.output, ob.data, ob.len) != 0)
				rc = EXIT_ERR;
			free(ob.data);
		}
		free(rows);
		goto out;
	}
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
	if (tool_buf_close(&ob) != 0 || tool_write_text(a.output, ob.data, ob.len) != 0)
		rc = EXIT_ERR;
	free(ob.data);
	free(rows);
out:
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return rc;
}
