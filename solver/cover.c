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

#include <glpk.h>

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
		double best = HUGE_VAL;
		int bo = -1;
		for (size_t o = cv->first[j]; o < cv->first[j + 1]; o++) {
			double v = m->opt_obj[o] + (double)m->opt_gpus[o] * cv->lam[m->opt_pool[o]];
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
			g[m->opt_pool[cv->cho[j]]] += (double)m->opt_gpus[cv->cho[j]];
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
			if (left[m->opt_pool[o]] >= m->opt_gpus[o] &&
			    (bo < 0 || m->opt_obj[o] < m->opt_obj[bo]))
				bo = (int)o;
		if (bo < 0)
			continue;
		trial[j] = bo;
		left[m->opt_pool[bo]] -= m->opt_gpus[bo];
		have[t] += m->job_priority[j];
	}
	for (int t = 0; t < cv->nt; t++)
		if (have[t] < target[t] - 1e-9 * fmax(1.0, target[t]))
			return 0;
	return 1;
}

/* The climb of L: box-step Kelley on the prices of the pools that can be
 * short (a pool that always has room has lambda 0 at the maximum), one
 * cut per evaluation (the knapsack ties the jobs, so the cut is L's own),
 * the master a small LP on GLPK. */
typedef struct climb {
	cover *cv;
	double *g, *target;
	int *trial;
	long *left;
	cand *cs;
	double *have;
	int *choice;
	double ub, best_L, deadline;
	int *kp;            /* [nk] the short pools */
	size_t nk;
} climb;

/* Evaluate at cv->lam: L returned, g filled. */
static double climb_eval(climb *cl)
{
	double L = eval(cl->cv, cl->g);

	if (L > cl->best_L)
		cl->best_L = L;
	return L;
}

/* The plan at the prices last evaluated, kept when it is better. */
static void climb_plan(climb *cl)
{
	cover *cv = cl->cv;
	const ewc__mip *m = cv->m;

	if (plan_at(cv, cl->target, cl->trial, cl->left, cl->cs, cl->have)) {
		double v = ewc__mip_sum(m, cl->trial, m->opt_obj, 0);
		if (v < cl->ub - 1e-9 * fmax(1.0, cl->ub) && ewc__sides_hold(m, cl->trial)) {
			memcpy(cl->choice, cl->trial, m->njobs * sizeof *cl->trial);
			cl->ub = v;
		}
	}
}

static int climb_fn(void *arg, char *err, size_t errlen)
{
	climb *cl = arg;
	cover *cv = cl->cv;
	const ewc__mip *m = cv->m;
	size_t nk = 0, np = m->npools;
	double sc = 0, ysc, Lc, Le, delta = 1.0;
	int cut = 1;
	size_t nc = 0;
	glp_prob *P = NULL;
	glp_smcp sm;
	double *yc = NULL, *yt = NULL, *val = NULL;
	int *ind = NULL;
	long *demand = malloc((np ? np : 1) * sizeof *demand);

	(void)err;
	(void)errlen;
	if (!demand)
		return 0;
	ewc__pool_demand(m, demand);
	for (size_t p = 0; p < np; p++)
		if (demand[p] > m->pool_cap[p])
			cl->kp[nk++] = (int)p;
	free(demand);
	cl->nk = nk;
	for (size_t p = 0; p < np; p++)
		cv->lam[p] = 0;
	Lc = Le = climb_eval(cl);
	climb_plan(cl);
	if (nk == 0)
		return 0;
	/* a pool's price is about a job's cost per GPU */
	for (size_t o = 0; o < m->nopts; o++)
		if (m->opt_obj[o] > 0) {
			sc += m->opt_obj[o] / (double)m->opt_gpus[o];
			nc++;
		}
	sc = nc ? sc / (double)nc : 1.0;
	ysc = fmax(1.0, fabs(cl->ub));
	yc = calloc(nk, sizeof *yc);
	yt = calloc(nk, sizeof *yt);
	ind = malloc((nk + 2) * sizeof *ind);
	val = malloc((nk + 2) * sizeof *val);
	if (!yc || !yt || !ind || !val)
		goto done;
	P = glp_create_prob();
	glp_set_obj_dir(P, GLP_MAX);
	glp_add_cols(P, (int)nk + 1);
	glp_set_col_bnds(P, (int)nk + 1, GLP_FR, 0.0, 0.0);
	glp_set_obj_coef(P, (int)nk + 1, 1.0);
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.meth = GLP_DUALP;
	for (int step = 0; step < 1000; step++) {
		/* the cut of the last evaluation, at cv->lam:
		 * theta <= L + sum_k g_k (lambda_k - lam_k) */
		if (cut) {
			double rhs = Le;
			int len = 0;
			for (size_t k = 0; k < nk; k++) {
				double gk = cl->g[cl->kp[k]];
				rhs -= gk * cv->lam[cl->kp[k]];
				if (gk != 0) {
					ind[++len] = (int)k + 1;
					val[len] = -gk * sc / ysc;
				}
			}
			ind[++len] = (int)nk + 1;
			val[len] = 1.0;
			int r = glp_add_rows(P, 1);
			glp_set_mat_row(P, r, len, ind, val);
			glp_set_row_bnds(P, r, GLP_UP, 0.0, rhs / ysc);
			cut = 0;
		}
		if (cl->ub - cl->best_L <= 1e-6 * fmax(1.0, fabs(cl->ub)) ||
		    ewc__now_s() >= cl->deadline)
			break;
		int edge = 0;
		double theta, pred, L;
		for (size_t k = 0; k < nk; k++)
			glp_set_col_bnds(P, (int)k + 1, GLP_DB, fmax(0.0, yc[k] - delta), yc[k] + delta);
		sm.tm_lim = ewc__ms_left(cl->deadline);
		if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT) {
			glp_std_basis(P);
			if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT)
				break;
		}
		theta = glp_get_obj_val(P) * ysc;
		for (size_t k = 0; k < nk; k++) {
			yt[k] = glp_get_col_prim(P, (int)k + 1);
			if (fabs(yt[k] - yc[k]) >= delta * (1 - 1e-9) && yt[k] > 1e-12)
				edge = 1;
		}
		pred = theta - Lc;
		if (pred <= 1e-9 * fmax(1.0, fabs(Lc))) {
			if (!edge)
				break; /* the model's maximum inside the box: L's */
			delta *= 2;
			continue;
		}
		for (size_t k = 0; k < nk; k++)
			cv->lam[cl->kp[k]] = yt[k] * sc;
		Le = L = climb_eval(cl);
		cut = 1;
		if (L >= Lc + 0.1 * pred) {
			/* a serious step: the box moves there */
			Lc = L;
			memcpy(yc, yt, nk * sizeof *yc);
			if (edge)
				delta *= 2;
			climb_plan(cl);
		} else if ((delta *= 0.7) < 1e-6) {
			/* a null step: the cut at the trial point is added above */
			break;
		}
	}
done:
	if (P)
		glp_delete_prob(P);
	free(yc);
	free(yt);
	free(ind);
	free(val);
	return 0;
}

int ewc__cover(const ewc__mip *m, const size_t *first, int *choice, double deadline,
               double *bound)
{
	cover cv;
	double *g = NULL, *target = NULL, *have = NULL, best_L = -HUGE_VAL;
	double ub = ewc__mip_sum(m, choice, m->opt_obj, 0), maxslack = 0;
	int *trial = NULL, rc = -1;
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

	{
		climb cl = { &cv, g, target, trial, left, cs, have, choice, ub, -HUGE_VAL, deadline,
		             NULL, 0 };
		char err[128];
		cl.kp = malloc(np * sizeof *cl.kp);
		if (!cl.kp)
			goto out;
		/* a failing master LP only ends the climb: every L evaluated
		 * is a bound */
		(void)ewc__glpk_run(climb_fn, &cl, err, sizeof err);
		free(cl.kp);
		best_L = cl.best_L;
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
