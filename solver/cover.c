/* cover.c - phase 2 under shortage: capacity priced, priority kept by a knapsack of the jobs left out */
/* SPDX-License-Identifier: MIT */
/*
 * Phase 2 minimises cost among plans that keep phase 1's priority (per
 * tier: ewc__tiers()). Price the capacity rows with lambda_p >= 0 and what
 * is left falls apart into one choice per job, tied only by the priority
 * rows: each placed job pays its cheapest priced option
 * c^_j = min_o c_o + g_j lambda_p(o), and the jobs left out may carry at
 * most the slack S_t = (tier t's priority that has options) - P_t. So
 *
 *   L(lambda) = sum_j c^_j - sum_t K_t(lambda) - sum_p C_p lambda_p
 *
 * where K_t is the most c^ a set of tier-t jobs of priority <= S_t can
 * carry: a 0-1 knapsack, solved exactly by dynamic programming over the
 * slack (in the tier's unit) when priorities are whole multiples of it and
 * the table is small, and by its LP otherwise (a larger K, so L stays a
 * bound). L is a lower bound on every plan that keeps the priority, for
 * any lambda; the exact knapsack makes it much stronger than the LP
 * relaxation, which meets the priority row with fractions of cheap jobs.
 * Under shortage the slack is small: a few percent of the priority.
 *
 * A subgradient method climbs L (Polyak steps towards the plan in hand).
 * At the best prices the jobs the knapsack keeps in, placed cheapest
 * first where they fit, then topped up with the cheapest of the others
 * until every tier holds, give a plan, kept when it beats the one in hand.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ewc.h"
#include "solver.h"

/* Cells of the knapsack table past which the LP knapsack stands in. */
#define DP_MAX_CELLS 40000000u

typedef struct cand {
	int out;            /* left out by the knapsack: after the kept ones */
	double key;
	size_t job;
} cand;

static int cmp_cand(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->out != y->out)
		return x->out - y->out;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->job < y->job ? -1 : x->job > y->job;
}

typedef struct cover {
	const ewc__mip *m;
	const size_t *first;
	int *tier;          /* [njobs] */
	double *unit;       /* [njobs] per tier */
	int nt;
	double *slack;      /* [nt] in units */
	int *exact;         /* [nt] the knapsack is exact */
	long *wu;           /* [njobs] priority in units (exact tiers) */
	double *lam;        /* [npools] */
	double *chat;       /* [njobs] cheapest priced cost, HUGE_VAL: no option */
	int *cho;           /* [njobs] its option */
	unsigned char *out; /* [njobs] left out by the knapsack */
	double *dp;         /* [slack + 1] */
	uint8_t *take;      /* [jobs of the tier x (slack + 1)] bits */
	size_t *ord;        /* [njobs] */
	cand *dens;         /* [njobs] */
	long *kw;           /* [njobs] the exact knapsack's weights, */
	double *kv;         /* values */
	unsigned char *kin; /* and what it takes */
} cover;

/* Tier t's knapsack: mark the jobs it leaves out, return its value. */
static double knapsack(cover *cv, int t)
{
	const ewc__mip *m = cv->m;
	size_t n = 0;

	for (size_t j = 0; j < m->njobs; j++)
		if (cv->tier[j] == t && cv->chat[j] < HUGE_VAL)
			cv->ord[n++] = j;
	if (cv->exact[t]) {
		double v;
		for (size_t a = 0; a < n; a++) {
			cv->kw[a] = cv->wu[cv->ord[a]];
			cv->kv[a] = cv->chat[cv->ord[a]];
		}
		v = ewc__knapsack01(n, cv->kw, cv->kv, (size_t)cv->slack[t], 0.0, cv->dp, cv->take,
		                    cv->kin);
		for (size_t a = 0; a < n; a++)
			if (cv->kin[a])
				cv->out[cv->ord[a]] = 1;
		return v;
	}
	/* the LP knapsack: by value per priority, the last one in part; its
	 * value is at least the 0-1 optimum's, so L stays a bound */
	for (size_t a = 0; a < n; a++)
		cv->dens[a] = (cand){ 0, -cv->chat[cv->ord[a]] / m->job_priority[cv->ord[a]],
		                      cv->ord[a] };
	qsort(cv->dens, n, sizeof *cv->dens, cmp_cand);
	double room = cv->slack[t] * cv->unit[t], v = 0;
	for (size_t a = 0; a < n && room > 0; a++) {
		size_t j = cv->dens[a].job;
		double w = m->job_priority[j];
		if (w <= room) {
			v += cv->chat[j];
			room -= w;
			cv->out[j] = 1;
		} else {
			v += cv->chat[j] * room / w;
			room = 0;
		}
	}
	return v;
}

/* L at cv->lam, with the subgradient in g[npools] (GPUs the kept jobs put
 * on each pool at their cheapest priced option, less its capacity). */
static double eval(cover *cv, double *g)
{
	const ewc__mip *m = cv->m;
	double L = 0;

	for (size_t p = 0; p < m->npools; p++)
		g[p] = -(double)m->pool_cap[p];
	for (size_t j = 0; j < m->njobs; j++) {
		double best = HUGE_VAL, gj = (double)m->job_gpus[j];
		int bo = -1;
		for (size_t o = cv->first[j]; o < cv->first[j + 1]; o++) {
			double v = m->opt_obj[o] + gj * cv->lam[m->opt_pool[o]];
			if (v < best) {
				best = v;
				bo = (int)o;
			}
		}
		cv->chat[j] = best;
		cv->cho[j] = bo;
		cv->out[j] = 0;
		if (bo >= 0)
			L += best;
	}
	for (int t = 0; t < cv->nt; t++)
		L -= knapsack(cv, t);
	for (size_t j = 0; j < m->njobs; j++)
		if (cv->cho[j] >= 0 && !cv->out[j])
			g[m->opt_pool[cv->cho[j]]] += (double)m->job_gpus[j];
	for (size_t p = 0; p < m->npools; p++)
		L -= (double)m->pool_cap[p] * cv->lam[p];
	return L;
}


/* A plan at the prices in cv->lam: the jobs the knapsack keeps, by priced
 * cost, each on its cheapest real option with room; then the others, by
 * priced cost per priority, while a tier is short. Into trial; 1 when
 * every tier reaches target[t], else 0. */
static int plan_at(cover *cv, const double *target, int *trial, long *left, cand *cs,
                   double *have)
{
	const ewc__mip *m = cv->m;
	size_t n = 0;

	memcpy(left, m->pool_cap, m->npools * sizeof *left);
	for (int t = 0; t < cv->nt; t++)
		have[t] = 0;
	for (size_t j = 0; j < m->njobs; j++) {
		trial[j] = -1;
		if (cv->cho[j] >= 0)
			cs[n++] = (cand){ cv->out[j], cv->chat[j] /
			                  (cv->out[j] ? m->job_priority[j] : 1.0), j };
	}
	qsort(cs, n, sizeof *cs, cmp_cand);
	for (size_t a = 0; a < n; a++) {
		size_t j = cs[a].job;
		int t = cv->tier[j], bo = -1;
		if (cv->out[j] && have[t] >= target[t] - 1e-9 * fmax(1.0, target[t]))
			continue;
		for (size_t o = cv->first[j]; o < cv->first[j + 1]; o++)
			if (left[m->opt_pool[o]] >= m->job_gpus[j] &&
			    (bo < 0 || m->opt_obj[o] < m->opt_obj[bo]))
				bo = (int)o;
		if (bo < 0)
			continue;
		trial[j] = bo;
		left[m->opt_pool[bo]] -= m->job_gpus[j];
		have[t] += m->job_priority[j];
	}
	for (int t = 0; t < cv->nt; t++)
		if (have[t] < target[t] - 1e-9 * fmax(1.0, target[t]))
			return 0;
	return 1;
}

int ewc__cover(const ewc__mip *m, const size_t *first, int *choice, double deadline,
               double *bound)
{
	cover cv;
	double *g = NULL, *target = NULL, *have = NULL, best_L = -HUGE_VAL, theta = 1.0;
	double ub = ewc__mip_sum(m, choice, m->opt_obj, 0), maxslack = 0;
	int *trial = NULL, rc = -1, stall = 0;
	long *left = NULL;
	cand *cs = NULL;
	size_t nj = m->njobs ? m->njobs : 1, np = m->npools ? m->npools : 1, maxn = 0;

	memset(&cv, 0, sizeof cv);
	*bound = -HUGE_VAL;
	cv.m = m;
	cv.first = first;
	cv.tier = malloc(nj * sizeof *cv.tier);
	cv.unit = malloc(nj * sizeof *cv.unit);
	cv.wu = malloc(nj * sizeof *cv.wu);
	cv.lam = calloc(np, sizeof *cv.lam);
	cv.chat = malloc(nj * sizeof *cv.chat);
	cv.cho = malloc(nj * sizeof *cv.cho);
	cv.out = malloc(nj);
	cv.ord = malloc(nj * sizeof *cv.ord);
	cv.dens = malloc(nj * sizeof *cv.dens);
	cv.kw = malloc(nj * sizeof *cv.kw);
	cv.kv = malloc(nj * sizeof *cv.kv);
	cv.kin = malloc(nj);
	g = malloc(np * sizeof *g);
	trial = malloc(nj * sizeof *trial);
	left = malloc(np * sizeof *left);
	cs = malloc(nj * sizeof *cs);
	if (!cv.tier || !cv.unit || !cv.wu || !cv.lam || !cv.chat || !cv.cho ||
	    !cv.out || !cv.ord || !cv.dens || !cv.kw || !cv.kv || !cv.kin || !g || !trial || !left || !cs)
		goto out;
	cv.nt = ewc__tiers(m, first, cv.tier, cv.unit);
	if (cv.nt <= 0) {
		rc = 0;
		goto out;
	}
	cv.slack = calloc((size_t)cv.nt, sizeof *cv.slack);
	cv.exact = calloc((size_t)cv.nt, sizeof *cv.exact);
	target = calloc((size_t)cv.nt, sizeof *target);
	have = calloc((size_t)cv.nt, sizeof *have);
	if (!cv.slack || !cv.exact || !target || !have)
		goto out;
	/* each tier's slack, in its unit; exact where whole and small */
	for (int t = 0; t < cv.nt; t++)
		cv.exact[t] = 1;
	for (size_t j = 0; j < m->njobs; j++) {
		int t = cv.tier[j];
		if (t < 0)
			continue;
		double w = m->job_priority[j] / cv.unit[t];
		cv.slack[t] += w;
		if (choice[j] >= 0) {
			cv.slack[t] -= w;
			target[t] += m->job_priority[j];
		}
		if (w != floor(w) || w > 1e9)
			cv.exact[t] = 0;
		cv.wu[j] = (long)w;
	}
	for (int t = 0; t < cv.nt; t++) {
		size_t n = 0;
		cv.slack[t] = floor(cv.slack[t] + 1e-6);
		for (size_t j = 0; j < m->njobs; j++)
			n += cv.tier[j] == t;
		if ((double)n * (cv.slack[t] + 1) > DP_MAX_CELLS)
			cv.exact[t] = 0;
		if (cv.exact[t]) {
			maxslack = fmax(maxslack, cv.slack[t]);
			maxn = n > maxn ? n : maxn;
		}
	}
	cv.dp = malloc(((size_t)maxslack + 1) * sizeof *cv.dp);
	cv.take = malloc((maxn * ((size_t)maxslack + 1) + 7) / 8 + 1);
	if (!cv.dp || !cv.take)
		goto out;

	for (int it = 0; it < 400 && ewc__now_s() < deadline; it++) {
		double L = eval(&cv, g), nrm = 0;
		if (it == 0 || L > best_L + 1e-12 * fmax(1.0, fabs(best_L))) {
			best_L = L;
			stall = 0;
			/* a plan at the new best prices */
			if (plan_at(&cv, target, trial, left, cs, have)) {
				double v = ewc__mip_sum(m, trial, m->opt_obj, 0);
				if (v < ub - 1e-9 * fmax(1.0, ub) && ewc__sides_hold(m, trial)) {
					memcpy(choice, trial, m->njobs * sizeof *trial);
					ub = v;
				}
			}
		} else if (++stall >= 8) {
			theta /= 2;
			stall = 0;
		}
		if (ub - best_L <= 1e-6 * fmax(1.0, fabs(ub)) || theta < 1e-4)
			break;
		for (size_t p = 0; p < m->npools; p++)
			if (g[p] > 0 || cv.lam[p] > 0)
				nrm += g[p] * g[p];
		if (nrm <= 0)
			break; /* the kept jobs fit: L is a plan's value */
		for (size_t p = 0; p < m->npools; p++)
			cv.lam[p] = fmax(0.0, cv.lam[p] + theta * (ub - L) / nrm * g[p]);
	}
	*bound = best_L;
	rc = 0;
out:
	free(cv.tier);
	free(cv.unit);
	free(cv.wu);
	free(cv.lam);
	free(cv.chat);
	free(cv.cho);
	free(cv.out);
	free(cv.ord);
	free(cv.dens);
	free(cv.kw);
	free(cv.kv);
	free(cv.kin);
	free(cv.slack);
	free(cv.exact);
	free(cv.dp);
	free(cv.take);
	free(g);
	free(trial);
	free(left);
	free(cs);
	free(target);
	free(have);
	return rc;
}
