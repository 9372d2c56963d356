/* ctx.c - the context: create and free it, its lock, lookups in its regions */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ewc_int.h"

/* A region's figures over time (when.c reads them). */
void ewc__when_free(ewc__when *t)
{
	if (!t)
		return;
	free(t->price.v);
	free(t->grid.v);
	free(t->green.v);
	for (size_t k = 0; k < t->nfree; k++)
		free(t->free[k].v);
	free(t->free);
	free(t->free_type);
	free(t->rel_end);
	free(t->rel_gpus);
	free(t->rel_type);
	free(t);
}

static int series_copy(ewc__series *dst, const ewc__series *src)
{
	dst->n = src->n;
	dst->start = src->start;
	dst->step_h = src->step_h;
	dst->v = NULL;
	if (!src->n)
		return 0;
	dst->v = malloc(src->n * sizeof *dst->v);
	if (!dst->v)
		return -1;
	memcpy(dst->v, src->v, src->n * sizeof *dst->v);
	return 0;
}

ewc__when *ewc__when_copy(const ewc__when *t)
{
	ewc__when *c;
	int bad;

	if (!t)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	*c = *t;
	c->price.v = c->grid.v = c->green.v = NULL;
	c->free = NULL;
	c->free_type = NULL;
	c->nfree = 0;
	c->rel_end = NULL;
	c->rel_gpus = NULL;
	c->rel_type = NULL;
	c->nrel = 0;
	if (t->nrel) {
		c->rel_end = malloc(t->nrel * sizeof *c->rel_end);
		c->rel_gpus = malloc(t->nrel * sizeof *c->rel_gpus);
		c->rel_type = malloc(t->nrel * sizeof *c->rel_type);
		if (!c->rel_end || !c->rel_gpus || !c->rel_type) {
			ewc__when_free(c);
			return NULL;
		}
		memcpy(c->rel_end, t->rel_end, t->nrel * sizeof *c->rel_end);
		memcpy(c->rel_gpus, t->rel_gpus, t->nrel * sizeof *c->rel_gpus);
		memcpy(c->rel_type, t->rel_type, t->nrel * sizeof *c->rel_type);
		c->nrel = t->nrel;
	}
	bad = series_copy(&c->price, &t->price) || series_copy(&c->grid, &t->grid) ||
	      series_copy(&c->green, &t->green);
	if (!bad && t->nfree) {
		c->free = calloc(t->nfree, sizeof *c->free);
		c->free_type = malloc(t->nfree * sizeof *c->free_type);
		bad = !c->free || !c->free_type;
		for (size_t k = 0; !bad && k < t->nfree; k++) {
			c->free_type[k] = t->free_type[k];
			bad = series_copy(&c->free[k], &t->free[k]);
			c->nfree = k + 1;
		}
	}
	if (bad) {
		ewc__when_free(c);
		return NULL;
	}
	return c;
}

void ewc__world_free(ewc__world *w)
{
	for (size_t i = 0; i < w->ngpus; i++)
		free(w->gpus[i].type);
	free(w->gpus);
	for (size_t i = 0; i < w->nregions; i++) {
		ewc__region *r = &w->regions[i];
		free(r->id);
		free(r->name);
		free(r->file);
		free(r->gpus);
		free(r->links);
		ewc__when_free(r->when);
	}
	free(w->regions);
	for (size_t i = 0; i < w->nsites; i++)
		free(w->sites[i]);
	free(w->sites);
	free(w->region_ix.slot);
	free(w->site_ix.slot);
	memset(w, 0, sizeof *w);
}

int ewc__world_copy(ewc__world *dst, const ewc__world *src)
{
	memset(dst, 0, sizeof *dst);
	dst->ledger_run = src->ledger_run;
	dst->gpus = calloc(src->ngpus ? src->ngpus : 1, sizeof *dst->gpus);
	dst->regions = calloc(src->nregions ? src->nregions : 1, sizeof *dst->regions);
	dst->sites = calloc(src->nsites ? src->nsites : 1, sizeof *dst->sites);
	if (!dst->gpus || !dst->regions || !dst->sites)
		goto oom;
	for (; dst->ngpus < src->ngpus; dst->ngpus++) {
		dst->gpus[dst->ngpus] = src->gpus[dst->ngpus];
		dst->gpus[dst->ngpus].type = ewc__strdup(src->gpus[dst->ngpus].type);
		if (!dst->gpus[dst->ngpus].type)
			goto oom;
	}
	for (; dst->nsites < src->nsites; dst->nsites++) {
		dst->sites[dst->nsites] = ewc__strdup(src->sites[dst->nsites]);
		if (!dst->sites[dst->nsites])
			goto oom;
	}
	for (; dst->nregions < src->nregions; dst->nregions++) {
		const ewc__region *a = &src->regions[dst->nregions];
		ewc__region *b = &dst->regions[dst->nregions];
		*b = *a;
		b->id = ewc__strdup(a->id);
		b->name = ewc__strdup(a->name);
		b->file = ewc__strdup(a->file);
		b->gpus = malloc((a->ngpus ? a->ngpus : 1) * sizeof *b->gpus);
		b->links = malloc((a->nlinks ? a->nlinks : 1) * sizeof *b->links);
		b->when = ewc__when_copy(a->when);
		if (!b->id || !b->name || !b->file || !b->gpus || !b->links || (a->when && !b->when)) {
			dst->nregions++; /* so that world_free frees what was copied */
			goto oom;
		}
		if (a->ngpus) /* a region may have no GPUs or links: no NULL to memcpy */
			memcpy(b->gpus, a->gpus, a->ngpus * sizeof *b->gpus);
		if (a->nlinks)
			memcpy(b->links, a->links, a->nlinks * sizeof *b->links);
	}
	dst->capregions = dst->nregions;
	dst->capsites = dst->nsites;
	if (dst->nregions)
		ewc__world_index_region(dst, dst->nregions - 1);
	if (dst->nsites)
		ewc__world_index_site(dst, dst->nsites - 1);
	return 0;
oom:
	ewc__world_free(dst);
	return -1;
}

int ewc__gpu_find(const ewc__world *w, const char *type)
{
	for (size_t i = 0; i < w->ngpus; i++)
		if (strcmp(w->gpus[i].type, type) == 0)
			return (int)i;
	return -1;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static const char *region_id_at(const void *set, size_t i)
{
	return ((const ewc__world *)set)->regions[i].id;
}

static const char *site_at(const void *set, size_t i)
{
	return ((const ewc__world *)set)->sites[i];
}

static long index_find(const ewc__index *x, const char *(*at)(const void *, size_t),
                       const void *set, const char *key)
{
	for (size_t k = (size_t)name_hash(key) & (x->cap - 1); x->slot[k];
	     k = (k + 1) & (x->cap - 1))
		if (strcmp(at(set, x->slot[k] - 1), key) == 0)
			return (long)(x->slot[k] - 1);
	return -1;
}

static void index_put(ewc__index *x, const char *(*at)(const void *, size_t), const void *set,
                      size_t i)
{
	size_t k = (size_t)name_hash(at(set, i)) & (x->cap - 1);
	while (x->slot[k])
		k = (k + 1) & (x->cap - 1);
	x->slot[k] = i + 1;
	x->n++;
}

/* Add entry i (entries 0 .. i-1 are in already, or the index is rebuilt
 * over 0 .. i); drop the index when memory runs out. */
static void index_add(ewc__index *x, const char *(*at)(const void *, size_t), const void *set,
                      size_t i)
{
	if (x->n != i || 2 * (i + 1) > x->cap) {
		size_t cap = 16;
		while (cap < 4 * (i + 1))
			cap *= 2;
		size_t *slot = calloc(cap, sizeof *slot);
		free(x->slot);
		x->slot = slot;
		x->cap = slot ? cap : 0;
		x->n = 0;
		if (!slot)
			return;
		for (size_t k = 0; k < i; k++)
			index_put(x, at, set, k);
	}
	index_put(x, at, set, i);
}

void ewc__world_index_region(ewc__world *w, size_t i)
{
	index_add(&w->region_ix, region_id_at, w, i);
}

void ewc__world_index_site(ewc__world *w, size_t i)
{
	index_add(&w->site_ix, site_at, w, i);
}

int ewc__region_find(const ewc__world *w, const char *id)
{
	if (w->region_ix.cap && w->region_ix.n == w->nregions)
		return (int)index_find(&w->region_ix, region_id_at, w, id);
	for (size_t i = 0; i < w->nregions; i++)
		if (strcmp(w->regions[i].id, id) == 0)
			return (int)i;
	return -1;
}

int ewc__site_find(const ewc__world *w, const char *site)
{
	if (w->site_ix.cap && w->site_ix.n == w->nsites)
		return (int)index_find(&w->site_ix, site_at, w, site);
	for (size_t i = 0; i < w->nsites; i++)
		if (strcmp(w->sites[i], site) == 0)
			return (int)i;
	return -1;
}


static const char *gpu_at(const void *set, size_t i)
{
	return ((const ewc__world *)set)->gpus[i].type;
}

const char *ewc__suggest_site(const ewc__world *w, const char *name, char *buf, size_t len)
{
	return ewc__suggest(name, site_at, w, w->nsites, buf, len);
}

const char *ewc__suggest_region(const ewc__world *w, const char *name, char *buf, size_t len)
{
	return ewc__suggest(name, region_id_at, w, w->nregions, buf, len);
}

const char *ewc__suggest_gpu(const ewc__world *w, const char *name, char *buf, size_t len)
{
	return ewc__suggest(name, gpu_at, w, w->ngpus, buf, len);
}

int ewc__region_gpu(const ewc__region *r, int t)
{
	for (size_t k = 0; k < r->ngpus; k++)
		if (r->gpus[k].type == t)
			return (int)k;
	return -1;
}

const ewc__link *ewc__region_link(const ewc__region *r, int s)
{
	if (s < 0)
		return NULL;
	for (size_t k = 0; k < r->nlinks; k++)
		if (r->links[k].site == s)
			return &r->links[k];
	return NULL;
}

int ewc_ctx_new(ewc_ctx **out)
{
	ewc_ctx *ctx;

	if (!out)
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_new: out is NULL");
	*out = NULL;
	ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
		free(ctx);
		return ewc__seterr(EWC_ERROR, "cannot create the context's lock");
	}
	*out = ctx;
	return 0;
}

void ewc_ctx_free(ewc_ctx *ctx)
{
	if (!ctx)
		return;
	ewc__world_free(&ctx->w);
	free(ctx->resv);
	free(ctx->free_slots);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

const char *ewc_zone_name(ewc_zone zone)
{
	return zone == EWC_ZONE_WEST ? "west" : "east";
}

size_t ewc_region_count(const ewc_ctx *ctx)
{
	return ctx ? ctx->w.nregions : 0;
}

int ewc_region_get(const ewc_ctx *ctx, size_t i, ewc_region_info *out)
{
	const ewc__region *r;

	if (!ctx || !out || i >= ctx->w.nregions)
		return ewc__seterr(EWC_EINVAL, "ewc_region_get: no region %zu", i);
	if (out->version < 1 || out->version > EWC_REGION_INFO_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_region_get: struct version %u not supported",
		                   out->version);
	ewc__lock((ewc_ctx *)ctx);
	r = &ctx->w.regions[i];
	out->id = r->id;
	out->name = r->name;
	out->zone = r->zone;
	out->power_price = r->power_price;
	out->green_share = r->green_share;
	out->grid_factor = r->grid_factor;
	out->pue = r->pue;
	out->gpu_types = r->ngpus;
	out->links = r->nlinks;
	out->file = r->file;
	out->line = r->line;
	if (out->version >= 2)
		out->as_of = r->as_of;
	ewc__unlock((ewc_ctx *)ctx);
	return 0;
}

int ewc_region_gpu(const ewc_ctx *ctx, size_t i, size_t k, const char **type,
                   long *free_gpus, double *price)
{
	const ewc__rgpu *g;

	if (!ctx || i >= ctx->w.nregions || k >= ctx->w.regions[i].ngpus)
		return ewc__seterr(EWC_EINVAL, "ewc_region_gpu: no entry %zu of region %zu", k, i);
	ewc__lock((ewc_ctx *)ctx);
	g = &ctx->w.regions[i].gpus[k];
	if (type)
		*type = ctx->w.gpus[g->type].type;
	if (free_gpus)
		*free_gpus = g->free;
	if (price)
		*price = g->price;
	ewc__unlock((ewc_ctx *)ctx);
	return 0;
}

int ewc_region_link(const ewc_ctx *ctx, size_t i, size_t k, const char **site,
                    double *latency_ms, double *price_per_gb, double *gbps)
{
	const ewc__link *l;

	if (!ctx || i >= ctx->w.nregions || k >= ctx->w.regions[i].nlinks)
		return ewc__seterr(EWC_EINVAL, "ewc_region_link: no link %zu of region %zu", k, i);
	l = &ctx->w.regions[i].links[k];
	if (site)
		*site = ctx->w.sites[l->site];
	if (latency_ms)
		*latency_ms = l->latency_ms;
	if (price_per_gb)
		*price_per_gb = l->price_per_gb;
	if (gbps)
		*gbps = l->gbps;
	return 0;
}

size_t ewc_gpu_count(const ewc_ctx *ctx)
{
	return ctx ? ctx->w.ngpus : 0;
}

int ewc_gpu_get(const ewc_ctx *ctx, size_t k, const char **type, double *watts, double *perf)
{
	if (!ctx || k >= ctx->w.ngpus)
		return ewc__seterr(EWC_EINVAL, "ewc_gpu_get: no GPU type %zu", k);
	if (type)
		*type = ctx->w.gpus[k].type;
	if (watts)
		*watts = ctx->w.gpus[k].watts;
	if (perf)
		*perf = ctx->w.gpus[k].perf;
	return 0;
}

void ewc__lock(ewc_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
}

void ewc__unlock(ewc_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->lock);
}

/* Region index and its entry for a type, or an error. Called locked. */
static int find_pool(ewc_ctx *ctx, const char *region, const char *gpu_type, int *r, int *k)
{
	int t;

	*r = region ? ewc__region_find(&ctx->w, region) : -1;
	if (*r < 0)
		return ewc__seterr(EWC_ENOTFOUND, "no region \"%s\"", region ? region : "");
	t = gpu_type ? ewc__gpu_find(&ctx->w, gpu_type) : -1;
	*k = t < 0 ? -1 : ewc__region_gpu(&ctx->w.regions[*r], t);
	if (*k < 0)
		return ewc__seterr(EWC_ENOTFOUND, "region \"%s\" has no GPU type \"%s\"", region,
		                   gpu_type ? gpu_type : "");
	return 0;
}

int ewc_ctx_set_available(ewc_ctx *ctx, const char *region, const char *gpu_type, long free_gpus)
{
	int r, k, rc;

	if (!ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_set_available: NULL context");
	if (free_gpus < 0)
		return ewc__seterr(EWC_EINVAL, "free GPUs must be >= 0, got %ld", free_gpus);
	ewc__lock(ctx);
	rc = find_pool(ctx, region, gpu_type, &r, &k);
	if (rc == 0)
		ctx->w.regions[r].gpus[k].free = free_gpus;
	ewc__unlock(ctx);
	return rc;
}

int ewc_ctx_available(ewc_ctx *ctx, const char *region, const char *gpu_type, long *out)
{
	int r, k, rc;

	if (!ctx || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_available: NULL argument");
	ewc__lock(ctx);
	rc = find_pool(ctx, region, gpu_type, &r, &k);
	if (rc == 0)
		*out = ctx->w.regions[r].gpus[k].free;
	ewc__unlock(ctx);
	return rc;
}

int ewc_ctx_set_power(ewc_ctx *ctx, const char *region, double power_price, double green_share)
{
	int r;

	if (!ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_set_power: NULL context");
	if (!isnan(power_price) && !ewc__in_range(power_price, EWC__R_GE0))
		return ewc__seterr(EWC_EINVAL, "power price must be >= 0, got %g", power_price);
	if (!isnan(green_share) && !ewc__in_range(green_share, EWC__R_01))
		return ewc__seterr(EWC_EINVAL, "green share must be between 0 and 1, got %g",
		                   green_share);
	ewc__lock(ctx);
	r = region ? ewc__region_find(&ctx->w, region) : -1;
	if (r >= 0) {
		if (!isnan(power_price))
			ctx->w.regions[r].power_price = power_price;
		if (!isnan(green_share))
			ctx->w.regions[r].green_share = green_share;
	}
	ewc__unlock(ctx);
	if (r < 0)
		return ewc__seterr(EWC_ENOTFOUND, "no region \"%s\"", region ? region : "");
	return 0;
}
