/* solve.c - the dispatcher: which solver a model goes to, and side rows tried last */
/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "solver.h"

int ewc__mip_solve(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	if (m->nslots)
		return ewc__mip_time(m, res, err, errlen);
	if (m->nside && !m->sides_bind) {
		/* Without the side rows first: when that plan meets them all, none
		 * binds, and the plan and its bound hold with them too (the rows
		 * only remove plans). Otherwise, the direct model. */
		ewc__mip free = *m, sided = *m;
		double t0 = ewc__now_s();
		int rc;
		free.side = NULL;
		free.nside = 0;
		rc = ewc__mip_solve(&free, res, err, errlen);
		if (rc)
			return rc;
		if (ewc__sides_hold(m, res->choice)) {
			res->feasible = 1;
			return 0;
		}
		sided.sides_bind = 1;
		/* the time left of the whole limit */
		sided.time_limit = fmax(0.01, m->time_limit - (ewc__now_s() - t0));
		return ewc__mip_direct(&sided, res, err, errlen);
	}
	if (m->nside)
		return ewc__mip_direct(m, res, err, errlen);
	if (m->method == EWC__SOLVE_DECOMPOSE ||
	    (m->method == EWC__SOLVE_AUTO && m->nopts > EWC__DIRECT_MAX_OPTS))
		return ewc__mip_decompose(m, res, err, errlen);
	return ewc__mip_direct(m, res, err, errlen);
}
