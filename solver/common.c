/* common.c - what both solvers share: the greedy plans they start from, the clock */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "solver.h"

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
			int fits = left[m->opt_pool[o]] >= m->opt_gpus[o];
			for (size_t s = 0; fits && s < m->nside; s++)
				if (packs[s] && m->side[s].coef[o] > 0)
					fits = side_used[s] + m->side[s].coef[o] <=
					       m->side[s].hi + 1e-9 * fmax(1.0, fabs(m->side[s].hi));
			if (fits && (best < 0 || m->opt_obj[o] < m->opt_obj[best]))
				best = (int)o;
		}
		if (best >= 0) {
			choice[j] = best;
			left[m->opt_pool[best]] -= m->opt_gpus[best];
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

int ewc__sides_hold(const ewc__mip *m, const int *choice)
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

void ewc__pool_demand(const ewc__mip *m, long *demand)
{
	for (size_t p = 0; p < m->npools; p++)
		demand[p] = 0;
	for (size_t o = 0; o < m->nopts; o++)
		demand[m->opt_pool[o]] += m->opt_gpus[o];
}

void ewc__opts_by_pool(const ewc__mip *m, size_t *pstart, int *by_pool)
{
	/* a counting sort */
	for (size_t p = 0; p <= m->npools; p++)
		pstart[p] = 0;
	for (size_t o = 0; o < m->nopts; o++)
		pstart[m->opt_pool[o] + 1]++;
	for (size_t p = 0; p < m->npools; p++)
		pstart[p + 1] += pstart[p];
	for (size_t o = 0; o < m->nopts; o++)
		by_pool[pstart[m->opt_pool[o]]++] = (int)o;
	/* the fill moved each start to the next pool's: shift back */
	for (size_t p = m->npools; p > 0; p--)
		pstart[p] = pstart[p - 1];
	pstart[0] = 0;
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
		int hs = ewc__sides_hold(m, m->start), hg = ewc__sides_hold(m, choice);
		if (hs > hg || (hs == hg && ewc__mip_sum(m, m->start, m->opt_obj, 0) <
		                                ewc__mip_sum(m, choice, m->opt_obj, 0)))
			memcpy(choice, m->start, m->njobs * sizeof *choice);
	}
	return 0;
}
double ewc__now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ewc__ms_left(double deadline)
{
	double left = deadline - ewc__now_s();
	if (left <= 0.001)
		return 1;
	if (left > 2e6)
		return 2000000000;
	return (int)(left * 1000.0);
}

double ewc__knapsack01(size_t n, const long *w, const double *v, size_t S, double tol,
                       double *dp, uint8_t *take, unsigned char *chosen)
{
	size_t row = S + 1;

	for (size_t s = 0; s <= S; s++)
		dp[s] = 0;
	memset(take, 0, (n * row + 7) / 8);
	for (size_t a = 0; a < n; a++) {
		size_t wa = (size_t)w[a];
		chosen[a] = 0;
		if (wa > S)
			continue;
		for (size_t s = S; s >= wa; s--) {
			double cand = dp[s - wa] + v[a];
			if (cand > dp[s] + tol * fmax(1.0, cand)) {
				size_t bit = a * row + s;
				dp[s] = cand;
				take[bit / 8] |= (uint8_t)(1u << (bit % 8));
			}
			if (s == wa)
				break;
		}
	}
	for (size_t a = n, s = S; a-- > 0;) {
		size_t bit = a * row + s;
		if (take[bit / 8] & (1u << (bit % 8))) {
			chosen[a] = 1;
			s -= (size_t)w[a];
		}
	}
	return dp[S];
}

void ewc__tier_sums(const ewc__mip *m, const int *tier, const double *unit, int nt,
                    const int *choice, double *sum)
{
	for (int t = 0; t < nt; t++)
		sum[t] = 0;
	for (size_t j = 0; j < m->njobs; j++)
		if (choice[j] >= 0 && tier[j] >= 0)
			sum[tier[j]] += m->job_priority[j] / unit[tier[j]];
}

int ewc__tier_cmp(const double *a, const double *b, int nt)
{
	for (int t = 0; t < nt; t++) {
		double tol = 1e-9 * fmax(1.0, fabs(b[t]));
		if (a[t] > b[t] + tol)
			return 1;
		if (a[t] < b[t] - tol)
			return -1;
	}
	return 0;
}

double ewc__prio_tol(const ewc__mip *m)
{
	double lo = HUGE_VAL;

	for (size_t j = 0; j < m->njobs; j++)
		if (m->job_priority[j] < lo)
			lo = m->job_priority[j];
	return lo < HUGE_VAL ? 1e-7 * lo : 1e-7;
}
