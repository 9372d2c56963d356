/* glp_int.h - what the GLPK models of solver/ share (GLPK types: solver/ only) */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_GLP_INT_H
#define EWC_GLP_INT_H

#include <glpk.h>

#include "solver.h"

/* Run one MIP on P, whose column o + 1 is option o of m, from the plan
 * `choice` (offered to GLPK as a start when start_ok). Fills choice from
 * the best plan GLPK found, or leaves it when GLPK found none better; x is
 * scratch of nopts + 1. *bound_out receives the best proven bound on the
 * objective (the LP relaxation's at worst), *nofeas 1 when GLPK proved no
 * plan exists. Returns 1 when the phase ended proven (tree exhausted or
 * gap reached), 0 when stopped by the time limit (mip.c). */
int ewc__run_phase(const ewc__mip *m, glp_prob *P, int minimize, double deadline,
                   int *choice, double *x, double *bound_out, int start_ok, int *nofeas);

/* Row r's bounds from side row sd (mip.c). */
void ewc__side_bounds(glp_prob *P, int r, const ewc__side *sd);

/* glp_write_lp() of P to m->write_lp through a temporary beside it, then
 * renamed: never a half-written file. 0 or EWC_EIO/EWC_ENOMEM (mip.c). */
int ewc__write_lp(const ewc__mip *m, glp_prob *P, char *err, size_t errlen);

#endif /* EWC_GLP_INT_H */
