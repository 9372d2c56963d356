/* import.c - read the region data others publish: Google's CFE CSV, the
 * Carbon Aware SDK's emissions JSON, Electricity Maps responses, SkyPilot's
 * vms.csv, and ewc's own XML for free-GPU inventories */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "ewc_int.h"
#include "xml_int.h"

/* Reasons kept for the report; all are counted. */
#define SKIP_KEEP 100

typedef struct strv {
	char **v;
	size_t n, cap;
} strv;

struct ewc_import {
	strv series;      /* "id\tstart\tv1 v2 ...": hourly grid factors (forecasts) */
	strv series_shown;/* the same, as the report shows it */
	strv settings;
	strv notes;
	strv skips;
	strv unchanged;
	size_t used, skipped;
};

static int strv_push(strv *s, char *str)
{
	if (!str)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			free(str);
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return 0;
}

static void strv_free(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---- a CSV file as rows of fields, each row with its line ------------- */

typedef struct csvrow {
	long line;
	char **f;
	size_t n;
} csvrow;

typedef struct csvtab {
	csvrow *rows;
	size_t n, cap;
	const char *name;
} csvtab;

static void row_free(csvrow *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->f[i]);
	free(r->f);
}

/* Keep each row, taking its fields from the reader. */
static void tab_row(ewc__csv *c, void *user)
{
	csvtab *t = user;
	csvrow r = { c->row_line, NULL, c->n };

	if (c->oversize) {
		ewc__diag_add(c->d, "%s:%ld: a field is longer than %d bytes", c->name, c->row_line,
		              EWC__CSV_FIELD_MAX);
		c->stop = 1;
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		csvrow *v = realloc(t->rows, cap * sizeof *v);
		if (!v) {
			c->d->oom = 1;
			return;
		}
		t->rows = v;
		t->cap = cap;
	}
	r.f = malloc((c->n ? c->n : 1) * sizeof *r.f);
	if (!r.f) {
		c->d->oom = 1;
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		r.f[i] = c->f[i];
		c->f[i] = NULL;
	}
	t->rows[t->n++] = r;
}

static void tab_free(csvtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		row_free(&t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof *t);
}

/* Read a whole CSV whose rows all have the header's field count. 0, or -1
 * with problems in d. */
static int tab_read(csvtab *t, const char *name, const char *data, size_t len, ewc__diag *d)
{
	ewc__csv c;

	memset(t, 0, sizeof *t);
	t->name = name;
	if (memchr(data, '\0', len)) {
		ewc__diag_add(d, "%s: contains a NUL byte: not a text file", name);
		return -1;
	}
	memset(&c, 0, sizeof c);
	c.name = name;
	c.row = tab_row;
	c.user = t;
	c.d = d;
	if (ewc__csv_read(&c, data, len) != 0)
		return -1;
	for (size_t i = 1; i < t->n; i++)
		if (t->rows[i].n != t->rows[0].n) {
			ewc__diag_add(d, "%s:%ld: expected %zu fields as in the header, got %zu", name,
			              t->rows[i].line, t->rows[0].n, t->rows[i].n);
			return -1;
		}
	return 0;
}

/* The header's column called `col`, or -1 (reported when required). A
 * column named twice is always reported. */
static int tab_col(const csvtab *t, const char *col, int required, ewc__diag *d)
{
	int at = -1;

	for (size_t i = 0; i < t->rows[0].n; i++)
		if (strcmp(t->rows[0].f[i], col) == 0) {
			if (at >= 0) {
				ewc__diag_add(d, "%s:%ld: header: column \"%s\" appears twice", t->name,
				              t->rows[0].line, col);
				return -1;
			}
			at = (int)i;
		}
	if (at < 0 && required)
		ewc__diag_add(d, "%s:%ld: header: required column \"%s\" is missing", t->name,
		              t->rows[0].line, col);
	return at;
}

/* ---- the map: external name -> regions ------------------------------- */

enum { GREEN_NONE, GREEN_RENEWABLE, GREEN_FOSSIL_FREE, GREEN_PROCURED };

typedef struct mapent {
	char *ext;
	int region;
	int green;      /* GREEN_*: electricitymaps' green share to take */
	int ext_id;     /* index of the distinct external name */
} mapent;

typedef struct map {
	mapent *e;
	size_t n;
	size_t next;    /* distinct external names */
	int identity;   /* no map: external names are region ids */
} map;

static void map_free(map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].ext);
	free(m->e);
	memset(m, 0, sizeof *m);
}

static int map_read(map *m, const ewc__world *w, const ewc_buffer *buf, ewc__diag *d)
{
	csvtab t;
	const char *name = buf->name ? buf->name : "<map>";
	int ce, cr, cg;

	memset(m, 0, sizeof *m);
	if (tab_read(&t, name, buf->data ? buf->data : "", buf->len, d) != 0) {
		tab_free(&t);
		return -1;
	}
	ce = tab_col(&t, "external", 1, d);
	cr = tab_col(&t, "region", 1, d);
	cg = tab_col(&t, "green-share", 0, d);
	for (size_t i = 0; i < t.rows[0].n; i++) {
		const char *c = t.rows[0].f[i];
		if (strcmp(c, "external") && strcmp(c, "region") && strcmp(c, "green-share"))
			ewc__diag_add(d, "%s:%ld: header: unknown column \"%s\" (known: external, "
			              "region, green-share)", name, t.rows[0].line, c);
	}
	if (d->n == 0) {
		m->e = calloc(t.n, sizeof *m->e);
		if (!m->e)
			d->oom = 1;
	}
	for (size_t i = 1; i < t.n && d->n == 0 && !d->oom && !d->dropped; i++) {
		csvrow *r = &t.rows[i];
		const char *ext = r->f[ce], *reg = r->f[cr], *g = cg >= 0 ? r->f[cg] : "";
		mapent *e = &m->e[m->n];
		int bad = 0;
		if (!*ext) {
			ewc__diag_add(d, "%s:%ld: external: required field is empty", name, r->line);
			bad = 1;
		}
		e->region = ewc__region_find(w, reg);
		if (e->region < 0) {
			ewc__diag_add(d, "%s:%ld: region: no region \"%.100s\" is loaded", name, r->line,
			              reg);
			bad = 1;
		}
		if (!*g)
			e->green = GREEN_NONE;
		else if (strcmp(g, "renewable") == 0 || strcmp(g, "fossil-free") == 0) {
			/* a grid's share: its carbon intensity counts it already */
			ewc__diag_add(d, "%s:%ld: green-share: \"%s\" is the grid's own share, which its "
			              "carbon intensity already counts; green-share takes only a data "
			              "centre's own procurement (procured), else leave it empty", name,
			              r->line, g);
			bad = 1;
		} else if (strcmp(g, "procured") == 0)
			e->green = GREEN_PROCURED;
		else {
			ewc__diag_add(d, "%s:%ld: green-share: must be procured or empty, got \"%.100s\"",
			              name, r->line, g);
			bad = 1;
		}
		for (size_t k = 0; k < m->n && !bad; k++)
			if (strcmp(m->e[k].ext, ext) == 0 && m->e[k].region == e->region) {
				ewc__diag_add(d, "%s:%ld: \"%.100s\" is mapped to %s twice", name, r->line,
				              ext, reg);
				bad = 1;
			}
		if (bad)
			continue;
		e->ext = ewc__strdup(ext);
		if (!e->ext) {
			d->oom = 1;
			break;
		}
		e->ext_id = -1;
		for (size_t k = 0; k < m->n && e->ext_id < 0; k++)
			if (strcmp(m->e[k].ext, ext) == 0)
				e->ext_id = m->e[k].ext_id;
		if (e->ext_id < 0)
			e->ext_id = (int)m->next++;
		m->n++;
	}
	if (d->n == 0 && !d->oom && m->n == 0)
		ewc__diag_add(d, "%s: the map has no rows", name);
	tab_free(&t);
	if (d->n || d->oom) {
		map_free(m);
		return -1;
	}
	return 0;
}

/* The map entries for `ext`: the first index >= from, or -1. */
static long map_next(const map *m, const char *ext, size_t from)
{
	for (size_t i = from; i < m->n; i++)
		if (strcmp(m->e[i].ext, ext) == 0)
			return (long)i;
	return -1;
}

/* ---- what the rows say, per region ----------------------------------- */

typedef struct acc {
	double sum;
	long n;
} acc;

typedef struct reader {
	ewc_import *im;
	const ewc__world *w;
	const ewc_import_options *o;
	map m;
	ewc__diag d;
	const char *name;
	acc *green, *grid;      /* per region */
	double *price;          /* per region x catalog type, NAN when none */
	long *free;             /* per region x catalog type, -1 when none */
	int green_left;         /* a green figure was read and not used */
	/* forecasts: samples (region, time, hours, kg/kWh) bucketed by hour */
	struct fcs { int region; double t, dur_h, v; } *fc;
	size_t nfc, capfc;
	int green_grid;         /* a grid's green percentage went into green-share */
} reader;

static void note(reader *R, const char *msg)
{
	if (strv_push(&R->im->notes, ewc__strdup(msg)) != 0)
		R->d.oom = 1;
}

/* `rows` rows skipped, for the reason given. */
static void skip_n(reader *R, size_t rows, const char *fmt, ...) EWC__PRINTF(3, 4);
static void skip_n(reader *R, size_t rows, const char *fmt, ...)
{
	R->im->skipped += rows;
	if (R->im->skips.n < SKIP_KEEP) {
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		if (strv_push(&R->im->skips, ewc__strdup(msg)) != 0)
			R->d.oom = 1;
	}
}
#define skip(R, ...) skip_n(R, 1, __VA_ARGS__)

static void add(acc *a, double v)
{
	a->sum += v;
	a->n++;
}

/* A number with the row's place in the message when it is not one in
 * [lo, hi]. `pct`: a trailing '%' divides by 100. */
static int number(reader *R, const char *where, const char *col, const char *s, double lo,
                  double hi, int pct, double *out)
{
	char buf[64];
	size_t n = strlen(s);
	double v;
	int ok;

	if (pct && n && n < sizeof buf && s[n - 1] == '%') {
		memcpy(buf, s, n - 1);
		buf[n - 1] = '\0';
		ok = ewc__parse_double(buf, &v) == 0;
		v /= 100;
	} else {
		ok = ewc__parse_double(s, &v) == 0;
	}
	if (!ok || !(v >= lo && v <= hi)) {
		if (isinf(hi))
			ewc__diag_add(&R->d, "%s: %s: must be a number >= %g, got \"%.100s\"", where, col,
			              lo, s);
		else
			ewc__diag_add(&R->d, "%s: %s: must be a number from %g to %g%s, got \"%.100s\"",
			              where, col, lo, hi, pct ? " (or a percentage)" : "", s);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- google-cfe -------------------------------------------------------- */

static void read_cfe(reader *R, const char *data, size_t len)
{
	csvtab t;
	int cr, cc, ci;

	if (tab_read(&t, R->name, data, len, &R->d) != 0)
		goto out;
	cr = tab_col(&t, "Google Cloud Region", 1, &R->d);
	cc = tab_col(&t, "Google CFE", 1, &R->d);
	ci = tab_col(&t, "Grid carbon intensity (gCO2eq / kWh)", 1, &R->d);
	if (R->d.n)
		goto out;
	for (size_t i = 1; i < t.n && !R->d.dropped && !R->d.oom; i++) {
		csvrow *r = &t.rows[i];
		char where[300];
		double cfe = NAN, gi = NAN;
		long e = map_next(&R->m, r->f[cr], 0);
		snprintf(where, sizeof where, "%s:%ld", R->name, r->line);
		if (e < 0) {
			skip(R, "%s: region \"%.100s\" is not in the map", where, r->f[cr]);
			continue;
		}
		if (!*r->f[cc] && !*r->f[ci]) {
			skip(R, "%s: region \"%.100s\" has neither a CFE nor an intensity", where,
			     r->f[cr]);
			continue;
		}
		/* both checked, so that both are reported */
		int bad = *r->f[cc] && number(R, where, "Google CFE", r->f[cc], 0, 1, 1, &cfe) != 0;
		bad |= *r->f[ci] && number(R, where, "Grid carbon intensity (gCO2eq / kWh)", r->f[ci],
		                           0, INFINITY, 0, &gi) != 0;
		if (bad)
			continue;
		for (; e >= 0; e = map_next(&R->m, r->f[cr], (size_t)e + 1)) {
			int reg = R->m.e[e].region;
			/* CFE is the grid's carbon-free share, which the grid
			 * factor counts: green-share only where the map says the
			 * figure is the data centre's own procurement */
			if (!isnan(cfe) && R->m.e[e].green == GREEN_PROCURED)
				add(&R->green[reg], cfe);
			else if (!isnan(cfe))
				R->green_left = 1;
			if (!isnan(gi))
				add(&R->grid[reg], gi / 1000);
		}
		R->im->used++;
	}
out:
	tab_free(&t);
}

/* ---- skypilot ---------------------------------------------------------- */

static void read_skypilot(reader *R, const char *data, size_t len)
{
	csvtab t;
	int ct, cn, cp, cr, ci;
	const char *pcol = R->o->spot ? "SpotPrice" : "Price";

	if (tab_read(&t, R->name, data, len, &R->d) != 0)
		goto out;
	ct = tab_col(&t, "AcceleratorName", 1, &R->d);
	cn = tab_col(&t, "AcceleratorCount", 1, &R->d);
	cp = tab_col(&t, pcol, 1, &R->d);
	cr = tab_col(&t, "Region", 1, &R->d);
	ci = tab_col(&t, "InstanceType", 0, &R->d);
	if (R->d.n)
		goto out;
	for (size_t i = 1; i < t.n && !R->d.dropped && !R->d.oom; i++) {
		csvrow *r = &t.rows[i];
		char where[300];
		const char *inst = ci >= 0 ? r->f[ci] : "";
		double count, price;
		int type, used = 0;
		long e;
		snprintf(where, sizeof where, "%s:%ld", R->name, r->line);
		if (!*r->f[ct]) {
			skip(R, "%s: %.100s has no accelerator", where, inst);
			continue;
		}
		type = ewc__gpu_find(R->w, r->f[ct]);
		if (type < 0) {
			skip(R, "%s: AcceleratorName \"%.100s\" is not a type of the GPU catalog", where,
			     r->f[ct]);
			continue;
		}
		e = map_next(&R->m, r->f[cr], 0);
		if (e < 0) {
			skip(R, "%s: region \"%.100s\" is not in the map", where, r->f[cr]);
			continue;
		}
		if (!*r->f[cp]) {
			skip(R, "%s: %.100s in %.100s has no %s", where, inst, r->f[cr], pcol);
			continue;
		}
		int bad = number(R, where, "AcceleratorCount", r->f[cn], 0, 1024, 0, &count) != 0;
		bad |= number(R, where, pcol, r->f[cp], 0, INFINITY, 0, &price) != 0;
		if (bad)
			continue;
		if (count <= 0) {
			ewc__diag_add(&R->d, "%s: AcceleratorCount: must be > 0, got \"%.100s\"", where,
			              r->f[cn]);
			continue;
		}
		price = price / count * R->o->currency_rate;
		for (; e >= 0; e = map_next(&R->m, r->f[cr], (size_t)e + 1)) {
			int reg = R->m.e[e].region;
			double *slot = &R->price[(size_t)reg * R->w->ngpus + (size_t)type];
			if (ewc__region_gpu(&R->w->regions[reg], type) < 0)
				continue;
			if (isnan(*slot) || price < *slot)
				*slot = price;
			used = 1;
		}
		if (used)
			R->im->used++;
		else
			skip(R, "%s: no region \"%.100s\" maps to has %.100s GPUs", where, r->f[cr],
			     r->f[ct]);
	}
out:
	tab_free(&t);
}

/* ---- JSON formats ------------------------------------------------------ */

static json_t *json_read(reader *R, const char *data, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);

	if (!j)
		ewc__diag_add(&R->d, "%s:%d:%d: JSON: %s", R->name, err.line, err.column, err.text);
	return j;
}

/* casdk: {"Emissions": [{"Location", "Time", "Rating", "Duration"}]} */
static void read_casdk(reader *R, const char *data, size_t len)
{
	json_t *root = json_read(R, data, len), *em;
	double *t = NULL, from, to, newest = -INFINITY;
	acc *per = NULL;
	size_t n, outside = 0;
	char a[32], b[32];

	if (!root)
		return;
	em = json_is_object(root) ? json_object_get(root, "Emissions") : NULL;
	if (!json_is_array(em)) {
		ewc__diag_add(&R->d, "%s: expected an object with an \"Emissions\" array", R->name);
		goto out;
	}
	n = json_array_size(em);
	t = calloc(n ? n : 1, sizeof *t);
	per = calloc(R->m.next ? R->m.next : 1, sizeof *per);
	if (!t || !per) {
		R->d.oom = 1;
		goto out;
	}
	/* check every entry first: the window's end is the newest Time */
	for (size_t i = 0; i < n && !R->d.dropped; i++) {
		json_t *e = json_array_get(em, i), *loc, *tm, *rt, *du;
		char where[300];
		snprintf(where, sizeof where, "%s: Emissions[%zu]", R->name, i);
		if (!json_is_object(e)) {
			ewc__diag_add(&R->d, "%s: must be an object", where);
			continue;
		}
		loc = json_object_get(e, "Location");
		tm = json_object_get(e, "Time");
		rt = json_object_get(e, "Rating");
		du = json_object_get(e, "Duration");
		if (!json_is_string(loc) || !*json_string_value(loc))
			ewc__diag_add(&R->d, "%s.Location: must be a non-empty string", where);
		if (!json_is_string(tm) || ewc__time_parse_iso(json_string_value(tm), &t[i]) != 0)
			ewc__diag_add(&R->d, "%s.Time: must be an ISO 8601 time like "
			              "2026-11-22T06:00:00Z", where);
		else if (t[i] > newest)
			newest = t[i];
		if (!json_is_number(rt) || !(json_number_value(rt) >= 0) ||
		    !isfinite(json_number_value(rt)))
			ewc__diag_add(&R->d, "%s.Rating: must be a number >= 0 (g CO2 per kWh)", where);
		if (du && !json_is_string(du))
			ewc__diag_add(&R->d, "%s.Duration: must be a string like \"00:05:00\"", where);
	}
	if (R->d.n || n == 0) {
		if (n == 0)
			ewc__diag_add(&R->d, "%s: \"Emissions\" is empty", R->name);
		goto out;
	}
	if (R->o->window_from > 0 && R->o->window_to > 0) {
		from = R->o->window_from;
		to = R->o->window_to;
	} else {
		to = newest + 1e-3; /* the newest sample is inside */
		from = newest - (R->o->window_h > 0 ? R->o->window_h : 24) * 3600;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(em, i);
		const char *loc = json_string_value(json_object_get(e, "Location"));
		long m = map_next(&R->m, loc, 0);
		if (m < 0) {
			skip(R, "%s: Emissions[%zu]: location \"%.100s\" is not in the map", R->name, i,
			     loc);
			continue;
		}
		if (!(t[i] >= from && t[i] < to)) {
			outside++;
			continue;
		}
		add(&per[R->m.e[m].ext_id], json_number_value(json_object_get(e, "Rating")) / 1000);
		R->im->used++;
	}
	if (outside) {
		ewc_time_format(from, a, sizeof a);
		ewc_time_format(to, b, sizeof b);
		skip_n(R, outside, "%s: %zu %s outside the window %s to %s", R->name, outside,
		     outside == 1 ? "entry is" : "entries are", a, b);
	}
	/* each location's mean, then the mean of the locations feeding a region */
	for (size_t k = 0; k < R->m.n; k++) {
		const acc *p = &per[R->m.e[k].ext_id];
		if (p->n)
			add(&R->grid[R->m.e[k].region], p->sum / (double)p->n);
	}
out:
	free(t);
	free(per);
	json_decref(root);
}

/* One Electricity Maps response: carbon-intensity/latest or
 * power-breakdown/latest. */
static void read_em_one(reader *R, json_t *e, const char *where)
{
	json_t *zone, *ci, *ren, *ff;
	const char *z;
	long m;
	int used = 0, breakdown;

	if (!json_is_object(e)) {
		ewc__diag_add(&R->d, "%s: must be an object", where);
		return;
	}
	zone = json_object_get(e, "zone");
	if (!json_is_string(zone) || !*json_string_value(zone)) {
		ewc__diag_add(&R->d, "%s.zone: must be a non-empty string", where);
		return;
	}
	z = json_string_value(zone);
	ci = json_object_get(e, "carbonIntensity");
	ren = json_object_get(e, "renewablePercentage");
	ff = json_object_get(e, "fossilFreePercentage");
	breakdown = ren || ff;
	if (!ci && !breakdown) {
		ewc__diag_add(&R->d, "%s: neither carbonIntensity nor renewablePercentage nor "
		              "fossilFreePercentage: not a carbon-intensity or power-breakdown "
		              "response", where);
		return;
	}
	if ((ci && !json_is_null(ci) &&
	     (!json_is_number(ci) || !(json_number_value(ci) >= 0) ||
	      !isfinite(json_number_value(ci)))))
		ewc__diag_add(&R->d, "%s.carbonIntensity: must be a number >= 0 (g CO2eq per kWh)",
		              where);
	for (int k = 0; k < 2; k++) {
		json_t *p = k ? ff : ren;
		if (p && !json_is_null(p) &&
		    (!json_is_number(p) || !(json_number_value(p) >= 0 && json_number_value(p) <= 100)))
			ewc__diag_add(&R->d, "%s.%s: must be a number from 0 to 100", where,
			              k ? "fossilFreePercentage" : "renewablePercentage");
	}
	if (R->d.n)
		return;
	m = map_next(&R->m, z, 0);
	if (m < 0) {
		skip(R, "%s: zone \"%.100s\" is not in the map", where, z);
		return;
	}
	for (; m >= 0; m = map_next(&R->m, z, (size_t)m + 1)) {
		const mapent *me = &R->m.e[m];
		json_t *p = me->green == GREEN_RENEWABLE ? ren
		            : me->green == GREEN_FOSSIL_FREE ? ff : NULL;
		if (json_is_number(ci)) {
			add(&R->grid[me->region], json_number_value(ci) / 1000);
			used = 1;
		}
		if (json_is_number(p)) {
			add(&R->green[me->region], json_number_value(p) / 100);
			R->green_grid = 1;
			used = 1;
		}
	}
	if (used)
		R->im->used++;
	else if (ci)
		skip(R, "%s: zone \"%.100s\" has no carbonIntensity", where, z);
	else
		skip(R, "%s: zone \"%.100s\" has no carbonIntensity (its renewable and fossil-free "
		     "percentages are the grid's, in its carbon intensity already: not used)", where, z);
}

static void read_em(reader *R, const char *data, size_t len)
{
	json_t *root = json_read(R, data, len);
	char where[300];

	if (!root)
		return;
	if (json_is_array(root)) {
		if (json_array_size(root) == 0)
			ewc__diag_add(&R->d, "%s: the array is empty", R->name);
		for (size_t i = 0; i < json_array_size(root) && !R->d.dropped; i++) {
			snprintf(where, sizeof where, "%s: [%zu]", R->name, i);
			read_em_one(R, json_array_get(root, i), where);
		}
	} else {
		snprintf(where, sizeof where, "%s", R->name);
		read_em_one(R, root, where);
	}
	json_decref(root);
}

/* ---- ewc's own XML: free GPUs ------------------------------------------ */

static void read_ewc(reader *R, const char *data, size_t len)
{
	xmlDocPtr doc = ewc__xml_parse(R->name, data, len, &R->d);
	xmlNodePtr root;

	if (!doc)
		return;
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "regions") != 0) {
		ewc__diag_add(&R->d, "%s: the root element must be <regions>", R->name);
		goto out;
	}
	for (xmlNodePtr rn = root->children; rn && !R->d.dropped; rn = rn->next) {
		char *id;
		if (rn->type != XML_ELEMENT_NODE || strcmp((const char *)rn->name, "region") != 0)
			continue;
		id = (char *)xmlGetProp(rn, (const xmlChar *)"id");
		if (!id) {
			ewc__diag_add(&R->d, "%s:%ld: region@id: required attribute is missing",
			              R->name, xmlGetLineNo(rn));
			continue;
		}
		for (xmlNodePtr g = rn->children; g && !R->d.dropped; g = g->next) {
			char *type, *fr;
			long nfree, m;
			int t, used = 0;
			char where[300];
			if (g->type != XML_ELEMENT_NODE || strcmp((const char *)g->name, "gpu") != 0)
				continue;
			snprintf(where, sizeof where, "%s:%ld", R->name, xmlGetLineNo(g));
			type = (char *)xmlGetProp(g, (const xmlChar *)"type");
			fr = (char *)xmlGetProp(g, (const xmlChar *)"free");
			if (!type || !fr) {
				ewc__diag_add(&R->d, "%s: gpu@%s: required attribute is missing", where,
				              type ? "free" : "type");
			} else if (ewc__parse_long(fr, &nfree) != 0 || nfree < 0 || nfree > 1000000000L) {
				ewc__diag_add(&R->d, "%s: gpu@free: must be a whole number from 0 to 10^9, "
				              "got \"%.100s\"", where, fr);
			} else if ((t = ewc__gpu_find(R->w, type)) < 0) {
				skip(R, "%s: \"%.100s\" is not a type of the GPU catalog", where, type);
			} else if (R->m.identity) {
				int reg = ewc__region_find(R->w, id);
				if (reg < 0)
					skip(R, "%s: no region \"%.100s\" is loaded", where, id);
				else if (ewc__region_gpu(&R->w->regions[reg], t) < 0)
					skip(R, "%s: region %.100s has no %.100s GPUs", where, id, type);
				else {
					R->free[(size_t)reg * R->w->ngpus + (size_t)t] = nfree;
					R->im->used++;
				}
			} else if ((m = map_next(&R->m, id, 0)) < 0) {
				skip(R, "%s: region \"%.100s\" is not in the map", where, id);
			} else {
				for (; m >= 0; m = map_next(&R->m, id, (size_t)m + 1)) {
					int reg = R->m.e[m].region;
					if (ewc__region_gpu(&R->w->regions[reg], t) < 0)
						continue;
					R->free[(size_t)reg * R->w->ngpus + (size_t)t] = nfree;
					used = 1;
				}
				if (used)
					R->im->used++;
				else
					skip(R, "%s: no region \"%.100s\" maps to has %.100s GPUs", where, id,
					     type);
			}
			xmlFree(type);
			xmlFree(fr);
		}
		xmlFree(id);
	}
out:
	xmlFreeDoc(doc);
}

/* ---- forecasts: hourly grid factors ----------------------------------- */

/* At most this many hours of a forecast are kept (31 days). */
#define FORECAST_MAX_H 744

static void fc_add(reader *R, const char *ext, double t, double dur_h, double v,
                   const char *where)
{
	long m = map_next(&R->m, ext, 0);

	if (m < 0) {
		skip(R, "%s: \"%.100s\" is not in the map", where, ext);
		return;
	}
	for (; m >= 0; m = map_next(&R->m, ext, (size_t)m + 1)) {
		if (R->nfc == R->capfc) {
			size_t nc = R->capfc ? 2 * R->capfc : 256;
			struct fcs *a = realloc(R->fc, nc * sizeof *a);
			if (!a) {
				R->d.oom = 1;
				return;
			}
			R->fc = a;
			R->capfc = nc;
		}
		R->fc[R->nfc++] = (struct fcs){ R->m.e[m].region, t, dur_h, v };
	}
	R->im->used++;
}

/* A forecast entry's time, field `field` of entry `where`: 0, or -1 with
 * a diagnostic. */
static int fc_time(reader *R, const json_t *v, const char *where, const char *field,
                   double *t)
{
	if (json_is_string(v) && ewc__time_parse_iso(json_string_value(v), t) == 0)
		return 0;
	ewc__diag_add(&R->d, "%s.%s: must be an ISO 8601 time", where, field);
	return -1;
}

/* A forecast entry's carbon intensity, in `unit` per kWh (0 to 100000): 0,
 * or -1 with a diagnostic. */
static int fc_intensity(reader *R, const json_t *v, const char *where, const char *field,
                        const char *unit, double *out)
{
	double x;

	if (json_is_number(v) && (x = json_number_value(v)) >= 0 && isfinite(x) && x <= 1e5) {
		*out = x;
		return 0;
	}
	ewc__diag_add(&R->d, "%s.%s: must be a number from 0 to 100000 (%s per kWh)", where,
	              field, unit);
	return -1;
}

/* The Carbon Aware SDK's forecasts (emissions/forecasts/current): an
 * array of {"location", "forecastData": [{"timestamp", "duration"
 * (minutes), "value" (g CO2/kWh)}]}. */
static void read_casdk_forecast(reader *R, const char *data, size_t len)
{
	json_t *root = json_read(R, data, len);

	if (!root)
		return;
	if (json_is_object(root)) {
		json_t *a = json_array();
		if (!a || json_array_append(a, root) != 0) {
			json_decref(a);
			R->d.oom = 1;
			json_decref(root);
			return;
		}
		json_decref(root);
		root = a;
	}
	if (!json_is_array(root) || json_array_size(root) == 0) {
		ewc__diag_add(&R->d, "%s: expected an array of forecasts, each with \"location\" "
		              "and \"forecastData\"", R->name);
		json_decref(root);
		return;
	}
	for (size_t i = 0; i < json_array_size(root) && !R->d.dropped; i++) {
		json_t *f = json_array_get(root, i), *loc, *fd;
		char where[300];
		snprintf(where, sizeof where, "%s: [%zu]", R->name, i);
		loc = json_is_object(f) ? json_object_get(f, "location") : NULL;
		fd = json_is_object(f) ? json_object_get(f, "forecastData") : NULL;
		if (!json_is_string(loc) || !*json_string_value(loc) || !json_is_array(fd)) {
			ewc__diag_add(&R->d, "%s: must have \"location\" (a string) and \"forecastData\" "
			              "(an array)", where);
			continue;
		}
		for (size_t k = 0; k < json_array_size(fd); k++) {
			json_t *e = json_array_get(fd, k), *ts, *du, *va;
			double t, v, dur = 60;
			char w2[340];
			snprintf(w2, sizeof w2, "%s.forecastData[%zu]", where, k);
			ts = json_object_get(e, "timestamp");
			du = json_object_get(e, "duration");
			va = json_object_get(e, "value");
			if (fc_time(R, ts, w2, "timestamp", &t) != 0 ||
			    fc_intensity(R, va, w2, "value", "g CO2", &v) != 0)
				continue;
			if (du && (!json_is_number(du) || !((dur = json_number_value(du)) > 0) ||
			           dur > 24 * 60)) {
				ewc__diag_add(&R->d, "%s.duration: must be minutes, more than 0 and at most "
				              "a day", w2);
				continue;
			}
			fc_add(R, json_string_value(loc), t, dur / 60.0, v / 1000.0, w2);
		}
	}
	json_decref(root);
}

/* Electricity Maps' carbon-intensity/forecast: {"zone", "forecast":
 * [{"carbonIntensity", "datetime"}]}, hourly; one or an array of them. */
static void read_em_forecast(reader *R, const char *data, size_t len)
{
	json_t *root = json_read(R, data, len);
	size_t n;

	if (!root)
		return;
	n = json_is_array(root) ? json_array_size(root) : 1;
	for (size_t i = 0; i < n && !R->d.dropped; i++) {
		json_t *z = json_is_array(root) ? json_array_get(root, i) : root, *zone, *fc;
		char where[300];
		snprintf(where, sizeof where, json_is_array(root) ? "%s: [%zu]" : "%s", R->name, i);
		zone = json_is_object(z) ? json_object_get(z, "zone") : NULL;
		fc = json_is_object(z) ? json_object_get(z, "forecast") : NULL;
		if (!json_is_string(zone) || !*json_string_value(zone) || !json_is_array(fc)) {
			ewc__diag_add(&R->d, "%s: must have \"zone\" (a string) and \"forecast\" (an "
			              "array): a carbon-intensity/forecast response", where);
			continue;
		}
		for (size_t k = 0; k < json_array_size(fc); k++) {
			json_t *e = json_array_get(fc, k), *ci, *dt;
			double t, v;
			char w2[340];
			snprintf(w2, sizeof w2, "%s.forecast[%zu]", where, k);
			ci = json_object_get(e, "carbonIntensity");
			dt = json_object_get(e, "datetime");
			if (fc_time(R, dt, w2, "datetime", &t) != 0 ||
			    fc_intensity(R, ci, w2, "carbonIntensity", "g CO2eq", &v) != 0)
				continue;
			fc_add(R, json_string_value(zone), t, 1.0, v / 1000.0, w2);
		}
	}
	json_decref(root);
}

/* Each region's samples into hourly means from the first whole hour, a
 * gap filled with the hour before; into im->series. */
static void fc_series(reader *R)
{
	double t0 = HUGE_VAL;
	size_t beyond = 0;

	if (!R->nfc)
		return;
	for (size_t i = 0; i < R->nfc; i++)
		t0 = fmin(t0, R->fc[i].t);
	t0 = floor(t0 / 3600.0) * 3600.0;
	for (size_t r = 0; r < R->w->nregions; r++) {
		acc h[FORECAST_MAX_H];
		size_t last = 0, any = 0, used = 0;
		char iso[40];
		memset(h, 0, sizeof h);
		for (size_t i = 0; i < R->nfc; i++) {
			const struct fcs *f = &R->fc[i];
			if (f->region != (int)r)
				continue;
			/* a sample covers the hours it lasts */
			for (double a = f->t; a < f->t + 3600.0 * f->dur_h - 1e-6; a += 3600.0) {
				size_t k = (size_t)floor((a - t0) / 3600.0 + 1e-9);
				if (k >= FORECAST_MAX_H) {
					beyond++;
					break;
				}
				add(&h[k], f->v);
				if (k + 1 > last)
					last = k + 1;
				any = 1;
			}
		}
		if (!any)
			continue;
		{
			size_t cap = 64 + last * 16;
			char *txt = malloc(cap), *show;
			double prev = NAN, lo = HUGE_VAL, hi = -HUGE_VAL;
			if (!txt) {
				R->d.oom = 1;
				return;
			}
			ewc_time_format(t0, iso, sizeof iso);
			used = (size_t)snprintf(txt, cap, "%s\t%s\t", R->w->regions[r].id, iso);
			for (size_t k = 0; k < last; k++) {
				double v = h[k].n ? h[k].sum / (double)h[k].n : prev;
				if (isnan(v)) /* before the region's first sample: its next */
					for (size_t q = k; q < last && isnan(v); q++)
						if (h[q].n)
							v = h[q].sum / (double)h[q].n;
				prev = v;
				lo = fmin(lo, v);
				hi = fmax(hi, v);
				used += (size_t)snprintf(txt + used, cap - used, "%s%.6g", k ? " " : "", v);
			}
			show = ewc__asprintf("%s.hourly.grid-factor: %zu hours from %s, %.4g to %.4g",
			                     R->w->regions[r].id, last, iso, lo, hi);
			if (strv_push(&R->im->series, txt) != 0 ||
			    strv_push(&R->im->series_shown, show) != 0)
				R->d.oom = 1;
		}
	}
	if (beyond)
		skip_n(R, beyond, "%s: %zu samples past the first %d hours of the forecast", R->name,
		       beyond, FORECAST_MAX_H);
}

/* ---- the settings ------------------------------------------------------- */

static void settings(reader *R)
{
	ewc_import *im = R->im;

	for (size_t r = 0; r < R->w->nregions; r++) {
		const char *id = R->w->regions[r].id;
		size_t before = im->settings.n;
		int bad = 0;
		if (R->green[r].n)
			bad |= strv_push(&im->settings, ewc__asprintf("%s.power.green-share=%.12g", id,
			                 R->green[r].sum / (double)R->green[r].n));
		if (R->grid[r].n)
			bad |= strv_push(&im->settings, ewc__asprintf("%s.power.grid-factor=%.12g", id,
			                 R->grid[r].sum / (double)R->grid[r].n));
		for (size_t t = 0; t < R->w->ngpus; t++) {
			size_t k = r * R->w->ngpus + t;
			if (!isnan(R->price[k]))
				bad |= strv_push(&im->settings, ewc__asprintf("%s.%s.price=%.12g", id,
				                 R->w->gpus[t].type, R->price[k]));
			if (R->free[k] >= 0)
				bad |= strv_push(&im->settings, ewc__asprintf("%s.%s.free=%ld", id,
				                 R->w->gpus[t].type, R->free[k]));
		}
		int has_series = 0;
		for (size_t k = 0; k < im->series.n && !has_series; k++)
			has_series = strncmp(im->series.v[k], id, strlen(id)) == 0 &&
			             im->series.v[k][strlen(id)] == '\t';
		if (im->settings.n == before && !has_series)
			bad |= strv_push(&im->unchanged, ewc__strdup(id));
		if (bad)
			R->d.oom = 1;
	}
}

int ewc__import_forecast(const char *f)
{
	return f && (strcmp(f, "casdk-forecast") == 0 || strcmp(f, "electricitymaps-forecast") == 0);
}

int ewc_import_format_known(const char *f)
{
	return f && (strcmp(f, "google-cfe") == 0 || strcmp(f, "casdk") == 0 ||
	             strcmp(f, "electricitymaps") == 0 || strcmp(f, "skypilot") == 0 ||
	             strcmp(f, "ewc") == 0 || ewc__import_forecast(f));
}

int ewc_import_read(ewc_import **out, ewc_ctx *ctx, const ewc_buffer *data,
                    const ewc_buffer *mapbuf, const ewc_import_options *opts)
{
	reader R;
	size_t cells;
	int rc;

	if (!out || !ctx || !data || (!data->data && data->len) || !opts)
		return ewc__seterr(EWC_EINVAL, "ewc_import_read: NULL argument");
	*out = NULL;
	if (opts->version != EWC_IMPORT_OPTIONS_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_import_read: options version %u is not %d",
		                   opts->version, EWC_IMPORT_OPTIONS_VERSION);
	if (!ewc_import_format_known(opts->format))
		return ewc__seterr(EWC_EINVAL, "format \"%s\" is not known (use google-cfe, casdk, "
		                   "electricitymaps, skypilot, ewc, casdk-forecast or "
		                   "electricitymaps-forecast)",
		                   opts->format ? opts->format : "");
	if (!(opts->currency_rate > 0) || !isfinite(opts->currency_rate))
		return ewc__seterr(EWC_EINVAL, "currency rate must be a number > 0");
	if (!(opts->window_h >= 0) || !isfinite(opts->window_h) ||
	    ((opts->window_from > 0 || opts->window_to > 0) &&
	     !(opts->window_from < opts->window_to)))
		return ewc__seterr(EWC_EINVAL, "window must be hours > 0, or a start before its end");
	if (!mapbuf && strcmp(opts->format, "ewc") != 0)
		return ewc__seterr(EWC_EINVAL, "format %s needs a map of its names to regions",
		                   opts->format);

	memset(&R, 0, sizeof R);
	R.o = opts;
	R.name = data->name ? data->name : "<data>";
	R.im = calloc(1, sizeof *R.im);
	if (!R.im)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	ewc__lock(ctx);
	R.w = &ctx->w;
	if (R.w->nregions == 0) {
		ewc__unlock(ctx);
		ewc_import_free(R.im);
		return ewc__seterr(EWC_EINVAL, "no regions are loaded to import into");
	}
	cells = R.w->nregions * (R.w->ngpus ? R.w->ngpus : 1);
	R.green = calloc(R.w->nregions, sizeof *R.green);
	R.grid = calloc(R.w->nregions, sizeof *R.grid);
	R.price = malloc(cells * sizeof *R.price);
	R.free = malloc(cells * sizeof *R.free);
	if (!R.green || !R.grid || !R.price || !R.free) {
		R.d.oom = 1;
	} else {
		for (size_t i = 0; i < cells; i++) {
			R.price[i] = NAN;
			R.free[i] = -1;
		}
		if (mapbuf)
			map_read(&R.m, R.w, mapbuf, &R.d);
		else
			R.m.identity = 1;
	}
	if (R.d.n == 0 && !R.d.oom) {
		const char *f = opts->format, *p = data->data ? data->data : "";
		if (strcmp(f, "google-cfe") == 0)
			read_cfe(&R, p, data->len);
		else if (strcmp(f, "casdk") == 0)
			read_casdk(&R, p, data->len);
		else if (strcmp(f, "electricitymaps") == 0)
			read_em(&R, p, data->len);
		else if (strcmp(f, "skypilot") == 0)
			read_skypilot(&R, p, data->len);
		else if (strcmp(f, "casdk-forecast") == 0)
			read_casdk_forecast(&R, p, data->len);
		else if (strcmp(f, "electricitymaps-forecast") == 0)
			read_em_forecast(&R, p, data->len);
		else
			read_ewc(&R, p, data->len);
		if (R.d.n == 0 && !R.d.oom)
			fc_series(&R);
		if (R.d.n == 0 && !R.d.oom && strcmp(f, "electricitymaps-forecast") == 0 &&
		    R.im->series.n)
			note(&R, "Electricity Maps' carbon intensity is life-cycle by default: above the "
			         "MEE's operational grid factors; ask for emissionFactorType=direct to "
			         "compare like with like");
	}
	if (R.d.n == 0 && !R.d.oom && R.green_left)
		note(&R, "Google CFE not taken as green-share: it is the grid's carbon-free share, "
		         "which grid-factor already counts (map a region with green-share "
		         "\"procured\" where the figure is the data centre's own contracted supply)");
	if (R.d.n == 0 && !R.d.oom && R.green_grid)
		note(&R, "green-share taken from the zone's grid percentage, as the map asks: "
		         "grid-factor counts the same renewables, so market-based carbon counts "
		         "them twice unless the data centre has contracted that power");
	if (R.d.n == 0 && !R.d.oom)
		settings(&R);
	ewc__unlock(ctx);
	map_free(&R.m);
	free(R.green);
	free(R.grid);
	free(R.price);
	free(R.free);
	free(R.fc);
	if (R.d.oom && R.d.n == 0) {
		ewc__diag_free(&R.d);
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	} else {
		rc = ewc__diag_finish(&R.d, EWC_EINPUT);
	}
	if (rc) {
		ewc_import_free(R.im);
		return rc;
	}
	*out = R.im;
	return 0;
}

void ewc_import_free(ewc_import *im)
{
	if (!im)
		return;
	strv_free(&im->settings);
	strv_free(&im->series);
	strv_free(&im->series_shown);
	strv_free(&im->skips);
	strv_free(&im->notes);
	strv_free(&im->unchanged);
	free(im);
}

const char *ewc_import_setting(const ewc_import *im, size_t i)
{
	return im && i < im->settings.n ? im->settings.v[i] : NULL;
}

const char *ewc_import_series(const ewc_import *im, size_t i)
{
	return im && i < im->series_shown.n ? im->series_shown.v[i] : NULL;
}

const char *ewc_import_note(const ewc_import *im, size_t i)
{
	return im && i < im->notes.n ? im->notes.v[i] : NULL;
}

const char *ewc_import_skipped(const ewc_import *im, size_t i)
{
	return im && i < im->skips.n ? im->skips.v[i] : NULL;
}

const char *ewc_import_unchanged(const ewc_import *im, size_t i)
{
	return im && i < im->unchanged.n ? im->unchanged.v[i] : NULL;
}

void ewc_import_rows(const ewc_import *im, size_t *used, size_t *skipped)
{
	if (used)
		*used = im ? im->used : 0;
	if (skipped)
		*skipped = im ? im->skipped : 0;
}

/* Series entry k: its region (in w), start and values (malloc'd). 0 or -1. */
static int series_parse(const char *e, const ewc__world *w, int *region, double *start,
                        ewc__series *out)
{
	const char *a = strchr(e, '\t'), *b = a ? strchr(a + 1, '\t') : NULL;
	char id[256], iso[64];
	size_t cap = 0;

	memset(out, 0, sizeof *out);
	if (!a || !b || (size_t)(a - e) >= sizeof id || (size_t)(b - a - 1) >= sizeof iso)
		return -1;
	memcpy(id, e, (size_t)(a - e));
	id[a - e] = '\0';
	memcpy(iso, a + 1, (size_t)(b - a - 1));
	iso[b - a - 1] = '\0';
	if ((*region = ewc__region_find(w, id)) < 0 || ewc__time_parse_iso(iso, start) != 0)
		return -1;
	for (const char *p = b + 1; *p;) {
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return -1;
		if (out->n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			double *q = realloc(out->v, nc * sizeof *q);
			if (!q) {
				free(out->v);
				out->v = NULL;
				return -1;
			}
			out->v = q;
			cap = nc;
		}
		out->v[out->n++] = v;
		p = *end ? end + 1 : end;
	}
	out->start = *start;
	out->step_h = 1;
	return 0;
}

int ewc__series_apply(ewc_ctx *ctx, const char *const *settings, size_t nset,
                      const char *const *series, size_t n, int lenient, size_t *skipped)
{
	ewc__series *ser;
	int *reg, rc = 0;
	double st;

	if (skipped)
		*skipped = 0;
	if (!n)
		return ewc__ctx_set_all(ctx, settings, nset, lenient, skipped);
	/* every series parsed and every region's when made before anything
	 * changes; lenient: a region not loaded is skipped and counted */
	ser = calloc(n, sizeof *ser);
	reg = calloc(n, sizeof *reg);
	if (!ser || !reg) {
		free(ser);
		free(reg);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	ewc__lock(ctx);
	for (size_t k = 0; k < n && !rc; k++) {
		if (series_parse(series[k], &ctx->w, &reg[k], &st, &ser[k]) != 0) {
			reg[k] = -1;
			if (!lenient)
				rc = ewc__seterr(EWC_EINVAL, "an hourly series names a region not loaded, "
				                 "or is damaged");
		} else if (!ctx->w.regions[reg[k]].when &&
		           !(ctx->w.regions[reg[k]].when = calloc(1, sizeof(ewc__when)))) {
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		}
	}
	ewc__unlock(ctx);
	if (!rc)
		rc = ewc__ctx_set_all(ctx, settings, nset, lenient, skipped);
	if (!rc) {
		ewc__lock(ctx);
		for (size_t k = 0; k < n; k++) {
			ewc__when *t;
			if (reg[k] < 0) {
				if (skipped)
					++*skipped;
				continue;
			}
			t = ctx->w.regions[reg[k]].when;
			free(t->grid.v);
			t->grid = ser[k];
			ser[k].v = NULL;
			t->has_hourly = 1;
		}
		ewc__unlock(ctx);
	}
	for (size_t k = 0; k < n; k++)
		free(ser[k].v);
	free(ser);
	free(reg);
	return rc;
}

const char *ewc__import_series_raw(const ewc_import *im, size_t i)
{
	return im && i < im->series.n ? im->series.v[i] : NULL;
}

int ewc_import_apply(ewc_ctx *ctx, const ewc_import *im)
{
	if (!ctx || !im)
		return ewc__seterr(EWC_EINVAL, "ewc_import_apply: NULL argument");
	return ewc__series_apply(ctx, (const char *const *)im->settings.v, im->settings.n,
	                         (const char *const *)im->series.v, im->series.n, 0, NULL);
}

/* ---- writing the descriptors back -------------------------------------- */

/* A comment's text: "--" may not appear in one. */
static char *comment_text(const char *fmt, ...) EWC__PRINTF(1, 2);
static char *comment_text(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (char *p = buf; (p = strstr(p, "--")) != NULL;)
		p[1] = ' ';
	n = strlen(buf);
	if (n && buf[n - 1] == '-')
		buf[n - 1] = ' ';
	return ewc__strdup(buf);
}

static xmlNodePtr child_elem(xmlNodePtr n, const char *name, const char *type)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		xmlChar *t;
		int ok;
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
			continue;
		if (!type)
			return c;
		t = xmlGetProp(c, (const xmlChar *)"type");
		ok = t && strcmp((const char *)t, type) == 0;
		xmlFree(t);
		if (ok)
			return c;
	}
	return NULL;
}

/* Write the settings for region element `rn` into it. -1 when out of
 * memory or a setting names an element the file lacks. */
/* The series of region rn: its <hourly> (made when missing) gets a
 * <grid-factor start="..."> in place of any it had. 0 or -1. */
static int rewrite_series(const ewc_import *im, xmlNodePtr rn, const char *id, const char *note)
{
	size_t idlen = strlen(id);

	for (size_t k = 0; k < im->series.n; k++) {
		const char *e = im->series.v[k], *a, *b;
		char iso[64], *text;
		xmlNodePtr h = NULL, g, c, ws;
		if (strncmp(e, id, idlen) != 0 || e[idlen] != '\t')
			continue;
		a = e + idlen;
		b = strchr(a + 1, '\t');
		if (!b || (size_t)(b - a - 1) >= sizeof iso)
			return -1;
		memcpy(iso, a + 1, (size_t)(b - a - 1));
		iso[b - a - 1] = '\0';
		for (xmlNodePtr n = rn->children; n && !h; n = n->next)
			if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "hourly") == 0)
				h = n;
		if (!h) {
			if (!xmlAddChild(rn, xmlNewDocText(rn->doc, (const xmlChar *)"  ")) ||
			    !(h = xmlNewChild(rn, NULL, (const xmlChar *)"hourly", NULL)) ||
			    !xmlSetProp(h, (const xmlChar *)"start", (const xmlChar *)iso) ||
			    !xmlAddChild(rn, xmlNewDocText(rn->doc, (const xmlChar *)"\n  ")))
				return -1;
		}
		for (xmlNodePtr n = h->children, next; n; n = next) {
			next = n->next;
			if (n->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)n->name, "grid-factor") == 0) {
				xmlUnlinkNode(n);
				xmlFreeNode(n);
			}
		}
		text = comment_text(" grid-factor by hour%s%s ", note ? ": " : "", note ? note : "");
		if (!text)
			return -1;
		c = xmlNewDocComment(rn->doc, (const xmlChar *)text);
		free(text);
		ws = xmlNewDocText(rn->doc, (const xmlChar *)"\n      ");
		if (!c || !ws || !xmlAddChild(h, ws) || !xmlAddChild(h, c) ||
		    !xmlAddChild(h, xmlNewDocText(rn->doc, (const xmlChar *)"\n      ")))
			return -1;
		g = xmlNewChild(h, NULL, (const xmlChar *)"grid-factor", (const xmlChar *)(b + 1));
		if (!g || !xmlSetProp(g, (const xmlChar *)"start", (const xmlChar *)iso) ||
		    !xmlAddChild(h, xmlNewDocText(rn->doc, (const xmlChar *)"\n    ")))
			return -1;
	}
	return 0;
}

static int rewrite_region(const ewc_import *im, xmlNodePtr rn, const char *id, const char *note)
{
	size_t idlen = strlen(id);

	if (rewrite_series(im, rn, id, note) != 0)
		return -1;

	for (size_t i = 0; i < im->settings.n; i++) {
		const char *s = im->settings.v[i], *dot, *eq;
		char head[256], attr[64];
		xmlNodePtr el;
		xmlChar *old;
		char *text;
		if (strncmp(s, id, idlen) != 0 || s[idlen] != '.')
			continue;
		s += idlen + 1;
		eq = strchr(s, '=');
		dot = eq ? memchr(s, '.', (size_t)(eq - s)) : NULL;
		if (!dot || (size_t)(dot - s) >= sizeof head || (size_t)(eq - dot - 1) >= sizeof attr)
			return -1;
		memcpy(head, s, (size_t)(dot - s));
		head[dot - s] = '\0';
		memcpy(attr, dot + 1, (size_t)(eq - dot - 1));
		attr[eq - dot - 1] = '\0';
		el = strcmp(head, "power") == 0 ? child_elem(rn, "power", NULL)
		                                : child_elem(rn, "gpu", head);
		if (!el)
			return -1;
		old = xmlGetProp(el, (const xmlChar *)attr);
		text = comment_text(" %s%s%s was %s%s%s ", strcmp(head, "power") ? head : "",
		                    strcmp(head, "power") ? " " : "", attr,
		                    old ? (const char *)old : "not given", note ? ": " : "",
		                    note ? note : "");
		xmlFree(old);
		if (!text)
			return -1;
		xmlNodePtr c = xmlNewDocComment(rn->doc, (const xmlChar *)text);
		xmlNodePtr ws = xmlNewDocText(rn->doc, (const xmlChar *)"\n    ");
		free(text);
		if (!c || !ws || !xmlAddPrevSibling(el, c) || !xmlAddPrevSibling(el, ws) ||
		    !xmlSetProp(el, (const xmlChar *)attr, (const xmlChar *)(eq + 1))) {
			xmlFreeNode(c);
			xmlFreeNode(ws);
			return -1;
		}
	}
	return 0;
}

int ewc_import_to_xml(const ewc_import *im, const ewc_ctx *cctx, const char *note, char **out,
                      size_t *len)
{
	ewc_ctx *ctx = (ewc_ctx *)cctx;
	ewc__diag d;
	xmlDocPtr res = NULL;
	xmlNodePtr root;
	char **files = NULL;
	size_t nfiles = 0;
	int rc = 0;

	if (!im || !ctx || !out || !len)
		return ewc__seterr(EWC_EINVAL, "ewc_import_to_xml: NULL argument");
	*out = NULL;
	*len = 0;
	memset(&d, 0, sizeof d);
	ewc__lock(ctx);
	files = calloc(ctx->w.nregions ? ctx->w.nregions : 1, sizeof *files);
	if (!files)
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	for (size_t r = 0; r < ctx->w.nregions && rc == 0; r++) {
		const char *f = ctx->w.regions[r].file;
		size_t k = 0;
		while (k < nfiles && strcmp(files[k], f) != 0)
			k++;
		if (k == nfiles && !(files[nfiles++] = ewc__strdup(f)))
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	ewc__unlock(ctx);
	if (rc)
		goto out;
	res = xmlNewDoc((const xmlChar *)"1.0");
	root = res ? xmlNewDocNode(res, NULL, (const xmlChar *)"regions", NULL) : NULL;
	if (!root) {
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		goto out;
	}
	xmlDocSetRootElement(res, root);
	for (size_t k = 0; k < nfiles && rc == 0; k++) {
		char *data;
		size_t n;
		xmlDocPtr src;
		xmlNodePtr sroot;
		if ((rc = ewc__slurp(files[k], 64u * 1024u * 1024u, &data, &n)) != 0) {
			if (rc == EWC_EINPUT || rc == EWC_EIO)
				rc = ewc__seterr(EWC_EIO, "%s (a region file read before): %s", files[k],
				                 ewc_errmsg());
			break;
		}
		src = ewc__xml_parse(files[k], data, n, &d);
		free(data);
		sroot = src ? xmlDocGetRootElement(src) : NULL;
		if (!sroot || strcmp((const char *)sroot->name, "regions") != 0) {
			if (src)
				xmlFreeDoc(src);
			ewc__diag_free(&d);
			rc = ewc__seterr(EWC_EIO, "%s: changed since it was loaded: read it again",
			                 files[k]);
			break;
		}
		if (k == 0) /* the first file's leading comments: the sources */
			for (xmlNodePtr c = src->children; c && c != sroot && rc == 0; c = c->next)
				if (c->type == XML_COMMENT_NODE &&
				    !xmlAddPrevSibling(root, xmlDocCopyNode(c, res, 1)))
					rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		for (xmlNodePtr c = sroot->children; c && rc == 0; c = c->next) {
			if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "region") == 0) {
				xmlChar *id = xmlGetProp(c, (const xmlChar *)"id");
				int bad = !id || rewrite_region(im, c, (const char *)id, note) != 0;
				xmlFree(id);
				if (bad)
					rc = ewc__seterr(EWC_EIO, "%s:%ld: changed since it was loaded: read it "
					                 "again", files[k], xmlGetLineNo(c));
			}
		}
		for (xmlNodePtr c = sroot->children; c && rc == 0; c = c->next)
			if (!xmlAddChild(root, xmlDocCopyNode(c, res, 1)))
				rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		xmlFreeDoc(src);
	}
	if (rc == 0) {
		xmlChar *buf = NULL;
		int blen = 0;
		xmlDocDumpMemoryEnc(res, &buf, &blen, "UTF-8");
		if (rc == 0 && (!buf || !(*out = malloc((size_t)blen + 1))))
			rc = ewc__seterr(EWC_ENOMEM, "out of memory");
		if (rc == 0) {
			memcpy(*out, buf, (size_t)blen);
			(*out)[blen] = '\0';
			*len = (size_t)blen;
		}
		xmlFree(buf);
	}
out:
	if (res)
		xmlFreeDoc(res);
	for (size_t k = 0; k < nfiles; k++)
		free(files[k]);
	free(files);
	return rc;
}
