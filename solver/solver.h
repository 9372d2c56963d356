/* solver.h - the placement optimiser's internal interface (no GLPK types) */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_SOLVER_H
#define EWC_SOLVER_H

#include <stddef.h>

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

typedef struct ewc__mip {
	size_t njobs;
	size_t nopts;
	size_t npools;
	const int *opt_job;          /* [nopts] job of each option, options grouped by job */
	const int *opt_pool;         /* [nopts] pool of each option */
	const double *opt_obj;       /* [nopts] minimised, >= 0 */
	const double *opt_obj2;      /* [nopts] tie-break, >= 0, or NULL */
	const double *job_priority;  /* [njobs] > 0 */
	const long *job_gpus;        /* [njobs] > 0 */
	const long *pool_cap;        /* [npools] >= 0 */
	/* An optional side row: the options flagged here (1) number at most
	 * side_cap in any plan (rebalancing's --max-moves). Only the direct
	 * model has it, so a model with one is always solved directly. */
	const unsigned char *opt_side; /* [nopts] 0 or 1, or NULL: no side row */
	long side_cap;
	double mip_gap;              /* relative gap to stop at */
	double time_limit;           /* seconds, for all phases */
	const char *write_lp;        /* write the phase-2 model here, or NULL */
	int method;                  /* EWC__SOLVE_* */
	const int *start;            /* [njobs] a feasible plan to start from, or NULL */
	int quick;                   /* no cutting planes: for sub-problems closed
	                              * from a good start, not proven from scratch */
	/* called after each improvement of a long solve, or NULL */
	void (*progress)(void *user, const char *phase, double objective, double bound);
	void *progress_user;
	/* names for the LP file: kind 'x' option, 'j' job row, 'c' pool row */
	void (*name)(void *user, char kind, size_t index, char *buf, size_t len);
	void *name_user;
} ewc__mip;

typedef struct ewc__mip_result {
	int *choice;          /* [njobs], filled: option index or -1 */
	double objective;     /* sum of opt_obj over the choice */
	double bound;         /* proven lower bound on it, at the placed priority */
	double priority;      /* total priority placed */
	int proven;           /* 1 if both phases ended proven within the gap */
	int phases;           /* MIPs actually handed to the solver */
} ewc__mip_result;

/* Solve. Returns 0, or a negative EWC_E* code with a message in err
 * (EWC_ESOLVER for a solver failure, EWC_EIO for write_lp). */
int ewc__mip_solve(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);

/* The direct model (mip.c) and the decomposition (lagr.c); same contract. */
int ewc__mip_direct(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);
int ewc__mip_decompose(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen);

/* Run fn(arg) with GLPK's terminal output off and its internal errors
 * turned into EWC_ESOLVER (all of the thread's GLPK objects are then freed).
 * fn deletes the GLPK objects it made before it returns. Not nested. */
int ewc__glpk_run(int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
                  size_t errlen);

/* Shared by both. first[j] .. first[j+1] are job j's options; returns a
 * fresh [njobs+1] array or NULL. */
size_t *ewc__mip_first(const ewc__mip *m);
/* The plan both solvers start from, feasible by construction: the best of
 * three greedy plans (most priority, then least opt_obj), or m->start when
 * it places more priority, or as much for less. *pmax is the total
 * priority of the jobs that have an option. 0, or -1 when out of memory. */
int ewc__mip_initial(const ewc__mip *m, const size_t *first, int *choice, double *pmax);
/* Total priority placed (by_priority) or sum of per_opt over the choice. */
double ewc__mip_sum(const ewc__mip *m, const int *choice, const double *per_opt,
                    int by_priority);
/* Write the direct phase-2 model (every placeable job placed, or a total
 * priority of at least pstar) to m->write_lp, atomically. */
int ewc__mip_write(const ewc__mip *m, int all_placeable, double pstar, char *err,
                   size_t errlen);

#endif /* EWC_SOLVER_H */
