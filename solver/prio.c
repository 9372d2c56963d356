/* prio.c - phase 1 at any scale: the most priority, over classes of interchangeable jobs */
/* SPDX-License-Identifier: MIT */
/*
 * Phase 1 asks only how much priority fits, and for that two jobs with the
 * same priority, the same pools and the same GPUs on each are the same
 * job. On the binary model such twins make branch-and-bound hopeless: it
 * explores every permutation of them (national lists have thousands).
 * Here they form one class k of n_k jobs, and the model counts them:
 *
 *   max  sum_k,p  w_k y_kp
 *   s.t. sum_p y_kp <= n_k                      (each job at most once)
 *        sum_k g_kp y_kp <= floor_d(C_p)        (capacity of pool p)
 *        side rows that hold in phase 1, by class
 *        y_kp integer, 0 <= y_kp <= min(n_k, C_p / g_kp)
 *
 * floor_d(C_p) rounds the capacity down to a multiple of the greatest
 * common divisor of the sizes that can use the pool: no plan can use the
 * rest, and the LP bound tightens. The model is as exact as the binary one
 * (a plan of either gives a plan of the other with the same priority), its
 * LP bound is the same, and GLPK's branch-and-cut works on tens to
 * thousands of integers instead of up to millions of binaries. When every
 * priority is a whole number, so is the optimum: a bound below
 * incumbent + 1 proves the incumbent, and the reported bound is rounded
 * down. The counts go back to jobs by cost, the cheapest member of a class
 * on each pool first, as a start for phase 2.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "ewc.h"
#include "solver.h"

typedef struct klass {
	double priority;
	long gpus;          /* the jobs' size, for orderings; the GPUs on each
	                     * pool are the representative's opt_gpus */
	size_t nmemb;       /* jobs in the class */
	size_t first_opt;   /* the representative job's first option */
	size_t nopt;        /* its options (one per pool) */
	int rep;            /* the representative job */
	int col0;           /* GLPK column of its first option */
} klass;

typedef struct prio {
	const ewc__mip *m;
	const size_t *first;
	klass *k;
	size_t nk;
	int *job_class;     /* [njobs] class or -1 (no option) */
	int *pool_row;      /* [npools] GLPK row or 0 */
	unsigned char *side1; /* [nside] row holds in phase 1 */
	int integral;       /* every priority of the tier solved is a whole number */
	int *tier_of;       /* [nk] tier of each class: 0 the highest */
	double unit;        /* the smallest priority of the tier solved last */
	size_t ntiers;
	double *start;      /* 1-based column values of the starting plan */
	int offer;          /* start is a plan GLPK may take (meets the rows) */
	int start_done;
	double bound;       /* best proven bound seen */
	double incumbent;
} prio;

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

/* Whether jobs a and b are interchangeable in phase 1: same priority and
 * size, the same pools in the same order, the same phase-1 side rows. */
static int same(const prio *q, int a, int b)
{
	const ewc__mip *m = q->m;
	size_t oa = q->first[a], ob = q->first[b], n = q->first[a + 1] - oa;

	if (m->job_priority[a] != m->job_priority[b] || m->job_gpus[a] != m->job_gpus[b] ||
	    q->first[b + 1] - ob != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (m->opt_pool[oa + i] != m->opt_pool[ob + i] ||
		    m->opt_gpus[oa + i] != m->opt_gpus[ob + i])
			return 0;
		for (size_t s = 0; s < m->nside; s++)
			if (q->side1[s] && m->side[s].coef[oa + i] != m->side[s].coef[ob + i])
				return 0;
	}
	return 1;
}

static uint64_t key(const prio *q, int j)
{
	const ewc__mip *m = q->m;
	uint64_t h = mix(bits(m->job_priority[j]), (uint64_t)m->job_gpus[j]);

	for (size_t o = q->first[j]; o < q->first[j + 1]; o++) {
		h = mix(h, (uint64_t)m->opt_pool[o]);
		for (size_t s = 0; s < m->nside; s++)
			if (q->side1[s])
				h = mix(h, bits(m->side[s].coef[o]));
	}
	return h;
}

/* Group the jobs with options into classes, by an open-addressing table of
 * keys. 0 or -1 (memory). */
static int classes(prio *q)
{
	const ewc__mip *m = q->m;
	size_t cap = 16, n = m->njobs;
	int *slot;

	while (cap < 2 * n + 16)
		cap *= 2;
	slot = malloc(cap * sizeof *slot);
	q->k = malloc((n ? n : 1) * sizeof *q->k);
	q->job_class = malloc((n ? n : 1) * sizeof *q->job_class);
	if (!slot || !q->k || !q->job_class) {
		free(slot);
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		slot[i] = -1;
	q->nk = 0;
	for (size_t j = 0; j < n; j++) {
		size_t i;
		q->job_class[j] = -1;
		if (q->first[j + 1] == q->first[j])
			continue;
		for (i = (size_t)key(q, (int)j) & (cap - 1); slot[i] >= 0; i = (i + 1) & (cap - 1))
			if (same(q, q->k[slot[i]].rep, (int)j))
				break;
		if (slot[i] < 0) {
			klass *c = &q->k[q->nk];
			c->priority = m->job_priority[j];
			c->gpus = m->job_gpus[j];
			c->nmemb = 0;
			c->first_opt = q->first[j];
			c->nopt = q->first[j + 1] - q->first[j];
			c->rep = (int)j;
			slot[i] = (int)q->nk++;
		}
		q->k[slot[i]].nmemb++;
		q->job_class[j] = slot[i];
	}
	free(slot);
	return 0;
}

static long gcd(long a, long b)
{
	while (b) {
		long t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* The class model on GLPK. 0 or -1 (memory). */
static int build(prio *q, glp_prob *P)
{
	const ewc__mip *m = q->m;
	size_t ncols = 0, nrows;
	long *div;
	int *ind;
	double *val;
	int nr = 0;

	for (size_t c = 0; c < q->nk; c++) {
		q->k[c].col0 = (int)ncols + 1;
		ncols += q->k[c].nopt;
	}
	div = calloc(m->npools ? m->npools : 1, sizeof *div);
	q->pool_row = calloc(m->npools ? m->npools : 1, sizeof *q->pool_row);
	ind = malloc((ncols + 1) * sizeof *ind);
	val = malloc((ncols + 1) * sizeof *val);
	if (!div || !q->pool_row || !ind || !val) {
		free(div);
		free(ind);
		free(val);
		return -1;
	}
	for (size_t c = 0; c < q->nk; c++)
		for (size_t i = 0; i < q->k[c].nopt; i++) {
			int p = m->opt_pool[q->k[c].first_opt + i];
			div[p] = gcd(div[p], m->opt_gpus[q->k[c].first_opt + i]);
		}
	nrows = q->nk;
	for (size_t p = 0; p < m->npools; p++)
		if (div[p] > 0)
			q->pool_row[p] = (int)(q->nk + (size_t)++nr);
	nrows += (size_t)nr;
	for (size_t s = 0; s < m->nside; s++)
		nrows += q->side1[s];
	glp_set_obj_dir(P, GLP_MAX);
	if (nrows)
		glp_add_rows(P, (int)nrows);
	if (ncols)
		glp_add_cols(P, (int)ncols);
	for (size_t c = 0; c < q->nk; c++) {
		const klass *K = &q->k[c];
		glp_set_row_bnds(P, (int)c + 1, GLP_UP, 0.0, (double)K->nmemb);
		for (size_t i = 0; i < K->nopt; i++) {
			int col = K->col0 + (int)i, p = m->opt_pool[K->first_opt + i];
			long fit = m->pool_cap[p] / m->opt_gpus[K->first_opt + i];
			double hi = (double)((size_t)fit < K->nmemb ? (size_t)fit : K->nmemb);
			glp_set_col_kind(P, col, GLP_IV);
			if (hi > 0)
				glp_set_col_bnds(P, col, GLP_DB, 0.0, hi);
			else
				glp_set_col_bnds(P, col, GLP_FX, 0.0, 0.0);
			glp_set_obj_coef(P, col, K->priority);
			ind[i + 1] = col;
			val[i + 1] = 1.0;
		}
		glp_set_mat_row(P, (int)c + 1, (int)K->nopt, ind, val);
	}
	for (size_t p = 0; p < m->npools; p++) {
		int n = 0, r = q->pool_row[p];
		if (!r)
			continue;
		for (size_t c = 0; c < q->nk; c++)
			for (size_t i = 0; i < q->k[c].nopt; i++)
				if (m->opt_pool[q->k[c].first_opt + i] == (int)p) {
					ind[++n] = q->k[c].col0 + (int)i;
					val[n] = (double)m->opt_gpus[q->k[c].first_opt + i];
				}
		glp_set_row_bnds(P, r, GLP_UP, 0.0, (double)(m->pool_cap[p] / div[p] * div[p]));
		glp_set_mat_row(P, r, n, ind, val);
	}
	int r = (int)q->nk + nr;
	for (size_t s = 0; s < m->nside; s++) {
		const ewc__side *sd = &m->side[s];
		int n = 0;
		if (!q->side1[s])
			continue;
		r++;
		for (size_t c = 0; c < q->nk; c++)
			for (size_t i = 0; i < q->k[c].nopt; i++) {
				double v = sd->coef[q->k[c].first_opt + i];
				if (v != 0) {
					ind[++n] = q->k[c].col0 + (int)i;
					val[n] = v;
				}
			}
		if (sd->lo > -HUGE_VAL && sd->hi < HUGE_VAL)
			glp_set_row_bnds(P, r, sd->lo == sd->hi ? GLP_FX : GLP_DB, sd->lo, sd->hi);
		else if (sd->lo > -HUGE_VAL)
			glp_set_row_bnds(P, r, GLP_LO, sd->lo, 0.0);
		else if (sd->hi < HUGE_VAL)
			glp_set_row_bnds(P, r, GLP_UP, 0.0, sd->hi);
		else
			glp_set_row_bnds(P, r, GLP_FR, 0.0, 0.0);
		glp_set_mat_row(P, r, n, ind, val);
	}
	free(div);
	free(ind);
	free(val);
	return 0;
}

/* The bound a value b proves: with whole priorities, the whole number at
 * or below it (b may carry rounding noise of the LP). */
static double proved(const prio *q, double b)
{
	return q->integral ? floor(b + 1e-6 * fmax(1.0, fabs(b))) : b;
}

static void callback(glp_tree *T, void *info)
{
	prio *q = info;
	int p;

	if (glp_ios_reason(T) == GLP_IHEUR && q->offer && !q->start_done) {
		q->start_done = 1;
		glp_ios_heur_sol(T, q->start);
	}
	p = glp_ios_best_node(T);
	if (p) {
		double b = proved(q, glp_ios_node_bound(T, p));
		if (b < q->bound)
			q->bound = b;
	}
	if (glp_ios_reason(T) == GLP_IBINGO || glp_ios_reason(T) == GLP_ISELECT) {
		glp_prob *P = glp_ios_get_prob(T);
		double inc = glp_mip_obj_val(P);
		if (glp_ios_reason(T) == GLP_IBINGO && q->m->progress)
			q->m->progress(q->m->progress_user, "priority", inc, fmax(inc, q->bound));
		/* nothing better than the incumbent can exist */
		if (glp_ios_mip_gap(T) < DBL_MAX && q->bound <= inc + 1e-9 * fmax(1.0, fabs(inc)))
			glp_ios_terminate(T);
	}
}

typedef struct pair {
	double cost;
	size_t job;
	size_t i;           /* the option's index within the class */
} pair;

static int cmp_pair(const void *a, const void *b)
{
	const pair *x = a, *y = b;
	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	if (x->job != y->job)
		return x->job < y->job ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Counts back to jobs: within each class, every (member, pool) pair by
 * cost, cheapest first, each taken while its member is free and its pool
 * has count left. Every member can use every pool of its class, so the
 * counts are met. count is 1-based by GLPK column. choice receives an
 * option per job or -1. 0 or -1. */
static int jobs_of(const prio *q, const double *count, int *choice)
{
	const ewc__mip *m = q->m;
	size_t *start = calloc(q->nk + 1, sizeof *start), *memb = NULL, *fill = NULL, maxp = 0;
	long *left = NULL;
	pair *pr = NULL;
	int rc = -1;

	if (!start)
		return -1;
	for (size_t j = 0; j < m->njobs; j++) {
		choice[j] = -1;
		if (q->job_class[j] >= 0)
			start[q->job_class[j] + 1]++;
	}
	for (size_t c = 0; c < q->nk; c++) {
		size_t np = start[c + 1] * q->k[c].nopt;
		maxp = np > maxp ? np : maxp;
		start[c + 1] += start[c];
	}
	memb = malloc((m->njobs ? m->njobs : 1) * sizeof *memb);
	fill = calloc(q->nk ? q->nk : 1, sizeof *fill);
	pr = malloc((maxp ? maxp : 1) * sizeof *pr);
	left = malloc((m->npools ? m->npools : 1) * sizeof *left);
	if (!memb || !fill || !pr || !left)
		goto out;
	for (size_t j = 0; j < m->njobs; j++)
		if (q->job_class[j] >= 0) {
			int c = q->job_class[j];
			memb[start[c] + fill[c]++] = j;
		}
	for (size_t c = 0; c < q->nk; c++) {
		const klass *K = &q->k[c];
		size_t n = 0;
		for (size_t i = 0; i < K->nopt; i++)
			left[i] = lround(count[K->col0 + (int)i]);
		for (size_t a = start[c]; a < start[c + 1]; a++)
			for (size_t i = 0; i < K->nopt; i++)
				pr[n++] = (pair){ m->opt_obj[q->first[memb[a]] + i], memb[a], i };
		qsort(pr, n, sizeof *pr, cmp_pair);
		for (size_t k = 0; k < n; k++)
			if (choice[pr[k].job] < 0 && left[pr[k].i] > 0) {
				choice[pr[k].job] = (int)(q->first[pr[k].job] + pr[k].i);
				left[pr[k].i]--;
			}
	}
	rc = 0;
out:
	free(start);
	free(memb);
	free(fill);
	free(pr);
	free(left);
	return rc;
}

typedef struct run {
	prio *q;
	double deadline;
	int *choice;
	double *bound;
	int *proven;
} run;

/* The priority of choice in tier t. */
static double tier_value(const prio *q, const int *choice, size_t t)
{
	double v = 0;

	for (size_t j = 0; j < q->m->njobs; j++)
		if (choice[j] >= 0 && q->job_class[j] >= 0 && q->tier_of[q->job_class[j]] == (int)t)
			v += q->k[q->job_class[j]].priority;
	return v;
}

/* Take the plan trial, with counts y, when it places more of tier t and
 * keeps every tier above and the phase-1 side rows: it becomes R->choice,
 * the incumbent, and GLPK's start. 1 taken, 0 not. */
static int adopt(run *R, const int *trial, const double *y, size_t ncols, size_t t,
                 double unit)
{
	prio *q = R->q;
	const ewc__mip *m = q->m;

	if (tier_value(q, trial, t) / unit <= q->incumbent + 1e-9 * fmax(1.0, fabs(q->incumbent)))
		return 0;
	for (size_t u = 0; u < t; u++)
		if (tier_value(q, trial, u) < tier_value(q, R->choice, u))
			return 0;
	for (size_t k = 0; k < m->nside; k++)
		if (q->side1[k] && !ewc__side_holds(m, &m->side[k], trial))
			return 0;
	memcpy(R->choice, trial, m->njobs * sizeof *trial);
	memcpy(q->start, y, (ncols + 1) * sizeof *y);
	q->offer = 1;
	q->incumbent = tier_value(q, trial, t) / unit;
	return 1;
}

/* A start from the LP: every count rounded down, which keeps every row
 * (all coefficients are >= 0 and the rows are <=), then the room left
 * filled, highest priority per GPU first. The counts LP is nearly
 * integral (at most one fractional count per row), so this is close to
 * its bound where GLPK's search might not find better than the greedy
 * start in the time. Taken, as R->choice and q->start, when it places more
 * of tier t and keeps the tiers above and the phase-1 side rows. Returns
 * 1 taken, 0 not, -1 memory. */
static int round_lp(run *R, glp_prob *P, size_t t, double unit)
{
	prio *q = R->q;
	const ewc__mip *m = q->m;
	size_t ncols = (size_t)glp_get_num_cols(P);
	double *y = malloc((ncols + 1) * sizeof *y), *left = NULL;
	long *room = NULL;
	size_t *ord = NULL;
	int *trial = NULL, rc = -1;

	if (!y)
		return -1;
	room = malloc((m->npools ? m->npools : 1) * sizeof *room);
	left = malloc((q->nk ? q->nk : 1) * sizeof *left);
	ord = malloc((q->nk ? q->nk : 1) * sizeof *ord);
	trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial);
	if (!room || !left || !ord || !trial)
		goto out;
	for (size_t p = 0; p < m->npools; p++)
		room[p] = m->pool_cap[p];
	for (size_t c = 0; c < q->nk; c++) {
		const klass *K = &q->k[c];
		left[c] = (double)K->nmemb;
		for (size_t i = 0; i < K->nopt; i++) {
			int col = K->col0 + (int)i;
			double v = floor(glp_get_col_prim(P, col) + 1e-9);
			y[col] = v > 0 ? v : 0;
			left[c] -= y[col];
			room[m->opt_pool[K->first_opt + i]] -= (long)y[col] * m->opt_gpus[K->first_opt + i];
		}
		ord[c] = c;
	}
	/* fill: priority per GPU, highest first (insertion sort: classes are
	 * few next to jobs) */
	for (size_t a = 1; a < q->nk; a++)
		for (size_t b = a; b > 0; b--) {
			const klass *x = &q->k[ord[b - 1]], *z = &q->k[ord[b]];
			if (x->priority * (double)z->gpus >= z->priority * (double)x->gpus)
				break;
			size_t tmp = ord[b];
			ord[b] = ord[b - 1];
			ord[b - 1] = tmp;
		}
	for (size_t a = 0; a < q->nk; a++) {
		const klass *K = &q->k[ord[a]];
		for (size_t i = 0; i < K->nopt && left[ord[a]] > 0.5; i++) {
			int p = m->opt_pool[K->first_opt + i];
			long g = m->opt_gpus[K->first_opt + i];
			long fit = room[p] / g;
			long take = fit < (long)left[ord[a]] ? fit : (long)left[ord[a]];
			if (take <= 0)
				continue;
			y[K->col0 + (int)i] += (double)take;
			left[ord[a]] -= (double)take;
			room[p] -= take * g;
		}
	}
	if (jobs_of(q, y, trial) != 0)
		goto out;
	rc = adopt(R, trial, y, ncols, t, unit);
out:
	free(y);
	free(room);
	free(left);
	free(ord);
	free(trial);
	return rc;
}

/* Cells of one pool's knapsack table past which the pool is skipped. */
#define POOL_DP_MAX_CELLS 20000000u

/* Re-solve the pools one at a time, exactly: pool p keeps the units of
 * other tiers it holds, and its tier-t units are chosen anew among those
 * it holds and those no pool holds, by a bounded knapsack (dynamic
 * programming over its capacity in units of the sizes' gcd, counts split
 * into powers of two). A pool changes only when it then places more of
 * the tier; sweeps go on until none does or the deadline. This is the
 * local search multiple knapsacks call for: it moves units into freed room
 * that the rounding and GLPK's search leave, and never loses priority.
 * Works on the counts of the plan in R->choice; takes the result when it
 * places more. No phase-1 side rows. Returns 1 improved, 0 not, -1. */
static int pool_search(run *R, size_t ncols, size_t t, double unit)
{
	prio *q = R->q;
	const ewc__mip *m = q->m;
	double *y = calloc(ncols + 1, sizeof *y), *val = NULL, *dp = NULL;
	double *held = calloc(q->nk ? q->nk : 1, sizeof *held);
	long *wt = NULL, *cnt = NULL;
	int *ck = NULL, *trial = NULL, rc = -1, improved = 0;
	uint8_t *take = NULL;
	unsigned char *in = NULL;
	size_t maxc = 0, nchunk = 0;

	for (size_t s = 0; s < m->nside; s++)
		if (q->side1[s]) {
			free(y);
			free(held);
			return 0;
		}
	if (!y || !held)
		goto out;
	for (size_t j = 0; j < m->njobs; j++)
		if (R->choice[j] >= 0 && q->job_class[j] >= 0) {
			const klass *K = &q->k[q->job_class[j]];
			y[K->col0 + (int)((size_t)R->choice[j] - q->first[j])] += 1;
			held[q->job_class[j]] += 1;
		}
	for (size_t p = 0; p < m->npools; p++)
		maxc = (size_t)m->pool_cap[p] > maxc ? (size_t)m->pool_cap[p] : maxc;
	for (size_t c = 0; c < q->nk; c++)
		nchunk += 1 + (size_t)log2((double)q->k[c].nmemb + 1);
	val = malloc((nchunk + 1) * sizeof *val);
	wt = malloc((nchunk + 1) * sizeof *wt);
	cnt = malloc((nchunk + 1) * sizeof *cnt);
	ck = malloc((nchunk + 1) * sizeof *ck);
	in = malloc(nchunk + 1);
	dp = malloc((maxc + 1) * sizeof *dp);
	trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial);
	if (!val || !wt || !cnt || !ck || !in || !dp || !trial)
		goto out;
	for (int sweep = 0; sweep < 50 && ewc__now_s() < R->deadline; sweep++) {
		int changed = 0;
		for (size_t p = 0; p < m->npools && ewc__now_s() < R->deadline; p++) {
			long cap = m->pool_cap[p], d = 0;
			size_t n = 0, S;
			double before = 0, after;
			/* the tier's classes that can use p: their chunks; the other
			 * tiers' units stay and keep their GPUs */
			for (size_t c = 0; c < q->nk; c++)
				for (size_t i = 0; i < q->k[c].nopt; i++) {
					if (m->opt_pool[q->k[c].first_opt + i] != (int)p)
						continue;
					double u = y[q->k[c].col0 + (int)i];
					if (q->tier_of[c] != (int)t) {
						cap -= (long)u * m->opt_gpus[q->k[c].first_opt + i];
						continue;
					}
					before += u * q->k[c].priority;
					d = gcd(d, m->opt_gpus[q->k[c].first_opt + i]);
				}
			if (d <= 0 || cap <= 0)
				continue;
			S = (size_t)(cap / d);
			for (size_t c = 0; c < q->nk; c++) {
				if (q->tier_of[c] != (int)t)
					continue;
				for (size_t i = 0; i < q->k[c].nopt; i++) {
					if (m->opt_pool[q->k[c].first_opt + i] != (int)p)
						continue;
					double here = y[q->k[c].col0 + (int)i];
					long avail = (long)((double)q->k[c].nmemb - held[c] + here);
					long w = m->opt_gpus[q->k[c].first_opt + i] / d, fit = (long)S / w;
					if (avail > fit)
						avail = fit;
					for (long part = 1; avail > 0; part *= 2) {
						long take_n = part < avail ? part : avail;
						val[n] = (double)take_n * q->k[c].priority;
						wt[n] = take_n * w;
						cnt[n] = take_n;
						ck[n++] = (int)(q->k[c].col0 + (int)i);
						avail -= take_n;
					}
				}
			}
			if (n == 0 || (double)n * (double)(S + 1) > POOL_DP_MAX_CELLS)
				continue;
			free(take);
			take = calloc((n * (S + 1) + 7) / 8, 1);
			if (!take)
				goto out;
			after = ewc__knapsack01(n, wt, val, S, 1e-9, dp, take, in);
			if (after <= before + 1e-9 * fmax(1.0, before) * unit)
				continue;
			/* the new content of p: the tier's counts there from the chunks */
			for (size_t c = 0; c < q->nk; c++)
				if (q->tier_of[c] == (int)t)
					for (size_t i = 0; i < q->k[c].nopt; i++)
						if (m->opt_pool[q->k[c].first_opt + i] == (int)p) {
							held[c] -= y[q->k[c].col0 + (int)i];
							y[q->k[c].col0 + (int)i] = 0;
						}
			for (size_t a = 0; a < n; a++)
				if (in[a]) {
					size_t c;
					y[ck[a]] += (double)cnt[a];
					for (c = 0; c < q->nk; c++)
						if (ck[a] >= q->k[c].col0 &&
						    ck[a] < q->k[c].col0 + (int)q->k[c].nopt)
							break;
					held[c] += (double)cnt[a];
				}
			changed = 1;
		}
		if (!changed)
			break;
		improved = 1;
	}
	rc = 0;
	if (!improved)
		goto out;
	rc = jobs_of(q, y, trial) != 0 ? -1 : adopt(R, trial, y, ncols, t, unit);
out:
	free(y);
	free(held);
	free(val);
	free(wt);
	free(cnt);
	free(ck);
	free(dp);
	free(trial);
	free(take);
	free(in);
	return rc;
}

/* One tier on P, whose objective counts that tier's classes only, from
 * the plan in R->choice. *value and *bound receive the tier's priority
 * and its proven bound; returns 1 when proven, 0 when not, or a negative
 * code. */
static int solve_tier(run *R, glp_prob *P, size_t t, double pmax_t, double *value,
                      double *bound, char *err, size_t errlen)
{
	prio *q = R->q;
	const ewc__mip *m = q->m;
	size_t ncols = (size_t)glp_get_num_cols(P);
	glp_smcp sm;
	glp_iocp io;
	int ret, st, proven = 0;

	/* in the tier's own unit, its smallest priority: whole multiples of it
	 * round exactly (1e9 + noise would not) */
	double unit = HUGE_VAL;
	for (size_t c = 0; c < q->nk; c++)
		if (q->tier_of[c] == (int)t)
			unit = fmin(unit, q->k[c].priority);
	q->integral = 1;
	for (size_t c = 0; c < q->nk; c++) {
		int in = q->tier_of[c] == (int)t;
		double w = in ? q->k[c].priority / unit : 0.0;
		for (size_t i = 0; i < q->k[c].nopt; i++)
			glp_set_obj_coef(P, q->k[c].col0 + (int)i, w);
		if (in && (w != floor(w) || w > 1e12))
			q->integral = 0;
	}
	pmax_t /= unit;
	q->unit = unit;
	/* the start, as counts; not offered when it breaks a phase-1 side row */
	free(q->start);
	q->start = calloc(ncols + 1, sizeof *q->start);
	if (!q->start) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	q->start_done = 0;
	q->offer = 1;
	for (size_t k = 0; k < m->nside; k++)
		if (q->side1[k] && !ewc__side_holds(m, &m->side[k], R->choice))
			q->offer = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (R->choice[j] >= 0 && q->job_class[j] >= 0) {
			const klass *K = &q->k[q->job_class[j]];
			q->start[K->col0 + (int)((size_t)R->choice[j] - q->first[j])] += 1;
		}
	q->incumbent = q->offer ? tier_value(q, R->choice, t) / unit : -HUGE_VAL;
	q->bound = proved(q, pmax_t);
	*value = fmax(0.0, q->incumbent) * unit;
	*bound = q->bound * unit;
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.tm_lim = ewc__ms_left(R->deadline);
	if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT)
		return 0; /* no LP bound in time: the start stands */
	q->bound = fmin(q->bound, proved(q, glp_get_obj_val(P)));
	if (q->bound > q->incumbent + 1e-9 * fmax(1.0, fabs(q->incumbent))) {
		int r = round_lp(R, P, t, unit);
		if (r >= 0 && q->bound > q->incumbent + 1e-9 * fmax(1.0, fabs(q->incumbent)))
			r = pool_search(R, ncols, t, unit);
		if (r < 0) {
			snprintf(err, errlen, "out of memory");
			return EWC_ENOMEM;
		}
	}
	if (q->bound > q->incumbent + 1e-9 * fmax(1.0, fabs(q->incumbent))) {
		glp_init_iocp(&io);
		io.msg_lev = GLP_MSG_OFF;
		io.presolve = GLP_OFF; /* the start refers to the columns as built */
		io.mip_gap = 0;        /* priority is never traded for a gap */
		io.tm_lim = ewc__ms_left(R->deadline);
		io.cb_func = callback;
		io.cb_info = q;
		io.gmi_cuts = GLP_ON;
		io.mir_cuts = GLP_ON;
		io.cov_cuts = GLP_ON;
		io.clq_cuts = GLP_ON;
		io.br_tech = GLP_BR_PCH;
		io.bt_tech = GLP_BT_BPH;
		ret = glp_intopt(P, &io);
		st = glp_mip_status(P);
		if ((st == GLP_OPT || st == GLP_FEAS) &&
		    glp_mip_obj_val(P) > q->incumbent + 1e-9 * fmax(1.0, fabs(q->incumbent))) {
			for (size_t c = 1; c <= ncols; c++)
				q->start[c] = glp_mip_col_val(P, (int)c);
			if (jobs_of(q, q->start, R->choice) != 0) {
				snprintf(err, errlen, "out of memory");
				return EWC_ENOMEM;
			}
			q->incumbent = tier_value(q, R->choice, t) / unit;
		}
		if (st == GLP_OPT && ret == 0)
			q->bound = fmin(q->bound, proved(q, glp_mip_obj_val(P)));
	}
	proven = q->bound <= q->incumbent + 1e-9 * fmax(1.0, fabs(q->incumbent));
	*value = fmax(0.0, q->incumbent) * unit;
	*bound = fmax(q->bound * unit, *value);
	return proven;
}

/* Tier by tier, highest first; each found tier's priority then holds as a
 * row while the next is solved. The bound on the total: the proven tiers'
 * priorities, the first unproven tier's bound, and everything below it. */
static int solve_fn(void *arg, char *err, size_t errlen)
{
	run *R = arg;
	prio *q = R->q;
	const ewc__mip *m = q->m;
	glp_prob *P = glp_create_prob();
	double *pmax_t = calloc(q->ntiers ? q->ntiers : 1, sizeof *pmax_t);
	double total_bound = 0;
	int rc = 0, unproven = 0;
	int *ind = NULL;
	double *val = NULL;

	if (!pmax_t || build(q, P) != 0) {
		rc = EWC_ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < m->njobs; j++)
		if (q->job_class[j] >= 0)
			pmax_t[q->tier_of[q->job_class[j]]] += m->job_priority[j];
	ind = malloc(((size_t)glp_get_num_cols(P) + 1) * sizeof *ind);
	val = malloc(((size_t)glp_get_num_cols(P) + 1) * sizeof *val);
	if (!ind || !val) {
		rc = EWC_ENOMEM;
		goto out;
	}
	for (size_t t = 0; t < q->ntiers; t++) {
		double v, b;
		int r, n = 0;
		if (ewc__now_s() >= R->deadline) {
			/* no time for this tier: its bound is all of it */
			if (!unproven)
				total_bound += pmax_t[t];
			unproven = 1;
			for (size_t u = t + 1; u < q->ntiers; u++)
				total_bound += pmax_t[u];
			break;
		}
		rc = solve_tier(R, P, t, pmax_t[t], &v, &b, err, errlen);
		if (rc < 0)
			goto out;
		if (!unproven) {
			total_bound += rc ? v : b;
			if (!rc) {
				unproven = 1;
				for (size_t u = t + 1; u < q->ntiers; u++)
					total_bound += pmax_t[u];
			}
		}
		rc = 0;
		if (t + 1 == q->ntiers)
			break;
		/* this tier keeps what it found while the next is solved */
		for (size_t c = 0; c < q->nk; c++)
			if (q->tier_of[c] == (int)t)
				for (size_t i = 0; i < q->k[c].nopt; i++) {
					ind[++n] = q->k[c].col0 + (int)i;
					val[n] = q->k[c].priority / q->unit;
				}
		r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, n, ind, val);
		glp_set_row_bnds(P, r, GLP_LO, v / q->unit - 1e-6, 0.0);
	}
	*R->bound = total_bound;
	*R->proven = !unproven;
out:
	if (rc == EWC_ENOMEM)
		snprintf(err, errlen, "out of memory");
	glp_delete_prob(P);
	free(pmax_t);
	free(ind);
	free(val);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The common divisor of n positive levels, within a relative tolerance
 * (0.3 and 0.5 give 0.1); 0 when there is none above 1e-9 of the lowest. */
static double level_gcd(const double *lv, size_t n)
{
	double g = lv[0], tol = lv[0] * 1e-9;

	for (size_t k = 1; k < n; k++) {
		double a = lv[k], b = g;
		while (b > tol) {
			double r = fmod(a, b);
			if (r > b - tol)
				r = 0;
			a = b;
			b = r;
		}
		g = a;
		if (g <= tol)
			return 0;
	}
	return g;
}

int ewc__tiers(const ewc__mip *m, const size_t *first, int *tier, double *unit)
{
	size_t n = 0, nl = 0;
	double *lv = malloc((m->njobs ? m->njobs : 1) * sizeof *lv), below = 0;
	double *sum, *ltier;
	int nt = 0;

	if (!lv)
		return -1;
	for (size_t j = 0; j < m->njobs; j++)
		if (first[j + 1] > first[j])
			lv[n++] = m->job_priority[j];
	qsort(lv, n, sizeof *lv, cmp_double);
	/* the distinct levels, lowest first, each with the priority at it */
	sum = malloc((n ? n : 1) * sizeof *sum);
	ltier = malloc((n ? n : 1) * sizeof *ltier);
	if (!sum || !ltier) {
		free(lv);
		free(sum);
		free(ltier);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (nl == 0 || lv[i] != lv[nl - 1]) {
			lv[nl] = lv[i];
			sum[nl++] = 0;
		}
		sum[nl - 1] += lv[i];
	}
	/* A level outweighing all below it may start a tier when the tier's
	 * levels are whole multiples of a unit that outweighs everything below
	 * too (their common divisor): then two sums of the tier differ by more
	 * than all below, and the most priority tier by tier is the most in
	 * total. Not so for 5 and 6 above four jobs of 1: 6 + 5 beats 5 + 5 in
	 * the tier, yet 5 + 5 + 4 beats 6 + 5 in total; such a tier joins the
	 * one below. 5e8 and 6e8 above them keep their tier, unit 1e8. A start
	 * is dropped and the check repeated until every tier holds. */
	double *lbelow = malloc((n ? n : 1) * sizeof *lbelow);
	if (!lbelow) {
		free(lv);
		free(sum);
		free(ltier);
		return -1;
	}
	for (size_t i = 0; i < nl; i++) {
		lbelow[i] = below;
		ltier[i] = i > 0 && lv[i] > below; /* 1: may start a tier */
		below += sum[i];
	}
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t a = 1; a < nl && !changed; a++) {
			size_t b = a + 1;
			if (ltier[a] != 1)
				continue;
			while (b < nl && ltier[b] != 1)
				b++;
			if (!(level_gcd(lv + a, b - a) > lbelow[a] * (1 + 1e-9))) {
				ltier[a] = 0;
				changed = 1;
			}
		}
	}
	for (size_t i = 0; i < nl; i++) {
		if (i > 0 && ltier[i] == 1)
			nt++;
		ltier[i] = nt;
	}
	for (size_t j = 0; j < m->njobs; j++) {
		tier[j] = -1;
		if (first[j + 1] == first[j])
			continue;
		double *at = bsearch(&m->job_priority[j], lv, nl, sizeof *lv, cmp_double);
		tier[j] = nt - (int)ltier[at - lv];
	}
	/* each tier's unit: its levels' common divisor (the lowest tier's,
	 * when they have no sensible one, its lowest level) */
	for (size_t i = nl; i-- > 0;) {
		size_t e = i + 1;
		if (i > 0 && ltier[i - 1] == ltier[i])
			continue; /* not the tier's lowest level */
		while (e < nl && ltier[e] == ltier[i])
			e++;
		double g = level_gcd(lv + i, e - i);
		unit[nt - (int)ltier[i]] = g >= lv[i] * 1e-6 ? g : lv[i];
	}
	free(lv);
	free(sum);
	free(ltier);
	free(lbelow);
	return nl ? nt + 1 : 0;
}

/* The classes' tiers (ewc__tiers() on their jobs). 0 or -1. */
static int tiers(prio *q)
{
	const ewc__mip *m = q->m;
	int *tier = malloc((m->njobs ? m->njobs : 1) * sizeof *tier);
	double *unit = malloc((m->njobs ? m->njobs : 1) * sizeof *unit);
	int nt;

	q->tier_of = malloc((q->nk ? q->nk : 1) * sizeof *q->tier_of);
	if (!tier || !unit || !q->tier_of || (nt = ewc__tiers(m, q->first, tier, unit)) < 0) {
		free(tier);
		free(unit);
		return -1;
	}
	for (size_t c = 0; c < q->nk; c++)
		q->tier_of[c] = tier[q->k[c].rep];
	q->ntiers = (size_t)nt;
	free(tier);
	free(unit);
	return 0;
}

int ewc__prio_solve(const ewc__mip *m, const size_t *first, double deadline, int *choice,
                    double *bound, int *proven, char *err, size_t errlen)
{
	prio q;
	run R = { &q, deadline, choice, bound, proven };
	double pmax = 0;
	int rc;

	memset(&q, 0, sizeof q);
	q.m = m;
	q.first = first;
	*proven = 0;
	q.side1 = calloc(m->nside ? m->nside : 1, 1);
	if (!q.side1) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	for (size_t s = 0; s < m->nside; s++)
		q.side1[s] = (unsigned char)(m->side[s].in_phase1 != 0);
	/* each tier's integrality and bound are solve_tier()'s */
	for (size_t j = 0; j < m->njobs; j++)
		if (first[j + 1] > first[j])
			pmax += m->job_priority[j];
	rc = classes(&q) != 0 || tiers(&q) != 0 ? -1 : 0;
	*bound = pmax;
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		rc = EWC_ENOMEM;
	} else {
		rc = ewc__glpk_run(solve_fn, &R, err, errlen);
	}
	free(q.side1);
	free(q.tier_of);
	free(q.k);
	free(q.job_class);
	free(q.pool_row);
	free(q.start);
	return rc;
}

int ewc__phase1(const ewc__mip *m, const size_t *first, double deadline, ewc__mip_result *res,
                int *all, int *proven, char *err, size_t errlen)
{
	double pmax, pstar;
	int rc;

	*proven = 1;
	if (ewc__mip_initial(m, first, res->choice, &pmax) != 0) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	if (m->keep_priority && m->start)
		memcpy(res->choice, m->start, m->njobs * sizeof *res->choice);
	pstar = ewc__mip_sum(m, res->choice, NULL, 1);
	res->priority_bound = pmax;
	*all = pstar >= pmax;
	/* the frontier's points place exactly their base plan's priority */
	if (!*all && m->nopts && !(m->keep_priority && m->start)) {
		double b;
		rc = ewc__prio_solve(m, first, deadline, res->choice, &b, proven, err, errlen);
		if (rc)
			return rc;
		res->phases++;
		pstar = ewc__mip_sum(m, res->choice, NULL, 1);
		res->priority_bound = fmax(pstar, fmin(b, pmax));
		if (m->progress)
			m->progress(m->progress_user, "priority", pstar, res->priority_bound);
		if (pstar >= pmax)
			*all = *proven = 1;
	}
	/* with keep_priority the priority is given, not searched: nothing to
	 * prove in this phase */
	res->priority = pstar;
	return 0;
}
