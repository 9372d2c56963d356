/* time.c - plans over a horizon: the time-indexed model on GLPK */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ewc.h"
#include "solver.h"
#include "glp_int.h"

/* An option of the time-indexed model is a (pool, start slot) for its job:
 * it holds its GPUs on the pool in every slot it runs. The model is the
 * direct one of mip.c with a capacity row per pool and slot in place of
 * one per pool; only rows that could overflow are built (the GPUs of all
 * options covering the slot above its capacity). */

typedef struct tw {
	const ewc__mip *m;
	ewc__mip_result *res;
	size_t *first;      /* [njobs + 1] */
	int *tier;          /* [njobs] ewc__tiers() */
	double *unit;       /* [njobs] */
	double *pmax_t;     /* [njobs] each tier's priority of jobs with an option */
	int nt;
	int all;            /* the start places every job with an option */
	double *x;          /* [nopts + 1] */
	int *ind;           /* [nopts + 1] */
	double *val;        /* [nopts + 1] */
	int *job_row;       /* [njobs] 0: no option */
	int *side_row;      /* [nside] */
	int *cell_row;      /* [npools * nslots] 0: cannot overflow */
	double deadline;
} tw;

static long *cell(const ewc__mip *m, long *v, size_t o)
{
	return v + (size_t)m->opt_pool[o] * m->nslots + (size_t)m->opt_start[o];
}

static int fits(const ewc__mip *m, long *left, size_t o)
{
	const long *l = cell(m, left, o);
	for (int s = 0; s < m->opt_len[o]; s++)
		if (l[s] < m->opt_gpus[o])
			return 0;
	return 1;
}

static void hold(const ewc__mip *m, long *left, size_t o, long sign)
{
	long *l = cell(m, left, o);
	for (int s = 0; s < m->opt_len[o]; s++)
		l[s] -= sign * m->opt_gpus[o];
}

/* Whether choice fits every pool in every slot. */
static int plan_fits(const ewc__mip *m, const int *choice, long *left)
{
	size_t ncells = m->npools * m->nslots;
	int ok = 1;

	memcpy(left, m->slot_cap, ncells * sizeof *left);
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			hold(m, left, (size_t)choice[j], 1);
	for (size_t c = 0; c < ncells && ok; c++)
		ok = left[c] >= 0;
	return ok;
}

typedef struct item {
	double priority, key;
	int job;
} item;

static int cmp_item(const void *a, const void *b)
{
	const item *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->job - y->job;
}

/* Greedy starts: by priority, then largest GPU-hours first, or fewest
 * options first; each job on its cheapest option that fits every slot it
 * runs. The start given in m->start instead when it places more priority,
 * or as much for less. Feasible by construction (side rows aside). */
static int greedy(const ewc__mip *m, const size_t *first, int *choice)
{
	size_t ncells = m->npools * m->nslots;
	item *ord = malloc((m->njobs ? m->njobs : 1) * sizeof *ord);
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	int *trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial);
	double best_p = -1, best_obj = 0;

	if (!ord || !left || !trial) {
		free(ord);
		free(left);
		free(trial);
		return -1;
	}
	for (int variant = 0; variant < 2; variant++) {
		for (size_t j = 0; j < m->njobs; j++) {
			size_t n = first[j + 1] - first[j];
			ord[j].priority = m->job_priority[j];
			ord[j].job = (int)j;
			ord[j].key = variant == 0 && n
			             ? (double)m->opt_gpus[first[j]] * m->opt_len[first[j]]
			             : -(double)n;
		}
		qsort(ord, m->njobs, sizeof *ord, cmp_item);
		memcpy(left, m->slot_cap, ncells * sizeof *left);
		for (size_t k = 0; k < m->njobs; k++) {
			int j = ord[k].job, best = -1;
			trial[j] = -1;
			for (size_t o = first[j]; o < first[j + 1]; o++)
				if ((best < 0 || m->opt_obj[o] < m->opt_obj[best]) && fits(m, left, o))
					best = (int)o;
			if (best >= 0) {
				trial[j] = best;
				hold(m, left, (size_t)best, 1);
			}
		}
		double p = ewc__mip_sum(m, trial, NULL, 1), obj = ewc__mip_sum(m, trial, m->opt_obj, 0);
		if (p > best_p + 1e-9 * fmax(1.0, p) || (fabs(p - best_p) <= 1e-9 * fmax(1.0, p) &&
		                                         obj < best_obj)) {
			best_p = p;
			best_obj = obj;
			memcpy(choice, trial, m->njobs * sizeof *choice);
		}
	}
	if (m->start && plan_fits(m, m->start, left)) {
		double p = ewc__mip_sum(m, m->start, NULL, 1);
		double obj = ewc__mip_sum(m, m->start, m->opt_obj, 0);
		if (p > best_p + 1e-9 * fmax(1.0, p) || (p >= best_p - 1e-9 * fmax(1.0, p) &&
		                                         obj < best_obj))
			memcpy(choice, m->start, m->njobs * sizeof *choice);
	}
	free(ord);
	free(left);
	free(trial);
	return 0;
}

/* Whether choice meets the side rows that hold in phase 1. */
static int phase1_sides_hold(const ewc__mip *m, const int *choice)
{
	for (size_t k = 0; k < m->nside; k++)
		if (m->side[k].in_phase1 && !ewc__side_holds(m, &m->side[k], choice))
			return 0;
	return 1;
}

static void free_bounds(glp_prob *P, int r)
{
	glp_set_row_bnds(P, r, GLP_FR, 0.0, 0.0);
}

/* The model: a binary per option, a row per job, a capacity row per pool
 * and slot that could overflow, the side rows (bounds set per phase). */
static int build(tw *w, glp_prob *P)
{
	const ewc__mip *m = w->m;
	size_t ncells = m->npools * m->nslots, nrows = 0;
	long *demand = calloc(ncells ? ncells : 1, sizeof *demand);
	size_t *start = NULL, *fill = NULL;
	int *col = NULL;

	if (!demand)
		return -1;
	glp_set_prob_name(P, "ewc_time");
	if (m->nopts)
		glp_add_cols(P, (int)m->nopts);
	for (size_t o = 0; o < m->nopts; o++)
		glp_set_col_kind(P, (int)o + 1, GLP_BV);
	for (size_t j = 0; j < m->njobs; j++) {
		int len = 0;
		w->job_row[j] = 0;
		if (w->first[j + 1] == w->first[j])
			continue;
		for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
			w->ind[++len] = (int)o + 1;
			w->val[len] = 1.0;
		}
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, 1.0);
		w->job_row[j] = r;
	}
	/* the cells that can overflow, and their options by counting sort */
	for (size_t o = 0; o < m->nopts; o++) {
		long *d = cell(m, demand, o);
		for (int s = 0; s < m->opt_len[o]; s++)
			d[s] += m->opt_gpus[o];
	}
	for (size_t c = 0; c < ncells; c++) {
		w->cell_row[c] = 0;
		if (demand[c] > m->slot_cap[c])
			w->cell_row[c] = (int)++nrows;
	}
	free(demand);
	start = calloc(nrows + 2, sizeof *start);
	if (!start)
		return -1;
	for (size_t o = 0; o < m->nopts; o++) {
		size_t c0 = (size_t)m->opt_pool[o] * m->nslots + (size_t)m->opt_start[o];
		for (int s = 0; s < m->opt_len[o]; s++)
			if (w->cell_row[c0 + (size_t)s])
				start[w->cell_row[c0 + (size_t)s] + 1]++;
	}
	for (size_t r = 1; r <= nrows; r++)
		start[r + 1] += start[r];
	fill = malloc((nrows + 2) * sizeof *fill);
	col = malloc((start[nrows + 1] ? start[nrows + 1] : 1) * sizeof *col);
	if (!fill || !col) {
		free(start);
		free(fill);
		free(col);
		return -1;
	}
	memcpy(fill, start, (nrows + 2) * sizeof *fill);
	for (size_t o = 0; o < m->nopts; o++) {
		size_t c0 = (size_t)m->opt_pool[o] * m->nslots + (size_t)m->opt_start[o];
		for (int s = 0; s < m->opt_len[o]; s++) {
			int r = w->cell_row[c0 + (size_t)s];
			if (r)
				col[fill[r]++] = (int)o;
		}
	}
	if (nrows) {
		int r0 = glp_add_rows(P, (int)nrows);
		for (size_t c = 0; c < ncells; c++) {
			int r = w->cell_row[c], len = 0;
			if (!r)
				continue;
			for (size_t k = start[r]; k < start[r + 1]; k++) {
				w->ind[++len] = col[k] + 1;
				w->val[len] = (double)m->opt_gpus[col[k]];
			}
			glp_set_mat_row(P, r0 + r - 1, len, w->ind, w->val);
			glp_set_row_bnds(P, r0 + r - 1, GLP_UP, 0.0, (double)m->slot_cap[c]);
			w->cell_row[c] = r0 + r - 1; /* from here on: GLPK's row */
		}
	}
	free(start);
	free(fill);
	free(col);
	for (size_t k = 0; k < m->nside; k++) {
		int r = glp_add_rows(P, 1), len = 0;
		for (size_t o = 0; o < m->nopts; o++)
			if (m->side[k].coef[o] != 0) {
				w->ind[++len] = (int)o + 1;
				w->val[len] = m->side[k].coef[o];
			}
		glp_set_mat_row(P, r, len, w->ind, w->val);
		free_bounds(P, r);
		w->side_row[k] = r;
	}
	return 0;
}

static void set_names(tw *w, glp_prob *P)
{
	const ewc__mip *m = w->m;
	char buf[256];

	if (!m->name)
		return;
	for (size_t o = 0; o < m->nopts; o++) {
		m->name(m->name_user, 'x', o, buf, sizeof buf);
		glp_set_col_name(P, (int)o + 1, buf);
	}
	for (size_t j = 0; j < m->njobs; j++)
		if (w->job_row[j]) {
			m->name(m->name_user, 'j', j, buf, sizeof buf);
			glp_set_row_name(P, w->job_row[j], buf);
		}
	for (size_t c = 0; c < m->npools * m->nslots; c++)
		if (w->cell_row[c]) {
			m->name(m->name_user, 'c', c, buf, sizeof buf);
			glp_set_row_name(P, w->cell_row[c], buf);
		}
	for (size_t k = 0; k < m->nside; k++) {
		snprintf(buf, sizeof buf, "side%zu", k + 1);
		glp_set_row_name(P, w->side_row[k], buf);
	}
}

/* A tier's bound from GLPK's, in the tier's units: with whole multiples
 * of the unit, the whole number at or below it. */
static double tier_bound(const tw *w, int t, double b)
{
	const ewc__mip *m = w->m;
	int whole = 1;

	for (size_t j = 0; j < m->njobs && whole; j++)
		if (w->tier[j] == t) {
			double q = m->job_priority[j] / w->unit[t];
			whole = fabs(q - floor(q + 0.5)) < 1e-9;
		}
	if (whole)
		b = floor(b + 1e-6 * fmax(1.0, fabs(b)));
	return b * w->unit[t];
}

static double tier_sum(const tw *w, const int *choice, int t)
{
	double v = 0;
	for (size_t j = 0; j < w->m->njobs; j++)
		if (choice[j] >= 0 && w->tier[j] == t)
			v += w->m->job_priority[j];
	return v;
}

/* Phase 1, tier by tier, highest first: the most priority of the tier
 * with every higher tier held at what it found. The bound on the total:
 * the proven tiers' priorities, the first unproven tier's bound, and all
 * of every tier below it. Returns 1 when every tier was proven. */
static int phase1(tw *w, glp_prob *P, double until)
{
	const ewc__mip *m = w->m;
	ewc__mip_result *res = w->res;
	double total = 0;
	int unproven = 0;

	for (size_t k = 0; k < m->nside; k++)
		if (m->side[k].in_phase1)
			ewc__side_bounds(P, w->side_row[k], &m->side[k]);
		else
			free_bounds(P, w->side_row[k]);
	glp_set_obj_dir(P, GLP_MAX);
	for (int t = 0; t < w->nt; t++) {
		double v, b = HUGE_VAL, bt;
		int proven = 0, n = 0;
		if (!w->all && ewc__now_s() < until) {
			for (size_t o = 0; o < m->nopts; o++) {
				int j = m->opt_job[o];
				glp_set_obj_coef(P, (int)o + 1,
				                 w->tier[j] == t ? m->job_priority[j] / w->unit[t] : 0.0);
			}
			double left = until - ewc__now_s();
			proven = ewc__run_phase(m, P, 0, ewc__now_s() + left / (w->nt - t), res->choice,
			                        w->x, &b, phase1_sides_hold(m, res->choice), NULL);
			res->phases++;
		}
		v = tier_sum(w, res->choice, t);
		if (w->all || (proven && v >= w->pmax_t[t] - 1e-9 * fmax(1.0, v)))
			proven = 1, bt = v; /* every job of the tier placed */
		else
			bt = proven ? v : fmin(w->pmax_t[t], fmax(v, tier_bound(w, t, b)));
		if (!unproven) {
			total += bt;
			if (!proven) {
				unproven = 1;
				for (int u = t + 1; u < w->nt; u++)
					total += w->pmax_t[u];
			}
		}
		/* the tier keeps what it found from here on */
		for (size_t o = 0; o < m->nopts; o++)
			if (w->tier[m->opt_job[o]] == t) {
				w->ind[++n] = (int)o + 1;
				w->val[n] = m->job_priority[m->opt_job[o]] / w->unit[t];
			}
		if (n) {
			int r = glp_add_rows(P, 1);
			char name[32];
			glp_set_mat_row(P, r, n, w->ind, w->val);
			glp_set_row_bnds(P, r, GLP_LO, v / w->unit[t] - 1e-6, 0.0);
			if (w->nt == 1)
				snprintf(name, sizeof name, "priority");
			else
				snprintf(name, sizeof name, "priority_tier%d", t + 1);
			glp_set_row_name(P, r, name);
		}
	}
	res->priority = ewc__mip_sum(m, res->choice, NULL, 1);
	res->priority_bound = fmax(res->priority, total);
	return !unproven;
}

static int solve_fn(void *arg, char *err, size_t errlen)
{
	tw *w = arg;
	const ewc__mip *m = w->m;
	ewc__mip_result *res = w->res;
	glp_prob *P = glp_create_prob();
	double started = ewc__now_s(), bound = 0, b2;
	int proven1, proven2, nofeas = 0, rc = 0;

	if (build(w, P) != 0) {
		glp_delete_prob(P);
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	proven1 = phase1(w, P, started + (w->deadline - started) / 2);
	if (!w->all) {
		int all = 1;
		for (size_t j = 0; j < m->njobs && all; j++)
			all = w->tier[j] < 0 || res->choice[j] >= 0;
		w->all = all;
	}
	/* Phase 2: the least objective with each tier kept. */
	glp_set_obj_dir(P, GLP_MIN);
	for (size_t o = 0; o < m->nopts; o++)
		glp_set_obj_coef(P, (int)o + 1, m->opt_obj[o]);
	for (size_t k = 0; k < m->nside; k++)
		ewc__side_bounds(P, w->side_row[k], &m->side[k]);
	if (w->all) {
		/* every job with an option placed: each pays at least its
		 * cheapest option */
		for (size_t j = 0; j < m->njobs; j++) {
			double lo = DBL_MAX;
			if (!w->job_row[j])
				continue;
			glp_set_row_bnds(P, w->job_row[j], GLP_FX, 1.0, 1.0);
			for (size_t o = w->first[j]; o < w->first[j + 1]; o++)
				lo = fmin(lo, m->opt_obj[o]);
			bound += lo;
		}
	}
	if (m->write_lp) {
		set_names(w, P);
		glp_set_obj_name(P, "objective");
		rc = ewc__write_lp(m, P, err, errlen);
		if (rc) {
			glp_delete_prob(P);
			return rc;
		}
	}
	proven2 = 1;
	if (m->nopts) {
		proven2 = ewc__run_phase(m, P, 1, w->deadline, res->choice, w->x, &b2,
		                         ewc__sides_hold(m, res->choice), &nofeas);
		res->phases++;
		bound = fmax(bound, b2);
	}
	res->feasible = ewc__sides_hold(m, res->choice);
	res->infeasible_proven = res->feasible ? 0 : nofeas;
	res->objective = ewc__mip_sum(m, res->choice, m->opt_obj, 0);
	res->bound = fmin(bound, res->objective);
	res->proven = res->feasible && proven1 && proven2;
	/* Phase 3: the tie-break among plans within a hair of that objective,
	 * in no more time than the phases before took (at least a second). */
	if (res->feasible && m->opt_obj2 && m->nopts) {
		double b3, lim = res->objective + 1e-9 * fmax(1.0, fabs(res->objective));
		double t = ewc__now_s(), until = fmin(w->deadline, t + fmax(1.0, t - started));
		int r = glp_add_rows(P, 1);
		for (size_t o = 0; o < m->nopts; o++) {
			w->ind[o + 1] = (int)o + 1;
			w->val[o + 1] = m->opt_obj[o];
			glp_set_obj_coef(P, (int)o + 1, m->opt_obj2[o]);
		}
		glp_set_mat_row(P, r, (int)m->nopts, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, lim);
		ewc__run_phase(m, P, 1, until, res->choice, w->x, &b3, 1, NULL);
		res->phases++;
		res->objective = ewc__mip_sum(m, res->choice, m->opt_obj, 0);
		res->bound = fmin(res->bound, res->objective);
	}
	glp_delete_prob(P);
	return 0;
}

int ewc__mip_time(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	size_t nj = m->njobs ? m->njobs : 1, no = m->nopts + 1;
	size_t ncells = m->npools * m->nslots;
	tw w = { 0 };
	int rc = 0;

	w.m = m;
	w.res = res;
	w.deadline = ewc__now_s() + (m->time_limit > 0 ? m->time_limit : 1e9);
	res->objective = res->bound = res->priority = res->priority_bound = 0;
	res->proven = 1;
	res->phases = 0;
	res->feasible = 1;
	res->infeasible_proven = 0;
	w.first = ewc__mip_first(m);
	w.tier = malloc(nj * sizeof *w.tier);
	w.unit = malloc(nj * sizeof *w.unit);
	w.pmax_t = calloc(nj, sizeof *w.pmax_t);
	w.x = malloc(no * sizeof *w.x);
	w.ind = malloc(no * sizeof *w.ind);
	w.val = malloc(no * sizeof *w.val);
	w.job_row = malloc(nj * sizeof *w.job_row);
	w.side_row = malloc((m->nside ? m->nside : 1) * sizeof *w.side_row);
	w.cell_row = malloc((ncells ? ncells : 1) * sizeof *w.cell_row);
	if (!w.first || !w.tier || !w.unit || !w.pmax_t || !w.x || !w.ind || !w.val ||
	    !w.job_row || !w.side_row || !w.cell_row || greedy(m, w.first, res->choice) != 0 ||
	    (w.nt = ewc__tiers(m, w.first, w.tier, w.unit)) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = EWC_ENOMEM;
		goto out;
	}
	/* with side rows of phase 1 to meet, the greedy plan proves nothing */
	w.all = phase1_sides_hold(m, res->choice);
	for (size_t j = 0; j < m->njobs; j++)
		if (w.tier[j] >= 0) {
			w.pmax_t[w.tier[j]] += m->job_priority[j];
			if (res->choice[j] < 0)
				w.all = 0;
		}
	rc = ewc__glpk_run(solve_fn, &w, err, errlen);
out:
	free(w.first);
	free(w.tier);
	free(w.unit);
	free(w.pmax_t);
	free(w.x);
	free(w.ind);
	free(w.val);
	free(w.job_row);
	free(w.side_row);
	free(w.cell_row);
	return rc;
}
