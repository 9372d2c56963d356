/* rebalance_int.h - the rebalancing object, shared by rebalance.c and record.c */
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
	int waiting;         /* 1: its planned start lies ahead of the rebalancing */
	int start_slot;      /* over a horizon: the slot it is planned to start in */
} ewc__running;

struct ewc_rebalance {
	ewc_ctx *ctx;
	ewc_jobs *jobs;          /* the running jobs, hours = what is left */
	ewc_plan *plan;
	ewc_rebalance_options opts;
	double now;
	double t0;               /* over a horizon: the first slot's start */
	size_t rescheduled;      /* jobs not started yet given another place or slot */
	ewc__running *run;       /* [jobs_n] */
	size_t jobs_n;           /* entries of run, = jobs in the list */
	long *held;              /* [pools] GPUs of the jobs considered, added back */
	long *skip_hold;         /* [regions x catalog of ctx] GPUs that skipped jobs
	                          * still hold and the free counts do not know of */
	char **skip_job;         /* [nskip] */
	char **skip_reason;
	size_t nskip;
	ewc_rebalance_summary sum;
	char *prev_kind;
	char *prev_at;
	/* what changed since the previous run's figures (why.c) */
	char **change;           /* [nchange] in words */
	size_t nchange;
	int have_snapshot;       /* 0: no earlier run to compare with */
	int *why;                /* [jobs_n] the change that drove the job's move, or -1 */
};

/* Compare the regions now (the plan's, GPUs of the running jobs taken
 * back off) with the previous run's snapshot, and name for each move the
 * change that drove it (why.c). 0 or EWC_ENOMEM/EWC_EIO. */
int ewc__rebalance_why(ewc_rebalance *rb, ewc_db *db);

#endif /* EWC_REBALANCE_INT_H */
