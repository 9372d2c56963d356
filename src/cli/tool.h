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
	EXIT_PARTIAL = 4,   /* regions sync: some feeds failed, the others stored */
	EXIT_NOFEED = 5     /* regions sync: every feed failed, nothing stored */
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
/* With --format json, messages (errors, warnings, notes) are gathered and
 * tool_json_flush() writes them at the end as one JSON document on stderr
 * (format ewc.messages/1: code, exit status, and each message with its
 * file, line and field when it names them). Returns rc. */
void tool_json_errors(int on);
int tool_json_flush(int rc);

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

/* An output named by option opt may be written: "-", a regular file (a
 * symlink to one is written through), or a new file in a folder that
 * exists. A device, a FIFO, a folder or a dangling symlink is refused.
 * Checked before any work. 0, or EXIT_ERR with the message printed. */
int tool_output_check(const char *cmd, const char *opt, const char *path);
/* An output written in two steps, for runs that record in the database
 * last: tool_stage() writes the data to a temporary file beside the target
 * (through a symlink, beside the file it names); tool_stage_finish()
 * renames it over the target, tool_stage_abort() removes it. 0 or -1 with
 * the message printed. */
typedef struct tool_staged {
	char *tmp;
	char *target;
} tool_staged;
int tool_stage(tool_staged *st, const char *path, const char *data, size_t len);
int tool_stage_finish(tool_staged *st);
void tool_stage_abort(tool_staged *st);
/* Text for people: control bytes (all below 0x20 but newline and tab, and
 * 0x7f) as \xHH, so that text from inputs (job ids) cannot drive a
 * terminal. tool_escape() returns a malloc'd copy (NULL: out of memory);
 * tool_safe() one string for one line of output (a static buffer, newline
 * escaped too); tool_write_text() is tool_write() of the escaped text. */
char *tool_escape(const char *data, size_t len, size_t *outlen);
const char *tool_safe(const char *s);
int tool_write_text(const char *path, const char *data, size_t len);
/* Open an input for reading: a regular file, else NULL with the message
 * printed (a FIFO or a device is refused without waiting on it). */
FILE *tool_open_input(const char *path);
/* Whether two paths name one file (neither "-"). */
int tool_same_file(const char *a, const char *b);
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
/* A plan's time in China Standard Time, "2026-12-07 08:00". */
void tool_clock(double t, char *buf, size_t len);
int tool_time(const char *cmd, const char *opt, const char *text, double *out);

/* --max-age: hours, "48", "48h" or "2d"; prints a usage error on failure. */
int tool_max_age(const char *cmd, const char *text, double *hours);

/* Lay the feed snapshots of db over ctx's regions and say on stderr how
 * old each is, with a warning for any older than max_age_h hours at
 * `now`; with warn_empty, also a warning when there is no feed data at all
 * (--db was given for its feeds). Prints and returns -1 on failure. */
int tool_overlay(ewc_db *db, ewc_ctx *ctx, double now, double max_age_h, int warn_empty);
/* Seconds on a monotonic clock. */
double tool_seconds(void);
/* The feeds the overlays laid so far: name and when last confirmed. */
size_t tool_feed_count(void);
void tool_feed_get(size_t i, const char **name, double *checked);

#endif /* EWC_TOOL_H */
