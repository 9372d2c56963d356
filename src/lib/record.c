/* record.c - what a plan or a rebalancing hands the state database to record */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "rebalance_int.h"

int ewc_db_commit_plan(ewc_db *db, const ewc_plan *plan, double now, const char *source,
                       long long *run_out)
{
	const ewc_plan *p = plan;
	char when[32];
	ewc__db_job *rows;
	int rc;

	if (!db || !plan || !isfinite(now))
		return ewc__seterr(EWC_EINVAL, "ewc_db_commit_plan: bad arguments");
	ewc_time_format(now, when, sizeof when);
	rows = calloc(p->njobs ? p->njobs : 1, sizeof *rows);
	/* over a horizon: each job's planned start, and the plan's start that
	 * its earliest and deadline hours count from */
	char (*starts)[32] = p->nslots ? calloc(p->njobs ? p->njobs : 1, sizeof *starts) : NULL;
	char from[32];
	if (!rows || (p->nslots && !starts)) {
		free(rows);
		free(starts);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	ewc_time_format(p->t0, from, sizeof from);
	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__job *J = &p->jobs->v[j];
		int c = p->choice[j];

		rows[j].job = J;
		rows[j].pin = J->pin >= 0 ? p->w.regions[J->pin].id : NULL;
		if (c >= 0) {
			rows[j].region = p->w.regions[p->opt_region[c]].id;
			rows[j].gpu_type = p->w.gpus[p->opt_type[c]].type;
			rows[j].hours = p->opt_cost[c].hours;
			rows[j].gpus = p->opt_cost[c].gpus;
			if (p->nslots) {
				rows[j].start = p->t0 + 3600.0 * p->opt_start[c];
				ewc_time_format(rows[j].start, starts[j], sizeof starts[j]);
				rows[j].started_at = starts[j];
			}
		}
		if (p->nslots)
			rows[j].window_from = from;
	}
	double crate = 0, krate = 0;
	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__cost *c = p->choice[j] >= 0 ? &p->opt_cost[p->choice[j]] : NULL;
		if (c && c->hours > 0) {
			crate += 24.0 * (c->cost_cny - c->transfer_cny) / c->hours;
			krate += 24.0 * c->carbon_kg / c->hours;
		}
	}
	ewc__db_run run = { when, "place", source ? source : "", ewc_mode_name(p->opts.mode),
	                    p->opts.carbon_price, &p->totals, &p->base_totals,
	                    p->totals.objective, p->totals.lower_bound, p->totals.gap,
	                    0, 0, 0, 0, &p->w, NULL, NULL, 0, crate, krate,
	                    p->nslots, p->t0, p->slot_cap };
	rc = ewc__db_record_place(db, &run, rows, p->njobs, run_out);
	free(rows);
	free(starts);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ewc_db_commit_rebalance(ewc_db *db, const ewc_rebalance *rb, const char *source,
                            long long *run_out)
{
	const ewc_rebalance_summary *s;
	char when[32];
	ewc_move *moves;
	int rc;

	if (!db || !rb)
		return ewc__seterr(EWC_EINVAL, "ewc_db_commit_rebalance: bad arguments");
	s = &rb->sum;
	ewc_time_format(rb->now, when, sizeof when);
	moves = calloc(rb->jobs_n ? rb->jobs_n : 1, sizeof *moves);
	if (!moves)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t j = 0; j < rb->jobs_n; j++) {
		moves[j] = (ewc_move)EWC_MOVE_INIT;
		ewc_rebalance_job(rb, j, &moves[j]);
	}
	const char **seen = calloc(rb->jobs_n + rb->nskip + 1, sizeof *seen);
	if (!seen) {
		free(moves);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	for (size_t j = 0; j < rb->jobs_n; j++)
		seen[j] = moves[j].job;
	for (size_t j = 0; j < rb->nskip; j++)
		seen[rb->jobs_n + j] = rb->skip_job[j];
	qsort(seen, rb->jobs_n + rb->nskip, sizeof *seen, cmp_id);
	ewc__db_run run = { when, "rebalance", source ? source : "",
	                    ewc_mode_name(rb->plan->opts.mode), rb->plan->opts.carbon_price,
	                    &s->after, &s->baseline, s->objective, s->lower_bound, s->gap,
	                    s->before.cost_cny, s->before.carbon_kg, s->migration_cny,
	                    (long)s->moves, &rb->plan->w, rb->held, seen,
	                    rb->jobs_n + rb->nskip, s->cost_rate_cny_per_day,
	                    s->carbon_rate_kg_per_day, 0, 0, NULL };
	rc = ewc__db_record_rebalance(db, &run, moves, rb->jobs_n, run_out);
	free(seen);
	free(moves);
	return rc;
}
