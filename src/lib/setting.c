/* setting.c - ewc_ctx_set(): change one figure of the loaded regions by name */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ewc_int.h"

/* The figure a setting names, in one region. */
typedef struct target {
	double *d;      /* a double field, or NULL */
	long *l;        /* the free count, or NULL */
	ewc__range range;
	const char *what;
} target;

/* Resolve FIELD (what follows "REGION.") in region R. 0, or -1 with the
 * reason in why. */
static int resolve(ewc__world *w, ewc__region *R, const char *field, target *t, char *why,
                   size_t whylen)
{
	const char *dot = strrchr(field, '.');
	char head[256];
	size_t n;

	memset(t, 0, sizeof *t);
	if (!dot || dot == field || !dot[1]) {
		snprintf(why, whylen, "expected REGION.power.FIELD, REGION.TYPE.FIELD or "
		         "REGION.link.SITE.FIELD");
		return -1;
	}
	n = (size_t)(dot - field);
	if (n >= sizeof head) {
		snprintf(why, whylen, "name too long");
		return -1;
	}
	memcpy(head, field, n);
	head[n] = '\0';
	dot++;
	t->what = dot;
	if (strcmp(head, "power") == 0) {
		if (strcmp(dot, "price") == 0) {
			t->d = &R->power_price;
			t->range = EWC__R_GE0;
		} else if (strcmp(dot, "green-share") == 0) {
			t->d = &R->green_share;
			t->range = EWC__R_01;
		} else if (strcmp(dot, "grid-factor") == 0) {
			t->d = &R->grid_factor;
			t->range = EWC__R_GE0;
		} else if (strcmp(dot, "pue") == 0) {
			t->d = &R->pue;
			t->range = EWC__R_GE1;
		} else {
			snprintf(why, whylen, "power has price, green-share, grid-factor and pue, "
			         "not \"%s\"", dot);
			return -1;
		}
		return 0;
	}
	if (strncmp(head, "link.", 5) == 0) {
		int s = ewc__site_find(w, head + 5);
		const ewc__link *L = s >= 0 ? ewc__region_link(R, s) : NULL;
		if (!L) {
			snprintf(why, whylen, "region %.64s has no link from site \"%.64s\"", R->id, head + 5);
			return -1;
		}
		ewc__link *M = (ewc__link *)L;
		if (strcmp(dot, "price-per-gb") == 0) {
			t->d = &M->price_per_gb;
			t->range = EWC__R_GE0;
		} else if (strcmp(dot, "latency-ms") == 0) {
			t->d = &M->latency_ms;
			t->range = EWC__R_GE0;
		} else if (strcmp(dot, "gbps") == 0) {
			t->d = &M->gbps;
			t->range = EWC__R_GT0;
		} else {
			snprintf(why, whylen, "a link has price-per-gb, latency-ms and gbps, not \"%s\"",
			         dot);
			return -1;
		}
		return 0;
	}
	int type = ewc__gpu_find(w, head);
	int k = type >= 0 ? ewc__region_gpu(R, type) : -1;
	if (type < 0) {
		snprintf(why, whylen, "\"%.64s\" is not power, link.SITE or a GPU type of the catalog",
		         head);
		return -1;
	}
	if (k < 0) {
		snprintf(why, whylen, "region %.64s has no %.64s GPUs to change", R->id, head);
		/* 1: a type of the catalog the region does not list (yet) */
		return strcmp(dot, "free") == 0 || strcmp(dot, "price") == 0 ? 1 : -1;
	}
	if (strcmp(dot, "free") == 0) {
		t->l = &R->gpus[k].free;
		t->range = EWC__R_GE0;
	} else if (strcmp(dot, "price") == 0) {
		t->d = &R->gpus[k].price;
		t->range = EWC__R_GE0;
	} else {
		snprintf(why, whylen, "a GPU type has free and price, not \"%s\"", dot);
		return -1;
	}
	return 0;
}

/* The new value of a figure: "V" sets, "+V" and "-V" add, "*V" scales. */
static int apply_op(char op, double v, double old, double *out)
{
	switch (op) {
	case '+': *out = old + v; break;
	case '-': *out = old - v; break;
	case '*': *out = old * v; break;
	default: *out = v; break;
	}
	return isfinite(*out) ? 0 : -1;
}

/* Give region R a pool of catalog type `type`: no GPUs, its price not set
 * (NAN, which a world in use never holds: see ewc__ctx_set_all()). */
static int add_pool(ewc__region *R, int type)
{
	ewc__rgpu *v = realloc(R->gpus, (R->ngpus + 1) * sizeof *v);

	if (!v)
		return -1;
	R->gpus = v;
	R->gpus[R->ngpus++] = (ewc__rgpu){ type, 0, NAN, 0, 0 };
	return 0;
}

/* One setting on a world (the caller holds the lock). With add_types, a
 * type of the catalog a region does not list is added by its price or
 * free count (the other 0 or unset). */
static int world_set(ewc__world *w, const char *setting, int add_types)
{
	const char *eq, *val;
	char *name = NULL, op = '=';
	double v;
	int rc = 0, matched = 0;

	eq = strchr(setting, '=');
	if (!eq || eq == setting)
		return ewc__seterr(EWC_EINVAL, "setting \"%s\": expected TARGET=VALUE, as in "
		                   "ningxia-zhongwei.A100.free=+2000", setting);
	val = eq + 1;
	if (*val == '+' || *val == '-' || *val == '*')
		op = *val++;
	if (ewc__parse_double(val, &v) != 0 || v < 0)
		return ewc__seterr(EWC_EINVAL, "setting \"%s\": \"%s\" is not a number >= 0 (use "
		                   "V to set, +V or -V to add, *V to scale)", setting, eq + 1);
	name = malloc((size_t)(eq - setting) + 1);
	if (!name)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	memcpy(name, setting, (size_t)(eq - setting));
	name[eq - setting] = '\0';

	/* Two passes: check every region the setting names, then change them,
	 * so a setting that fails anywhere changes nothing. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		matched = 0;
		for (size_t r = 0; r < w->nregions && rc == 0; r++) {
			ewc__region *R = &w->regions[r];
			size_t idlen = strlen(R->id);
			const char *field;
			char why[256];
			target t;
			double nv;
			if (strncmp(name, "*.", 2) == 0)
				field = name + 2;
			else if (strncmp(name, R->id, idlen) == 0 && name[idlen] == '.')
				field = name + idlen + 1;
			else
				continue;
			matched++;
			int res = resolve(w, R, field, &t, why, sizeof why);
			if (res == 1 && add_types) {
				/* a new pool: the change applies from 0 GPUs, or sets the price */
				const char *fd = strrchr(field, '.');
				int is_free = strcmp(fd + 1, "free") == 0;
				if (!is_free && op != '=') {
					rc = ewc__seterr(EWC_EINVAL, "setting \"%s\": region %s has no such GPUs "
					                 "yet: set their price (=V), not %c", setting, R->id, op);
					break;
				}
				if (apply_op(op, v, 0.0, &nv) != 0 || !ewc__in_range(nv, EWC__R_GE0) ||
				    (is_free && nv != floor(nv))) {
					rc = ewc__seterr(EWC_EINVAL, "setting \"%s\": %s of %s would be %.10g",
					                 setting, fd + 1, R->id, nv);
					break;
				}
				if (pass == 1) {
					char tname[256];
					snprintf(tname, sizeof tname, "%.*s", (int)(fd - field), field);
					if (add_pool(R, ewc__gpu_find(w, tname)) != 0) {
						rc = ewc__seterr(EWC_ENOMEM, "out of memory");
						break;
					}
					if (is_free)
						R->gpus[R->ngpus - 1].free = (long)nv;
					else
						R->gpus[R->ngpus - 1].price = nv;
				}
				continue;
			}
			if (res != 0) {
				rc = ewc__seterr(EWC_EINVAL, "setting \"%s\": %s", setting, why);
				break;
			}
			if (apply_op(op, v, t.d ? *t.d : (double)*t.l, &nv) != 0 ||
			    !ewc__in_range(nv, t.range) || (t.l && nv != floor(nv))) {
				rc = ewc__seterr(EWC_EINVAL, "setting \"%s\": %s of %s would be %.10g; it "
				                 "must be %s%s", setting, t.what, R->id, nv,
				                 ewc__range_why(nv, t.range), t.l ? " and whole" : "");
				break;
			}
			if (pass == 1) {
				if (t.d)
					*t.d = nv;
				else
					*t.l = (long)nv;
			}
		}
		if (rc == 0 && matched == 0) {
			const char *dot = strchr(name, '.');
			rc = ewc__seterr(EWC_EINVAL, "setting \"%s\": no region \"%.*s\" is loaded "
			                 "(use a region id, or * for all)", setting,
			                 dot ? (int)(dot - name) : (int)strlen(name), name);
		}
	}
	free(name);
	return rc;
}

/* Every pool of w has a price: a type added by its free count needs its
 * price set too. */
static int priced(const ewc__world *w, const char *setting)
{
	for (size_t r = 0; r < w->nregions; r++)
		for (size_t k = 0; k < w->regions[r].ngpus; k++)
			if (isnan(w->regions[r].gpus[k].price))
				return ewc__seterr(EWC_EINVAL, "setting \"%s\": %s gets %s GPUs, with no "
				                   "price: set it too (%s.%s.price=CNY per GPU-hour)",
				                   setting, w->regions[r].id,
				                   w->gpus[w->regions[r].gpus[k].type].type,
				                   w->regions[r].id,
				                   w->gpus[w->regions[r].gpus[k].type].type);
	return 0;
}

int ewc_ctx_set(ewc_ctx *ctx, const char *setting)
{
	int rc;

	if (!ctx || !setting)
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_set: NULL argument");
	ewc__world trial;

	ewc__lock(ctx);
	/* on a copy: a type added by its free count alone has no price, and
	 * such a world is never used */
	if (ewc__world_copy(&trial, &ctx->w) != 0)
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	else if ((rc = world_set(&trial, setting, 1)) == 0 && (rc = priced(&trial, setting)) == 0)
		rc = world_set(&ctx->w, setting, 1);
	ewc__world_free(&trial);
	ewc__unlock(ctx);
	return rc;
}

int ewc__ctx_set_all(ewc_ctx *ctx, const char *const *settings, size_t n, int lenient,
                     size_t *skipped)
{
	ewc__world trial;
	unsigned char *ok;
	int rc = 0;

	if (skipped)
		*skipped = 0;
	if (n == 0)
		return 0;
	ok = calloc(n, 1);
	if (!ok)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	ewc__lock(ctx);
	/* Try every setting on a copy first, so that the context changes
	 * whole or not at all; then make the same changes for real. */
	if (ewc__world_copy(&trial, &ctx->w) != 0) {
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	} else {
		/* a feed's settings never add GPU types; a user's may, priced */
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (world_set(&trial, settings[i], !lenient) == 0)
				ok[i] = 1;
			else if (lenient && skipped)
				(*skipped)++;
			else if (!lenient)
				rc = EWC_EINVAL;
		}
		if (rc == 0 && !lenient)
			rc = priced(&trial, n == 1 ? settings[0] : "(the settings together)");
		ewc__world_free(&trial);
		for (size_t i = 0; i < n && rc == 0; i++)
			if (ok[i])
				world_set(&ctx->w, settings[i], !lenient);
	}
	ewc__unlock(ctx);
	free(ok);
	return rc;
}

int ewc_ctx_set_all(ewc_ctx *ctx, const char *const *settings, size_t n)
{
	if (!ctx || (n && !settings))
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_set_all: NULL argument");
	for (size_t i = 0; i < n; i++)
		if (!settings[i])
			return ewc__seterr(EWC_EINVAL, "ewc_ctx_set_all: NULL setting %zu", i);
	return ewc__ctx_set_all(ctx, settings, n, 0, NULL);
}
