/* args.h - the options the planning commands share: one table, one parser */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_ARGS_H
#define EWC_ARGS_H

#include "tool.h"

#define ARGS_MAX_SETS 64

/* What place, explain, frontier, whatif or rebalance was asked. */
typedef struct cmd_args {
	tool_regions regions;
	const char *jobs;
	const char *format;
	const char *output;
	const char *job;        /* explain: --job */
	const char *db;         /* place: --db (feed data; the plan with --commit) */
	double max_age_h;       /* place: --max-age of the feed data */
	int commit;             /* place: record the plan in the database */
	double now;             /* place: when the placed jobs start */
	int show_duals;         /* place: --show-duals */
	const char *policy;     /* --policy FILE */
	double budget, green, share;  /* --carbon-budget etc., < 0 when not given */
	size_t points;          /* frontier: --points */
	const char *report;     /* frontier: --report FILE.html */
	const char *metrics;    /* --metrics FILE: OpenMetrics text */
	size_t point;           /* frontier --point K (1-based), 0: none */
	long taken;             /* GPUs the ledger took off the free counts */
	const char *sets[ARGS_MAX_SETS];
	size_t nsets;           /* whatif: --set */
	ewc_rebalance_options rebal;  /* rebalance: --margin, --restart-hours,
	                               * --max-moves (its .place is opts) */
	ewc_place_options opts;  /* with --horizon/--start (place) */
	int start_set;           /* --start given */
} cmd_args;

/* The options of the table, by the commands that take them. */
enum {
	ARG_REGIONS = 1u << 0, ARG_JOBS = 1u << 1, ARG_JOB = 1u << 2, ARG_MODE = 1u << 3,
	ARG_CPRICE = 1u << 4, ARG_FORMAT = 1u << 5, ARG_OUTPUT = 1u << 6, ARG_SOLVE = 1u << 7,
	ARG_LP = 1u << 8, ARG_DB = 1u << 9, ARG_COMMIT = 1u << 10, ARG_DUALS = 1u << 11,
	ARG_POLICY = 1u << 12, ARG_POINTS = 1u << 13, ARG_REPORT = 1u << 14, ARG_SET = 1u << 15,
	ARG_MOVES = 1u << 16, ARG_BASIS = 1u << 17, ARG_METRICS = 1u << 18, ARG_POINT = 1u << 19,
	ARG_TIME = 1u << 20
};
#define ARGS_PLACE (ARG_REGIONS | ARG_JOBS | ARG_MODE | ARG_CPRICE | ARG_FORMAT | ARG_OUTPUT | \
                    ARG_SOLVE | ARG_LP | ARG_DB | ARG_COMMIT | ARG_DUALS | ARG_POLICY | ARG_BASIS | \
                    ARG_METRICS | ARG_TIME | ARG_REPORT)
#define ARGS_EXPLAIN (ARG_REGIONS | ARG_JOBS | ARG_JOB | ARG_MODE | ARG_CPRICE | ARG_SOLVE | \
                      ARG_POLICY | ARG_BASIS | ARG_FORMAT | ARG_OUTPUT)
#define ARGS_FRONTIER (ARG_REGIONS | ARG_JOBS | ARG_POINTS | ARG_POINT | ARG_COMMIT | ARG_DB | \
                       ARG_METRICS | ARG_REPORT | ARG_FORMAT | \
                       ARG_OUTPUT | ARG_SOLVE | ARG_POLICY | ARG_BASIS)
#define ARGS_REBALANCE (ARG_REGIONS | ARG_DB | ARG_COMMIT | ARG_MOVES | ARG_REPORT | ARG_METRICS | \
                        ARG_FORMAT | ARG_OUTPUT | ARG_MODE | ARG_CPRICE | ARG_SOLVE | ARG_BASIS | \
                        ARG_TIME)
#define ARGS_WHATIF (ARG_REGIONS | ARG_JOBS | ARG_SET | ARG_FORMAT | ARG_OUTPUT | ARG_MODE | \
                     ARG_CPRICE | ARG_SOLVE | ARG_POLICY | ARG_BASIS)

/* Parse the options `which` of command `cmd` into a; --help prints `help`.
 * Returns 0, -1 after --help, or the exit code to return (usage). */
/* With --db, or --commit to a database that exists: its feed data laid
 * over ctx and the capacity ledger applied. 0, or -1 with the message
 * printed. */
int args_state(cmd_args *a, ewc_ctx *ctx);

/* The end of ewc place for a plan made: its output in the format asked
 * (and --metrics), recorded with --commit (outputs staged, the database
 * last). Also frontier --point. The exit status. */
int place_output(const cmd_args *a, ewc_plan *plan, size_t njobs, double t0);

int args_parse(const char *cmd, unsigned which, const char *help, int argc, char **argv,
               cmd_args *a);

/* Load a's policy file into o, then its --carbon-budget,
 * --min-green-share and --max-region-share over it; prints and returns
 * EXIT_ERR on failure. */
int args_policy_apply(const cmd_args *a, ewc_place_options *o);

/* Load regions and jobs and solve; prints and returns EXIT_ERR on failure,
 * else 0 with the three objects set (free them in reverse order). */
int place_run(cmd_args *a, ewc_ctx **ctx, ewc_jobs **jobs, ewc_plan **plan);

#endif /* EWC_ARGS_H */
