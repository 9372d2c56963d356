/* solver.h - the placement optimiser's internal interface (no GLPK types) */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_SOLVER_H
#define EWC_SOLVER_H

#include <stddef.h>
#include <stdint.h>

/* The assignment problem in solver terms: each option puts one job on one
 * capacity pool (a region's GPUs of one type); a job takes at most one
 * option; the GPUs placed on a pool stay within its capacity. The solve is
 * lexicographic: first the total priority placed is maximised, then the sum
 * of opt_obj over chosen options is minimised, then (if opt_obj2 is set)
 * opt_obj2 among plans within tolerance of that minimum. */
/* How to solve: the direct model on GLPK's branch-and-cut, or the
 * decomposition over the capacity rows (solver/lagr.c) for large lists. */
enum { EWC__SOLVE_AUTO, EWC__SOLVE_DIRECT, EWC__SOLVE_DECOMPOSE };
/* AUTO picks the decomposition above this many options. */
#define EWC__DIRECT_MAX_OPTS 3000

typedef struct ewc__side {
	const double *coef;  /* [nopts] */
	double lo, hi;       /* -HUGE_VAL / HUGE_VAL when open */
	int in_phase1;
} ewc__side;

typedef struct ewc__mip {
	size_t njobs;
	size_t nopts;
	size_t npools;
	const int *opt_job;          /* [nopts] job of each option, options grouped by job */
	const int *opt_pool;         /* [nopts] pool of each option */
	const double *opt_obj;       /* [nopts] minimised, >= 0 */
	const double *opt_obj2;      /* [nopts] tie-break, >= 0, or NULL */
	const double *job_priority;  /* [njobs] > 0 */
	const long *job_gpus;        /* [njobs] > 0: a job's size, for orderings only */
	const long *opt_gpus;        /* [nopts] > 0: the GPUs an option holds on its pool
	                              * (a service on a faster type holds fewer) */
	const long *pool_cap;        /* [npools] >= 0 */
	/* Side rows over the options: lo <= sum coef[o] x[o] <= hi (rebalancing's
	 * --max-moves, the place policies, the frontier's carbon cap): the
	 * direct model, the time-indexed solver (both ways), and, past the
	 * direct model's size, prices on the rows with single-job moves
	 * (solve.c; in_phase1 rows there only when the start meets them at the
	 * free plan's priority, as rebalancing's staying does; keep_priority
	 * from the start, as for the frontier's points). ewc__mip_solve()
	 * solves without them first and keeps that plan when it already meets
	 * them all. A row with in_phase1
	 * also holds while the most priority is placed; the others hold only at
	 * the priority found without them, and may then leave no plan at all
	 * (res->feasible 0). */
	const struct ewc__side *side;
	size_t nside;
	double mip_gap;              /* relative gap to stop at */
	double time_limit;           /* seconds, for all phases */
	const char *write_lp;        /* write the phase-2 model here, or NULL */
	int method;                  /* EWC__SOLVE_* */
	const int *start;            /* [njobs] a feasible plan to start from, or NULL */
	int keep_priority;           /* with start: place exactly its priority, no phase 1
	                              * (the frontier's points all place the same work) */
	int sides_bind;              /* the side rows are known to bind: no solve without them */
	int quick;                   /* no cutting planes: for sub-problems closed
	                              * from a good start, not proven from scratch */
	/* called after each improvement of a long solve, or NULL */
	void (*progress)(void *user, const char *phase, double objective, double bound);
	void *progress_user;
	/* Time (time.c). With nslots > 0 the plan is over slots 0 .. nslots - 1
	 * of a horizon: option o holds opt_gpus[o] on its pool in slots
	 * opt_start[o] .. opt_start[o] + opt_len[o] - 1 (opt_len >= 1, within
	 * the horizon), and pool p has slot_cap[p * nslots + s] GPUs in slot s
	 * (pool_cap is then unused). Solved by ewc__mip_time() alone. */
	size_t nslots;
	const int *opt_start;        /* [nopts] */
	const int *opt_len;          /* [nopts] */
	const long *slot_cap;        /* [npools * nslots] */
	/* names for the LP file: kind 'x' option, 'j' job row, 'c' pool row
	 * (with time: index p * nslots + s, the pool's row of slot s) */
	void (*name)(void *user, char kind, size_t index, char *buf, size_t len);
	void *name_user;
} ewc__mip;

typedef struct ewc__mip_result {
	int *choice;          /* [njobs], filled: option index or -1 */
	double objective;     /* sum of opt_obj over the choice */
	double bound;         /* proven lower bound on it, at the placed priority */
	double priority;      /* total priority placed */
	double priority_bound;/* proven upper bound on the priority any plan places */
	int proven;           /* 1 if both phases ended proven within the gap */
	int phases;           /* MIPs actually handed to the solver */
	int feasible;         /* 0: no plan meeting every side row was found */
	int infeasible_proven;/* 1: the solver proved there is none */
} ewc__mip_result;

/* Phase 1 of both solvers (prio.c): the greedy starts, then, when they
 * leave priority out, the most priority on classes of interchangeable jobs
 * (GLPK, under its own guard: call it outside ewc__glpk_run()). Fills
 * res->choice, res->priority and res->priority_bound; *all is 1 when every
 * job with an option is placed, *proven 1 when the priority is proven
 * maximal. With m->keep_priority and m->start, the start's priority is
 * kept (the frontier's points). */
int ewc__phase1(const ewc__mip *m, const size_t *first, double deadline, ewc__mip_result *res,
                int *all, int *proven, char *err, size_t errlen);
/* The class model alone: from the feasible plan in choice to the most
 * priority found by deadline; *bound a proven upper bound. */
int ewc__prio_solve(const ewc__mip *m, const size_t *first, double deadline, int *choice,
                    double *bound, int *proven, char *err, size_t errlen);

/* Tiers of priority (prio.c): a priority level starts a new tier when it
 * outweighs the whole priority of every job below it, so that the most
 * priority overall is the most of each tier in turn, highest first, and
 * each tier can be held at its own scale (GLPK's tolerances are relative).
 * tier[j] receives job j's tier (0 the highest; -1 for a job with no
 * option), unit[t] the lowest priority of tier t (unit has room for one per
 * job). Returns the number of tiers, or -1 when out of memory. */
int ewc__tiers(const ewc__mip *m, const size_t *first, int *tier, double *unit);

/* A plan's priority tier by tier (ewc__tiers()), each in its unit: sum[t]
 * over the placed jobs of tier t. Totals compared with one relative
 * tolerance cannot tell 1e8 + 933 from 1e8 + 935; tier sums in units can. */
void ewc__tier_sums(const ewc__mip *m, const int *tier, const double *unit, int nt,
                    const int *choice, double *sum);
/* The tolerance for comparing two plans' total priority: a ten-millionth
 * of the smallest job priority, so that one job of priority 1 beside a
 * total of 5e9 still counts (a tolerance relative to the total would
 * trade it away). */
double ewc__prio_tol(const ewc__mip *m);
/* -1, 0 or 1: tier sums a place less, as much or more priority than b,
 * the highest tier first. */
int ewc__tier_cmp(const double *a, const double *b, int nt);

/* Phase 2's bound and a plan under shortage (cover.c): capacity priced,
 * the priority of each tier kept by an exact knapsack over the jobs left
 * out. choice is a feasible plan at phase 1's priority, replaced by a
 * cheaper one with as much priority in each tier when one is found;
 * *bound a proven lower bound on every plan that keeps each tier's
 * priority. No side rows. 0, or -1 when out of memory. */
int ewc__cover(const ewc__mip *m, const size_t *first, int *choice, double deadline,
               double *bound);

/* Phase 2 on the columns that its LP relaxation (at the priority of
 * choice, tier by tier, or every placeable job placed) or choice uses
 * (mip.c): choice, a feasible plan, only gets cheaper. Side rows kept.
 * 0, or -1 when out of memory. */
int ewc__support_mip(const ewc__mip *m, int all_placeable, int *choice, double deadline);

/* Phase 2 under shortage, a large neighbourhood search (lns.c): for one
 * or two pools at a time, the jobs in them and the unplaced jobs that can
 * use them are placed anew by GLPK's branch-and-cut, least cost with each
 * tier keeping its priority, the other jobs fixed. choice (a feasible plan)
 * only gets cheaper. No side rows. 0, or -1 when out of memory. */
int ewc__lns(const ewc__mip *m, const size_t *first, int *choice, double deadline);
/* The same neighbourhoods for phase 1: the most priority (tier by tier,
 * highest first) instead of the least cost; choice only gains priority.
 * No side rows. 0, or -1 when out of memory. */
int ewc__lns_priority(const ewc__mip *m, const size_t *first, int *choice, double deadline);
/* Phase 1 as both solvers run it: ewc__phase1() in two thirds of the time,
 * then, when its plan is not proven best and there are no side rows,
 * ewc__lns_priority() in the rest. Same contract as ewc__phase1(). */
int ewc__phase1_search(const ewc__mip *m, const size_t *first, double deadline,
                       ewc__mip_result *res, int *all, int *proven, char *err, size_t errlen);

/* Whether choice meets side row s (with a relative tolerance); whether it
 * meets every side row of m (common.c). */
int ewc__side_holds(const ewc__mip *m, const ewc__side *s, const int *choice);
int ewc__sides_hold(const ewc__mip *m, const int *choice);
/* A local search on a feasible plan (improve.c), for phase 2 without side
 * rows: each placed job to its cheapest option with room, and an unplaced
 * job in for a placed one of its priority tier with no more priority, in
 * one of its pools, when that costs less. Every tier keeps at least its
 * priority; the objective only falls. Until no pass changes anything or
 * the deadline. 0, or -1 when out of memory (choice is then still a
 * feasible plan). */
int ewc__improve(const ewc__mip *m, const size_t *first, int *choice, double deadline);
/* Moves of single jobs between their options under the side rows
 * (improve.c), on a plan that fits: while a row is missed, the moves that
 * remove the most violation per objective added (with swaps set, then
 * swaps of two jobs between full pools too); once every row is met, the
 * moves that save the most objective per unit of the rows' slack used,
 * slack weighed by price[] (one per row, >= 0; NULL: any move that keeps
 * every row met). Every job keeps its placement, so the priority is kept;
 * the plan keeps fitting. Until no pass changes anything or the deadline.
 * 0, or -1 when out of memory (choice then still fits). */
int ewc__side_moves(const ewc__mip *m, const size_t *first, int *choice, const double *price,
                    int swaps, double deadline);

/* Seconds on a monotonic clock, for time limits, and the milliseconds left
 * to a deadline as GLPK's tm_lim wants them (at least 1) (common.c). */
double ewc__now_s(void);
int ewc__ms_left(double deadline);

/* A 0-1 knapsack by dynamic programming (common.c): the most value of
 * items of weights w[] and values v[] within capacity S, an item taken
 * only where it gains more than tol relative. dp has S + 1 entries, take
 * n x (S + 1) bits; chosen[a] receives 1 for the items of the optimum.
 * Returns its value. */
double ewc__knapsack01(size_t n, const long *w, const double *v, size_t S, double tol,
                       double *dp, uint8_t *take, unsigned char *chosen);

/* LP duals of the plan `choice` with its placed set fixed: the placed jobs
 * each take one unit spread over their options, the others none; the
 * capacity and side rows as in the model. pool_dual[npools] and
 * side_dual[nside] receive d(objective)/d(right-hand side), 0 for rows that
 * do not bind; *lp_obj the LP's objective. 0, or a negative EWC_E* code. */
int ewc__mip_duals(const ewc__mip *m, const int *choice, double *pool_dual,
                   double *side_dual, double *lp_obj, char *err, size_t errlen);

/* Solve (solve.c: picks the solver, tries the side rows last). Returns 0,
 * or a negative EWC_E* code with a message in err (EWC_ESOLVER for a
 * solver failure, EWC_EIO for write_lp). */
int ewc__mip_solve(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);

/* The time-indexed model (time.c): the direct model with a capacity row
 * per pool and slot; phase 1 tier by tier on it, then phase 2 and the
 * tie-break. Same contract as ewc__mip_solve(); side rows included. */
int ewc__mip_time(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);

/* The direct model (mip.c) and the decomposition (lagr.c); same contract. */
int ewc__mip_direct(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);
int ewc__mip_decompose(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);

/* Run fn(arg) (glpk.c) with GLPK's terminal output off and its internal errors
 * turned into EWC_ESOLVER (all of the thread's GLPK objects are then freed).
 * fn deletes the GLPK objects it made before it returns. Not nested. */
int ewc__glpk_run(int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
                  size_t errlen);

/* Shared by both (common.c). first[j] .. first[j+1] are job j's options; returns a
 * fresh [njobs+1] array or NULL. */
size_t *ewc__mip_first(const ewc__mip *m);
/* demand[npools]: the GPUs of every option on each pool; a pool whose
 * demand is within its capacity can never be short. */
void ewc__pool_demand(const ewc__mip *m, long *demand);
/* The options grouped by pool: by_pool[pstart[p] .. pstart[p+1]] are pool
 * p's (pstart has npools + 1 entries, by_pool nopts). */
void ewc__opts_by_pool(const ewc__mip *m, size_t *pstart, int *by_pool);
/* The plan both solvers start from, feasible by construction: the best of
 * three greedy plans (most priority, then least opt_obj), or m->start when
 * it places more priority, or as much for less. *pmax is the total
 * priority of the jobs that have an option. 0, or -1 when out of memory. */
int ewc__mip_initial(const ewc__mip *m, const size_t *first, int *choice, double *pmax);
/* Total priority placed (by_priority) or sum of per_opt over the choice. */
double ewc__mip_sum(const ewc__mip *m, const int *choice, const double *per_opt,
                    int by_priority);
/* Write the direct phase-2 model (every placeable job placed, or each tier
 * of priority at least what choice places in it) to m->write_lp,
 * atomically. */
int ewc__mip_write(const ewc__mip *m, int all_placeable, const int *choice, char *err,
                   size_t errlen);

#endif /* EWC_SOLVER_H */
