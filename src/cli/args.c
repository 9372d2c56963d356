/* args.c - the planning commands' one option table, and the load-and-solve of place and explain */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"

enum { O_REGIONS = 256, O_JOBS, O_JOB, O_SOLVE, O_FORMAT, O_OUTPUT, O_LP, O_DB, O_MAXAGE,
       O_COMMIT, O_NOW, O_DUALS, O_POLICY, O_POINTS, O_POINT, O_REPORT, O_METRICS, O_SET, O_MAXMOVES, O_MARGIN,
       O_RESTART, O_HORIZON, O_START, O_HELP };

/* Every option of the planning commands, with the ARG_* bit that selects it. */
static const struct {
	struct option o;
	unsigned which;
} table[] = {
	{ { "regions", required_argument, NULL, O_REGIONS }, ARG_REGIONS },
	{ { "jobs", required_argument, NULL, O_JOBS }, ARG_JOBS },
	{ { "job", required_argument, NULL, O_JOB }, ARG_JOB },
	{ { "points", required_argument, NULL, O_POINTS }, ARG_POINTS },
	{ { "point", required_argument, NULL, O_POINT }, ARG_POINT },
	{ { "report", required_argument, NULL, O_REPORT }, ARG_REPORT },
	{ { "metrics", required_argument, NULL, O_METRICS }, ARG_METRICS },
	{ { "set", required_argument, NULL, O_SET }, ARG_SET },
	{ { "mode", required_argument, NULL, O_SOLVE }, ARG_MODE },
	{ { "carbon-price", required_argument, NULL, O_SOLVE }, ARG_CPRICE },
	{ { "carbon-basis", required_argument, NULL, O_SOLVE }, ARG_BASIS },
	{ { "format", required_argument, NULL, O_FORMAT }, ARG_FORMAT },
	{ { "output", required_argument, NULL, O_OUTPUT }, ARG_OUTPUT },
	{ { "gap", required_argument, NULL, O_SOLVE }, ARG_SOLVE },
	{ { "time-limit", required_argument, NULL, O_SOLVE }, ARG_SOLVE },
	{ { "write-lp", required_argument, NULL, O_LP }, ARG_LP },
	{ { "solver", required_argument, NULL, O_SOLVE }, ARG_SOLVE },
	{ { "db", required_argument, NULL, O_DB }, ARG_DB },
	{ { "max-age", required_argument, NULL, O_MAXAGE }, ARG_DB },
	{ { "commit", no_argument, NULL, O_COMMIT }, ARG_COMMIT },
	{ { "now", required_argument, NULL, O_NOW }, ARG_COMMIT },
	{ { "show-duals", no_argument, NULL, O_DUALS }, ARG_DUALS },
	{ { "policy", required_argument, NULL, O_POLICY }, ARG_POLICY },
	{ { "carbon-budget", required_argument, NULL, O_POLICY }, ARG_POLICY },
	{ { "min-green-share", required_argument, NULL, O_POLICY }, ARG_POLICY },
	{ { "max-region-share", required_argument, NULL, O_POLICY }, ARG_POLICY },
	{ { "max-moves", required_argument, NULL, O_MAXMOVES }, ARG_MOVES },
	{ { "margin", required_argument, NULL, O_MARGIN }, ARG_MOVES },
	{ { "restart-hours", required_argument, NULL, O_RESTART }, ARG_MOVES },
	{ { "horizon", required_argument, NULL, O_HORIZON }, ARG_TIME },
	{ { "start", required_argument, NULL, O_START }, ARG_TIME },
};
#define NTABLE (sizeof table / sizeof table[0])

/* --policy FILE, --carbon-budget, --min-green-share, --max-region-share,
 * by name without the dashes. */
static int policy_option(const char *cmd, const char *name, const char *value, cmd_args *a)
{
	char opt[40];
	double v;

	if (strcmp(name, "policy") == 0) {
		a->policy = value;
		return 0;
	}
	snprintf(opt, sizeof opt, "--%s", name);
	if (tool_number(cmd, opt, value, &v))
		return EXIT_USAGE;
	if (strcmp(name, "carbon-budget") == 0) {
		if (v < 0)
			return tool_usage(cmd, "--carbon-budget: must be kg >= 0, not \"%s\"", value);
		a->budget = v;
	} else if (strcmp(name, "min-green-share") == 0) {
		if (v < 0 || v > 1)
			return tool_usage(cmd, "--min-green-share: must be between 0 and 1, not \"%s\"",
			                  value);
		a->green = v;
	} else {
		if (v <= 0 || v > 1)
			return tool_usage(cmd, "--max-region-share: must be > 0 and <= 1, not \"%s\"",
			                  value);
		a->share = v;
	}
	return 0;
}

int args_parse(const char *cmd, unsigned which, const char *help, int argc, char **argv,
               cmd_args *a)
{
	struct option opts[NTABLE + 2];
	ewc_place_options def = EWC_PLACE_OPTIONS_INIT;
	ewc_rebalance_options rdef = EWC_REBALANCE_OPTIONS_INIT;
	int c, li = 0, carbon_price_set = 0;
	size_t n = 0;
	double v;

	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].which & which)
			opts[n++] = table[i].o;
	opts[n++] = (struct option){ "help", no_argument, NULL, O_HELP };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	memset(a, 0, sizeof *a);
	a->opts = def;
	a->rebal = rdef;
	a->budget = a->green = a->share = -1;
	a->format = "table";
	a->now = (double)time(NULL);
	a->max_age_h = 48;
	a->points = 11;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, &li)) != -1) {
		switch (c) {
		case O_REGIONS:
			if (tool_regions_add(&a->regions, cmd, optarg))
				return EXIT_USAGE;
			break;
		case O_JOBS: a->jobs = optarg; break;
		case O_JOB: a->job = optarg; break;
		case O_SOLVE:
			if (tool_solve_option(cmd, opts[li].name, optarg, &a->opts, &carbon_price_set))
				return EXIT_USAGE;
			break;
		case O_POLICY:
			if (policy_option(cmd, opts[li].name, optarg, a))
				return EXIT_USAGE;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return tool_usage(cmd, "--format: use table, csv or json, not \"%s\"", optarg);
			a->format = optarg;
			break;
		case O_OUTPUT: a->output = optarg; break;
		case O_LP: a->opts.write_lp = optarg; break;
		case O_DB: a->db = optarg; break;
		case O_MAXAGE:
			if (tool_max_age(cmd, optarg, &a->max_age_h))
				return EXIT_USAGE;
			break;
		case O_COMMIT: a->commit = 1; break;
		case O_DUALS: a->show_duals = 1; break;
		case O_NOW:
			if (tool_time(cmd, "--now", optarg, &a->now))
				return EXIT_USAGE;
			break;
		case O_REPORT: a->report = optarg; break;
		case O_METRICS: a->metrics = optarg; break;
		case O_POINTS:
			if (tool_number(cmd, "--points", optarg, &v))
				return EXIT_USAGE;
			if (v < 2 || v > 1000 || v != floor(v))
				return tool_usage(cmd, "--points: a whole number from 2 to 1000, not \"%s\"",
				                  optarg);
			a->points = (size_t)v;
			break;
		case O_POINT:
			if (tool_number(cmd, "--point", optarg, &v))
				return EXIT_USAGE;
			if (v < 1 || v > 1000 || v != floor(v))
				return tool_usage(cmd, "--point: a point number from 1, not \"%s\"", optarg);
			a->point = (size_t)v;
			break;
		case O_SET:
			if (a->nsets == ARGS_MAX_SETS)
				return tool_usage(cmd, "at most %d --set options", ARGS_MAX_SETS);
			a->sets[a->nsets++] = optarg;
			break;
		case O_MAXMOVES:
			if (tool_number(cmd, "--max-moves", optarg, &v))
				return EXIT_USAGE;
			if (v < 0 || v != floor(v) || v > 1e9)
				return tool_usage(cmd, "--max-moves: want a whole number >= 0, got %s",
				                  optarg);
			a->rebal.max_moves = (long)v;
			break;
		case O_MARGIN:
			if (tool_number(cmd, "--margin", optarg, &a->rebal.margin))
				return EXIT_USAGE;
			if (a->rebal.margin < 0)
				return tool_usage(cmd, "--margin: must be >= 0, got %s", optarg);
			break;
		case O_RESTART:
			if (tool_number(cmd, "--restart-hours", optarg, &a->rebal.restart_hours))
				return EXIT_USAGE;
			if (a->rebal.restart_hours < 0)
				return tool_usage(cmd, "--restart-hours: must be >= 0, got %s", optarg);
			break;
		case O_HORIZON:
			if (tool_number(cmd, "--horizon", optarg, &v))
				return EXIT_USAGE;
			if (v < 1 || v > EWC_HORIZON_MAX || v != floor(v))
				return tool_usage(cmd, "--horizon: want whole hours from 1 to %d, got %s",
				                  EWC_HORIZON_MAX, optarg);
			a->opts.horizon_h = (int)v;
			break;
		case O_START:
			if (ewc_time_parse_offset(optarg, &a->opts.start_time) != 0 ||
			    fmod(a->opts.start_time, 3600.0) != 0 || a->opts.start_time <= 0)
				return tool_usage(cmd, "--start: want a whole hour as ISO 8601, like "
				                  "2026-12-07T00:00:00+08:00, got \"%s\"", optarg);
			a->start_set = 1;
			break;
		case O_HELP:
			fputs(help, stdout);
			return -1;
		case ':':
			return tool_usage(cmd, "%s needs a value", argv[optind - 1]);
		default:
			return tool_usage(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tool_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
	if ((which & ARG_JOBS) && !a->jobs)
		return tool_usage(cmd, "--jobs FILE is required");
	if (a->start_set && !a->opts.horizon_h)
		return tool_usage(cmd, "--start needs --horizon HOURS");
	if ((which & ARG_MOVES) && a->start_set)
		return tool_usage(cmd, "--start is for place: a rebalancing plans from the hour of "
		                  "--now");
	if ((which & ARG_TIME) && !(which & ARG_MOVES) && a->report && !a->opts.horizon_h)
		return tool_usage(cmd, "--report needs --horizon HOURS: the report draws the plan "
		                  "over time");
	if (a->opts.horizon_h && a->show_duals)
		return tool_usage(cmd, "--horizon plans start times, which --show-duals does not "
		                  "handle yet");
	{
		/* outputs are checked before anything is read or written: a
		 * device or a missing folder, or an output that is one of the
		 * inputs (or another output), fails now, not after the solve */
		const char *outs[] = { a->output, a->report, a->opts.write_lp, a->metrics };
		const char *oname[] = { "--output", "--report", "--write-lp", "--metrics" };
		const char *ins[TOOL_MAX_REGIONS + 3];
		const char *iname[TOOL_MAX_REGIONS + 3];
		size_t nin = 0;
		ins[nin] = a->jobs, iname[nin++] = "--jobs";
		ins[nin] = a->policy, iname[nin++] = "--policy";
		ins[nin] = a->db, iname[nin++] = "--db";
		for (size_t k = 0; k < a->regions.n; k++)
			ins[nin] = a->regions.paths[k], iname[nin++] = "--regions";
		for (size_t k = 0; k < 4; k++) {
			if (!outs[k])
				continue;
			if (tool_output_check(cmd, oname[k], outs[k]))
				return EXIT_ERR;
			for (size_t i = 0; i < nin; i++)
				if (tool_same_file(outs[k], ins[i])) {
					tool_error("%s %s is the file %s reads: refused, so that the input "
					           "is not overwritten", oname[k], outs[k], iname[i]);
					return EXIT_ERR;
				}
			for (size_t i = 0; i < k; i++)
				if (outs[i] && strcmp(outs[i], "-") != 0 &&
				    (strcmp(outs[i], outs[k]) == 0 || tool_same_file(outs[i], outs[k]))) {
					tool_error("%s and %s name the same file", oname[i], oname[k]);
					return EXIT_ERR;
				}
		}
	}
	if ((which & ARG_JOB) && !a->job)
		return tool_usage(cmd, "--job ID is required");
	if ((which & ARG_SET) && a->nsets == 0)
		return tool_usage(cmd, "--set REGION.FIELD=VALUE is required (at least one)");
	if (carbon_price_set && a->opts.mode != EWC_MODE_BALANCED)
		return tool_usage(cmd, "--carbon-price applies to --mode balanced only");
	a->rebal.place = a->opts;
	return 0;
}

int args_policy_apply(const cmd_args *a, ewc_place_options *o)
{
	if (a->policy && ewc_policy_load(o, a->policy) != 0) {
		tool_error("%s", ewc_errmsg());
		return EXIT_ERR;
	}
	if (a->budget >= 0)
		o->carbon_budget_kg = a->budget;
	if (a->green >= 0)
		o->min_green_share = a->green;
	if (a->share >= 0)
		o->max_region_share = a->share;
	return 0;
}

/* A long solve's progress, on a terminal only: one line, rewritten. */
static void progress(void *user, const char *phase, double objective, double bound)
{
	double gap = fmax(0.0, (objective - bound) / fmax(1.0, fabs(objective)));

	*(int *)user = 1;
	fprintf(stderr, "\rewc: %-8s best %.10g  bound %.10g  gap %.4f%%\033[K", phase,
	        objective, bound, 100.0 * gap);
	fflush(stderr);
}

int args_state(cmd_args *a, ewc_ctx *ctx)
{
	if (a->db || (a->commit && access(tool_db_path(NULL), F_OK) == 0)) {
		/* the feeds' data over the descriptors, then the ledger: GPUs that
		 * runs committed after the figures were taken hold are not free.
		 * A --commit to a database not made yet reads nothing (and makes
		 * it only when the plan is recorded). */
		const char *path = tool_db_path(a->db);
		ewc_db *db = NULL;
		int bad;
		if (a->commit && access(path, F_OK) != 0)
			return 0;
		db = tool_db_existing(path);
		bad = !db || tool_overlay(db, ctx, a->now, a->max_age_h, !a->commit) != 0;
		if (!bad && ewc_db_ledger(db, ctx, &a->taken) != 0) {
			tool_error("%s", ewc_errmsg());
			bad = 1;
		}
		ewc_db_free(db);
		if (bad)
			return -1;
	}
	return 0;
}

int place_run(cmd_args *a, ewc_ctx **ctx, ewc_jobs **jobs, ewc_plan **plan)
{
	int rc, shown = 0;

	*ctx = NULL;
	*jobs = NULL;
	*plan = NULL;
	if (args_policy_apply(a, &a->opts))
		return EXIT_ERR;
	*ctx = tool_load(&a->regions);
	if (!*ctx)
		return EXIT_ERR;
	if (args_state(a, *ctx) != 0)
		goto fail;
	*jobs = tool_jobs(*ctx, a->jobs);
	if (!*jobs)
		goto fail;
	if (a->job && ewc_jobs_find(*jobs, a->job) < 0) {
		tool_error("%s: no job with id \"%s\"", a->jobs, a->job);
		goto fail;
	}
	if (isatty(STDERR_FILENO)) {
		a->opts.progress = progress;
		a->opts.progress_user = &shown;
	}
	rc = ewc_place(plan, *ctx, *jobs, &a->opts);
	if (shown)
		fputs("\r\033[K", stderr);
	if (rc != 0) {
		tool_error("%s", ewc_errmsg());
		goto fail;
	}
	return 0;
fail:
	ewc_jobs_free(*jobs);
	ewc_ctx_free(*ctx);
	*jobs = NULL;
	*ctx = NULL;
	return EXIT_ERR;
}
