/* cmd_place.c - `ewc place`: optimise a job list and report the plan */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmds.h"
#include "metrics.h"
#include "report.h"

const char cmd_place_help[] =
	"usage: ewc place [--regions PATH]... --jobs FILE [OPTIONS]\n"
	"\n"
	"Optimise the placement of every job in FILE (CSV) on the regions and\n"
	"report the plan beside the baseline that keeps each job near its origin.\n"
	"\n"
	"  --regions PATH       region descriptors and GPU catalog: a file or a folder\n"
	"                       of *.xml (repeatable; default $EWC_REGIONS, else the\n"
	"                       installed regions)\n"
	"  --jobs FILE          the job list (CSV, see ewc(1))\n"
	"  --mode MODE          balanced (default), cost or carbon\n"
	"  --carbon-price N     CNY per tonne CO2 in balanced mode (default 100)\n"
	"  --carbon-basis B     market (default: contracted green power counts) or\n"
	"                       location (the grid's factor alone): the carbon that\n"
	"                       the carbon mode, price and budget use; both are shown\n"
	"  --format FORMAT      table (default), csv or json\n"
	"  --output FILE        write there instead of standard output\n"
	"  --gap G              stop when within relative gap G of the bound\n"
	"                       (default 0.0001)\n"
	"  --time-limit S       seconds the optimiser may take (default 60)\n"
	"  --write-lp FILE      write the model in CPLEX LP format\n"
	"  --metrics FILE       write what the plan did as OpenMetrics text (for\n"
	"                       node_exporter's textfile collector; docs/operations.md)\n"
	"  --commit             record the plan in the state database: its jobs run\n"
	"                       from --now on (nothing is written without it)\n"
	"  --db FILE            the state database: its feed data (ewc regions sync)\n"
	"                       is laid over the regions; --commit records there\n"
	"                       (default with --commit: $EWC_DB, else ./ewc.db)\n"
	"  --max-age AGE        warn when feed data is older (default 48h; 2d, 72)\n"
	"  --now TIME           when the placed jobs start, UTC 2026-11-22T06:00:00Z\n"
	"                       (default: the current time)\n"
	"  --solver S           auto (default: direct up to 3,000 options, else\n"
	"                       decompose), direct (GLPK branch-and-cut on the whole\n"
	"                       model) or decompose (prices on the capacity rows)\n"
	"  --show-duals         shadow prices: what one more GPU of each full\n"
	"                       capacity, or a looser policy, would save\n"
	"\n"
	"policy (each must hold, or the command fails naming it):\n"
	"  --report FILE.html   with --horizon: each region's GPUs in use by hour\n"
	"                       against its power price, and when each job runs\n"
	"  --horizon H          plan when as well as where: H hourly slots (up to\n"
	"                       8,784); training may wait for cheaper hours\n"
	"  --start TIME         the first slot, a whole hour (default: this hour),\n"
	"                       as 2026-12-07T00:00:00+08:00\n"
	"  --policy FILE        <policy carbon-budget-kg=\"\" min-green-share=\"\"\n"
	"                       max-region-share=\"\"/>, the options below override it\n"
	"  --carbon-budget KG   total carbon of the plan at most KG\n"
	"  --min-green-share S  at least S (0..1) of the energy placed is green\n"
	"  --max-region-share S no region holds more than S (0..1) of the GPUs placed\n"
	"\n"
	"On a terminal, a long solve shows its progress on standard error.\n"
	"exit status: 0 every job placed, 3 some unplaced, 1 error, 2 usage.\n";

/* The policy constraints set, each with the plan's figure. */
/* The carbon summary on both bases, and in words when they disagree. */
static void carbon_lines(FILE *f, const ewc_totals *t, const ewc_totals *b)
{
	double dm = t->carbon_kg - b->carbon_kg, dl = t->carbon_location_kg - b->carbon_location_kg;
	double pm = b->carbon_kg > 0 ? 100.0 * dm / b->carbon_kg : 0;
	double pl = b->carbon_location_kg > 0 ? 100.0 * dl / b->carbon_location_kg : 0;
	char n1[64], n2[64];

	fprintf(f, "Carbon: %s kg CO2 %s market-based (%.1f%%), %s kg %s location-based (%.1f%%).\n",
	        tool_fmt(n1, sizeof n1, fabs(dm), 1), dm <= 0 ? "avoided" : "added", fabs(pm),
	        tool_fmt(n2, sizeof n2, fabs(dl), 1), dl <= 0 ? "avoided" : "added", fabs(pl));
	/* a change under 0.05 % is no change in either direction */
	if (pm < -0.05 && pl > 0.05)
		fprintf(f, "The bases disagree: market-based %+.1f%%, location-based %+.1f%%: the saving "
		        "rests on contracted green power.\n", pm, pl);
	else if (pm > 0.05 && pl < -0.05)
		fprintf(f, "The bases disagree: market-based %+.1f%%, location-based %+.1f%%: the plan "
		        "uses less contracted green power than staying near the origin.\n", pm, pl);
}

static void print_policy(FILE *f, ewc_plan *plan)
{
	ewc_policy pol = EWC_POLICY_INIT;
	char n1[64], n2[64];

	if (ewc_plan_policy(plan, &pol) != 0 || (pol.carbon_budget_kg < 0 &&
	    pol.min_green_share < 0 && pol.max_region_share < 0))
		return;
	fputs("\nPolicy (holds):\n", f);
	if (pol.carbon_budget_kg >= 0)
		fprintf(f, "  carbon budget         %s kg; the plan emits %s kg\n",
		        tool_fmt(n1, sizeof n1, pol.carbon_budget_kg, 1),
		        tool_fmt(n2, sizeof n2, pol.carbon_kg, 1));
	if (pol.min_green_share >= 0)
		fprintf(f, "  minimum green share   %.1f%%; the plan's energy is %.1f%% green\n",
		        100.0 * pol.min_green_share, 100.0 * pol.green_share);
	if (pol.max_region_share >= 0)
		fprintf(f, "  maximum region share  %.1f%%; the largest, %s, holds %.1f%% of the GPUs\n",
		        100.0 * pol.max_region_share, pol.region ? pol.region : "-",
		        100.0 * pol.region_share);
}

/* --show-duals: what relaxing each binding constraint by one unit saves. */
static void print_duals(FILE *f, ewc_plan *plan)
{
	const char *unit = ewc_plan_mode(plan) == EWC_MODE_CARBON ? "kg" : "CNY";
	size_t n = 0;
	char n1[64], n2[64];

	if (ewc_plan_compute_shadow_prices(plan, &n) != 0)
		return;
	fprintf(f, "\nShadow prices (LP duals with the placed jobs fixed; LP objective %s %s):\n",
	        tool_fmt(n1, sizeof n1, ewc_plan_lp_objective(plan), 2), unit);
	if (n == 0)
		fputs("  none: no capacity is full and no policy binds.\n", f);
	else
		fprintf(f, "  %-30s %-6s %12s %18s  %s\n", "CONSTRAINT", "TYPE", "USED/FREE",
		        "WORTH", "PER");
	for (size_t i = 0; i < n; i++) {
		ewc_shadow sh = EWC_SHADOW_INIT;
		char what[96], used[48];
		ewc_plan_shadow(plan, i, &sh);
		if (sh.kind == EWC_SHADOW_CAPACITY) {
			snprintf(what, sizeof what, "capacity %s", sh.region);
			snprintf(used, sizeof used, "%ld/%ld", sh.used_gpus, sh.free_gpus);
		} else {
			snprintf(what, sizeof what, "%s%s%s", ewc_shadow_kind_name(sh.kind),
			         sh.region ? " " : "", sh.region ? sh.region : "");
			used[0] = '\0';
		}
		fprintf(f, "  %-30s %-6s %12s %14s %-3s  %s\n", what, sh.gpu_type ? sh.gpu_type : "",
		        used, tool_fmt(n2, sizeof n2, sh.value, 2), unit, ewc_shadow_unit(sh.kind));
	}
}

static void print_table(FILE *f, ewc_plan *plan, size_t njobs, int duals)
{
	ewc_totals t = EWC_TOTALS_INIT, b = EWC_TOTALS_INIT;
	ewc_comparison c = EWC_COMPARISON_INIT;
	char n1[64], n2[64], n3[64];
	const char *unit = ewc_plan_mode(plan) == EWC_MODE_CARBON ? "kg" : "CNY";
	size_t unplaced = 0;

	ewc_plan_totals(plan, &t);
	ewc_plan_baseline(plan, &b);
	ewc_plan_compare(plan, &c);

	ewc_time_split sp = EWC_TIME_SPLIT_INIT;
	size_t waits = 0;

	ewc_plan_time_split(plan, &sp);
	if (sp.horizon_h)
		fprintf(f, "%-20s %-5s %-20s %-4s %-5s %6s %9s %-16s %-16s %14s %12s  %s\n", "JOB",
		        "KIND", "REGION", "ZONE", "TYPE", "GPUS", "HOURS", "START (UTC+8)", "END",
		        "COST CNY", "CARBON KG", "NEAR-ORIGIN PLAN");
	else
		fprintf(f, "%-20s %-5s %-20s %-4s %-5s %6s %9s %14s %12s  %s\n", "JOB", "KIND",
		        "REGION", "ZONE", "TYPE", "GPUS", "HOURS", "COST CNY", "CARBON KG",
		        "NEAR-ORIGIN PLAN");
	for (size_t i = 0; i < njobs; i++) {
		ewc_assignment a = EWC_ASSIGNMENT_INIT;
		const char *near;
		ewc_plan_assignment(plan, i, &a);
		if (!a.region) {
			unplaced++;
			continue;
		}
		near = !a.baseline_region ? "(unplaced)" :
		       strcmp(a.baseline_region, a.region) == 0 ? "same" : a.baseline_region;
		if (sp.horizon_h) {
			char t1[40], t2[40];
			tool_clock(a.start_time, t1, sizeof t1);
			tool_clock(a.end_time, t2, sizeof t2);
			waits += a.wait != NULL;
			fprintf(f, "%-20s %-5s %-20s %-4s %-5s %6ld %9s %-16s %-16s %14s %12s  %s\n",
			        a.job, ewc_kind_name(a.kind), a.region, ewc_zone_name(a.zone),
			        a.gpu_type, a.gpus, tool_fmt(n1, sizeof n1, a.hours, 1), t1, t2,
			        tool_fmt(n2, sizeof n2, a.cost_cny, 2),
			        tool_fmt(n3, sizeof n3, a.carbon_kg, 1), near);
			continue;
		}
		fprintf(f, "%-20s %-5s %-20s %-4s %-5s %6ld %9s %14s %12s  %s\n", a.job,
		        ewc_kind_name(a.kind), a.region, ewc_zone_name(a.zone), a.gpu_type, a.gpus,
		        tool_fmt(n1, sizeof n1, a.hours, 1), tool_fmt(n2, sizeof n2, a.cost_cny, 2),
		        tool_fmt(n3, sizeof n3, a.carbon_kg, 1), near);
	}
	if (waits) {
		fprintf(f, "\nstarting later (%zu):\n", waits);
		for (size_t i = 0; i < njobs; i++) {
			ewc_assignment a = EWC_ASSIGNMENT_INIT;
			ewc_plan_assignment(plan, i, &a);
			if (a.region && a.wait)
				fprintf(f, "  %-20s %s\n", a.job, a.wait);
		}
	}
	if (unplaced) {
		fprintf(f, "\nunplaced (%zu):\n", unplaced);
		for (size_t i = 0; i < njobs; i++) {
			ewc_assignment a = EWC_ASSIGNMENT_INIT;
			ewc_plan_assignment(plan, i, &a);
			if (!a.region)
				fprintf(f, "  %-20s %s\n", a.job, a.reason);
		}
	}

	fprintf(f, "\n%-28s %16s %16s %16s\n", "", "PLAN", "NEAR-ORIGIN", "DIFFERENCE");
#define ROW(label, x, y, dec)                                                          \
	fprintf(f, "%-28s %16s %16s %16s\n", label, tool_fmt(n1, sizeof n1, x, dec),    \
	        tool_fmt(n2, sizeof n2, y, dec), tool_fmt(n3, sizeof n3, (x) - (y), dec))
	ROW("cost (CNY)", t.cost_cny, b.cost_cny, 2);
	ROW("  GPU rental", t.gpu_cny, b.gpu_cny, 2);
	ROW("  power", t.power_cny, b.power_cny, 2);
	ROW("  data transfer", t.transfer_cny, b.transfer_cny, 2);
	ROW("carbon (kg CO2)", t.carbon_kg, b.carbon_kg, 1);
	ROW("  location-based (kg CO2)", t.carbon_location_kg, b.carbon_location_kg, 1);
	ROW("energy (kWh)", t.energy_kwh, b.energy_kwh, 1);
	ROW("GPU-hours east", t.gpu_hours_east, b.gpu_hours_east, 1);
	ROW("GPU-hours west", t.gpu_hours_west, b.gpu_hours_west, 1);
	ROW("GPU-hours domestic", t.gpu_hours_domestic, b.gpu_hours_domestic, 1);
	ROW("jobs placed", (double)t.placed, (double)b.placed, 0);
#undef ROW

	fprintf(f, "\nmode %s", ewc_mode_name(ewc_plan_mode(plan)));
	if (ewc_plan_mode(plan) == EWC_MODE_BALANCED)
		fprintf(f, ", carbon price %s CNY/t", tool_fmt(n1, sizeof n1, ewc_plan_carbon_price(plan), 0));
	if (ewc_plan_mode(plan) != EWC_MODE_COST)
		fprintf(f, " on %s-based carbon", ewc_carbon_basis_name(ewc_plan_carbon_basis(plan)));
	fprintf(f, "; objective %s %s, proven lower bound %s, gap %.4f%%%s\n",
	        tool_fmt(n2, sizeof n2, t.objective, 2), unit,
	        tool_fmt(n3, sizeof n3, t.lower_bound, 2), 100.0 * t.gap,
	        ewc_plan_proven(plan) ? "" : " (stopped at the time limit)");
	fputc('\n', f);
	if (b.cost_cny > 0)
		fprintf(f, "Cost: %s CNY %s than keeping jobs near their origin (%.1f%%).\n",
		        tool_fmt(n1, sizeof n1, c.cost_saved_cny >= 0 ? c.cost_saved_cny : -c.cost_saved_cny, 2),
		        c.cost_saved_cny >= 0 ? "less" : "more",
		        c.cost_saved_pct >= 0 ? c.cost_saved_pct : -c.cost_saved_pct);
	if (b.carbon_kg > 0 || b.carbon_location_kg > 0)
		carbon_lines(f, &t, &b);
	if (sp.horizon_h) {
		char t0[40], c1[32], c2[32], c3[32], c4[32], c5[32], c6[32];
		tool_clock(sp.start_time, t0, sizeof t0);
		fprintf(f, "Horizon: %d h from %s (UTC+8). Of the saving against near-origin at "
		        "once, the choice of region earned %s CNY, %s kg CO2 market-based, %s kg "
		        "location-based; the choice of time %s CNY, %s kg and %s kg.\n",
		        sp.horizon_h, t0, tool_fmt(c1, sizeof c1, sp.where_cost_cny, 2),
		        tool_fmt(c2, sizeof c2, sp.where_carbon_kg, 1),
		        tool_fmt(c3, sizeof c3, sp.where_carbon_location_kg, 1),
		        tool_fmt(c4, sizeof c4, sp.when_cost_cny, 2),
		        tool_fmt(c5, sizeof c5, sp.when_carbon_kg, 1),
		        tool_fmt(c6, sizeof c6, sp.when_carbon_location_kg, 1));
	}
	fprintf(f, "Data transfer: %s CNY %s than near the origin; GPU rental and power: %s CNY %s.\n",
	        tool_fmt(n1, sizeof n1, c.transfer_extra_cny >= 0 ? c.transfer_extra_cny : -c.transfer_extra_cny, 2),
	        c.transfer_extra_cny >= 0 ? "more" : "less",
	        tool_fmt(n2, sizeof n2, c.gpu_power_saved_cny >= 0 ? c.gpu_power_saved_cny : -c.gpu_power_saved_cny, 2),
	        c.gpu_power_saved_cny >= 0 ? "saved" : "added");
	fprintf(f, "Eastern GPU-hours freed for latency-bound work: %s.\n",
	        tool_fmt(n1, sizeof n1, c.east_gpu_hours_freed, 1));
	{
		size_t train = 0, train_west = 0, infer = 0, infer_east = 0;
		for (size_t i = 0; i < njobs; i++) {
			ewc_assignment a = EWC_ASSIGNMENT_INIT;
			ewc_plan_assignment(plan, i, &a);
			if (!a.region)
				continue;
			if (a.kind == EWC_KIND_TRAIN) {
				train++;
				train_west += a.zone == EWC_ZONE_WEST;
			} else {
				infer++;
				infer_east += a.zone == EWC_ZONE_EAST;
			}
		}
		char c1[32], c2[32], c3[32], c4[32];
		fprintf(f, "Training: %s of %s placed jobs in the west. Inference: %s of %s in the east"
		        "%s\n", tool_fmt(c1, sizeof c1, (double)train_west, 0),
		        tool_fmt(c2, sizeof c2, (double)train, 0),
		        tool_fmt(c3, sizeof c3, (double)infer_east, 0),
		        tool_fmt(c4, sizeof c4, (double)infer, 0),
		        infer_east < infer ? " (the others have a western hub within their SLO; "
		                             "see ewc explain)." : ".");
	}
	if (c.placed_diff != 0)
		fprintf(f, "The plan places %ld job%s %s than the near-origin plan, so totals cover different jobs.\n",
		        c.placed_diff > 0 ? c.placed_diff : -c.placed_diff,
		        (c.placed_diff == 1 || c.placed_diff == -1) ? "" : "s",
		        c.placed_diff > 0 ? "more" : "fewer");
	if (t.gpu_hours > 0)
		fprintf(f, "Domestic accelerators: %s of %s GPU-hours (%.1f%%).\n",
		        tool_fmt(n1, sizeof n1, t.gpu_hours_domestic, 1),
		        tool_fmt(n2, sizeof n2, t.gpu_hours, 1),
		        100.0 * t.gpu_hours_domestic / t.gpu_hours);
	if (ewc_plan_gpus_taken(plan) > 0)
		fprintf(f, "Capacity ledger: %s GPUs held by runs committed after the regions' "
		        "figures were taken are not counted as free.\n",
		        tool_fmt(n1, sizeof n1, (double)ewc_plan_gpus_taken(plan), 0));
	print_policy(f, plan);
	if (duals)
		print_duals(f, plan);
}

static void print_csv(FILE *f, ewc_plan *plan, size_t njobs)
{
	ewc_time_split sp = EWC_TIME_SPLIT_INIT;

	ewc_plan_time_split(plan, &sp);
	fputs("job,kind,origin,region,zone,gpu_type,gpus,hours,cost_cny,transfer_cny,"
	      "energy_kwh,carbon_kg,carbon_location_kg,objective,baseline_region,", f);
	fputs(sp.horizon_h ? "start,end,baseline_start,reason\n" : "reason\n", f);
	for (size_t i = 0; i < njobs; i++) {
		ewc_assignment a = EWC_ASSIGNMENT_INIT;
		ewc_plan_assignment(plan, i, &a);
		tool_csv_field(f, a.job, 0);
		tool_csv_field(f, ewc_kind_name(a.kind), 0);
		tool_csv_field(f, a.origin, 0);
		tool_csv_field(f, a.region, 0);
		tool_csv_field(f, a.region ? ewc_zone_name(a.zone) : "", 0);
		tool_csv_field(f, a.gpu_type, 0);
		fprintf(f, "%ld,", a.gpus);
		if (a.region) {
			tool_csv_num(f, a.hours, 0);
			tool_csv_num(f, a.cost_cny, 0);
			tool_csv_num(f, a.transfer_cny, 0);
			tool_csv_num(f, a.energy_kwh, 0);
			tool_csv_num(f, a.carbon_kg, 0);
			tool_csv_num(f, a.carbon_location_kg, 0);
			tool_csv_num(f, a.objective, 0);
		} else {
			fputs(",,,,,,,", f);
		}
		tool_csv_field(f, a.baseline_region, 0);
		if (sp.horizon_h) {
			char t1[40] = "", t2[40] = "", t3[40] = "";
			if (a.start_time >= 0) {
				ewc_time_format_offset(a.start_time, EWC_PLAN_TZ_MIN, t1, sizeof t1);
				ewc_time_format_offset(a.end_time, EWC_PLAN_TZ_MIN, t2, sizeof t2);
			}
			if (a.baseline_start_time >= 0)
				ewc_time_format_offset(a.baseline_start_time, EWC_PLAN_TZ_MIN, t3, sizeof t3);
			tool_csv_field(f, t1, 0);
			tool_csv_field(f, t2, 0);
			tool_csv_field(f, t3, 0);
			tool_csv_field(f, a.reason ? a.reason : a.wait, 1);
		} else {
			tool_csv_field(f, a.reason, 1);
		}
	}
}

/* The plan as the format asks, into *data (malloc'd, *len bytes). */
static int render(const cmd_args *a, ewc_plan *plan, size_t njobs, char **data,
                  size_t *len)
{
	tool_buf out;

	*data = NULL;
	*len = 0;
	if (strcmp(a->format, "json") == 0) {
		char *json;
		if (ewc_plan_to_json(plan, 2, &json) != 0) {
			tool_error("%s", ewc_errmsg());
			return -1;
		}
		size_t n = strlen(json);
		*data = malloc(n + 2);
		if (!*data) {
			ewc_free(json);
			tool_error("out of memory");
			return -1;
		}
		memcpy(*data, json, n);
		(*data)[n] = '\n';
		*len = n + 1;
		ewc_free(json);
		return 0;
	}
	if (tool_buf_open(&out) != 0)
		return -1;
	if (strcmp(a->format, "csv") == 0)
		print_csv(out.f, plan, njobs);
	else
		print_table(out.f, plan, njobs, a->show_duals);
	if (tool_buf_close(&out) != 0)
		return -1;
	if (strcmp(a->format, "csv") == 0) {
		*data = out.data;
		*len = out.len;
		return 0;
	}
	/* a table is for people: job ids with control bytes are escaped */
	*data = tool_escape(out.data, out.len, len);
	free(out.data);
	if (!*data) {
		tool_error("out of memory");
		return -1;
	}
	return 0;
}

/* Record the plan in the state database, last: the output file is written
 * beside its target first, the run committed only when that succeeded,
 * and the output renamed into place after. A failure leaves both as they
 * were. */
static int commit(const cmd_args *a, const ewc_plan *plan, const ewc_totals *t,
                  const char *data, size_t len, tool_staged *sm)
{
	const char *path = tool_db_path(a->db);
	char source[1024] = "";
	ewc_db *db = NULL;
	long long run = 0;
	size_t used = 0;
	tool_staged st = { NULL, NULL };
	int to_file = a->output && strcmp(a->output, "-") != 0;

	/* where the regions came from, for the snapshot */
	for (size_t i = 0; i < a->regions.n && used < sizeof source; i++)
		used += (size_t)snprintf(source + used, sizeof source - used, "%s%s", i ? " " : "",
		                         a->regions.paths[i]);
	if (ewc_db_open(&db, path) != 0 || ewc_db_begin(db) != 0 ||
	    ewc_db_commit_plan(db, plan, a->now, source, &run) != 0) {
		tool_error("%s", ewc_errmsg());
		ewc_db_free(db);
		return -1;
	}
	if (to_file && tool_stage(&st, a->output, data, len) != 0) {
		ewc_db_free(db); /* drops the run */
		tool_error("%s: nothing recorded", path);
		return -1;
	}
	if (ewc_db_end(db, 1) != 0) {
		tool_error("%s", ewc_errmsg());
		tool_stage_abort(&st);
		tool_stage_abort(sm);
		ewc_db_free(db);
		return -1;
	}
	if (tool_stage_finish(sm) != 0) {
		tool_stage_abort(&st);
		ewc_db_free(db);
		return -1;
	}
	ewc_db_free(db);
	{
		char c[32];
		fprintf(stderr, "ewc: recorded as run %lld in %s: %s job%s %s\n", run, path,
		        tool_fmt(c, sizeof c, (double)t->placed, 0), t->placed == 1 ? "" : "s",
		        a->opts.horizon_h ? "placed at their planned starts" : "started");
	}
	if (to_file)
		return tool_stage_finish(&st);
	return tool_write(a->output, data, len);
}

int place_output(const cmd_args *a, ewc_plan *plan, size_t njobs, double t0)
{
	ewc_totals t = EWC_TOTALS_INIT;
	char *data = NULL;
	size_t len = 0;
	tool_staged sm = { NULL, NULL }, sr = { NULL, NULL };
	int rc;

	ewc_plan_totals(plan, &t);
	rc = t.unplaced ? EXIT_UNPLACED : EXIT_OK;
	if (a->show_duals && ewc_plan_compute_shadow_prices(plan, &(size_t){ 0 }) != 0) {
		tool_error("%s", ewc_errmsg());
		rc = EXIT_ERR;
	} else if (render(a, plan, njobs, &data, &len) != 0) {
		rc = EXIT_ERR;
	} else if (a->metrics && metrics_place(a->metrics, plan, njobs, tool_seconds() - t0,
	                                       a->now, &sm) != 0) {
		rc = EXIT_ERR;
	} else if (a->report && report_time(a->report, a->jobs, plan, njobs, &sr) != 0) {
		tool_stage_abort(&sm);
		rc = EXIT_ERR;
	} else if (a->commit ? commit(a, plan, &t, data, len, &sm) != 0
	                     : (tool_write(a->output, data, len) != 0 ||
	                        tool_stage_finish(&sm) != 0 || tool_stage_finish(&sr) != 0)) {
		tool_stage_abort(&sm);
		tool_stage_abort(&sr);
		rc = EXIT_ERR;
	}
	free(data);
	return rc;
}

int cmd_place(int argc, char **argv)
{
	cmd_args a;
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_plan *plan;
	double t0 = tool_seconds();
	int rc;

	rc = args_parse("place", ARGS_PLACE, cmd_place_help, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	rc = place_run(&a, &ctx, &jobs, &plan);
	if (rc)
		return rc;
	rc = place_output(&a, plan, ewc_jobs_count(jobs), t0);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
	return rc;
}
