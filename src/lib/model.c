/* model.c - the cost model (docs/formats.md) and the eligibility rules */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "ewc_int.h"

long ewc__job_gpus(const ewc__world *w, const ewc__job *j, int t)
{
	double r, g;

	if (j->kind != EWC_KIND_INFER || t == j->types[0])
		return j->gpus;
	/* the same throughput on type t: ceil(gpus x perf(first) / perf(t)),
	 * with a relative tolerance so that 8 x (3 / 1.5) is 16, not 17 */
	r = w->gpus[j->types[0]].perf / w->gpus[t].perf;
	g = (double)j->gpus * r;
	g = ceil(g - 1e-9 * g);
	/* past any pool's size either way; keeps the solver's sums exact */
	return g < 1 ? 1 : g > 1e12 ? (long)1e12 : (long)g;
}

void ewc__cost_eval(const ewc__world *w, const ewc__job *j, int r, int t, ewc__cost *out)
{
	const ewc__region *R = &w->regions[r];
	const ewc__gpu *ref = &w->gpus[j->types[0]];
	const ewc__gpu *g = &w->gpus[t];
	const ewc__link *l = ewc__region_link(R, j->site);
	int k = ewc__region_gpu(R, t);
	double price = k >= 0 ? R->gpus[k].price : 0;

	memset(out, 0, sizeof *out);
	/* training does a fixed amount of work: its GPUs stay, its hours
	 * scale; a service runs its hours on whatever GPUs give it the same
	 * throughput */
	out->gpus = ewc__job_gpus(w, j, t);
	out->hours = j->kind == EWC_KIND_INFER ? j->hours : j->hours * ref->perf / g->perf;
	out->gpu_hours = (double)out->gpus * out->hours;
	out->energy_kwh = out->gpu_hours * g->watts / 1000.0 * R->pue;
	out->gpu_cny = out->gpu_hours * price;
	out->power_cny = out->energy_kwh * R->power_price;
	out->transfer_cny = (j->data_gb > 0 && l) ? j->data_gb * l->price_per_gb : 0;
	out->cost_cny = out->gpu_cny + out->power_cny + out->transfer_cny;
	out->carbon_location_kg = out->energy_kwh * R->grid_factor;
	out->carbon_kg = out->carbon_location_kg * (1.0 - R->green_share);
	out->green_kwh = out->energy_kwh * R->green_share;
	out->latency_ms = l ? l->latency_ms : -1;
}

double ewc__objective(ewc_mode mode, double carbon_price, ewc_carbon_basis basis,
                      const ewc__cost *c)
{
	double kg = ewc__basis_kg(basis, c);

	switch (mode) {
	case EWC_MODE_COST: return c->cost_cny;
	case EWC_MODE_CARBON: return kg;
	default: return c->cost_cny + carbon_price * kg / 1000.0;
	}
}

/* Hours to move the job's data over the link, 0 when no bandwidth is known. */
double ewc__transfer_hours(const ewc__job *j, const ewc__link *l)
{
	if (!l || j->data_gb <= 0 || l->gbps <= 0)
		return 0;
	return j->data_gb * 8.0 / l->gbps / 3600.0;
}

int ewc__eligible(const ewc__world *w, const ewc__job *j, int r, int t, long free_gpus,
                  char *why, size_t whylen)
{
	const ewc__region *R = &w->regions[r];
	const ewc__link *l = ewc__region_link(R, j->site);

	if (j->pin >= 0 && r != j->pin) {
		snprintf(why, whylen, "pinned to %s", w->regions[j->pin].id);
		return 0;
	}
	for (int k = 0; k < j->navoid; k++)
		if (j->avoid[k] == r) {
			snprintf(why, whylen, "avoided by the job");
			return 0;
		}
	if (ewc__region_gpu(R, t) < 0) {
		snprintf(why, whylen, "no %s in %s", w->gpus[t].type, R->id);
		return 0;
	}
	if (j->kind == EWC_KIND_INFER) {
		if (!l) {
			snprintf(why, whylen, "no link from %s", j->origin);
			return 0;
		}
		if (l->latency_ms > j->slo_ms) {
			snprintf(why, whylen, "latency %g ms from %s > SLO %g ms", l->latency_ms,
			         j->origin, j->slo_ms);
			return 0;
		}
	}
	if (j->data_gb > 0 && !l) {
		snprintf(why, whylen, "no link from %s to move %g GB of data", j->origin, j->data_gb);
		return 0;
	}
	if (j->deadline_h > 0) {
		double h = j->kind == EWC_KIND_INFER
		           ? j->hours : j->hours * w->gpus[j->types[0]].perf / w->gpus[t].perf;
		double th = ewc__transfer_hours(j, l);
		if (h + th > j->deadline_h) {
			if (th > 0)
				snprintf(why, whylen, "deadline: %.4g h run + %.4g h transfer > %g h",
				         h, th, j->deadline_h);
			else
				snprintf(why, whylen, "deadline: %.4g h run > %g h", h, j->deadline_h);
			return 0;
		}
	}
	if (free_gpus < ewc__job_gpus(w, j, t)) {
		snprintf(why, whylen, "capacity: %ld free %s, needs %ld", free_gpus,
		         w->gpus[t].type, ewc__job_gpus(w, j, t));
		return 0;
	}
	return 1;
}

/* The job's types as "A100" or "A100 or 910B". */
static void type_list(const ewc__world *w, const ewc__job *j, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = 0; k < j->ntypes && used < len; k++) {
		int n = snprintf(buf + used, len - used, "%s%s", k ? " or " : "", w->gpus[j->types[k]].type);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int avoided(const ewc__job *j, int r)
{
	for (int k = 0; k < j->navoid; k++)
		if (j->avoid[k] == r)
			return 1;
	return 0;
}

static int has_any_type(const ewc__region *R, const ewc__job *j)
{
	for (int k = 0; k < j->ntypes; k++)
		if (ewc__region_gpu(R, j->types[k]) >= 0)
			return 1;
	return 0;
}

void ewc__explain_none(const ewc__world *w, const ewc__job *j, char *why, size_t whylen)
{
	char types[256], first[256];
	int reach = 0, typed = 0, timely = 0, any_link = 0;
	int nearest = -1;
	double nearest_ms = 0;
	long most = -1;
	int most_r = -1, most_t = -1;

	type_list(w, j, types, sizeof types);
	if (j->pin >= 0) {
		const ewc__region *P = &w->regions[j->pin];
		if (!has_any_type(P, j)) {
			snprintf(why, whylen, "pinned region %s has no %s", P->id, types);
			return;
		}
		for (int k = 0; k < j->ntypes; k++) {
			int g = ewc__region_gpu(P, j->types[k]);
			if (g < 0)
				continue;
			ewc__eligible(w, j, j->pin, j->types[k], P->gpus[g].free, first, sizeof first);
			snprintf(why, whylen, "pinned region %s: %s", P->id, first);
			return;
		}
	}
	for (size_t r = 0; r < w->nregions; r++) {
		const ewc__region *R = &w->regions[r];
		const ewc__link *l = ewc__region_link(R, j->site);
		if (avoided(j, (int)r))
			continue;
		if (l) {
			any_link = 1;
			if (nearest < 0 || l->latency_ms < nearest_ms) {
				nearest = (int)r;
				nearest_ms = l->latency_ms;
			}
		}
		if (j->kind == EWC_KIND_INFER && (!l || l->latency_ms > j->slo_ms))
			continue;
		if (j->data_gb > 0 && !l)
			continue;
		reach++;
		if (!has_any_type(R, j))
			continue;
		typed++;
		for (int k = 0; k < j->ntypes; k++) {
			int g = ewc__region_gpu(R, j->types[k]);
			if (g < 0)
				continue;
			if (ewc__eligible(w, j, (int)r, j->types[k],
			                  R->gpus[g].free + ewc__job_gpus(w, j, j->types[k]), first,
			                  sizeof first) == 0)
				continue; /* the deadline, the only rule left but capacity */
			timely++;
			if (R->gpus[g].free > most) {
				most = R->gpus[g].free;
				most_r = (int)r;
				most_t = j->types[k];
			}
		}
	}

	if (j->navoid && (size_t)j->navoid >= w->nregions) {
		snprintf(why, whylen, "every region is in the job's avoid list");
	} else if (reach == 0 && j->kind == EWC_KIND_INFER) {
		if (!any_link)
			snprintf(why, whylen, "no region has a link from %s", j->origin);
		else
			snprintf(why, whylen, "no region within %g ms of %s (nearest: %s at %g ms)",
			         j->slo_ms, j->origin, w->regions[nearest].id, nearest_ms);
	} else if (reach == 0) {
		snprintf(why, whylen, "no region has a link from %s to move %g GB of data",
		         j->origin, j->data_gb);
	} else if (typed == 0 && j->kind == EWC_KIND_INFER) {
		snprintf(why, whylen, "no region within %g ms of %s has %s", j->slo_ms, j->origin, types);
	} else if (typed == 0 && j->data_gb > 0) {
		snprintf(why, whylen, "no region linked to %s has %s", j->origin, types);
	} else if (typed == 0) {
		snprintf(why, whylen, "no region has %s", types);
	} else if (timely == 0) {
		snprintf(why, whylen, "deadline: no region with %s can finish within %g h",
		         types, j->deadline_h);
	} else {
		char needs[256];
		int differ = 0;
		size_t used = 0;
		for (int k = 1; k < j->ntypes; k++)
			differ |= ewc__job_gpus(w, j, j->types[k]) != j->gpus;
		needs[0] = '\0';
		for (int k = 0; differ && k < j->ntypes && used < sizeof needs; k++) {
			int n = snprintf(needs + used, sizeof needs - used, "%s%ld %s", k ? " or " : "",
			                 ewc__job_gpus(w, j, j->types[k]), w->gpus[j->types[k]].type);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		if (differ)
			snprintf(why, whylen, "capacity: no eligible region has %s free (most: %ld %s in %s)",
			         needs, most, w->gpus[most_t].type, w->regions[most_r].id);
		else
			snprintf(why, whylen,
			         "capacity: no eligible region has %ld free %s (most: %ld %s in %s)",
			         j->gpus, types, most, w->gpus[most_t].type, w->regions[most_r].id);
	}
}
