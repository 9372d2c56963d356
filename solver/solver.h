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
	double mip_gap;              /* relative gap to stop at */
	double time_limit;           /* seconds, for all phases */
	const char *write_lp;        /* write the phase-2 model here, or NULL */
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

#endif /* EWC_SOLVER_H */
