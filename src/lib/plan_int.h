/* plan_int.h - the plan object: made by plan.c, read by json.c, frontier.c, sched.c and record.c */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_PLAN_INT_H
#define EWC_PLAN_INT_H

#include "ewc_int.h"
#include "solver.h"

/* Options a plan over time may have (about 170 bytes each in the plan and
 * the solver: some 700 MB). */
#define EWC__TIME_MAX_OPTS 4000000
/* (region, type, slot) cells a plan over time may have (some 60 bytes each
 * in the plan and the solver: about 600 MB). */
#define EWC__TIME_MAX_CELLS 10000000

/* What a side row of the plan's model stands for. */
enum { EWC__SIDE_MOVES, EWC__SIDE_BUDGET, EWC__SIDE_GREEN, EWC__SIDE_SHARE };

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
	int committed;    /* ewc_plan_commit() reserved its GPUs (under ctx's lock) */
	/* rebalancing only (NULL otherwise) */
	int *stay;        /* [njobs] the option that keeps the job where it runs, or -1 */
	double *opt_mig;  /* [nopts] migration cost in CNY, 0 for staying */
	double solver_objective;  /* what the solver minimised: migration x (1 + margin) */
	/* the solver's model, kept for the shadow prices */
	ewc__mip m;
	long *job_gpus;
	long *opt_gpus;   /* [nopts] the GPUs each option holds */
	double *prio;
	int prio_proven;     /* the priority placed is proven the most */
	int *pool;
	long *pool_cap;
	double *obj2;
	ewc__side *side;
	int *side_kind;   /* [nside] EWC__SIDE_* */
	int *side_region; /* [nside] region of a share row, else -1 */
	double *side_coef;/* [nside * nopts] */
	size_t nside;
	/* planning over time (opts.horizon_h > 0), else nslots 0 and NULL */
	size_t nslots;
	double t0;        /* the first slot's start, seconds since the epoch */
	int *opt_start;   /* [nopts] start slot */
	int *opt_len;     /* [nopts] slots held */
	long *slot_cap;   /* [npools * nslots] */
	int open_end;     /* a rebalancing: jobs may run past the horizon */
	ewc__resv *iresv; /* the context's reservations of an interval when the */
	size_t niresv;    /* plan was made: off slot_cap */
	ewc__slot *slot;  /* [nregions * nslots] each region's figures by slot */
	unsigned char *no_window; /* [njobs] 1: eligible somewhere, no start fits */
	char **wait;      /* [njobs] why a placed job starts after it could, or NULL */
	ewc_time_split split;
	int too_many;     /* the options over time passed EWC__TIME_MAX_OPTS */
	/* shadow prices, once computed */
	int have_shadow;
	ewc_shadow *shadow;
	size_t nshadow;
	double lp_obj;
};

/* What turns a placement into a rebalancing: the jobs of the list are
 * running, job j on region cur_region[j] with type cur_type[j] (indices
 * into the context's regions and catalog; -1 when that pool is gone). Their
 * GPUs are added back to the free counts; staying costs the remaining run
 * without transfer (the data is there); moving costs the run there plus
 * migration: checkpoint_gb over the origin's link and restart_hours x GPUs
 * at the new GPU price, counted (1 + margin) times in the objective. At
 * most max_moves jobs move (< 0: no cap). */
typedef struct ewc__rebal {
	const int *cur_region;
	const int *cur_type;
	/* [njobs] 1: the job's GPUs are off its pool's free count (it started
	 * before the figures were taken) and are given back; 0: the count has
	 * them already (the ledger). NULL: all given back. */
	const unsigned char *give_back;
	/* [regions x catalog] GPUs held by running jobs left out of the
	 * rebalancing (past their hours, not yet finished), taken off the free
	 * counts; NULL: none */
	const long *hold;
	double margin;
	double restart_hours;
	long max_moves;
	/* over a horizon: [njobs] 1 for a job whose planned start lies ahead
	 * (it may move to another place or slot at no migration cost; only
	 * running jobs count against max_moves), and the slot it is planned to
	 * start in (0 for a running job); NULL: all running */
	const unsigned char *waiting;
	const int *cur_start;
} ewc__rebal;

/* ewc__place_ex() flags. KEEP_PRIORITY: place exactly the priority the
 * start from `from` places (the frontier's points all place the same work),
 * with the side rows known to bind. */
#define EWC__PLACE_KEEP_PRIORITY 1u

int ewc__place_ex(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                  const ewc_place_options *opts, const ewc__rebal *rb, const ewc_plan *from,
                  unsigned flags);

/* Totals of `choice` over plan p, migration included in cost_cny and, at
 * face value (no margin), in the objective. */
void ewc__rebalance_totals(const ewc_plan *p, const int *choice, double margin,
                           ewc_totals *out, double *migration);

#endif /* EWC_PLAN_INT_H */
