/* lns.c - under shortage: large neighbourhoods of a few pools, solved by GLPK */
/* SPDX-License-Identifier: MIT */
/*
 * Short of capacity, which jobs stay out is part of phase 2's choice, and
 * a plan with the most priority is a tight packing: the moves and swaps of
 * improve.c, one job at a time, stop far from the best (11 % above it on
 * a 300-job national list), and so does a dive of the LP relaxation, which
 * rarely lands on a packing that keeps the priority. Here the search is
 * over larger pieces: for a pool, or two pools that some jobs can both
 * use, every job placed in them and every unplaced job that could go
 * there is placed anew, the rest of the plan fixed. That sub-problem (a
 * knapsack per pool, tied by the jobs and by each tier keeping the
 * priority its jobs hold now) is small, and GLPK's branch-and-cut solves
 * it from the plan in hand, in a fraction of a second. A better answer,
 * checked in exact arithmetic, replaces the plan; passes over the
 * neighbourhoods go on while one of them improves it. At national scale a
 * pool holds thousands of placed jobs, too many to free at once: a window
 * of them is freed, moving on at each visit, and the rest keep their GPUs.
 *
 * Phase 1 runs the same neighbourhoods for the most priority, and when no
 * pair gains, sets of 4 and 8 pools, each grown from one pool by adding
 * the pool that shares most jobs with those in: a big job let in where a
 * chain of smaller ones must move on over three pools or more is out of
 * reach of any pair (tests/check_solver.c has the smallest such chain).
 * Phase 2's sub-problems of that size do not close in their time (GLPK
 * finds no better packing at the priority in 0.3 s), so it keeps to pairs.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "ewc.h"
#include "solver.h"

/* Columns past which a neighbourhood keeps only the cheapest unplaced jobs. */
#define MAX_COLS 600
/* GLPK's time on one neighbourhood, in seconds at most. */
#define SUB_SEC 0.1
/* Phase 1's larger neighbourhoods (4 and 8 pools grown from one by the
 * jobs they share): at most BIG_COLS columns and BIG_SEC seconds each. */
#define BIG_COLS 1500
#define BIG_SEC 0.3

typedef struct pair {
	int a, b;
	long shared;  /* jobs with an option in both */
} pair;

/* A job of a neighbourhood and its sort key: -1 for the placed, else its
 * cheapest cost there per priority. */
typedef struct cand_job {
	double key;
	int job;
} cand_job;

typedef struct lns {
	const ewc__mip *m;
	const size_t *first;
	int *choice;
	double deadline;
	int *tier;        /* [njobs] */
	double *unit;     /* [njobs] per tier */
	int nt;
	size_t *pstart;   /* [npools + 1] options by pool */
	int *popt;        /* [nopts] */
	pair *pairs;
	size_t npairs;
	unsigned char *cand;  /* [njobs] */
	int *cols;        /* [nopts] the neighbourhood's options */
	cand_job *jobs;   /* [njobs] its jobs */
	double *start;    /* [BIG_COLS + 1] */
	int *ind;         /* [BIG_COLS + 1] */
	double *val;      /* [BIG_COLS + 1] */
	long *both;       /* [npools * npools] jobs with options in both */
	double *have;     /* [nt] */
	double *target;   /* [nt] */
	int priority;     /* phase 1's search: the most priority, not the least cost */
	size_t rot;       /* where the next window of a full pool's jobs starts */
	unsigned char *mark; /* [npools] in the neighbourhood */
	long *fixed;      /* [npools] GPUs of its placed jobs left in place */
	long *use;        /* [npools] */
} lns;

static int cmp_pair(const void *x, const void *y)
{
	const pair *p = x, *q = y;
	if (p->shared != q->shared)
		return p->shared > q->shared ? -1 : 1;
	if (p->a != q->a)
		return p->a - q->a;
	return p->b - q->b;
}

typedef struct cbd {
	const double *start;
	int done;
} cbd;

static void give_start(glp_tree *T, void *info)
{
	cbd *c = info;

	if (glp_ios_reason(T) == GLP_IHEUR && !c->done) {
		c->done = 1;
		glp_ios_heur_sol(T, c->start);
	}
}

/* Job j's cheapest option in the neighbourhood's pools, for ordering the
 * unplaced. */
static double cheapest_in(const lns *L, size_t j)
{
	const ewc__mip *m = L->m;
	double c = HUGE_VAL;

	for (size_t o = L->first[j]; o < L->first[j + 1]; o++)
		if (L->mark[m->opt_pool[o]] && m->opt_obj[o] < c)
			c = m->opt_obj[o];
	return c;
}

static int cmp_cand_job(const void *x, const void *y)
{
	const cand_job *p = x, *q = y;
	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->job - q->job;
}

/* Job j's options in the neighbourhood's pools. */
static size_t count_cols(const lns *L, size_t j)
{
	size_t n = 0;

	for (size_t o = L->first[j]; o < L->first[j + 1]; o++)
		n += L->mark[L->m->opt_pool[o]];
	return n;
}

/* One neighbourhood, the pools ps[0 .. nps - 1] (at most maxcols
 * columns): 1 when the plan got cheaper (phase 1: more priority). */
static int solve_set(lns *L, const int *ps, int nps, size_t maxcols, double sec)
{
	const ewc__mip *m = L->m;
	size_t n = 0, nu = 0, nc = 0, placed_cols = 0, let_in = 0;
	double before = 0, after = 0;
	glp_prob *P;
	glp_smcp sm;
	glp_iocp io;
	cbd cb;
	int improved = 0, st;

	/* the jobs placed in the pools, all of them; the unplaced with an option
	 * there, by cost per priority, cheapest first, while the columns last */
	for (int i = 0; i < nps; i++)
		L->mark[ps[i]] = 1;
	for (int i = 0; i < nps; i++) {
		int p = ps[i];
		for (size_t k = L->pstart[p]; k < L->pstart[p + 1]; k++) {
			int j = m->opt_job[L->popt[k]], c = L->choice[j];
			if (L->cand[j] || (c >= 0 && !L->mark[m->opt_pool[c]]))
				continue;
			L->cand[j] = 1;
			if (c >= 0)
				placed_cols += count_cols(L, (size_t)j);
			else
				nu++;
			/* the unplaced let in first: phase 2 the cheapest per
			 * priority, phase 1 the most priority per GPU */
			L->jobs[n++] = (cand_job){
				c >= 0        ? -1.0
				: L->priority ? 1.0 / (m->job_priority[j] / (double)m->job_gpus[j])
				              : cheapest_in(L, (size_t)j) / m->job_priority[j],
				j };
		}
	}
	for (size_t i = 0; i < n; i++)
		L->cand[L->jobs[i].job] = 0;
	if (nu == 0)
		goto unmark; /* nobody to let in */
	/* the placed first (key -1), then the unplaced */
	qsort(L->jobs, n, sizeof *L->jobs, cmp_cand_job);
	/* pools too full of placed jobs to free them all (national scale):
	 * a window of them, moving on each time, is freed; the others stay
	 * and keep their GPUs */
	size_t np = 0, w0 = 0, wn;
	while (np < n && L->choice[L->jobs[np].job] >= 0)
		np++;
	wn = np;
	for (int i = 0; i < nps; i++)
		L->fixed[ps[i]] = 0;
	if (placed_cols > maxcols / 2 && np > 0) {
		size_t cols = 0;
		w0 = L->rot++ % np;
		for (wn = 0; wn < np; wn++) {
			size_t j = (size_t)L->jobs[(w0 + wn) % np].job, k = count_cols(L, j);
			if (cols + k > maxcols / 2)
				break;
			cols += k;
		}
		for (size_t i = wn; i < np; i++) {
			int j = L->jobs[(w0 + i) % np].job, c = L->choice[j];
			L->fixed[m->opt_pool[c]] += m->opt_gpus[c];
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t j;
		if (i < np) {
			if (i >= wn)
				continue; /* fixed */
			j = (size_t)L->jobs[(w0 + i) % np].job;
		} else {
			j = (size_t)L->jobs[i].job;
			if (nc + count_cols(L, j) > maxcols)
				break;
			let_in++;
		}
		for (size_t o = L->first[j]; o < L->first[j + 1]; o++)
			if (L->mark[m->opt_pool[o]])
				L->cols[nc++] = (int)o;
	}
	if (let_in == 0)
		goto unmark;

	for (int t = 0; t < L->nt; t++)
		L->target[t] = 0;
	for (size_t i = 0; i < nc; i++) {
		int o = L->cols[i], j = m->opt_job[o];
		L->start[i + 1] = L->choice[j] == o ? 1.0 : 0.0;
		if (L->choice[j] == o) {
			L->target[L->tier[j]] += m->job_priority[j];
			before += m->opt_obj[o];
		}
	}

	P = glp_create_prob();
	glp_set_obj_dir(P, L->priority ? GLP_MAX : GLP_MIN);
	glp_add_cols(P, (int)nc);
	if (L->priority) {
		/* the most priority, each tier in its own unit (GLPK's tolerances
		 * are relative: 1e8 beside 1 would drown the lower tiers), with
		 * no tier below what it has now (the rows below): a better answer
		 * gains in some tier and loses in none */
		for (size_t i = 0; i < nc; i++) {
			int j = m->opt_job[L->cols[i]];
			glp_set_col_kind(P, (int)i + 1, GLP_BV);
			glp_set_obj_coef(P, (int)i + 1, m->job_priority[j] / L->unit[L->tier[j]]);
		}
	} else {
		double sc = 0;
		for (size_t i = 0; i < nc; i++)
			sc += m->opt_obj[L->cols[i]];
		sc = fmax(1.0, sc / (double)nc);
		for (size_t i = 0; i < nc; i++) {
			glp_set_col_kind(P, (int)i + 1, GLP_BV);
			glp_set_obj_coef(P, (int)i + 1, m->opt_obj[L->cols[i]] / sc);
		}
	}
	/* a job in both pools: at most one of its two options */
	for (size_t i = 0; i + 1 < nc; i++)
		if (m->opt_job[L->cols[i]] == m->opt_job[L->cols[i + 1]]) {
			int len = 0, j = m->opt_job[L->cols[i]];
			while (i < nc && m->opt_job[L->cols[i]] == j) {
				L->ind[++len] = (int)i + 1;
				L->val[len] = 1.0;
				i++;
			}
			i--;
			int r = glp_add_rows(P, 1);
			glp_set_mat_row(P, r, len, L->ind, L->val);
			glp_set_row_bnds(P, r, GLP_UP, 0.0, 1.0);
		}
	for (int s = 0; s < nps; s++) {
		int p = ps[s], len = 0;
		for (size_t i = 0; i < nc; i++)
			if (m->opt_pool[L->cols[i]] == p) {
				L->ind[++len] = (int)i + 1;
				L->val[len] = (double)m->opt_gpus[L->cols[i]];
			}
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, L->ind, L->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0,
		                 (double)(m->pool_cap[p] - L->fixed[p]));
	}
	for (int t = 0; t < L->nt; t++) {
		int len = 0;
		for (size_t i = 0; i < nc; i++) {
			int j = m->opt_job[L->cols[i]];
			if (L->tier[j] == t) {
				L->ind[++len] = (int)i + 1;
				L->val[len] = m->job_priority[j] / L->unit[t];
			}
		}
		if (len == 0)
			continue;
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, L->ind, L->val);
		glp_set_row_bnds(P, r, GLP_LO, L->target[t] / L->unit[t] - 1e-7, 0.0);
	}
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.tm_lim = ewc__ms_left(L->deadline);
	if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT)
		goto done;
	cb.start = L->start;
	cb.done = 0;
	glp_init_iocp(&io);
	io.msg_lev = GLP_MSG_OFF;
	io.presolve = GLP_OFF;
	io.tm_lim = ewc__ms_left(fmin(L->deadline, ewc__now_s() + sec));
	io.mip_gap = L->priority ? 0.0 : 1e-6;
	io.cb_func = give_start;
	io.cb_info = &cb;
	io.cov_cuts = GLP_ON;
	io.br_tech = GLP_BR_PCH;
	io.bt_tech = GLP_BT_BLB;
	(void)glp_intopt(P, &io);
	st = glp_mip_status(P);
	if (st != GLP_OPT && st != GLP_FEAS)
		goto done;
	/* check it exactly: capacity, each tier, and that it is cheaper */
	{
		for (int s = 0; s < nps; s++)
			L->use[ps[s]] = 0;
		for (int t = 0; t < L->nt; t++)
			L->have[t] = 0;
		for (size_t i = 0; i < nc; i++) {
			int o = L->cols[i], j = m->opt_job[o];
			if (glp_mip_col_val(P, (int)i + 1) <= 0.5)
				continue;
			L->use[m->opt_pool[o]] += m->opt_gpus[o];
			L->have[L->tier[j]] += m->job_priority[j];
			after += m->opt_obj[o];
		}
		for (int s = 0; s < nps; s++)
			if (L->use[ps[s]] + L->fixed[ps[s]] > m->pool_cap[ps[s]])
				goto done;
		int more = 0;
		for (int t = 0; t < L->nt; t++) {
			if (L->have[t] < L->target[t] - 1e-9 * fmax(1.0, L->target[t]))
				goto done;
			more |= L->have[t] > L->target[t] + 1e-9 * fmax(1.0, L->target[t]);
		}
		/* phase 1: some tier gained; phase 2: cheaper */
		if (L->priority ? !more : after >= before - 1e-9 * fmax(1.0, before))
			goto done;
	}
	for (size_t i = 0; i < nc; i++) {
		int o = L->cols[i], j = m->opt_job[o];
		if (L->choice[j] == o)
			L->choice[j] = -1;
	}
	for (size_t i = 0; i < nc; i++) {
		int o = L->cols[i];
		if (glp_mip_col_val(P, (int)i + 1) > 0.5)
			L->choice[m->opt_job[o]] = o;
	}
	improved = 1;
done:
	glp_delete_prob(P);
unmark:
	for (int i = 0; i < nps; i++)
		L->mark[ps[i]] = 0;
	return improved;
}

/* The neighbourhood of one or two pools. */
static int solve_pair(lns *L, int a, int b)
{
	int ps[2] = { a, b };

	return solve_set(L, ps, a == b ? 1 : 2, MAX_COLS, SUB_SEC);
}

/* A set of k pools grown from pool a: each next the pool that shares
 * most jobs with those already in (both[] holds the upper triangle), while
 * one shares any. Into ps; returns how many. */
static int around(const lns *L, int a, int k, int *ps)
{
	size_t np = L->m->npools;
	int n = 0;

	ps[n++] = a;
	while (n < k) {
		long best = 0;
		int bp = -1;
		for (size_t q = 0; q < np; q++) {
			long sh = 0;
			int in = 0;
			for (int i = 0; i < n; i++) {
				size_t p = (size_t)ps[i], lo = p < q ? p : q, hi = p < q ? q : p;
				in |= p == q;
				sh += L->both[lo * np + hi];
			}
			if (!in && sh > best) {
				best = sh;
				bp = (int)q;
			}
		}
		if (bp < 0)
			break;
		ps[n++] = bp;
	}
	return n;
}

/* An order-free key of a set of pools, to try each set once a pass. */
static uint64_t set_key(const int *ps, int n)
{
	uint64_t h = 0;

	for (int i = 0; i < n; i++) {
		uint64_t v = (uint64_t)ps[i] * 0x9e3779b97f4a7c15u;
		v ^= v >> 29;
		h += v * 0xbf58476d1ce4e5b9u;
	}
	return h ^ (uint64_t)n;
}

static int lns_fn(void *arg, char *err, size_t errlen)
{
	lns *L = arg;
	size_t np = L->m->npools;
	int *ps = malloc((np ? np : 1) * sizeof *ps);
	uint64_t *seen = malloc((2 * np + 1) * sizeof *seen);

	(void)err;
	(void)errlen;
	if (!ps || !seen)
		goto out;
	for (int pass = 0; pass < 50; pass++) {
		int any = 0;
		size_t nseen = 0;
		for (size_t k = 0; k < L->npairs && ewc__now_s() < L->deadline; k++)
			any |= solve_pair(L, L->pairs[k].a, L->pairs[k].b);
		/* phase 1, when no pair gains: packings that only larger sets
		 * reach (a big job in, smaller ones moved over several pools);
		 * phase 2's sub-problems that size do not close in their time */
		for (int size = 4; L->priority && !any && size <= 8; size *= 2)
			for (size_t a = 0; a < np && ewc__now_s() < L->deadline; a++) {
				int n = around(L, (int)a, size, ps), dup = 0;
				uint64_t key = set_key(ps, n);
				for (size_t i = 0; i < nseen; i++)
					dup |= seen[i] == key;
				if (n <= 2 || dup)
					continue;
				seen[nseen++] = key;
				any |= solve_set(L, ps, n, BIG_COLS, BIG_SEC);
			}
		if (!any || ewc__now_s() >= L->deadline)
			break;
	}
out:
	free(ps);
	free(seen);
	return 0;
}

static int lns_run(const ewc__mip *m, const size_t *first, int *choice, double deadline,
                   int priority)
{
	size_t nj = m->njobs ? m->njobs : 1, np = m->npools, no = m->nopts ? m->nopts : 1;
	lns L;
	long *both = NULL;
	char err[128];
	int rc = -1;

	memset(&L, 0, sizeof L);
	L.m = m;
	L.first = first;
	L.choice = choice;
	L.deadline = deadline;
	L.priority = priority;
	L.tier = malloc(nj * sizeof *L.tier);
	L.unit = malloc(nj * sizeof *L.unit);
	L.pstart = malloc((np + 1) * sizeof *L.pstart);
	L.popt = malloc(no * sizeof *L.popt);
	L.cand = calloc(nj, 1);
	L.cols = malloc(no * sizeof *L.cols);
	L.jobs = malloc(nj * sizeof *L.jobs);
	L.start = malloc((BIG_COLS + 1) * sizeof *L.start);
	L.ind = malloc((BIG_COLS + 1) * sizeof *L.ind);
	L.val = malloc((BIG_COLS + 1) * sizeof *L.val);
	L.mark = calloc(np ? np : 1, 1);
	L.fixed = calloc(np ? np : 1, sizeof *L.fixed);
	L.use = calloc(np ? np : 1, sizeof *L.use);
	both = calloc(np ? np * np : 1, sizeof *both);
	if (!L.tier || !L.unit || !L.pstart || !L.popt || !L.cand || !L.cols || !L.jobs ||
	    !L.start || !L.ind || !L.val || !both || !L.mark || !L.fixed || !L.use)
		goto out;
	L.nt = ewc__tiers(m, first, L.tier, L.unit);
	if (L.nt < 0)
		goto out;
	rc = 0;
	if (L.nt == 0 || np == 0)
		goto out;
	L.have = calloc((size_t)L.nt, sizeof *L.have);
	L.target = calloc((size_t)L.nt, sizeof *L.target);
	if (!L.have || !L.target) {
		rc = -1;
		goto out;
	}
	ewc__opts_by_pool(m, L.pstart, L.popt);
	/* the neighbourhoods: each pool alone, and each two pools that some
	 * job can use both of, those shared by most jobs first */
	for (size_t j = 0; j < m->njobs; j++)
		for (size_t o = first[j]; o < first[j + 1]; o++)
			for (size_t q = o; q < first[j + 1]; q++) {
				int a = m->opt_pool[o], b = m->opt_pool[q];
				if (a > b) {
					int t = a;
					a = b;
					b = t;
				}
				both[(size_t)a * np + (size_t)b]++;
			}
	for (size_t k = 0; k < np * np; k++)
		L.npairs += both[k] > 0;
	L.pairs = malloc((L.npairs ? L.npairs : 1) * sizeof *L.pairs);
	if (!L.pairs) {
		rc = -1;
		goto out;
	}
	L.npairs = 0;
	for (size_t a = 0; a < np; a++)
		for (size_t b = a; b < np; b++)
			if (both[a * np + b] > 0)
				L.pairs[L.npairs++] = (pair){ (int)a, (int)b,
				                              a == b ? LONG_MAX : both[a * np + b] };
	qsort(L.pairs, L.npairs, sizeof *L.pairs, cmp_pair);
	L.both = both;
	/* a failure inside GLPK ends the search; the plan stays feasible */
	(void)ewc__glpk_run(lns_fn, &L, err, sizeof err);
out:
	free(L.tier);
	free(L.unit);
	free(L.pstart);
	free(L.popt);
	free(L.cand);
	free(L.cols);
	free(L.jobs);
	free(L.start);
	free(L.ind);
	free(L.val);
	free(L.mark);
	free(L.fixed);
	free(L.use);
	free(L.have);
	free(L.target);
	free(L.pairs);
	free(both);
	return rc;
}

int ewc__lns(const ewc__mip *m, const size_t *first, int *choice, double deadline)
{
	return lns_run(m, first, choice, deadline, 0);
}

int ewc__lns_priority(const ewc__mip *m, const size_t *first, int *choice, double deadline)
{
	return lns_run(m, first, choice, deadline, 1);
}

int ewc__phase1_search(const ewc__mip *m, const size_t *first, double deadline,
                       ewc__mip_result *res, int *all, int *proven, char *err, size_t errlen)
{
	double t0 = ewc__now_s();
	/* the class model first; when it cannot prove its plan best, the
	 * neighbourhoods in the last third of the time: the class model's
	 * search is strong on bounds, weaker on packings */
	int lns_ok = m->nside == 0 && !(m->keep_priority && m->start);
	int rc = ewc__phase1(m, first, lns_ok ? t0 + (deadline - t0) * 2 / 3 : deadline, res, all,
	                     proven, err, errlen);

	if (rc || !lns_ok || *proven || *all)
		return rc;
	if (ewc__lns_priority(m, first, res->choice, deadline) != 0) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	res->priority = ewc__mip_sum(m, res->choice, NULL, 1);
	if (res->priority >= res->priority_bound - ewc__prio_tol(m)) {
		*proven = 1;
		res->priority_bound = res->priority;
	}
	if (m->progress)
		m->progress(m->progress_user, "priority", res->priority, res->priority_bound);
	return 0;
}
