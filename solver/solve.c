/* solve.c - the dispatcher: which solver a model goes to, and side rows tried last */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewc.h"

#include "solver.h"

/* A static model with side rows, too large for the direct model, as a
 * model over one slot: the time-indexed solver's column generation carries
 * side rows (the decomposition does not). */
static int sided_at_scale(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	ewc__mip t = *m;
	int *start = calloc(m->nopts ? m->nopts : 1, sizeof *start);
	int *len = malloc((m->nopts ? m->nopts : 1) * sizeof *len);
	int rc;

	if (!start || !len) {
		free(start);
		free(len);
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	for (size_t o = 0; o < m->nopts; o++)
		len[o] = 1;
	t.nslots = 1;
	t.opt_start = start;
	t.opt_len = len;
	t.slot_cap = m->pool_cap;
	rc = ewc__mip_time(&t, res, err, errlen);
	free(start);
	free(len);
	return rc;
}

/* Whether a side row holds in phase 1 too (rebalancing's move limit). */
static int phase1_rows(const ewc__mip *m)
{
	for (size_t q = 0; q < m->nside; q++)
		if (m->side[q].in_phase1)
			return 1;
	return 0;
}

/* Whether the given start meets every row and places at least the free
 * plan's (res) priority. Then rows of phase 1 take no priority away
 * (rebalancing's staying under its move limit), and the free plan's bound
 * on the priority holds with them; and the start is a plan to beat (a
 * frontier's greener neighbour). */
static int start_meets_rows(const ewc__mip *m, const ewc__mip_result *res)
{
	return m->start && ewc__sides_hold(m, m->start) &&
	       ewc__mip_sum(m, m->start, NULL, 1) >= res->priority - ewc__prio_tol(m);
}

/* The model without its side rows, in limit seconds, into res. When that
 * plan meets them all, none binds, and the plan and its bound hold with
 * them too (the rows only remove plans): *holds is then 1. */
static int solve_unsided(const ewc__mip *m, double limit, ewc__mip_result *res, int *holds,
                         char *err, size_t errlen)
{
	ewc__mip u = *m;
	int rc;

	u.side = NULL;
	u.nside = 0;
	u.sides_bind = 0;
	u.time_limit = limit;
	rc = ewc__mip_solve(&u, res, err, errlen);
	*holds = rc == 0 && ewc__sides_hold(m, res->choice);
	if (*holds)
		res->feasible = 1;
	return rc;
}

/* Whether a model is past the direct model's size (or the decomposition is
 * asked for), and side rows are solved by prices and column generation. */
static int at_scale(const ewc__mip *m)
{
	return m->method != EWC__SOLVE_DIRECT &&
	       (m->method == EWC__SOLVE_DECOMPOSE || m->nopts > EWC__DIRECT_MAX_OPTS);
}

/* A plan that must keep a given priority (the frontier's points): the
 * one-slot column generation searches priority itself, so it goes there
 * only through the prices, which keep the plans at the start's priority. */
static int fixed_priority(const ewc__mip *m)
{
	return m->keep_priority && m->start;
}

/* Side rows at scale by their prices: the free plan (res, which misses a
 * row) solved again with each missed row priced into the objective,
 * c'_o = c_o + sum_k s_k lambda_k coef_k[o] (s_k +1 on a row with an upper
 * bound, -1 on one with a lower), the priority kept at the free plan's
 * (keep_priority: a rule holds for the plan placing the most that fits
 * without it). A price doubles while its row is missed, then bisects
 * between the dearest plan that misses and the cheapest that meets it.
 * Every plan is the unsided solver's, so it fits; one that meets every row
 * is kept when it costs less. When the free plan placed every job, each
 * solve also gives a bound (weak duality: with every job placed, any plan
 * meeting the rows costs at least the priced bound less sum_k lambda_k
 * rhs_k); else the free plan's bound stands. 0, or an EWC_* error. */
static int sided_by_prices(const ewc__mip *m, ewc__mip_result *res, double deadline, char *err,
                           size_t errlen)
{
	size_t nq = m->nside, no = m->nopts, nj = m->njobs;
	double *c2 = malloc((no ? no : 1) * sizeof *c2);
	double *lam = calloc(nq ? nq : 1, sizeof *lam), *lo = calloc(nq ? nq : 1, sizeof *lo);
	double *hi = calloc(nq ? nq : 1, sizeof *hi), *sg = calloc(nq ? nq : 1, sizeof *sg);
	double *v = calloc(nq ? nq : 1, sizeof *v), *first = calloc(nq ? nq : 1, sizeof *first);
	int *free_choice = malloc((nj ? nj : 1) * sizeof *free_choice);
	int *best = malloc((nj ? nj : 1) * sizeof *best), *trial = malloc((nj ? nj : 1) * sizeof *trial);
	size_t *first_opt = ewc__mip_first(m);
	int *rep = malloc((nj ? nj : 1) * sizeof *rep), have_rep = 0, solved = 0;
	double best_obj = HUGE_VAL, bound = res->bound, scale = 0;
	double free_priority = res->priority, free_pbound = res->priority_bound;
	double ptol = ewc__prio_tol(m);
	int all = 1, found = 0, rc = 0, free_proven = res->priority >= res->priority_bound - ptol;

	if (!c2 || !lam || !lo || !hi || !sg || !v || !first || !free_choice || !best || !trial ||
	    !first_opt || !rep) {
		rc = EWC_ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(free_choice, res->choice, nj * sizeof *free_choice);
	/* a start that meets the rows at the free plan's priority (a
	 * frontier's greener neighbour) is the plan to beat */
	if (start_meets_rows(m, res)) {
		best_obj = ewc__mip_sum(m, m->start, m->opt_obj, 0);
		memcpy(best, m->start, nj * sizeof *best);
		found = 1;
	}
	/* every job with an option placed? */
	for (size_t j = 0; j < nj; j++)
		if (first_opt[j + 1] > first_opt[j] && free_choice[j] < 0)
			all = 0;
	scale = fmax(1.0, ewc__mip_sum(m, free_choice, m->opt_obj, 0));
	for (size_t q = 0; q < nq; q++) {
		double a = 0, val = 0;
		for (size_t j = 0; j < nj; j++)
			if (free_choice[j] >= 0) {
				a += fabs(m->side[q].coef[free_choice[j]]);
				val += m->side[q].coef[free_choice[j]];
			}
		/* the direction the row is priced in: up for an upper bound */
		sg[q] = m->side[q].hi < HUGE_VAL ? 1 : m->side[q].lo > -HUGE_VAL ? -1 : 0;
		lo[q] = 0;
		hi[q] = HUGE_VAL;
		/* a first price for a missed row: a hundredth of the plan's cost
		 * over the row's size; a row met stays free until it is missed */
		first[q] = 0.01 * scale / fmax(a, 1e-9);
		lam[q] = (sg[q] > 0 && val > m->side[q].hi) || (sg[q] < 0 && val < m->side[q].lo)
		         ? first[q] : 0;
	}
	/* the prices get most of the time; column generation, which carries
	 * the rows itself, the rest (or all of it when they found nothing) */
	double price_dl = ewc__now_s() + (deadline - ewc__now_s()) * 0.6;
	for (int it = 0; it < 40 && ewc__now_s() < price_dl - 0.05; it++) {
		ewc__mip u = *m;
		ewc__mip_result r;
		double cmin = 0, left = price_dl - ewc__now_s();
		int ok;
		for (size_t o = 0; o < no; o++) {
			double c = m->opt_obj[o];
			for (size_t q = 0; q < nq; q++)
				c += sg[q] * lam[q] * m->side[q].coef[o];
			c2[o] = c;
			cmin = fmin(cmin, c);
		}
		/* the solvers take objectives >= 0: every option shifted alike */
		for (size_t o = 0; o < no; o++)
			c2[o] -= cmin;
		u.side = NULL;
		u.nside = 0;
		u.opt_obj = c2;
		u.opt_obj2 = NULL;
		u.write_lp = NULL;
		u.progress = NULL;
		/* from the best plan a priced solve found, else from the last
		 * repair, which may have come most of the way; at first, with
		 * every job placed, from the given start that meets the rows (a
		 * frontier's greener neighbour), which the priced solves improve
		 * on, but short of capacity from the free plan: there the priced
		 * solves barely move a plan, and the repair's swaps reach the rows
		 * from the cheap side */
		u.start = solved ? best : have_rep ? rep : all && found ? best : free_choice;
		u.keep_priority = 1;
		/* tighter than the whole gap: the bound is the sub-plan's less
		 * the prices, and would otherwise stay a whole gap below */
		u.mip_gap = m->mip_gap / 4;
		u.time_limit = fmax(0.05, fmin(left / 3, fmax(0.2, left / (40 - it))));
		memset(&r, 0, sizeof r);
		r.choice = trial;
		rc = ewc__mip_solve(&u, &r, err, errlen);
		if (rc)
			goto out;
		ok = r.priority >= free_priority - ptol;
		if (all && ok) {
			/* with every job placed: r.bound + cmin * placed bounds the
			 * priced objective of every plan; less the prices times the
			 * rows' bounds, it bounds every plan meeting the rows */
			size_t placed = 0;
			double L;
			for (size_t j = 0; j < nj; j++)
				placed += trial[j] >= 0;
			L = r.bound + cmin * (double)placed;
			for (size_t q = 0; q < nq; q++)
				if (sg[q] > 0)
					L -= lam[q] * m->side[q].hi;
				else if (sg[q] < 0)
					L += lam[q] * m->side[q].lo;
			bound = fmax(bound, L);
		}
		/* the rows' values at the priced plan, before any moves */
		for (size_t q = 0; q < nq; q++)
			v[q] = ewc__mip_sum(m, trial, m->side[q].coef, 0);
		/* moves of single jobs: a plan that misses a row into one that
		 * meets it, one that meets them toward the slack the prices left;
		 * swaps too until a priced plan meets the rows (short of capacity
		 * no job moves alone), not after, nor with every job placed from
		 * a start that meets them (they cost the time of a priced solve) */
		if (ok &&
		    ewc__side_moves(m, first_opt, trial, lam, !solved && !(all && found),
		                    deadline) != 0) {
			rc = EWC_ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (ok && !solved) {
			memcpy(rep, trial, nj * sizeof *rep);
			have_rep = 1;
		}
		if (ok && ewc__sides_hold(m, trial)) {
			double obj = ewc__mip_sum(m, trial, m->opt_obj, 0);
			solved = 1;
			if (obj < best_obj) {
				best_obj = obj;
				memcpy(best, trial, nj * sizeof *best);
				found = 1;
			}
		}
		/* the prices: each row met lowers its price toward the dearest
		 * that missed, each missed raises it */
		for (size_t q = 0; q < nq; q++) {
			int met;
			if (sg[q] == 0)
				continue;
			met = sg[q] > 0 ? v[q] <= m->side[q].hi + 1e-7 * fmax(1.0, fabs(m->side[q].hi))
			                : v[q] >= m->side[q].lo - 1e-7 * fmax(1.0, fabs(m->side[q].lo));
			if (met)
				hi[q] = lam[q];
			else
				lo[q] = lam[q];
			if (!met && lam[q] == 0)
				lam[q] = hi[q] < HUGE_VAL ? fmin(first[q], hi[q] / 2) : first[q];
			else if (!(met && lam[q] == 0))
				lam[q] = hi[q] < HUGE_VAL ? (lo[q] + hi[q]) / 2 : 2 * lam[q];
		}
		if (found && best_obj - bound <= m->mip_gap * fmax(1.0, fabs(best_obj)))
			break;
	}
	/* then column generation with the rows in its master, from the best
	 * plan found, for the time left */
	if ((!found || best_obj - bound > m->mip_gap * fmax(1.0, fabs(best_obj))) &&
	    ewc__now_s() < deadline - 0.1) {
		ewc__mip t = *m;
		ewc__mip_result r;
		t.start = found ? best : free_choice;
		t.time_limit = deadline - ewc__now_s();
		memset(&r, 0, sizeof r);
		r.choice = trial;
		rc = sided_at_scale(&t, &r, err, errlen);
		if (rc)
			goto out;
		if (r.feasible && ewc__sides_hold(m, trial) &&
		    fabs(r.priority - free_priority) <= ptol) {
			bound = fmax(bound, r.bound);
			if (r.objective < best_obj) {
				best_obj = r.objective;
				memcpy(best, trial, nj * sizeof *best);
				found = 1;
			}
		}
	}
	res->priority = free_priority;
	res->priority_bound = free_pbound;
	res->phases++;
	if (found) {
		memcpy(res->choice, best, nj * sizeof *best);
		res->feasible = 1;
		res->objective = best_obj;
		res->bound = fmin(bound, best_obj);
		res->proven = free_proven && best_obj - res->bound <=
		                                     m->mip_gap * fmax(1.0, fabs(best_obj)) + 1e-9;
	} else {
		res->feasible = 0;
		res->infeasible_proven = 0;
		res->proven = 0;
	}
out:
	free(c2);
	free(lam);
	free(lo);
	free(hi);
	free(sg);
	free(v);
	free(first);
	free(free_choice);
	free(best);
	free(trial);
	free(first_opt);
	free(rep);
	return rc;
}

int ewc__mip_solve(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	if (m->nslots)
		return ewc__mip_time(m, res, err, errlen);
	if (m->nside && !m->sides_bind) {
		/* Without the side rows first (at scale, where that solve may run
		 * to its limit, in half of it); otherwise, the direct model. */
		ewc__mip sided = *m;
		double t0 = ewc__now_s();
		int holds, rc = solve_unsided(m, at_scale(m) ? m->time_limit / 2 : m->time_limit, res,
		                              &holds, err, errlen);
		if (rc || holds)
			return rc;
		sided.sides_bind = 1;
		/* the time left of the whole limit */
		sided.time_limit = fmax(0.01, m->time_limit - (ewc__now_s() - t0));
		/* at scale: the missed rows priced into the objective, from the
		 * free plan (rows of phase 1 too when the start shows they take
		 * no priority: rebalancing's staying under its move limit) */
		if (at_scale(m) && (!phase1_rows(m) || start_meets_rows(m, res)))
			return sided_by_prices(&sided, res, t0 + m->time_limit, err, errlen);
		return ewc__mip_direct(&sided, res, err, errlen);
	}
	if (m->nside && at_scale(m) && fixed_priority(m) && !phase1_rows(m)) {
		/* a frontier's point: the start (its greener neighbour) meets the
		 * rows; the plan at its priority without them, then the prices */
		double t0 = ewc__now_s();
		int holds, rc = solve_unsided(m, m->time_limit * 0.4, res, &holds, err, errlen);
		if (rc || holds)
			return rc;
		return sided_by_prices(m, res, t0 + m->time_limit, err, errlen);
	}
	if (m->nside)
		return at_scale(m) && !fixed_priority(m) ? sided_at_scale(m, res, err, errlen)
		                                         : ewc__mip_direct(m, res, err, errlen);
	if (m->method == EWC__SOLVE_DECOMPOSE ||
	    (m->method == EWC__SOLVE_AUTO && m->nopts > EWC__DIRECT_MAX_OPTS))
		return ewc__mip_decompose(m, res, err, errlen);
	return ewc__mip_direct(m, res, err, errlen);
}
