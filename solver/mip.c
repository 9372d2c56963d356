/* mip.c - the placement model on GLPK: phases, warm starts, proven bounds */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glpk.h>

#include "ewc.h"
#include "solver.h"
#include "glp_int.h"

/* Seconds a MIP must have left to spend on cutting planes. */
#define CUTS_MIN_S 2.0
/* Seconds a MIP must have left to start its pseudocosts. */
#define PCOST_MIN_S 1.0
/* Seconds ewc__support_mip() must have to start. */
#define SUPPORT_MIN_S 1.0

typedef struct cbdata {
	const double *start;  /* 1-based column values of a feasible plan, or NULL */
	int start_done;
	int minimize;
	double bound;         /* best bound seen in the tree */
	int have_bound;
} cbdata;

static void callback(glp_tree *T, void *info)
{
	cbdata *c = info;
	int p;

	if (glp_ios_reason(T) == GLP_IHEUR && c->start && !c->start_done) {
		c->start_done = 1;
		glp_ios_heur_sol(T, c->start);
	}
	p = glp_ios_best_node(T);
	if (p) {
		double b = glp_ios_node_bound(T, p);
		/* every value seen is a valid bound on the optimum; keep the best */
		if (!c->have_bound || (c->minimize ? b > c->bound : b < c->bound)) {
			c->bound = b;
			c->have_bound = 1;
		}
	}
}

static void choice_to_x(const ewc__mip *m, const int *choice, double *x)
{
	for (size_t o = 0; o < m->nopts; o++)
		x[o + 1] = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			x[choice[j] + 1] = 1;
}

/* Whether GLPK's integer solution is at least as good as the start x (it
 * may not have seen the start when the time limit came first). */
static int better(glp_prob *P, const double *x, int minimize, size_t nopts)
{
	double start = 0, found = glp_mip_obj_val(P);
	double tol = 1e-9 * fmax(1.0, fabs(found));

	for (size_t o = 0; o < nopts; o++)
		if (x[o + 1] > 0.5)
			start += glp_get_obj_coef(P, (int)o + 1);
	return minimize ? found <= start + tol : found >= start - tol;
}

int ewc__run_phase(const ewc__mip *m, glp_prob *P, int minimize, double deadline,
                   int *choice, double *x, double *bound_out, int start_ok, int *nofeas)
{
	glp_smcp sm;
	glp_iocp io;
	cbdata cb = { 0 };
	int ret, proven = 0, st;

	/* no bound at all until the LP relaxation is solved */
	*bound_out = minimize ? -HUGE_VAL : HUGE_VAL;
	if (nofeas)
		*nofeas = 0;
	choice_to_x(m, choice, x);
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.tm_lim = ewc__ms_left(deadline);
	if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT) {
		if (nofeas && glp_get_status(P) == GLP_NOFEAS)
			*nofeas = 1; /* not even the relaxation has a plan */
		return 0; /* keep the start: the LP did not finish */
	}

	/* a start that breaks a side row would be rejected; offer none */
	cb.start = start_ok ? x : NULL;
	cb.minimize = minimize;
	cb.bound = glp_get_obj_val(P); /* the LP relaxation's value */
	cb.have_bound = 1;

	glp_init_iocp(&io);
	io.msg_lev = GLP_MSG_OFF;
	io.presolve = GLP_OFF; /* keep the columns as built: the start refers to them */
	io.mip_gap = m->mip_gap;
	io.tm_lim = ewc__ms_left(deadline);
	io.cb_func = callback;
	io.cb_info = &cb;
	/* GLPK looks at its clock between nodes, not inside a round of cuts:
	 * on 300 jobs of 192-512 GPUs the root's MIR cuts alone took 1.2 s
	 * of a 0.2 s limit. Cuts only with time for them. */
	int cuts = !m->quick && deadline - ewc__now_s() >= CUTS_MIN_S;
	io.cov_cuts = cuts ? GLP_ON : GLP_OFF;
	io.mir_cuts = cuts ? GLP_ON : GLP_OFF;
	/* the pseudocosts' start, strong branching at the root, does not look
	 * at the clock either: 0.6 s past a 0.2 s limit on a sub-problem of
	 * 8,296 options. With little time, the cheap rule. */
	io.br_tech = deadline - ewc__now_s() >= PCOST_MIN_S ? GLP_BR_PCH : GLP_BR_DTH;
	io.bt_tech = GLP_BT_BLB;
	ret = glp_intopt(P, &io);
	st = glp_mip_status(P);
	if (nofeas && ret == 0 && st == GLP_NOFEAS)
		*nofeas = 1;
	if ((st == GLP_OPT || st == GLP_FEAS) && (!start_ok || better(P, x, minimize, m->nopts))) {
		for (size_t j = 0; j < m->njobs; j++)
			choice[j] = -1;
		for (size_t o = 0; o < m->nopts; o++)
			if (glp_mip_col_val(P, (int)o + 1) > 0.5)
				choice[m->opt_job[o]] = (int)o;
	}
	if (ret == 0 && st == GLP_OPT) {
		proven = 1;
		cb.bound = glp_mip_obj_val(P);
	} else if (ret == GLP_EMIPGAP) {
		proven = 1;
	}
	*bound_out = cb.bound;
	return proven;
}

static void set_names(const ewc__mip *m, glp_prob *P, const int *job_row, const int *pool_row)
{
	char buf[256];

	if (!m->name)
		return;
	for (size_t o = 0; o < m->nopts; o++) {
		m->name(m->name_user, 'x', o, buf, sizeof buf);
		glp_set_col_name(P, (int)o + 1, buf);
	}
	for (size_t j = 0; j < m->njobs; j++)
		if (job_row[j]) {
			m->name(m->name_user, 'j', j, buf, sizeof buf);
			glp_set_row_name(P, job_row[j], buf);
		}
	for (size_t p = 0; p < m->npools; p++)
		if (pool_row[p]) {
			m->name(m->name_user, 'c', p, buf, sizeof buf);
			glp_set_row_name(P, pool_row[p], buf);
		}
}

/* glp_write_lp() into a temporary beside the target, then rename, so a
 * failure never leaves a half-written model file. */
int ewc__write_lp(const ewc__mip *m, glp_prob *P, char *err, size_t errlen)
{
	size_t n = strlen(m->write_lp);
	char *tmp = malloc(n + 16);
	int rc = 0;

	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	snprintf(tmp, n + 16, "%s.tmp%05d", m->write_lp, (int)(ewc__now_s() * 1000) % 100000);
	if (glp_write_lp(P, NULL, tmp) != 0) {
		snprintf(err, errlen, "%s: cannot write the LP model", m->write_lp);
		remove(tmp);
		rc = EWC_EIO;
	} else if (rename(tmp, m->write_lp) != 0) {
		snprintf(err, errlen, "%s: cannot rename the LP model into place", m->write_lp);
		remove(tmp);
		rc = EWC_EIO;
	}
	free(tmp);
	return rc;
}

typedef struct work {
	glp_prob *P;
	size_t *first;   /* [njobs+1] first option of each job */
	int *job_row;    /* [njobs] row index, 0 if none */
	int *pool_row;   /* [npools] row index, 0 if not binding */
	int *side_row;   /* [nside] row index */
	double *x;       /* [nopts+1] */
	int *ind;        /* [nopts+1] */
	double *val;     /* [nopts+1] */
	int *tier;       /* [njobs] priority tier of each job (ewc__tiers()) */
	double *unit;    /* [njobs] each tier's unit */
	double *tval;    /* [njobs] each tier's priority placed */
} work;

static void work_free(work *w)
{
	free(w->first);
	free(w->job_row);
	free(w->pool_row);
	free(w->side_row);
	free(w->x);
	free(w->ind);
	free(w->val);
	free(w->tier);
	free(w->unit);
	free(w->tval);
}

static int work_init(work *w, const ewc__mip *m)
{
	size_t nmem = m->nopts + 1;

	memset(w, 0, sizeof *w);
	w->first = ewc__mip_first(m);
	w->job_row = calloc(m->njobs ? m->njobs : 1, sizeof *w->job_row);
	w->pool_row = calloc(m->npools ? m->npools : 1, sizeof *w->pool_row);
	w->side_row = calloc(m->nside ? m->nside : 1, sizeof *w->side_row);
	w->x = calloc(nmem, sizeof *w->x);
	w->ind = calloc(nmem, sizeof *w->ind);
	w->val = calloc(nmem, sizeof *w->val);
	w->tier = calloc(m->njobs ? m->njobs : 1, sizeof *w->tier);
	w->unit = calloc(m->njobs ? m->njobs : 1, sizeof *w->unit);
	w->tval = calloc(m->njobs ? m->njobs : 1, sizeof *w->tval);
	if (!w->first || !w->job_row || !w->pool_row || !w->side_row || !w->x || !w->ind || !w->val ||
	    !w->tier || !w->unit || !w->tval) {
		work_free(w);
		return -1;
	}
	return 0;
}

void ewc__side_bounds(glp_prob *P, int r, const ewc__side *sd)
{
	int lo = sd->lo > -HUGE_VAL, hi = sd->hi < HUGE_VAL;

	if (lo && hi)
		glp_set_row_bnds(P, r, sd->lo == sd->hi ? GLP_FX : GLP_DB, sd->lo, sd->hi);
	else if (lo)
		glp_set_row_bnds(P, r, GLP_LO, sd->lo, 0.0);
	else if (hi)
		glp_set_row_bnds(P, r, GLP_UP, 0.0, sd->hi);
	else
		glp_set_row_bnds(P, r, GLP_FR, 0.0, 0.0);
}

/* The direct model into w->P: a binary per option, a row per job with a
 * choice to make, a capacity row per pool that could overflow. */
static int build(const ewc__mip *m, work *w, char *err, size_t errlen)
{
	glp_prob *P = w->P = glp_create_prob();
	long *demand;
	size_t *pstart;
	int *by_pool;

	glp_set_prob_name(P, "ewc");
	glp_set_obj_dir(P, GLP_MIN);
	if (m->nopts)
		glp_add_cols(P, (int)m->nopts);
	for (size_t o = 0; o < m->nopts; o++)
		glp_set_col_kind(P, (int)o + 1, GLP_BV);

	for (size_t j = 0; j < m->njobs; j++) {
		if (w->first[j + 1] - w->first[j] < 2)
			continue;
		int r = glp_add_rows(P, 1);
		int len = 0;
		for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
			w->ind[++len] = (int)o + 1;
			w->val[len] = 1.0;
		}
		glp_set_mat_row(P, r, len, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, 1.0);
		w->job_row[j] = r;
	}
	demand = malloc((m->npools ? m->npools : 1) * sizeof *demand);
	/* options bucketed by pool, so that building every capacity row costs
	 * O(options), not O(pools x options) */
	pstart = malloc((m->npools + 1) * sizeof *pstart);
	by_pool = malloc((m->nopts ? m->nopts : 1) * sizeof *by_pool);
	if (!demand || !pstart || !by_pool) {
		free(demand);
		free(pstart);
		free(by_pool);
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	ewc__pool_demand(m, demand);
	ewc__opts_by_pool(m, pstart, by_pool);
	for (size_t p = 0; p < m->npools; p++) {
		if (demand[p] <= m->pool_cap[p])
			continue;
		int r = glp_add_rows(P, 1);
		int len = 0;
		for (size_t k = pstart[p]; k < pstart[p + 1]; k++) {
			int o = by_pool[k];
			w->ind[++len] = o + 1;
			w->val[len] = (double)m->opt_gpus[o];
		}
		glp_set_mat_row(P, r, len, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, (double)m->pool_cap[p]);
		w->pool_row[p] = r;
	}
	free(pstart);
	free(by_pool);
	free(demand);
	for (size_t k = 0; k < m->nside; k++) {
		const ewc__side *sd = &m->side[k];
		int r = glp_add_rows(P, 1), len = 0;
		char name[32];
		for (size_t o = 0; o < m->nopts; o++)
			if (sd->coef[o] != 0) {
				w->ind[++len] = (int)o + 1;
				w->val[len] = sd->coef[o];
			}
		glp_set_mat_row(P, r, len, w->ind, w->val);
		ewc__side_bounds(P, r, sd);
		snprintf(name, sizeof name, "side%zu", k + 1);
		glp_set_row_name(P, r, name);
		w->side_row[k] = r;
	}
	return 0;
}

/* Turn the model into phase 2's: the objective to minimise and either
 * "every job with an option placed" (a job row fixed at 1, or a lone
 * option's column) or a priority row that keeps phase 1's total. */
/* Phase 2's model: the objective, the side rows, and the priority kept:
 * every placeable job placed, or else one row per tier of priority, each
 * in its own unit, at what `choice` places in it. When choice's priority
 * is the maximum, keeping each tier is keeping the total; at GLPK's
 * relative tolerances one row over all tiers could not tell a job of
 * priority 1 beside a total of 1e9. Returns 0 or -1 (memory). */
static int set_phase2(const ewc__mip *m, work *w, int all_placeable, const int *choice)
{
	glp_prob *P = w->P;
	int nt;

	glp_set_obj_dir(P, GLP_MIN);
	for (size_t o = 0; o < m->nopts; o++)
		glp_set_obj_coef(P, (int)o + 1, m->opt_obj[o]);
	for (size_t k = 0; k < m->nside; k++)
		ewc__side_bounds(P, w->side_row[k], &m->side[k]);
	if (all_placeable) {
		for (size_t j = 0; j < m->njobs; j++) {
			size_t k = w->first[j + 1] - w->first[j];
			if (k >= 2)
				glp_set_row_bnds(P, w->job_row[j], GLP_FX, 1.0, 1.0);
			else if (k == 1)
				glp_set_col_bnds(P, (int)w->first[j] + 1, GLP_FX, 1.0, 1.0);
		}
		return 0;
	}
	if (!m->nopts)
		return 0;
	nt = ewc__tiers(m, w->first, w->tier, w->unit);
	if (nt < 0)
		return -1;
	for (int t = 0; t < nt; t++)
		w->tval[t] = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			w->tval[w->tier[j]] += m->job_priority[j];
	for (int t = 0; t < nt; t++) {
		int r = glp_add_rows(P, 1), n = 0;
		char name[32];
		for (size_t o = 0; o < m->nopts; o++)
			if (w->tier[m->opt_job[o]] == t) {
				w->ind[++n] = (int)o + 1;
				w->val[n] = m->job_priority[m->opt_job[o]] / w->unit[t];
			}
		glp_set_mat_row(P, r, n, w->ind, w->val);
		/* a hair below, far under one unit, so rounding never cuts the
		 * plan off */
		glp_set_row_bnds(P, r, GLP_LO, w->tval[t] / w->unit[t] - 1e-6, 0.0);
		if (nt == 1)
			snprintf(name, sizeof name, "priority");
		else
			snprintf(name, sizeof name, "priority_tier%d", t + 1);
		glp_set_row_name(P, r, name);
	}
	return 0;
}

static int write_named(const ewc__mip *m, work *w, char *err, size_t errlen)
{
	set_names(m, w->P, w->job_row, w->pool_row);
	glp_set_obj_name(w->P, "objective");
	return ewc__write_lp(m, w->P, err, errlen);
}

/* Everything that can longjmp lives here; `w` is owned by the caller. */
/* The direct model's phases 2 and 3, from phase 1's plan in res (the most
 * priority, ewc__phase1()). */
typedef struct direct {
	ewc__mip_result *res;
	int all_placeable;
	int proven1;
	double cover_bound;   /* ewc__cover()'s bound, or -HUGE_VAL */
} direct;

static int solve_guarded(const ewc__mip *m, direct *d, work *w, char *err, size_t errlen)
{
	ewc__mip_result *res = d->res;
	glp_prob *P;
	double started = ewc__now_s();
	double deadline = started + (m->time_limit > 0 ? m->time_limit : 1e9);
	double bound = 0;
	int proven1 = d->proven1, proven2 = 1, all_placeable = d->all_placeable, rc;

	rc = build(m, w, err, errlen);
	if (rc)
		return rc;
	P = w->P;

	/* Phase 2: the least objective at that priority. */
	if (set_phase2(m, w, all_placeable, res->choice) != 0) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	if (m->write_lp) {
		rc = write_named(m, w, err, errlen);
		if (rc)
			return rc;
	}
	/* A bound that needs no solver: with every job placed, each pays at
	 * least its cheapest option; costs are never negative. */
	if (all_placeable)
		for (size_t j = 0; j < m->njobs; j++) {
			double lo = DBL_MAX;
			for (size_t o = w->first[j]; o < w->first[j + 1]; o++)
				lo = fmin(lo, m->opt_obj[o]);
			if (lo < DBL_MAX)
				bound += lo;
		}
	if (m->nopts) {
		double b2;
		int nofeas = 0;
		proven2 = ewc__run_phase(m, P, 1, deadline, res->choice, w->x, &b2,
		                    ewc__sides_hold(m, res->choice), &nofeas);
		res->phases++;
		if (b2 > bound)
			bound = b2;
		if (d->cover_bound > bound)
			bound = d->cover_bound;
		/* what the search left to move or swap, keeping every tier */
		if (!all_placeable && !m->nside && ewc__sides_hold(m, res->choice) &&
		    ewc__improve(m, w->first, res->choice, fmax(deadline, ewc__now_s() + 0.05)) != 0) {
			snprintf(err, errlen, "out of memory");
			return EWC_ENOMEM;
		}
		res->infeasible_proven = nofeas;
	}
	res->feasible = ewc__sides_hold(m, res->choice);
	if (!res->feasible) {
		res->objective = ewc__mip_sum(m, res->choice, m->opt_obj, 0);
		res->bound = bound;
		res->proven = 0;
		return 0;
	}
	res->infeasible_proven = 0;
	res->objective = ewc__mip_sum(m, res->choice, m->opt_obj, 0);
	if (bound > res->objective)
		bound = res->objective;
	res->bound = bound;
	res->proven = proven1 && proven2;

	/* Phase 3: the tie-break among plans within a hair of that objective.
	 * It starts from the plan in hand and may only improve it, so it gets
	 * no more time than the phases before it took (at least a second). */
	if (m->opt_obj2 && m->nopts) {
		double b3, lim = res->objective + 1e-9 * fmax(1.0, fabs(res->objective));
		double t = ewc__now_s(), until = fmin(deadline, t + fmax(1.0, t - started));
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
		if (res->bound > res->objective)
			res->bound = res->objective;
	}
	return 0;
}

static int solve_fn(const ewc__mip *m, void *arg, work *w, char *err, size_t errlen)
{
	return solve_guarded(m, arg, w, err, errlen);
}

/* The phase whose model ewc__mip_write() writes. */
typedef struct phase2 {
	int all_placeable;
	const int *choice;
} phase2;

/* Only builds and writes: the decomposition's --write-lp. */
static int write_fn(const ewc__mip *m, void *arg, work *w, char *err, size_t errlen)
{
	const phase2 *ph = arg;
	int rc = build(m, w, err, errlen);

	if (rc)
		return rc;
	if (set_phase2(m, w, ph->all_placeable, ph->choice) != 0) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	return write_named(m, w, err, errlen);
}

/* One model-building call of this file, under the guard. */
typedef struct guarded {
	int (*fn)(const ewc__mip *, void *, work *, char *, size_t);
	const ewc__mip *m;
	void *arg;
	work w;
} guarded;

static int guarded_fn(void *arg, char *err, size_t errlen)
{
	guarded *g = arg;
	int rc = g->fn(g->m, g->arg, &g->w, err, errlen);

	if (g->w.P)
		glp_delete_prob(g->w.P);
	g->w.P = NULL;
	return rc;
}

static int with_glpk(int (*fn)(const ewc__mip *, void *, work *, char *, size_t),
                     const ewc__mip *m, void *arg, char *err, size_t errlen)
{
	guarded g = { fn, m, arg, { 0 } };
	int rc;

	if (work_init(&g.w, m) != 0) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	rc = ewc__glpk_run(guarded_fn, &g, err, errlen);
	work_free(&g.w);
	return rc;
}

/* Whether plan b fits every pool and places, tier by tier, at least the
 * priority that plan a places. -1 when out of memory. */
static int keeps_tiers(const ewc__mip *m, const size_t *first, const int *a, const int *b)
{
	size_t nj = m->njobs ? m->njobs : 1;
	int *tier = malloc(nj * sizeof *tier), nt, ok = -1;
	double *unit = malloc(nj * sizeof *unit), *sa = malloc(nj * sizeof *sa),
	       *sb = malloc(nj * sizeof *sb);
	long *use = calloc(m->npools ? m->npools : 1, sizeof *use);

	if (!tier || !unit || !sa || !sb || !use || (nt = ewc__tiers(m, first, tier, unit)) < 0)
		goto out;
	ewc__tier_sums(m, tier, unit, nt, a, sa);
	ewc__tier_sums(m, tier, unit, nt, b, sb);
	ok = ewc__tier_cmp(sb, sa, nt) >= 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (b[j] >= 0)
			use[m->opt_pool[b[j]]] += m->opt_gpus[b[j]];
	for (size_t p = 0; p < m->npools; p++)
		ok &= use[p] <= m->pool_cap[p];
out:
	free(tier);
	free(unit);
	free(sa);
	free(sb);
	free(use);
	return ok;
}

/* ewc__support_mip()'s arguments. */
typedef struct support {
	int *choice;
	double deadline;
	int all_placeable;
	int out_of_memory;
} support;

/* Phase 2 on the columns its LP relaxation uses and the plan in hand uses,
 * the others fixed at 0. Under shortage that LP is tight (0.01 % under
 * the optimum on shortage.py's national 300/0.9 at CBC's priority), but
 * GLPK's search on the whole model finds no packing at the priority in
 * 10 s, and rounding the LP loses priority (its fractional jobs are the
 * ones that meet the priority row). On the few hundred columns left the
 * search, from the plan in hand, often finds a packing near the LP's: at
 * CBC's priority glpsol proves the best of them (0.3 % above CBC's
 * optimum) in 0.4 s. Its bound is not one for the whole and is dropped. */
static int support_fn(const ewc__mip *m, void *arg, work *w, char *err, size_t errlen)
{
	support *a = arg;
	glp_prob *P;
	glp_smcp sm;
	glp_iocp io;
	cbdata cb = { 0 };
	int rc, st;

	rc = build(m, w, err, errlen);
	if (rc)
		return rc;
	P = w->P;
	if (set_phase2(m, w, a->all_placeable, a->choice) != 0) {
		a->out_of_memory = 1;
		return 0;
	}
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.tm_lim = ewc__ms_left(a->deadline);
	if (glp_simplex(P, &sm) != 0 || glp_get_status(P) != GLP_OPT)
		return 0;
	choice_to_x(m, a->choice, w->x);
	for (size_t o = 0; o < m->nopts; o++)
		if (w->x[o + 1] < 0.5 && glp_get_col_prim(P, (int)o + 1) <= 1e-9 &&
		    glp_get_col_type(P, (int)o + 1) != GLP_FX)
			glp_set_col_bnds(P, (int)o + 1, GLP_FX, 0.0, 0.0);
	cb.start = w->x;
	cb.minimize = 1;
	glp_init_iocp(&io);
	io.msg_lev = GLP_MSG_OFF;
	io.presolve = GLP_OFF;
	io.mip_gap = m->mip_gap;
	io.tm_lim = ewc__ms_left(a->deadline);
	io.cb_func = callback;
	io.cb_info = &cb;
	/* all four cuts and Driebeck-Tomlin branching: on the 300-job
	 * national list at priority 704 the support's 543 columns gave a plan
	 * within 0.34 % of the LP in 1.1 s this way, none in 3 s with
	 * pseudocosts or with any one family of cuts alone */
	io.gmi_cuts = GLP_ON;
	io.mir_cuts = GLP_ON;
	io.cov_cuts = GLP_ON;
	io.clq_cuts = GLP_ON;
	io.br_tech = GLP_BR_DTH;
	io.bt_tech = GLP_BT_BLB;
	(void)glp_intopt(P, &io);
	st = glp_mip_status(P);
	if (st == GLP_OPT || st == GLP_FEAS) {
		int *trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial), ok;
		if (!trial) {
			a->out_of_memory = 1;
			return 0;
		}
		for (size_t j = 0; j < m->njobs; j++)
			trial[j] = -1;
		for (size_t o = 0; o < m->nopts; o++)
			if (glp_mip_col_val(P, (int)o + 1) > 0.5)
				trial[m->opt_job[o]] = (int)o;
		/* in exact arithmetic: it fits, keeps every tier, costs less */
		double v = ewc__mip_sum(m, trial, m->opt_obj, 0),
		       v0 = ewc__mip_sum(m, a->choice, m->opt_obj, 0);
		ok = keeps_tiers(m, w->first, a->choice, trial);
		if (ok < 0)
			a->out_of_memory = 1;
		else if (ok && v < v0 - 1e-9 * fmax(1.0, v0) && ewc__sides_hold(m, trial))
			memcpy(a->choice, trial, m->njobs * sizeof *trial);
		free(trial);
	}
	return 0;
}

int ewc__support_mip(const ewc__mip *m, int all_placeable, int *choice, double deadline)
{
	support a = { choice, deadline, all_placeable, 0 };
	char err[128];

	/* GLPK looks at its clock between nodes, not inside a round of cuts,
	 * and the cuts are what make this work: not without time for them */
	if (m->quick || deadline - ewc__now_s() < SUPPORT_MIN_S)
		return 0;
	/* a failure inside GLPK leaves the plan as it was */
	if (with_glpk(support_fn, m, &a, err, sizeof err) == EWC_ENOMEM || a.out_of_memory)
		return -1;
	return 0;
}

int ewc__mip_write(const ewc__mip *m, int all_placeable, const int *choice, char *err,
                   size_t errlen)
{
	phase2 ph = { all_placeable, choice };

	return with_glpk(write_fn, m, &ph, err, errlen);
}

int ewc__mip_direct(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	double deadline = ewc__now_s() + (m->time_limit > 0 ? m->time_limit : 1e9);
	direct d = { res, 0, 1, -HUGE_VAL };
	ewc__mip m2 = *m;
	size_t *first;
	int rc;

	res->objective = 0;
	res->bound = 0;
	res->priority = 0;
	res->proven = 1;
	res->phases = 0;
	res->feasible = 1;
	res->infeasible_proven = 0;
	first = ewc__mip_first(m);
	if (!first) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	/* phase 1 at most half the time: the objective phase must get its turn;
	 * the direct model reports no progress */
	m2.progress = NULL;
	rc = ewc__phase1_search(&m2, first, ewc__now_s() + (deadline - ewc__now_s()) / 2, res,
	                 &d.all_placeable, &d.proven1, err, errlen);
	/* short of capacity, and no side rows: the knapsack's bound, and its
	 * plan, in a quarter of the time left; then the neighbourhoods of one
	 * and two pools (lns.c) until a fifth is left, and phase 2 on its
	 * LP's support until a tenth is left for the whole model */
	if (rc == 0 && !d.all_placeable && !m->nside && m->nopts &&
	    (ewc__cover(m, first, res->choice, ewc__now_s() + (deadline - ewc__now_s()) / 4,
	                &d.cover_bound) != 0 ||
	     ewc__lns(m, first, res->choice, deadline - (deadline - ewc__now_s()) / 5) != 0 ||
	     ewc__support_mip(m, 0, res->choice, deadline - (deadline - ewc__now_s()) / 10) != 0 ||
	     ewc__improve(m, first, res->choice,
	                  ewc__now_s() + (deadline - ewc__now_s()) / 10) != 0)) {
		snprintf(err, errlen, "out of memory");
		rc = EWC_ENOMEM;
	}
	free(first);
	if (rc)
		return rc;
	m2.time_limit = fmax(0.01, deadline - ewc__now_s());
	return with_glpk(solve_fn, &m2, &d, err, errlen);
}

/* The LP of ewc__mip_duals(). */
typedef struct duals {
	const int *choice;
	double *pool_dual;
	double *side_dual;
	double *lp_obj;
} duals;

static int duals_fn(const ewc__mip *m, void *arg, work *w, char *err, size_t errlen)
{
	duals *d = arg;
	glp_prob *P = w->P = glp_create_prob();
	glp_smcp sm;
	int *col = malloc((m->nopts ? m->nopts : 1) * sizeof *col);
	int ncols = 0, rc = 0;

	if (!col) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	glp_set_obj_dir(P, GLP_MIN);
	/* the options of the placed jobs only, each a continuous share */
	for (size_t o = 0; o < m->nopts; o++) {
		col[o] = 0;
		if (d->choice[m->opt_job[o]] < 0)
			continue;
		col[o] = ++ncols;
		glp_add_cols(P, 1);
		glp_set_col_bnds(P, ncols, GLP_LO, 0.0, 0.0);
		glp_set_obj_coef(P, ncols, m->opt_obj[o]);
	}
	for (size_t j = 0; j < m->njobs; j++) {
		int len = 0;
		if (d->choice[j] < 0)
			continue;
		for (size_t o = w->first[j]; o < w->first[j + 1]; o++) {
			w->ind[++len] = col[o];
			w->val[len] = 1.0;
		}
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_FX, 1.0, 1.0);
	}
	for (size_t p = 0; p < m->npools; p++) {
		int len = 0;
		for (size_t o = 0; o < m->nopts; o++)
			if (col[o] && (size_t)m->opt_pool[o] == p) {
				w->ind[++len] = col[o];
				w->val[len] = (double)m->opt_gpus[o];
			}
		w->pool_row[p] = 0;
		if (!len)
			continue;
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, (double)m->pool_cap[p]);
		w->pool_row[p] = r;
	}
	for (size_t k = 0; k < m->nside; k++) {
		int len = 0;
		for (size_t o = 0; o < m->nopts; o++)
			if (col[o] && m->side[k].coef[o] != 0) {
				w->ind[++len] = col[o];
				w->val[len] = m->side[k].coef[o];
			}
		int r = glp_add_rows(P, 1);
		glp_set_mat_row(P, r, len, w->ind, w->val);
		ewc__side_bounds(P, r, &m->side[k]);
		w->side_row[k] = r;
	}
	/* The plan itself is a basis, and a feasible one: each placed job's
	 * chosen column in place of its row, every capacity and side row's
	 * slack. The basis matrix is triangular. The simplex then starts at
	 * the plan instead of at zero, which is minutes faster on 10,000 jobs. */
	for (int r = 1; r <= glp_get_num_rows(P); r++)
		glp_set_row_stat(P, r, GLP_BS);
	for (size_t o = 0; o < m->nopts; o++)
		if (col[o])
			glp_set_col_stat(P, col[o], GLP_NL);
	{
		int r = 0;
		for (size_t j = 0; j < m->njobs; j++)
			if (d->choice[j] >= 0) {
				glp_set_row_stat(P, ++r, GLP_NS);
				glp_set_col_stat(P, col[d->choice[j]], GLP_BS);
			}
	}
	free(col);
	glp_init_smcp(&sm);
	sm.msg_lev = GLP_MSG_OFF;
	sm.presolve = GLP_OFF; /* duals of every row, as built */
	sm.tm_lim = ewc__ms_left(ewc__now_s() + (m->time_limit > 0 ? m->time_limit : 1e9));
	if (glp_get_num_cols(P) == 0) {
		*d->lp_obj = 0;
	} else if ((glp_simplex(P, &sm) != 0 && (glp_std_basis(P), glp_simplex(P, &sm) != 0)) ||
	           glp_get_status(P) != GLP_OPT) {
		snprintf(err, errlen, "the LP of the plan with its placed jobs fixed did not solve "
		         "to optimality within the time limit");
		rc = EWC_ESOLVER;
	} else {
		*d->lp_obj = glp_get_obj_val(P);
	}
	for (size_t p = 0; p < m->npools; p++)
		d->pool_dual[p] = !rc && w->pool_row[p] && glp_get_num_cols(P)
		                  ? glp_get_row_dual(P, w->pool_row[p]) : 0;
	for (size_t k = 0; k < m->nside; k++)
		d->side_dual[k] = !rc && glp_get_num_cols(P) ? glp_get_row_dual(P, w->side_row[k]) : 0;
	return rc;
}

int ewc__mip_duals(const ewc__mip *m, const int *choice, double *pool_dual,
                   double *side_dual, double *lp_obj, char *err, size_t errlen)
{
	duals d = { choice, pool_dual, side_dual, lp_obj };

	return with_glpk(duals_fn, m, &d, err, errlen);
}
