/* plan.c - placing a job list: options, the optimiser, the baseline, totals */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ewc_int.h"
#include "plan_int.h"
#include "solver.h"

void ewc_plan_free(ewc_plan *p)
{
	if (!p)
		return;
	ewc__world_free(&p->w);
	free(p->opt_job);
	free(p->opt_region);
	free(p->opt_type);
	free(p->opt_cost);
	free(p->opt_obj);
	free(p->first);
	free(p->choice);
	free(p->base);
	free(p->stay);
	free(p->opt_mig);
	free(p->job_gpus);
	free(p->opt_gpus);
	free(p->prio);
	free(p->pool);
	free(p->pool_cap);
	free(p->obj2);
	free(p->side);
	free(p->side_kind);
	free(p->side_region);
	free(p->side_coef);
	free(p->shadow);
	free(p->opt_start);
	free(p->opt_len);
	free(p->iresv);
	free(p->slot_cap);
	free(p->slot);
	free(p->no_window);
	if (p->wait)
		for (size_t j = 0; j < p->njobs; j++)
			free(p->wait[j]);
	free(p->wait);
	if (p->reason)
		for (size_t j = 0; j < p->njobs; j++)
			free(p->reason[j]);
	free(p->reason);
	free(p);
}

/* Pools are (region, type) pairs, numbered region * ntypes + type. */
static int pool_of(const ewc__world *w, int r, int t)
{
	return r * (int)w->ngpus + t;
}

static long region_free(const ewc__region *R, int t)
{
	int k = ewc__region_gpu(R, t);
	return k >= 0 ? R->gpus[k].free : 0;
}

/* Migration of job J onto region r, type t: its checkpoint over the
 * origin's link, and a restart. -1 when the checkpoint has no way there. */
static double migration(const ewc__world *w, const ewc__job *J, int r, int t,
                        const ewc__rebal *rb)
{
	const ewc__region *R = &w->regions[r];
	double ck = 0;

	if (J->checkpoint_gb > 0) {
		const ewc__link *L = J->site >= 0 ? ewc__region_link(R, J->site) : NULL;
		if (!L)
			return -1;
		ck = J->checkpoint_gb * L->price_per_gb;
	}
	return ck + rb->restart_hours * (double)ewc__job_gpus(w, J, t) *
	                    R->gpus[ewc__region_gpu(R, t)].price;
}

/* The most GPUs pool (r, t) has free in any slot of the horizon. */
static long region_free_max(const ewc_plan *p, int r, int t)
{
	long most = 0;

	if (!p->nslots)
		return region_free(&p->w.regions[r], t);
	for (size_t s = 0; s < p->nslots; s++)
		if (p->slot_cap[(size_t)pool_of(&p->w, r, t) * p->nslots + s] > most)
			most = p->slot_cap[(size_t)pool_of(&p->w, r, t) * p->nslots + s];
	return most;
}

/* The slots a job may start in on option cost c: from its earliest hour
 * (its data moved first) to the last start that ends by its deadline and
 * within the horizon; a service only at the first. *s0 > *s1: none. */
static void start_window(const ewc_plan *p, const ewc__job *J, int r, const ewc__cost *c,
                         int *s0, int *s1)
{
	const ewc__link *L = J->site >= 0 ? ewc__region_link(&p->w.regions[r], J->site) : NULL;
	double limit = (double)p->nslots, first, last;

	if (p->open_end)
		limit = HUGE_VAL;
	if (J->deadline_h > 0 && J->deadline_h < limit)
		limit = J->deadline_h;
	first = ceil(J->earliest_h + ewc__transfer_hours(J, L) - 1e-9);
	*s0 = first > 1e9 ? 1000000000 : (int)first;
	last = floor(limit - c->hours + 1e-9);
	/* a rebalancing's jobs may end after the horizon, not start after it */
	if (p->open_end && last > (double)p->nslots - 1)
		last = (double)p->nslots - 1;
	*s1 = last < -1 ? -1 : (int)last;
	if (J->kind == EWC_KIND_INFER && *s1 > *s0)
		*s1 = *s0;
}

/* Cost c of the option on region r starting at slot s: its power, carbon
 * and green energy summed over the slots it runs (the last one in part). */
static void slot_cost(const ewc_plan *p, int r, int s, ewc__cost *c)
{
	const ewc__slot *S = &p->slot[(size_t)r * p->nslots];
	double per_h = c->hours > 0 ? c->energy_kwh / c->hours : 0, left = c->hours;

	c->power_cny = c->carbon_kg = c->carbon_location_kg = c->green_kwh = 0;
	for (size_t k = (size_t)s; left > 1e-12; k++, left -= 1) {
		double e = per_h * fmin(1.0, left);
		ewc__slot out;
		const ewc__slot *X = &out;
		/* past the horizon (a rebalancing's long jobs): the figures of
		 * that hour all the same, the tariff and series as they go on */
		if (k < p->nslots)
			X = &S[k];
		else
			ewc__when_slot(&p->w.regions[r], p->t0 + 3600.0 * (double)k, &out);
		c->power_cny += e * X->price;
		c->carbon_location_kg += e * X->grid_factor;
		c->carbon_kg += e * X->grid_factor * (1 - X->green_share);
		c->green_kwh += e * X->green_share;
	}
	c->cost_cny = c->gpu_cny + c->power_cny + c->transfer_cny;
}

static int slots_of(double hours)
{
	return (int)ceil(hours - 1e-9);
}

/* Every eligible (job, region, type), grouped by job; over time, one per
 * start slot too. */
static int build_options(ewc_plan *p, const ewc__rebal *rb)
{
	const ewc__world *w = &p->w;
	size_t cap = 0;
	char why[256];

	p->first = calloc(p->njobs + 1, sizeof *p->first);
	if (!p->first)
		return -1;
	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__job *J = &p->jobs->v[j];
		p->first[j] = p->nopts;
		for (size_t r = 0; r < w->nregions; r++)
			for (int k = 0; k < J->ntypes; k++) {
				int t = J->types[k];
				int stay_pool = rb && rb->cur_region[j] == (int)r && rb->cur_type[j] == t;
				int waiting = rb && rb->waiting && rb->waiting[j];
				int cs = rb && rb->cur_start ? rb->cur_start[j] : 0;
				double mig = 0;
				/* a running job may always stay: the rules were met when it
				 * started, and its GPUs are counted back into the free ones */
				int s0 = 0, s1 = 0;
				ewc__cost base;
				if (stay_pool ? ewc__region_gpu(&w->regions[r], t) < 0
				              : !ewc__eligible(w, J, (int)r, t,
				                               region_free_max(p, (int)r, t), why,
				                               sizeof why))
					continue;
				/* a job not started yet has nothing to migrate */
				if (rb && !stay_pool && !waiting &&
				    (mig = migration(w, J, (int)r, t, rb)) < 0)
					continue;
				ewc__cost_eval(w, J, (int)r, t, &base);
				if (p->nslots) {
					start_window(p, J, (int)r, &base, &s0, &s1);
					/* a running job restarts at once or stays as it runs */
					if (rb && !waiting && s1 >= s0)
						s1 = s0;
					if (stay_pool && !waiting)
						s0 = s1 = 0;
					if (s0 > s1 && !stay_pool)
						p->no_window[j] = 1;
				}
				int lo = s0, hi = s1;
				if (p->nslots && stay_pool && waiting) {
					/* where it is planned: always a choice */
					lo = s0 < cs && s0 <= s1 ? s0 : cs;
					hi = s1 > cs && s0 <= s1 ? s1 : cs;
				}
				/* a long horizon multiplies the options: refuse what would
				 * not fit in memory, before allocating it */
				if (p->nslots && hi >= lo &&
				    p->nopts + (size_t)(hi - lo + 1) > EWC__TIME_MAX_OPTS) {
					p->too_many = 1;
					return -1;
				}
				for (int s = lo; s <= hi; s++) {
				int stay = stay_pool && (!p->nslots || s == cs);
				if (p->nslots && !stay && (s < s0 || s > s1))
					continue;
				if (p->nopts == cap) {
					size_t nc = cap ? 2 * cap : 256;
					int *a = realloc(p->opt_job, nc * sizeof *a);
					if (a) p->opt_job = a;
					int *b = realloc(p->opt_region, nc * sizeof *b);
					if (b) p->opt_region = b;
					int *c = realloc(p->opt_type, nc * sizeof *c);
					if (c) p->opt_type = c;
					ewc__cost *d = realloc(p->opt_cost, nc * sizeof *d);
					if (d) p->opt_cost = d;
					double *e = realloc(p->opt_obj, nc * sizeof *e);
					if (e) p->opt_obj = e;
					double *f = rb ? realloc(p->opt_mig, nc * sizeof *f) : NULL;
					if (f) p->opt_mig = f;
					int *g = p->nslots ? realloc(p->opt_start, nc * sizeof *g) : NULL;
					if (g) p->opt_start = g;
					int *h = p->nslots ? realloc(p->opt_len, nc * sizeof *h) : NULL;
					if (h) p->opt_len = h;
					if (!a || !b || !c || !d || !e || (rb && !f) || (p->nslots && (!g || !h)))
						return -1;
					cap = nc;
				}
				size_t o = p->nopts++;
				p->opt_job[o] = (int)j;
				p->opt_region[o] = (int)r;
				p->opt_type[o] = t;
				p->opt_cost[o] = base;
				if (p->nslots) {
					int len = slots_of(base.hours);
					p->opt_start[o] = s;
					/* capacity is planned within the horizon */
					p->opt_len[o] = len < (int)p->nslots - s ? len : (int)p->nslots - s;
					slot_cost(p, (int)r, s, &p->opt_cost[o]);
				}
				if (stay && !waiting) {
					/* the data moved when the job started: sunk */
					p->opt_cost[o].cost_cny -= p->opt_cost[o].transfer_cny;
					p->opt_cost[o].transfer_cny = 0;
				}
				if (stay)
					p->stay[j] = (int)o;
				p->opt_obj[o] = ewc__objective(p->opts.mode, p->opts.carbon_price,
				                               p->opts.carbon_basis, &p->opt_cost[o]);
				if (rb) {
					p->opt_mig[o] = mig;
					if (p->opts.mode != EWC_MODE_CARBON)
						p->opt_obj[o] += (1 + rb->margin) * mig;
				}
				}
			}
	}
	p->first[p->njobs] = p->nopts;
	return 0;
}

/* The baseline (docs/formats.md): input order, each job to the eligible region nearest
 * its origin with room for its first-listed type (ties: lower objective). */
static int baseline_time(ewc_plan *p)
{
	size_t ncells = p->w.nregions * p->w.ngpus * p->nslots;
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);

	if (!left)
		return -1;
	memcpy(left, p->slot_cap, ncells * sizeof *left);
	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__job *J = &p->jobs->v[j];
		int best = -1;
		p->base[j] = -1;
		for (size_t o = p->first[j]; o < p->first[j + 1]; o++) {
			const ewc__cost *c = &p->opt_cost[o];
			long *l = left + (size_t)pool_of(&p->w, p->opt_region[o], p->opt_type[o]) *
			                 p->nslots + (size_t)p->opt_start[o];
			int fits = 1;
			if (p->opt_type[o] != J->types[0] || c->latency_ms < 0)
				continue;
			if (best >= 0 &&
			    (p->opt_start[o] > p->opt_start[best] ||
			     (p->opt_start[o] == p->opt_start[best] &&
			      (c->latency_ms > p->opt_cost[best].latency_ms ||
			       (c->latency_ms == p->opt_cost[best].latency_ms &&
			        p->opt_obj[o] >= p->opt_obj[best])))))
				continue;
			for (int k = 0; k < p->opt_len[o] && fits; k++)
				fits = l[k] >= c->gpus;
			if (fits)
				best = (int)o;
		}
		if (best >= 0) {
			long *l = left + (size_t)pool_of(&p->w, p->opt_region[best], p->opt_type[best]) *
			                 p->nslots + (size_t)p->opt_start[best];
			p->base[j] = best;
			for (int k = 0; k < p->opt_len[best]; k++)
				l[k] -= p->opt_cost[best].gpus;
		}
	}
	free(left);
	return 0;
}

static int baseline(ewc_plan *p)
{
	const ewc__world *w = &p->w;
	size_t npools = w->nregions * w->ngpus;
	long *left = malloc((npools ? npools : 1) * sizeof *left);

	if (!left)
		return -1;
	for (size_t r = 0; r < w->nregions; r++)
		for (size_t t = 0; t < w->ngpus; t++)
			left[pool_of(w, (int)r, (int)t)] = region_free(&w->regions[r], (int)t);
	for (size_t j = 0; j < p->njobs; j++) {
		const ewc__job *J = &p->jobs->v[j];
		int best = -1;
		p->base[j] = -1;
		for (size_t o = p->first[j]; o < p->first[j + 1]; o++) {
			const ewc__cost *c = &p->opt_cost[o];
			if (p->opt_type[o] != J->types[0] || c->latency_ms < 0 ||
			    left[pool_of(w, p->opt_region[o], p->opt_type[o])] < c->gpus)
				continue;
			if (best < 0 || c->latency_ms < p->opt_cost[best].latency_ms ||
			    (c->latency_ms == p->opt_cost[best].latency_ms &&
			     p->opt_obj[o] < p->opt_obj[best]))
				best = (int)o;
		}
		if (best >= 0) {
			p->base[j] = best;
			left[pool_of(w, p->opt_region[best], p->opt_type[best])] -=
				p->opt_cost[best].gpus;
		}
	}
	free(left);
	return 0;
}

static void totals_of(const ewc_plan *p, const int *choice, ewc_totals *t)
{
	const ewc__world *w = &p->w;

	memset(t, 0, sizeof *t);
	t->version = EWC_TOTALS_VERSION;
	for (size_t j = 0; j < p->njobs; j++) {
		int o = choice[j];
		if (o < 0) {
			t->unplaced++;
			continue;
		}
		const ewc__cost *c = &p->opt_cost[o];
		t->placed++;
		t->priority_placed += p->jobs->v[j].priority;
		t->cost_cny += c->cost_cny;
		t->gpu_cny += c->gpu_cny;
		t->power_cny += c->power_cny;
		t->transfer_cny += c->transfer_cny;
		t->carbon_kg += c->carbon_kg;
		t->carbon_location_kg += c->carbon_location_kg;
		t->energy_kwh += c->energy_kwh;
		t->gpu_hours += c->gpu_hours;
		t->green_kwh += c->green_kwh;
		if (w->gpus[p->opt_type[o]].domestic)
			t->gpu_hours_domestic += c->gpu_hours;
		if (w->regions[p->opt_region[o]].zone == EWC_ZONE_EAST) {
			t->gpu_hours_east += c->gpu_hours;
		} else {
			t->gpu_hours_west += c->gpu_hours;
			t->placed_west++;
		}
		t->objective += p->opt_obj[o];
	}
}

void ewc__rebalance_totals(const ewc_plan *p, const int *choice, double margin,
                           ewc_totals *out, double *migration)
{
	double mig = 0;

	totals_of(p, choice, out);
	for (size_t j = 0; j < p->njobs; j++)
		if (choice[j] >= 0)
			mig += p->opt_mig[choice[j]];
	out->cost_cny += mig;
	if (p->opts.mode != EWC_MODE_CARBON)
		out->objective -= margin * mig;
	out->lower_bound = out->objective;
	*migration = mig;
}

static void solver_name(void *user, char kind, size_t i, char *buf, size_t len)
{
	const ewc_plan *p = user;
	const ewc__world *w = &p->w;
	const char *a = "", *b = "", *c = "";

	switch (kind) {
	case 'x':
		a = p->jobs->v[p->opt_job[i]].id;
		b = w->regions[p->opt_region[i]].id;
		c = w->gpus[p->opt_type[i]].type;
		if (p->nslots)
			snprintf(buf, len, "x_%zu_%s_%s_%s_h%d", i + 1, a, b, c, p->opt_start[i]);
		else
			snprintf(buf, len, "x_%zu_%s_%s_%s", i + 1, a, b, c);
		break;
	case 'j':
		snprintf(buf, len, "job_%zu_%s", i + 1, p->jobs->v[i].id);
		break;
	default:
		if (p->nslots) {
			size_t pool = i / p->nslots;
			snprintf(buf, len, "cap_%s_%s_h%zu", w->regions[pool / w->ngpus].id,
			         w->gpus[pool % w->ngpus].type, i % p->nslots);
		} else {
			snprintf(buf, len, "cap_%s_%s", w->regions[i / w->ngpus].id,
			         w->gpus[i % w->ngpus].type);
		}
		break;
	}
	/* CPLEX LP names: letters, digits and a few marks; no '-' or spaces */
	for (char *s = buf; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.'))
			*s = '_';
	}
}

/* The holders of a pool to name: the placed jobs there with the most
 * GPUs, at most `most`, into buf as "C (4 GPUs, priority 1)" joined by
 * ", ", then "and N more". */
static void holders(const ewc_plan *p, int pool, int most, char *buf, size_t len)
{
	int shown[3] = { -1, -1, -1 }, more = 0;
	size_t used = 0;

	if (most > 3)
		most = 3;
	for (size_t j = 0; j < p->njobs; j++) {
		int c = p->choice[j], k;
		if (c < 0 || p->pool[c] != pool)
			continue;
		for (k = 0; k < most && shown[k] >= 0; k++)
			if (p->opt_cost[c].gpus > p->opt_cost[p->choice[shown[k]]].gpus)
				break;
		if (k == most) {
			more++;
			continue;
		}
		if (shown[most - 1] >= 0)
			more++;
		for (int i = most - 1; i > k; i--)
			shown[i] = shown[i - 1];
		shown[k] = (int)j;
	}
	buf[0] = '\0';
	for (int k = 0; k < most && shown[k] >= 0 && used < len; k++) {
		const ewc__job *H = &p->jobs->v[shown[k]];
		used += (size_t)snprintf(buf + used, len - used, "%s%s (%ld GPUs, priority %g)",
		                         k ? ", " : "", H->id, p->opt_cost[p->choice[shown[k]]].gpus,
		                         H->priority);
	}
	if (more && used < len)
		snprintf(buf + used, len - used, " and %d more", more);
}

/* Whether the plan's priority is proven the most: its bound is within a
 * ten-millionth of the smallest job priority (a tolerance relative to the
 * total would call 5e9 + 933 of 5e9 + 935 proven). */
static int priority_proven_of(const ewc_plan *p)
{
	double lo = 1.0;

	for (size_t j = 0; j < p->jobs->n; j++)
		if (j == 0 || p->jobs->v[j].priority < lo)
			lo = p->jobs->v[j].priority;
	return p->totals.priority_bound <= p->totals.priority_placed + 1e-7 * lo;
}

/* Why job j, which had options, is not in the plan: each of its pools
 * (up to three) with its free GPUs and who holds them, then what is
 * proven. "fits" when one of them has room for it now: only a plan not
 * proven, or a policy, leaves such a job out. */
static void reason_capacity(const ewc_plan *p, size_t j, const long *left, char *why,
                            size_t len)
{
	const ewc__world *w = &p->w;
	int proven = p->prio_proven;
	size_t used = 0, npools = p->first[j + 1] - p->first[j], shown = 0;
	char who[400];

	for (size_t o = p->first[j]; o < p->first[j + 1]; o++)
		if (left[p->pool[o]] >= p->opt_cost[o].gpus) {
			const ewc__region *R = &w->regions[p->opt_region[o]];
			snprintf(why, len, "fits in %s %s (%ld of %ld GPUs free, needs %ld) but was "
			         "left out: %s", R->id, w->gpus[p->opt_type[o]].type, left[p->pool[o]],
			         p->pool_cap[p->pool[o]], p->opt_cost[o].gpus,
			         proven ? "the policy constraints keep it out"
			                : "not proven, the search stopped at the time limit");
			return;
		}
	used += (size_t)snprintf(why, len, "capacity: ");
	for (size_t o = p->first[j]; o < p->first[j + 1] && used < len; o++) {
		const ewc__region *R = &w->regions[p->opt_region[o]];
		if (shown == 2 && npools > 3) {
			used += (size_t)snprintf(why + used, len - used, "; and %zu more pools",
			                         npools - shown);
			break;
		}
		holders(p, p->pool[o], shown ? 1 : 2, who, sizeof who);
		used += (size_t)snprintf(why + used, len - used, "%s%s %s has %ld of %ld GPUs free, "
		                         "needs %ld%s%s", shown ? "; " : "", R->id,
		                         w->gpus[p->opt_type[o]].type, left[p->pool[o]],
		                         p->pool_cap[p->pool[o]], p->opt_cost[o].gpus,
		                         *who ? ", held by " : "",
		                         who);
		shown++;
	}
	if (used < len) {
		char n1[32], n2[32];
		snprintf(n1, sizeof n1, "%.10g", p->totals.priority_placed);
		snprintf(n2, sizeof n2, "%.10g", p->totals.priority_bound);
		if (proven)
			snprintf(why + used, len - used, "; no plan places more priority with it "
			         "(%s placed, the most any plan can)", n1);
		else
			snprintf(why + used, len - used, "; not proven: a plan with it may place more "
			         "priority (%s placed, bound %s)", n1, n2);
	}
}

/* Over time: the GPUs option o finds free through every slot it runs. */
static long window_free(const ewc_plan *p, const long *left, size_t o)
{
	const long *l = left + (size_t)p->pool[o] * p->nslots + (size_t)p->opt_start[o];
	long least = l[0];

	for (int k = 1; k < p->opt_len[o]; k++)
		if (l[k] < least)
			least = l[k];
	return least;
}

/* Why job j, with options over time, is not in the plan: a start that
 * fits and was left out, or each (region, type) with the most GPUs free
 * through any start it can take. */
static void reason_time(const ewc_plan *p, size_t j, const long *left, char *why, size_t len)
{
	const ewc__world *w = &p->w;
	int proven = p->prio_proven;
	size_t used = 0, shown = 0;

	for (size_t o = p->first[j]; o < p->first[j + 1]; o++)
		if (window_free(p, left, o) >= p->opt_cost[o].gpus) {
			snprintf(why, len, "fits in %s %s starting at hour %d (needs %ld GPUs) but was "
			         "left out: %s", w->regions[p->opt_region[o]].id,
			         w->gpus[p->opt_type[o]].type, p->opt_start[o], p->opt_cost[o].gpus,
			         proven ? "the policy constraints keep it out"
			                : "not proven, the search stopped at the time limit");
			return;
		}
	used += (size_t)snprintf(why, len, "capacity: ");
	for (size_t o = p->first[j]; o < p->first[j + 1] && used < len;) {
		size_t e = o;
		long most = 0;
		/* one (region, type): its starts are consecutive options */
		while (e < p->first[j + 1] && p->opt_region[e] == p->opt_region[o] &&
		       p->opt_type[e] == p->opt_type[o]) {
			long f = window_free(p, left, e);
			if (f > most)
				most = f;
			e++;
		}
		if (shown == 3) {
			used += (size_t)snprintf(why + used, len - used, "; and more");
			break;
		}
		used += (size_t)snprintf(why + used, len - used, "%s%s %s has at most %ld GPUs free "
		                         "through any start from hour %d to %d, needs %ld",
		                         shown ? "; " : "", w->regions[p->opt_region[o]].id,
		                         w->gpus[p->opt_type[o]].type, most, p->opt_start[o],
		                         p->opt_start[e - 1], p->opt_cost[o].gpus);
		shown++;
		o = e;
	}
	if (used < len) {
		char n1[32], n2[32];
		snprintf(n1, sizeof n1, "%.10g", p->totals.priority_placed);
		snprintf(n2, sizeof n2, "%.10g", p->totals.priority_bound);
		if (proven)
			snprintf(why + used, len - used, "; no plan places more priority with it "
			         "(%s placed, the most any plan can)", n1);
		else
			snprintf(why + used, len - used, "; not proven: a plan with it may place more "
			         "priority (%s placed, bound %s)", n1, n2);
	}
}

/* Why no start fits job J anywhere it may run. */
static void reason_window(const ewc_plan *p, const ewc__job *J, char *why, size_t len)
{
	if (J->deadline_h > 0 && J->deadline_h < (double)p->nslots)
		snprintf(why, len, "deadline: no region it may use can run its %.4g h from hour "
		         "%g (its data moved first) and end by hour %g", J->hours, J->earliest_h,
		         J->deadline_h);
	else
		snprintf(why, len, "horizon: no region it may use can run its %.4g h from hour %g "
		         "(its data moved first) and end within the %zu h horizon", J->hours,
		         J->earliest_h, p->nslots);
}

/* Why placed job j starts later than its earliest start on the same
 * region and type: no room before (the others where they are), or the
 * first start with room costs more. left: every cell's free GPUs after
 * the plan. */
static int wait_reason(ewc_plan *p, size_t j, long *left)
{
	int o = p->choice[j], o0 = -1, e = -1;
	long *mine = left + (size_t)p->pool[o] * p->nslots + (size_t)p->opt_start[o];
	char why[256];

	for (size_t k = p->first[j]; k < p->first[j + 1]; k++)
		if (p->opt_region[k] == p->opt_region[o] && p->opt_type[k] == p->opt_type[o]) {
			o0 = (int)k;
			break;
		}
	if (o0 < 0 || p->opt_start[o0] >= p->opt_start[o])
		return 0;
	/* the first start with room, this job's own GPUs given back */
	for (int k = 0; k < p->opt_len[o]; k++)
		mine[k] += p->opt_cost[o].gpus;
	for (int k = o0; k < o && e < 0; k++)
		if (window_free(p, left, (size_t)k) >= p->opt_cost[k].gpus)
			e = k;
	for (int k = 0; k < p->opt_len[o]; k++)
		mine[k] -= p->opt_cost[o].gpus;
	if (e < 0) {
		snprintf(why, sizeof why, "waits %d h: the GPUs it needs are taken before hour %d",
		         p->opt_start[o] - p->opt_start[o0], p->opt_start[o]);
	} else {
		const ewc__slot *S = &p->slot[(size_t)p->opt_region[o] * p->nslots];
		int valley = S[p->opt_start[o]].period == EWC__VALLEY &&
		             S[p->opt_start[e]].period != EWC__VALLEY;
		snprintf(why, sizeof why, "waits %d h%s: starting at hour %d%s would cost %.2f %s more",
		         p->opt_start[o] - p->opt_start[o0], valley ? " for the valley" : "",
		         p->opt_start[e], e == o0 ? "" : ", the first with room,",
		         p->opt_obj[e] - p->opt_obj[o],
		         p->opts.mode == EWC_MODE_CARBON ? "kg CO2" : "CNY");
	}
	p->wait[j] = ewc__strdup(why);
	return p->wait[j] ? 0 : -1;
}

static int reasons_time(ewc_plan *p)
{
	size_t ncells = p->w.nregions * p->w.ngpus * p->nslots;
	long *left = malloc((ncells ? ncells : 1) * sizeof *left);
	char why[1024];
	int rc = 0;

	if (!left)
		return -1;
	memcpy(left, p->slot_cap, ncells * sizeof *left);
	for (size_t j = 0; j < p->njobs; j++) {
		int o = p->choice[j];
		if (o >= 0)
			for (int k = 0; k < p->opt_len[o]; k++)
				left[(size_t)p->pool[o] * p->nslots + (size_t)(p->opt_start[o] + k)] -=
					p->opt_cost[o].gpus;
	}
	for (size_t j = 0; j < p->njobs && !rc; j++) {
		if (p->choice[j] >= 0) {
			rc = wait_reason(p, j, left);
			continue;
		}
		if (p->first[j + 1] > p->first[j])
			reason_time(p, j, left, why, sizeof why);
		else if (p->no_window[j])
			reason_window(p, &p->jobs->v[j], why, sizeof why);
		else
			ewc__explain_none(&p->w, &p->jobs->v[j], why, sizeof why);
		p->reason[j] = ewc__strdup(why);
		if (!p->reason[j])
			rc = -1;
	}
	free(left);
	return rc;
}

static int reasons(ewc_plan *p)
{
	const ewc__world *w = &p->w;
	size_t npools = w->nregions * w->ngpus;
	long *left;
	char why[1024];

	p->reason = calloc(p->njobs ? p->njobs : 1, sizeof *p->reason);
	if (p->nslots)
		return p->reason ? reasons_time(p) : -1;
	left = malloc((npools ? npools : 1) * sizeof *left);
	if (!p->reason || !left) {
		free(left);
		return -1;
	}
	memcpy(left, p->pool_cap, npools * sizeof *left);
	for (size_t j = 0; j < p->njobs; j++)
		if (p->choice[j] >= 0)
			left[p->pool[p->choice[j]]] -= p->opt_cost[p->choice[j]].gpus;
	for (size_t j = 0; j < p->njobs; j++) {
		if (p->choice[j] >= 0)
			continue;
		if (p->first[j + 1] == p->first[j])
			ewc__explain_none(w, &p->jobs->v[j], why, sizeof why);
		else
			reason_capacity(p, j, left, why, sizeof why);
		p->reason[j] = ewc__strdup(why);
		if (!p->reason[j]) {
			free(left);
			return -1;
		}
	}
	free(left);
	return 0;
}

int ewc_place(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
              const ewc_place_options *opts)
{
	return ewc__place_ex(out, ctx, jobs, opts, NULL, NULL, 0);
}

int ewc_place_from(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                   const ewc_place_options *opts, const ewc_plan *from)
{
	return ewc__place_ex(out, ctx, jobs, opts, NULL, from, 0);
}

/* The policy rows of the model (ewc's own), after any rows
 * already in p->side. 0 or -1 (out of memory). */
static int add_side(ewc_plan *p, int kind, int region, double lo, double hi, int in_phase1)
{
	size_t k = p->nside;
	ewc__side *sd = realloc(p->side, (k + 1) * sizeof *sd);
	int *kd, *rg;
	double *cf;

	if (!sd)
		return -1;
	p->side = sd;
	kd = realloc(p->side_kind, (k + 1) * sizeof *kd);
	if (kd)
		p->side_kind = kd;
	rg = realloc(p->side_region, (k + 1) * sizeof *rg);
	if (rg)
		p->side_region = rg;
	cf = realloc(p->side_coef, (k + 1) * (p->nopts ? p->nopts : 1) * sizeof *cf);
	if (cf)
		p->side_coef = cf;
	if (!kd || !rg || !cf)
		return -1;
	p->side_kind[k] = kind;
	p->side_region[k] = region;
	sd[k].lo = lo;
	sd[k].hi = hi;
	sd[k].in_phase1 = in_phase1;
	sd[k].coef = NULL; /* set once every row is in: the block may move */
	p->nside++;
	return 0;
}

static double *side_row(ewc_plan *p, size_t k)
{
	return p->side_coef + k * p->nopts;
}

static int build_sides(ewc_plan *p, const ewc__rebal *rb)
{
	const ewc_place_options *o = &p->opts;

	if (rb && rb->max_moves >= 0) {
		if (add_side(p, EWC__SIDE_MOVES, -1, -HUGE_VAL, (double)rb->max_moves, 1))
			return -1;
		/* a job not started yet moves in time or place at no cost to
		 * anyone: only running jobs count */
		for (size_t q = 0; q < p->nopts; q++)
			side_row(p, p->nside - 1)[q] =
				p->stay[p->opt_job[q]] != (int)q &&
				!(rb->waiting && rb->waiting[p->opt_job[q]]);
	}
	if (o->carbon_budget_kg >= 0) {
		if (add_side(p, EWC__SIDE_BUDGET, -1, -HUGE_VAL, o->carbon_budget_kg, 0))
			return -1;
		for (size_t q = 0; q < p->nopts; q++)
			side_row(p, p->nside - 1)[q] = ewc__basis_kg(o->carbon_basis, &p->opt_cost[q]);
	}
	if (o->min_green_share >= 0) {
		/* sum green(r) E x >= g sum E x */
		if (add_side(p, EWC__SIDE_GREEN, -1, 0.0, HUGE_VAL, 0))
			return -1;
		for (size_t q = 0; q < p->nopts; q++)
			side_row(p, p->nside - 1)[q] =
				p->opt_cost[q].green_kwh - o->min_green_share * p->opt_cost[q].energy_kwh;
	}
	if (o->max_region_share >= 0 && o->max_region_share < 1) {
		/* per region: its GPUs <= s x all GPUs placed */
		for (size_t r = 0; r < p->w.nregions; r++) {
			if (add_side(p, EWC__SIDE_SHARE, (int)r, -HUGE_VAL, 0.0, 0))
				return -1;
			for (size_t q = 0; q < p->nopts; q++)
				side_row(p, p->nside - 1)[q] =
					((p->opt_region[q] == (int)r) - o->max_region_share) *
					(double)p->opt_cost[q].gpus;
		}
	}
	for (size_t k = 0; k < p->nside; k++)
		p->side[k].coef = side_row(p, k);
	return 0;
}

/* Why the policy rows left no plan: each group alone, then all together. */
/* Whether every job staying where it is fits the GPUs free, pool by pool
 * (and slot by slot over a horizon); 1 without a stay plan. */
static int stay_fits(const ewc_plan *p)
{
	size_t n = p->nslots ? p->w.nregions * p->w.ngpus * p->nslots : p->w.nregions * p->w.ngpus;
	long *left;
	int ok = 1;

	if (!p->stay)
		return 1;
	left = malloc((n ? n : 1) * sizeof *left);
	if (!left)
		return 1;
	memcpy(left, p->nslots ? p->slot_cap : p->pool_cap, n * sizeof *left);
	for (size_t j = 0; j < p->njobs && ok; j++) {
		int o = p->stay[j];
		if (o < 0)
			continue;
		if (!p->nslots) {
			ok = (left[p->pool[o]] -= p->opt_cost[o].gpus) >= 0;
			continue;
		}
		for (int k = 0; k < p->opt_len[o] && ok; k++) {
			size_t c = (size_t)p->pool[o] * p->nslots + (size_t)p->opt_start[o] + (size_t)k;
			ok = (left[c] -= p->opt_cost[o].gpus) >= 0;
		}
	}
	free(left);
	return ok;
}

static int policy_failure(ewc_plan *p, const ewc__mip_result *all)
{
	static const int kinds[] = { EWC__SIDE_MOVES, EWC__SIDE_BUDGET, EWC__SIDE_GREEN,
	                             EWC__SIDE_SHARE };
	const ewc_place_options *o = &p->opts;
	char alone[768] = "", groups[512] = "", extra[160] = "";
	size_t na = 0, ng = 0;
	int *choice = malloc((p->njobs ? p->njobs : 1) * sizeof *choice);
	char err[256];

	if (!choice)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t lo = p->nside, hi = 0;
		for (size_t k = 0; k < p->nside; k++)
			if (p->side_kind[k] == kinds[i]) {
				lo = k < lo ? k : lo;
				hi = k + 1;
			}
		if (lo >= hi)
			continue;
		char what[320], num[64];
		if (kinds[i] == EWC__SIDE_MOVES)
			snprintf(what, sizeof what, "the limit of %.0f moves (--max-moves)%s",
			         p->side[lo].hi,
			         stay_fits(p) ? ""
			                      : ": the jobs where they are do not fit the GPUs free now "
			                        "(a job past its planned hours holds its GPUs until "
			                        "marked finished: ewc jobs finish ID)");
		else if (kinds[i] == EWC__SIDE_BUDGET)
			snprintf(what, sizeof what, "the carbon budget of %s kg",
			         ewc__num(num, sizeof num, o->carbon_budget_kg,
			                  o->carbon_budget_kg == floor(o->carbon_budget_kg) ? 0 : 1));
		else if (kinds[i] == EWC__SIDE_GREEN)
			snprintf(what, sizeof what, "the minimum green share of %.10g", o->min_green_share);
		else
			snprintf(what, sizeof what, "the maximum region share of %.10g", o->max_region_share);
		ng += (size_t)snprintf(groups + ng, ng < sizeof groups ? sizeof groups - ng : 0,
		                       "%s%s", ng ? ", " : "", what);
		if (ng >= sizeof groups)
			ng = sizeof groups - 1;
		if (p->nside == hi - lo)
			continue; /* the only group: `all` already says */
		/* this group alone */
		ewc__mip m = p->m;
		ewc__mip_result r;
		memset(&r, 0, sizeof r);
		r.choice = choice;
		m.side = p->side + lo;
		m.nside = hi - lo;
		m.write_lp = NULL;
		m.progress = NULL;
		if (ewc__mip_solve(&m, &r, err, sizeof err) == 0 && !r.feasible && r.infeasible_proven)
			na += (size_t)snprintf(alone + na, na < sizeof alone ? sizeof alone - na : 0,
			                       "%s%s", na ? "; " : "", what);
		if (na >= sizeof alone)
			na = sizeof alone - 1;
	}
	if (o->carbon_budget_kg >= 0) {
		/* the least carbon these jobs can emit: what the budget must allow */
		ewc__mip m = p->m;
		ewc__mip_result r;
		double *carbon = malloc((p->nopts ? p->nopts : 1) * sizeof *carbon);
		if (carbon) {
			for (size_t q = 0; q < p->nopts; q++)
				carbon[q] = ewc__basis_kg(o->carbon_basis, &p->opt_cost[q]);
			memset(&r, 0, sizeof r);
			r.choice = choice;
			m.opt_obj = carbon;
			m.opt_obj2 = NULL;
			m.side = NULL;
			m.nside = 0;
			m.write_lp = NULL;
			m.progress = NULL;
			m.start = NULL;
			if (ewc__mip_solve(&m, &r, err, sizeof err) == 0) {
				char n1[64], n2[64];
				if (r.bound >= r.objective - 1e-9 * fmax(1.0, r.objective))
					snprintf(extra, sizeof extra, " (the greenest plan emits %s kg)",
					         ewc__num(n1, sizeof n1, r.objective, 1));
				else
					snprintf(extra, sizeof extra, " (the greenest plan found emits %s kg; "
					         "none emits less than %s kg)", ewc__num(n1, sizeof n1, r.objective, 1),
					         ewc__num(n2, sizeof n2, r.bound, 1));
			}
			free(carbon);
		}
	}
	free(choice);
	const char *placed = " with the jobs that fit placed";
	if (na)
		return ewc__seterr(EWC_EPOLICY, "policy cannot hold%s: %s%s", placed, alone, extra);
	if (all->infeasible_proven)
		return ewc__seterr(EWC_EPOLICY, "policy cannot hold%s: %s%s%s", placed,
		                   p->nside > 1 && strchr(groups, ',') ? "together, " : "", groups,
		                   extra);
	return ewc__seterr(EWC_EPOLICY, "no plan found within the time limit that meets %s%s; "
	                   "raise --time-limit or relax the policy", groups, extra);
}

/* The start from another plan of the same job ids: its (region, type)
 * choices where this plan has them, with jobs dropped from any pool they
 * would overfill. NULL when nothing maps (or out of memory). */
static int *start_from(const ewc_plan *p, const ewc_plan *from)
{
	const ewc__world *w = &p->w, *fw;
	size_t npools = w->nregions * w->ngpus;
	int *start, any = 0;
	long *left;

	if (!from || from->njobs != p->njobs)
		return NULL;
	fw = &from->w;
	start = malloc((p->njobs ? p->njobs : 1) * sizeof *start);
	left = malloc((npools ? npools : 1) * sizeof *left);
	if (!start || !left) {
		free(start);
		free(left);
		return NULL;
	}
	for (size_t q = 0; q < npools; q++)
		left[q] = p->pool_cap[q];
	for (size_t j = 0; j < p->njobs; j++) {
		int fo = from->choice[j];
		start[j] = -1;
		if (fo < 0 || strcmp(from->jobs->v[j].id, p->jobs->v[j].id) != 0)
			continue;
		const char *rid = fw->regions[from->opt_region[fo]].id;
		const char *type = fw->gpus[from->opt_type[fo]].type;
		for (size_t o = p->first[j]; o < p->first[j + 1]; o++)
			if (strcmp(w->regions[p->opt_region[o]].id, rid) == 0 &&
			    strcmp(w->gpus[p->opt_type[o]].type, type) == 0) {
				if (left[p->pool[o]] >= p->opt_cost[o].gpus) {
					left[p->pool[o]] -= p->opt_cost[o].gpus;
					start[j] = (int)o;
					any = 1;
				}
				break;
			}
	}
	free(left);
	if (!any) {
		free(start);
		return NULL;
	}
	return start;
}

/* Stage 1: the checked options and the plan's own copy of the regions,
 * taken under the lock: capacity and prices may change while GLPK runs. */
static int plan_new(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                    const ewc_place_options *opts)
{
	ewc_plan *p;
	int rc;

	rc = ewc__check_options(opts, "ewc_place");
	if (rc)
		return rc;
	if (!(isfinite(opts->mip_gap) && opts->mip_gap >= 0 && opts->mip_gap < 1))
		return ewc__seterr(EWC_EINVAL, "gap must be a number >= 0 and < 1");
	if (!(isfinite(opts->time_limit) && opts->time_limit > 0))
		return ewc__seterr(EWC_EINVAL, "time limit must be a number of seconds > 0");
	p = calloc(1, sizeof *p);
	if (!p)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	p->ctx = ctx;
	p->jobs = jobs;
	ewc__options_copy(&p->opts, opts);
	ewc__lock(ctx);
	if (ctx->w.nregions == 0)
		rc = ewc__seterr(EWC_EINVAL, "ewc_place: no regions loaded");
	else if (jobs->generation != ctx->generation)
		rc = ewc__seterr(EWC_EINVAL, "ewc_place: the job list was made before the regions "
		                 "were reloaded; make it again");
	else if (ewc__world_copy(&p->w, &ctx->w) != 0)
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	else
		rc = 0;
	/* over a horizon: reservations of an interval (ewc_place_one(),
	 * ewc_plan_commit()) hold their GPUs in the slots they cover; kept
	 * for time_setup() */
	for (size_t q = 0; rc == 0 && opts->horizon_h > 0 && q < ctx->nresv; q++) {
		const ewc__resv *v = &ctx->resv[q];
		ewc__resv *a;
		if (!v->used || v->t1 <= 0)
			continue;
		a = realloc(p->iresv, (p->niresv + 1) * sizeof *a);
		if (!a) {
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
			break;
		}
		p->iresv = a;
		p->iresv[p->niresv++] = *v;
	}
	ewc__unlock(ctx);
	if (rc != 0) {
		ewc_plan_free(p);
		return rc;
	}
	if (p->opts.mode == EWC_MODE_COST)
		p->opts.carbon_price = 0;
	if (p->opts.horizon_h > 0) {
		p->nslots = (size_t)p->opts.horizon_h;
		p->t0 = p->opts.start_time > 0 ? p->opts.start_time
		                               : floor((double)time(NULL) / 3600.0) * 3600.0;
	}
	*out = p;
	return 0;
}

/* Over time: each region's figures and each pool's free GPUs by slot. */
static int time_setup(ewc_plan *p)
{
	const ewc__world *w = &p->w;
	size_t H = p->nslots, nr = w->nregions * H, nc = w->nregions * w->ngpus * H;

	/* the slots of every region and pool are arrays: refuse what would not
	 * fit before allocating it */
	if ((double)w->nregions * (double)(w->ngpus ? w->ngpus : 1) * (double)H >
	    EWC__TIME_MAX_CELLS) {
		p->too_many = 2;
		return -1;
	}
	p->slot = malloc((nr ? nr : 1) * sizeof *p->slot);
	p->slot_cap = calloc(nc ? nc : 1, sizeof *p->slot_cap);
	p->no_window = calloc(p->njobs ? p->njobs : 1, 1);
	p->wait = calloc(p->njobs ? p->njobs : 1, sizeof *p->wait);
	if (!p->slot || !p->slot_cap || !p->no_window || !p->wait)
		return -1;
	for (size_t r = 0; r < w->nregions; r++) {
		const ewc__region *R = &w->regions[r];
		for (size_t s = 0; s < H; s++) {
			double T = p->t0 + 3600.0 * (double)s;
			ewc__when_slot(R, T, &p->slot[r * H + s]);
			for (size_t k = 0; k < R->ngpus; k++)
				p->slot_cap[(size_t)pool_of(w, (int)r, R->gpus[k].type) * H + s] =
					ewc__when_free_at(R, (int)k, T);
		}
	}
	for (size_t q = 0; q < p->niresv; q++) {
		const ewc__resv *v = &p->iresv[q];
		for (size_t s = 0; s < H; s++) {
			long *c = &p->slot_cap[(size_t)pool_of(w, v->region, v->type) * H + s];
			if (ewc__resv_in_hour(v, p->t0 + 3600.0 * (double)s))
				*c = *c > v->gpus ? *c - v->gpus : 0;
		}
	}
	return 0;
}

/* Stage 2: every job's eligible options and the baseline. A rebalancing's
 * running jobs give their GPUs back to the pools first. 0 or -1 (memory). */
static int plan_options(ewc_plan *p, const ewc__rebal *rb)
{
	const ewc_jobs *jobs = p->jobs;

	p->njobs = jobs->n;
	p->choice = malloc((p->njobs ? p->njobs : 1) * sizeof *p->choice);
	p->base = malloc((p->njobs ? p->njobs : 1) * sizeof *p->base);
	if (!p->choice || !p->base)
		return -1;
	if (rb) {
		p->stay = malloc((p->njobs ? p->njobs : 1) * sizeof *p->stay);
		if (!p->stay)
			return -1;
		if (rb->hold)
			for (size_t r = 0; r < p->w.nregions; r++)
				for (size_t k = 0; k < p->w.regions[r].ngpus; k++) {
					ewc__rgpu *G = &p->w.regions[r].gpus[k];
					long h = rb->hold[r * p->w.ngpus + (size_t)G->type];
					long d = h < G->free ? h : G->free;
					G->free -= d;
					G->adj -= d;
				}
		for (size_t j = 0; j < p->njobs; j++) {
			int r = rb->cur_region[j], t = rb->cur_type[j], k;
			p->stay[j] = -1;
			/* a running job's GPUs are free to the rebalancing */
			if (r >= 0 && (size_t)r < p->w.nregions && t >= 0 &&
			    (!rb->give_back || rb->give_back[j]) &&
			    (k = ewc__region_gpu(&p->w.regions[r], t)) >= 0) {
				/* not on an hourly series (adj): it may count them free
				 * already once they end */
				p->w.regions[r].gpus[k].free += ewc__job_gpus(&p->w, &jobs->v[j], t);
			}
		}
	}
	if (p->nslots && time_setup(p) != 0)
		return -1;
	return build_options(p, rb) != 0 || (p->nslots ? baseline_time(p) : baseline(p)) != 0
	       ? -1 : 0;
}

/* Stage 3: the solver's model over the options: pools and their
 * capacities, priorities, the tie-break objective and the side rows.
 * 0 or -1 (memory). */
static int plan_model(ewc_plan *p, const ewc__rebal *rb)
{
	const ewc_jobs *jobs = p->jobs;
	size_t npools = p->w.nregions * p->w.ngpus;
	ewc__mip *m;

	p->job_gpus = malloc((p->njobs ? p->njobs : 1) * sizeof *p->job_gpus);
	p->opt_gpus = malloc((p->nopts ? p->nopts : 1) * sizeof *p->opt_gpus);
	p->prio = malloc((p->njobs ? p->njobs : 1) * sizeof *p->prio);
	p->pool = malloc((p->nopts ? p->nopts : 1) * sizeof *p->pool);
	p->pool_cap = malloc((npools ? npools : 1) * sizeof *p->pool_cap);
	if (!p->job_gpus || !p->opt_gpus || !p->prio || !p->pool || !p->pool_cap)
		return -1;
	for (size_t j = 0; j < p->njobs; j++) {
		p->job_gpus[j] = jobs->v[j].gpus;
		p->prio[j] = jobs->v[j].priority;
	}
	for (size_t o = 0; o < p->nopts; o++) {
		p->pool[o] = pool_of(&p->w, p->opt_region[o], p->opt_type[o]);
		p->opt_gpus[o] = p->opt_cost[o].gpus;
	}
	for (size_t r = 0; r < p->w.nregions; r++)
		for (size_t t = 0; t < p->w.ngpus; t++)
			p->pool_cap[pool_of(&p->w, (int)r, (int)t)] =
				region_free(&p->w.regions[r], (int)t);
	/* ties: carbon mode breaks them by cost, cost mode by carbon */
	if (p->opts.mode != EWC_MODE_BALANCED) {
		p->obj2 = malloc((p->nopts ? p->nopts : 1) * sizeof *p->obj2);
		if (!p->obj2)
			return -1;
		for (size_t o = 0; o < p->nopts; o++)
			p->obj2[o] = p->opts.mode == EWC_MODE_CARBON
			             ? p->opt_cost[o].cost_cny
			             : ewc__basis_kg(p->opts.carbon_basis, &p->opt_cost[o]);
	}
	if (rb && p->opts.mode == EWC_MODE_CARBON)
		for (size_t o = 0; o < p->nopts; o++)
			p->obj2[o] += (1 + rb->margin) * p->opt_mig[o];
	if (build_sides(p, rb) != 0)
		return -1;

	m = &p->m;
	memset(m, 0, sizeof *m);
	m->njobs = p->njobs;
	m->nopts = p->nopts;
	m->npools = npools;
	m->opt_job = p->opt_job;
	m->opt_pool = p->pool;
	m->opt_obj = p->opt_obj;
	m->opt_obj2 = p->obj2;
	m->job_priority = p->prio;
	m->job_gpus = p->job_gpus;
	m->opt_gpus = p->opt_gpus;
	m->pool_cap = p->pool_cap;
	m->mip_gap = p->opts.mip_gap;
	m->time_limit = p->opts.time_limit;
	m->write_lp = p->opts.write_lp;
	m->method = p->opts.solver == EWC_SOLVER_DIRECT ? EWC__SOLVE_DIRECT
	            : p->opts.solver == EWC_SOLVER_DECOMPOSE ? EWC__SOLVE_DECOMPOSE
	                                                     : EWC__SOLVE_AUTO;
	m->progress = p->opts.progress;
	m->progress_user = p->opts.progress_user;
	m->name = solver_name;
	m->name_user = p;
	m->side = p->side;
	m->nside = p->nside;
	if (p->nslots) {
		m->nslots = p->nslots;
		m->opt_start = p->opt_start;
		m->opt_len = p->opt_len;
		m->slot_cap = p->slot_cap;
	}
	return 0;
}

/* The saving against the baseline, split (ewc_time_split): each placed
 * job's region and type run at the baseline's start (when it may start
 * then there; else as planned) is the plan without the choice of time. */
static void time_split(ewc_plan *p)
{
	ewc_time_split *t = &p->split;
	double x_cost = 0, x_kg = 0, x_loc = 0, x_obj = 0;

	memset(t, 0, sizeof *t);
	t->version = EWC_TIME_SPLIT_VERSION;
	t->horizon_h = (int)p->nslots;
	t->start_time = p->t0;
	for (size_t j = 0; j < p->njobs; j++) {
		int o = p->choice[j], b = p->base[j], x = o;
		if (o < 0)
			continue;
		if (b >= 0)
			for (size_t k = p->first[j]; k < p->first[j + 1]; k++)
				if (p->opt_region[k] == p->opt_region[o] && p->opt_type[k] == p->opt_type[o] &&
				    p->opt_start[k] == p->opt_start[b]) {
					x = (int)k;
					break;
				}
		x_cost += p->opt_cost[x].cost_cny;
		x_kg += p->opt_cost[x].carbon_kg;
		x_loc += p->opt_cost[x].carbon_location_kg;
		x_obj += p->opt_obj[x];
	}
	t->where_cost_cny = p->base_totals.cost_cny - x_cost;
	t->where_carbon_kg = p->base_totals.carbon_kg - x_kg;
	t->where_carbon_location_kg = p->base_totals.carbon_location_kg - x_loc;
	t->where_objective = p->base_totals.objective - x_obj;
	t->when_cost_cny = x_cost - p->totals.cost_cny;
	t->when_carbon_kg = x_kg - p->totals.carbon_kg;
	t->when_carbon_location_kg = x_loc - p->totals.carbon_location_kg;
	t->when_objective = x_obj - p->totals.objective;
}

int ewc_plan_time_split(const ewc_plan *p, ewc_time_split *out)
{
	if (!p || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_time_split: NULL argument");
	if (out->version != EWC_TIME_SPLIT_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_plan_time_split: struct version %u not supported",
		                   out->version);
	if (!p->nslots) {
		memset(out, 0, sizeof *out);
		out->version = EWC_TIME_SPLIT_VERSION;
		return 0;
	}
	*out = p->split;
	return 0;
}

int ewc_plan_slot(const ewc_plan *p, const char *region, size_t slot, ewc_slot_info *out)
{
	int r;
	const ewc__slot *S;

	if (!p || !region || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_slot: NULL argument");
	if (out->version != EWC_SLOT_INFO_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_plan_slot: struct version %u not supported",
		                   out->version);
	if (!p->nslots || slot >= p->nslots)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_slot: no slot %zu in this plan", slot);
	if ((r = ewc__region_find(&p->w, region)) < 0)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_slot: unknown region \"%s\"", region);
	S = &p->slot[(size_t)r * p->nslots + slot];
	out->start_time = p->t0 + 3600.0 * (double)slot;
	out->period = S->period;
	out->power_price = S->price;
	out->grid_factor = S->grid_factor;
	out->green_share = S->green_share;
	out->free_gpus = out->used_gpus = 0;
	for (size_t t = 0; t < p->w.ngpus; t++)
		out->free_gpus += p->slot_cap[(size_t)pool_of(&p->w, r, (int)t) * p->nslots + slot];
	for (size_t j = 0; j < p->njobs; j++) {
		int o = p->choice[j];
		if (o >= 0 && p->opt_region[o] == r && (size_t)p->opt_start[o] <= slot &&
		    slot < (size_t)(p->opt_start[o] + p->opt_len[o]))
			out->used_gpus += p->opt_cost[o].gpus;
	}
	return 0;
}

/* Stage 4: solve from the best start there is (staying, for a
 * rebalancing; the `from` plan's choice, for a frontier point), then
 * reasons and totals. The model is kept for the shadow prices, without
 * the start and the once-only settings. */
static int plan_solve(ewc_plan *p, const ewc__rebal *rb, const ewc_plan *from, unsigned flags)
{
	ewc__mip *m = &p->m;
	ewc__mip_result res;
	int *start = NULL;
	char err[512] = "";
	int rc;

	/* staying is a plan that fits: the GPUs were added back */
	if (rb) {
		m->start = p->stay;
	} else if (from) {
		start = start_from(p, from);
		m->start = start;
		if (start && (flags & EWC__PLACE_KEEP_PRIORITY)) {
			m->keep_priority = 1;
			m->sides_bind = 1;
		}
	}
	memset(&res, 0, sizeof res);
	res.choice = p->choice;
	rc = ewc__mip_solve(m, &res, err, sizeof err);
	if (rc != 0)
		rc = ewc__seterr(rc, "%s", err);
	else if (!res.feasible)
		rc = policy_failure(p, &res); /* it solves again from m, start and all */
	free(start);
	if (rc)
		return rc;
	m->start = NULL;
	m->keep_priority = 0;
	m->sides_bind = 0;
	m->write_lp = NULL;
	m->progress = NULL;
	p->proven = res.proven;
	p->solver_objective = res.objective;
	totals_of(p, p->choice, &p->totals);
	p->totals.lower_bound = res.bound;
	p->totals.priority_bound = fmax(res.priority_bound, p->totals.priority_placed);
	p->prio_proven = priority_proven_of(p);
	p->totals.gap = (p->totals.objective - res.bound) / fmax(1.0, fabs(p->totals.objective));
	if (p->totals.gap < 0)
		p->totals.gap = 0;
	totals_of(p, p->base, &p->base_totals);
	if (p->nslots)
		time_split(p);
	p->base_totals.lower_bound = p->base_totals.objective;
	p->base_totals.priority_bound = p->totals.priority_bound;
	if (reasons(p) != 0)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	return 0;
}

int ewc__place_ex(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                  const ewc_place_options *opts, const ewc__rebal *rb, const ewc_plan *from,
                  unsigned flags)
{
	ewc_place_options def = EWC_PLACE_OPTIONS_INIT;
	ewc_plan *p = NULL;
	int rc;

	if (!out || !ctx || !jobs || jobs->ctx != ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_place: bad arguments");
	*out = NULL;
	rc = plan_new(&p, ctx, jobs, opts ? opts : &def);
	if (rc)
		return rc;
	if (p->nslots && from) {
		ewc_plan_free(p);
		return ewc__seterr(EWC_EINVAL, "planning over a horizon is for ewc_place() and "
		                   "rebalancing: frontier points plan the snapshot");
	}
	p->open_end = rb != NULL;
	if (plan_options(p, rb) != 0 || plan_model(p, rb) != 0)
		rc = p->too_many == 2
		     ? ewc__seterr(EWC_EINVAL, "the %zu-hour horizon over %zu regions and %zu GPU "
		                   "type%s is more than %d pool-hours: plan a shorter horizon or on "
		                   "fewer regions", p->nslots, p->w.nregions, p->w.ngpus,
		                   p->w.ngpus == 1 ? "" : "s", EWC__TIME_MAX_CELLS)
		     : p->too_many
		     ? ewc__seterr(EWC_EINVAL, "the %zu-hour horizon gives the %zu jobs more than %d "
		                   "(job, region, type, start) options: plan a shorter horizon or "
		                   "fewer jobs at once", p->nslots, p->njobs, EWC__TIME_MAX_OPTS)
		     : ewc__seterr(EWC_ENOMEM, "out of memory");
	else
		rc = plan_solve(p, rb, from, flags);
	if (rc) {
		ewc_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int check_version(unsigned int have, unsigned int want, const char *what)
{
	if (have != want)
		return ewc__seterr(EWC_EVERSION, "%s: struct version %u not supported", what, have);
	return 0;
}

/* A version 1 struct ends before gpu_hours_domestic, a version 2 one
 * before priority_bound. */
static int copy_totals(const ewc_totals *t, ewc_totals *out, const char *who)
{
	if (out->version == 1 || out->version == 2) {
		unsigned v = out->version;
		memcpy(out, t, v == 1 ? offsetof(ewc_totals, gpu_hours_domestic)
		                      : offsetof(ewc_totals, priority_bound));
		out->version = v;
		return 0;
	}
	if (check_version(out->version, EWC_TOTALS_VERSION, who))
		return EWC_EVERSION;
	*out = *t;
	return 0;
}

int ewc_plan_totals(const ewc_plan *p, ewc_totals *out)
{
	if (!p || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_totals: NULL argument");
	return copy_totals(&p->totals, out, "ewc_plan_totals");
}

int ewc_plan_baseline(const ewc_plan *p, ewc_totals *out)
{
	if (!p || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_baseline: NULL argument");
	return copy_totals(&p->base_totals, out, "ewc_plan_baseline");
}

static double pct(double part, double whole)
{
	return whole != 0 ? 100.0 * part / whole : 0;
}

int ewc_plan_compare(const ewc_plan *p, ewc_comparison *out)
{
	const ewc_totals *a, *b;

	if (!p || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_compare: NULL argument");
	if (check_version(out->version, EWC_COMPARISON_VERSION, "ewc_plan_compare"))
		return EWC_EVERSION;
	a = &p->totals;
	b = &p->base_totals;
	out->cost_saved_cny = b->cost_cny - a->cost_cny;
	out->cost_saved_pct = pct(out->cost_saved_cny, b->cost_cny);
	out->carbon_avoided_kg = b->carbon_kg - a->carbon_kg;
	out->carbon_avoided_pct = pct(out->carbon_avoided_kg, b->carbon_kg);
	out->transfer_extra_cny = a->transfer_cny - b->transfer_cny;
	out->gpu_power_saved_cny = (b->gpu_cny + b->power_cny) - (a->gpu_cny + a->power_cny);
	out->east_gpu_hours_freed = b->gpu_hours_east - a->gpu_hours_east;
	out->placed_diff = (long)a->placed - (long)b->placed;
	return 0;
}

ewc_mode ewc_plan_mode(const ewc_plan *p)
{
	return p ? p->opts.mode : EWC_MODE_BALANCED;
}

ewc_carbon_basis ewc_plan_carbon_basis(const ewc_plan *p)
{
	return p ? p->opts.carbon_basis : EWC_BASIS_MARKET;
}

double ewc_plan_carbon_price(const ewc_plan *p)
{
	return p ? p->opts.carbon_price : 0;
}

int ewc_plan_proven(const ewc_plan *p)
{
	return p ? p->proven : 0;
}

int ewc_plan_assignment(const ewc_plan *p, size_t i, ewc_assignment *out)
{
	const ewc__world *w;
	const ewc__job *J;
	int o;

	if (!p || !out || i >= p->njobs)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_assignment: no job %zu", i);
	unsigned int version = out->version;
	if (version < 1 || version > EWC_ASSIGNMENT_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_plan_assignment: struct version %u not "
		                   "supported", version);
	w = &p->w;
	J = &p->jobs->v[i];
	memset(out, 0, version == 1 ? offsetof(ewc_assignment, start_time) : sizeof *out);
	out->version = version;
	if (version >= 2) {
		out->start_time = out->end_time = out->baseline_start_time = -1;
		if (p->nslots && p->choice[i] >= 0) {
			int o = p->choice[i];
			out->start_time = p->t0 + 3600.0 * p->opt_start[o];
			out->end_time = out->start_time + 3600.0 * p->opt_cost[o].hours;
			out->wait = p->wait[i];
		}
		if (p->nslots && p->base[i] >= 0)
			out->baseline_start_time = p->t0 + 3600.0 * p->opt_start[p->base[i]];
	}
	out->job = J->id;
	out->kind = J->kind;
	out->origin = J->origin;
	out->gpus = J->gpus;
	out->latency_ms = -1;
	o = p->choice[i];
	if (o >= 0) {
		const ewc__cost *c = &p->opt_cost[o];
		const ewc__region *R = &w->regions[p->opt_region[o]];
		out->region = R->id;
		out->zone = R->zone;
		out->gpu_type = w->gpus[p->opt_type[o]].type;
		out->gpus = c->gpus;
		out->hours = c->hours;
		out->cost_cny = c->cost_cny;
		out->transfer_cny = c->transfer_cny;
		out->energy_kwh = c->energy_kwh;
		out->carbon_kg = c->carbon_kg;
		out->carbon_location_kg = c->carbon_location_kg;
		out->objective = p->opt_obj[o];
		out->latency_ms = c->latency_ms;
	} else {
		out->reason = p->reason[i];
	}
	if (p->base[i] >= 0) {
		out->baseline_region = w->regions[p->opt_region[p->base[i]]].id;
		out->baseline_gpu_type = w->gpus[p->opt_type[p->base[i]]].type;
	}
	return 0;
}

size_t ewc_plan_option_count(const ewc_plan *p, size_t i)
{
	if (!p || i >= p->njobs)
		return 0;
	return p->w.nregions * (size_t)p->jobs->v[i].ntypes;
}

int ewc_plan_option(const ewc_plan *p, size_t i, size_t k, ewc_option *out)
{
	const ewc__world *w;
	const ewc__job *J;
	int r, t;
	ewc__cost c;

	if (!p || !out || i >= p->njobs || k >= ewc_plan_option_count(p, i))
		return ewc__seterr(EWC_EINVAL, "ewc_plan_option: no option %zu of job %zu", k, i);
	/* a version 2 struct ends before carbon_location_kg */
	unsigned int ver = out->version;
	if ((ver < 2 || ver > EWC_OPTION_VERSION) &&
	    check_version(ver, EWC_OPTION_VERSION, "ewc_plan_option"))
		return EWC_EVERSION;
	w = &p->w;
	J = &p->jobs->v[i];
	r = (int)(k / (size_t)J->ntypes);
	t = J->types[k % (size_t)J->ntypes];
	memset(out, 0, ver == 2   ? offsetof(ewc_option, carbon_location_kg)
	               : ver == 3 ? offsetof(ewc_option, gpus)
	                          : sizeof *out);
	out->version = ver;
	out->region = w->regions[r].id;
	out->zone = w->regions[r].zone;
	out->gpu_type = w->gpus[t].type;
	out->has_type = ewc__region_gpu(&w->regions[r], t) >= 0;
	out->free_gpus = region_free(&w->regions[r], t);
	ewc__cost_eval(w, J, r, t, &c);
	out->latency_ms = c.latency_ms;
	if (out->has_type) {
		out->hours = c.hours;
		out->cost_cny = c.cost_cny;
		out->transfer_cny = c.transfer_cny;
		out->energy_kwh = c.energy_kwh;
		out->carbon_kg = c.carbon_kg;
		if (ver >= 3)
			out->carbon_location_kg = c.carbon_location_kg;
		if (ver >= 4)
			out->gpus = c.gpus;
		out->objective = ewc__objective(p->opts.mode, p->opts.carbon_price,
		                                p->opts.carbon_basis, &c);
	}
	out->eligible = ewc__eligible(w, J, r, t, out->free_gpus, out->reason, sizeof out->reason);
	if (out->eligible)
		out->reason[0] = '\0';
	for (size_t o = p->first[i]; o < p->first[i + 1]; o++)
		if (p->opt_region[o] == r && p->opt_type[o] == t) {
			out->chosen = p->choice[i] == (int)o;
			out->baseline = p->base[i] == (int)o;
		}
	return 0;
}

int ewc_plan_policy(const ewc_plan *p, ewc_policy *out)
{
	const ewc__world *w;
	long total = 0, best = 0;
	long *by = NULL;

	if (!p || !out)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_policy: NULL argument");
	if (check_version(out->version, EWC_POLICY_VERSION, "ewc_plan_policy"))
		return EWC_EVERSION;
	w = &p->w;
	by = calloc(w->nregions ? w->nregions : 1, sizeof *by);
	if (!by)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	memset(out, 0, sizeof *out);
	out->version = EWC_POLICY_VERSION;
	out->carbon_budget_kg = p->opts.carbon_budget_kg;
	out->min_green_share = p->opts.min_green_share;
	out->max_region_share = p->opts.max_region_share;
	out->carbon_kg = p->totals.carbon_kg;
	out->green_share = p->totals.energy_kwh > 0 ? p->totals.green_kwh / p->totals.energy_kwh : 0;
	for (size_t j = 0; j < p->njobs; j++)
		if (p->choice[j] >= 0) {
			by[p->opt_region[p->choice[j]]] += p->opt_cost[p->choice[j]].gpus;
			total += p->opt_cost[p->choice[j]].gpus;
		}
	for (size_t r = 0; r < w->nregions; r++)
		if (by[r] > best) {
			best = by[r];
			out->region = w->regions[r].id;
		}
	out->region_share = total > 0 ? (double)best / (double)total : 0;
	free(by);
	return 0;
}

int ewc_plan_compute_shadow_prices(ewc_plan *p, size_t *count)
{
	const ewc__world *w;
	double *pool_dual = NULL, *side_dual = NULL;
	long *used = NULL;
	char err[256] = "";
	size_t npools, n = 0, placed_gpus = 0;
	int rc;

	if (!p || !count)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_compute_shadow_prices: NULL argument");
	if (p->nslots)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_compute_shadow_prices: not for a plan over "
		                   "a horizon");
	if (p->have_shadow) {
		*count = p->nshadow;
		return 0;
	}
	w = &p->w;
	npools = w->nregions * w->ngpus;
	pool_dual = calloc(npools ? npools : 1, sizeof *pool_dual);
	side_dual = calloc(p->nside ? p->nside : 1, sizeof *side_dual);
	used = calloc(npools ? npools : 1, sizeof *used);
	p->shadow = calloc(npools + p->nside + 1, sizeof *p->shadow);
	if (!pool_dual || !side_dual || !used || !p->shadow) {
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		goto done;
	}
	rc = ewc__mip_duals(&p->m, p->choice, pool_dual, side_dual, &p->lp_obj, err, sizeof err);
	if (rc) {
		ewc__seterr(rc, "shadow prices: %s", err);
		goto done;
	}
	for (size_t j = 0; j < p->njobs; j++)
		if (p->choice[j] >= 0) {
			used[p->pool[p->choice[j]]] += p->opt_cost[p->choice[j]].gpus;
			placed_gpus += (size_t)p->opt_cost[p->choice[j]].gpus;
		}
	/* a capacity the plan fills: what one more GPU there saves */
	for (size_t r = 0; r < w->nregions; r++)
		for (size_t t = 0; t < w->ngpus; t++) {
			size_t q = (size_t)pool_of(w, (int)r, (int)t);
			int k = ewc__region_gpu(&w->regions[r], (int)t);
			if (k < 0 || used[q] == 0 || used[q] < p->pool_cap[q])
				continue;
			ewc_shadow *sh = &p->shadow[n++];
			sh->version = EWC_SHADOW_VERSION;
			sh->kind = EWC_SHADOW_CAPACITY;
			sh->region = w->regions[r].id;
			sh->gpu_type = w->gpus[t].type;
			sh->free_gpus = p->pool_cap[q];
			sh->used_gpus = used[q];
			sh->value = fmax(0.0, -pool_dual[q]);
		}
	/* the policies: d(objective)/d(limit), by the envelope theorem on the
	 * LP (the limit is the right-hand side, or sits in the coefficients) */
	for (size_t k = 0; k < p->nside; k++) {
		ewc_shadow *sh = &p->shadow[n];
		double v;
		switch (p->side_kind[k]) {
		case EWC__SIDE_BUDGET:
			sh->kind = EWC_SHADOW_CARBON_BUDGET;
			v = -side_dual[k] * 1000.0;     /* per tonne */
			break;
		case EWC__SIDE_GREEN:
			sh->kind = EWC_SHADOW_GREEN_SHARE;
			v = side_dual[k] * p->totals.energy_kwh / 100.0;  /* per point of share */
			break;
		case EWC__SIDE_SHARE:
			if (side_dual[k] == 0)
				continue; /* only the regions the limit holds back */
			sh->kind = EWC_SHADOW_REGION_SHARE;
			sh->region = w->regions[p->side_region[k]].id;
			v = -side_dual[k] * (double)placed_gpus / 100.0;
			break;
		default:
			continue;
		}
		sh->version = EWC_SHADOW_VERSION;
		sh->value = fmax(0.0, v);
		n++;
	}
	p->nshadow = n;
	p->have_shadow = 1;
	*count = n;
done:
	if (rc) {
		free(p->shadow);
		p->shadow = NULL;
	}
	free(pool_dual);
	free(side_dual);
	free(used);
	return rc;
}

int ewc_plan_shadow(const ewc_plan *p, size_t i, ewc_shadow *out)
{
	if (!p || !out || !p->have_shadow || i >= p->nshadow)
		return ewc__seterr(EWC_EINVAL, "ewc_plan_shadow: no shadow price %zu "
		                   "(call ewc_plan_compute_shadow_prices first)", i);
	if (check_version(out->version, EWC_SHADOW_VERSION, "ewc_plan_shadow"))
		return EWC_EVERSION;
	*out = p->shadow[i];
	return 0;
}

double ewc_plan_lp_objective(const ewc_plan *p)
{
	return p && p->have_shadow ? p->lp_obj : 0;
}

long ewc_plan_gpus_taken(const ewc_plan *p)
{
	long n = 0;

	if (!p)
		return 0;
	for (size_t r = 0; r < p->w.nregions; r++)
		for (size_t k = 0; k < p->w.regions[r].ngpus; k++)
			n += p->w.regions[r].gpus[k].taken;
	return n;
}
