/* lagr.c - the placement model at national scale: prices on the capacity rows */
/* SPDX-License-Identifier: MIT */
/*
 * Capacity rows are few (regions x GPU types: tens) and jobs are many. A
 * price lambda_p >= 0 on each capacity row splits the model into one tiny
 * choice per job:
 *
 *   L(lambda) = sum_j min_o (c_o + g_j lambda_p(o)) - sum_p cap_p lambda_p
 *
 * is a lower bound on every plan that places every job (weak duality),
 * for any lambda, and its maximum is the LP relaxation's value. L is
 * concave and piecewise linear in a few dozen variables: a cutting-plane
 * method with a box around the best point so far (box-step Kelley) climbs
 * it, each step one pass over the options and one tiny LP on GLPK. Plans
 * come from a greedy that chooses by priced cost and then moves jobs to
 * cheaper options with room. Reduced-cost fixing then drops every option
 * that cannot be part of a plan better than the one in hand, and GLPK's
 * branch-and-cut settles the few jobs still in question.
 *
 * When not every job fits, phase 1 is prio.c's (the most priority, on
 * classes of interchangeable jobs), and phase 2 prices one more row,
 * "total priority placed >= phase 1's", so that its bound holds among all
 * plans that place as much priority.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glpk.h>

#include "ewc.h"
#include "solver.h"

/* Cutting-plane steps per phase; each is one pass over the options. */
#define MAX_STEPS 400
/* Jobs are split into at most this many groups, each with its own model. */
#define MAX_GROUPS 64
/* Exact fixing hands the direct model at most this many options; past it,
 * LP-guided fixing leaves GUIDED_FREE jobs open first. */
#define POLISH_MAX_OPTS 4000
/* Options past which phase 2 under shortage skips ewc__support_mip(): its
 * LP over the whole model takes longer than the search has. */
#define SUPPORT_MAX_OPTS 50000
#define GUIDED_FREE 150

static double rel_gap(double z, double lb)
{
	double g = (z - lb) / fmax(1.0, fabs(z));
	return g > 0 ? g : 0;
}

typedef struct item {
	double key;  /* larger first */
	long gpus;
	int job;
} item;

static int cmp_item(const void *a, const void *b)
{
	const item *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->gpus != y->gpus)
		return x->gpus > y->gpus ? -1 : 1;
	return x->job - y->job;
}

/* One phase's problem and all of its scratch space. */
typedef struct phase {
	const ewc__mip *m;
	const size_t *first;
	const double *c;      /* [nopts] minimised */
	int one;              /* phase 1: c = -priority, a job may stay out */
	int prow;             /* phase 2 with "priority placed >= pmin" */
	double pmin;
	/* phase 2 keeps phase 1's priority tier by tier (ewc__tier_sums()) */
	int nt;
	int *tier;            /* [njobs] */
	double *unit;         /* [njobs] per tier */
	double *ptarget;      /* [nt] phase 1's tier sums */
	double *tsum;         /* [nt] scratch */
	size_t nk;            /* priced pools: those that could overflow */
	int *kpool;           /* [nk] */
	size_t ny;            /* dual variables: nk, and the priority row's */
	double *scale;        /* [ny] typical size of each dual variable */
	double *price;        /* [npools] price of each pool at the point in hand */
	/* jobs in groups, each with its own cutting-plane model of its share
	 * of L (any partition gives valid cuts; more groups, fewer steps) */
	size_t ngroups;
	int *group;           /* [njobs] */
	int *kidx;            /* [npools] price index of each pool, or -1 */
	double *gc;           /* [ngroups] cost of the group's priced choices */
	double *gl;           /* [ngroups] the group's share of L */
	double *gp;           /* [ngroups] priority it places */
	double *gu;           /* [ngroups * nk] GPUs it puts on each priced pool */
	/* the plan in hand: feasible, and the best found */
	int *choice;          /* [njobs] */
	double z;             /* its value (phase 1: minus its priority) */
	int *trial;           /* [njobs] */
	long *left;           /* [npools] */
	item *ord;            /* [njobs] */
	const unsigned char *in; /* [njobs] jobs phase 2 must place, or NULL */
	int only_in;          /* the model holds the jobs of `in` and no others */
	double lb;            /* the best bound: L at yc */
	double *yc;           /* [ny] the point where L is lb */
	double deadline;
	double target;        /* relative gap to stop at */
} phase;

/* Prices per pool from the dual point y. */
static void set_prices(phase *ph, const double *y)
{
	const ewc__mip *m = ph->m;

	for (size_t p = 0; p < m->npools; p++)
		ph->price[p] = 0;
	for (size_t k = 0; k < ph->nk; k++)
		ph->price[ph->kpool[k]] = y[k];
}

/* Job j's cheapest option at the prices in ph->price, or -1 when none beats
 * *lo as given (HUGE_VAL, or 0 where staying out is a choice); *lo and *lo2
 * become the two lowest priced costs. */
static int priced_min(const phase *ph, size_t j, double *lo, double *lo2)
{
	const ewc__mip *m = ph->m;
	int best = -1;

	*lo2 = HUGE_VAL;
	for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++) {
		double v = ph->c[o] + (double)m->opt_gpus[o] * ph->price[m->opt_pool[o]];
		if (v < *lo) {
			*lo2 = *lo;
			*lo = v;
			best = (int)o;
		} else if (v < *lo2) {
			*lo2 = v;
		}
	}
	return best;
}

/* L at y, with each group's share, cost, priority and GPUs per priced pool
 * at its jobs' cheapest priced choices (the cuts of the model). */
static double eval(phase *ph, const double *y)
{
	const ewc__mip *m = ph->m;
	double L = 0, mu = ph->prow ? y[ph->nk] : 0;

	set_prices(ph, y);
	memset(ph->gc, 0, ph->ngroups * sizeof *ph->gc);
	memset(ph->gl, 0, ph->ngroups * sizeof *ph->gl);
	memset(ph->gp, 0, ph->ngroups * sizeof *ph->gp);
	memset(ph->gu, 0, ph->ngroups * ph->nk * sizeof *ph->gu);
	for (size_t j = 0; j < m->njobs; j++) {
		const size_t o1 = ph->first[j + 1];
		double pr = mu * m->job_priority[j];
		double best = (ph->one || ph->prow) ? 0 : HUGE_VAL;
		int bo = -1;
		if (ph->only_in && !ph->in[j])
			continue;
		for (size_t o = ph->first[j]; o < o1; o++) {
			double v = ph->c[o] + (double)m->opt_gpus[o] * ph->price[m->opt_pool[o]] - pr;
			if (v < best) {
				best = v;
				bo = (int)o;
			}
		}
		if (bo < 0)
			continue; /* stays out, or has no option at all */
		int gr = ph->group[j], k = ph->kidx[m->opt_pool[bo]];
		L += best;
		ph->gl[gr] += best;
		ph->gc[gr] += ph->c[bo];
		ph->gp[gr] += m->job_priority[j];
		if (k >= 0)
			ph->gu[(size_t)gr * ph->nk + (size_t)k] += (double)m->opt_gpus[bo];
	}
	for (size_t k = 0; k < ph->nk; k++)
		L -= (double)m->pool_cap[ph->kpool[k]] * y[k];
	if (ph->prow)
		L += mu * ph->pmin;
	return L;
}

/* Value of a plan in the phase's terms. */
static double value(const phase *ph, const int *choice)
{
	if (ph->one)
		return -ewc__mip_sum(ph->m, choice, NULL, 1);
	return ewc__mip_sum(ph->m, choice, ph->m->opt_obj, 0);
}

/* Whether option a beats b for the same job: lower c, then lower opt_obj2. */
static int cheaper(const ewc__mip *m, size_t a, size_t b, double ca, double cb)
{
	double tol = 1e-12 * fmax(fabs(ca), fabs(cb));
	if (ca < cb - tol)
		return 1;
	if (ca > cb + tol || !m->opt_obj2)
		return 0;
	return m->opt_obj2[a] < m->opt_obj2[b];
}

/* A plan from the prices in ph->price: jobs in order of what they stand to
 * lose, each on its cheapest priced option that has room. Phase 1 orders by
 * priced profit instead and places whatever fits. */
static void priced_greedy(phase *ph)
{
	const ewc__mip *m = ph->m;
	size_t n = 0;

	memcpy(ph->left, m->pool_cap, m->npools * sizeof *ph->left);
	for (size_t j = 0; j < m->njobs; j++) {
		double lo = HUGE_VAL, lo2;
		ph->trial[j] = -1;
		if (ph->in && !ph->in[j])
			continue;
		if (ph->first[j + 1] == ph->first[j])
			continue;
		priced_min(ph, j, &lo, &lo2);
		ph->ord[n].key = ph->one ? -lo : (lo2 == HUGE_VAL ? HUGE_VAL : lo2 - lo);
		ph->ord[n].gpus = m->job_gpus[j];
		ph->ord[n].job = (int)j;
		n++;
	}
	qsort(ph->ord, n, sizeof *ph->ord, cmp_item);
	for (size_t i = 0; i < n; i++) {
		int j = ph->ord[i].job, best = -1;
		double bv = 0;
		for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++) {
			double v = ph->c[o] + (double)m->opt_gpus[o] * ph->price[m->opt_pool[o]];
			if (ph->left[m->opt_pool[o]] < m->opt_gpus[o])
				continue;
			if (best < 0 || cheaper(m, o, (size_t)best, v, bv)) {
				best = (int)o;
				bv = v;
			}
		}
		if (best >= 0) {
			ph->trial[j] = best;
			ph->left[m->opt_pool[best]] -= m->opt_gpus[best];
		}
	}
}

/* Move placed jobs to cheaper options with room until none is left
 * (ph->left must hold the room the plan leaves). */
static void improve(phase *ph, int *choice)
{
	const ewc__mip *m = ph->m;
	const double *obj = m->opt_obj;
	int moved = 1;

	for (int pass = 0; moved && pass < 20; pass++) {
		moved = 0;
		for (size_t j = 0; j < m->njobs; j++) {
			int cur = choice[j], best = cur;
			if (cur < 0)
				continue;
			for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++)
				if ((int)o != best && ph->left[m->opt_pool[o]] >= m->opt_gpus[o] &&
				    cheaper(m, o, (size_t)best, obj[o], obj[best]))
					best = (int)o;
			if (best != cur) {
				ph->left[m->opt_pool[cur]] += m->opt_gpus[cur];
				ph->left[m->opt_pool[best]] -= m->opt_gpus[best];
				choice[j] = best;
				moved = 1;
			}
		}
	}
}

/* Room left by a plan. */
static void room_of(phase *ph, const int *choice)
{
	const ewc__mip *m = ph->m;

	memcpy(ph->left, m->pool_cap, m->npools * sizeof *ph->left);
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			ph->left[m->opt_pool[choice[j]]] -= m->opt_gpus[choice[j]];
}

/* Place job j, left out of ph->trial, by moving one placed job out of the
 * way: some job k in one of j's pools moves to another of its own options
 * that has room, so that j fits where k was. The cheapest such pair of
 * moves wins. `bucket`/`bstart` list the jobs placed on each pool (a job
 * that moved since is skipped). 1 when j was placed. */
static int eject(phase *ph, int j, const int *bucket, const size_t *bstart)
{
	const ewc__mip *m = ph->m;
	const double *c = m->opt_obj;
	double best = HUGE_VAL;
	int bo = -1, bk = -1, bko = -1;

	for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++) {
		int p = m->opt_pool[o];
		long need = m->opt_gpus[o] - ph->left[p];
		if (need <= 0) {
			/* room opened up by an earlier move */
			if (c[o] < best) {
				best = c[o];
				bo = (int)o;
				bk = -1;
			}
			continue;
		}
		for (size_t i = bstart[p]; i < bstart[p + 1]; i++) {
			int k = bucket[i], ko = ph->trial[k];
			if (ko < 0 || m->opt_pool[ko] != p || m->opt_gpus[ko] < need)
				continue;
			for (size_t o2 = ph->first[k]; o2 < ph->first[k + 1]; o2++) {
				int p2 = m->opt_pool[o2];
				double d = c[o] + c[o2] - c[ko];
				if (p2 == p || ph->left[p2] < m->opt_gpus[o2] || d >= best)
					continue;
				best = d;
				bo = (int)o;
				bk = k;
				bko = (int)o2;
			}
		}
	}
	if (bo < 0)
		return 0;
	if (bk >= 0) {
		ph->left[m->opt_pool[ph->trial[bk]]] += m->opt_gpus[ph->trial[bk]];
		ph->left[m->opt_pool[bko]] -= m->opt_gpus[bko];
		ph->trial[bk] = bko;
	}
	ph->left[m->opt_pool[bo]] -= m->opt_gpus[bo];
	ph->trial[j] = bo;
	return 1;
}

/* Whether plan falls short of phase 1's priority in some tier (with none
 * above it ahead). */
static int short_of(phase *ph, const int *plan)
{
	ewc__tier_sums(ph->m, ph->tier, ph->unit, ph->nt, plan, ph->tsum);
	return ewc__tier_cmp(ph->tsum, ph->ptarget, ph->nt) < 0;
}

/* Make ph->trial place every job of ph->in, or at least phase 1's total
 * priority: jobs left out get room by eject(), then, while the total is
 * short, other jobs fill what room is left, most priority first. 1 when
 * the plan is good enough to keep. */
static int repair(phase *ph)
{
	const ewc__mip *m = ph->m;
	size_t n = 0, *bstart = NULL;
	int *bucket = NULL, ok = 0;

	for (size_t j = 0; j < m->njobs; j++)
		if (ph->in[j] && ph->trial[j] < 0)
			n++;
	if (n > 0) {
		bstart = calloc(m->npools + 1, sizeof *bstart);
		bucket = malloc((m->njobs ? m->njobs : 1) * sizeof *bucket);
		if (!bstart || !bucket)
			goto out;
		for (size_t j = 0; j < m->njobs; j++)
			if (ph->trial[j] >= 0)
				bstart[m->opt_pool[ph->trial[j]] + 1]++;
		for (size_t p = 0; p < m->npools; p++)
			bstart[p + 1] += bstart[p];
		for (size_t j = 0, *fill = bstart; j < m->njobs; j++)
			if (ph->trial[j] >= 0)
				bucket[fill[m->opt_pool[ph->trial[j]]]++] = (int)j;
		for (size_t p = m->npools; p > 0; p--)
			bstart[p] = bstart[p - 1];
		bstart[0] = 0;
		/* at national scale the ejections are the slow part: they stop
		 * at the deadline, and the plan is then not good enough */
		for (size_t j = 0; j < m->njobs; j++) {
			if ((j & 255) == 0 && ewc__now_s() >= ph->deadline)
				goto out;
			if (ph->in[j] && ph->trial[j] < 0)
				eject(ph, (int)j, bucket, bstart);
		}
	}
	ewc__tier_sums(m, ph->tier, ph->unit, ph->nt, ph->trial, ph->tsum);
	if (ewc__tier_cmp(ph->tsum, ph->ptarget, ph->nt) < 0) {
		/* the left-out jobs, most priority first, on their cheapest
		 * option with room */
		size_t k = 0;
		for (size_t j = 0; j < m->njobs; j++)
			if (ph->trial[j] < 0 && ph->first[j + 1] > ph->first[j]) {
				ph->ord[k].key = m->job_priority[j];
				ph->ord[k].gpus = -m->job_gpus[j]; /* small first */
				ph->ord[k].job = (int)j;
				k++;
			}
		qsort(ph->ord, k, sizeof *ph->ord, cmp_item);
		for (size_t i = 0; i < k && ewc__tier_cmp(ph->tsum, ph->ptarget, ph->nt) < 0; i++) {
			int j = ph->ord[i].job, best = -1;
			for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++)
				if (ph->left[m->opt_pool[o]] >= m->opt_gpus[o] &&
				    (best < 0 || m->opt_obj[o] < m->opt_obj[best]))
					best = (int)o;
			if (best >= 0) {
				ph->trial[j] = best;
				ph->left[m->opt_pool[best]] -= m->opt_gpus[best];
				ph->tsum[ph->tier[j]] += m->job_priority[j] / ph->unit[ph->tier[j]];
			}
		}
	}
	ok = ewc__tier_cmp(ph->tsum, ph->ptarget, ph->nt) >= 0;
out:
	free(bstart);
	free(bucket);
	return ok;
}

/* Make ph->trial the plan in hand when it is better: a lower value (in
 * phase 1, more priority), or the same value for a lower objective. Phase 2
 * keeps only plans that place phase 1's total priority. */
static void keep_if_better(phase *ph)
{
	const ewc__mip *m = ph->m;
	double tol = 1e-9 * fmax(1.0, fabs(ph->z)), zt = value(ph, ph->trial);

	if (!ph->one && short_of(ph, ph->trial))
		return;
	if (zt > ph->z + tol)
		return;
	if (zt >= ph->z - tol && ewc__mip_sum(m, ph->trial, m->opt_obj, 0) >=
	                             ewc__mip_sum(m, ph->choice, m->opt_obj, 0))
		return;
	memcpy(ph->choice, ph->trial, m->njobs * sizeof *ph->choice);
	ph->z = zt;
}

/* A plan from the prices now in ph->price, kept when it is better. */
static void heuristic(phase *ph)
{
	priced_greedy(ph);
	if (!ph->one && !repair(ph))
		return;
	if (!ph->one)
		improve(ph, ph->trial);
	keep_if_better(ph);
}

/* The cutting-plane model: max sum_g theta_g - cap.lambda (+ pmin mu)
 * s.t. theta_g <= C_g + U_g.lambda - P_g mu for every point evaluated so
 * far, where C_g, U_g and P_g are the cost, the GPUs per priced pool and
 * the priority of group g's cheapest priced choices there; lambda in a box
 * around the best point yc. Columns 1..ny are the dual variables over their
 * scale (so all are of size about one), then the thetas over ysc (the size
 * of L). */
typedef struct climb {
	phase *ph;
	double *y;     /* [ny] */
	double *yt;    /* [ny] trial */
	int *ind;      /* [ny+2] */
	double *val;   /* [ny+2] */
} climb;

/* Cuts for the groups whose model value at the master's answer (t, over
 * ysc; NULL: every group) is above their true share of L. */
static void add_cuts(glp_prob *P, climb *cl, double ysc, const double *t)
{
	phase *ph = cl->ph;
	size_t ny = ph->ny;

	for (size_t g = 0; g < ph->ngroups; g++) {
		if (t && t[g] * ysc <= ph->gl[g] + 1e-9 * fmax(ysc, fabs(ph->gl[g])))
			continue;
		int r = glp_add_rows(P, 1), len = 0;
		for (size_t k = 0; k < ph->nk; k++) {
			double u = ph->gu[g * ph->nk + k];
			if (u == 0)
				continue;
			cl->ind[++len] = (int)k + 1;
			cl->val[len] = -u * ph->scale[k] / ysc;
		}
		if (ph->prow && ph->gp[g] != 0) {
			cl->ind[++len] = (int)ph->nk + 1;
			cl->val[len] = ph->gp[g] * ph->scale[ph->nk] / ysc;
		}
		cl->ind[++len] = (int)(ny + g) + 1;
		cl->val[len] = 1.0;
		glp_set_mat_row(P, r, len, cl->ind, cl->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, ph->gc[g] / ysc);
	}
}

static void report(const phase *ph, const char *what)
{
	const ewc__mip *m = ph->m;

	if (m->progress)
		m->progress(m->progress_user, what, ph->one ? -ph->z : ph->z,
		            ph->one ? -ph->lb : ph->lb);
}

static int climb_fn(void *arg, char *err, size_t errlen)
{
	climb *cl = arg;
	phase *ph = cl->ph;
	const ewc__mip *m = ph->m;
	size_t ny = ph->ny, ng = ph->ngroups;
	glp_prob *P = glp_create_prob();
	glp_smcp sm;
	double delta = 1.0, ysc, L;
	double *t = malloc((ng ? ng : 1) * sizeof *t);
	int since_heur = 0;

	if (!t) {
		glp_delete_prob(P);
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	glp_set_obj_dir(P, GLP_MAX);
	glp_add_cols(P, (int)(ny + ng));
	for (size_t g = 0; g < ng; g++) {
		glp_set_col_bnds(P, (int)(ny + g) + 1, GLP_FR, 0.0, 0.0);
		glp_set_obj_coef(P, (int)(ny + g) + 1, 1.0);
	}
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.meth = GLP_DUALP;

	for (size_t k = 0; k < ny; k++)
		cl->y[k] = 0;
	ph->lb = eval(ph, cl->y);
	ysc = fmax(1.0, fabs(ph->lb));
	for (size_t k = 0; k < ph->nk; k++)
		glp_set_obj_coef(P, (int)k + 1, -(double)m->pool_cap[ph->kpool[k]] * ph->scale[k] / ysc);
	if (ph->prow)
		glp_set_obj_coef(P, (int)ph->nk + 1, ph->pmin * ph->scale[ph->nk] / ysc);
	memcpy(ph->yc, cl->y, ny * sizeof *cl->y);
	add_cuts(P, cl, ysc, NULL);
	heuristic(ph);
	report(ph, ph->one ? "priority" : "prices");

	for (int step = 0; step < MAX_STEPS && ny > 0; step++) {
		int edge = 0;
		double theta, pred;

		if (rel_gap(ph->z, ph->lb) <= ph->target || ewc__now_s() >= ph->deadline)
			break;
		for (size_t k = 0; k < ny; k++) {
			double zc = ph->yc[k] / ph->scale[k];
			glp_set_col_bnds(P, (int)k + 1, GLP_DB, fmax(0.0, zc - delta), zc + delta);
		}
		sm.tm_lim = (int)fmin(2000.0, fmax(1.0, (ph->deadline - ewc__now_s()) * 1000.0));
		if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT) {
			/* an LP that fails from a warm start gets one cold try */
			glp_std_basis(P);
			if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT)
				break;
		}
		theta = glp_get_obj_val(P) * ysc;
		for (size_t k = 0; k < ny; k++) {
			double zc = ph->yc[k] / ph->scale[k], z = glp_get_col_prim(P, (int)k + 1);
			cl->yt[k] = z * ph->scale[k];
			if (fabs(z - zc) >= delta * (1 - 1e-9) && z > 1e-12)
				edge = 1;
		}
		for (size_t g = 0; g < ng; g++)
			t[g] = glp_get_col_prim(P, (int)(ny + g) + 1);
		pred = theta - ph->lb;
		if (pred <= 1e-9 * fmax(1.0, fabs(ph->lb))) {
			if (!edge)
				break; /* the model's maximum, inside the box: L's */
			delta *= 2;
			continue;
		}
		L = eval(ph, cl->yt);
		add_cuts(P, cl, ysc, t);
		if (L >= ph->lb + 0.1 * pred) {
			/* a serious step: the box moves there, and grows when the
			 * step ran into its edge */
			ph->lb = L;
			memcpy(ph->yc, cl->yt, ny * sizeof *cl->yt);
			if (edge)
				delta *= 2;
			if (++since_heur >= 3 || rel_gap(ph->z, ph->lb) <= 4 * ph->target) {
				set_prices(ph, ph->yc);
				heuristic(ph);
				since_heur = 0;
			}
			report(ph, ph->one ? "priority" : "prices");
		} else if ((delta *= 0.7) < 1e-5) {
			break; /* no step left that improves L measurably */
		}
	}
	set_prices(ph, ph->yc);
	if (ewc__now_s() < ph->deadline)
		heuristic(ph);
	report(ph, ph->one ? "priority" : "prices");
	glp_delete_prob(P);
	free(t);
	return 0;
}

/* Climb L for the phase; leaves the best bound in ph->lb (at ph->yc) and
 * the best plan in ph->choice. */
static int ascend(phase *ph, char *err, size_t errlen)
{
	const ewc__mip *m = ph->m;
	climb cl = { ph, NULL, NULL, NULL, NULL };
	long *demand = calloc(m->npools ? m->npools : 1, sizeof *demand);
	double cs = 0, ps = 0;
	size_t nc = 0;
	int rc = EWC_ENOMEM;

	if (!demand)
		goto out;
	ewc__pool_demand(m, demand);
	ph->nk = 0;
	for (size_t p = 0; p < m->npools; p++)
		if (demand[p] > m->pool_cap[p])
			ph->kpool[ph->nk++] = (int)p;
	ph->ny = ph->nk + (ph->prow ? 1 : 0);
	/* sizes: a pool's price is about a job's cost per GPU; the priority
	 * row's, its cost per unit of priority */
	for (size_t o = 0; o < m->nopts; o++) {
		int j = m->opt_job[o];
		double c = fabs(ph->c[o]);
		if (c > 0) {
			cs += c / (double)m->opt_gpus[o];
			ps += c / m->job_priority[j];
			nc++;
		}
	}
	for (size_t k = 0; k < ph->nk; k++)
		ph->scale[k] = nc ? cs / (double)nc : 1.0;
	if (ph->prow)
		ph->scale[ph->nk] = nc ? ps / (double)nc : 1.0;
	for (size_t p = 0; p < m->npools; p++)
		ph->kidx[p] = -1;
	for (size_t k = 0; k < ph->nk; k++)
		ph->kidx[ph->kpool[k]] = (int)k;
	/* groups: jobs that can use the same pools compete alike */
	ph->ngroups = m->njobs < MAX_GROUPS ? (m->njobs ? m->njobs : 1) : MAX_GROUPS;
	for (size_t j = 0; j < m->njobs; j++) {
		unsigned long h = 1469598103934665603UL;
		for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++)
			h = (h ^ (unsigned long)m->opt_pool[o]) * 1099511628211UL;
		ph->group[j] = (int)(h % ph->ngroups);
	}
	ph->gc = malloc(ph->ngroups * sizeof *ph->gc);
	ph->gl = malloc(ph->ngroups * sizeof *ph->gl);
	ph->gp = malloc(ph->ngroups * sizeof *ph->gp);
	ph->gu = malloc((ph->ngroups * ph->nk + 1) * sizeof *ph->gu);
	cl.y = calloc(ph->ny + 1, sizeof *cl.y);
	cl.yt = calloc(ph->ny + 1, sizeof *cl.yt);
	cl.ind = calloc(ph->ny + 2, sizeof *cl.ind);
	cl.val = calloc(ph->ny + 2, sizeof *cl.val);
	if (!ph->gc || !ph->gl || !ph->gp || !ph->gu || !cl.y || !cl.yt || !cl.ind || !cl.val)
		goto out;
	rc = ewc__glpk_run(climb_fn, &cl, err, errlen);
out:
	if (rc == EWC_ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(ph->gc);
	free(ph->gl);
	free(ph->gp);
	free(ph->gu);
	ph->gc = ph->gl = ph->gp = ph->gu = NULL;
	free(demand);
	free(cl.y);
	free(cl.yt);
	free(cl.ind);
	free(cl.val);
	return rc;
}

/* What a polishing MIP works on: the jobs left to decide (jmap[j] >= 0),
 * the options kept for them, the room and cost of the jobs fixed. */
typedef struct subsel {
	unsigned char *keep;  /* [nopts] */
	int *jmap;            /* [njobs] index in the sub-problem, or -1 */
	long *cap;            /* [npools] room left by the fixed jobs */
	double fixed;         /* their cost */
	size_t nj, no;
} subsel;

/* Reduced-cost fixing. For any plan x, sum_j (rc_j(x_j) - min rc_j) <=
 * c(x) - L(lambda), where a job that may stay out has that choice at
 * reduced cost 0. So a choice whose reduced cost exceeds its job's least by
 * more than z - L is in no plan better than the one in hand (value z), and
 * a job left with one choice is fixed. The sub-problem then holds every
 * plan better than z. */
static void select_exact(phase *ph, subsel *ss)
{
	const ewc__mip *m = ph->m;
	double g = ph->z - ph->lb + 1e-9 * fmax(1.0, fabs(ph->z));

	for (size_t j = 0; j < m->njobs; j++) {
		int cur = ph->choice[j], n = 0, out;
		double lo = ph->one ? 0 : HUGE_VAL, lo2;
		ss->jmap[j] = -1;
		if (cur < 0 && !ph->one)
			continue; /* phase 2 keeps phase 1's jobs, and only those */
		priced_min(ph, j, &lo, &lo2);
		for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++) {
			ss->keep[o] = (int)o == cur ||
			              ph->c[o] + (double)m->opt_gpus[o] * ph->price[m->opt_pool[o]] - lo <= g;
			n += ss->keep[o];
		}
		out = ph->one && (cur < 0 || -lo <= g);
		if (n == 0)
			continue;
		if (n == 1 && !out) {
			ss->fixed += m->opt_obj[cur];
			ss->cap[m->opt_pool[cur]] -= m->opt_gpus[cur];
		} else {
			ss->jmap[j] = (int)ss->nj++;
			ss->no += (size_t)n;
		}
	}
}

/* LP-guided fixing, when exact fixing leaves too much: at prices near the
 * dual optimum, a job whose cheapest priced choice beats its next by a wide
 * margin makes that choice in the LP optimum. A job where the plan in hand
 * agrees stays as it is (placed, or in phase 1 also out); the GUIDED_FREE
 * jobs with the narrowest margins, and every job the plan treats otherwise
 * than its prices say, are left to the MIP with all their options. The plan
 * in hand is a plan of that sub-problem, so the MIP starts from it. A
 * heuristic: it improves the plan, not the bound. */
static void select_guided(phase *ph, subsel *ss)
{
	const ewc__mip *m = ph->m;
	size_t n = 0;

	for (size_t j = 0; j < m->njobs; j++) {
		/* in phase 1, staying out is a choice at reduced cost 0 */
		double lo = ph->one ? 0 : HUGE_VAL, lo2;
		int best;
		ss->jmap[j] = -1;
		if ((ph->choice[j] < 0 && !ph->one) || ph->first[j + 1] == ph->first[j])
			continue;
		best = priced_min(ph, j, &lo, &lo2);
		/* disagreeing jobs sort last, with the narrow margins */
		ph->ord[n].key = best == ph->choice[j] ? lo2 - lo : -HUGE_VAL;
		ph->ord[n].gpus = m->job_gpus[j];
		ph->ord[n].job = (int)j;
		n++;
	}
	qsort(ph->ord, n, sizeof *ph->ord, cmp_item);
	for (size_t i = 0; i < n; i++) {
		int j = ph->ord[i].job, cur = ph->choice[j];
		if (i + GUIDED_FREE < n && ph->ord[i].key != -HUGE_VAL) {
			if (cur < 0)
				continue; /* stays out */
			for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++)
				ss->keep[o] = (int)o == cur;
			ss->fixed += m->opt_obj[cur];
			ss->cap[m->opt_pool[cur]] -= m->opt_gpus[cur];
			continue;
		}
		for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++)
			ss->keep[o] = 1;
		ss->jmap[j] = 0;
		ss->no += ph->first[j + 1] - ph->first[j];
	}
	/* number the open jobs in job order: options stay grouped by job */
	for (size_t j = 0; j < m->njobs; j++)
		if (ss->jmap[j] >= 0)
			ss->jmap[j] = (int)ss->nj++;
}

/* The direct model on the sub-problem, started from the plan in hand; its
 * result is kept when it is better (keep_if_better). With `exact` (phase 2,
 * every job placed, exact fixing) its bound plus the fixed cost bounds the
 * whole. */
static int solve_sub(phase *ph, subsel *ss, int exact, double *bound, int *proven, char *err,
                     size_t errlen)
{
	const ewc__mip *m = ph->m;
	size_t nj = ss->nj, no = ss->no;
	int *sjob, *spool, *sstart, *schoice;
	size_t *sorig;
	double *sobj, *sobj2, *sprio;
	long *sgpus, *sogpus;
	ewc__mip sub;
	ewc__mip_result sres;
	int rc = EWC_ENOMEM;

	sjob = malloc(no * sizeof *sjob);
	spool = malloc(no * sizeof *spool);
	sorig = malloc(no * sizeof *sorig);
	sobj = malloc(no * sizeof *sobj);
	sogpus = malloc(no * sizeof *sogpus);
	sobj2 = m->opt_obj2 ? malloc(no * sizeof *sobj2) : NULL;
	sprio = malloc(nj * sizeof *sprio);
	sgpus = malloc(nj * sizeof *sgpus);
	sstart = malloc(nj * sizeof *sstart);
	schoice = malloc(nj * sizeof *schoice);
	if (!sjob || !spool || !sorig || !sobj || (m->opt_obj2 && !sobj2) || !sprio || !sgpus ||
	    !sogpus || !sstart || !schoice)
		goto out;
	no = 0;
	for (size_t j = 0; j < m->njobs; j++) {
		int sj = ss->jmap[j];
		if (sj < 0)
			continue;
		sprio[sj] = m->job_priority[j];
		sgpus[sj] = m->job_gpus[j];
		sstart[sj] = -1;
		for (size_t o = ph->first[j]; o < ph->first[j + 1]; o++) {
			if (!ss->keep[o])
				continue;
			if ((int)o == ph->choice[j])
				sstart[sj] = (int)no;
			sjob[no] = sj;
			spool[no] = m->opt_pool[o];
			sorig[no] = o;
			sobj[no] = m->opt_obj[o];
			sogpus[no] = m->opt_gpus[o];
			if (sobj2)
				sobj2[no] = m->opt_obj2[o];
			no++;
		}
	}
	memset(&sub, 0, sizeof sub);
	sub.njobs = nj;
	sub.nopts = no;
	sub.npools = m->npools;
	sub.opt_job = sjob;
	sub.opt_pool = spool;
	sub.opt_obj = sobj;
	sub.opt_obj2 = sobj2;
	sub.job_priority = sprio;
	sub.job_gpus = sgpus;
	sub.opt_gpus = sogpus;
	sub.pool_cap = ss->cap;
	/* never 0 or less: the direct model reads that as no limit */
	sub.time_limit = fmax(0.01, ph->deadline - ewc__now_s());
	sub.start = sstart;
	sub.quick = 1;
	/* phase 2: the whole plan's gap target, in terms of the part left */
	sub.mip_gap = fmin(0.5, m->mip_gap * (ph->one ? 1.0 : fmax(1.0, fabs(ph->z)) /
	                                                       fmax(1.0, fabs(ph->z - ss->fixed))));
	memset(&sres, 0, sizeof sres);
	sres.choice = schoice;
	rc = ewc__mip_direct(&sub, &sres, err, errlen);
	if (rc)
		goto out;
	*proven = sres.proven;
	/* the whole plan with the sub-problem's part put back */
	for (size_t j = 0; j < m->njobs; j++) {
		int sj = ss->jmap[j];
		ph->trial[j] = sj < 0 ? ph->choice[j] : schoice[sj] < 0 ? -1 : (int)sorig[schoice[sj]];
	}
	keep_if_better(ph);
	if (exact && ss->fixed + sres.bound > *bound)
		*bound = fmin(ss->fixed + sres.bound, ph->z);
	rc = 0;
out:
	free(sjob);
	free(spool);
	free(sorig);
	free(sobj);
	free(sobj2);
	free(sprio);
	free(sgpus);
	free(sogpus);
	free(sstart);
	free(schoice);
	return rc;
}

/* Close the gap left by the climb with small MIPs: exact reduced-cost
 * fixing when it leaves a small enough problem; otherwise LP-guided fixing
 * first, which improves the plan and so makes exact fixing stronger, then
 * exact fixing again. `exact` says whether the phase's L lets the exact
 * sub-problem's bound count for the whole (phase 2 with every job placed).
 * *proven is set when an exact sub-problem was solved to proof. */
static int polish(phase *ph, int exact, double *bound, int *proven, char *err, size_t errlen)
{
	const ewc__mip *m = ph->m;
	subsel ss = { NULL, NULL, NULL, 0, 0, 0 };
	int rc = EWC_ENOMEM, guided_done = 0;

	*proven = 0;
	set_prices(ph, ph->yc);
	ss.keep = calloc(m->nopts ? m->nopts : 1, 1);
	ss.jmap = malloc((m->njobs ? m->njobs : 1) * sizeof *ss.jmap);
	ss.cap = malloc((m->npools ? m->npools : 1) * sizeof *ss.cap);
	if (!ss.keep || !ss.jmap || !ss.cap)
		goto out;
	for (int round = 0; round < 3; round++) {
		int guided = 0;
		if (ph->deadline - ewc__now_s() <= 0.05 || rel_gap(ph->z, *bound) <= m->mip_gap)
			break;
		memcpy(ss.cap, m->pool_cap, m->npools * sizeof *ss.cap);
		ss.fixed = 0;
		ss.nj = ss.no = 0;
		select_exact(ph, &ss);
		if (ss.nj == 0) {
			*proven = 1; /* every job fixed: the plan in hand is optimal */
			break;
		}
		if (ss.no > POLISH_MAX_OPTS) {
			if (guided_done)
				break;
			memcpy(ss.cap, m->pool_cap, m->npools * sizeof *ss.cap);
			ss.fixed = 0;
			ss.nj = ss.no = 0;
			select_guided(ph, &ss);
			guided = guided_done = 1;
		}
		rc = solve_sub(ph, &ss, exact && !guided, bound,
		               guided ? &(int){ 0 } : proven, err, errlen);
		if (rc)
			goto out;
		report(ph, "polish");
		if (!guided)
			break;
	}
	rc = 0;
out:
	if (rc == EWC_ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(ss.keep);
	free(ss.jmap);
	free(ss.cap);
	return rc;
}

int ewc__mip_decompose(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	size_t nj = m->njobs ? m->njobs : 1, np = m->npools ? m->npools : 1;
	double deadline = ewc__now_s() + (m->time_limit > 0 ? m->time_limit : 1e9);
	double pstar, bound = 0, cover_bound = -HUGE_VAL, final;
	int all, proven1 = 1, rc = EWC_ENOMEM;
	phase ph;
	unsigned char *in = NULL;

	memset(&ph, 0, sizeof ph);
	res->objective = res->bound = res->priority = 0;
	res->proven = 1;
	res->phases = 0;
	res->feasible = 1;
	res->infeasible_proven = 0;
	ph.m = m;
	ph.first = ewc__mip_first(m);
	ph.kpool = malloc(np * sizeof *ph.kpool);
	ph.scale = malloc((np + 1) * sizeof *ph.scale);
	ph.price = malloc(np * sizeof *ph.price);
	ph.yc = malloc((np + 1) * sizeof *ph.yc);
	ph.left = malloc(np * sizeof *ph.left);
	ph.group = malloc(nj * sizeof *ph.group);
	ph.kidx = malloc(np * sizeof *ph.kidx);
	ph.choice = res->choice;
	ph.trial = malloc(nj * sizeof *ph.trial);
	ph.ord = malloc(nj * sizeof *ph.ord);
	in = calloc(nj, 1);
	if (!ph.first || !ph.kpool || !ph.scale || !ph.price || !ph.yc ||
	    !ph.left || !ph.group || !ph.kidx || !ph.trial || !ph.ord || !in)
		goto out;
	ph.deadline = deadline;
	ph.target = m->mip_gap;

	/* Phase 1: the most priority (prio.c), in at most half the time: the
	 * objective phase must get its turn. */
	rc = ewc__phase1_search(m, ph.first, ewc__now_s() + (deadline - ewc__now_s()) / 2, res, &all,
	                 &proven1, err, errlen);
	if (rc)
		goto out;
	rc = EWC_ENOMEM;
	pstar = res->priority;
	/* the priority phase 2 keeps, tier by tier */
	ph.tier = malloc(nj * sizeof *ph.tier);
	ph.unit = malloc(nj * sizeof *ph.unit);
	ph.ptarget = malloc(nj * sizeof *ph.ptarget);
	ph.tsum = malloc(nj * sizeof *ph.tsum);
	if (!ph.tier || !ph.unit || !ph.ptarget || !ph.tsum ||
	    (ph.nt = ewc__tiers(m, ph.first, ph.tier, ph.unit)) < 0)
		goto out;
	ewc__tier_sums(m, ph.tier, ph.unit, ph.nt, res->choice, ph.ptarget);
	if (m->nopts <= POLISH_MAX_OPTS) {
		/* Small enough for the direct model whole: phase 2 over every job,
		 * at phase 1's priority, free to swap any job for another. */
		ewc__mip d = *m;
		double pb = res->priority_bound;
		int *start = malloc(nj * sizeof *start);
		if (!start)
			goto out;
		memcpy(start, res->choice, m->njobs * sizeof *start);
		d.start = start;
		d.keep_priority = 1;
		/* the start, with the bound that needs no solver (costs are >= 0) */
		if (m->progress)
			m->progress(m->progress_user, "polish", ewc__mip_sum(m, start, m->opt_obj, 0),
			            0.0);
		d.time_limit = fmax(0.01, deadline - ewc__now_s());
		rc = ewc__mip_direct(&d, res, err, errlen);
		free(start);
		if (rc)
			goto out;
		res->priority_bound = pb;
		res->proven = res->proven && proven1;
		res->phases++;
		if (m->progress)
			m->progress(m->progress_user, "polish", res->objective, res->bound);
		goto out;
	}
	res->priority = pstar;
	/* the last twentieth of the time for the final local search */
	final = deadline;
	if (!all)
		deadline -= (deadline - ewc__now_s()) / 20;
	ph.deadline = deadline;
	if (!all) {
		/* a quarter of the time left for the knapsack bound, and its plan:
		 * the jobs it keeps in are chosen for their cost, phase 1's not;
		 * then at most half of the rest for the neighbourhoods of lns.c,
		 * and 60 % of what is left then for phase 2 on its LP's support */
		double until = ewc__now_s() + (deadline - ewc__now_s()) / 4;
		if (ewc__cover(m, ph.first, ph.choice, until, &cover_bound) != 0 ||
		    ewc__lns(m, ph.first, ph.choice, ewc__now_s() + (deadline - ewc__now_s()) / 2) != 0 ||
		    (m->nopts <= SUPPORT_MAX_OPTS &&
		     ewc__support_mip(m, 0, ph.choice, ewc__now_s() + (deadline - ewc__now_s()) * 0.6) != 0))
			goto out;
	}

	/* Phase 2: the least objective at that priority. */
	for (size_t j = 0; j < m->njobs; j++)
		in[j] = ph.choice[j] >= 0;
	ph.c = m->opt_obj;
	ph.one = 0;
	ph.pmin = pstar;
	ph.in = in;
	ph.target = m->mip_gap;
	room_of(&ph, ph.choice);
	improve(&ph, ph.choice);
	ph.z = value(&ph, ph.choice);
	if (!all) {
		/* The bound: over every job, with a priced row "priority placed
		 * >= pstar", so that it holds among all plans that place as much
		 * priority. That row's LP is loose (it can be met with fractions
		 * of jobs), so its prices are poor guides: the plan comes from a
		 * second climb over the jobs phase 1 placed, and only those. */
		ph.prow = 1;
		/* a third of the time left: the plan's climb needs the rest */
		ph.deadline = ewc__now_s() + (deadline - ewc__now_s()) / 3;
		rc = ascend(&ph, err, errlen);
		if (rc)
			goto out;
		res->phases++;
		bound = ph.lb;
		ph.prow = 0;
		ph.only_in = 1;
		ph.deadline = deadline;
	}
	/* nothing starts past the deadline: even a climb's first pass over
	 * the options takes seconds at national scale */
	if (ewc__now_s() < deadline) {
		rc = ascend(&ph, err, errlen);
		if (rc)
			goto out;
		res->phases++;
	}
	{
		/* with every job placed the climb's bound is the answer's;
		 * otherwise it bounds the plans over phase 1's jobs only, which
		 * still serves the polish's fixing */
		double b = ph.lb;
		if (rel_gap(ph.z, b) > m->mip_gap && ewc__now_s() < deadline) {
			int unused;
			rc = polish(&ph, 1, &b, &unused, err, errlen);
			if (rc)
				goto out;
			res->phases++;
		}
		if (all)
			bound = b;
	}
	if (m->write_lp) {
		rc = ewc__mip_write(m, all, res->choice, err, errlen);
		if (rc)
			goto out;
	}
	if (!all) {
		if (ewc__improve(m, ph.first, ph.choice, fmax(final, ewc__now_s() + 0.05)) != 0)
			goto out;
		ph.z = value(&ph, ph.choice);
	}
	res->objective = ph.z;
	res->bound = fmin(fmax(bound, cover_bound), ph.z);
	res->proven = proven1 && rel_gap(res->objective, res->bound) <= m->mip_gap;
	rc = 0;
out:
	if (rc == EWC_ENOMEM)
		snprintf(err, errlen, "out of memory");
	free((void *)ph.first);
	free(ph.kpool);
	free(ph.scale);
	free(ph.price);
	free(ph.yc);
	free(ph.left);
	free(ph.group);
	free(ph.kidx);
	free(ph.trial);
	free(ph.ord);
	free(ph.tier);
	free(ph.unit);
	free(ph.ptarget);
	free(ph.tsum);
	free(in);
	return rc;
}
