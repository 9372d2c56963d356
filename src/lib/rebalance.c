/* rebalance.c - which running jobs should move, and what that saves */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ewc_int.h"
#include "db_int.h"
#include "rebalance_int.h"

/* A job whose remaining hours are below this is treated as done. */
#define EWC__REMAINING_MIN 1e-6

void ewc_rebalance_free(ewc_rebalance *rb)
{
	if (!rb)
		return;
	ewc_plan_free(rb->plan);
	ewc_jobs_free(rb->jobs);
	if (rb->run)
		for (size_t j = 0; j < rb->jobs_n; j++) {
			free(rb->run[j].region);
			free(rb->run[j].type);
			free(rb->run[j].started_at);
		}
	free(rb->run);
	free(rb->held);
	for (size_t i = 0; i < rb->nskip; i++) {
		free(rb->skip_job[i]);
		free(rb->skip_reason[i]);
	}
	free(rb->skip_job);
	free(rb->skip_reason);
	free(rb->prev_kind);
	free(rb->prev_at);
	for (size_t i = 0; i < rb->nchange; i++)
		free(rb->change[i]);
	free(rb->change);
	free(rb->why);
	free(rb->skip_hold);
	free(rb);
}

/* Remember a job left out, with the first line of why. */
static int skip(ewc_rebalance *rb, const char *job, const char *why)
{
	char **a = realloc(rb->skip_job, (rb->nskip + 1) * sizeof *a);
	if (a)
		rb->skip_job = a;
	char **b = realloc(rb->skip_reason, (rb->nskip + 1) * sizeof *b);
	if (b)
		rb->skip_reason = b;
	if (!a || !b)
		return -1;
	size_t n = strcspn(why, "\n");
	a[rb->nskip] = ewc__strdup(job);
	b[rb->nskip] = malloc(n + 1);
	if (!a[rb->nskip] || !b[rb->nskip]) {
		free(a[rb->nskip]);
		free(b[rb->nskip]);
		return -1;
	}
	memcpy(b[rb->nskip], why, n);
	b[rb->nskip][n] = '\0';
	rb->nskip++;
	return 0;
}

typedef struct collect {
	ewc_rebalance *rb;
	size_t cap;
	int rc;
} collect;

/* One running job from the database: into the list with what is left of
 * its hours, or into the skipped ones. */
static int take(void *user, const ewc_job *job, const char *added_at, const char *region,
                const char *type, double hours, const char *started_at)
{
	collect *c = user;
	ewc_rebalance *rb = c->rb;
	ewc_ctx *ctx = rb->ctx;
	ewc_job j = *job;
	double start, added, elapsed, remaining, pf = 0, pt = 0;
	int r, t, first;
	char why[512];

	if (ewc_time_parse(started_at, &start) != 0 || ewc_time_parse(added_at, &added) != 0) {
		snprintf(why, sizeof why, "its start time \"%s\" cannot be read", started_at);
		goto skipped;
	}
	int waiting = start > rb->now + 1e-6, slot = 0;
	if (waiting && !rb->opts.place.horizon_h) {
		char at[32];
		ewc_time_format(start, at, sizeof at);
		snprintf(why, sizeof why, "planned to start at %s: it keeps its place and slot "
		         "(rebalance --horizon moves it in time)", at);
		goto skipped;
	}
	if (waiting) {
		double s = floor((start - rb->t0) / 3600.0 + 1e-9);
		if (s > (double)rb->opts.place.horizon_h - 1) {
			char at[32];
			ewc_time_format(start, at, sizeof at);
			snprintf(why, sizeof why, "planned to start at %s, after the %d-hour horizon: "
			         "it keeps its place and slot", at, rb->opts.place.horizon_h);
			goto skipped;
		}
		slot = (int)s;
	}
	elapsed = fmax(0.0, (rb->now - start) / 3600.0);
	remaining = hours - elapsed;
	if (remaining < EWC__REMAINING_MIN) {
		snprintf(why, sizeof why, "past its planned %.6g h on %s (started %s): "
		         "mark it finished", hours, type, started_at);
		goto skipped;
	}
	/* hours are given on the job's first listed type: convert what is left */
	{
		char ftype[64];
		size_t n = strcspn(job->gpu_type, "|");
		snprintf(ftype, sizeof ftype, "%.*s", (int)n, job->gpu_type);
		ewc__lock(ctx);
		r = ewc__region_find(&ctx->w, region);
		t = ewc__gpu_find(&ctx->w, type);
		first = ewc__gpu_find(&ctx->w, ftype);
		pt = t >= 0 ? ctx->w.gpus[t].perf : 0;
		pf = first >= 0 ? ctx->w.gpus[first].perf : 0;
		ewc__unlock(ctx);
		if (t < 0 || first < 0) {
			snprintf(why, sizeof why, "its GPU type %s is no longer in the catalog",
			         t < 0 ? type : ftype);
			goto skipped;
		}
	}
	/* a service's hours are the same on every type */
	j.hours = job->kind == EWC_KIND_INFER ? remaining : remaining * pt / pf;
	/* over a horizon, hours count from the first slot; else from now */
	double from_h = ((rb->opts.place.horizon_h ? rb->t0 : rb->now) - added) / 3600.0;
	if (job->deadline_h > 0) {
		/* the deadline counts from when the job was added (or from the
		 * start of the plan over a horizon that placed it) */
		double left = job->deadline_h - fmax(0.0, from_h);
		/* what it was planned to meet, it meets (hours rounded to slots) */
		if (waiting && left < (double)slot + j.hours)
			left = (double)slot + j.hours;
		j.deadline_h = left > 0 ? left : 1e-9;
	}
	j.earliest_h = 0;
	if (waiting) {
		double e = job->earliest_h - from_h;
		j.earliest_h = e > 0 ? e : 0;
	}
	if (ewc_jobs_add(rb->jobs, &j) != 0) {
		snprintf(why, sizeof why, "%s", ewc_errmsg());
		goto skipped;
	}
	if (rb->jobs_n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		ewc__running *v = realloc(rb->run, nc * sizeof *v);
		if (!v)
			goto oom;
		rb->run = v;
		c->cap = nc;
	}
	{
		ewc__running *R = &rb->run[rb->jobs_n];
		memset(R, 0, sizeof *R);
		rb->jobs_n++;
		R->region = ewc__strdup(region);
		R->type = ewc__strdup(type);
		R->started_at = ewc__strdup(started_at);
		R->hours = hours;
		R->remaining = remaining;
		R->r = r;
		R->t = t;
		R->waiting = waiting;
		R->start_slot = slot;
		if (!R->region || !R->type || !R->started_at)
			goto oom;
	}
	return 0;
skipped:
	/* a job left out still holds its GPUs until it is marked finished: if
	 * it started after its region's figures were taken, those count them
	 * as free, and the rebalancing must not hand them out */
	if (started_at && region && type) {
		double st;
		ewc__lock(ctx);
		int sr = ewc__region_find(&ctx->w, region), stt = ewc__gpu_find(&ctx->w, type);
		int sf = ewc__gpu_find(&ctx->w, job->gpu_type ? job->gpu_type : "");
		if (sf < 0 && job->gpu_type) {
			char ftype[64];
			snprintf(ftype, sizeof ftype, "%.*s", (int)strcspn(job->gpu_type, "|"),
			         job->gpu_type);
			sf = ewc__gpu_find(&ctx->w, ftype);
		}
		if (sr >= 0 && stt >= 0 && ewc_time_parse(started_at, &st) == 0 &&
		    st > ctx->w.regions[sr].as_of) {
			size_t np = ctx->w.nregions * ctx->w.ngpus;
			if (!rb->skip_hold)
				rb->skip_hold = calloc(np ? np : 1, sizeof *rb->skip_hold);
			if (rb->skip_hold) {
				double g = (double)job->gpus;
				if (job->kind == EWC_KIND_INFER && sf >= 0 && sf != stt) {
					g *= ctx->w.gpus[sf].perf / ctx->w.gpus[stt].perf;
					g = ceil(g - 1e-9 * g);
				}
				rb->skip_hold[(size_t)sr * ctx->w.ngpus + (size_t)stt] += (long)g;
			}
		}
		ewc__unlock(ctx);
	}
	if (skip(rb, job->id, why) == 0)
		return 0;
oom:
	c->rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	return 1;
}

static int check_options(const ewc_rebalance_options *o)
{
	if (o->version != EWC_REBALANCE_OPTIONS_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_rebalance_plan: options version %u not supported",
		                   o->version);
	if (!(isfinite(o->margin) && o->margin >= 0))
		return ewc__seterr(EWC_EINVAL, "margin must be a number >= 0");
	if (!(isfinite(o->restart_hours) && o->restart_hours >= 0))
		return ewc__seterr(EWC_EINVAL, "restart hours must be a number >= 0");
	int rc = ewc__check_options(&o->place, "ewc_rebalance_plan");
	return rc ? rc : ewc__no_policy(&o->place, "ewc_rebalance_plan");
}

/* The newest run of the database, for the comparison. */
static int previous(void *user, const ewc_db_run *run)
{
	ewc_rebalance *rb = user;
	ewc_rebalance_summary *s = &rb->sum;

	free(rb->prev_kind);
	free(rb->prev_at);
	rb->prev_kind = ewc__strdup(run->kind);
	rb->prev_at = ewc__strdup(run->at);
	if (!rb->prev_kind || !rb->prev_at)
		return 1;
	s->have_previous = 1;
	s->previous_run = run->id;
	s->previous_kind = rb->prev_kind;
	s->previous_at = rb->prev_at;
	s->previous_cost_cny = run->cost_cny;
	s->previous_carbon_kg = run->carbon_kg;
	s->previous_moves = run->moves;
	s->previous_cost_rate_cny_per_day = run->cost_rate_cny_per_day;
	s->previous_carbon_rate_kg_per_day = run->carbon_rate_kg_per_day;
	return 0;
}

static void summarize(ewc_rebalance *rb)
{
	const ewc_plan *p = rb->plan;
	ewc_rebalance_summary *s = &rb->sum;
	double m0, m1, m2;

	s->version = EWC_REBALANCE_SUMMARY_VERSION;
	s->now = rb->now;
	s->jobs = p->njobs;
	s->skipped = rb->nskip;
	s->margin = rb->opts.margin;
	s->mode = p->opts.mode;
	s->carbon_price = p->opts.carbon_price;
	ewc__rebalance_totals(p, p->stay, rb->opts.margin, &s->before, &m0);
	ewc__rebalance_totals(p, p->choice, rb->opts.margin, &s->after, &m1);
	ewc__rebalance_totals(p, p->base, rb->opts.margin, &s->baseline, &m2);
	s->migration_cny = m1;
	s->saving_cny = s->before.cost_cny - s->after.cost_cny;
	s->carbon_avoided_kg = s->before.carbon_kg - s->after.carbon_kg;
	s->objective = p->totals.objective;
	s->lower_bound = p->totals.lower_bound;
	s->gap = p->totals.gap;
	s->proven = p->proven;
	s->moves = 0;
	rb->rescheduled = 0;
	for (size_t j = 0; j < p->njobs; j++) {
		int moved = p->choice[j] >= 0 && p->choice[j] != p->stay[j];
		if (rb->run[j].waiting)
			rb->rescheduled += moved;
		else
			s->moves += moved;
	}
	s->rescheduled = rb->rescheduled;
	/* per day of the running set: what it costs as it runs, the one-time
	 * data transfer and migration aside, so that nights compare */
	s->cost_rate_cny_per_day = s->carbon_rate_kg_per_day = 0;
	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__cost *c;
		if (p->choice[j] < 0)
			continue;
		c = &p->opt_cost[p->choice[j]];
		if (c->hours > 0) {
			s->cost_rate_cny_per_day += 24.0 * (c->cost_cny - c->transfer_cny) / c->hours;
			s->carbon_rate_kg_per_day += 24.0 * c->carbon_kg / c->hours;
		}
	}
}

int ewc_rebalance_plan(ewc_rebalance **out, ewc_ctx *ctx, ewc_db *db, double now,
                       const ewc_rebalance_options *opts)
{
	ewc_rebalance_options def = EWC_REBALANCE_OPTIONS_INIT;
	ewc_rebalance *rb;
	collect c = { NULL, 0, 0 };
	int *cur_r = NULL, *cur_t = NULL, *cur_s = NULL, rc;
	unsigned char *give = NULL, *wait = NULL;

	if (!out || !ctx || !db || !isfinite(now))
		return ewc__seterr(EWC_EINVAL, "ewc_rebalance_plan: bad arguments");
	*out = NULL;
	if (!opts)
		opts = &def;
	rc = check_options(opts);
	if (rc)
		return rc;
	rb = calloc(1, sizeof *rb);
	if (!rb)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	rb->ctx = ctx;
	rb->now = now;
	rb->opts = *opts;
	ewc__options_copy(&rb->opts.place, &opts->place);
	/* over a horizon: hourly slots from the hour now is in */
	rb->t0 = rb->opts.place.start_time > 0 ? rb->opts.place.start_time
	                                       : floor(now / 3600.0) * 3600.0;
	if (rb->opts.place.horizon_h)
		rb->opts.place.start_time = rb->t0;
	rc = ewc_jobs_new(&rb->jobs, ctx);
	if (rc)
		goto fail;
	c.rb = rb;
	rc = ewc__db_running(db, take, &c);
	if (rc == 0)
		rc = c.rc;
	if (rc == 0)
		rc = ewc_db_runs(db, 1, previous, rb);
	if (rc)
		goto fail;

	cur_r = malloc((rb->jobs_n ? rb->jobs_n : 1) * sizeof *cur_r);
	cur_t = malloc((rb->jobs_n ? rb->jobs_n : 1) * sizeof *cur_t);
	give = malloc(rb->jobs_n ? rb->jobs_n : 1);
	cur_s = malloc((rb->jobs_n ? rb->jobs_n : 1) * sizeof *cur_s);
	wait = malloc(rb->jobs_n ? rb->jobs_n : 1);
	if (!cur_r || !cur_t || !give || !cur_s || !wait) {
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		goto fail;
	}
	ewc__lock(ctx);
	for (size_t j = 0; j < rb->jobs_n; j++) {
		double started = 0;
		cur_r[j] = rb->run[j].r;
		cur_t[j] = rb->run[j].t;
		cur_s[j] = rb->run[j].start_slot;
		wait[j] = (unsigned char)rb->run[j].waiting;
		/* a job started after its region's figures were taken holds GPUs
		 * those figures still count as free: nothing to give back */
		ewc_time_parse(rb->run[j].started_at, &started);
		give[j] = cur_r[j] < 0 || (size_t)cur_r[j] >= ctx->w.nregions ||
		          started <= ctx->w.regions[cur_r[j]].as_of;
	}
	ewc__unlock(ctx);
	{
		ewc__rebal spec = { cur_r, cur_t, give, rb->skip_hold, opts->margin,
		                    opts->restart_hours, opts->max_moves,
		                    rb->opts.place.horizon_h ? wait : NULL,
		                    rb->opts.place.horizon_h ? cur_s : NULL };
		rc = ewc__place_ex(&rb->plan, ctx, rb->jobs, &rb->opts.place, &spec, NULL, 0);
	}
	if (rc)
		goto fail;
	{
		const ewc__world *w = &rb->plan->w;
		size_t npools = w->nregions * w->ngpus;
		rb->held = calloc(npools ? npools : 1, sizeof *rb->held);
		if (!rb->held) {
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
			goto fail;
		}
		for (size_t j = 0; j < rb->jobs_n; j++) {
			int r = cur_r[j], t = cur_t[j];
			if (r >= 0 && t >= 0 && give[j] && ewc__region_gpu(&w->regions[r], t) >= 0)
				rb->held[(size_t)r * w->ngpus + (size_t)t] +=
					ewc__job_gpus(w, &rb->jobs->v[j], t);
		}
	}
	summarize(rb);
	rc = ewc__rebalance_why(rb, db);
	if (rc)
		goto fail;
	free(cur_r);
	free(cur_t);
	free(cur_s);
	free(give);
	free(wait);
	*out = rb;
	return 0;
fail:
	free(cur_r);
	free(cur_t);
	free(cur_s);
	free(give);
	free(wait);
	ewc_rebalance_free(rb);
	return rc;
}

int ewc_rebalance_summarize(const ewc_rebalance *rb, ewc_rebalance_summary *out)
{
	if (!rb || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_rebalance_summarize: NULL argument");
	if (out->version < 1 || out->version > EWC_REBALANCE_SUMMARY_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_rebalance_summarize: struct version %u not "
		                   "supported", out->version);
	if (out->version == 1) {
		/* a version 1 struct ends before the rates */
		memcpy(out, &rb->sum, offsetof(ewc_rebalance_summary, cost_rate_cny_per_day));
		out->version = 1;
	} else if (out->version == 2) {
		memcpy(out, &rb->sum, offsetof(ewc_rebalance_summary, rescheduled));
		out->version = 2;
	} else {
		*out = rb->sum;
	}
	return 0;
}

size_t ewc_rebalance_count(const ewc_rebalance *rb)
{
	return rb ? rb->jobs_n : 0;
}

int ewc_rebalance_job(const ewc_rebalance *rb, size_t i, ewc_move *out)
{
	const ewc_plan *p;
	const ewc__world *w;
	const ewc__job *J;
	const ewc__running *R;
	int s, o, b;

	if (!rb || !out || i >= rb->jobs_n)
		return ewc__seterr(EWC_EINVAL, "ewc_rebalance_job: no job %zu", i);
	if (out->version < 1 || out->version > EWC_MOVE_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_rebalance_job: struct version %u not supported",
		                   out->version);
	unsigned int ver = out->version;
	p = rb->plan;
	w = &p->w;
	J = &rb->jobs->v[i];
	R = &rb->run[i];
	s = p->stay[i];
	o = p->choice[i];
	b = p->base[i];
	/* a version 1 struct ends before from_gpus, a version 2 before waiting */
	memset(out, 0, ver == 1 ? offsetof(ewc_move, from_gpus)
	               : ver == 2 ? offsetof(ewc_move, waiting) : sizeof *out);
	out->version = ver;
	out->job = J->id;
	out->kind = J->kind;
	out->origin = J->origin;
	/* the GPUs it holds where it runs; where it goes, below */
	long from_gpus = R->r >= 0 && R->t >= 0 ? ewc__job_gpus(w, J, R->t) : J->gpus;
	out->gpus = from_gpus;
	if (ver >= 2)
		out->from_gpus = from_gpus;
	out->from_region = R->region;
	out->from_type = R->type;
	out->from_zone = R->r >= 0 ? w->regions[R->r].zone : EWC_ZONE_EAST;
	out->from_hours = R->remaining;
	out->started_at = R->started_at;
	if (s >= 0) {
		out->cost_stay_cny = p->opt_cost[s].cost_cny;
		out->carbon_stay_kg = p->opt_cost[s].carbon_kg;
	}
	if (ver >= 3) {
		double st = 0;
		ewc_time_parse(R->started_at, &st);
		out->waiting = R->waiting;
		out->from_start = st;
		out->to_start = st;
		if (o >= 0 && o != s)
			out->to_start = R->waiting ? rb->t0 + 3600.0 * p->opt_start[o] : rb->now;
	}
	if (o >= 0) {
		const ewc__region *T = &w->regions[p->opt_region[o]];
		const ewc__rgpu *G = &T->gpus[ewc__region_gpu(T, p->opt_type[o])];
		out->moved = o != s;
		out->to_region = T->id;
		out->to_zone = T->zone;
		out->to_type = w->gpus[p->opt_type[o]].type;
		out->to_hours = p->opt_cost[o].hours;
		out->cost_to_cny = p->opt_cost[o].cost_cny;
		out->carbon_to_kg = p->opt_cost[o].carbon_kg;
		out->energy_to_kwh = p->opt_cost[o].energy_kwh;
		out->migration_cny = p->opt_mig[o];
		out->gpus = p->opt_cost[o].gpus;
		out->restart_cny =
			o != s && !R->waiting
			? rb->opts.restart_hours * (double)p->opt_cost[o].gpus * G->price : 0;
		out->checkpoint_cny = out->migration_cny - out->restart_cny;
		if (out->checkpoint_cny < 0)
			out->checkpoint_cny = 0;
		if (s >= 0) {
			out->saving_cny = out->cost_stay_cny - out->cost_to_cny - out->migration_cny;
			out->carbon_avoided_kg = out->carbon_stay_kg - out->carbon_to_kg;
		}
	} else {
		out->reason = p->reason[i];
	}
	if (b >= 0) {
		out->baseline_region = w->regions[p->opt_region[b]].id;
		out->baseline_zone = w->regions[p->opt_region[b]].zone;
	}
	return 0;
}

size_t ewc_rebalance_skipped_count(const ewc_rebalance *rb)
{
	return rb ? rb->nskip : 0;
}

int ewc_rebalance_skipped(const ewc_rebalance *rb, size_t i, const char **job,
                          const char **reason)
{
	if (!rb || i >= rb->nskip)
		return ewc__seterr(EWC_EINVAL, "ewc_rebalance_skipped: no entry %zu", i);
	if (job)
		*job = rb->skip_job[i];
	if (reason)
		*reason = rb->skip_reason[i];
	return 0;
}
