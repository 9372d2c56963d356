/* cmd_plan.c - the planner's tools: `ewc frontier` and `ewc whatif` */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "args.h"
#include "cmds.h"

const char cmd_frontier_help[] =
	"usage: ewc frontier [--regions PATH]... --jobs FILE [OPTIONS]\n"
	"\n"
	"The cost-carbon Pareto frontier: the cheapest plan (--mode cost), the\n"
	"greenest (--mode carbon), and between them the cheapest plan under carbon\n"
	"caps stepped evenly from one to the other. Each point: cost, carbon, what\n"
	"the step from the previous point costs per tonne avoided, jobs in the\n"
	"west, GPU-hours on domestic accelerators. The knee is marked *.\n"
	"\n"
	"  --points N           plans on the curve, ends included (default 11)\n"
	"  --point K            instead of the curve, point K's whole plan, as ewc place\n"
	"                       gives it (--format, --output, --metrics); with --commit\n"
	"                       --db FILE it is recorded as ewc place --commit records\n"
	"  --report FILE.html   the curve as SVG with the knee, and the points\n"
	"  --format FORMAT      table (default), csv or json\n"
	"  --output FILE        write there instead of standard output\n"
	"  --carbon-basis B     the carbon on the curve's axis: market (default) or\n"
	"                       location, as for ewc place\n"
	"  --regions, --jobs, --gap, --time-limit (per plan), --solver, --policy,\n"
	"  --carbon-budget, --min-green-share, --max-region-share   as for ewc place\n";

const char cmd_whatif_help[] =
	"usage: ewc whatif [--regions PATH]... --jobs FILE --set TARGET=VALUE... [OPTIONS]\n"
	"\n"
	"Two plans of the same jobs: on the regions as loaded, and with the\n"
	"changes made; their totals, the difference and every job that moves.\n"
	"The changed plan starts from the base plan, so a change that only adds\n"
	"room or lowers prices never makes it worse.\n"
	"\n"
	"  --set TARGET=VALUE   repeatable. TARGET: REGION.power.price,\n"
	"                       REGION.power.green-share, REGION.power.grid-factor,\n"
	"                       REGION.power.pue, REGION.TYPE.free, REGION.TYPE.price,\n"
	"                       REGION.link.SITE.price-per-gb (or latency-ms, gbps);\n"
	"                       REGION is a region id or * for all. VALUE: N sets,\n"
	"                       +N and -N add, *N scales. Example:\n"
	"                       --set ningxia-zhongwei.A100.free=+2000\n"
	"  --format FORMAT      table (default), csv (the moves) or json\n"
	"  --output FILE        write there instead of standard output\n"
	"  --regions, --jobs, --mode, --carbon-price, --carbon-basis, --gap,\n"
	"  --time-limit, --solver, --policy, --carbon-budget, --min-green-share,\n"
	"  --max-region-share   as for ewc place\n"
	"\n"
	"exit status: 0, 3 when the changed plan leaves jobs unplaced, 1 error, 2 usage.\n";

/* Write the text in b to --output (or stdout); frees b. */
static int emit(const cmd_args *a, tool_buf *b)
{
	/* tables are for people (control bytes escaped), CSV for programs */
	int rc = tool_buf_close(b) != 0 ||
	         (strcmp(a->format, "csv") == 0 ? tool_write(a->output, b->data, b->len)
	                                        : tool_write_text(a->output, b->data, b->len)) != 0;
	free(b->data);
	return rc ? EXIT_ERR : EXIT_OK;
}

static int emit_json(const cmd_args *a, json_t *root)
{
	char *s = root ? json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) |
	                                      JSON_REAL_PRECISION(15)) : NULL;
	int rc = EXIT_OK;

	json_decref(root);
	if (!s) {
		tool_error("out of memory while writing JSON");
		return EXIT_ERR;
	}
	size_t n = strlen(s);
	char *nl = realloc(s, n + 2);
	if (!nl) {
		free(s);
		tool_error("out of memory");
		return EXIT_ERR;
	}
	nl[n] = '\n';
	if (tool_write(a->output, nl, n + 1) != 0)
		rc = EXIT_ERR;
	free(nl);
	return rc;
}

/* ---- ewc frontier ---------------------------------------------------------- */

/* Point i's location-based carbon, and its carbon on the frontier's basis. */
static double point_location_kg(const ewc_frontier *fr, size_t i)
{
	ewc_totals t = EWC_TOTALS_INIT;
	ewc_plan_totals(ewc_frontier_plan(fr, i), &t);
	return t.carbon_location_kg;
}

static double point_kg(const ewc_frontier *fr, size_t i)
{
	ewc_totals t = EWC_TOTALS_INIT;
	ewc_plan_totals(ewc_frontier_plan(fr, i), &t);
	return ewc_plan_carbon_basis(ewc_frontier_plan(fr, i)) == EWC_BASIS_LOCATION
	       ? t.carbon_location_kg : t.carbon_kg;
}

static void frontier_table(FILE *f, const ewc_frontier *fr, size_t njobs)
{
	size_t n = ewc_frontier_count(fr), k = (size_t)-1;
	char b1[64], b2[64], b3[64], b4[64], b5[64], b6[64];
	ewc_frontier_pt lo = EWC_FRONTIER_PT_INIT, hi = EWC_FRONTIER_PT_INIT;
	const char *basis = n ? ewc_carbon_basis_name(ewc_plan_carbon_basis(ewc_frontier_plan(fr, 0)))
	                      : "market";

	fprintf(f, "%-5s %16s %12s %12s %14s %10s %14s %14s %8s\n", "POINT", "COST CNY", "MARKET KG",
	        "LOCATION KG", "CNY/t STEP", "JOBS WEST", "GPU-H WEST", "GPU-H DOMESTIC", "GAP %");
	for (size_t i = 0; i < n; i++) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		char label[32];
		ewc_frontier_point(fr, i, &p);
		if (p.knee)
			k = i;
		snprintf(label, sizeof label, "%zu%s", i + 1, p.knee ? "*" : "");
		fprintf(f, "%-5s %16s %12s %12s %14s %4zu of %-3zu %14s %14s %8.4f%s\n", label,
		        tool_fmt(b1, sizeof b1, p.cost_cny, 2), tool_fmt(b2, sizeof b2, p.carbon_kg, 1),
		        tool_fmt(b6, sizeof b6, point_location_kg(fr, i), 1),
		        i ? tool_fmt(b3, sizeof b3, p.carbon_price_cny_per_t, 0) : "-",
		        p.placed_west, p.placed, tool_fmt(b4, sizeof b4, p.gpu_hours_west, 0),
		        tool_fmt(b5, sizeof b5, p.gpu_hours_domestic, 0), 100 * p.gap,
		        p.proven ? "" : " (time limit)");
	}
	ewc_frontier_point(fr, 0, &lo);
	ewc_frontier_point(fr, n - 1, &hi);
	/* the axis is the basis's carbon */
	lo.carbon_kg = point_kg(fr, 0);
	hi.carbon_kg = point_kg(fr, n - 1);
	{
		size_t asked = 0, dom = 0, none = 0, same = ewc_frontier_not_needed(fr);
		ewc_frontier_left_out(fr, &asked, &dom, &none);
		if (dom + none + same > 0) {
			const char *sep = "";
			fprintf(f, "\n%zu point%s asked for, %zu on the curve:", asked,
			        asked == 1 ? "" : "s", n);
			if (same) {
				fprintf(f, " %zu not made (the cheapest plan is also the greenest)", same);
				sep = ";";
			}
			if (dom) {
				fprintf(f, "%s %zu dropped as dearer and no greener than another", sep, dom);
				sep = ";";
			}
			if (none)
				fprintf(f, "%s %zu cap%s with no plan found in time", sep, none,
				        none == 1 ? "" : "s");
			fprintf(f, ".\n");
		}
	}
	fprintf(f, "\n%zu jobs. Point 1 is --mode cost, point %zu --mode carbon: from the cheapest "
	        "plan to the greenest, %s-based carbon falls by %s kg (%.1f%%) for %s CNY more "
	        "(%.1f%%).\n",
	        njobs, n, basis, tool_fmt(b1, sizeof b1, lo.carbon_kg - hi.carbon_kg, 1),
	        lo.carbon_kg > 0 ? 100 * (lo.carbon_kg - hi.carbon_kg) / lo.carbon_kg : 0,
	        tool_fmt(b2, sizeof b2, hi.cost_cny - lo.cost_cny, 2),
	        lo.cost_cny > 0 ? 100 * (hi.cost_cny - lo.cost_cny) / lo.cost_cny : 0);
	fputs("CNY/t STEP: what each step from the point above costs per tonne avoided; a "
	      "step cheaper\nthan a carbon price P pays for itself at P.\n", f);
	if (k != (size_t)-1) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		ewc_frontier_point(fr, k, &p);
		p.carbon_kg = point_kg(fr, k);
		fprintf(f, "Knee (*): point %zu saves %.1f%% of the carbon the greenest plan saves for "
		        "%.1f%% of its extra cost.\n", k + 1,
		        100 * (lo.carbon_kg - p.carbon_kg) / (lo.carbon_kg - hi.carbon_kg),
		        hi.cost_cny > lo.cost_cny
		        ? 100 * (p.cost_cny - lo.cost_cny) / (hi.cost_cny - lo.cost_cny) : 0);
	} else {
		fputs("No knee: the points lie on a straight line.\n", f);
	}
}

static void frontier_csv(FILE *f, const ewc_frontier *fr)
{
	fputs("point,cost_cny,carbon_kg,carbon_location_kg,carbon_price_cny_per_t,carbon_cap_kg,"
	      "placed,placed_west,"
	      "gpu_hours_west,gpu_hours_domestic,gap,proven,knee\n", f);
	for (size_t i = 0; i < ewc_frontier_count(fr); i++) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		ewc_frontier_point(fr, i, &p);
		fprintf(f, "%zu,", i + 1);
		tool_csv_num(f, p.cost_cny, 0);
		tool_csv_num(f, p.carbon_kg, 0);
		tool_csv_num(f, point_location_kg(fr, i), 0);
		tool_csv_num(f, p.carbon_price_cny_per_t, 0);
		if (p.carbon_cap_kg >= 0)
			tool_csv_num(f, p.carbon_cap_kg, 0);
		else
			fputc(',', f);
		fprintf(f, "%zu,%zu,", p.placed, p.placed_west);
		tool_csv_num(f, p.gpu_hours_west, 0);
		tool_csv_num(f, p.gpu_hours_domestic, 0);
		tool_csv_num(f, p.gap, 0);
		fprintf(f, "%d,%d\n", p.proven, p.knee);
	}
}

static json_t *frontier_json(const ewc_frontier *fr)
{
	json_t *root = json_object(), *pts = json_array(), *knee = json_null();

	for (size_t i = 0; root && pts && i < ewc_frontier_count(fr); i++) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		ewc_frontier_point(fr, i, &p);
		if (p.knee) {
			json_decref(knee);
			knee = json_integer((json_int_t)i + 1);
		}
		json_array_append_new(pts, json_pack(
			"{s:I, s:f, s:f, s:f, s:f, s:o, s:I, s:I, s:f, s:f, s:f, s:b, s:b}",
			"point", (json_int_t)i + 1, "cost_cny", p.cost_cny, "carbon_kg", p.carbon_kg,
			"carbon_location_kg", point_location_kg(fr, i),
			"carbon_price_cny_per_t", p.carbon_price_cny_per_t,
			"carbon_cap_kg", p.carbon_cap_kg >= 0 ? json_real(p.carbon_cap_kg) : json_null(),
			"placed", (json_int_t)p.placed, "placed_west", (json_int_t)p.placed_west,
			"gpu_hours_west", p.gpu_hours_west, "gpu_hours_domestic", p.gpu_hours_domestic,
			"gap", p.gap, "proven", p.proven, "knee", p.knee));
	}
	size_t asked = 0, dom = 0, none = 0;
	ewc_frontier_left_out(fr, &asked, &dom, &none);
	if (!root || !pts || json_object_set_new(root, "format", json_string("ewc.frontier/1")) ||
	    json_object_set_new(root, "points", pts) || json_object_set_new(root, "knee", knee) ||
	    json_object_set_new(root, "points_asked", json_integer((json_int_t)asked)) ||
	    json_object_set_new(root, "points_dominated", json_integer((json_int_t)dom)) ||
	    json_object_set_new(root, "points_without_plan", json_integer((json_int_t)none)) ||
	    json_object_set_new(root, "points_not_needed",
	                        json_integer((json_int_t)ewc_frontier_not_needed(fr)))) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int cmd_frontier(int argc, char **argv)
{
	cmd_args a;
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_frontier *fr = NULL;
	int rc = args_parse("frontier", ARGS_FRONTIER, cmd_frontier_help, argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (args_policy_apply(&a, &a.opts))
		return EXIT_ERR;
	ctx = tool_load(&a.regions);
	if (!ctx || args_state(&a, ctx) != 0) {
		ewc_ctx_free(ctx);
		return EXIT_ERR;
	}
	jobs = tool_jobs(ctx, a.jobs);
	if (!jobs) {
		ewc_ctx_free(ctx);
		return EXIT_ERR;
	}
	if (a.commit && !a.point) {
		tool_usage("frontier", "--commit records one point's plan: give --point K");
		rc = EXIT_USAGE;
	} else if (ewc_frontier_make(&fr, ctx, jobs, &a.opts, a.points) != 0) {
		tool_error("%s", ewc_errmsg());
		rc = EXIT_ERR;
	} else if (a.point) {
		/* one point's plan, as ewc place gives it (and records it) */
		if (a.point > ewc_frontier_count(fr)) {
			tool_error("--point %zu: the frontier has %zu points", a.point,
			           ewc_frontier_count(fr));
			rc = EXIT_ERR;
		} else {
			rc = place_output(&a, (ewc_plan *)ewc_frontier_plan(fr, a.point - 1),
			                  ewc_jobs_count(jobs), tool_seconds());
		}
	} else {
		if (strcmp(a.format, "json") == 0) {
			rc = emit_json(&a, frontier_json(fr));
		} else {
			tool_buf b;
			if (tool_buf_open(&b) != 0) {
				rc = EXIT_ERR;
			} else {
				if (strcmp(a.format, "csv") == 0)
					frontier_csv(b.f, fr);
				else
					frontier_table(b.f, fr, ewc_jobs_count(jobs));
				rc = emit(&a, &b);
			}
		}
		if (rc == EXIT_OK && a.report &&
		    report_frontier(a.report, a.jobs, ewc_jobs_count(jobs), fr) != 0)
			rc = EXIT_ERR;
	}
	ewc_frontier_free(fr);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return rc;
}

/* ---- ewc whatif ------------------------------------------------------------ */

/* Job i in the base plan (x) and the changed one (y). 1 when it changes
 * place (placed in one only, or on another region or type), with the
 * change of its cost and carbon (an unplaced job counts 0). */
typedef struct job_change {
	ewc_assignment x, y;
	double cost_cny, carbon_kg;
} job_change;

static int changed(const ewc_plan *pb, const ewc_plan *pc, size_t i, job_change *c)
{
	ewc_assignment init = EWC_ASSIGNMENT_INIT;

	c->x = init;
	c->y = init;
	ewc_plan_assignment(pb, i, &c->x);
	ewc_plan_assignment(pc, i, &c->y);
	c->cost_cny = (c->y.region ? c->y.cost_cny : 0) - (c->x.region ? c->x.cost_cny : 0);
	c->carbon_kg = (c->y.region ? c->y.carbon_kg : 0) - (c->x.region ? c->x.carbon_kg : 0);
	if (!c->x.region || !c->y.region)
		return !c->x.region != !c->y.region;
	return strcmp(c->x.region, c->y.region) != 0 || strcmp(c->x.gpu_type, c->y.gpu_type) != 0;
}

static json_t *plan_json(const ewc_plan *p)
{
	char *s = NULL;
	json_t *j;

	if (ewc_plan_to_json(p, 0, &s) != 0)
		return NULL;
	j = json_loads(s, 0, NULL);
	ewc_free(s);
	return j;
}

/* The two plans of a what-if and what changed between them. */
typedef struct whatif {
	ewc_plan *pb, *pc;      /* base, changed */
	ewc_totals tb, tc;
	size_t n, moved;        /* jobs, jobs that changed place */
	char added[1024];       /* "region gets TYPE (N free at P CNY/GPU-h)", joined */
} whatif;

/* The GPU types the settings added to regions, in words, into w->added. */
static void added_types(const ewc_ctx *cb, const ewc_ctx *cc, whatif *w)
{
	size_t used = 0;

	w->added[0] = '\0';
	for (size_t i = 0; i < ewc_region_count(cc) && used < sizeof w->added; i++) {
		ewc_region_info rb = EWC_REGION_INFO_INIT, rc = EWC_REGION_INFO_INIT;
		ewc_region_get(cb, i, &rb);
		ewc_region_get(cc, i, &rc);
		for (size_t k = rb.gpu_types; k < rc.gpu_types && used < sizeof w->added; k++) {
			const char *type;
			long free_gpus;
			double price;
			ewc_region_gpu(cc, i, k, &type, &free_gpus, &price);
			used += (size_t)snprintf(w->added + used, sizeof w->added - used,
			                         "%s%s gets %s (%ld free at %.2f CNY/GPU-h)",
			                         used ? "; " : "", rc.id, type, free_gpus, price);
		}
	}
}

/* The what-if as JSON: the settings, the difference, the moves, both plans. */
static int whatif_json(const cmd_args *a, const whatif *w)
{
	json_t *root = json_object(), *sets = json_array(), *mv = json_array();
	if (root) {
		json_object_set_new(root, "format", json_string("ewc.whatif/1"));
		json_object_set_new(root, "added", w->added[0] ? json_string(w->added) : json_null());
	}
	for (size_t i = 0; sets && i < a->nsets; i++)
		json_array_append_new(sets, json_string(a->sets[i]));
	for (size_t i = 0; mv && i < w->n; i++) {
		job_change c;
		if (!changed(w->pb, w->pc, i, &c))
			continue;
		const ewc_assignment *x = &c.x, *y = &c.y;
		json_array_append_new(mv, json_pack("{s:s, s:o, s:o, s:o, s:o, s:f, s:f}",
			"job", x->job,
			"from_region", x->region ? json_string(x->region) : json_null(),
			"from_gpu_type", x->region ? json_string(x->gpu_type) : json_null(),
			"to_region", y->region ? json_string(y->region) : json_null(),
			"to_gpu_type", y->region ? json_string(y->gpu_type) : json_null(),
			"cost_change_cny", c.cost_cny, "carbon_change_kg", c.carbon_kg));
	}
	if (root) {
		json_object_set_new(root, "settings", sets);
		json_object_set_new(root, "difference", json_pack(
			"{s:f, s:f, s:f, s:f, s:f, s:I, s:I}",
			"cost_cny", w->tc.cost_cny - w->tb.cost_cny,
			"carbon_kg", w->tc.carbon_kg - w->tb.carbon_kg,
			"objective", w->tc.objective - w->tb.objective,
			"gpu_hours_west", w->tc.gpu_hours_west - w->tb.gpu_hours_west,
			"gpu_hours_domestic", w->tc.gpu_hours_domestic - w->tb.gpu_hours_domestic,
			"placed", (json_int_t)w->tc.placed - (json_int_t)w->tb.placed,
			"jobs_moved", (json_int_t)w->moved));
		json_object_set_new(root, "moves", mv);
		json_object_set_new(root, "base", plan_json(w->pb));
		json_object_set_new(root, "changed", plan_json(w->pc));
	}
	return emit_json(a, root);
}

/* The what-if as a table (or, with --format csv, the moves only). */
static int whatif_text(const cmd_args *a, const whatif *w)
{
	tool_buf b;
	char n1[64], n2[64], n3[64];
	if (tool_buf_open(&b) != 0)
		return EXIT_ERR;
	FILE *f = b.f;
	int csv = strcmp(a->format, "csv") == 0;
	if (csv) {
		fputs("job,from_region,from_gpu_type,to_region,to_gpu_type,cost_change_cny,"
		      "carbon_change_kg\n", f);
	} else {
		fputs("What if", f);
		for (size_t i = 0; i < a->nsets; i++)
			fprintf(f, "%s %s", i ? "," : "", a->sets[i]);
		fputs(":\n", f);
		if (w->added[0])
			fprintf(f, "Added: %s.\n", w->added);
		fputs("\n", f);
		fprintf(f, "%-24s %18s %18s %18s\n", "", "BASE", "CHANGED", "DIFFERENCE");
#define ROW(label, x, y, dec)                                                           \
	fprintf(f, "%-24s %18s %18s %18s\n", label, tool_fmt(n1, sizeof n1, x, dec),      \
	        tool_fmt(n2, sizeof n2, y, dec), tool_fmt(n3, sizeof n3, (y) - (x), dec))
		ROW("cost (CNY)", w->tb.cost_cny, w->tc.cost_cny, 2);
		ROW("carbon (kg CO2)", w->tb.carbon_kg, w->tc.carbon_kg, 1);
		ROW("  location-based (kg CO2)", w->tb.carbon_location_kg, w->tc.carbon_location_kg, 1);
		ROW(ewc_plan_mode(w->pb) == EWC_MODE_CARBON ? "objective (kg)" : "objective (CNY)",
		    w->tb.objective, w->tc.objective, 2);
		ROW("GPU-hours east", w->tb.gpu_hours_east, w->tc.gpu_hours_east, 1);
		ROW("GPU-hours west", w->tb.gpu_hours_west, w->tc.gpu_hours_west, 1);
		ROW("GPU-hours domestic", w->tb.gpu_hours_domestic, w->tc.gpu_hours_domestic, 1);
		ROW("jobs placed", (double)w->tb.placed, (double)w->tc.placed, 0);
#undef ROW
		if (w->moved == 0)
			fprintf(f, "\nNo job changes place.\n");
		else
			fprintf(f, "\n%zu job%s change%s place:\n", w->moved, w->moved == 1 ? "" : "s",
			        w->moved == 1 ? "s" : "");
		if (w->moved)
			fprintf(f, "  %-20s %-26s %-26s %14s %12s\n", "JOB", "BASE", "CHANGED",
			        "COST CNY", "CARBON KG");
	}
	for (size_t i = 0; i < w->n; i++) {
		job_change c;
		char from[96], to[96];
		if (!changed(w->pb, w->pc, i, &c))
			continue;
		const ewc_assignment *x = &c.x, *y = &c.y;
		if (csv) {
			tool_csv_field(f, x->job, 0);
			tool_csv_field(f, x->region, 0);
			tool_csv_field(f, x->region ? x->gpu_type : NULL, 0);
			tool_csv_field(f, y->region, 0);
			tool_csv_field(f, y->region ? y->gpu_type : NULL, 0);
			tool_csv_num(f, c.cost_cny, 0);
			tool_csv_num(f, c.carbon_kg, 1);
			continue;
		}
		snprintf(from, sizeof from, "%s%s%s", x->region ? x->region : "(unplaced)",
		         x->region ? " " : "", x->region ? x->gpu_type : "");
		snprintf(to, sizeof to, "%s%s%s", y->region ? y->region : "(unplaced)",
		         y->region ? " " : "", y->region ? y->gpu_type : "");
		fprintf(f, "  %-20s %-26s %-26s %14s %12s\n", x->job, from, to,
		        tool_fmt(n1, sizeof n1, c.cost_cny, 2),
		        tool_fmt(n2, sizeof n2, c.carbon_kg, 1));
	}
	if (!csv && w->tc.placed != w->tb.placed)
		fprintf(f, "\nThe changed plan places %zu job%s %s, so the totals cover different "
		        "work.\n", w->tc.placed > w->tb.placed ? w->tc.placed - w->tb.placed
		                                         : w->tb.placed - w->tc.placed,
		        (w->tc.placed > w->tb.placed ? w->tc.placed - w->tb.placed : w->tb.placed - w->tc.placed)
		        == 1 ? "" : "s", w->tc.placed > w->tb.placed ? "more" : "fewer");
	return emit(a, &b);
}

int cmd_whatif(int argc, char **argv)
{
	cmd_args a;
	ewc_ctx *cb = NULL, *cc = NULL;
	ewc_jobs *jb = NULL, *jc = NULL;
	whatif w = { NULL, NULL, EWC_TOTALS_INIT, EWC_TOTALS_INIT, 0, 0, "" };
	int rc = args_parse("whatif", ARGS_WHATIF, cmd_whatif_help, argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	rc = EXIT_ERR;
	if (args_policy_apply(&a, &a.opts))
		return EXIT_ERR;
	/* two contexts: the regions as loaded, and as changed */
	if (!(cb = tool_load(&a.regions)) || !(cc = tool_load(&a.regions)))
		goto done;
	if (ewc_ctx_set_all(cc, (const char *const *)a.sets, a.nsets) != 0) {
		tool_error("--set: %s", ewc_errmsg());
		goto done;
	}
	if (!(jb = tool_jobs(cb, a.jobs)) || !(jc = tool_jobs(cc, a.jobs)))
		goto done;
	added_types(cb, cc, &w);
	if (ewc_place(&w.pb, cb, jb, &a.opts) != 0) {
		tool_error("base plan: %s", ewc_errmsg());
		goto done;
	}
	/* from the base plan: with more room or lower prices the answer can
	 * only improve, whatever the time limit */
	if (ewc_place_from(&w.pc, cc, jc, &a.opts, w.pb) != 0) {
		tool_error("changed plan: %s", ewc_errmsg());
		goto done;
	}
	ewc_plan_totals(w.pb, &w.tb);
	ewc_plan_totals(w.pc, &w.tc);
	w.n = ewc_jobs_count(jb);
	for (size_t i = 0; i < w.n; i++) {
		job_change c;
		w.moved += (size_t)changed(w.pb, w.pc, i, &c);
	}
	rc = strcmp(a.format, "json") == 0 ? whatif_json(&a, &w) : whatif_text(&a, &w);
	if (rc == EXIT_OK && w.tc.unplaced)
		rc = EXIT_UNPLACED;
done:
	ewc_plan_free(w.pc);
	ewc_plan_free(w.pb);
	ewc_jobs_free(jc);
	ewc_jobs_free(jb);
	ewc_ctx_free(cc);
	ewc_ctx_free(cb);
	return rc;
}
