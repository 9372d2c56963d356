/* why.c - what changed since the previous run's figures, and which change
 * drove each move of a rebalancing */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db_int.h"
#include "rebalance_int.h"

/* A change: region, pool (type) or -1 for power, which figure, old and new,
 * and whether it makes the region dearer or dirtier (a reason to leave) or
 * cheaper, greener or roomier (a reason to come). */
enum { F_POWER_PRICE, F_GREEN, F_GRID, F_PUE, F_GPU_PRICE, F_FREE };
typedef struct change {
	int region, type, field;
	double from, to;
} change;

static const char *const field_name[] = { "power price", "green share", "grid factor", "PUE",
	                                      "price", "free GPUs" };

/* +1: the change pushes jobs out of the region, -1: pulls them in. */
static int push(const change *c)
{
	int up = c->to > c->from;
	switch (c->field) {
	case F_GREEN:
	case F_FREE: return up ? -1 : 1;
	default: return up ? 1 : -1;
	}
}

static int add(ewc_rebalance *rb, change **v, size_t *n, size_t *cap, change c)
{
	const ewc__world *w = &rb->plan->w;
	char text[256];

	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		change *x = realloc(*v, nc * sizeof *x);
		char **t = realloc(rb->change, nc * sizeof *t);
		if (x)
			*v = x;
		if (t)
			rb->change = t;
		if (!x || !t)
			return -1;
		*cap = nc;
	}
	if (c.field == F_FREE)
		snprintf(text, sizeof text, "%s %s free GPUs %.0f -> %.0f", w->regions[c.region].id,
		         w->gpus[c.type].type, c.from, c.to);
	else if (c.field == F_GPU_PRICE)
		snprintf(text, sizeof text, "%s %s price %.2f -> %.2f CNY/GPU-h",
		         w->regions[c.region].id, w->gpus[c.type].type, c.from, c.to);
	else
		snprintf(text, sizeof text, "%s %s %.4g -> %.4g", w->regions[c.region].id,
		         field_name[c.field], c.from, c.to);
	rb->change[*n] = ewc__strdup(text);
	if (!rb->change[*n])
		return -1;
	(*v)[(*n)++] = c;
	rb->nchange = *n;
	return 0;
}

static int differ(double a, double b)
{
	return fabs(a - b) > 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

int ewc__rebalance_why(ewc_rebalance *rb, ewc_db *db)
{
	const ewc_plan *p = rb->plan;
	const ewc__world *w = &p->w;
	char *text = NULL;
	json_t *arr = NULL;
	change *cs = NULL;
	size_t n = 0, cap = 0;
	int rc = ewc__db_last_snapshot(db, &text);

	rb->why = malloc((rb->jobs_n ? rb->jobs_n : 1) * sizeof *rb->why);
	if (!rb->why) {
		free(text);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	for (size_t j = 0; j < rb->jobs_n; j++)
		rb->why[j] = -1;
	if (rc || !text)
		return rc;
	arr = json_loads(text, 0, NULL);
	free(text);
	rb->have_snapshot = json_is_array(arr);
	for (size_t i = 0; rb->have_snapshot && i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i), *gpus;
		int r = ewc__region_find(w, json_string_value(json_object_get(o, "id")) ?
		                                json_string_value(json_object_get(o, "id")) : "");
		if (r < 0)
			continue;
		const ewc__region *R = &w->regions[r];
		double was[4] = { json_number_value(json_object_get(o, "power_price")),
			          json_number_value(json_object_get(o, "green_share")),
			          json_number_value(json_object_get(o, "grid_factor")),
			          json_number_value(json_object_get(o, "pue")) };
		double now[4] = { R->power_price, R->green_share, R->grid_factor, R->pue };
		for (int f = 0; f < 4; f++)
			if (differ(was[f], now[f]) &&
			    add(rb, &cs, &n, &cap, (change){ r, -1, f, was[f], now[f] }) != 0)
				goto oom;
		gpus = json_object_get(o, "gpus");
		for (size_t k = 0; k < json_array_size(gpus); k++) {
			json_t *g = json_array_get(gpus, k);
			const char *type = json_string_value(json_object_get(g, "type"));
			int t = type ? ewc__gpu_find(w, type) : -1, kk;
			if (t < 0 || (kk = ewc__region_gpu(R, t)) < 0)
				continue;
			/* free as loaded: the plan's count less what the running jobs
			 * gave back */
			double fr = (double)(R->gpus[kk].free - rb->held[(size_t)r * w->ngpus + (size_t)t]);
			double wp = json_number_value(json_object_get(g, "price"));
			double wf = json_number_value(json_object_get(g, "free"));
			if (differ(wp, R->gpus[kk].price) &&
			    add(rb, &cs, &n, &cap, (change){ r, t, F_GPU_PRICE, wp, R->gpus[kk].price }) != 0)
				goto oom;
			if (differ(wf, fr) && add(rb, &cs, &n, &cap, (change){ r, t, F_FREE, wf, fr }) != 0)
				goto oom;
		}
	}
	/* each move's driver: a change that pushes it out of where it ran
	 * (its pool, then its region's power), else one that pulls it in
	 * where it goes */
	for (size_t j = 0; j < rb->jobs_n; j++) {
		int o = p->choice[j], s = p->stay[j], best = -1, score = 0;
		if (o < 0 || o == s || s < 0)
			continue;
		int fr = p->opt_region[s], ft = p->opt_type[s];
		int tr = p->opt_region[o], tt = p->opt_type[o];
		for (size_t c = 0; c < n; c++) {
			const change *x = &cs[c];
			int sc = 0;
			/* fewer free GPUs where a job runs is no reason to leave: it
			 * holds its own */
			if (x->region == fr && push(x) > 0 && x->field != F_FREE &&
			    (x->type == ft || x->type < 0))
				sc = x->type == ft ? 4 : 3;
			else if (x->region == tr && push(x) < 0 && (x->type == tt || x->type < 0))
				sc = x->type == tt ? 2 : 1;
			if (sc > score) {
				score = sc;
				best = (int)c;
			}
		}
		rb->why[j] = best;
	}
	free(cs);
	json_decref(arr);
	return 0;
oom:
	free(cs);
	json_decref(arr);
	return ewc__seterr(EWC_ENOMEM, "out of memory");
}

size_t ewc_rebalance_change_count(const ewc_rebalance *rb)
{
	return rb ? rb->nchange : 0;
}

const char *ewc_rebalance_change(const ewc_rebalance *rb, size_t i)
{
	return rb && i < rb->nchange ? rb->change[i] : NULL;
}

const char *ewc_rebalance_why(const ewc_rebalance *rb, size_t i)
{
	if (!rb || i >= rb->jobs_n || !rb->why)
		return NULL;
	if (rb->why[i] >= 0)
		return rb->change[rb->why[i]];
	return NULL;
}

int ewc_rebalance_compared(const ewc_rebalance *rb)
{
	return rb ? rb->have_snapshot : 0;
}
