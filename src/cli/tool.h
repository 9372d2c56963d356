/* tool.h - helpers shared by the ewc command's subcommands */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_TOOL_H
#define EWC_TOOL_H

#include <stdio.h>
#include "ewc.h"

/* Exit codes of the ewc command. */
enum {
	EXIT_OK = 0,        /* plan made and every job placed */
	EXIT_ERR = 1,       /* input or runtime error */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_UNPLACED = 3,  /* plan made, some jobs unplaced */
	EXIT_PARTIAL = 4    /* regions sync: some feeds failed, the others stored */
};

#define TOOL_MAX_REGIONS 32

#if defined(__GNUC__)
#define TOOL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TOOL_PRINTF(a, b)
#endif

/* Print "ewc: message" to stderr, each line of a multi-line message
 * prefixed. */
void tool_error(const char *fmt, ...) TOOL_PRINTF(1, 2);

/* A usage error: the message, then a hint to `ewc help CMD`; returns 2. */
int tool_usage(const char *cmd, const char *fmt, ...) TOOL_PRINTF(2, 3);

/* The regions given on the command line, or the default: $EWC_REGIONS, else
 * the installed regions folder. */
typedef struct tool_regions {
	const char *paths[TOOL_MAX_REGIONS];
	size_t n;
} tool_regions;

int tool_regions_add(tool_regions *r, const char *cmd, const char *path);

/* Create a context and load the regions; prints the error and returns NULL
 * on failure. */
ewc_ctx *tool_load(tool_regions *r);

/* Load a jobs CSV into a fresh list; prints and returns NULL on failure. */
ewc_jobs *tool_jobs(ewc_ctx *ctx, const char *path);

/* Parse a number option strictly; prints a usage error on failure. */
int tool_number(const char *cmd, const char *opt, const char *text, double *out);

/* "1,234,567.89": v with `dec` decimals and thousands separators. */
const char *tool_fmt(char *buf, size_t len, double v, int dec);

/* Write `len` bytes to path through a temporary file in the same folder,
 * renamed over path on success; "-" or NULL writes to stdout. Prints and
 * returns -1 on failure, leaving any previous file intact. */
int tool_write(const char *path, const char *data, size_t len);

/* A memory stream to build output in. */
typedef struct tool_buf {
	char *data;
	size_t len;
	FILE *f;
} tool_buf;

int tool_buf_open(tool_buf *b);
/* Close the stream; data/len then hold the text (free data). */
int tool_buf_close(tool_buf *b);

/* The solve options place, explain and rebalance share: --mode,
 * --carbon-price, --gap, --time-limit and --solver, by `name` without the
 * dashes, into o. Returns 0, or EXIT_USAGE with the message printed. */
int tool_solve_option(const char *cmd, const char *name, const char *value,
                      ewc_place_options *o, int *carbon_price_set);

/* One CSV field (RFC 4180 quoting where needed) or number, then ',' or,
 * for the last of a row, a line break. */
void tool_csv_field(FILE *f, const char *s, int last);
void tool_csv_num(FILE *f, double v, int last);

/* The state database's path: `given` (--db), else $EWC_DB, else ./ewc.db. */
const char *tool_db_path(const char *given);

/* Open the state database at path, which must exist; prints and returns
 * NULL on failure. */
ewc_db *tool_db_existing(const char *path);

/* Parse a UTC time, "YYYY-MM-DDTHH:MM:SSZ" (the Z may be left out), into
 * seconds since the epoch; prints a usage error on failure. */
int tool_time(const char *cmd, const char *opt, const char *text, double *out);

/* --max-age: hours, "48", "48h" or "2d"; prints a usage error on failure. */
int tool_max_age(const char *cmd, const char *text, double *hours);

/* Lay the feed snapshots of db over ctx's regions and say on stderr how
 * old each is, with a warning for any older than max_age_h hours at
 * `now`. Prints and returns -1 on failure. */
int tool_overlay(ewc_db *db, ewc_ctx *ctx, double now, double max_age_h);

/* Options shared by place and explain. */
typedef struct place_args {
	tool_regions regions;
	const char *jobs;
	const char *format;
	const char *output;
	const char *job;        /* explain only */
	const char *db;         /* place only: --db (feed data; the plan with --commit) */
	double max_age_h;       /* place only: --max-age of the feed data */
	int commit;             /* place only: record the plan in the database */
	double now;             /* place only: when the placed jobs start */
	int show_duals;         /* place only: --show-duals */
	const char *policy;     /* --policy FILE */
	double budget, green, share;  /* --carbon-budget etc., < 0 when not given */
	ewc_place_options opts;
} place_args;

/* The policy of place, explain, frontier and whatif: --policy FILE, then
 * --carbon-budget, --min-green-share and --max-region-share over it.
 * tool_policy_option() parses one option by name (no dashes); returns 0, or
 * EXIT_USAGE with the message printed. tool_policy_apply() loads the file
 * into o; prints and returns EXIT_ERR on failure. */
int tool_policy_option(const char *cmd, const char *name, const char *value, place_args *a);
/* Their entries in a getopt_long table, all returning `code`. */
#define TOOL_POLICY_OPTIONS(code)                              \
	{ "policy", required_argument, NULL, code },           \
	{ "carbon-budget", required_argument, NULL, code },    \
	{ "min-green-share", required_argument, NULL, code },  \
	{ "max-region-share", required_argument, NULL, code }
int tool_policy_apply(const place_args *a, ewc_place_options *o);

/* Parse place/explain options; `explain` selects --job and drops the
 * output options. Returns 0 or the exit code to return. */
int place_parse(const char *cmd, int explain, int argc, char **argv, place_args *a);

/* Load regions and jobs and solve; prints and returns EXIT_ERR on failure,
 * else 0 with the three objects set (free them in reverse order). */
int place_run(place_args *a, ewc_ctx **ctx, ewc_jobs **jobs, ewc_plan **plan);

/* The subcommands. */
int cmd_place(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_regions(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_rebalance(int argc, char **argv);
int cmd_frontier(int argc, char **argv);
int cmd_whatif(int argc, char **argv);
void cmd_help_text(const char *cmd, FILE *out);

#endif /* EWC_TOOL_H */
