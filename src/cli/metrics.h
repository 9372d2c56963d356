/* metrics.h - `--metrics FILE`: an OpenMetrics text file of a run */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_METRICS_H
#define EWC_METRICS_H

#include "tool.h"

/* Write the metrics of a placement (or of a rebalancing) beside path:
 * staged in st, for the caller to rename after the run is recorded (or
 * abort). Metric names carry the ewc_ prefix and base units (seconds,
 * grams; CNY for money), gauges only; the file ends in "# EOF". 0, or
 * -1 with the message printed. */
int metrics_place(const char *path, ewc_plan *plan, size_t njobs, double seconds, double now,
                  tool_staged *st);
int metrics_rebalance(const char *path, const ewc_rebalance *rb,
                      const ewc_rebalance_summary *s, double seconds, tool_staged *st);

#endif /* EWC_METRICS_H */
