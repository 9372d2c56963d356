/* time.c - plans over a horizon: the time-indexed model on GLPK */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
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
	int side_phase;     /* the side rows plans must meet: 1 those of phase 1, 2 all */
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
	double best_p = -1, best_obj = 0, ptol = ewc__prio_tol(m);

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
		if (p > best_p + ptol || (fabs(p - best_p) <= ptol &&
		                                         obj < best_obj)) {
			best_p = p;
			best_obj = obj;
			memcpy(choice, trial, m->njobs * sizeof *choice);
		}
	}
	if (m->start && plan_fits(m, m->start, left)) {
		double p = ewc__mip_sum(m, m->start, NULL, 1);
		double obj = ewc__mip_sum(m, m->start, m->opt_obj, 0);
		if (p > best_p + ptol || (p >= best_p - ptol &&
		                                         obj < best_obj))
			memcpy(choice, m->start, m->njobs * sizeof *choice);
	}
	free(ord);
	free(left);
	free(trial);
	return 0;
}

/* Each placed job in turn to its cheapest option (by cost) that fits with
 * the others where they are, then each unplaced job in where it fits;
 * passes until nothing changes or the deadline. Priority only grows, the
 * cost only falls for the same jobs. 0, or -1 when out of memory. */
static int time_improve(const ewc__mip *m, const size_t *first, const double *cost,
                        int *choice, double deadline)
{
	size_t ncells = m->npools * m->nslots;
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	int changed = 1;

	if (!left)
		return -1;
	plan_fits(m, choice, left);
	for (int pass = 0; changed && pass < 50 && ewc__now_s() < deadline; pass++) {
		changed = 0;
		for (size_t j = 0; j < m->njobs; j++) {
			int o = choice[j], best = -1;
			if ((j & 63) == 0 && ewc__now_s() >= deadline)
				break;
			if (o >= 0)
				hold(m, left, (size_t)o, -1);
			for (size_t k = first[j]; k < first[j + 1]; k++)
				if ((best < 0 || cost[k] < cost[best]) && fits(m, left, k))
					best = (int)k;
			if (o >= 0 && best >= 0 && cost[best] >= cost[o] - 1e-9 * fmax(1.0, fabs(cost[o])))
				best = o;
			if (best >= 0) {
				hold(m, left, (size_t)best, 1);
				changed |= best != o;
				choice[j] = best;
			} else if (o >= 0) {
				hold(m, left, (size_t)o, 1); /* cannot happen: its own option fits */
			}
		}
	}
	free(left);
	return 0;
}

/* An unplaced job in for a placed one: placed jobs by falling cost, each
 * taken out in turn while the unplaced job looks for its cheapest option
 * that fits; kept when that gains priority (in the same tier or a higher
 * one) or costs less for as much. 0, or -1 when out of memory. */
static int time_swap(const ewc__mip *m, const size_t *first, const int *tier,
                     const double *cost, int *choice, double deadline)
{
	size_t ncells = m->npools * m->nslots, np = 0;
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	item *placed = malloc((m->njobs ? m->njobs : 1) * sizeof *placed);
	unsigned char *uses = malloc(m->npools ? m->npools : 1);

	if (!left || !placed || !uses) {
		free(left);
		free(placed);
		free(uses);
		return -1;
	}
	plan_fits(m, choice, left);
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			placed[np++] = (item){ 0, cost[choice[j]], (int)j };
	qsort(placed, np, sizeof *placed, cmp_item);
	for (size_t u = 0; u < m->njobs && ewc__now_s() < deadline; u++) {
		double lo = HUGE_VAL;
		if (choice[u] >= 0 || first[u + 1] == first[u])
			continue;
		memset(uses, 0, m->npools);
		for (size_t o = first[u]; o < first[u + 1]; o++) {
			uses[m->opt_pool[o]] = 1;
			lo = fmin(lo, cost[o]);
		}
		for (size_t k = 0; k < np; k++) {
			int pj = placed[k].job, po = choice[pj], best = -1;
			double gain = m->job_priority[u] - m->job_priority[pj];
			if (po < 0 || !uses[m->opt_pool[po]] || tier[u] > tier[pj] ||
			    (tier[u] == tier[pj] && gain < 0))
				continue;
			if (gain <= 0 && cost[po] <= lo)
				break; /* the rest cost less still */
			if ((k & 15) == 0 && ewc__now_s() >= deadline)
				break;
			hold(m, left, (size_t)po, -1);
			for (size_t o = first[u]; o < first[u + 1]; o++)
				if ((best < 0 || cost[o] < cost[best]) && fits(m, left, o))
					best = (int)o;
			if (best >= 0 && (gain > 0 || cost[best] < cost[po] - 1e-9 * fmax(1.0, cost[po]))) {
				hold(m, left, (size_t)best, 1);
				choice[pj] = -1;
				choice[u] = best;
				placed[k] = (item){ 0, cost[best], (int)u };
				break;
			}
			hold(m, left, (size_t)po, 1);
		}
	}
	free(left);
	free(placed);
	free(uses);
	return 0;
}

/* How far the side row values v[] (sum of coef over the plan) lie outside
 * their bounds, each relative to its scale sc[]. */
static double side_viol(const ewc__mip *m, const double *v, const double *sc)
{
	double V = 0;
	for (size_t q = 0; q < m->nside; q++) {
		const ewc__side *sd = &m->side[q];
		double tol = 1e-9 * sc[q];
		if (v[q] < sd->lo - tol)
			V += (sd->lo - v[q]) / sc[q];
		else if (v[q] > sd->hi + tol)
			V += (v[q] - sd->hi) / sc[q];
	}
	return V;
}

/* Moves the placed jobs of choice between their options, no job in or out
 * (so every tier keeps its priority), until the plan meets every side row:
 * passes over the jobs, each to the option of least cost plus mu times the
 * violation it leaves, mu doubling while a pass leaves the rows unmet;
 * then, the rows met, passes that only take moves which keep them met and
 * cost less. Capacity holds throughout. 0, or -1 when out of memory. */
static int side_repair(const tw *w, const double *cost, int *choice, double deadline)
{
	const ewc__mip *m = w->m;
	size_t ncells = m->npools * m->nslots, nq = m->nside;
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	double *v = calloc(nq ? nq : 1, sizeof *v), *sc = calloc(nq ? nq : 1, sizeof *sc);
	double *nv = calloc(nq ? nq : 1, sizeof *nv), total = 0, mu, V;

	if (!left || !v || !sc || !nv) {
		free(left);
		free(v);
		free(sc);
		free(nv);
		return -1;
	}
	plan_fits(m, choice, left);
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0) {
			total += fabs(cost[choice[j]]);
			for (size_t q = 0; q < nq; q++) {
				v[q] += m->side[q].coef[choice[j]];
				sc[q] += fabs(m->side[q].coef[choice[j]]);
			}
		}
	for (size_t q = 0; q < nq; q++)
		sc[q] = fmax(sc[q], 1e-9);
	V = side_viol(m, v, sc);
	mu = fmax(1.0, 0.01 * total);
	for (int pass = 0; pass < 200 && ewc__now_s() < deadline; pass++) {
		int changed = 0, met = V <= 0;
		for (size_t j = 0; j < m->njobs; j++) {
			int o = choice[j], best = o;
			double bs = 0, bV = V;
			if (o < 0)
				continue;
			if ((j & 63) == 0 && ewc__now_s() >= deadline)
				break;
			hold(m, left, (size_t)o, -1);
			for (size_t k = w->first[j]; k < w->first[j + 1]; k++) {
				double dc = cost[k] - cost[o], nV, score;
				if ((int)k == o || (met && dc >= -1e-9 * fmax(1.0, fabs(cost[o]))))
					continue;
				for (size_t q = 0; q < nq; q++)
					nv[q] = v[q] - m->side[q].coef[o] + m->side[q].coef[k];
				nV = side_viol(m, nv, sc);
				if (met && nV > 0)
					continue;
				score = dc + (met ? 0 : mu * (nV - V));
				if (score < bs - 1e-9 * fmax(1.0, fabs(cost[o])) && fits(m, left, k)) {
					bs = score;
					best = (int)k;
					bV = nV;
				}
			}
			hold(m, left, (size_t)best, 1);
			if (best != o) {
				for (size_t q = 0; q < nq; q++)
					v[q] += m->side[q].coef[best] - m->side[q].coef[o];
				choice[j] = best;
				V = bV;
				changed = 1;
			}
		}
		if (V > 0)
			mu *= 2;
		else if (met && !changed)
			break;
	}
	free(left);
	free(v);
	free(sc);
	free(nv);
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

/* Whether choice meets the side rows in force (w->side_phase). */
static int sides_ok(const tw *w, const int *choice)
{
	if (w->side_phase == 1)
		return phase1_sides_hold(w->m, choice);
	return w->side_phase == 2 ? ewc__sides_hold(w->m, choice) : 1;
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

/* The start for branch-and-cut over the master's columns. */
typedef struct cbdata_t {
	const double *x;
	int done;
} cbdata_t;

static void cg_callback(glp_tree *T, void *info)
{
	cbdata_t *c = info;

	if (glp_ios_reason(T) == GLP_IHEUR && !c->done) {
		c->done = 1;
		glp_ios_heur_sol(T, c->x);
	}
}

/* --- at scale: column generation ------------------------------------------
 *
 * A week of hourly starts gives each job hundreds of options: the direct
 * model's LP alone outlasts any time limit from a few hundred jobs on. The
 * LP is solved instead over a restricted set of columns (the plan in hand
 * and each job's cheapest option to begin with), priced against the whole
 * option set each round: an option's reduced cost is its objective less
 * its GPUs times the capacity rows' duals over the slots it runs (prefix
 * sums per pool: O(1) an option) and less its tier row's. Every round
 * gives a Lagrangian bound that holds whether or not the pricing has
 * converged: the capacity and tier rows' right-hand sides times their
 * duals (signs clamped), plus each job's least reduced cost (at most 0
 * where the job may stay out). The plans come from the columns generated:
 * an LP-guided greedy, then GLPK's branch-and-cut on them from the best
 * plan in hand. */

/* The direct model up to this many options; column generation above. */
#define TIME_DIRECT_MAX 6000

typedef struct cg {
	glp_prob *P;
	int *col_of;        /* [nopts] the column, 0 when not generated */
	int *opt_of;        /* [cap + 1] the option of column k */
	size_t ncols, cap;
	int *tier_row;      /* [nt] the tier's row, 0 while none */
	double *tier_rhs;   /* [nt] */
	double *pre;        /* [npools * (nslots + 1)] prefix sums of the cell duals */
	double *ydual;      /* [nt] */
	const double *cost; /* [nopts] the phase's objective per option */
	int fixed;          /* job rows are = 1 */
	int *side_row;      /* [nside] */
	double *sdual;      /* [nside] */
} cg;

/* The phase's objective of option o. */
static double cg_cost(const tw *w, const cg *g, size_t o)
{
	(void)w;
	return g->cost[o];
}

static int cg_add(tw *w, cg *g, size_t o)
{
	const ewc__mip *m = w->m;
	size_t c0 = (size_t)m->opt_pool[o] * m->nslots + (size_t)m->opt_start[o];
	int len = 0, k, t = w->tier[m->opt_job[o]];

	if (g->col_of[o])
		return 0;
	if (g->ncols == g->cap) {
		size_t nc = g->cap ? 2 * g->cap : 1024;
		int *a = realloc(g->opt_of, (nc + 1) * sizeof *a);
		if (!a)
			return -1;
		g->opt_of = a;
		g->cap = nc;
	}
	k = glp_add_cols(g->P, 1);
	g->col_of[o] = k;
	g->opt_of[k] = (int)o;
	g->ncols++;
	glp_set_col_bnds(g->P, k, GLP_DB, 0.0, 1.0);
	glp_set_obj_coef(g->P, k, cg_cost(w, g, o));
	w->ind[++len] = w->job_row[m->opt_job[o]];
	w->val[len] = 1.0;
	for (int s = 0; s < m->opt_len[o]; s++)
		if (w->cell_row[c0 + (size_t)s]) {
			w->ind[++len] = w->cell_row[c0 + (size_t)s];
			w->val[len] = (double)m->opt_gpus[o];
		}
	if (t >= 0 && g->tier_row[t]) {
		w->ind[++len] = g->tier_row[t];
		w->val[len] = m->job_priority[m->opt_job[o]] / w->unit[t];
	}
	for (size_t q = 0; q < m->nside; q++)
		if (m->side[q].coef[o] != 0) {
			w->ind[++len] = g->side_row[q];
			w->val[len] = m->side[q].coef[o];
		}
	glp_set_mat_col(g->P, k, len, w->ind, w->val);
	return 0;
}

/* The rows: one per job with an option, one per cell that can overflow;
 * no columns yet. */
static int cg_build(tw *w, cg *g)
{
	const ewc__mip *m = w->m;
	size_t ncells = m->npools * m->nslots;
	long *demand = calloc(ncells ? ncells : 1, sizeof *demand);

	if (!demand)
		return -1;
	glp_set_prob_name(g->P, "ewc_time_cg");
	glp_set_obj_dir(g->P, GLP_MIN);
	for (size_t j = 0; j < m->njobs; j++) {
		w->job_row[j] = 0;
		if (w->first[j + 1] == w->first[j])
			continue;
		w->job_row[j] = glp_add_rows(g->P, 1);
		glp_set_row_bnds(g->P, w->job_row[j], GLP_UP, 0.0, 1.0);
	}
	for (size_t o = 0; o < m->nopts; o++) {
		long *d = cell(m, demand, o);
		for (int s = 0; s < m->opt_len[o]; s++)
			d[s] += m->opt_gpus[o];
	}
	for (size_t c = 0; c < ncells; c++) {
		w->cell_row[c] = 0;
		if (demand[c] > m->slot_cap[c]) {
			w->cell_row[c] = glp_add_rows(g->P, 1);
			glp_set_row_bnds(g->P, w->cell_row[c], GLP_UP, 0.0, (double)m->slot_cap[c]);
		}
	}
	/* the side rows, their bounds set per phase */
	for (size_t q = 0; q < m->nside; q++) {
		g->side_row[q] = glp_add_rows(g->P, 1);
		free_bounds(g->P, g->side_row[q]);
	}
	free(demand);
	return 0;
}

static void cg_set_cost(tw *w, cg *g, const double *cost)
{
	g->cost = cost;
	for (size_t k = 1; k <= g->ncols; k++)
		glp_set_obj_coef(g->P, (int)k, cg_cost(w, g, (size_t)g->opt_of[k]));
}

/* Each job's plan option and cheapest option in the master. */
static int cg_seed(tw *w, cg *g, const int *choice)
{
	const ewc__mip *m = w->m;

	for (size_t j = 0; j < m->njobs; j++) {
		size_t best = w->first[j];
		if (w->first[j + 1] == w->first[j])
			continue;
		for (size_t o = w->first[j]; o < w->first[j + 1]; o++)
			if (g->cost[o] < g->cost[best])
				best = o;
		if (cg_add(w, g, best) != 0 || (choice[j] >= 0 && cg_add(w, g, (size_t)choice[j]) != 0))
			return -1;
	}
	return 0;
}

/* Column generation on the master to the deadline or convergence. The
 * best Lagrangian bound seen (a lower bound on the phase's objective over
 * all options, for the rows in the master) into *bound. 0, or -1 when out
 * of memory. */
static int cg_solve(tw *w, cg *g, double deadline, double *bound)
{
	const ewc__mip *m = w->m;
	size_t H = m->nslots;
	glp_smcp sm;

	*bound = -HUGE_VAL;
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.presolve = GLP_OFF;
	for (int round = 0; ewc__now_s() < deadline; round++) {
		double L = 0, scale = 1;
		size_t added = 0;
		sm.tm_lim = ewc__ms_left(deadline);
		int ret = glp_simplex(g->P, &sm);
		if (ret != 0 && ret != GLP_ETMLIM && ret != GLP_EITLIM) {
			glp_std_basis(g->P);
			ret = glp_simplex(g->P, &sm);
		}
		/* stopped short, the basis's duals still price the rows: any
		 * multipliers of the right signs give a Lagrangian bound */
		if ((ret != 0 && ret != GLP_ETMLIM && ret != GLP_EITLIM) ||
		    glp_get_status(g->P) == GLP_UNDEF || glp_get_status(g->P) == GLP_NOFEAS)
			return 0;
		/* the duals, signs clamped: capacity rows <= 0, tier rows >= 0 */
		for (size_t p = 0; p < m->npools; p++) {
			double *pre = g->pre + p * (H + 1);
			pre[0] = 0;
			for (size_t s = 0; s < H; s++) {
				int r = w->cell_row[p * H + s];
				double d = r ? fmin(0.0, glp_get_row_dual(g->P, r)) : 0.0;
				pre[s + 1] = pre[s] + d;
				if (r)
					L += d * (double)m->slot_cap[p * H + s];
			}
		}
		for (int t = 0; t < w->nt; t++) {
			g->ydual[t] = g->tier_row[t] ? fmax(0.0, glp_get_row_dual(g->P, g->tier_row[t])) : 0;
			L += g->ydual[t] * g->tier_rhs[t];
		}
		/* a side row's dual, its sign clamped to the bounds it has: a
		 * lower bound's >= 0, an upper bound's <= 0 */
		for (size_t q = 0; q < m->nside; q++) {
			int r = g->side_row[q], type = glp_get_row_type(g->P, r);
			double d = glp_get_row_dual(g->P, r);
			if (type == GLP_FR)
				d = 0;
			else if (type == GLP_LO)
				d = fmax(0.0, d);
			else if (type == GLP_UP)
				d = fmin(0.0, d);
			g->sdual[q] = d;
			if (d > 0)
				L += d * glp_get_row_lb(g->P, r);
			else if (d < 0)
				L += d * glp_get_row_ub(g->P, r);
		}
		for (size_t j = 0; j < m->njobs; j++) {
			double best = HUGE_VAL, u;
			size_t bo = 0;
			int t = w->tier[j];
			if (w->first[j + 1] == w->first[j])
				continue;
			u = glp_get_row_dual(g->P, w->job_row[j]);
			for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
				const double *pre = g->pre + (size_t)m->opt_pool[o] * (H + 1);
				double rc = g->cost[o] -
				            (double)m->opt_gpus[o] *
				                    (pre[m->opt_start[o] + m->opt_len[o]] - pre[m->opt_start[o]]) -
				            (t >= 0 ? g->ydual[t] * m->job_priority[j] / w->unit[t] : 0);
				for (size_t q = 0; q < m->nside; q++)
					rc -= g->sdual[q] * m->side[q].coef[o];
				if (rc < best) {
					best = rc;
					bo = o;
				}
			}
			scale = fmax(scale, fabs(g->cost[bo]));
			L += g->fixed ? best : fmin(0.0, best);
			/* a column that prices out below the job's dual enters */
			if (best - u < -1e-9 * fmax(1.0, fabs(g->cost[bo])) && !g->col_of[bo]) {
				if (cg_add(w, g, bo) != 0)
					return -1;
				added++;
			}
		}
		if (L > *bound)
			*bound = L;
		if (!added)
			break; /* converged: L is the LP's value over every option */
	}
	return 0;
}

/* A plan from the master's LP: jobs by priority, then by their largest LP
 * value; each on its generated option of most LP value that fits, else
 * its cheapest option that fits. */
static int cg_round(tw *w, cg *g, int *choice, int by_lp)
{
	const ewc__mip *m = w->m;
	size_t ncells = m->npools * m->nslots;
	item *ord = malloc((m->njobs ? m->njobs : 1) * sizeof *ord);
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	double *xv = calloc(m->njobs ? m->njobs : 1, sizeof *xv);

	if (!ord || !left || !xv) {
		free(ord);
		free(left);
		free(xv);
		return -1;
	}
	for (size_t k = 1; k <= g->ncols; k++) {
		int j = m->opt_job[g->opt_of[k]];
		xv[j] = fmax(xv[j], glp_get_col_prim(g->P, (int)k));
	}
	/* the jobs the LP places whole first (it keeps each tier's priority
	 * in sum, so they are the cheap ones), then by priority */
	for (size_t j = 0; j < m->njobs; j++) {
		ord[j].priority = by_lp ? floor(xv[j] * 8 + 1e-6) : m->job_priority[j];
		ord[j].key = by_lp ? m->job_priority[j] : xv[j];
		ord[j].job = (int)j;
	}
	qsort(ord, m->njobs, sizeof *ord, cmp_item);
	memcpy(left, m->slot_cap, ncells * sizeof *left);
	for (size_t k = 0; k < m->njobs; k++) {
		int j = ord[k].job, best = -1;
		double bx = 1e-6;
		choice[j] = -1;
		for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
			double x = g->col_of[o] ? glp_get_col_prim(g->P, g->col_of[o]) : 0;
			if (x > bx && fits(m, left, o)) {
				bx = x;
				best = (int)o;
			}
		}
		if (best < 0)
			for (size_t o = w->first[j]; o < w->first[j + 1]; o++)
				if ((best < 0 || g->cost[o] < g->cost[best]) && fits(m, left, o))
					best = (int)o;
		if (best >= 0) {
			choice[j] = best;
			hold(m, left, (size_t)best, 1);
		}
	}
	free(ord);
	free(left);
	free(xv);
	return 0;
}

/* Branch-and-cut over the generated columns from the plan choice (its
 * columns in the master), least of the phase's objective; choice replaced
 * by GLPK's plan when that is better. */
static void cg_mip(tw *w, cg *g, double deadline, int *choice)
{
	const ewc__mip *m = w->m;
	glp_iocp io;
	cbdata_t cb = { 0 };
	double *x = calloc(g->ncols + 1, sizeof *x), start = 0, found;
	int ret, st;

	if (!x)
		return;
	{
		/* the columns added since the last LP: GLPK wants its root LP solved */
		glp_smcp sm;
		glp_init_smcp(&sm);
		sm.msg_lev = GLP_MSG_OFF;
		sm.tm_lim = ewc__ms_left(deadline);
		if (glp_simplex(g->P, &sm) != 0 || glp_get_status(g->P) != GLP_OPT) {
			free(x);
			return;
		}
	}
	for (size_t k = 1; k <= g->ncols; k++)
		glp_set_col_kind(g->P, (int)k, GLP_BV);
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0) {
			x[g->col_of[choice[j]]] = 1;
			start += g->cost[choice[j]];
		}
	cb.x = x;
	/* GLPK takes a heuristic plan as given: one that misses a side row in
	 * force is no start (and any plan GLPK finds beats it) */
	if (!sides_ok(w, choice)) {
		cb.done = 1;
		start = HUGE_VAL;
	}
	glp_init_iocp(&io);
	io.msg_lev = GLP_MSG_OFF;
	io.presolve = GLP_OFF;
	io.tm_lim = ewc__ms_left(deadline);
	io.cb_func = cg_callback;
	io.cb_info = &cb;
	/* pseudocost branching's start-up alone outlasts short limits here */
	io.br_tech = GLP_BR_DTH;
	io.bt_tech = GLP_BT_BLB;
	io.fp_heur = GLP_ON;
	io.mip_gap = m->mip_gap;
	ret = glp_intopt(g->P, &io);
	st = glp_mip_status(g->P);
	(void)ret;
	if (st == GLP_OPT || st == GLP_FEAS) {
		found = glp_mip_obj_val(g->P);
		if (found < start - 1e-9 * fmax(1.0, fabs(start))) {
			for (size_t j = 0; j < m->njobs; j++)
				choice[j] = -1;
			for (size_t k = 1; k <= g->ncols; k++)
				if (glp_mip_col_val(g->P, (int)k) > 0.5)
					choice[m->opt_job[g->opt_of[k]]] = g->opt_of[k];
		}
	}
	for (size_t k = 1; k <= g->ncols; k++)
		glp_set_col_kind(g->P, (int)k, GLP_CV);
	free(x);
}

/* Whether plan a keeps every tier's priority of at least floor v (tier
 * rows) and is better than b: it meets the side rows in force where b
 * does not, or as many and costs less by cost. */
static int cg_better(const tw *w, const int *a, const int *b, const double *floor_v,
                     const double *cost)
{
	const ewc__mip *m = w->m;
	double ca = 0, cb = 0;

	for (int t = 0; t < w->nt; t++)
		if (floor_v && tier_sum(w, a, t) < floor_v[t] - 1e-9 * fmax(1.0, floor_v[t]))
			return 0;
	if (m->nside) {
		int ha = sides_ok(w, a), hb = sides_ok(w, b);
		if (ha != hb)
			return ha;
	}
	for (size_t j = 0; j < m->njobs; j++) {
		if (a[j] >= 0)
			ca += cost[a[j]];
		if (b[j] >= 0)
			cb += cost[b[j]];
	}
	return ca < cb - 1e-9 * fmax(1.0, fabs(cb));
}

/* The least cost of a set of items of whole weights wt[] reaching at
 * least W (a covering knapsack, by dynamic programming over exact sums up
 * to W + the largest weight); take[i] receives 1 for the items of it.
 * dp has room for W + max(wt) + 1 entries, bits for n rows of as many.
 * Returns the cost, HUGE_VAL when the items cannot reach W. */
static double cover_knap(size_t n, const long *wt, const double *c, long W, double *dp,
                         uint8_t *bits, unsigned char *take)
{
	long wmax = 0, S, q, qb = -1;
	double bestv = HUGE_VAL;

	for (size_t i = 0; i < n; i++) {
		take[i] = 0;
		if (wt[i] > wmax)
			wmax = wt[i];
	}
	if (W <= 0)
		return 0;
	S = W + wmax;
	for (q = 0; q <= S; q++)
		dp[q] = HUGE_VAL;
	dp[0] = 0;
	memset(bits, 0, (n * (size_t)(S + 1) + 7) / 8);
	for (size_t i = 0; i < n; i++)
		for (q = S; q >= wt[i]; q--)
			if (dp[q - wt[i]] + c[i] < dp[q]) {
				size_t b = i * (size_t)(S + 1) + (size_t)q;
				dp[q] = dp[q - wt[i]] + c[i];
				bits[b / 8] |= (uint8_t)(1u << (b % 8));
			}
	for (q = W; q <= S; q++)
		if (dp[q] < bestv) {
			bestv = dp[q];
			qb = q;
		}
	if (qb < 0)
		return HUGE_VAL;
	for (size_t i = n; i-- > 0 && qb > 0;) {
		size_t b = i * (size_t)(S + 1) + (size_t)qb;
		if (bits[b / 8] & (1u << (b % 8))) {
			take[i] = 1;
			qb -= wt[i];
		}
	}
	return bestv;
}

/* Phase 2's bound and plans by Lagrangian relaxation (no LP): prices
 * pi >= 0 on every (pool, slot) that can overflow and mu >= 0 on the tier
 * rows, moved by subgradient steps (Polyak's rule on the best plan's
 * cost). Each evaluation gives a bound (any such prices do):
 *   L = - sum cap pi + sum rhs mu + sum_j min(0 unless fixed, min_o rc_o),
 *   rc_o = cost_o + gpus_o * (pi over its slots) - mu_t * prio_o / unit_t.
 * Every few steps a plan: jobs by priority, each on its option of least
 * priced cost that fits; kept when it keeps each tier's floor and costs
 * less. 0, or -1 when out of memory. */
static int time_lagr(tw *w, const double *cost, const double *floor_v, const double *rhs,
                     int fixed, double deadline, double *bound, int *choice)
{
	const ewc__mip *m = w->m;
	size_t H = m->nslots, ncells = m->npools * H;
	double *pi = calloc(ncells ? ncells : 1, sizeof *pi);
	double *pre = malloc((m->npools + 1) * (H + 1) * sizeof *pre);
	double *mu = calloc(w->nt ? (size_t)w->nt : 1, sizeof *mu);
	double *gt = calloc(w->nt ? (size_t)w->nt : 1, sizeof *gt);
	long *use = malloc((ncells ? ncells : 1) * sizeof *use);
	long *dem = calloc(ncells ? ncells : 1, sizeof *dem);
	int *best = malloc((m->njobs ? m->njobs : 1) * sizeof *best);
	int *trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial);
	item *ord = malloc((m->njobs ? m->njobs : 1) * sizeof *ord);
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	double theta = 1.0, ub = ewc__mip_sum(m, choice, cost, 0), lbest = -HUGE_VAL;
	int stall = 0, rc = 0, knap = !fixed && floor_v;
	/* the knapsack form: each tier's floor kept exactly over whole
	 * priorities (a tier of priorities that are not whole multiples of its
	 * unit falls back to the tier's price) */
	long *wt = malloc((m->njobs ? m->njobs : 1) * sizeof *wt), *tw_ = NULL;
	double *cj = malloc((m->njobs ? m->njobs : 1) * sizeof *cj), *dp = NULL, *ci = NULL;
	size_t *tj = malloc((m->njobs ? m->njobs : 1) * sizeof *tj);
	unsigned char *tk = malloc(m->njobs ? m->njobs : 1);
	uint8_t *bits = NULL;
	long Wmax = 0, wmax = 0;

	if (!pi || !pre || !mu || !gt || !use || !dem || !best || !trial || !ord || !left || !wt ||
	    !cj || !tj || !tk) {
		rc = -1;
		goto out;
	}
	for (size_t j = 0; knap && j < m->njobs; j++) {
		int t = w->tier[j];
		double q;
		if (t < 0)
			continue;
		q = m->job_priority[j] / w->unit[t];
		if (fabs(q - floor(q + 0.5)) > 1e-9 || q > 1e6)
			knap = 0;
		wt[j] = (long)floor(q + 0.5);
		wmax = wt[j] > wmax ? wt[j] : wmax;
	}
	for (int t = 0; knap && t < w->nt; t++) {
		long W = (long)ceil(floor_v[t] / w->unit[t] - 1e-6);
		Wmax = W > Wmax ? W : Wmax;
	}
	if (knap && (double)(Wmax + wmax + 1) * (double)(m->njobs + 1) > 8e9)
		knap = 0; /* the table would not fit: the price form */
	if (knap) {
		dp = malloc((size_t)(Wmax + wmax + 1) * sizeof *dp);
		ci = malloc((m->njobs ? m->njobs : 1) * sizeof *ci);
		tw_ = malloc((m->njobs ? m->njobs : 1) * sizeof *tw_);
		bits = malloc(((size_t)m->njobs * (size_t)(Wmax + wmax + 1) + 8) / 8 + 1);
		if (!dp || !ci || !tw_ || !bits)
			knap = 0; /* too big for memory: the price form */
	}
	for (size_t o = 0; o < m->nopts; o++) {
		long *d = cell(m, dem, o);
		for (int s = 0; s < m->opt_len[o]; s++)
			d[s] += m->opt_gpus[o];
	}
	for (int it = 0; ewc__now_s() < deadline; it++) {
		double L = 0, norm = 0;
		for (size_t p = 0; p < m->npools; p++) {
			double *q = pre + p * (H + 1);
			q[0] = 0;
			for (size_t s = 0; s < H; s++) {
				q[s + 1] = q[s] + pi[p * H + s];
				L -= pi[p * H + s] * (double)m->slot_cap[p * H + s];
			}
		}
		for (int t = 0; t < w->nt; t++) {
			L += mu[t] * rhs[t];
			gt[t] = rhs[t];
		}
		memset(use, 0, ncells * sizeof *use);
		if (knap) {
			/* each job's least priced cost; per tier the cheapest set that
			 * keeps its floor (the capacity priced, the rest exact) */
			for (size_t j = 0; j < m->njobs; j++) {
				double b = HUGE_VAL;
				best[j] = -1;
				for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
					const double *q = pre + (size_t)m->opt_pool[o] * (H + 1);
					double v = cost[o] + (double)m->opt_gpus[o] *
					           (q[m->opt_start[o] + m->opt_len[o]] - q[m->opt_start[o]]);
					if (v < b) {
						b = v;
						best[j] = (int)o;
					}
				}
				cj[j] = b;
			}
			for (int t = 0; t < w->nt; t++) {
				size_t n = 0;
				long W = (long)ceil(floor_v[t] / w->unit[t] - 1e-6);
				double v;
				gt[t] = 0;
				for (size_t j = 0; j < m->njobs; j++)
					if (w->tier[j] == t && best[j] >= 0) {
						tj[n] = j;
						tw_[n] = wt[j];
						ci[n++] = cj[j];
					}
				v = cover_knap(n, tw_, ci, W, dp, bits, tk);
				L += v; /* HUGE_VAL only for a floor no set reaches: then no bound */
				for (size_t i = 0; i < n; i++)
					if (tk[i])
						hold(m, use, (size_t)best[tj[i]], -1);
			}
			/* the tier rows are kept exactly: no price on them */
			for (int t = 0; t < w->nt; t++)
				L -= mu[t] * rhs[t];
		}
		for (size_t j = 0; !knap && j < m->njobs; j++) {
			double b = fixed ? HUGE_VAL : 0;
			int t = w->tier[j];
			best[j] = -1;
			for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
				const double *q = pre + (size_t)m->opt_pool[o] * (H + 1);
				double rc_o = cost[o] +
				              (double)m->opt_gpus[o] *
				                      (q[m->opt_start[o] + m->opt_len[o]] - q[m->opt_start[o]]) -
				              (t >= 0 ? mu[t] * m->job_priority[j] / w->unit[t] : 0);
				if (rc_o < b) {
					b = rc_o;
					best[j] = (int)o;
				}
			}
			if (best[j] >= 0) {
				L += b;
				hold(m, use, (size_t)best[j], -1);
				if (t >= 0)
					gt[t] -= m->job_priority[j] / w->unit[t];
			}
		}
		if (L > lbest && L < HUGE_VAL) {
			lbest = L;
			stall = 0;
		} else if (++stall >= 10) {
			theta /= 2;
			stall = 0;
		}
		/* a plan now and then, by the prices */
		if (it % 5 == 4) {
			for (size_t j = 0; j < m->njobs; j++) {
				ord[j].priority = m->job_priority[j];
				ord[j].key = best[j] >= 0 ? 1.0 : 0.0;
				ord[j].job = (int)j;
			}
			qsort(ord, m->njobs, sizeof *ord, cmp_item);
			memcpy(left, m->slot_cap, ncells * sizeof *left);
			for (size_t k = 0; k < m->njobs; k++) {
				int j = ord[k].job, bo = -1;
				double bv = HUGE_VAL;
				trial[j] = -1;
				for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
					const double *q = pre + (size_t)m->opt_pool[o] * (H + 1);
					double v = cost[o] + (double)m->opt_gpus[o] *
					           (q[m->opt_start[o] + m->opt_len[o]] - q[m->opt_start[o]]);
					if (v < bv && fits(m, left, o)) {
						bv = v;
						bo = (int)o;
					}
				}
				if (bo >= 0) {
					trial[j] = bo;
					hold(m, left, (size_t)bo, 1);
				}
			}
			if (time_improve(m, w->first, cost, trial, deadline) != 0) {
				rc = -1;
				goto out;
			}
			if (cg_better(w, trial, choice, floor_v, cost)) {
				memcpy(choice, trial, m->njobs * sizeof *trial);
				ub = ewc__mip_sum(m, choice, cost, 0);
			}
		}
		/* the subgradient: each cell's use over its capacity, each tier's
		 * floor over what the relaxed plan places */
		for (size_t c = 0; c < ncells; c++)
			if (dem[c] > m->slot_cap[c]) {
				double g = (double)use[c] - (double)m->slot_cap[c];
				if (pi[c] > 0 || g > 0)
					norm += g * g;
			}
		for (int t = 0; t < w->nt; t++)
			if (mu[t] > 0 || gt[t] > 0)
				norm += gt[t] * gt[t];
		if (norm <= 0)
			break; /* the relaxed plan fits: L is the optimum */
		double step = theta * fmax(ub - L, 1e-6 * fmax(1.0, fabs(ub))) / norm;
		for (size_t c = 0; c < ncells; c++)
			if (dem[c] > m->slot_cap[c])
				pi[c] = fmax(0.0, pi[c] + step * ((double)use[c] - (double)m->slot_cap[c]));
		for (int t = 0; t < w->nt; t++)
			mu[t] = fmax(0.0, mu[t] + step * gt[t]);
	}
	*bound = lbest;
out:
	free(wt);
	free(cj);
	free(tj);
	free(tk);
	free(dp);
	free(ci);
	free(tw_);
	free(bits);
	free(pi);
	free(pre);
	free(mu);
	free(gt);
	free(use);
	free(dem);
	free(best);
	free(trial);
	free(ord);
	free(left);
	return rc;
}

static int cg_fn(void *arg, char *err, size_t errlen)
{
	tw *w = arg;
	const ewc__mip *m = w->m;
	ewc__mip_result *res = w->res;
	double started = ewc__now_s(), until1 = started + (w->deadline - started) * 0.35;
	double *cost = malloc((m->nopts ? m->nopts : 1) * sizeof *cost);
	double *floor_v = calloc(w->nt ? (size_t)w->nt : 1, sizeof *floor_v);
	int *trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial);
	cg g = { 0 };
	double total = 0, bound2 = -HUGE_VAL;
	int unproven = 0, rc = 0;

	g.P = glp_create_prob();
	g.col_of = calloc(m->nopts ? m->nopts : 1, sizeof *g.col_of);
	g.tier_row = calloc(w->nt ? (size_t)w->nt : 1, sizeof *g.tier_row);
	g.tier_rhs = calloc(w->nt ? (size_t)w->nt : 1, sizeof *g.tier_rhs);
	g.ydual = calloc(w->nt ? (size_t)w->nt : 1, sizeof *g.ydual);
	g.pre = malloc((m->npools + 1) * (m->nslots + 1) * sizeof *g.pre);
	g.side_row = calloc(m->nside ? m->nside : 1, sizeof *g.side_row);
	g.sdual = calloc(m->nside ? m->nside : 1, sizeof *g.sdual);
	if (!cost || !floor_v || !trial || !g.col_of || !g.tier_row || !g.tier_rhs || !g.ydual ||
	    !g.pre || !g.side_row || !g.sdual || cg_build(w, &g) != 0) {
		rc = EWC_ENOMEM;
		goto out;
	}
	/* the side rows of phase 1 (rebalancing's move limit) hold from here */
	w->side_phase = 1;
	for (size_t q = 0; q < m->nside; q++)
		if (m->side[q].in_phase1)
			ewc__side_bounds(g.P, g.side_row[q], &m->side[q]);
	/* Phase 1, tier by tier (when the start leaves a job out) */
	for (int t = 0; t < w->nt; t++) {
		double b = -HUGE_VAL, v, bt;
		int n = 0, proven = 0;
		for (size_t o = 0; o < m->nopts; o++)
			cost[o] = w->tier[m->opt_job[o]] == t
			          ? -m->job_priority[m->opt_job[o]] / w->unit[t] : 0.0;
		if (!w->all && ewc__now_s() < until1) {
			double now = ewc__now_s(), tdl = now + (until1 - now) / (w->nt - t);
			cg_set_cost(w, &g, cost);
			if (cg_seed(w, &g, res->choice) != 0 ||
			    cg_solve(w, &g, now + (tdl - now) * 0.75, &b) != 0) {
				rc = EWC_ENOMEM;
				goto out;
			}
			res->phases++;
			if (cg_round(w, &g, trial, 0) != 0) {
				rc = EWC_ENOMEM;
				goto out;
			}
			if (cg_better(w, trial, res->choice, floor_v, cost))
				memcpy(res->choice, trial, m->njobs * sizeof *trial);
			for (size_t j = 0; j < m->njobs; j++)
				if (res->choice[j] >= 0 && cg_add(w, &g, (size_t)res->choice[j]) != 0) {
					rc = EWC_ENOMEM;
					goto out;
				}
			cg_mip(w, &g, tdl, res->choice);
		}
		v = tier_sum(w, res->choice, t);
		/* -b is an upper bound on the tier's priority, in units */
		if (w->all || v >= w->pmax_t[t] - 1e-9 * fmax(1.0, v))
			proven = 1, bt = v;
		else {
			bt = fmin(w->pmax_t[t], fmax(v, tier_bound(w, t, b > -HUGE_VAL ? -b : HUGE_VAL)));
			proven = bt <= v + 1e-9 * fmax(1.0, v);
		}
		if (!unproven) {
			total += bt;
			if (!proven) {
				unproven = 1;
				for (int u = t + 1; u < w->nt; u++)
					total += w->pmax_t[u];
			}
		}
		floor_v[t] = v;
		/* the tier keeps what it found */
		g.tier_row[t] = glp_add_rows(g.P, 1);
		g.tier_rhs[t] = v / w->unit[t] - 1e-6;
		glp_set_row_bnds(g.P, g.tier_row[t], GLP_LO, g.tier_rhs[t], 0.0);
		for (size_t k = 1; k <= g.ncols; k++) {
			int j = m->opt_job[g.opt_of[k]];
			if (w->tier[j] == t) {
				w->ind[++n] = (int)k;
				w->val[n] = m->job_priority[j] / w->unit[t];
			}
		}
		glp_set_mat_row(g.P, g.tier_row[t], n, w->ind, w->val);
	}
	res->priority = ewc__mip_sum(m, res->choice, NULL, 1);
	res->priority_bound = fmax(res->priority, total);
	if (!w->all) {
		int all = 1;
		for (size_t j = 0; j < m->njobs && all; j++)
			all = w->tier[j] < 0 || res->choice[j] >= 0;
		w->all = all;
	}
	/* the whole phase-2 model, every option, for --write-lp */
	if (m->write_lp) {
		glp_prob *F = glp_create_prob();
		int *keep_job = w->job_row, *keep_cell = w->cell_row;
		int *jr = malloc((m->njobs ? m->njobs : 1) * sizeof *jr);
		int *cr = malloc((m->npools * m->nslots + 1) * sizeof *cr);
		if (!jr || !cr) {
			free(jr);
			free(cr);
			glp_delete_prob(F);
			rc = EWC_ENOMEM;
			goto out;
		}
		w->job_row = jr;
		w->cell_row = cr;
		rc = build(w, F) != 0 ? EWC_ENOMEM : 0;
		if (!rc) {
			glp_set_obj_dir(F, GLP_MIN);
			for (size_t o = 0; o < m->nopts; o++)
				glp_set_obj_coef(F, (int)o + 1, m->opt_obj[o]);
			for (int t = 0; t < w->nt; t++) {
				int r = glp_add_rows(F, 1), n = 0;
				char name[32];
				for (size_t o = 0; o < m->nopts; o++)
					if (w->tier[m->opt_job[o]] == t) {
						w->ind[++n] = (int)o + 1;
						w->val[n] = m->job_priority[m->opt_job[o]] / w->unit[t];
					}
				glp_set_mat_row(F, r, n, w->ind, w->val);
				glp_set_row_bnds(F, r, GLP_LO, g.tier_rhs[t], 0.0);
				snprintf(name, sizeof name, w->nt == 1 ? "priority" : "priority_tier%d", t + 1);
				glp_set_row_name(F, r, name);
			}
			if (w->all)
				for (size_t j = 0; j < m->njobs; j++)
					if (w->job_row[j])
						glp_set_row_bnds(F, w->job_row[j], GLP_FX, 1.0, 1.0);
			set_names(w, F);
			glp_set_obj_name(F, "objective");
			rc = ewc__write_lp(m, F, err, errlen);
		}
		glp_delete_prob(F);
		w->job_row = keep_job;
		w->cell_row = keep_cell;
		free(jr);
		free(cr);
		if (rc)
			goto out;
	}
	/* Phase 2: the least objective, each tier kept, every side row held */
	memcpy(cost, m->opt_obj, m->nopts * sizeof *cost);
	cg_set_cost(w, &g, cost);
	w->side_phase = 2;
	for (size_t q = 0; q < m->nside; q++)
		ewc__side_bounds(g.P, g.side_row[q], &m->side[q]);
	if (w->all) {
		g.fixed = 1;
		for (size_t j = 0; j < m->njobs; j++)
			if (w->job_row[j])
				glp_set_row_bnds(g.P, w->job_row[j], GLP_FX, 1.0, 1.0);
	}
	{
		double now = ewc__now_s(), lb = -HUGE_VAL;
		double cgdl = now + (w->deadline - now) * 0.3;
		if (time_lagr(w, cost, floor_v, g.tier_rhs, g.fixed, now + (w->deadline - now) * 0.4,
		              &lb, res->choice) != 0) {
			rc = EWC_ENOMEM;
			goto out;
		}
		now = ewc__now_s();
		cgdl = now + (w->deadline - now) * 0.4;
		if (cg_seed(w, &g, res->choice) != 0 || cg_solve(w, &g, cgdl, &bound2) != 0) {
			rc = EWC_ENOMEM;
			goto out;
		}
		bound2 = fmax(bound2, lb);
		res->phases++;
		/* a plan that misses a side row: moved until it meets them */
		if (m->nside && !sides_ok(w, res->choice)) {
			memcpy(trial, res->choice, m->njobs * sizeof *trial);
			if (side_repair(w, m->opt_obj, trial,
			                ewc__now_s() + (w->deadline - ewc__now_s()) * 0.2) != 0) {
				rc = EWC_ENOMEM;
				goto out;
			}
			if (cg_better(w, trial, res->choice, floor_v, cost))
				memcpy(res->choice, trial, m->njobs * sizeof *trial);
		}
		for (int by_lp = 0; by_lp < 2; by_lp++) {
			if (cg_round(w, &g, trial, by_lp) != 0 ||
			    time_improve(m, w->first, m->opt_obj, trial, w->deadline) != 0 ||
			    (m->nside && side_repair(w, m->opt_obj, trial,
			                             ewc__now_s() + (w->deadline - ewc__now_s()) * 0.2) != 0)) {
				rc = EWC_ENOMEM;
				goto out;
			}
			if (cg_better(w, trial, res->choice, floor_v, cost) &&
			    (!w->all || ewc__mip_sum(m, trial, NULL, 1) >= res->priority - ewc__prio_tol(m)))
				memcpy(res->choice, trial, m->njobs * sizeof *trial);
		}
		for (size_t j = 0; j < m->njobs; j++)
			if (res->choice[j] >= 0 && cg_add(w, &g, (size_t)res->choice[j]) != 0) {
				rc = EWC_ENOMEM;
				goto out;
			}
		/* moves and swaps know nothing of side rows: on a copy, kept when
		 * it is better by cg_better's rule */
		memcpy(trial, res->choice, m->njobs * sizeof *trial);
		if (time_swap(m, w->first, w->tier, m->opt_obj, trial,
		              ewc__now_s() + (w->deadline - ewc__now_s()) / 3) != 0 ||
		    time_improve(m, w->first, m->opt_obj, trial,
		                 ewc__now_s() + (w->deadline - ewc__now_s()) / 4) != 0) {
			rc = EWC_ENOMEM;
			goto out;
		}
		if (!m->nside || cg_better(w, trial, res->choice, floor_v, cost))
			memcpy(res->choice, trial, m->njobs * sizeof *trial);
		for (size_t j = 0; j < m->njobs; j++)
			if (res->choice[j] >= 0 && cg_add(w, &g, (size_t)res->choice[j]) != 0) {
				rc = EWC_ENOMEM;
				goto out;
			}
		cg_mip(w, &g, w->deadline, res->choice);
		res->phases++;
	}
	res->feasible = ewc__sides_hold(m, res->choice);
	res->objective = ewc__mip_sum(m, res->choice, m->opt_obj, 0);
	res->bound = fmin(fmax(bound2, 0.0), res->objective);
	res->proven = !unproven && res->objective - res->bound <=
	                                   m->mip_gap * fmax(1.0, fabs(res->objective)) + 1e-9;
out:
	if (rc == EWC_ENOMEM)
		snprintf(err, errlen, "out of memory");
	glp_delete_prob(g.P);
	free(g.col_of);
	free(g.opt_of);
	free(g.tier_row);
	free(g.tier_rhs);
	free(g.ydual);
	free(g.pre);
	free(g.side_row);
	free(g.sdual);
	free(cost);
	free(floor_v);
	free(trial);
	return rc;
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
	/* phase 1 counts the priority of the plan in hand: with side rows of
	 * phase 1 (rebalancing's move limit) it must meet them. The given
	 * start does (staying moves nothing) where a greedy plan of more
	 * priority may not; and a start that meets every row is kept over a
	 * greedy plan of no more priority that does not. */
	if (m->nside && m->start && phase1_sides_hold(m, m->start) &&
	    (!phase1_sides_hold(m, res->choice) ||
	     (!ewc__sides_hold(m, res->choice) && ewc__sides_hold(m, m->start) &&
	      ewc__mip_sum(m, m->start, NULL, 1) >= ewc__mip_sum(m, res->choice, NULL, 1)))) {
		long *left = malloc((ncells ? ncells : 1) * sizeof *left);
		if (!left) {
			snprintf(err, errlen, "out of memory");
			rc = EWC_ENOMEM;
			goto out;
		}
		if (plan_fits(m, m->start, left))
			memcpy(res->choice, m->start, m->njobs * sizeof *res->choice);
		free(left);
	}
	/* with side rows of phase 1 to meet, the greedy plan proves nothing */
	w.all = phase1_sides_hold(m, res->choice);
	for (size_t j = 0; j < m->njobs; j++)
		if (w.tier[j] >= 0) {
			w.pmax_t[w.tier[j]] += m->job_priority[j];
			if (res->choice[j] < 0)
				w.all = 0;
		}
	/* the direct model for lists it can prove; column generation, side
	 * rows and all, above */
	rc = ewc__glpk_run(m->method == EWC__SOLVE_DIRECT ||
	                           (m->method == EWC__SOLVE_AUTO && m->nopts <= TIME_DIRECT_MAX)
	                   ? solve_fn : cg_fn,
	                   &w, err, errlen);
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
