/* report.h - the HTML reports, each one self-contained file: the rebalancing and the frontier */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_REPORT_H
#define EWC_REPORT_H

#include "ewc.h"
#include "tool.h"

/* Write the report of rb to `path` (atomically: a temporary file renamed
 * into place). `dbpath` is named in it; the trend comes from db's last 30
 * runs, plus rb itself when it was not recorded (run 0). Prints and
 * returns -1 on failure. */
int report_write(const char *path, const char *dbpath, ewc_db *db, const ewc_ctx *ctx,
                 const ewc_rebalance *rb, long long run);

/* The frontier report: the curve of cost against carbon (SVG) with the
 * knee marked, and the table of points. `jobs` names the job list. Written
 * atomically; prints and returns -1 on failure. */
/* The same report into memory (*data malloc'd, *len bytes), for a run
 * that records in the database last. 0 or -1 with the message printed. */
int report_render(const char *path, const char *dbpath, ewc_db *db, const ewc_ctx *ctx,
                  const ewc_rebalance *rb, long long run, char **data, size_t *len);
int report_frontier(const char *path, const char *jobs, size_t njobs, const ewc_frontier *f);

/* The plan over time: the saving split, each region's GPUs in use by hour
 * against its free GPUs and power price (SVG), and when each job runs.
 * Staged in st (tool_stage()): the caller finishes it with the other
 * outputs. 0, or -1 with the message printed. */
int report_time(const char *path, const char *jobs, const ewc_plan *plan, size_t njobs,
                tool_staged *st);

#endif /* EWC_REPORT_H */
