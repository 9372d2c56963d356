/* mip.c - the placement model on GLPK: phases, warm starts, proven bounds */
/* SPDX-License-Identifier: MIT */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glpk.h>

#include "ewc.h"
#include "solver.h"

/* GLPK reports internal errors by calling the error hook and then abort():
 * the hook jumps back here instead. Everything GLPK allocated in this
 * thread is then released with glp_free_env(). */
typedef struct guard {
	jmp_buf jb;
	char said[512];  /* GLPK's last terminal output: its error's text */
} guard;

static void on_glpk_error(void *info)
{
	longjmp(((guard *)info)->jb, 1);
}

/* Swallow all terminal output, keeping the tail for an error message. */
static int glpk_quiet(void *info, const char *s)
{
	guard *g = info;
	size_t have = strlen(g->said), n = strlen(s);

	if (n >= sizeof g->said)
		s += n - (sizeof g->said - 1), n = sizeof g->said - 1;
	if (have + n >= sizeof g->said) { /* keep the newest text */
		size_t drop = have + n - (sizeof g->said - 1);
		memmove(g->said, g->said + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(g->said + have, s, n + 1);
	return 1;
}

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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ms_left(double deadline)
{
	double left = deadline - now_s();
	if (left <= 0.001)
		return 1;
	if (left > 2e6)
		return 2000000000;
	return (int)(left * 1000.0);
}

/* Greedy starts: jobs in some order, each on its cheapest option with room.
 * Feasible by construction. Orders tried: by priority then size (large
 * first); by priority then fewest options (most constrained first); by
 * priority then regret (what the job loses if its cheapest option is gone). */
typedef struct order_item {
	double priority;
	double key;       /* secondary key, larger first */
	long gpus;
	int job;
} order_item;

static int cmp_order(const void *a, const void *b)
{
	const order_item *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	if (x->gpus != y->gpus)
		return x->gpus > y->gpus ? -1 : 1;
	return x->job - y->job;
}

/* Whether side row s only packs: sum coef x <= hi with no coef below 0.
 * The greedy plans keep within such rows; others are left to the MIP. */
static int side_packs(const ewc__mip *m, const ewc__side *s)
{
	if (s->lo > -HUGE_VAL)
		return 0;
	for (size_t o = 0; o < m->nopts; o++)
		if (s->coef[o] < 0)
			return 0;
	return 1;
}

static void greedy_fill(const ewc__mip *m, const size_t *first, const order_item *ord,
                        long *left, double *side_used, const unsigned char *packs,
                        int *choice)
{
	memcpy(left, m->pool_cap, m->npools * sizeof *left);
	for (size_t s = 0; s < m->nside; s++)
		side_used[s] = 0;
	for (size_t j = 0; j < m->njobs; j++)
		choice[j] = -1;
	for (size_t k = 0; k < m->njobs; k++) {
		int j = ord[k].job;
		int best = -1;
		for (size_t o = first[j]; o < first[j + 1]; o++) {
			int fits = left[m->opt_pool[o]] >= m->job_gpus[j];
			for (size_t s = 0; fits && s < m->nside; s++)
				if (packs[s] && m->side[s].coef[o] > 0)
					fits = side_used[s] + m->side[s].coef[o] <=
					       m->side[s].hi + 1e-9 * fmax(1.0, fabs(m->side[s].hi));
			if (fits && (best < 0 || m->opt_obj[o] < m->opt_obj[best]))
				best = (int)o;
		}
		if (best >= 0) {
			choice[j] = best;
			left[m->opt_pool[best]] -= m->job_gpus[j];
			for (size_t s = 0; s < m->nside; s++)
				side_used[s] += m->side[s].coef[best];
		}
	}
}

int ewc__side_holds(const ewc__mip *m, const ewc__side *s, const int *choice)
{
	double v = 0, scale = 0;

	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0) {
			v += s->coef[choice[j]];
			scale += fabs(s->coef[choice[j]]);
		}
	/* a relative tolerance: rows of kg or kWh sum many large terms */
	double tol = 1e-7 * fmax(1.0, fmax(scale, fmax(fabs(s->lo < -1e300 ? 0 : s->lo),
	                                              fabs(s->hi > 1e300 ? 0 : s->hi))));
	return v >= s->lo - tol && v <= s->hi + tol;
}

static int sides_hold(const ewc__mip *m, const int *choice)
{
	for (size_t s = 0; s < m->nside; s++)
		if (!ewc__side_holds(m, &m->side[s], choice))
			return 0;
	return 1;
}

static int greedy(const ewc__mip *m, const size_t *first, int *choice)
{
	order_item *ord = malloc((m->njobs ? m->njobs : 1) * sizeof *ord);
	long *left = malloc((m->npools ? m->npools : 1) * sizeof *left);
	int *trial = malloc((m->njobs ? m->njobs : 1) * sizeof *trial);
	double *side_used = malloc((m->nside ? m->nside : 1) * sizeof *side_used);
	unsigned char *packs = malloc(m->nside ? m->nside : 1);
	double best_p = -1, best_obj = 0;

	if (!ord || !left || !trial || !side_used || !packs) {
		free(ord);
		free(left);
		free(trial);
		free(side_used);
		free(packs);
		return -1;
	}
	for (size_t s = 0; s < m->nside; s++)
		packs[s] = (unsigned char)side_packs(m, &m->side[s]);
	for (int variant = 0; variant < 3; variant++) {
		for (size_t j = 0; j < m->njobs; j++) {
			size_t n = first[j + 1] - first[j];
			double lo = INFINITY, lo2 = INFINITY;
			ord[j].priority = m->job_priority[j];
			ord[j].gpus = m->job_gpus[j];
			ord[j].job = (int)j;
			if (variant == 0) {
				ord[j].key = (double)m->job_gpus[j];
			} else if (variant == 1) {
				ord[j].key = -(double)n;
			} else {
				for (size_t o = first[j]; o < first[j + 1]; o++) {
					if (m->opt_obj[o] < lo) {
						lo2 = lo;
						lo = m->opt_obj[o];
					} else if (m->opt_obj[o] < lo2) {
						lo2 = m->opt_obj[o];
					}
				}
				/* a job with one option loses everything without it */
				ord[j].key = n == 0 ? 0 : (n == 1 ? HUGE_VAL : lo2 - lo);
			}
		}
		qsort(ord, m->njobs, sizeof *ord, cmp_order);
		greedy_fill(m, first, ord, left, side_used, packs, trial);
		double p = ewc__mip_sum(m, trial, NULL, 1);
		double obj = ewc__mip_sum(m, trial, m->opt_obj, 0);
		if (p > best_p + 1e-9 || (fabs(p - best_p) <= 1e-9 && obj < best_obj)) {
			best_p = p;
			best_obj = obj;
			memcpy(choice, trial, m->njobs * sizeof *choice);
		}
	}
	free(ord);
	free(left);
	free(trial);
	free(side_used);
	free(packs);
	return 0;
}

static void choice_to_x(const ewc__mip *m, const int *choice, double *x)
{
	for (size_t o = 0; o < m->nopts; o++)
		x[o + 1] = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			x[choice[j] + 1] = 1;
}

double ewc__mip_sum(const ewc__mip *m, const int *choice, const double *per_opt,
                    int by_priority)
{
	double s = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0)
			s += by_priority ? m->job_priority[j] : per_opt[choice[j]];
	return s;
}

size_t *ewc__mip_first(const ewc__mip *m)
{
	size_t *first = calloc(m->njobs + 1, sizeof *first);

	if (!first)
		return NULL;
	/* options come grouped by job */
	for (size_t o = 0; o < m->nopts; o++)
		first[m->opt_job[o] + 1]++;
	for (size_t j = 0; j < m->njobs; j++)
		first[j + 1] += first[j];
	return first;
}

int ewc__mip_initial(const ewc__mip *m, const size_t *first, int *choice, double *pmax)
{
	double pg, ps;

	if (greedy(m, first, choice) != 0)
		return -1;
	*pmax = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (first[j + 1] > first[j])
			*pmax += m->job_priority[j];
	if (!m->start)
		return 0;
	pg = ewc__mip_sum(m, choice, NULL, 1);
	ps = ewc__mip_sum(m, m->start, NULL, 1);
	if (ps > pg + 1e-9) {
		memcpy(choice, m->start, m->njobs * sizeof *choice);
	} else if (ps > pg - 1e-9) {
		/* as much priority: a plan that meets the side rows first */
		int hs = sides_hold(m, m->start), hg = sides_hold(m, choice);
		if (hs > hg || (hs == hg && ewc__mip_sum(m, m->start, m->opt_obj, 0) <
		                                ewc__mip_sum(m, choice, m->opt_obj, 0)))
			memcpy(choice, m->start, m->njobs * sizeof *choice);
	}
	return 0;
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

/* Run one MIP on P from a feasible start. Fills choice from the best plan
 * GLPK found, or leaves it when GLPK found none better. Returns 1 when the
 * phase ended proven (tree exhausted or gap reached), 0 when stopped by the
 * time limit. */
static int run_phase(const ewc__mip *m, glp_prob *P, int minimize, double deadline,
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
	sm.tm_lim = ms_left(deadline);
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
	io.tm_lim = ms_left(deadline);
	io.cb_func = callback;
	io.cb_info = &cb;
	io.cov_cuts = m->quick ? GLP_OFF : GLP_ON;
	io.mir_cuts = m->quick ? GLP_OFF : GLP_ON;
	io.br_tech = GLP_BR_PCH;
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
static int write_lp(const ewc__mip *m, glp_prob *P, char *err, size_t errlen)
{
	size_t n = strlen(m->write_lp);
	char *tmp = malloc(n + 16);
	int rc = 0;

	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	snprintf(tmp, n + 16, "%s.tmp%05d", m->write_lp, (int)(now_s() * 1000) % 100000);
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
	if (!w->first || !w->job_row || !w->pool_row || !w->side_row || !w->x || !w->ind || !w->val) {
		work_free(w);
		return -1;
	}
	return 0;
}

static void side_bounds(glp_prob *P, int r, const ewc__side *sd)
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
	demand = calloc(m->npools ? m->npools : 1, sizeof *demand);
	/* options bucketed by pool (a counting sort), so that building every
	 * capacity row costs O(options), not O(pools x options) */
	pstart = calloc(m->npools + 1, sizeof *pstart);
	by_pool = malloc((m->nopts ? m->nopts : 1) * sizeof *by_pool);
	if (!demand || !pstart || !by_pool) {
		free(demand);
		free(pstart);
		free(by_pool);
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	for (size_t o = 0; o < m->nopts; o++) {
		demand[m->opt_pool[o]] += m->job_gpus[m->opt_job[o]];
		pstart[m->opt_pool[o] + 1]++;
	}
	for (size_t p = 0; p < m->npools; p++)
		pstart[p + 1] += pstart[p];
	for (size_t o = 0, *fill = pstart; o < m->nopts; o++)
		by_pool[fill[m->opt_pool[o]]++] = (int)o;
	/* the fill pass moved each start to the next pool's: shift back */
	for (size_t p = m->npools; p > 0; p--)
		pstart[p] = pstart[p - 1];
	pstart[0] = 0;
	for (size_t p = 0; p < m->npools; p++) {
		if (demand[p] <= m->pool_cap[p])
			continue;
		int r = glp_add_rows(P, 1);
		int len = 0;
		for (size_t k = pstart[p]; k < pstart[p + 1]; k++) {
			int o = by_pool[k];
			w->ind[++len] = o + 1;
			w->val[len] = (double)m->job_gpus[m->opt_job[o]];
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
		side_bounds(P, r, sd);
		snprintf(name, sizeof name, "side%zu", k + 1);
		glp_set_row_name(P, r, name);
		w->side_row[k] = r;
	}
	return 0;
}

/* Turn the model into phase 2's: the objective to minimise and either
 * "every job with an option placed" (a job row fixed at 1, or a lone
 * option's column) or a priority row that keeps phase 1's total. */
static void set_phase2(const ewc__mip *m, work *w, int all_placeable, double pstar)
{
	glp_prob *P = w->P;

	glp_set_obj_dir(P, GLP_MIN);
	for (size_t o = 0; o < m->nopts; o++)
		glp_set_obj_coef(P, (int)o + 1, m->opt_obj[o]);
	for (size_t k = 0; k < m->nside; k++)
		side_bounds(P, w->side_row[k], &m->side[k]);
	if (all_placeable) {
		for (size_t j = 0; j < m->njobs; j++) {
			size_t k = w->first[j + 1] - w->first[j];
			if (k >= 2)
				glp_set_row_bnds(P, w->job_row[j], GLP_FX, 1.0, 1.0);
			else if (k == 1)
				glp_set_col_bnds(P, (int)w->first[j] + 1, GLP_FX, 1.0, 1.0);
		}
	} else if (m->nopts) {
		int r = glp_add_rows(P, 1);
		for (size_t o = 0; o < m->nopts; o++) {
			w->ind[o + 1] = (int)o + 1;
			w->val[o + 1] = m->job_priority[m->opt_job[o]];
		}
		glp_set_mat_row(P, r, (int)m->nopts, w->ind, w->val);
		/* a hair below the total, so rounding never cuts the plan off */
		glp_set_row_bnds(P, r, GLP_LO, pstar - 1e-7 * fmax(1.0, fabs(pstar)), 0.0);
		glp_set_row_name(P, r, "priority");
	}
}

static int write_named(const ewc__mip *m, work *w, char *err, size_t errlen)
{
	set_names(m, w->P, w->job_row, w->pool_row);
	glp_set_obj_name(w->P, "objective");
	return write_lp(m, w->P, err, errlen);
}

/* Everything that can longjmp lives here; `w` is owned by the caller. */
static int solve_guarded(const ewc__mip *m, ewc__mip_result *res, work *w, char *err,
                         size_t errlen)
{
	glp_prob *P;
	double started = now_s();
	double deadline = started + (m->time_limit > 0 ? m->time_limit : 1e9);
	double pmax, pstar, bound = 0;
	int proven1 = 1, proven2 = 1, all_placeable, rc;

	rc = build(m, w, err, errlen);
	if (rc)
		return rc;
	P = w->P;
	/* Phase 1: the most priority that fits. A starting plan that places
	 * every job with an option proves it without a MIP. */
	if (ewc__mip_initial(m, w->first, res->choice, &pmax) != 0) {
		snprintf(err, errlen, "out of memory");
		return EWC_ENOMEM;
	}
	if (m->keep_priority && m->start)
		memcpy(res->choice, m->start, m->njobs * sizeof *res->choice);
	pstar = ewc__mip_sum(m, res->choice, NULL, 1);
	all_placeable = pstar >= pmax;
	if (!all_placeable && m->nopts && !(m->keep_priority && m->start)) {
		double b1;
		glp_set_obj_dir(P, GLP_MAX);
		for (size_t o = 0; o < m->nopts; o++)
			glp_set_obj_coef(P, (int)o + 1, m->job_priority[m->opt_job[o]]);
		/* the rows that hold only at the priority found without them */
		for (size_t k = 0; k < m->nside; k++)
			if (!m->side[k].in_phase1)
				glp_set_row_bnds(P, w->side_row[k], GLP_FR, 0.0, 0.0);
		/* at most half the time: the objective phase must get its turn */
		double mid = now_s() + (deadline - now_s()) / 2;
		proven1 = run_phase(m, P, 0, mid, res->choice, w->x, &b1, 1, NULL);
		res->phases++;
		pstar = ewc__mip_sum(m, res->choice, NULL, 1);
		if (pstar >= pmax) {
			all_placeable = 1;
			proven1 = 1;
		}
	}
	res->priority = pstar;

	/* Phase 2: the least objective at that priority. */
	set_phase2(m, w, all_placeable, pstar);
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
		proven2 = run_phase(m, P, 1, deadline, res->choice, w->x, &b2,
		                    sides_hold(m, res->choice), &nofeas);
		res->phases++;
		if (b2 > bound)
			bound = b2;
		res->infeasible_proven = nofeas;
	}
	res->feasible = sides_hold(m, res->choice);
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
		double t = now_s(), until = fmin(deadline, t + fmax(1.0, t - started));
		int r = glp_add_rows(P, 1);
		for (size_t o = 0; o < m->nopts; o++) {
			w->ind[o + 1] = (int)o + 1;
			w->val[o + 1] = m->opt_obj[o];
			glp_set_obj_coef(P, (int)o + 1, m->opt_obj2[o]);
		}
		glp_set_mat_row(P, r, (int)m->nopts, w->ind, w->val);
		glp_set_row_bnds(P, r, GLP_UP, 0.0, lim);
		run_phase(m, P, 1, until, res->choice, w->x, &b3, 1, NULL);
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
	double pstar;
} phase2;

/* Only builds and writes: the decomposition's --write-lp. */
static int write_fn(const ewc__mip *m, void *arg, work *w, char *err, size_t errlen)
{
	const phase2 *ph = arg;
	int rc = build(m, w, err, errlen);

	if (rc)
		return rc;
	set_phase2(m, w, ph->all_placeable, ph->pstar);
	return write_named(m, w, err, errlen);
}

int ewc__glpk_run(int (*fn)(void *arg, char *err, size_t errlen), void *arg, char *err,
                  size_t errlen)
{
	guard g;
	int rc, used_before;
	int count = 0, cpeak = 0;
	size_t total = 0, tpeak = 0;

	/* GLPK keeps one environment per thread. If this thread has no GLPK
	 * objects of its own, free the environment afterwards so nothing stays
	 * allocated between calls. */
	glp_mem_usage(&count, &cpeak, &total, &tpeak);
	used_before = count > 0;
	g.said[0] = '\0';
	glp_term_hook(glpk_quiet, &g);
	glp_error_hook(on_glpk_error, &g);
	if (setjmp(g.jb) == 0) {
		rc = fn(arg, err, errlen);
		glp_error_hook(NULL, NULL);
		glp_term_hook(NULL, NULL);
		if (!used_before)
			glp_free_env();
	} else {
		/* GLPK prints the reason, then "Error detected in file ...": keep
		 * the reason's last line */
		char *at = strstr(g.said, "Error detected"), *line;
		if (at)
			*at = '\0';
		while ((at = strrchr(g.said, '\n')) != NULL && at[1] == '\0')
			*at = '\0';
		line = strrchr(g.said, '\n');
		line = line ? line + 1 : g.said;
		glp_term_hook(NULL, NULL);
		if (strstr(line, "no memory")) {
			rc = EWC_ENOMEM;
			snprintf(err, errlen, "out of memory in GLPK (%s): place fewer jobs at once, "
			         "use --solver decompose, or give it more memory", line);
		} else {
			rc = EWC_ESOLVER;
			snprintf(err, errlen, "GLPK stopped with an internal error%s%s%s",
			         *line ? " (" : "", line, *line ? ")" : "");
		}
		/* after an error GLPK's state is undefined: drop all of it */
		glp_free_env();
	}
	return rc;
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

int ewc__mip_write(const ewc__mip *m, int all_placeable, double pstar, char *err,
                   size_t errlen)
{
	phase2 ph = { all_placeable, pstar };

	return with_glpk(write_fn, m, &ph, err, errlen);
}

int ewc__mip_direct(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	res->objective = 0;
	res->bound = 0;
	res->priority = 0;
	res->proven = 1;
	res->phases = 0;
	res->feasible = 1;
	res->infeasible_proven = 0;
	return with_glpk(solve_fn, m, res, err, errlen);
}

int ewc__mip_solve(const ewc__mip *m, ewc__mip_result *res, char *err, size_t errlen)
{
	if (m->nside && !m->sides_bind) {
		/* Without the side rows first: when that plan meets them all, none
		 * binds, and the plan and its bound hold with them too (the rows
		 * only remove plans). Otherwise, the direct model. */
		ewc__mip free = *m, sided = *m;
		double t0 = now_s();
		int rc;
		free.side = NULL;
		free.nside = 0;
		rc = ewc__mip_solve(&free, res, err, errlen);
		if (rc)
			return rc;
		if (sides_hold(m, res->choice)) {
			res->feasible = 1;
			return 0;
		}
		sided.sides_bind = 1;
		/* the time left of the whole limit */
		sided.time_limit = fmax(0.01, m->time_limit - (now_s() - t0));
		return ewc__mip_direct(&sided, res, err, errlen);
	}
	if (m->nside)
		return ewc__mip_direct(m, res, err, errlen);
	if (m->method == EWC__SOLVE_DECOMPOSE ||
	    (m->method == EWC__SOLVE_AUTO && m->nopts > EWC__DIRECT_MAX_OPTS))
		return ewc__mip_decompose(m, res, err, errlen);
	return ewc__mip_direct(m, res, err, errlen);
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
				w->val[len] = (double)m->job_gpus[m->opt_job[o]];
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
		side_bounds(P, r, &m->side[k]);
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
	sm.tm_lim = ms_left(now_s() + (m->time_limit > 0 ? m->time_limit : 1e9));
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
