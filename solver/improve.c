/* improve.c - phase 2's local search: moves and swaps that keep every priority tier */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"

/* Whether option o has room for its job, whose option now is cur (or -1):
 * the GPUs left in o's pool, and the job's own when it sits there. */
static int fits(const ewc__mip *m, const long *left, int cur, int o)
{
	long room = left[m->opt_pool[o]] +
	            (cur >= 0 && m->opt_pool[cur] == m->opt_pool[o] ? m->opt_gpus[cur] : 0);
	return room >= m->opt_gpus[o];
}

/* One job's cheapest option with room for it, or -1. */
static int cheapest_fit(const ewc__mip *m, const size_t *first, size_t j, const long *left,
                        int cur)
{
	int best = -1;

	for (size_t o = first[j]; o < first[j + 1]; o++) {
		if (fits(m, left, cur, (int)o) && (best < 0 || m->opt_obj[o] < m->opt_obj[best]))
			best = (int)o;
	}
	return best;
}

int ewc__improve(const ewc__mip *m, const size_t *first, int *choice, double deadline)
{
	long *left = malloc((m->npools ? m->npools : 1) * sizeof *left);
	int *tier = malloc((m->njobs ? m->njobs : 1) * sizeof *tier);
	double *unit = malloc((m->njobs ? m->njobs : 1) * sizeof *unit);
	size_t **in_pool = NULL, *npool = NULL;
	int rc = -1;

	if (!left || !tier || !unit || ewc__tiers(m, first, tier, unit) < 0)
		goto out;
	in_pool = calloc(m->npools ? m->npools : 1, sizeof *in_pool);
	npool = calloc(m->npools ? m->npools : 1, sizeof *npool);
	if (!in_pool || !npool)
		goto out;
	for (int pass = 0; pass < 20 && ewc__now_s() < deadline; pass++) {
		int changed = 0;
		memcpy(left, m->pool_cap, m->npools * sizeof *left);
		for (size_t j = 0; j < m->njobs; j++)
			if (choice[j] >= 0)
				left[m->opt_pool[choice[j]]] -= m->opt_gpus[choice[j]];
		/* moves: each placed job to its cheapest option with room */
		for (size_t j = 0; j < m->njobs; j++) {
			int c = choice[j], b;
			if (c < 0)
				continue;
			b = cheapest_fit(m, first, j, left, c);
			if (b >= 0 && m->opt_obj[b] < m->opt_obj[c] - 1e-9 * fmax(1.0, m->opt_obj[c])) {
				left[m->opt_pool[c]] += m->opt_gpus[c];
				left[m->opt_pool[b]] -= m->opt_gpus[b];
				choice[j] = b;
				changed = 1;
			}
		}
		/* the placed jobs of each pool */
		for (size_t p = 0; p < m->npools; p++)
			npool[p] = 0;
		for (size_t j = 0; j < m->njobs; j++)
			if (choice[j] >= 0)
				npool[m->opt_pool[choice[j]]]++;
		for (size_t p = 0; p < m->npools; p++) {
			free(in_pool[p]);
			in_pool[p] = malloc((npool[p] ? npool[p] : 1) * sizeof **in_pool);
			if (!in_pool[p])
				goto out;
			npool[p] = 0;
		}
		for (size_t j = 0; j < m->njobs; j++)
			if (choice[j] >= 0) {
				size_t p = (size_t)m->opt_pool[choice[j]];
				in_pool[p][npool[p]++] = j;
			}
		/* swaps: an unplaced job in, for a placed one of its tier with no
		 * more priority, in one of its pools, when that is cheaper */
		for (size_t u = 0; u < m->njobs && ewc__now_s() < deadline; u++) {
			int best_o = -1;
			size_t best_v = 0, best_k = 0;
			double best_d = -1e-9;
			if (choice[u] >= 0 || tier[u] < 0)
				continue;
			for (size_t o = first[u]; o < first[u + 1]; o++) {
				size_t p = (size_t)m->opt_pool[o];
				for (size_t k = 0; k < npool[p]; k++) {
					size_t v = in_pool[p][k];
					double d;
					if (choice[v] < 0 || m->opt_pool[choice[v]] != (int)p ||
					    tier[v] != tier[u] || m->job_priority[v] > m->job_priority[u] ||
					    left[p] + m->opt_gpus[choice[v]] < m->opt_gpus[o])
						continue;
					d = m->opt_obj[o] - m->opt_obj[choice[v]];
					if (d < best_d * fmax(1.0, fabs(m->opt_obj[choice[v]]))) {
						best_d = d / fmax(1.0, fabs(m->opt_obj[choice[v]]));
						best_o = (int)o;
						best_v = v;
						best_k = k;
					}
				}
			}
			if (best_o < 0)
				continue;
			size_t p = (size_t)m->opt_pool[best_o];
			left[p] += m->opt_gpus[choice[best_v]] - m->opt_gpus[best_o];
			choice[best_v] = -1;
			choice[u] = best_o;
			in_pool[p][best_k] = u;
			changed = 1;
		}
		if (!changed)
			break;
	}
	rc = 0;
out:
	if (in_pool)
		for (size_t p = 0; p < m->npools; p++)
			free(in_pool[p]);
	free(in_pool);
	free(npool);
	free(left);
	free(tier);
	free(unit);
	return rc;
}

/* ---- moves under side rows ------------------------------------------------ */

typedef struct side_move {
	double key;  /* sorted ascending */
	size_t job;
	int opt;
} side_move;

static int cmp_side_move(const void *a, const void *b)
{
	double x = ((const side_move *)a)->key, y = ((const side_move *)b)->key;
	return x < y ? -1 : x > y;
}

/* How far the row values v[] are outside their bounds, each row in units
 * of its scale. */
static double side_violation(const ewc__mip *m, const double *v, const double *scale)
{
	double viol = 0;

	for (size_t q = 0; q < m->nside; q++) {
		if (v[q] > m->side[q].hi)
			viol += (v[q] - m->side[q].hi) / scale[q];
		if (v[q] < m->side[q].lo)
			viol += (m->side[q].lo - v[q]) / scale[q];
	}
	return viol;
}

/* The row values tmp[] after a job moves from option c to option o. */
static void rows_after(const ewc__mip *m, const double *v, int c, int o, double *tmp)
{
	for (size_t q = 0; q < m->nside; q++)
		tmp[q] = v[q] - m->side[q].coef[c] + m->side[q].coef[o];
}

/* The key of a change of the plan by dobj in the objective (of ref before)
 * taking the rows from values v, of violation now, to tmp: while a row is
 * missed, the objective added per unit of violation removed; once all are
 * met, the objective saved per unit of priced slack used (-HUGE_VAL for a
 * change that uses none); HUGE_VAL for a change not worth making. Sorted
 * ascending, the best change first. */
static double side_key(const ewc__mip *m, const double *v, double now, const double *tmp,
                       const double *scale, const double *price, double dobj, double ref)
{
	double after = side_violation(m, tmp, scale);

	if (now > 0) {
		double gain = now - after;
		return gain > 1e-12 ? dobj / gain : HUGE_VAL;
	}
	if (after > 0 || dobj >= -1e-9 * fmax(1.0, fabs(ref)))
		return HUGE_VAL;
	double used = 0;
	for (size_t q = 0; q < m->nside && price; q++) {
		double sg = m->side[q].hi < HUGE_VAL ? 1 : -1;
		used += price[q] * sg * (tmp[q] - v[q]);
	}
	return used <= 0 ? -HUGE_VAL : dobj / used;
}

/* One pass of swaps between pools, for the pools that are full: job j to
 * its best option o in a pool Q without room for it, and a job k of Q to
 * j's pool in exchange, when both then fit; the best of SWAP_SCAN of Q's
 * jobs for each j by side_key(). Returns the swaps made. */
#define SWAP_SCAN 256
static size_t side_swaps(const ewc__mip *m, const size_t *first, int *choice, const double *price,
                         long *left, double *v, const double *scale, double *tmp, double deadline,
                         size_t *pstart, size_t *members)
{
	size_t nq = m->nside, nj = m->njobs, np = m->npools, made = 0;

	/* the placed jobs of each pool, as the pass starts */
	for (size_t p = 0; p <= np; p++)
		pstart[p] = 0;
	for (size_t j = 0; j < nj; j++)
		if (choice[j] >= 0)
			pstart[m->opt_pool[choice[j]] + 1]++;
	for (size_t p = 0; p < np; p++)
		pstart[p + 1] += pstart[p];
	for (size_t j = 0; j < nj; j++) {
		if (choice[j] >= 0)
			members[pstart[m->opt_pool[choice[j]]]++] = j;
	}
	for (size_t p = np; p > 0; p--)
		pstart[p] = pstart[p - 1];
	pstart[0] = 0;
	for (size_t j = 0; j < nj && ewc__now_s() < deadline; j++) {
		int c = choice[j], bo = -1, bk_opt = -1;
		size_t bk_job = 0;
		double best = HUGE_VAL, now;
		if (c < 0)
			continue;
		int P = m->opt_pool[c];
		now = side_violation(m, v, scale);
		/* each option of j in a pool without room for it */
		for (size_t x = first[j]; x < first[j + 1]; x++) {
			int o = (int)x, Q = m->opt_pool[x];
			size_t nmem = pstart[Q + 1] - pstart[Q];
			if (Q == P || left[Q] >= m->opt_gpus[x])
				continue; /* a single move covers it */
			/* at most SWAP_SCAN of Q's jobs, from a point that moves on */
			for (size_t t = 0; t < nmem && t < SWAP_SCAN; t++) {
				size_t k = members[pstart[Q] + (t + j * 7919) % nmem];
				int ck = choice[k], b = -1;
				double key;
				if (ck < 0 || m->opt_pool[ck] != Q ||
				    left[Q] + m->opt_gpus[ck] < m->opt_gpus[o])
					continue;
				for (size_t x = first[k]; x < first[k + 1]; x++)
					if (m->opt_pool[x] == P) {
						b = (int)x;
						break;
					}
				if (b < 0 || left[P] + m->opt_gpus[c] < m->opt_gpus[b])
					continue;
				for (size_t q = 0; q < nq; q++)
					tmp[q] = v[q] - m->side[q].coef[c] + m->side[q].coef[o] -
					         m->side[q].coef[ck] + m->side[q].coef[b];
				key = side_key(m, v, now, tmp, scale, price,
				               m->opt_obj[o] - m->opt_obj[c] + m->opt_obj[b] - m->opt_obj[ck],
				               m->opt_obj[c] + m->opt_obj[ck]);
				if (key < best) {
					best = key;
					bo = o;
					bk_job = k;
					bk_opt = b;
				}
			}
		}
		if (bo < 0)
			continue;
		{
			int ck = choice[bk_job], Q = m->opt_pool[bo];
			for (size_t q = 0; q < nq; q++)
				v[q] += -m->side[q].coef[c] + m->side[q].coef[bo] - m->side[q].coef[ck] +
				        m->side[q].coef[bk_opt];
			left[Q] += m->opt_gpus[ck] - m->opt_gpus[bo];
			left[P] += m->opt_gpus[c] - m->opt_gpus[bk_opt];
			choice[j] = bo;
			choice[bk_job] = bk_opt;
			made++;
		}
	}
	return made;
}

int ewc__side_moves(const ewc__mip *m, const size_t *first, int *choice, const double *price,
                    int swaps, double deadline)
{
	size_t nq = m->nside, nj = m->njobs;
	long *left = malloc((m->npools ? m->npools : 1) * sizeof *left);
	double *v = calloc(nq ? nq : 1, sizeof *v), *scale = calloc(nq ? nq : 1, sizeof *scale);
	double *tmp = calloc(nq ? nq : 1, sizeof *tmp);
	side_move *mv = malloc((nj ? nj : 1) * sizeof *mv);
	size_t *pstart = malloc((m->npools + 1) * sizeof *pstart);
	size_t *members = malloc((nj ? nj : 1) * sizeof *members);
	int rc = -1;

	if (!left || !v || !scale || !tmp || !mv || !pstart || !members)
		goto out;
	memcpy(left, m->pool_cap, m->npools * sizeof *left);
	for (size_t j = 0; j < nj; j++)
		if (choice[j] >= 0) {
			left[m->opt_pool[choice[j]]] -= m->opt_gpus[choice[j]];
			for (size_t q = 0; q < nq; q++) {
				v[q] += m->side[q].coef[choice[j]];
				scale[q] += fabs(m->side[q].coef[choice[j]]);
			}
		}
	for (size_t q = 0; q < nq; q++)
		scale[q] = fmax(scale[q], 1e-9);
	for (int pass = 0; pass < 50 && ewc__now_s() < deadline; pass++) {
		double viol = side_violation(m, v, scale);
		size_t n = 0, applied = 0;
		/* each job's best move: while a row is missed, the least objective
		 * added per unit of violation removed; then the most objective
		 * saved per unit of the rows' priced slack used */
		for (size_t j = 0; j < nj; j++) {
			int c = choice[j], bo = -1;
			double bk = HUGE_VAL;
			if (c < 0)
				continue;
			for (size_t o = first[j]; o < first[j + 1]; o++) {
				double k;
				if ((int)o == c || !fits(m, left, c, (int)o))
					continue;
				rows_after(m, v, c, (int)o, tmp);
				k = side_key(m, v, viol, tmp, scale, price, m->opt_obj[o] - m->opt_obj[c],
				             m->opt_obj[c]);
				if (k < bk) {
					bk = k;
					bo = (int)o;
				}
			}
			if (bo >= 0) {
				mv[n].key = bk;
				mv[n].job = j;
				mv[n].opt = bo;
				n++;
			}
		}
		if (n)
			qsort(mv, n, sizeof *mv, cmp_side_move);
		/* apply in that order each that still has room and helps */
		for (size_t i = 0; i < n; i++) {
			size_t j = mv[i].job;
			int c = choice[j], o = mv[i].opt;
			double now = side_violation(m, v, scale), after;
			if (!fits(m, left, c, o))
				continue;
			rows_after(m, v, c, o, tmp);
			after = side_violation(m, tmp, scale);
			if (now > 0 ? after >= now - 1e-12 : after > 0)
				continue;
			if (now <= 0 && m->opt_obj[o] >= m->opt_obj[c])
				continue;
			left[m->opt_pool[c]] += m->opt_gpus[c];
			left[m->opt_pool[o]] -= m->opt_gpus[o];
			memcpy(v, tmp, nq * sizeof *v);
			choice[j] = o;
			applied++;
		}
		/* no single move left while a row is missed: swaps between full
		 * pools, then moves again (once every row is met, the moves alone:
		 * a pass of swaps costs more than the slack it spends is worth) */
		if (applied == 0 && (!swaps || side_violation(m, v, scale) <= 0 ||
		    side_swaps(m, first, choice, price, left, v, scale, tmp, deadline, pstart,
		               members) == 0))
			break;
	}
	rc = 0;
out:
	free(pstart);
	free(members);
	free(left);
	free(v);
	free(scale);
	free(tmp);
	free(mv);
	return rc;
}
