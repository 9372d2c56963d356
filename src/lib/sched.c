/* sched.c - live capacity: place one job, reserve, release, commit, update */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
static unsigned long long resv_take(ewc_ctx *ctx, int r, int t, long gpus)
{
	size_t slot;
	int k = ewc__region_gpu(&ctx->w.regions[r], t);

	if (ctx->nfree_slots)
		slot = (size_t)ctx->free_slots[--ctx->nfree_slots];
	else
		slot = ctx->nresv++;
	ctx->w.regions[r].gpus[k].free -= gpus;
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
		ctx->w.regions[v->region].gpus[k].free += v->gpus;
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

int ewc_place_one(ewc_ctx *ctx, const ewc_job *job, const ewc_place_options *opts,
                  unsigned int flags, ewc_placement *out)
{
	ewc_place_options def = EWC_PLACE_OPTIONS_INIT;
	ewc__job j;
	ewc__cost best_c = { 0 };
	double best_obj = 0, carbon_price;
	int best_r = -1, best_t = -1, rc;
	char why[256];

	if (!ctx || !job || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_place_one: NULL argument");
	if (out->version != EWC_PLACEMENT_VERSION)
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

	memset(out, 0, sizeof *out);
	out->version = EWC_PLACEMENT_VERSION;
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
			if (g < 0 || !ewc__eligible(&ctx->w, &j, (int)r, t, R->gpus[g].free, why, sizeof why))
				continue;
			ewc__cost_eval(&ctx->w, &j, (int)r, t, &c);
			obj = ewc__objective(opts->mode, carbon_price, ewc__basis(opts), &c);
			if (best_r < 0 || obj < best_obj ||
			    (obj == best_obj && c.cost_cny < best_c.cost_cny)) {
				best_r = (int)r;
				best_t = t;
				best_obj = obj;
				best_c = c;
			}
		}
	}
	if (best_r < 0) {
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
		if (flags & EWC_RESERVE) {
			if (resv_reserve_room(ctx, 1) != 0)
				rc = ewc__seterr(EWC_ENOMEM, "out of memory");
			else
				out->reservation = resv_take(ctx, best_r, best_t, best_c.gpus);
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
	size_t npools, placed = 0;
	int rc = 0;

	if (!p)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_commit: NULL plan");
	if (p->nslots)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_commit: a plan over a horizon holds GPUs "
		                   "for intervals, which reservations cannot yet express");
	ctx = p->ctx;
	npools = p->w.nregions * p->w.ngpus;
	need = calloc(npools ? npools : 1, sizeof *need);
	if (!need)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t j = 0; j < p->njobs; j++) {
		int o = p->choice[j];
		if (reservations)
			reservations[j] = 0;
		if (o < 0)
			continue;
		need[(size_t)p->opt_region[o] * p->w.ngpus + (size_t)p->opt_type[o]] +=
			p->opt_cost[o].gpus;
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
	/* check every pool first: all or nothing */
	for (size_t q = 0; q < npools && rc == 0; q++) {
		int r = (int)(q / p->w.ngpus), t = (int)(q % p->w.ngpus);
		const ewc__region *R = &ctx->w.regions[r];
		int k;
		if (!need[q])
			continue;
		k = ewc__region_gpu(R, t);
		if (k < 0 || R->gpus[k].free < need[q])
			rc = ewc__seterr(EWC_ECAPACITY,
			                 "capacity changed since the plan was made: %s has %ld free %s, "
			                 "the plan needs %ld", R->id, k < 0 ? 0L : R->gpus[k].free,
			                 ctx->w.gpus[t].type, need[q]);
	}
	if (rc == 0 && resv_reserve_room(ctx, placed) != 0)
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t j = 0; rc == 0 && j < p->njobs; j++) {
		int o = p->choice[j];
		unsigned long long id;
		if (o < 0)
			continue;
		id = resv_take(ctx, p->opt_region[o], p->opt_type[o], p->opt_cost[o].gpus);
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
