/* lns.c - phase 2 under shortage: large neighbourhoods of one or two pools, solved by GLPK */
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
 */
#include <limits.h>
#include <math.h>
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
	double *start;    /* [MAX_COLS + 1] */
	int *ind;         /* [MAX_COLS + 1] */
	double *val;      /* [MAX_COLS + 1] */
	double *have;     /* [nt] */
	double *target;   /* [nt] */
	int priority;     /* phase 1's search: the most priority, not the least cost */
	size_t rot;       /* where the next window of a full pool's jobs starts */
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

static int in_set(int p, int a, int b)
{
	return p == a || p == b;
}

/* Job j's cheapest option in {a, b}, for ordering the unplaced. */
static double cheapest_in(const lns *L, size_t j, int a, int b)
{
	const ewc__mip *m = L->m;
	double c = HUGE_VAL;

	for (size_t o = L->first[j]; o < L->first[j + 1]; o++)
		if (in_set(m->opt_pool[o], a, b) && m->opt_obj[o] < c)
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

/* Job j's options in {a, b}. */
static size_t count_cols(const lns *L, size_t j, int a, int b)
{
	size_t n = 0;

	for (size_t o = L->first[j]; o < L->first[j + 1]; o++)
		n += in_set(L->m->opt_pool[o], a, b);
	return n;
}

/* One neighbourhood: 1 when the plan got cheaper. */
static int solve_pair(lns *L, int a, int b)
{
	const ewc__mip *m = L->m;
	size_t n = 0, nu = 0, nc = 0, placed_cols = 0, let_in = 0;
	double before = 0, after = 0;
	glp_prob *P;
	glp_smcp sm;
	glp_iocp io;
	cbd cb;
	int improved = 0, st;

	/* the jobs placed in a or b, all of them; the unplaced with an option
	 * there, by cost per priority, cheapest first, while the columns last */
	for (int side = 0; side < (a == b ? 1 : 2); side++) {
		int p = side ? b : a;
		for (size_t k = L->pstart[p]; k < L->pstart[p + 1]; k++) {
			int j = m->opt_job[L->popt[k]], c = L->choice[j];
			if (L->cand[j] || (c >= 0 && !in_set(m->opt_pool[c], a, b)))
				continue;
			L->cand[j] = 1;
			if (c >= 0)
				placed_cols += count_cols(L, (size_t)j, a, b);
			else
				nu++;
			/* the unplaced let in first: phase 2 the cheapest per
			 * priority, phase 1 the most priority per GPU */
			L->jobs[n++] = (cand_job){
				c >= 0        ? -1.0
				: L->priority ? 1.0 / (m->job_priority[j] / (double)m->job_gpus[j])
				              : cheapest_in(L, (size_t)j, a, b) / m->job_priority[j],
				j };
		}
	}
	for (size_t i = 0; i < n; i++)
		L->cand[L->jobs[i].job] = 0;
	if (nu == 0)
		return 0; /* nobody to let in */
	/* the placed first (key -1), then the unplaced */
	qsort(L->jobs, n, sizeof *L->jobs, cmp_cand_job);
	/* pools too full of placed jobs to free them all (national scale):
	 * a window of them, moving on each time, is freed; the others stay
	 * and keep their GPUs */
	size_t np = 0, w0 = 0, wn;
	long fixed_a = 0, fixed_b = 0;
	while (np < n && L->choice[L->jobs[np].job] >= 0)
		np++;
	wn = np;
	if (placed_cols > MAX_COLS / 2 && np > 0) {
		size_t cols = 0;
		w0 = L->rot++ % np;
		for (wn = 0; wn < np; wn++) {
			size_t j = (size_t)L->jobs[(w0 + wn) % np].job, k = count_cols(L, j, a, b);
			if (cols + k > MAX_COLS / 2)
				break;
			cols += k;
		}
		for (size_t i = wn; i < np; i++) {
			int j = L->jobs[(w0 + i) % np].job, c = L->choice[j];
			if (m->opt_pool[c] == a)
				fixed_a += m->opt_gpus[c];
			else
				fixed_b += m->opt_gpus[c];
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
			if (nc + count_cols(L, j, a, b) > MAX_COLS)
				break;
			let_in++;
		}
		for (size_t o = L->first[j]; o < L->first[j + 1]; o++)
			if (in_set(m->opt_pool[o], a, b))
				L->cols[nc++] = (int)o;
	}
	if (let_in == 0)
		return 0;

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
	for (int side = 0; side < (a == b ? 1 : 2); side++) {
		int p = side ? b : a, len = 0;
		for (size_t i = 0; i < nc; i++)
			if (m->opt_pool[L->cols[i]] == p) {
				L->ind[++len] = (int)i + 1;
				L->val[len] = (double)m->opt_gpus[L->cols[i]];
			}
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, L->ind, L->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0,
		                 (double)(m->pool_cap[p] - (side ? fixed_b : fixed_a)));
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
	io.tm_lim = ewc__ms_left(fmin(L->deadline, ewc__now_s() + SUB_SEC));
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
		long use_a = 0, use_b = 0;
		for (int t = 0; t < L->nt; t++)
			L->have[t] = 0;
		for (size_t i = 0; i < nc; i++) {
			int o = L->cols[i], j = m->opt_job[o];
			if (glp_mip_col_val(P, (int)i + 1) <= 0.5)
				continue;
			if (m->opt_pool[o] == a)
				use_a += m->opt_gpus[o];
			else
				use_b += m->opt_gpus[o];
			L->have[L->tier[j]] += m->job_priority[j];
			after += m->opt_obj[o];
		}
		if (use_a + fixed_a > m->pool_cap[a] || (a != b && use_b + fixed_b > m->pool_cap[b]))
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
	return improved;
}

static int lns_fn(void *arg, char *err, size_t errlen)
{
	lns *L = arg;

	(void)err;
	(void)errlen;
	for (int pass = 0; pass < 50; pass++) {
		int any = 0;
		for (size_t k = 0; k < L->npairs && ewc__now_s() < L->deadline; k++)
			any |= solve_pair(L, L->pairs[k].a, L->pairs[k].b);
		if (!any || ewc__now_s() >= L->deadline)
			break;
	}
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
	L.start = malloc((MAX_COLS + 1) * sizeof *L.start);
	L.ind = malloc((MAX_COLS + 1) * sizeof *L.ind);
	L.val = malloc((MAX_COLS + 1) * sizeof *L.val);
	both = calloc(np ? np * np : 1, sizeof *both);
	if (!L.tier || !L.unit || !L.pstart || !L.popt || !L.cand || !L.cols || !L.jobs ||
	    !L.start || !L.ind || !L.val || !both)
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
	if (res->priority >= res->priority_bound - 1e-9 * fmax(1.0, res->priority_bound)) {
		*proven = 1;
		res->priority_bound = res->priority;
	}
	if (m->progress)
		m->progress(m->progress_user, "priority", res->priority, res->priority_bound);
	return 0;
}
