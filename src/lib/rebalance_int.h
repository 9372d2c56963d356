/* rebalance_int.h - the rebalancing object, shared by rebalance.c and db.c */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_REBALANCE_INT_H
#define EWC_REBALANCE_INT_H

#include "plan_int.h"

/* One running job as the database has it. */
typedef struct ewc__running {
	char *region;        /* where it runs */
	char *type;
	double hours;        /* placed hours, on that type */
	char *started_at;
	int r, t;            /* indices in the plan's regions and catalog, or -1 */
	double remaining;    /* hours left on that type */
} ewc__running;

struct ewc_rebalance {
	ewc_ctx *ctx;
	ewc_jobs *jobs;          /* the running jobs, hours = what is left */
	ewc_plan *plan;
	ewc_rebalance_options opts;
	double now;
	ewc__running *run;       /* [jobs_n] */
	size_t jobs_n;           /* entries of run, = jobs in the list */
	long *held;              /* [pools] GPUs of the jobs considered, added back */
	char **skip_job;         /* [nskip] */
	char **skip_reason;
	size_t nskip;
	ewc_rebalance_summary sum;
	char *prev_kind;
	char *prev_at;
};

/* The running jobs of the database with every field, in order of arrival.
 * ewc_job strings and the placement's live until fn returns; a non-zero
 * return stops. */
typedef int (*ewc__running_fn)(void *user, const ewc_job *job, const char *added_at,
                               const char *region, const char *type, double hours,
                               const char *started_at);
int ewc__db_running(ewc_db *db, ewc__running_fn fn, void *user);

/* Totals of `choice` over plan p, migration included in cost_cny and, at
 * face value (no margin), in the objective. */
void ewc__rebalance_totals(const ewc_plan *p, const int *choice, double margin,
                           ewc_totals *out, double *migration);

#endif /* EWC_REBALANCE_INT_H */
