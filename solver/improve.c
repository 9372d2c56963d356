/* improve.c - phase 2's local search: moves and swaps that keep every priority tier */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"

/* One job's cheapest option with room for it (its own GPUs given back
 * when it sits in that pool), or -1. */
static int cheapest_fit(const ewc__mip *m, const size_t *first, size_t j, const long *left,
                        int cur)
{
	int best = -1;

	for (size_t o = first[j]; o < first[j + 1]; o++) {
		long room = left[m->opt_pool[o]] +
		            (cur >= 0 && m->opt_pool[cur] == m->opt_pool[o] ? m->opt_gpus[cur] : 0);
		if (room >= m->opt_gpus[o] && (best < 0 || m->opt_obj[o] < m->opt_obj[best]))
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
