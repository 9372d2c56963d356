/* report.c - the rebalancing report: HTML built as a libxml2 tree, so every
 * name and number is escaped by the serializer, with inline SVG charts */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

#include "report.h"
#include "tool.h"

#define TREND_RUNS 30
#define CHART_W 680.0
#define LABEL_W 190.0
#define BAR_H 18.0
#define ROW_H 24.0

static const char *const css =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;"
	"margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2329;line-height:1.4}"
	"h1{font-size:1.6rem;margin-bottom:.2rem}h3{font-size:1rem;margin:1rem 0 .3rem}h2{font-size:1.2rem;margin-top:2rem;"
	"border-bottom:1px solid #d0d7de;padding-bottom:.2rem}"
	".meta{color:#57606a;font-size:.9rem}"
	".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.8rem}"
	".kpi{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}"
	".kpi .label{font-size:.8rem;color:#57606a}.kpi .value{font-size:1.3rem;"
	"font-weight:600;font-variant-numeric:tabular-nums}"
	".good{color:#1a7f37}.bad{color:#cf222e}"
	"svg{max-width:100%;height:auto;font-size:12px}"
	"svg text{fill:#1d2329}.east{fill:#d4780c}.west{fill:#2f6fb3}.before{fill-opacity:.35}"
	".flow-east-east,.flow-west-east{fill:#d4780c;fill-opacity:.45}"
	".flow-east-west,.flow-west-west{fill:#2f6fb3;fill-opacity:.45}"
	".line-cost{stroke:#8250df;fill:none;stroke-width:2}.dot-cost{fill:#8250df}"
	".line-carbon{stroke:#1a7f37;fill:none;stroke-width:2}.dot-carbon{fill:#1a7f37}"
	".axis{stroke:#8c959f;stroke-width:1}"
	".line-frontier{stroke:#2f6fb3;fill:none;stroke-width:2}.dot-frontier{fill:#2f6fb3}"
	".area-used{fill:#2f6fb3;fill-opacity:.35;stroke:#2f6fb3;stroke-width:1}"
	".line-capacity{stroke:#57606a;fill:none;stroke-width:1.5;stroke-dasharray:4 3}"
	".line-price{stroke:#bc4c00;fill:none;stroke-width:1.5}"
	".knee{fill:#cf222e}.grid{stroke:#eaeef2;stroke-width:1}"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}"
	"th,td{padding:.25rem .5rem;border-bottom:1px solid #eaeef2;text-align:left}"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
	".legend span{display:inline-block;margin-right:1rem}"
	".sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;"
	"vertical-align:middle}"
	"@media print{body{margin:0;max-width:none}section{break-inside:avoid}"
	"h2{break-after:avoid}}";

/* ---- tree helpers: every text goes through the serializer's escaping ---- */

static xmlNodePtr el(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void attr(xmlNodePtr n, const char *name, const char *fmt, ...) TOOL_PRINTF(3, 4);

static void attr(xmlNodePtr n, const char *name, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

static xmlNodePtr elf(xmlNodePtr parent, const char *name, const char *fmt, ...)
	TOOL_PRINTF(3, 4);

static xmlNodePtr elf(xmlNodePtr parent, const char *name, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return el(parent, name, buf);
}

static const char *money(char *buf, size_t len, double v)
{
	return tool_fmt(buf, len, v, 2);
}

/* ---- what the charts show, gathered from the rebalancing ---------------- */

typedef struct region_row {
	const char *id;
	ewc_zone zone;
	double cost, carbon;      /* after the moves, migration included */
	long gpus_before, gpus_after;
} region_row;

typedef struct trend_pt {
	long long run;
	char at[32];
	char kind[16];
	double cost, carbon;
} trend_pt;

typedef struct trend {
	trend_pt pt[TREND_RUNS + 1];
	int n;
} trend;

static int take_run(void *user, const ewc_db_run *r)
{
	trend *t = user;
	trend_pt *p;

	if (t->n >= TREND_RUNS)
		return 1;
	/* like with like: the running set's rates; a run recorded before they
	 * were kept has none and is not drawn */
	if (!isfinite(r->cost_rate_cny_per_day))
		return 0;
	p = &t->pt[t->n++];
	p->run = r->id;
	snprintf(p->at, sizeof p->at, "%s", r->at);
	snprintf(p->kind, sizeof p->kind, "%s", r->kind);
	p->cost = r->cost_rate_cny_per_day;
	p->carbon = r->carbon_rate_kg_per_day;
	return 0;
}

/* What every rebalancing so far saved: against everyone staying,
 * migration paid. */
typedef struct saved {
	double cny, kg;
	size_t n;
} saved;

static int sum_saved(void *user, const ewc_db_run *r)
{
	saved *v = user;

	if (strcmp(r->kind, "rebalance") == 0) {
		v->cny += r->before_cost_cny - r->cost_cny;
		v->kg += r->before_carbon_kg - r->carbon_kg;
		v->n++;
	}
	return 0;
}

static int region_index(region_row *rows, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(rows[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* ---- charts --------------------------------------------------------------- */

static xmlNodePtr svg(xmlNodePtr parent, const char *id, double w, double h, const char *label)
{
	xmlNodePtr s = el(parent, "svg", NULL);
	attr(s, "id", "%s", id);
	attr(s, "xmlns", "http://www.w3.org/2000/svg");
	attr(s, "viewBox", "0 0 %.0f %.0f", w, h);
	attr(s, "width", "%.0f", w);
	attr(s, "height", "%.0f", h);
	attr(s, "role", "img");
	attr(s, "aria-label", "%s", label);
	el(s, "title", label);
	return s;
}

static xmlNodePtr text_at(xmlNodePtr parent, double x, double y, const char *anchor,
                          const char *text)
{
	xmlNodePtr t = el(parent, "text", text);
	attr(t, "x", "%.1f", x);
	attr(t, "y", "%.1f", y);
	if (anchor)
		attr(t, "text-anchor", "%s", anchor);
	return t;
}

/* A chart's axis, from (x1, y1) to (x2, y2), in whole pixels. */
static void axis(xmlNodePtr svg_el, double x1, double y1, double x2, double y2)
{
	xmlNodePtr ax = el(svg_el, "line", NULL);
	attr(ax, "class", "axis");
	attr(ax, "x1", "%.0f", x1);
	attr(ax, "y1", "%.0f", y1);
	attr(ax, "x2", "%.0f", x2);
	attr(ax, "y2", "%.0f", y2);
}

/* Horizontal bars, one row per label; `before` (or NULL) is drawn as a
 * lighter bar under each. */
/* A light gridline from (x0, y0) to (x1, y1), under what is drawn after. */
static void gridline(xmlNodePtr s, double x0, double y0, double x1, double y1)
{
	xmlNodePtr g = el(s, "line", NULL);
	attr(g, "class", "grid");
	attr(g, "x1", "%.1f", x0);
	attr(g, "y1", "%.1f", y0);
	attr(g, "x2", "%.1f", x1);
	attr(g, "y2", "%.1f", y1);
}

static void bar_chart(xmlNodePtr parent, const char *id, const char *label, const char *unit,
                      const char *const *labels, const ewc_zone *zones, const double *values,
                      const double *before, size_t n, int dec)
{
	double max = 0, scale, h = 20 + ROW_H * (double)(n ? n : 1) + 10;
	xmlNodePtr s;

	el(parent, "h3", label);
	s = svg(parent, id, CHART_W, h, label);
	char buf[64];

	for (size_t i = 0; i < n; i++) {
		max = fmax(max, values[i]);
		if (before)
			max = fmax(max, before[i]);
	}
	scale = max > 0 ? (CHART_W - LABEL_W - 110) / max : 0;
	if (n == 0)
		text_at(s, LABEL_W, 34, NULL, "nothing to show");
	/* a few gridlines on the value axis, labelled on top */
	for (int k = 0; max > 0 && k <= 3; k++) {
		double x = LABEL_W + (CHART_W - LABEL_W - 110) * k / 3.0;
		gridline(s, x, 16, x, h - 8);
		text_at(s, x, 12, k == 0 ? "start" : "middle", tool_fmt(buf, sizeof buf, max * k / 3, 0));
	}
	for (size_t i = 0; i < n; i++) {
		double y = 20 + ROW_H * (double)i;
		const char *zone = ewc_zone_name(zones[i]);
		xmlNodePtr r;
		text_at(s, LABEL_W - 8, y + 13, "end", labels[i]);
		if (before) {
			r = el(s, "rect", NULL);
			attr(r, "class", "bar before %s", zone);
			attr(r, "x", "%.1f", LABEL_W);
			attr(r, "y", "%.1f", y);
			attr(r, "width", "%.2f", before[i] * scale);
			attr(r, "height", "%.1f", BAR_H);
			attr(r, "data-label", "%s", labels[i]);
			attr(r, "data-before", "%.2f", before[i]);
			elf(r, "title", "%s before: %s %s", labels[i], tool_fmt(buf, sizeof buf, before[i], dec),
			    unit);
		}
		r = el(s, "rect", NULL);
		attr(r, "class", "bar %s", zone);
		attr(r, "x", "%.1f", LABEL_W);
		attr(r, "y", "%.1f", before ? y + BAR_H / 3 : y);
		attr(r, "width", "%.2f", values[i] * scale);
		attr(r, "height", "%.1f", before ? BAR_H / 3 : BAR_H);
		attr(r, "data-label", "%s", labels[i]);
		attr(r, "data-zone", "%s", zone);
		attr(r, "data-value", "%.2f", values[i]);
		elf(r, "title", "%s: %s %s", labels[i], tool_fmt(buf, sizeof buf, values[i], dec), unit);
		text_at(s, LABEL_W + fmax(values[i], before ? before[i] : 0) * scale + 6, y + 13, NULL,
		        tool_fmt(buf, sizeof buf, values[i], dec));
	}
}

/* GPU-hours from the zone nearest each job's origin (where a naive
 * operator runs it) to the zone it runs in after the moves: two columns of
 * nodes, bands as wide as their flow. */
static void flow_chart(xmlNodePtr parent, const double flow[2][2])
{
	const double W = CHART_W, H = 240, top = 30, gap = 16, nodew = 16;
	const double x0 = 170, x1 = W - 170;
	double total = flow[0][0] + flow[0][1] + flow[1][0] + flow[1][1];
	/* room below the last node's top for its two label lines, so that a
	 * zone with no GPU-hours still shows its labels inside the chart */
	double avail = H - top - 34 - gap, scale = total > 0 ? avail / total : 0;
	double left[2], right[2], ly[2], ry[2], lcur[2], rcur[2];
	static const char *const label =
		"GPU-hours from the zone nearest the origin to the zone they run in";
	xmlNodePtr s;

	el(parent, "h3", label);
	s = svg(parent, "chart-flow", W, H, label);
	char buf[64], b2[64];

	for (int z = 0; z < 2; z++) {
		left[z] = flow[z][0] + flow[z][1];
		right[z] = flow[0][z] + flow[1][z];
	}
	ly[0] = top;
	ly[1] = top + left[0] * scale + gap;
	ry[0] = top;
	ry[1] = top + right[0] * scale + gap;
	text_at(s, x0, 16, "end", "near the origin");
	text_at(s, x1, 16, NULL, "runs in");
	for (int z = 0; z < 2; z++) {
		const char *zone = ewc_zone_name((ewc_zone)z);
		xmlNodePtr r = el(s, "rect", NULL);
		attr(r, "class", "node %s", zone);
		attr(r, "x", "%.1f", x0 - nodew);
		attr(r, "y", "%.2f", ly[z]);
		attr(r, "width", "%.1f", nodew);
		attr(r, "height", "%.2f", fmax(1.0, left[z] * scale));
		attr(r, "data-side", "origin");
		attr(r, "data-zone", "%s", zone);
		attr(r, "data-value", "%.2f", left[z]);
		text_at(s, x0 - nodew - 6, ly[z] + 12, "end", zone);
		text_at(s, x0 - nodew - 6, ly[z] + 26, "end", tool_fmt(buf, sizeof buf, left[z], 0));
		r = el(s, "rect", NULL);
		attr(r, "class", "node %s", zone);
		attr(r, "x", "%.1f", x1);
		attr(r, "y", "%.2f", ry[z]);
		attr(r, "width", "%.1f", nodew);
		attr(r, "height", "%.2f", fmax(1.0, right[z] * scale));
		attr(r, "data-side", "placed");
		attr(r, "data-zone", "%s", zone);
		attr(r, "data-value", "%.2f", right[z]);
		text_at(s, x1 + nodew + 6, ry[z] + 12, NULL, zone);
		text_at(s, x1 + nodew + 6, ry[z] + 26, NULL, tool_fmt(buf, sizeof buf, right[z], 0));
		lcur[z] = ly[z];
		rcur[z] = ry[z];
	}
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++) {
			double w = flow[a][b] * scale, xm = (x0 + x1) / 2;
			double ya = lcur[a], yb = rcur[b];
			xmlNodePtr p;
			if (flow[a][b] <= 0)
				continue;
			p = el(s, "path", NULL);
			attr(p, "class", "flow flow-%s-%s", ewc_zone_name((ewc_zone)a),
			     ewc_zone_name((ewc_zone)b));
			attr(p, "d", "M%.1f %.2f C%.1f %.2f %.1f %.2f %.1f %.2f L%.1f %.2f "
			     "C%.1f %.2f %.1f %.2f %.1f %.2fZ", x0, ya, xm, ya, xm, yb, x1, yb, x1, yb + w,
			     xm, yb + w, xm, ya + w, x0, ya + w);
			attr(p, "data-from", "%s", ewc_zone_name((ewc_zone)a));
			attr(p, "data-to", "%s", ewc_zone_name((ewc_zone)b));
			attr(p, "data-value", "%.2f", flow[a][b]);
			snprintf(b2, sizeof b2, "%s", tool_fmt(buf, sizeof buf, flow[a][b], 0));
			elf(p, "title", "%s to %s: %s GPU-hours", ewc_zone_name((ewc_zone)a),
			    ewc_zone_name((ewc_zone)b), b2);
			lcur[a] += w;
			rcur[b] += w;
		}
}

/* One series of the trend: a line and a dot per run. */
static void trend_chart(xmlNodePtr parent, const char *id, const char *label, const char *what,
                        const trend *t, int carbon)
{
	const double W = CHART_W, H = 200, l = 90, r = 20, top = 20, bottom = 40;
	double max = 0, step;
	xmlNodePtr s, line;
	char pts[TREND_RUNS * 32 + 32] = "", buf[64];
	size_t used = 0;

	el(parent, "h3", label);
	s = svg(parent, id, W, H, label);
	for (int i = 0; i < t->n; i++)
		max = fmax(max, carbon ? t->pt[i].carbon : t->pt[i].cost);
	if (max <= 0)
		max = 1;
	step = t->n > 1 ? (W - l - r) / (t->n - 1) : 0;
	axis(s, l, H - bottom, W - r, H - bottom);
	/* gridlines at a third, two thirds and the top, labelled on the left */
	for (int k = 1; k <= 3; k++) {
		double y = H - bottom - (H - bottom - top) * k / 3.0;
		gridline(s, l, y, W - r, y);
		text_at(s, l - 6, y + 4, "end", tool_fmt(buf, sizeof buf, max * k / 3, 0));
	}
	text_at(s, l - 6, H - bottom, "end", "0");
	for (int i = 0; i < t->n; i++) {
		double v = carbon ? t->pt[i].carbon : t->pt[i].cost;
		double x = l + step * i, y = H - bottom - (H - bottom - top) * v / max;
		if (used < sizeof pts)
			used += (size_t)snprintf(pts + used, sizeof pts - used, "%s%.1f,%.1f",
			                         i ? " " : "", x, y);
	}
	line = el(s, "polyline", NULL);
	attr(line, "class", "line-%s", carbon ? "carbon" : "cost");
	/* xmlSetProp: attr() holds 512 bytes, a long curve's points many more */
	xmlSetProp(line, BAD_CAST "points", BAD_CAST pts);
	for (int i = 0; i < t->n; i++) {
		const trend_pt *p = &t->pt[i];
		double v = carbon ? p->carbon : p->cost;
		double x = l + step * i, y = H - bottom - (H - bottom - top) * v / max;
		xmlNodePtr c = el(s, "circle", NULL);
		attr(c, "class", "dot dot-%s", carbon ? "carbon" : "cost");
		attr(c, "cx", "%.1f", x);
		attr(c, "cy", "%.1f", y);
		attr(c, "r", "4");
		attr(c, "data-run", "%lld", p->run);
		attr(c, "data-value", "%.2f", v);
		if (p->run)
			elf(c, "title", "run %lld (%s), %.10s: %s %s", p->run, p->kind, p->at,
			    tool_fmt(buf, sizeof buf, v, carbon ? 1 : 2), what);
		else
			elf(c, "title", "this rebalancing (not recorded), %.10s: %s %s", p->at,
			    tool_fmt(buf, sizeof buf, v, carbon ? 1 : 2), what);
		if (t->n <= 12 || i % ((t->n + 11) / 12) == 0) {
			char day[8];
			snprintf(day, sizeof day, "%.5s", strlen(p->at) >= 10 ? p->at + 5 : p->at);
			text_at(s, x, H - bottom + 16, "middle", day);
		}
	}
}

/* ---- the document --------------------------------------------------------- */

static void kpi(xmlNodePtr parent, const char *id, const char *label, double value,
                const char *unit, int dec, int signed_good)
{
	xmlNodePtr d = el(parent, "div", NULL), v;
	char buf[64];

	attr(d, "class", "kpi");
	attr(d, "id", "%s", id);
	attr(d, "data-value", "%.2f", value);
	attr(el(d, "div", label), "class", "label");
	v = elf(d, "div", "%s %s", tool_fmt(buf, sizeof buf, value, dec), unit);
	/* signed_good: 1, more is better; -1, more is worse (a cost change);
	 * 0, neither. The colour follows what it means, not the sign. */
	if (signed_good * value > 0)
		attr(v, "class", "value good");
	else if (signed_good * value < 0)
		attr(v, "class", "value bad");
	else
		attr(v, "class", "value");
}

static void legend(xmlNodePtr parent, const char *const *cls, const char *const *text, int n)
{
	xmlNodePtr p = el(parent, "p", NULL);
	attr(p, "class", "legend");
	for (int i = 0; i < n; i++) {
		xmlNodePtr sp = el(p, "span", NULL), sw = el(sp, "svg", NULL), r;
		attr(sw, "class", "sw");
		attr(sw, "viewBox", "0 0 10 10");
		attr(sw, "width", "10");
		attr(sw, "height", "10");
		r = el(sw, "rect", NULL);
		attr(r, "class", "%s", cls[i]);
		attr(r, "width", "10");
		attr(r, "height", "10");
		xmlAddChild(sp, xmlNewText(BAD_CAST text[i]));
	}
}

static void th(xmlNodePtr tr, const char *text, int num)
{
	xmlNodePtr c = el(tr, "th", text);
	if (num)
		attr(c, "class", "num");
}

static void td(xmlNodePtr tr, const char *text, int num)
{
	xmlNodePtr c = el(tr, "td", text);
	if (num)
		attr(c, "class", "num");
}

static void move_table(xmlNodePtr sec, const ewc_rebalance *rb)
{
	xmlNodePtr table, tr;
	char buf[64];
	size_t n = ewc_rebalance_count(rb), shown = 0;

	for (size_t i = 0; i < n; i++) {
		ewc_move m = EWC_MOVE_INIT;
		ewc_rebalance_job(rb, i, &m);
		shown += m.moved;
	}
	if (!shown) {
		attr(el(sec, "p", "No job gains enough from moving: everything stays."), "id",
		     "no-moves");
		return;
	}
	table = el(sec, "table", NULL);
	attr(table, "id", "moves");
	tr = el(el(table, "thead", NULL), "tr", NULL);
	th(tr, "job", 0);
	th(tr, "from", 0);
	th(tr, "to", 0);
	th(tr, "GPUs", 1);
	th(tr, "hours left", 1);
	th(tr, "migration (CNY)", 1);
	th(tr, "saving (CNY)", 1);
	th(tr, "carbon avoided (kg)", 1);
	th(tr, "why", 0);
	table = el(table, "tbody", NULL);
	for (size_t i = 0; i < n; i++) {
		ewc_move m = EWC_MOVE_INIT;
		char from[160], to[160];
		ewc_rebalance_job(rb, i, &m);
		if (!m.moved)
			continue;
		snprintf(from, sizeof from, "%s (%s, %s)", m.from_region, ewc_zone_name(m.from_zone),
		         m.from_type);
		snprintf(to, sizeof to, "%s (%s, %s)", m.to_region, ewc_zone_name(m.to_zone),
		         m.to_type);
		tr = el(table, "tr", NULL);
		attr(tr, "data-job", "%s", m.job);
		td(tr, m.job, 0);
		td(tr, from, 0);
		td(tr, to, 0);
		snprintf(buf, sizeof buf, "%ld", m.gpus);
		td(tr, buf, 1);
		td(tr, tool_fmt(buf, sizeof buf, m.to_hours, 1), 1);
		td(tr, money(buf, sizeof buf, m.migration_cny), 1);
		td(tr, money(buf, sizeof buf, m.saving_cny), 1);
		td(tr, tool_fmt(buf, sizeof buf, m.carbon_avoided_kg, 1), 1);
		td(tr, ewc_rebalance_why(rb, i) ? ewc_rebalance_why(rb, i)
		                                : "no figure changed: it paid already", 0);
	}
	/* what changed since the previous run's figures */
	if (ewc_rebalance_compared(rb)) {
		size_t nc = ewc_rebalance_change_count(rb);
		xmlNodePtr h = el(sec, "h3", "Changed since the previous run");
		attr(h, "id", "changes");
		if (nc == 0) {
			el(sec, "p", "No region figure changed.");
		} else {
			xmlNodePtr ul = el(sec, "ul", NULL);
			attr(ul, "id", "change-list");
			for (size_t i = 0; i < nc; i++)
				el(ul, "li", ewc_rebalance_change(rb, i));
		}
	}
}

static void by_region(xmlNodePtr body, const ewc_ctx *ctx, const ewc_rebalance *rb)
{
	size_t nr = ewc_region_count(ctx), n = 0, nz = 2;
	region_row *rows = calloc(nr ? nr : 1, sizeof *rows);
	const char **labels = calloc(nr ? nr : 1, sizeof *labels);
	ewc_zone *zones = calloc(nr ? nr : 1, sizeof *zones);
	double *cost = calloc(nr ? nr : 1, sizeof *cost), *carbon = calloc(nr ? nr : 1, sizeof *carbon);
	double *gb = calloc(nr ? nr : 1, sizeof *gb), *ga = calloc(nr ? nr : 1, sizeof *ga);
	double zb[2] = { 0, 0 }, za[2] = { 0, 0 }, flow[2][2] = { { 0, 0 }, { 0, 0 } };
	static const ewc_zone zone_ids[2] = { EWC_ZONE_EAST, EWC_ZONE_WEST };
	static const char *const zone_labels[2] = { "east (all regions)", "west (all regions)" };
	static const char *const lc[3] = { "east", "west", "east before" };
	static const char *const lt[3] = { "eastern hub", "western hub",
	                                   "lighter: before the moves" };
	xmlNodePtr sec;

	if (!rows || !labels || !zones || !cost || !carbon || !gb || !ga)
		goto out;
	for (size_t i = 0; i < nr; i++) {
		ewc_region_info info = EWC_REGION_INFO_INIT;
		ewc_region_get(ctx, i, &info);
		rows[i].id = info.id;
		rows[i].zone = info.zone;
	}
	for (size_t i = 0; i < ewc_rebalance_count(rb); i++) {
		ewc_move m = EWC_MOVE_INIT;
		int a, b;
		ewc_rebalance_job(rb, i, &m);
		a = region_index(rows, nr, m.from_region);
		b = region_index(rows, nr, m.to_region);
		if (a >= 0)
			rows[a].gpus_before += m.from_gpus;
		if (b >= 0) {
			rows[b].gpus_after += m.gpus;
			rows[b].cost += m.cost_to_cny + m.migration_cny;
			rows[b].carbon += m.carbon_to_kg;
			if (m.baseline_region)
				flow[m.baseline_zone][m.to_zone] += (double)m.gpus * m.to_hours;
		}
	}
	/* regions that take part, in load order */
	for (size_t i = 0; i < nr; i++) {
		if (!rows[i].gpus_before && !rows[i].gpus_after)
			continue;
		labels[n] = rows[i].id;
		zones[n] = rows[i].zone;
		cost[n] = rows[i].cost;
		carbon[n] = rows[i].carbon;
		gb[n] = (double)rows[i].gpus_before;
		ga[n] = (double)rows[i].gpus_after;
		zb[rows[i].zone] += gb[n];
		za[rows[i].zone] += ga[n];
		n++;
	}

	sec = el(body, "section", NULL);
	attr(sec, "id", "by-region");
	el(sec, "h2", "Cost and carbon by region");
	el(sec, "p", "What the running jobs cost over their remaining hours, and the carbon they "
	             "emit, where they run after the moves (migration counted where it lands).");
	legend(sec, lc, lt, 2);
	bar_chart(sec, "chart-cost-region", "Cost by region, CNY", "CNY", labels, zones, cost,
	          NULL, n, 2);
	bar_chart(sec, "chart-carbon-region", "Carbon by region, kg CO2", "kg", labels, zones,
	          carbon, NULL, n, 1);

	sec = el(body, "section", NULL);
	attr(sec, "id", "gpus");
	el(sec, "h2", "GPUs used by region and zone");
	el(sec, "p", "GPUs held by the running jobs, before the moves (lighter) and after.");
	legend(sec, lc, lt, 3);
	bar_chart(sec, "chart-gpus-region", "GPUs used by region", "GPUs", labels, zones, ga, gb,
	          n, 0);
	{
		const char *zl[2] = { zone_labels[0], zone_labels[1] };
		bar_chart(sec, "chart-gpus-zone", "GPUs used by zone", "GPUs", zl, zone_ids, za, zb,
		          nz, 0);
	}

	sec = el(body, "section", NULL);
	attr(sec, "id", "flow");
	el(sec, "h2", "East to west: where the GPU-hours go");
	el(sec, "p", "GPU-hours left to run, from the zone of the region nearest each job's "
	             "origin (where a naive operator would run it) to the zone it runs in after "
	             "the moves.");
	flow_chart(sec, (const double(*)[2])flow);
out:
	free(rows);
	free(labels);
	free(zones);
	free(cost);
	free(carbon);
	free(gb);
	free(ga);
}

static xmlNodePtr doc_start(htmlDocPtr doc, const char *title)
{
	xmlNodePtr html, head, m;

	xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
	html = xmlNewNode(NULL, BAD_CAST "html");
	xmlDocSetRootElement(doc, html);
	attr(html, "lang", "en");
	head = el(html, "head", NULL);
	m = el(head, "meta", NULL);
	attr(m, "charset", "utf-8");
	m = el(head, "meta", NULL);
	attr(m, "name", "viewport");
	attr(m, "content", "width=device-width, initial-scale=1");
	el(head, "title", title);
	el(head, "style", css);
	return el(html, "body", NULL);
}

static htmlDocPtr build(const char *dbpath, ewc_db *db, const ewc_ctx *ctx,
                        const ewc_rebalance *rb, long long run)
{
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	xmlNodePtr body, sec, kp;
	trend t;
	char when[32], buf[64], b2[64], buf2[64], b3[64];

	if (!doc)
		return NULL;
	ewc_rebalance_summarize(rb, &s);
	ewc_time_format(s.now, when, sizeof when);
	memset(&t, 0, sizeof t);
	if (ewc_db_runs(db, TREND_RUNS, take_run, &t) != 0) {
		xmlFreeDoc(doc);
		return NULL;
	}
	if (!run) {
		/* not recorded: shown as the newest point, the oldest dropped */
		if (t.n == TREND_RUNS) {
			memmove(&t.pt[0], &t.pt[1], (TREND_RUNS - 1) * sizeof t.pt[0]);
			t.n--;
		}
		t.pt[t.n].run = 0;
		snprintf(t.pt[t.n].at, sizeof t.pt[t.n].at, "%s", when);
		snprintf(t.pt[t.n].kind, sizeof t.pt[t.n].kind, "rebalance");
		t.pt[t.n].cost = s.cost_rate_cny_per_day;
		t.pt[t.n].carbon = s.carbon_rate_kg_per_day;
		t.n++;
	}

	snprintf(buf, sizeof buf, "ewc rebalancing, %.10s", when);
	body = doc_start(doc, buf);
	elf(body, "h1", "Nightly rebalancing, %.10s", when);
	attr(elf(body, "p", "At %s on %s; %s mode%s; migration counted x%.3g. %s", when, dbpath,
	         ewc_mode_name(s.mode), s.mode == EWC_MODE_BALANCED ? ", carbon priced" : "",
	         1 + s.margin, run ? "Recorded in the database." : "Not recorded (no --commit)."),
	     "class", "meta");

	sec = el(body, "section", NULL);
	attr(sec, "id", "headline");
	el(sec, "h2", "Headline");
	elf(sec, "p", "%zu running job%s considered, %zu move%s. Figures cover the hours the jobs "
	    "have left.", s.jobs, s.jobs == 1 ? "" : "s", s.moves, s.moves == 1 ? "" : "s");
	kp = el(sec, "div", NULL);
	attr(kp, "class", "kpis");
	kpi(kp, "kpi-cost", "cost after the moves", s.after.cost_cny, "CNY", 2, 0);
	kpi(kp, "kpi-carbon", "carbon after the moves (market-based)", s.after.carbon_kg, "kg", 1, 0);
	kpi(kp, "kpi-carbon-location", "location-based carbon after the moves",
	    s.after.carbon_location_kg, "kg", 1, 0);
	kpi(kp, "kpi-moves", "jobs moved", (double)s.moves, "", 0, 0);
	kpi(kp, "kpi-saving", "saved vs everyone staying", s.saving_cny, "CNY", 2, 1);
	{
		/* cumulative: every rebalancing in the database, this one too */
		saved v = { 0, 0, 0 };
		char lab[96];
		if (ewc_db_runs(db, 0, sum_saved, &v) == 0) {
			if (!run) {
				v.cny += s.saving_cny;
				v.kg += s.carbon_avoided_kg;
				v.n++;
			}
			snprintf(lab, sizeof lab, "saved by all %zu rebalancing%s so far", v.n,
			         v.n == 1 ? "" : "s");
			kpi(kp, "kpi-cumulative", lab, v.cny, "CNY", 2, 1);
		}
	}
	/* a negative avoidance is more carbon: said so, in red */
	if (s.carbon_avoided_kg < 0)
		kpi(kp, "kpi-carbon-avoided", "more carbon than everyone staying",
		    -s.carbon_avoided_kg, "kg", 1, -1);
	else
		kpi(kp, "kpi-carbon-avoided", "carbon avoided vs staying", s.carbon_avoided_kg, "kg",
		    1, 1);
	kpi(kp, "kpi-vs-baseline", "saved vs running near the origin",
	    s.baseline.cost_cny - s.after.cost_cny, "CNY", 2, 1);
	if (s.have_previous && isfinite(s.previous_cost_rate_cny_per_day)) {
		/* rates: a night with no moves and no changed figure shows 0 */
		double d = s.cost_rate_cny_per_day - s.previous_cost_rate_cny_per_day;
		kpi(kp, "kpi-vs-previous", "cost a day, change since the previous run",
		    fabs(d) < 0.005 ? 0.0 : d, "CNY/day", 2, -1);
		elf(sec, "p", "The running set costs %s CNY and emits %s kg CO2 a day; after the "
		    "previous run, #%lld (%s, %.10s), it cost %s CNY and emitted %s kg a day.",
		    money(buf, sizeof buf, s.cost_rate_cny_per_day),
		    tool_fmt(b2, sizeof b2, s.carbon_rate_kg_per_day, 1), s.previous_run,
		    s.previous_kind, s.previous_at,
		    money(buf2, sizeof buf2, s.previous_cost_rate_cny_per_day),
		    tool_fmt(b3, sizeof b3, s.previous_carbon_rate_kg_per_day, 1));
	} else if (s.have_previous) {
		elf(sec, "p", "The previous run, #%lld (%s, %.10s), was recorded without daily "
		    "rates: nothing to compare with.", s.previous_run, s.previous_kind,
		    s.previous_at);
	} else {
		el(sec, "p", "No earlier run in the database to compare with.");
	}
	elf(sec, "p", "Migration paid: %s CNY. Solver gap %.4f%%%s.",
	    money(buf, sizeof buf, s.migration_cny), 100 * s.gap,
	    s.proven ? "" : " (time limit reached)");

	sec = el(body, "section", NULL);
	attr(sec, "id", "move-table");
	el(sec, "h2", "Moves");
	move_table(sec, rb);
	if (ewc_rebalance_skipped_count(rb)) {
		xmlNodePtr ul;
		el(sec, "p", "Left out of the rebalancing:");
		ul = el(sec, "ul", NULL);
		attr(ul, "id", "skipped");
		for (size_t i = 0; i < ewc_rebalance_skipped_count(rb); i++) {
			const char *job, *why;
			ewc_rebalance_skipped(rb, i, &job, &why);
			elf(ul, "li", "%s: %s", job, why);
		}
	}

	by_region(body, ctx, rb);

	sec = el(body, "section", NULL);
	attr(sec, "id", "trend");
	elf(sec, "h2", "The last %d runs", t.n);
	el(sec, "p", "What the running set cost and emitted per day after each run (one-time "
	             "data transfer and migration aside), so that runs compare like with like.");
	trend_chart(sec, "chart-trend-cost", "Cost a day of the running set, per run, CNY", "CNY",
	            &t, 0);
	trend_chart(sec, "chart-trend-carbon", "Carbon a day of the running set, per run, kg CO2",
	            "kg", &t, 1);

	/* how old each figure is: the regions' as of their source, the feeds'
	 * as of their last confirmation */
	sec = el(body, "section", NULL);
	attr(sec, "id", "data-age");
	el(sec, "h2", "How old the figures are");
	{
		xmlNodePtr table = el(sec, "table", NULL), tr;
		attr(table, "id", "ages");
		tr = el(el(table, "thead", NULL), "tr", NULL);
		th(tr, "region or feed", 0);
		th(tr, "figures as of", 0);
		th(tr, "age (h)", 1);
		xmlNodePtr tb = el(table, "tbody", NULL);
		for (size_t i = 0; i < ewc_region_count(ctx); i++) {
			ewc_region_info ri = EWC_REGION_INFO_INIT;
			char at[32];
			ewc_region_get(ctx, i, &ri);
			ewc_time_format(ri.as_of, at, sizeof at);
			tr = el(tb, "tr", NULL);
			attr(tr, "data-region", "%s", ri.id);
			td(tr, ri.id, 0);
			td(tr, at, 0);
			td(tr, tool_fmt(buf, sizeof buf, fmax(0.0, (s.now - ri.as_of) / 3600), 1), 1);
		}
		for (size_t i = 0; i < tool_feed_count(); i++) {
			const char *name;
			double checked;
			char at[32], lab[160];
			tool_feed_get(i, &name, &checked);
			ewc_time_format(checked, at, sizeof at);
			snprintf(lab, sizeof lab, "feed %s", name);
			tr = el(tb, "tr", NULL);
			attr(tr, "data-feed", "%s", name);
			td(tr, lab, 0);
			td(tr, at, 0);
			td(tr, tool_fmt(buf, sizeof buf, fmax(0.0, (s.now - checked) / 3600), 1), 1);
		}
	}
	return doc;
}

static int save(const char *path, htmlDocPtr doc);

int report_write(const char *path, const char *dbpath, ewc_db *db, const ewc_ctx *ctx,
                 const ewc_rebalance *rb, long long run)
{
	return save(path, build(dbpath, db, ctx, rb, run));
}

int report_render(const char *path, const char *dbpath, ewc_db *db, const ewc_ctx *ctx,
                  const ewc_rebalance *rb, long long run, char **data, size_t *len)
{
	htmlDocPtr doc = build(dbpath, db, ctx, rb, run);
	xmlChar *mem = NULL;
	int size = 0;

	*data = NULL;
	*len = 0;
	if (!doc) {
		tool_error("%s: cannot build the report: %s", path, ewc_errmsg());
		return -1;
	}
	htmlDocDumpMemoryFormat(doc, &mem, &size, 1);
	xmlFreeDoc(doc);
	if (!mem || !(*data = malloc((size_t)size + 1))) {
		xmlFree(mem);
		tool_error("%s: out of memory", path);
		return -1;
	}
	memcpy(*data, mem, (size_t)size);
	*len = (size_t)size;
	xmlFree(mem);
	return 0;
}

static int save(const char *path, htmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int size = 0, rc;

	if (!doc) {
		tool_error("%s: cannot build the report: %s", path, ewc_errmsg());
		return -1;
	}
	htmlDocDumpMemoryFormat(doc, &mem, &size, 1);
	xmlFreeDoc(doc);
	if (!mem) {
		tool_error("%s: out of memory", path);
		return -1;
	}
	rc = tool_write(path, (const char *)mem, (size_t)size);
	xmlFree(mem);
	return rc;
}

/* ---- the frontier report ----------------------------------------------------- */

/* Carbon (y) against cost (x), both axes from the frontier's own range. */
/* Point i's carbon on the frontier's basis (the curve's axis). */
static double basis_kg(const ewc_frontier *f, size_t i, const ewc_frontier_pt *p)
{
	const ewc_plan *pl = ewc_frontier_plan(f, i);
	ewc_totals t = EWC_TOTALS_INIT;

	if (ewc_plan_carbon_basis(pl) != EWC_BASIS_LOCATION)
		return p->carbon_kg;
	ewc_plan_totals(pl, &t);
	return t.carbon_location_kg;
}

static void frontier_chart(xmlNodePtr parent, const ewc_frontier *f)
{
	const double W = CHART_W, H = 360, l = 90, r = 30, top = 20, bottom = 50;
	size_t n = ewc_frontier_count(f);
	ewc_frontier_pt lo = EWC_FRONTIER_PT_INIT, hi = EWC_FRONTIER_PT_INIT;
	char pts[1000 * 32], buf[64];
	size_t used = 0;
	xmlNodePtr s, line;

	ewc_frontier_point(f, 0, &lo);
	ewc_frontier_point(f, n - 1, &hi);
	double x0 = lo.cost_cny, x1 = hi.cost_cny > x0 ? hi.cost_cny : x0 + 1;
	/* the curve on the basis it was made on: market-based by default,
	 * location-based with --carbon-basis location */
	int loc = ewc_plan_carbon_basis(ewc_frontier_plan(f, 0)) == EWC_BASIS_LOCATION;
	double klo = basis_kg(f, 0, &lo), khi = basis_kg(f, n - 1, &hi);
	double y0 = fmin(klo, khi), y1 = fmax(klo, khi) > y0 ? fmax(klo, khi) : y0 + 1;
#define PX(v) (l + (W - l - r) * ((v) - x0) / (x1 - x0))
#define PY(v) (H - bottom - (H - bottom - top) * ((v) - y0) / (y1 - y0))
	s = svg(parent, "chart-frontier", W, H, "Carbon against cost, one dot per plan");
	for (int k = 1; k <= 2; k++) {
		/* gridlines at thirds of both ranges */
		gridline(s, l, PY(y0 + (y1 - y0) * k / 3), W - r, PY(y0 + (y1 - y0) * k / 3));
		gridline(s, PX(x0 + (x1 - x0) * k / 3), top, PX(x0 + (x1 - x0) * k / 3), H - bottom);
	}
	axis(s, l, H - bottom, W - r, H - bottom);
	axis(s, l, top, l, H - bottom);
	text_at(s, l - 6, PY(y1) + 4, "end", tool_fmt(buf, sizeof buf, y1, 0));
	text_at(s, l - 6, PY(y0) + 4, "end", tool_fmt(buf, sizeof buf, y0, 0));
	text_at(s, PX(x0), H - bottom + 16, "start", tool_fmt(buf, sizeof buf, x0, 0));
	text_at(s, PX(x1), H - bottom + 16, "end", tool_fmt(buf, sizeof buf, x1, 0));
	text_at(s, (l + W - r) / 2, H - 10, "middle", "cost, CNY");
	xmlNodePtr yl = text_at(s, 16, (top + H - bottom) / 2, "middle",
	                        loc ? "location-based carbon, kg CO2" : "market-based carbon, kg CO2");
	attr(yl, "transform", "rotate(-90 16 %.0f)", (top + H - bottom) / 2);
	for (size_t i = 0; i < n; i++) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		ewc_frontier_point(f, i, &p);
		if (used < sizeof pts)
			used += (size_t)snprintf(pts + used, sizeof pts - used, "%s%.1f,%.1f",
			                         i ? " " : "", PX(p.cost_cny), PY(basis_kg(f, i, &p)));
	}
	line = el(s, "polyline", NULL);
	attr(line, "class", "line-frontier");
	/* xmlSetProp: attr() holds 512 bytes, a long curve's points many more */
	xmlSetProp(line, BAD_CAST "points", BAD_CAST pts);
	for (size_t i = 0; i < n; i++) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		char b2[64];
		ewc_frontier_point(f, i, &p);
		xmlNodePtr c = el(s, "circle", NULL);
		attr(c, "id", "point-%zu", i + 1);
		attr(c, "class", "%s", p.knee ? "dot knee" : "dot dot-frontier");
		attr(c, "cx", "%.1f", PX(p.cost_cny));
		attr(c, "cy", "%.1f", PY(basis_kg(f, i, &p)));
		attr(c, "r", "%s", p.knee ? "7" : "4");
		attr(c, "data-cost", "%.2f", p.cost_cny);
		attr(c, "data-carbon", "%.2f", basis_kg(f, i, &p));
		elf(c, "title", "point %zu%s: %s CNY, %s kg", i + 1, p.knee ? " (knee)" : "",
		    money(buf, sizeof buf, p.cost_cny), tool_fmt(b2, sizeof b2, p.carbon_kg, 1));
		if (p.knee) {
			xmlNodePtr t = text_at(s, PX(p.cost_cny) + 10, PY(basis_kg(f, i, &p)) - 8,
			                       "start", "knee");
			attr(t, "id", "knee-label");
		}
	}
#undef PX
#undef PY
}

static htmlDocPtr build_frontier(const char *jobs, size_t njobs, const ewc_frontier *f)
{
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	size_t n = ewc_frontier_count(f);
	ewc_frontier_pt lo = EWC_FRONTIER_PT_INIT, hi = EWC_FRONTIER_PT_INIT;
	xmlNodePtr body, sec, kp, table, tr;
	char buf[64];

	if (!doc || n == 0) {
		if (doc)
			xmlFreeDoc(doc);
		return NULL;
	}
	ewc_frontier_point(f, 0, &lo);
	ewc_frontier_point(f, n - 1, &hi);
	body = doc_start(doc, "ewc cost-carbon frontier");
	el(body, "h1", "Cost-carbon frontier");
	attr(elf(body, "p", "%zu jobs from %s; %zu plans from the cheapest (--mode cost) to the "
	         "greenest (--mode carbon).", njobs, jobs, n), "class", "meta");
	sec = el(body, "section", NULL);
	attr(sec, "id", "headline");
	kp = el(sec, "div", NULL);
	attr(kp, "class", "kpis");
	kpi(kp, "kpi-cheapest", "cheapest plan", lo.cost_cny, "CNY", 2, 0);
	kpi(kp, "kpi-greenest", "greenest plan", hi.carbon_kg, "kg", 1, 0);
	kpi(kp, "kpi-carbon-range", "carbon the greenest avoids", lo.carbon_kg - hi.carbon_kg,
	    "kg", 1, 0);
	kpi(kp, "kpi-cost-range", "what it costs more", hi.cost_cny - lo.cost_cny, "CNY", 2, 0);
	sec = el(body, "section", NULL);
	attr(sec, "id", "curve");
	el(sec, "h2", "The curve");
	el(sec, "p", "Every plan on the line is the cheapest for its carbon; nothing below it is "
	             "possible. The knee (red) saves the most carbon for its cost.");
	frontier_chart(sec, f);
	sec = el(body, "section", NULL);
	attr(sec, "id", "points");
	el(sec, "h2", "The points");
	table = el(sec, "table", NULL);
	tr = el(table, "tr", NULL);
	th(tr, "point", 0);
	th(tr, "cost, CNY", 1);
	th(tr, "carbon market-based, kg", 1);
	th(tr, "carbon location-based, kg", 1);
	th(tr, "CNY per t avoided (step)", 1);
	th(tr, "jobs west", 1);
	th(tr, "GPU-hours domestic", 1);
	for (size_t i = 0; i < n; i++) {
		ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
		char lab[32];
		ewc_frontier_point(f, i, &p);
		tr = el(table, "tr", NULL);
		snprintf(lab, sizeof lab, "%zu%s", i + 1, p.knee ? " (knee)" : "");
		td(tr, lab, 0);
		td(tr, money(buf, sizeof buf, p.cost_cny), 1);
		td(tr, tool_fmt(buf, sizeof buf, p.carbon_kg, 1), 1);
		{
			ewc_totals t = EWC_TOTALS_INIT;
			ewc_plan_totals(ewc_frontier_plan(f, i), &t);
			td(tr, tool_fmt(buf, sizeof buf, t.carbon_location_kg, 1), 1);
		}
		td(tr, i ? tool_fmt(buf, sizeof buf, p.carbon_price_cny_per_t, 0) : "-", 1);
		snprintf(lab, sizeof lab, "%zu of %zu", p.placed_west, p.placed);
		td(tr, lab, 1);
		td(tr, tool_fmt(buf, sizeof buf, p.gpu_hours_domestic, 0), 1);
	}
	return doc;
}

int report_frontier(const char *path, const char *jobs, size_t njobs, const ewc_frontier *f)
{
	return save(path, build_frontier(jobs, njobs, f));
}

/* ---- the plan over time ------------------------------------------------------ */

/* One region's GPUs in use by slot (an area) under its free GPUs (dashed),
 * against its power price (the right-hand axis). */
static void occupancy_chart(xmlNodePtr parent, const ewc_plan *plan, const char *region,
                            size_t nslots)
{
	const double W = CHART_W, H = 220, l = 60, r = 70, top = 24, bottom = 36;
	ewc_slot_info *si = calloc(nslots, sizeof *si);
	double gmax = 1, pmax = 0, pmin = HUGE_VAL;
	char id[160], buf[64], lab[200];
	xmlNodePtr s, e;
	tool_buf area = { 0 }, cap = { 0 }, price = { 0 };

	if (!si)
		return;
	for (size_t k = 0; k < nslots; k++) {
		si[k] = (ewc_slot_info)EWC_SLOT_INFO_INIT;
		ewc_plan_slot(plan, region, k, &si[k]);
		gmax = fmax(gmax, (double)fmax(si[k].free_gpus, si[k].used_gpus));
		pmax = fmax(pmax, si[k].power_price);
		pmin = fmin(pmin, si[k].power_price);
	}
	if (pmax <= 0)
		pmax = 1;
	/* headroom, so that a flat price and a full pool do not draw one line */
	gmax *= 1.1;
	pmax *= 1.25;
#define PX(k) (l + (W - l - r) * (double)(k) / (double)nslots)
#define PY(v) (H - bottom - (H - bottom - top) * (v) / gmax)
#define PP(v) (H - bottom - (H - bottom - top) * (v) / pmax)
	snprintf(id, sizeof id, "chart-occupancy-%s", region);
	snprintf(lab, sizeof lab, "%s: GPUs in use by hour, against free GPUs and the power price",
	         region);
	s = svg(parent, id, W, H, lab);
	attr(s, "data-region", "%s", region);
	text_at(s, l, 14, "start", region);
	for (size_t k = 0; k <= nslots; k += 24) {
		char day[40];
		gridline(s, PX(k), top, PX(k), H - bottom);
		if (k + 12 <= nslots) {
			tool_clock(si[k < nslots ? k : nslots - 1].start_time, day, sizeof day);
			day[10] = '\0';
			text_at(s, PX(k) + 2, H - bottom + 14, "start", day + 5);
		}
	}
	axis(s, l, H - bottom, W - r, H - bottom);
	axis(s, l, top, l, H - bottom);
	axis(s, W - r, top, W - r, H - bottom);
	text_at(s, l - 6, PY(gmax) + 4, "end", tool_fmt(buf, sizeof buf, gmax, 0));
	text_at(s, l - 6, PY(0) + 4, "end", "0");
	text_at(s, W - r + 6, PP(pmax) + 4, "start", tool_fmt(buf, sizeof buf, pmax, 2));
	text_at(s, W - r + 6, PP(0) + 4, "start", "0");
	e = text_at(s, 14, (top + H - bottom) / 2, "middle", "GPUs");
	attr(e, "transform", "rotate(-90 14 %.0f)", (top + H - bottom) / 2);
	e = text_at(s, W - 12, (top + H - bottom) / 2, "middle", "CNY/kWh");
	attr(e, "transform", "rotate(90 %.0f %.0f)", W - 12, (top + H - bottom) / 2);
	text_at(s, (l + W - r) / 2, H - 6, "middle", "day (China Standard Time)");
	if (tool_buf_open(&area) != 0 || tool_buf_open(&cap) != 0 || tool_buf_open(&price) != 0)
		goto out;
	fprintf(area.f, "%.1f,%.1f", PX(0), PY(0));
	for (size_t k = 0; k < nslots; k++) {
		fprintf(area.f, " %.1f,%.1f %.1f,%.1f", PX(k), PY((double)si[k].used_gpus), PX(k + 1),
		        PY((double)si[k].used_gpus));
		fprintf(cap.f, "%s%.1f,%.1f %.1f,%.1f", k ? " " : "", PX(k),
		        PY((double)si[k].free_gpus), PX(k + 1), PY((double)si[k].free_gpus));
		fprintf(price.f, "%s%.1f,%.1f %.1f,%.1f", k ? " " : "", PX(k),
		        PP(si[k].power_price), PX(k + 1), PP(si[k].power_price));
	}
	fprintf(area.f, " %.1f,%.1f", PX(nslots), PY(0));
	if (tool_buf_close(&area) != 0 || tool_buf_close(&cap) != 0 || tool_buf_close(&price) != 0)
		goto out;
	e = el(s, "polygon", NULL);
	attr(e, "class", "area-used");
	xmlSetProp(e, BAD_CAST "points", BAD_CAST area.data);
	e = el(s, "polyline", NULL);
	attr(e, "class", "line-capacity");
	xmlSetProp(e, BAD_CAST "points", BAD_CAST cap.data);
	e = el(s, "polyline", NULL);
	attr(e, "class", "line-price");
	xmlSetProp(e, BAD_CAST "points", BAD_CAST price.data);
	attr(e, "data-min", "%.4f", pmin);
	attr(e, "data-max", "%.4f", pmax);
out:
	free(area.data);
	free(cap.data);
	free(price.data);
	free(si);
#undef PX
#undef PY
#undef PP
}

static htmlDocPtr build_time(const char *jobs, const ewc_plan *plan, size_t njobs)
{
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	ewc_time_split sp = EWC_TIME_SPLIT_INIT;
	ewc_totals t = EWC_TOTALS_INIT, b = EWC_TOTALS_INIT;
	xmlNodePtr body, sec, kp, table, tr;
	const char **regions = calloc(njobs ? njobs : 1, sizeof *regions);
	size_t nreg = 0;
	char buf[64], t0[40];

	if (!doc || !regions || ewc_plan_time_split(plan, &sp) != 0 || !sp.horizon_h) {
		if (doc)
			xmlFreeDoc(doc);
		free(regions);
		return NULL;
	}
	ewc_plan_totals(plan, &t);
	ewc_plan_baseline(plan, &b);
	tool_clock(sp.start_time, t0, sizeof t0);
	body = doc_start(doc, "ewc plan over time");
	el(body, "h1", "Plan over time");
	attr(elf(body, "p", "%zu jobs from %s over %d hours from %s (China Standard Time).", njobs,
	         jobs, sp.horizon_h, t0), "class", "meta");
	sec = el(body, "section", NULL);
	attr(sec, "id", "headline");
	kp = el(sec, "div", NULL);
	attr(kp, "class", "kpis");
	kpi(kp, "kpi-cost", "plan cost", t.cost_cny, "CNY", 2, 0);
	kpi(kp, "kpi-saving", "saved against near-origin at once", b.cost_cny - t.cost_cny, "CNY",
	    2, 1);
	kpi(kp, "kpi-where", "of it, by the choice of region", sp.where_cost_cny, "CNY", 2, 1);
	kpi(kp, "kpi-when", "of it, by the choice of time", sp.when_cost_cny, "CNY", 2, 1);
	kpi(kp, "kpi-carbon-when", "market-based carbon the choice of time avoids",
	    sp.when_carbon_kg, "kg", 1, 1);
	sec = el(body, "section", NULL);
	attr(sec, "id", "occupancy");
	el(sec, "h2", "GPUs in use, by region");
	el(sec, "p", "The blue area is the GPUs the plan's jobs hold in each hour, the dashed line "
	             "the GPUs free, the orange line the power price (right-hand axis).");
	for (size_t i = 0; i < njobs; i++) {
		ewc_assignment a = EWC_ASSIGNMENT_INIT;
		int seen = 0;
		ewc_plan_assignment(plan, i, &a);
		if (!a.region)
			continue;
		for (size_t k = 0; k < nreg && !seen; k++)
			seen = strcmp(regions[k], a.region) == 0;
		if (!seen)
			regions[nreg++] = a.region;
	}
	for (size_t k = 0; k < nreg; k++)
		occupancy_chart(sec, plan, regions[k], (size_t)sp.horizon_h);
	sec = el(body, "section", NULL);
	attr(sec, "id", "jobs");
	el(sec, "h2", "When each job runs");
	table = el(sec, "table", NULL);
	tr = el(table, "tr", NULL);
	th(tr, "job", 0);
	th(tr, "region", 0);
	th(tr, "type", 0);
	th(tr, "GPUs", 1);
	th(tr, "start", 0);
	th(tr, "end", 0);
	th(tr, "cost, CNY", 1);
	th(tr, "why it waits", 0);
	for (size_t i = 0; i < njobs; i++) {
		ewc_assignment a = EWC_ASSIGNMENT_INIT;
		char c1[40], c2[40];
		ewc_plan_assignment(plan, i, &a);
		tr = el(table, "tr", NULL);
		td(tr, a.job, 0);
		if (!a.region) {
			td(tr, "unplaced", 0);
			xmlNodePtr c = el(tr, "td", a.reason);
			attr(c, "colspan", "6");
			continue;
		}
		tool_clock(a.start_time, c1, sizeof c1);
		tool_clock(a.end_time, c2, sizeof c2);
		td(tr, a.region, 0);
		td(tr, a.gpu_type, 0);
		td(tr, tool_fmt(buf, sizeof buf, (double)a.gpus, 0), 1);
		td(tr, c1, 0);
		td(tr, c2, 0);
		td(tr, money(buf, sizeof buf, a.cost_cny), 1);
		td(tr, a.wait ? a.wait : "", 0);
	}
	free(regions);
	return doc;
}

int report_time(const char *path, const char *jobs, const ewc_plan *plan, size_t njobs,
                tool_staged *st)
{
	htmlDocPtr doc = build_time(jobs, plan, njobs);
	xmlChar *mem = NULL;
	int size = 0, rc;

	if (!doc) {
		tool_error("%s: cannot build the report: %s", path, ewc_errmsg());
		return -1;
	}
	htmlDocDumpMemoryFormat(doc, &mem, &size, 1);
	xmlFreeDoc(doc);
	if (!mem) {
		tool_error("%s: out of memory", path);
		return -1;
	}
	rc = tool_stage(st, path, (const char *)mem, (size_t)size);
	xmlFree(mem);
	return rc;
}
