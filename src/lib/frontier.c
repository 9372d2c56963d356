/* frontier.c - the cost-carbon Pareto frontier by an epsilon-constraint */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ewc_int.h"
#include "plan_int.h"

struct ewc_frontier {
	ewc_carbon_basis basis; /* the carbon on the curve's axis */
	ewc_plan **plans;       /* kept points, cheapest first */
	double *cap;            /* the carbon cap each was solved under, < 0 for the ends */
	size_t n;
	size_t knee;            /* index, or (size_t)-1 */
	size_t asked;           /* points asked for */
	size_t no_plan;         /* caps under which no plan was found in time */
	size_t dominated;       /* plans dropped: dearer and no greener than another */
	size_t not_needed;      /* points between not made: the ends are one plan */
};

void ewc_frontier_free(ewc_frontier *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		ewc_plan_free(f->plans[i]);
	free(f->plans);
	free(f->cap);
	free(f);
}

/* Keep the points no other point beats on both cost and carbon (ties:
 * the first), cheapest first. */
static void prune(ewc_carbon_basis B, ewc_plan **v, double *cap, size_t *n)
{
	size_t k = 0;

	/* insertion sort by cost, then carbon: a dozen points */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0; j--) {
			const ewc_totals *a = &v[j - 1]->totals, *b = &v[j]->totals;
			if (b->cost_cny < a->cost_cny ||
			    (b->cost_cny == a->cost_cny && ewc__totals_kg(B, b) < ewc__totals_kg(B, a))) {
				ewc_plan *t = v[j];
				double c = cap[j];
				v[j] = v[j - 1];
				cap[j] = cap[j - 1];
				v[j - 1] = t;
				cap[j - 1] = c;
			} else {
				break;
			}
		}
	for (size_t i = 0; i < *n; i++) {
		if (k > 0) {
			const ewc_totals *a = &v[i]->totals, *last = &v[k - 1]->totals;
			double tol = 1e-9 * fmax(1.0, ewc__totals_kg(B, last));
			if (ewc__totals_kg(B, a) >= ewc__totals_kg(B, last) - tol) {
				ewc_plan_free(v[i]); /* dearer and no greener */
				continue;
			}
		}
		v[k] = v[i];
		cap[k] = cap[i];
		k++;
	}
	*n = k;
}

/* The knee: the point farthest below the straight line between the ends,
 * cost and carbon each scaled to 0..1. */
static size_t knee(ewc_carbon_basis B, ewc_plan **v, size_t n)
{
	size_t best = (size_t)-1;
	double best_d = 1e-6;

	if (n < 3)
		return best;
	const ewc_totals *lo = &v[0]->totals, *hi = &v[n - 1]->totals;
	double dc = hi->cost_cny - lo->cost_cny, dk = ewc__totals_kg(B, lo) - ewc__totals_kg(B, hi);
	if (dc <= 0 || dk <= 0)
		return best;
	for (size_t i = 1; i + 1 < n; i++) {
		const ewc_totals *t = &v[i]->totals;
		double x = (t->cost_cny - lo->cost_cny) / dc;
		double y = (ewc__totals_kg(B, t) - ewc__totals_kg(B, hi)) / dk;
		double d = 1.0 - x - y;
		if (d > best_d) {
			best_d = d;
			best = i;
		}
	}
	return best;
}

int ewc_frontier_make(ewc_frontier **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                      const ewc_place_options *opts, size_t points)
{
	ewc_place_options def = EWC_PLACE_OPTIONS_INIT, o;
	ewc_frontier *f;
	const ewc_totals *cheap, *green;
	int rc;

	if (!out || !ctx || !jobs)
		return ewc__seterr(EWC_EINVAL, "ewc_frontier_make: NULL argument");
	*out = NULL;
	if (points < 2 || points > 1000)
		return ewc__seterr(EWC_EINVAL, "a frontier has 2 to 1000 points, not %zu", points);
	if (!opts)
		opts = &def;
	rc = ewc__check_options(opts, "ewc_frontier_make");
	if (rc)
		return rc;
	ewc__options_copy(&o, opts);
	const ewc_carbon_basis B = o.carbon_basis;
	f = calloc(1, sizeof *f);
	if (!f)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	f->plans = calloc(points, sizeof *f->plans);
	f->cap = calloc(points, sizeof *f->cap);
	f->knee = (size_t)-1;
	if (!f->plans || !f->cap) {
		ewc_frontier_free(f);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	/* the ends: exactly what --mode cost and --mode carbon give */
	o.mode = EWC_MODE_COST;
	rc = ewc_place(&f->plans[0], ctx, jobs, &o);
	if (rc == 0) {
		f->n = 1;
		f->cap[0] = -1;
		o.mode = EWC_MODE_CARBON;
		rc = ewc__place_ex(&f->plans[1], ctx, jobs, &o, NULL, f->plans[0],
		                   EWC__PLACE_KEEP_PRIORITY);
	}
	if (rc != 0) {
		ewc_frontier_free(f);
		return rc;
	}
	f->n = 2;
	f->cap[1] = -1;
	cheap = &f->plans[0]->totals;
	green = &f->plans[1]->totals;

	/* the points between, greenest first: each starts from its greener
	 * neighbour, a plan within its cap, so cost never rises on the way */
	o.mode = EWC_MODE_COST;
	const ewc_plan *prev = f->plans[1];
	double span = ewc__totals_kg(B, cheap) - ewc__totals_kg(B, green);
	for (size_t k = 1; k + 1 < points && span > 1e-9 * fmax(1.0, ewc__totals_kg(B, cheap)); k++) {
		double eps = ewc__totals_kg(B, green) + span * (double)k / (double)(points - 1);
		ewc_plan *p = NULL;
		o.carbon_budget_kg = opts->version >= 3 && opts->carbon_budget_kg >= 0
		                     ? fmin(opts->carbon_budget_kg, eps) : eps;
		rc = ewc__place_ex(&p, ctx, jobs, &o, NULL, prev, EWC__PLACE_KEEP_PRIORITY);
		if (rc == EWC_EPOLICY) {
			f->no_plan++;
			continue; /* none found in time under this cap: no point */
		}
		if (rc != 0) {
			ewc_frontier_free(f);
			return rc;
		}
		f->cap[f->n] = o.carbon_budget_kg;
		f->plans[f->n++] = p;
		prev = p;
	}
	f->basis = B;
	f->asked = points;
	if (!(span > 1e-9 * fmax(1.0, ewc__totals_kg(B, cheap))) && points > 2)
		f->not_needed = points - 2;
	{
		size_t before = f->n;
		prune(B, f->plans, f->cap, &f->n);
		f->dominated = before - f->n;
	}
	f->knee = knee(B, f->plans, f->n);
	*out = f;
	return 0;
}

size_t ewc_frontier_count(const ewc_frontier *f)
{
	return f ? f->n : 0;
}

int ewc_frontier_point(const ewc_frontier *f, size_t i, ewc_frontier_pt *out)
{
	const ewc_totals *t;

	if (!f || !out || i >= f->n)
		return ewc__seterr(EWC_EINVAL, "ewc_frontier_point: no point %zu", i);
	if (out->version != EWC_FRONTIER_PT_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_frontier_point: struct version %u not supported",
		                   out->version);
	t = &f->plans[i]->totals;
	memset(out, 0, sizeof *out);
	out->version = EWC_FRONTIER_PT_VERSION;
	out->cost_cny = t->cost_cny;
	out->carbon_kg = t->carbon_kg;
	out->carbon_cap_kg = f->cap[i];
	out->placed = t->placed;
	out->placed_west = t->placed_west;
	out->gpu_hours_west = t->gpu_hours_west;
	out->gpu_hours_domestic = t->gpu_hours_domestic;
	out->gap = t->gap;
	out->proven = ewc_plan_proven(f->plans[i]);
	out->knee = i == f->knee;
	if (i > 0) {
		const ewc_totals *prev = &f->plans[i - 1]->totals;
		double avoided = ewc__totals_kg(f->basis, prev) - ewc__totals_kg(f->basis, t);
		out->carbon_price_cny_per_t = avoided > 0
		                              ? (t->cost_cny - prev->cost_cny) / (avoided / 1000.0) : 0;
	}
	return 0;
}

const ewc_plan *ewc_frontier_plan(const ewc_frontier *f, size_t i)
{
	return f && i < f->n ? f->plans[i] : NULL;
}

int ewc_frontier_left_out(const ewc_frontier *f, size_t *asked, size_t *dominated,
                          size_t *no_plan)
{
	if (!f)
		return ewc__seterr(EWC_EINVAL, "ewc_frontier_left_out: NULL frontier");
	if (asked)
		*asked = f->asked;
	if (dominated)
		*dominated = f->dominated;
	if (no_plan)
		*no_plan = f->no_plan;
	return 0;
}

size_t ewc_frontier_not_needed(const ewc_frontier *f)
{
	return f ? f->not_needed : 0;
}
