/* plan_int.h - the plan object, shared by plan.c and json.c (not installed) */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_PLAN_INT_H
#define EWC_PLAN_INT_H

#include "ewc_int.h"

struct ewc_plan {
	ewc_ctx *ctx;
	ewc__world w;     /* the regions as they were when the plan was made */
	const ewc_jobs *jobs;
	ewc_place_options opts;
	size_t njobs;
	/* eligible options, grouped by job: first[j] .. first[j+1] */
	size_t nopts;
	size_t *first;
	int *opt_job;
	int *opt_region;
	int *opt_type;
	ewc__cost *opt_cost;
	double *opt_obj;
	int *choice;      /* [njobs] option or -1 */
	int *base;        /* [njobs] the baseline's option or -1 */
	char **reason;    /* [njobs] why unplaced, NULL when placed */
	ewc_totals totals;
	ewc_totals base_totals;
	int proven;
	char why[256];    /* the reason handed out by ewc_plan_option() */
};

#endif /* EWC_PLAN_INT_H */
