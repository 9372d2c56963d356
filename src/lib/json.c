/* json.c - the plan as JSON (docs/formats.md), written with jansson */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan_int.h"

/* jansson returns -1 only when out of memory; collect that in *bad. */
static void put(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		*bad = 1;
}

static void put_real(json_t *o, const char *k, double v, int *bad)
{
	put(o, k, json_real(v), bad);
}

static void put_int(json_t *o, const char *k, long long v, int *bad)
{
	put(o, k, json_integer(v), bad);
}

static void put_str(json_t *o, const char *k, const char *v, int *bad)
{
	put(o, k, v ? json_string(v) : json_null(), bad);
}

static json_t *totals_json(const ewc_plan *p, const ewc_totals *t, int full, int *bad)
{
	json_t *o = json_object();

	if (!o) {
		*bad = 1;
		return NULL;
	}
	put_real(o, "cost_cny", t->cost_cny, bad);
	put_real(o, "carbon_kg", t->carbon_kg, bad);
	if (full) {
		put_real(o, "carbon_location_kg", t->carbon_location_kg, bad);
		put_real(o, "energy_kwh", t->energy_kwh, bad);
	}
	put_real(o, "objective", t->objective, bad);
	if (full) {
		put_str(o, "objective_unit", p->opts.mode == EWC_MODE_CARBON ? "kg" : "CNY", bad);
		put_real(o, "lower_bound", t->lower_bound, bad);
		put_real(o, "gap", t->gap, bad);
	}
	put_int(o, "placed", (long long)t->placed, bad);
	put_int(o, "unplaced", (long long)t->unplaced, bad);
	/* additions beyond the documented core */
	if (!full) {
		put_real(o, "carbon_location_kg", t->carbon_location_kg, bad);
		put_real(o, "energy_kwh", t->energy_kwh, bad);
	}
	put_real(o, "gpu_cny", t->gpu_cny, bad);
	put_real(o, "power_cny", t->power_cny, bad);
	put_real(o, "transfer_cny", t->transfer_cny, bad);
	put_real(o, "gpu_hours", t->gpu_hours, bad);
	put_real(o, "gpu_hours_east", t->gpu_hours_east, bad);
	put_real(o, "gpu_hours_west", t->gpu_hours_west, bad);
	put_real(o, "gpu_hours_domestic", t->gpu_hours_domestic, bad);
	put_real(o, "green_share", t->energy_kwh > 0 ? t->green_kwh / t->energy_kwh : 0, bad);
	put_int(o, "placed_west", (long long)t->placed_west, bad);
	put_real(o, "priority_placed", t->priority_placed, bad);
	if (full)
		put_real(o, "priority_bound", t->priority_bound, bad);
	if (full)
		put(o, "proven", json_boolean(p->proven), bad);
	return o;
}

const char *ewc_shadow_kind_name(ewc_shadow_kind k)
{
	switch (k) {
	case EWC_SHADOW_CAPACITY: return "capacity";
	case EWC_SHADOW_CARBON_BUDGET: return "carbon_budget";
	case EWC_SHADOW_GREEN_SHARE: return "min_green_share";
	case EWC_SHADOW_REGION_SHARE: return "max_region_share";
	}
	return "unknown";
}

const char *ewc_shadow_unit(ewc_shadow_kind k)
{
	switch (k) {
	case EWC_SHADOW_CAPACITY: return "GPU";
	case EWC_SHADOW_CARBON_BUDGET: return "t CO2";
	default: return "percentage point";
	}
}

/* "policy": each constraint set, its limit and the plan's value. */
static json_t *policy_json(const ewc_plan *p, int *bad)
{
	ewc_policy pol = EWC_POLICY_INIT;
	json_t *o = json_object(), *e;

	if (!o || ewc_plan_policy(p, &pol) != 0) {
		*bad = 1;
		json_decref(o);
		return NULL;
	}
	if (pol.carbon_budget_kg >= 0 && (e = json_object())) {
		put_real(e, "limit_kg", pol.carbon_budget_kg, bad);
		put_real(e, "carbon_kg", pol.carbon_kg, bad);
		put_real(e, "slack_kg", pol.carbon_budget_kg - pol.carbon_kg, bad);
		put(o, "carbon_budget", e, bad);
	}
	if (pol.min_green_share >= 0 && (e = json_object())) {
		put_real(e, "limit", pol.min_green_share, bad);
		put_real(e, "green_share", pol.green_share, bad);
		put(o, "min_green_share", e, bad);
	}
	if (pol.max_region_share >= 0 && (e = json_object())) {
		put_real(e, "limit", pol.max_region_share, bad);
		put_real(e, "region_share", pol.region_share, bad);
		put_str(e, "region", pol.region, bad);
		put(o, "max_region_share", e, bad);
	}
	return o;
}

static json_t *shadow_json(const ewc_plan *p, int *bad)
{
	json_t *a = json_array();
	const char *unit = p->opts.mode == EWC_MODE_CARBON ? "kg" : "CNY";

	for (size_t i = 0; a && i < p->nshadow; i++) {
		const ewc_shadow *sh = &p->shadow[i];
		json_t *o = json_object();
		char per[64];
		if (!o) {
			*bad = 1;
			break;
		}
		snprintf(per, sizeof per, "%s per %s", unit, ewc_shadow_unit(sh->kind));
		put_str(o, "constraint", ewc_shadow_kind_name(sh->kind), bad);
		if (sh->region)
			put_str(o, "region", sh->region, bad);
		if (sh->kind == EWC_SHADOW_CAPACITY) {
			put_str(o, "gpu_type", sh->gpu_type, bad);
			put_int(o, "free_gpus", sh->free_gpus, bad);
			put_int(o, "used_gpus", sh->used_gpus, bad);
		}
		put_real(o, "value", sh->value, bad);
		put_str(o, "unit", per, bad);
		if (json_array_append_new(a, o) != 0)
			*bad = 1;
	}
	if (!a)
		*bad = 1;
	return a;
}

int ewc_plan_to_json(const ewc_plan *p, int indent, char **out)
{
	json_t *root, *arr, *un, *cmp;
	ewc_comparison c = EWC_COMPARISON_INIT;
	int bad = 0;
	size_t flags;

	if (!p || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_to_json: NULL argument");
	*out = NULL;
	root = json_object();
	if (!root)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	put_str(root, "format", "ewc.plan/1", &bad);
	put_str(root, "mode", ewc_mode_name(p->opts.mode), &bad);
	put_real(root, "carbon_price_cny_per_t", p->opts.carbon_price, &bad);
	put_str(root, "carbon_basis", ewc_carbon_basis_name(p->opts.carbon_basis), &bad);
	put(root, "totals", totals_json(p, &p->totals, 1, &bad), &bad);
	/* the capacity ledger: GPUs taken off the free counts as held by runs
	 * committed after the figures were taken */
	put_int(root, "gpus_taken_by_later_runs", ewc_plan_gpus_taken(p), &bad);
	put(root, "baseline", totals_json(p, &p->base_totals, 0, &bad), &bad);

	ewc_plan_compare(p, &c);
	cmp = json_object();
	if (cmp) {
		put_real(cmp, "cost_saved_cny", c.cost_saved_cny, &bad);
		put_real(cmp, "cost_saved_pct", c.cost_saved_pct, &bad);
		put_real(cmp, "carbon_avoided_kg", c.carbon_avoided_kg, &bad);
		put_real(cmp, "carbon_avoided_pct", c.carbon_avoided_pct, &bad);
		{
			double b = p->base_totals.carbon_location_kg;
			double d = b - p->totals.carbon_location_kg;
			put_real(cmp, "carbon_location_avoided_kg", d, &bad);
			put_real(cmp, "carbon_location_avoided_pct", b != 0 ? 100.0 * d / b : 0, &bad);
		}
		put_real(cmp, "transfer_extra_cny", c.transfer_extra_cny, &bad);
		put_real(cmp, "gpu_power_saved_cny", c.gpu_power_saved_cny, &bad);
		put_real(cmp, "east_gpu_hours_freed", c.east_gpu_hours_freed, &bad);
		put_int(cmp, "placed_diff", c.placed_diff, &bad);
	}
	put(root, "comparison", cmp, &bad);
	if (p->nslots) {
		json_t *h = json_object(), *wh = json_object(), *wn = json_object();
		char t0[40];
		ewc_time_format_offset(p->t0, EWC_PLAN_TZ_MIN, t0, sizeof t0);
		if (h && wh && wn) {
			put_str(h, "start", t0, &bad);
			put_int(h, "hours", (long)p->nslots, &bad);
			put_real(wh, "cost_cny", p->split.where_cost_cny, &bad);
			put_real(wh, "carbon_kg", p->split.where_carbon_kg, &bad);
			put_real(wh, "carbon_location_kg", p->split.where_carbon_location_kg, &bad);
			put_real(wh, "objective", p->split.where_objective, &bad);
			put_real(wn, "cost_cny", p->split.when_cost_cny, &bad);
			put_real(wn, "carbon_kg", p->split.when_carbon_kg, &bad);
			put_real(wn, "carbon_location_kg", p->split.when_carbon_location_kg, &bad);
			put_real(wn, "objective", p->split.when_objective, &bad);
			put(h, "saved_by_where", wh, &bad);
			put(h, "saved_by_when", wn, &bad);
		} else {
			json_decref(wh);
			json_decref(wn);
			bad = 1;
		}
		put(root, "horizon", h, &bad);
	}
	if (p->opts.carbon_budget_kg >= 0 || p->opts.min_green_share >= 0 ||
	    p->opts.max_region_share >= 0)
		put(root, "policy", policy_json(p, &bad), &bad);
	if (p->have_shadow) {
		put(root, "shadow_prices", shadow_json(p, &bad), &bad);
		put_real(root, "lp_objective", p->lp_obj, &bad);
	}

	arr = json_array();
	un = json_array();
	for (size_t i = 0; i < p->njobs && arr && un; i++) {
		ewc_assignment a = EWC_ASSIGNMENT_INIT;
		json_t *o = json_object();
		ewc_plan_assignment(p, i, &a);
		if (!o) {
			bad = 1;
			break;
		}
		put_str(o, "job", a.job, &bad);
		if (a.region) {
			put_str(o, "region", a.region, &bad);
			put_str(o, "gpu_type", a.gpu_type, &bad);
			put_int(o, "gpus", a.gpus, &bad);
			put_real(o, "hours", a.hours, &bad);
			put_real(o, "cost_cny", a.cost_cny, &bad);
			put_real(o, "transfer_cny", a.transfer_cny, &bad);
			put_real(o, "energy_kwh", a.energy_kwh, &bad);
			put_real(o, "carbon_kg", a.carbon_kg, &bad);
			put_str(o, "zone", ewc_zone_name(a.zone), &bad);
			put_real(o, "carbon_location_kg", a.carbon_location_kg, &bad);
			put_real(o, "objective", a.objective, &bad);
			put_str(o, "baseline_region", a.baseline_region, &bad);
			if (p->nslots) {
				char t1[40], t2[40], t3[40];
				ewc_time_format_offset(a.start_time, EWC_PLAN_TZ_MIN, t1, sizeof t1);
				ewc_time_format_offset(a.end_time, EWC_PLAN_TZ_MIN, t2, sizeof t2);
				put_str(o, "start", t1, &bad);
				put_str(o, "end", t2, &bad);
				put_int(o, "start_h", (long)p->opt_start[p->choice[i]], &bad);
				if (a.baseline_start_time >= 0) {
					ewc_time_format_offset(a.baseline_start_time, EWC_PLAN_TZ_MIN, t3,
					                       sizeof t3);
					put_str(o, "baseline_start", t3, &bad);
				}
				if (a.wait)
					put_str(o, "wait", a.wait, &bad);
			}
			if (json_array_append_new(arr, o) != 0)
				bad = 1;
		} else {
			put_str(o, "reason", a.reason, &bad);
			put_str(o, "baseline_region", a.baseline_region, &bad);
			if (json_array_append_new(un, o) != 0)
				bad = 1;
		}
	}
	put(root, "placements", arr, &bad);
	put(root, "unplaced", un, &bad);

	flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) |
	        (indent > 0 ? JSON_INDENT(indent > 31 ? 31 : indent) : JSON_COMPACT);
	if (!bad)
		*out = json_dumps(root, flags);
	json_decref(root);
	if (bad || !*out)
		return ewc__seterr(EWC_ENOMEM, "out of memory while writing JSON");
	return 0;
}
