/* sched.c - live capacity: place one job, reserve, release, commit, update */
/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan_int.h"

/* Reservation ids: the slot in the low 32 bits, the slot's generation in
 * the high ones, so a released or dropped id never matches a newer one. */
static unsigned long long resv_id(const ewc_ctx *ctx, size_t slot)
{
	return ((unsigned long long)ctx->resv[slot].gen << 32) | (unsigned long long)slot;
}

/* Room for `more` reservations without failing later. Called locked. */
static int resv_reserve_room(ewc_ctx *ctx, size_t more)
{
	size_t need = ctx->nresv + more;

	if (ctx->nfree_slots >= more || need <= ctx->capresv)
		return 0;
	size_t cap = ctx->capresv ? ctx->capresv : 64;
	while (cap < need)
		cap *= 2;
	ewc__resv *v = realloc(ctx->resv, cap * sizeof *v);
	if (!v)
		return -1;
	ctx->resv = v;
	int *f = realloc(ctx->free_slots, cap * sizeof *f);
	if (!f)
		return -1;
	ctx->free_slots = f;
	ctx->capresv = cap;
	return 0;
}

/* Take GPUs and record the reservation. Called locked, with room made. */
static unsigned long long resv_take(ewc_ctx *ctx, int r, int t, long gpus, double t0,
                                    double t1)
{
	size_t slot;
	int k = ewc__region_gpu(&ctx->w.regions[r], t);

	if (ctx->nfree_slots)
		slot = (size_t)ctx->free_slots[--ctx->nfree_slots];
	else
		slot = ctx->nresv++;
	/* a reservation of an interval is counted against the hours it
	 * covers, not the free count */
	if (t1 <= 0) {
		ctx->w.regions[r].gpus[k].free -= gpus;
		ctx->w.regions[r].gpus[k].adj -= gpus;
	}
	ctx->resv[slot].t0 = t0;
	ctx->resv[slot].t1 = t1;
	ctx->resv[slot].region = r;
	ctx->resv[slot].type = t;
	ctx->resv[slot].gpus = gpus;
	ctx->resv[slot].used = 1;
	/* 0 is "no reservation": generations start at 1 */
	ctx->resv_gen = ctx->resv_gen == UINT32_MAX ? 1 : ctx->resv_gen + 1;
	ctx->resv[slot].gen = ctx->resv_gen;
	return resv_id(ctx, slot);
}

int ewc_release(ewc_ctx *ctx, unsigned long long reservation)
{
	size_t slot = (size_t)(reservation & 0xffffffffu);
	unsigned int gen = (unsigned int)(reservation >> 32);
	int rc = 0;

	if (!ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_release: NULL context");
	ewc__lock(ctx);
	if (reservation == 0 || slot >= ctx->nresv || !ctx->resv[slot].used ||
	    ctx->resv[slot].gen != gen) {
		rc = EWC_ENOTFOUND;
	} else {
		ewc__resv *v = &ctx->resv[slot];
		int k = ewc__region_gpu(&ctx->w.regions[v->region], v->type);
		if (v->t1 <= 0) {
			ctx->w.regions[v->region].gpus[k].free += v->gpus;
			ctx->w.regions[v->region].gpus[k].adj += v->gpus;
		}
		v->used = 0;
		ctx->free_slots[ctx->nfree_slots++] = (int)slot;
	}
	ewc__unlock(ctx);
	if (rc)
		return ewc__seterr(rc, "no reservation %llu (released already, or dropped when "
		                   "the regions were reloaded)", reservation);
	return 0;
}

size_t ewc_ctx_reservations(ewc_ctx *ctx)
{
	size_t n;

	if (!ctx)
		return 0;
	ewc__lock(ctx);
	n = ctx->nresv - ctx->nfree_slots;
	ewc__unlock(ctx);
	return n;
}

/* The GPUs of pool (r, t), entry k of its region (-1: none), free in the
 * hour from T: the hour's free count less what reservations of an
 * interval hold then. Called locked. */
static long hour_room(const ewc_ctx *ctx, int r, int t, int k, double T)
{
	long room = k >= 0 ? ewc__when_free_at(&ctx->w.regions[r], k, T) : 0;

	for (size_t v = 0; v < ctx->nresv; v++)
		if (ctx->resv[v].region == r && ctx->resv[v].type == t &&
		    ewc__resv_in_hour(&ctx->resv[v], T))
			room -= ctx->resv[v].gpus;
	return room;
}

/* Over a horizon: the best start of job J on pool (r, t) (entry g of the
 * region), against each hour's free GPUs less what reservations of an
 * interval hold then; replaces the best so far when better. Called
 * locked. 0, or -1 when out of memory. */
static int best_window(ewc_ctx *ctx, const ewc__job *J, int r, int t, int g, int horizon,
                       double t0, const ewc_place_options *opts, double carbon_price,
                       const ewc__cost *base, int *best_r, int *best_t, int *best_s,
                       double *best_obj, ewc__cost *best_c, int *windows)
{
	const ewc__region *R = &ctx->w.regions[r];
	const ewc__link *L = J->site >= 0 ? ewc__region_link(R, J->site) : NULL;
	long *free_h = malloc((size_t)horizon * sizeof *free_h);
	double limit = (double)horizon, first;
	int s0, s1, len = (int)ceil(base->hours - 1e-9);

	if (!free_h)
		return -1;
	for (int h = 0; h < horizon; h++)
		free_h[h] = hour_room(ctx, r, t, g, t0 + 3600.0 * h);
	if (J->deadline_h > 0 && J->deadline_h < limit)
		limit = J->deadline_h;
	first = ceil(J->earliest_h + ewc__transfer_hours(J, L) - 1e-9);
	s0 = first > horizon ? horizon : (int)first;
	s1 = (int)floor(limit - base->hours + 1e-9);
	if (J->kind == EWC_KIND_INFER && s1 > s0)
		s1 = s0;
	if (s0 <= s1)
		*windows = 1;
	for (int s = s0; s <= s1; s++) {
		ewc__cost c = *base;
		double obj;
		int fits = 1;
		for (int h = s; h < s + len && fits; h++)
			fits = free_h[h] >= c.gpus;
		if (!fits)
			continue;
		ewc__when_cost(R, t0 + 3600.0 * s, &c);
		obj = ewc__objective(opts->mode, carbon_price, ewc__basis(opts), &c);
		if (*best_r < 0 || obj < *best_obj ||
		    (obj == *best_obj && c.cost_cny < best_c->cost_cny)) {
			*best_r = r;
			*best_t = t;
			*best_s = s;
			*best_obj = obj;
			*best_c = c;
		}
	}
	free(free_h);
	return 0;
}

int ewc_place_one(ewc_ctx *ctx, const ewc_job *job, const ewc_place_options *opts,
                  unsigned int flags, ewc_placement *out)
{
	ewc_place_options def = EWC_PLACE_OPTIONS_INIT;
	ewc__job j;
	ewc__cost best_c = { 0 };
	double best_obj = 0, carbon_price;
	int best_r = -1, best_t = -1, rc;
	char why[256];

	unsigned int version;
	int horizon = 0, best_s = 0, eligible = 0, windows = 0;
	double t0 = 0, now = (double)time(NULL);

	if (!ctx || !job || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_place_one: NULL argument");
	version = out->version;
	if (version < 1 || version > EWC_PLACEMENT_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_place_one: placement version %u not supported",
		                   out->version);
	if (!opts)
		opts = &def;
	rc = ewc__check_options(opts, "ewc_place_one");
	if (!rc)
		rc = ewc__no_policy(opts, "ewc_place_one");
	if (rc)
		return rc;
	carbon_price = opts->mode == EWC_MODE_COST ? 0 : opts->carbon_price;
	if (opts->version >= 5 && opts->horizon_h > 0) {
		horizon = opts->horizon_h;
		t0 = opts->start_time > 0 ? opts->start_time : floor(now / 3600.0) * 3600.0;
	}

	memset(out, 0, version == 1 ? offsetof(ewc_placement, start_time) : sizeof *out);
	out->version = version;
	if (version >= 2)
		out->start_time = out->end_time = -1;
	out->latency_ms = -1;
	out->gpus = job->gpus;

	ewc__lock(ctx);
	rc = ewc__job_check(&ctx->w, job, &j);
	if (rc) {
		ewc__unlock(ctx);
		return rc;
	}
	for (size_t r = 0; r < ctx->w.nregions; r++) {
		const ewc__region *R = &ctx->w.regions[r];
		for (int k = 0; k < j.ntypes; k++) {
			int t = j.types[k], g = ewc__region_gpu(R, t);
			ewc__cost c;
			double obj;
			long held = 0;
			if (g < 0)
				continue;
			if (!horizon) {
				/* starting now: reservations of an interval it would
				 * overlap hold their GPUs */
				ewc__cost_eval(&ctx->w, &j, (int)r, t, &c);
				for (size_t q = 0; q < ctx->nresv; q++)
					if (ctx->resv[q].used && ctx->resv[q].t1 > now &&
					    ctx->resv[q].t0 < now + 3600.0 * c.hours &&
					    ctx->resv[q].region == (int)r && ctx->resv[q].type == t)
						held += ctx->resv[q].gpus;
				if (!ewc__eligible(&ctx->w, &j, (int)r, t, R->gpus[g].free - held, why,
				                   sizeof why))
					continue;
				obj = ewc__objective(opts->mode, carbon_price, ewc__basis(opts), &c);
				if (best_r < 0 || obj < best_obj ||
				    (obj == best_obj && c.cost_cny < best_c.cost_cny)) {
					best_r = (int)r;
					best_t = t;
					best_obj = obj;
					best_c = c;
				}
				continue;
			}
			if (!ewc__eligible(&ctx->w, &j, (int)r, t, LONG_MAX, why, sizeof why))
				continue;
			eligible = 1;
			ewc__cost_eval(&ctx->w, &j, (int)r, t, &c);
			if (best_window(ctx, &j, (int)r, t, g, horizon, t0, opts, carbon_price, &c,
			                &best_r, &best_t, &best_s, &best_obj, &best_c, &windows) != 0) {
				rc = ewc__seterr(EWC_ENOMEM, "out of memory");
				break;
			}
		}
	}
	if (rc) {
		/* out of memory: nothing placed */
	} else if (best_r < 0) {
		if (horizon && eligible && windows)
			snprintf(out->reason, sizeof out->reason, "capacity: no start from hour %g "
			         "that ends in time has the GPUs free (less reservations) in every hour "
			         "it runs, anywhere it may run", j.earliest_h);
		else if (horizon && eligible)
			snprintf(out->reason, sizeof out->reason, "%s: no region it may use can run "
			         "its %.4g h from hour %g and end %s", j.deadline_h > 0 &&
			         j.deadline_h < horizon ? "deadline" : "horizon", j.hours, j.earliest_h,
			         j.deadline_h > 0 && j.deadline_h < horizon ? "by its deadline"
			                                                    : "within the horizon");
		else
			ewc__explain_none(&ctx->w, &j, out->reason, sizeof out->reason);
	} else {
		const ewc__region *R = &ctx->w.regions[best_r];
		out->placed = 1;
		out->region = R->id;
		out->zone = R->zone;
		out->gpu_type = ctx->w.gpus[best_t].type;
		out->gpus = best_c.gpus;
		out->hours = best_c.hours;
		out->cost_cny = best_c.cost_cny;
		out->transfer_cny = best_c.transfer_cny;
		out->energy_kwh = best_c.energy_kwh;
		out->carbon_kg = best_c.carbon_kg;
		out->objective = best_obj;
		out->latency_ms = best_c.latency_ms;
		double s0 = horizon ? t0 + 3600.0 * best_s : 0, s1 = s0 + 3600.0 * best_c.hours;
		if (horizon && version >= 2) {
			out->start_time = s0;
			out->end_time = s1;
		}
		if (flags & EWC_RESERVE) {
			if (resv_reserve_room(ctx, 1) != 0)
				rc = ewc__seterr(EWC_ENOMEM, "out of memory");
			else
				out->reservation = resv_take(ctx, best_r, best_t, best_c.gpus, s0,
				                             horizon ? s1 : 0);
		}
	}
	ewc__unlock(ctx);
	ewc__job_clear(&j);
	return rc;
}

int ewc_plan_commit(ewc_plan *p, unsigned long long *reservations)
{
	ewc_ctx *ctx;
	long *need;
	size_t H, npools, placed = 0;
	int rc = 0;

	if (!p)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_commit: NULL plan");
	ctx = p->ctx;
	/* what each pool needs, by slot over a horizon (each job for the hours
	 * it runs); a snapshot plan has one column, held until released */
	H = p->nslots ? p->nslots : 1;
	npools = p->w.nregions * p->w.ngpus;
	need = calloc(npools * H > 0 ? npools * H : 1, sizeof *need);
	if (!need)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t j = 0; j < p->njobs; j++) {
		int o = p->choice[j];
		if (reservations)
			reservations[j] = 0;
		if (o < 0)
			continue;
		int s0 = p->nslots ? p->opt_start[o] : 0, s1 = p->nslots ? s0 + p->opt_len[o] : 1;
		for (int s = s0; s < s1; s++)
			need[(size_t)p->pool[o] * H + (size_t)s] += p->opt_cost[o].gpus;
		placed++;
	}

	ewc__lock(ctx);
	if (p->committed) {
		rc = ewc__seterr(EWC_EALREADY, "ewc_plan_commit: this plan is committed already (its "
		                 "reservations hold); release them or make a new plan");
		goto out;
	}
	if (p->jobs->generation != ctx->generation) {
		rc = ewc__seterr(EWC_EINVAL, "the regions were reloaded after the plan was made");
		goto out;
	}
	/* check every pool (and slot) first: all or nothing */
	for (size_t q = 0; q < npools && rc == 0; q++) {
		int r = (int)(q / p->w.ngpus), t = (int)(q % p->w.ngpus);
		const ewc__region *R = &ctx->w.regions[r];
		int k = ewc__region_gpu(R, t);
		for (size_t s = 0; s < H && rc == 0; s++) {
			double T = p->t0 + 3600.0 * (double)s;
			long room, n = need[q * H + s];
			char at[32];
			if (!n)
				continue;
			room = p->nslots ? hour_room(ctx, r, t, k, T) : k < 0 ? 0 : R->gpus[k].free;
			if (room >= n)
				continue;
			if (!p->nslots) {
				rc = ewc__seterr(EWC_ECAPACITY, "capacity changed since the plan was made: "
				                 "%s has %ld free %s, the plan needs %ld", R->id, room,
				                 ctx->w.gpus[t].type, n);
				continue;
			}
			ewc_time_format(T, at, sizeof at);
			rc = ewc__seterr(EWC_ECAPACITY, "capacity changed since the plan was made: %s has "
			                 "%ld free %s in the hour from %s, the plan needs %ld", R->id,
			                 room > 0 ? room : 0L, ctx->w.gpus[t].type, at, n);
		}
	}
	if (rc == 0 && resv_reserve_room(ctx, placed) != 0)
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t j = 0; rc == 0 && j < p->njobs; j++) {
		int o = p->choice[j];
		unsigned long long id;
		if (o < 0)
			continue;
		/* over a horizon: the interval it runs; else until released */
		id = p->nslots
		         ? resv_take(ctx, p->opt_region[o], p->opt_type[o], p->opt_cost[o].gpus,
		                     p->t0 + 3600.0 * p->opt_start[o],
		                     p->t0 + 3600.0 * (p->opt_start[o] + p->opt_cost[o].hours))
		         : resv_take(ctx, p->opt_region[o], p->opt_type[o], p->opt_cost[o].gpus, 0, 0);
		if (reservations)
			reservations[j] = id;
	}
	if (rc == 0)
		p->committed = 1;
out:
	ewc__unlock(ctx);
	free(need);
	return rc;
}
