/* when.c - a region's figures over time: time-of-use tariffs and hourly series */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "ewc_int.h"
#include "xml_int.h"

/* "10-12,14-19": hours [10, 12) and [14, 19) of the local day, a range
 * may wrap midnight ("22-2"). Marks mark[h] = kind; 0, or -1 with a
 * message in why. */
static int parse_periods(const char *s, unsigned char *mark, unsigned char kind, char *why,
                         size_t len)
{
	const char *p = s;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		if (end == p || *end != '-' || a < 0 || a > 23) {
			snprintf(why, len, "must be hour ranges like \"10-12,14-19\" (hours 0-24), "
			         "got \"%s\"", s);
			return -1;
		}
		p = end + 1;
		b = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || b < 0 || b > 24 || b == a) {
			snprintf(why, len, "must be hour ranges like \"10-12,14-19\" (hours 0-24), "
			         "got \"%s\"", s);
			return -1;
		}
		for (long h = a; h != b; h = (h + 1) % 24) {
			if (mark[h] && mark[h] != kind) {
				snprintf(why, len, "hour %ld is both peak and valley", h);
				return -1;
			}
			mark[h] = kind;
			if (b == 24 && h == 23)
				break;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* "+08:00", "-05:30", "Z": minutes east of UTC. 0 or -1. */
static int parse_tz(const char *s, int *out)
{
	int h, m, n = 0;

	if (strcmp(s, "Z") == 0) {
		*out = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d%n", &h, &m, &n) != 2 ||
	    s[1 + n] || n != 5 || h > 14 || m > 59)
		return -1;
	*out = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

static ewc__when *when_of(ewc__diag *d, ewc__region *r)
{
	if (!r->when && !(r->when = calloc(1, sizeof *r->when)))
		d->oom = 1;
	return r->when;
}

/* "6-8", "1-5,9-12", "12-2" (wraps the year), "7": a bit per month
 * (bit m-1 for month m). 0, or -1 with a message in why. */
static int parse_months(const char *s, unsigned *out, char *why, size_t len)
{
	const char *p = s;

	*out = 0;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (end == p || a < 1 || a > 12)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < 1 || b > 12)
				goto bad;
		}
		if (*end && *end != ',')
			goto bad;
		for (long m = a;; m = m % 12 + 1) {
			*out |= 1u << (m - 1);
			if (m == b)
				break;
		}
		p = *end ? end + 1 : end;
	}
	if (*out)
		return 0;
bad:
	snprintf(why, len, "must be months like \"6-8\" or \"1-5,9-12\" (1-12), got \"%s\"", s);
	return -1;
}

void ewc__when_load_tariff(ewc__diag *d, const char *file, xmlNodePtr n, ewc__region *r)
{
	static const char *const allowed[] = { "months", "peak", "valley", "peak-ratio",
	                                       "valley-ratio", "tz", NULL };
	ewc__when *w = when_of(d, r);
	ewc__tariff *t;
	char *months, *peak, *valley, *tz, why[200];
	long line = xmlGetLineNo(n);
	unsigned m = 0;

	if (!w)
		return;
	ewc__xml_check_attrs(d, file, n, allowed);
	months = ewc__xml_attr(d, file, n, "months", 0);
	if (months && parse_months(months, &m, why, sizeof why) != 0) {
		ewc__diag_add(d, "%s:%ld: tariff@months: %s", file, line, why);
		xmlFree(months);
		return;
	}
	xmlFree(months);
	for (int i = 0; i < w->ntariff; i++) {
		unsigned both = w->tariff[i].months & m;
		if (!m && !w->tariff[i].months) {
			ewc__diag_add(d, "%s:%ld: <tariff>: region \"%s\" has more than one without "
			              "months (give each season its months=\"...\")", file, line, r->id);
			return;
		}
		if (both) {
			int k = 0;
			while (!(both & (1u << k)))
				k++;
			ewc__diag_add(d, "%s:%ld: tariff@months: month %d of region \"%s\" is in an "
			              "earlier <tariff> too", file, line, k + 1, r->id);
			return;
		}
	}
	if (w->ntariff >= (int)(sizeof w->tariff / sizeof w->tariff[0]))
		return; /* unreachable: twelve months and one default at most */
	t = &w->tariff[w->ntariff++];
	w->has_tariff = 1;
	memset(t, 0, sizeof *t);
	t->months = m;
	t->peak_ratio = t->valley_ratio = 1;
	t->tz_min = 8 * 60; /* China Standard Time */
	peak = ewc__xml_attr(d, file, n, "peak", 0);
	valley = ewc__xml_attr(d, file, n, "valley", 0);
	tz = ewc__xml_attr(d, file, n, "tz", 0);
	if (peak && parse_periods(peak, t->period, EWC__PEAK, why, sizeof why) != 0)
		ewc__diag_add(d, "%s:%ld: tariff@peak: %s", file, line, why);
	if (valley && parse_periods(valley, t->period, EWC__VALLEY, why, sizeof why) != 0)
		ewc__diag_add(d, "%s:%ld: tariff@valley: %s", file, line, why);
	if (tz && parse_tz(tz, &t->tz_min) != 0)
		ewc__diag_add(d, "%s:%ld: tariff@tz: must be an offset like \"+08:00\" or \"Z\", "
		              "got \"%s\"", file, line, tz);
	ewc__xml_attr_num(d, file, n, "peak-ratio", peak != NULL, EWC__R_GT0, &t->peak_ratio);
	ewc__xml_attr_num(d, file, n, "valley-ratio", valley != NULL, EWC__R_GT0,
	                  &t->valley_ratio);
	xmlFree(peak);
	xmlFree(valley);
	xmlFree(tz);
}

/* Space-separated numbers into s, each within range r. 0, or -1 (the
 * problem in d). */
static int load_series(ewc__diag *d, const char *file, xmlNodePtr n, const char *what,
                       ewc__range r, const ewc__when *t, ewc__series *s)
{
	xmlChar *text;
	char *own = ewc__xml_attr(d, file, n, "start", 0);

	/* a series may start at its own time (an import's forecast beside
	 * hand-written series); else at its <hourly>'s */
	s->start = t->start;
	s->step_h = t->step_h;
	if (own && ewc__time_parse_iso(own, &s->start) != 0) {
		ewc__diag_add(d, "%s:%ld: %s@start: must be an ISO 8601 time like "
		              "\"2026-12-01T00:00:00+08:00\", got \"%s\"", file, xmlGetLineNo(n),
		              what, own);
		xmlFree(own);
		return -1;
	}
	xmlFree(own);
	text = xmlNodeGetContent(n);
	const char *p = (const char *)text;
	size_t cap = 0;
	long line = xmlGetLineNo(n);
	int rc = 0;

	if (!text) {
		d->oom = 1;
		return -1;
	}
	while (*p) {
		char buf[64];
		size_t k = 0;
		double v;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			if (k + 1 < sizeof buf)
				buf[k++] = *p++;
			else
				p++;
		buf[k] = '\0';
		if (ewc__parse_double(buf, &v) != 0 || !ewc__in_range(v, r)) {
			ewc__diag_add(d, "%s:%ld: <%s>: value %zu must be a number %s, got \"%s\"", file,
			              line, what, s->n + 1, ewc__range_text(r), buf);
			rc = -1;
			break;
		}
		if (s->n == cap) {
			size_t nc = cap ? 2 * cap : 32;
			double *a = realloc(s->v, nc * sizeof *a);
			if (!a) {
				d->oom = 1;
				rc = -1;
				break;
			}
			s->v = a;
			cap = nc;
		}
		s->v[s->n++] = v;
	}
	if (!rc && !s->n) {
		ewc__diag_add(d, "%s:%ld: <%s>: no values", file, line, what);
		rc = -1;
	}
	xmlFree(text);
	return rc;
}

void ewc__when_load_hourly(ewc__diag *d, const char *file, xmlNodePtr n, ewc__region *r,
                           const ewc__world *w)
{
	static const char *const allowed[] = { "start", "step-h", NULL };
	ewc__when *t = when_of(d, r);
	long line = xmlGetLineNo(n);
	char *start;

	if (!t)
		return;
	if (t->has_hourly) {
		ewc__diag_add(d, "%s:%ld: <hourly>: region \"%s\" has more than one", file, line,
		              r->id);
		return;
	}
	ewc__xml_check_attrs(d, file, n, allowed);
	t->has_hourly = 1;
	t->step_h = 1;
	start = ewc__xml_attr(d, file, n, "start", 1);
	if (start && ewc__time_parse_iso(start, &t->start) != 0)
		ewc__diag_add(d, "%s:%ld: hourly@start: must be an ISO 8601 time like "
		              "\"2026-12-01T00:00:00+08:00\", got \"%s\"", file, line, start);
	xmlFree(start);
	ewc__xml_attr_num(d, file, n, "step-h", 0, EWC__R_GT0, &t->step_h);
	for (xmlNodePtr c = n->children; c; c = c->next) {
		long cl = xmlGetLineNo(c);
		if (c->type != XML_ELEMENT_NODE) {
			ewc__xml_check_content(d, file, c, "hourly");
		} else if (ewc__xml_is_elem(c, "price") || ewc__xml_is_elem(c, "grid-factor") ||
		           ewc__xml_is_elem(c, "green-share")) {
			int green = ewc__xml_is_elem(c, "green-share");
			ewc__series *s = ewc__xml_is_elem(c, "price") ? &t->price
			                 : green ? &t->green : &t->grid;
			ewc__xml_check_attrs(d, file, c, (const char *const[]){ "start", NULL });
			if (s->n)
				ewc__diag_add(d, "%s:%ld: <%s>: given twice in <hourly>", file, cl,
				              (const char *)c->name);
			else
				load_series(d, file, c, (const char *)c->name,
				            green ? EWC__R_01 : EWC__R_GE0, t, s);
		} else if (ewc__xml_is_elem(c, "free")) {
			static const char *const fa[] = { "type", "start", NULL };
			char *type = ewc__xml_attr(d, file, c, "type", 1);
			int ty = type ? ewc__gpu_find(w, type) : -1;
			ewc__xml_check_attrs(d, file, c, fa);
			if (type && ty < 0)
				ewc__diag_add(d, "%s:%ld: free@type: \"%s\" is not in the GPU catalog", file,
				              cl, type);
			for (size_t k = 0; ty >= 0 && k < t->nfree; k++)
				if (t->free_type[k] == ty) {
					ewc__diag_add(d, "%s:%ld: <free type=\"%s\">: given twice", file, cl,
					              type);
					ty = -1;
				}
			if (ty >= 0) {
				ewc__series *a = realloc(t->free, (t->nfree + 1) * sizeof *a);
				int *b = a ? realloc(t->free_type, (t->nfree + 1) * sizeof *b) : NULL;
				if (a)
					t->free = a;
				if (b)
					t->free_type = b;
				if (!a || !b) {
					d->oom = 1;
				} else {
					ewc__series *s = &t->free[t->nfree];
					s->v = NULL;
					s->n = 0;
					t->free_type[t->nfree++] = ty;
					if (load_series(d, file, c, "free", EWC__R_GE0, t, s) == 0)
						for (size_t i = 0; i < s->n; i++)
							if (s->v[i] != floor(s->v[i]) || s->v[i] > EWC__FIGURE_MAX) {
								ewc__diag_add(d, "%s:%ld: <free>: value %zu must be a "
								              "whole number of GPUs, got %g", file, cl,
								              i + 1, s->v[i]);
								break;
							}
				}
			}
			xmlFree(type);
		} else {
			ewc__diag_add(d, "%s:%ld: <%s>: unknown element in <hourly>", file, cl,
			              (const char *)c->name);
		}
	}
}

/* The value of series s at time T (seconds), or dflt before it starts;
 * past its end the last value repeats. */
static double at(const ewc__when *t, const ewc__series *s, double T, double dflt)
{
	double i;

	(void)t;
	if (!s->n || T < s->start)
		return dflt;
	i = floor((T - s->start) / (3600.0 * s->step_h) + 1e-9);
	return s->v[i >= (double)s->n ? s->n - 1 : (size_t)i];
}

/* The tariff that holds at T: the one whose months hold T's local month,
 * else the one without months; NULL for none (a flat price). *hour is
 * T's hour of that tariff's local day. */
static const ewc__tariff *tariff_at(const ewc__when *w, double T, int *hour)
{
	const ewc__tariff *dflt = NULL;

	if (!w || !w->has_tariff || !isfinite(T))
		return NULL;
	for (int i = 0; i < w->ntariff; i++) {
		const ewc__tariff *t = &w->tariff[i];
		double local = T + 60.0 * t->tz_min;
		if (t->months) {
			time_t s = (time_t)floor(local + 1e-6);
			struct tm tm;
			if (!gmtime_r(&s, &tm) || !(t->months & (1u << tm.tm_mon)))
				continue;
		} else if (!dflt) {
			dflt = t;
			continue;
		}
		*hour = (int)(((long)floor(local / 3600.0 + 1e-9) % 24 + 24) % 24);
		return t;
	}
	if (dflt)
		*hour = (int)(((long)floor((T + 60.0 * dflt->tz_min) / 3600.0 + 1e-9) % 24 + 24) % 24);
	return dflt;
}

int ewc__when_period(const ewc__when *w, double T)
{
	int h;
	const ewc__tariff *t = tariff_at(w, T, &h);

	return t ? t->period[h] : EWC__FLAT;
}

void ewc__when_slot(const ewc__region *R, double T, ewc__slot *out)
{
	const ewc__when *w = R->when;
	int h = 0;
	const ewc__tariff *t = tariff_at(w, T, &h);
	int period = t ? t->period[h] : EWC__FLAT;

	out->period = period;
	out->price = R->power_price;
	if (t)
		out->price *= period == EWC__PEAK ? t->peak_ratio
		              : period == EWC__VALLEY ? t->valley_ratio : 1.0;
	out->grid_factor = R->grid_factor;
	out->green_share = R->green_share;
	if (w) {
		/* an hourly price is the slot's whole power price: no tariff on top */
		out->price = at(w, &w->price, T, out->price);
		out->grid_factor = at(w, &w->grid, T, out->grid_factor);
		out->green_share = at(w, &w->green, T, out->green_share);
	}
}

void ewc__when_cost(const ewc__region *R, double T, ewc__cost *c)
{
	double per_h = c->hours > 0 ? c->energy_kwh / c->hours : 0, left = c->hours;

	c->power_cny = c->carbon_kg = c->carbon_location_kg = c->green_kwh = 0;
	for (int k = 0; left > 1e-12; k++, left -= 1) {
		ewc__slot S;
		double e = per_h * fmin(1.0, left);
		ewc__when_slot(R, T + 3600.0 * k, &S);
		c->power_cny += e * S.price;
		c->carbon_location_kg += e * S.grid_factor;
		c->carbon_kg += e * S.grid_factor * (1 - S.green_share);
		c->green_kwh += e * S.green_share;
	}
	c->cost_cny = c->gpu_cny + c->power_cny + c->transfer_cny;
}

long ewc__when_free_at(const ewc__region *R, int k, double T)
{
	const ewc__when *t = R->when;
	const ewc__rgpu *G = &R->gpus[k];
	long v = G->free;

	if (!t)
		return v;
	for (size_t i = 0; i < t->nfree; i++)
		if (t->free_type[i] == G->type) {
			/* a series stands for the figure as given, hour by hour: the
			 * ledger's GPUs, reservations of no interval and the GPUs of
			 * jobs a rebalancing holds count against it in every hour. What
			 * running jobs give back is not added: the series may count
			 * their GPUs free from their end already. */
			double given = (double)G->free + (double)G->taken - (double)G->adj;
			double f = at(t, &t->free[i], T, given) - (double)G->taken + (double)G->adj;
			return f > 0 ? (long)f : 0;
		}
	/* without one: the free count, and what running jobs give back by T */
	for (size_t i = 0; i < t->nrel; i++)
		if (t->rel_type[i] == G->type && t->rel_end[i] <= T)
			v += t->rel_gpus[i];
	return v > 0 ? v : 0;
}

int ewc__when_event(ewc__region *R, int t, double T, long g)
{
	ewc__when *q = R->when;

	if (!q && !(q = R->when = calloc(1, sizeof *q)))
		return EWC_ENOMEM;
	double *a = realloc(q->rel_end, (q->nrel + 1) * sizeof *a);
	if (a)
		q->rel_end = a;
	long *b = a ? realloc(q->rel_gpus, (q->nrel + 1) * sizeof *b) : NULL;
	if (b)
		q->rel_gpus = b;
	int *c = b ? realloc(q->rel_type, (q->nrel + 1) * sizeof *c) : NULL;
	if (c)
		q->rel_type = c;
	if (!c)
		return EWC_ENOMEM;
	q->rel_end[q->nrel] = T;
	q->rel_gpus[q->nrel] = g;
	q->rel_type[q->nrel++] = t;
	return 0;
}
