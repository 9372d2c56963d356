/* regions.c - load and validate region descriptors and the GPU catalog (XML) */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "ewc_int.h"
#include "xml_int.h"

/* Larger descriptor files than this are refused rather than parsed. */
#define EWC__XML_MAX_BYTES (64u * 1024u * 1024u)

static const char schema_rng[] =
#include "schema_rng.h"
	;

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

/* One input document, read and parsed. */
typedef struct doc {
	char *name;
	char *data;      /* owned copy for files, NULL for caller buffers */
	const char *buf;
	size_t len;
	xmlDocPtr xml;
	int is_catalog;
} doc;

typedef struct loader {
	ewc__world w;
	ewc__diag d;
	doc *docs;
	size_t ndocs, capdocs;
	int io_error;
	/* where each region id was first seen, for duplicate messages */
	const char **region_file;
} loader;

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
	}
	free(w->regions);
	for (size_t i = 0; i < w->nsites; i++)
		free(w->sites[i]);
	free(w->sites);
	memset(w, 0, sizeof *w);
}

int ewc__world_copy(ewc__world *dst, const ewc__world *src)
{
	memset(dst, 0, sizeof *dst);
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
		if (!b->id || !b->name || !b->file || !b->gpus || !b->links) {
			dst->nregions++; /* so that world_free frees what was copied */
			goto oom;
		}
		if (a->ngpus) /* a region may have no GPUs or links: no NULL to memcpy */
			memcpy(b->gpus, a->gpus, a->ngpus * sizeof *b->gpus);
		if (a->nlinks)
			memcpy(b->links, a->links, a->nlinks * sizeof *b->links);
	}
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

int ewc__region_find(const ewc__world *w, const char *id)
{
	for (size_t i = 0; i < w->nregions; i++)
		if (strcmp(w->regions[i].id, id) == 0)
			return (int)i;
	return -1;
}

int ewc__site_find(const ewc__world *w, const char *site)
{
	for (size_t i = 0; i < w->nsites; i++)
		if (strcmp(w->sites[i], site) == 0)
			return (int)i;
	return -1;
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

static int valid_name(const char *s, int lower_only)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		         c == '_' || c == '-' || (!lower_only && c >= 'A' && c <= 'Z');
		if (!ok)
			return 0;
	}
	return 1;
}

static int add_doc(loader *L, const char *name, char *data, const char *buf, size_t len)
{
	if (L->ndocs == L->capdocs) {
		size_t cap = L->capdocs ? 2 * L->capdocs : 8;
		doc *v = realloc(L->docs, cap * sizeof *v);
		if (!v)
			return EWC_ENOMEM;
		L->docs = v;
		L->capdocs = cap;
	}
	doc *dc = &L->docs[L->ndocs];
	memset(dc, 0, sizeof *dc);
	dc->name = ewc__strdup(name);
	if (!dc->name)
		return EWC_ENOMEM;
	dc->data = data;
	dc->buf = buf;
	dc->len = len;
	L->ndocs++;
	return 0;
}

static int read_file(loader *L, const char *path)
{
	char *data;
	size_t len;
	int rc = ewc__slurp(path, EWC__XML_MAX_BYTES, &data, &len);

	if (rc == EWC_ENOMEM)
		return rc;
	if (rc) { /* reported with the other problems of the load */
		ewc__diag_add(&L->d, "%s", ewc_errmsg(NULL));
		L->io_error |= rc == EWC_EIO;
		return 0;
	}
	if (add_doc(L, path, data, data, len) != 0) {
		free(data);
		return EWC_ENOMEM;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_dir(loader *L, const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!dir) {
		ewc__diag_add(&L->d, "%s: cannot open folder: %s", path, strerror(errno));
		L->io_error = 1;
		return 0;
	}
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			char **v = realloc(names, nc * sizeof *v);
			if (!v) {
				rc = EWC_ENOMEM;
				goto out;
			}
			names = v;
			cap = nc;
		}
		size_t plen = strlen(path);
		names[n] = ewc__asprintf("%s%s%s", path,
		                         plen && path[plen - 1] == '/' ? "" : "/", e->d_name);
		if (!names[n]) {
			rc = EWC_ENOMEM;
			goto out;
		}
		n++;
	}
	if (n == 0)
		ewc__diag_add(&L->d, "%s: folder has no *.xml files", path);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_file(L, names[i]);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return rc;
}

static int read_path(loader *L, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		ewc__diag_add(&L->d, "%s: %s", path, strerror(errno));
		L->io_error = 1;
		return 0;
	}
	return S_ISDIR(st.st_mode) ? read_dir(L, path) : read_file(L, path);
}

static void strip_nl(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* libxml2 prints some errors (bad encodings, I/O) through the thread's
 * generic error handler whatever the parser's options say; the library
 * never prints, so that handler is silenced while ewc parses, then
 * restored for the application. */
static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void ewc__xml_quiet_begin(ewc__xml_quiet *q)
{
	pthread_once(&xml_once, xml_init);
	q->fn = (void (*)(void *, const char *, ...))xmlGenericError;
	q->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
}

void ewc__xml_quiet_end(const ewc__xml_quiet *q)
{
	xmlSetGenericErrorFunc(q->ctx, (xmlGenericErrorFunc)q->fn);
}

xmlDocPtr ewc__xml_parse(const char *name, const char *buf, size_t len, ewc__diag *d)
{
	xmlParserCtxtPtr px;
	xmlDocPtr xml;
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	           XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA;

	pthread_once(&xml_once, xml_init);
	if (len > (size_t)INT32_MAX) {
		ewc__diag_add(d, "%s: too large", name);
		return NULL;
	}
	px = xmlNewParserCtxt();
	if (!px) {
		d->oom = 1;
		return NULL;
	}
	ewc__xml_quiet q;
	ewc__xml_quiet_begin(&q);
	xml = xmlCtxtReadMemory(px, buf, (int)len, name, NULL, opts);
	ewc__xml_quiet_end(&q);
	if (!xml) {
		const xmlError *e = xmlCtxtGetLastError(px);
		char msg[512];
		snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "not well-formed");
		strip_nl(msg);
		ewc__diag_add(d, "%s:%d: XML: %s", name, e ? e->line : 0, msg);
	} else if (xml->intSubset || xml->extSubset) {
		/* libxml2 keeps no line for the DTD node: find it in the text */
		const char *at = NULL;
		long line = 1;
		for (size_t i = 0; i + 9 <= len && !at; i++)
			if (memcmp(buf + i, "<!DOCTYPE", 9) == 0)
				at = buf + i;
		for (const char *q = buf; at && q < at; q++)
			line += *q == '\n';
		ewc__diag_add(d, "%s:%ld: <!DOCTYPE>: document type declarations are not allowed",
		              name, line);
		xmlFreeDoc(xml);
		xml = NULL;
	}
	xmlFreeParserCtxt(px);
	return xml;
}

static void parse_doc(loader *L, doc *dc)
{
	dc->xml = ewc__xml_parse(dc->name, dc->buf, dc->len, &L->d);
}

/* The attribute's value (a fresh string) or NULL, reporting it when it is
 * required. */
static char *attr(loader *L, const doc *dc, xmlNodePtr n, const char *name, int required)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	if (!v && required)
		ewc__diag_add(&L->d, "%s:%ld: %s@%s: required attribute is missing", dc->name,
		              xmlGetLineNo(n), (const char *)n->name, name);
	return (char *)v;
}

static int attr_num(loader *L, const doc *dc, xmlNodePtr n, const char *name,
                    int required, ewc__range r, double *out)
{
	char *v = attr(L, dc, n, name, required);
	double x;
	int ok = 0;

	if (!v)
		return !required;
	if (ewc__parse_double(v, &x) != 0)
		ewc__diag_add(&L->d, "%s:%ld: %s@%s: must be a number %s, got \"%s\"", dc->name,
		              xmlGetLineNo(n), (const char *)n->name, name, ewc__range_text(r), v);
	else if (!ewc__in_range(x, r))
		ewc__diag_add(&L->d, "%s:%ld: %s@%s: must be %s, got \"%s\"", dc->name,
		              xmlGetLineNo(n), (const char *)n->name, name, ewc__range_text(r), v);
	else {
		*out = x;
		ok = 1;
	}
	xmlFree(v);
	return ok;
}

/* Report attributes not in `allowed` (a NULL-terminated list). */
void ewc__xml_check_attrs(ewc__diag *d, const char *file, xmlNodePtr n,
                          const char *const *allowed)
{
	for (xmlAttrPtr a = n->properties; a; a = a->next) {
		int known = 0;
		for (const char *const *p = allowed; *p; p++)
			if (strcmp((const char *)a->name, *p) == 0)
				known = 1;
		if (!known)
			ewc__diag_add(d, "%s:%ld: %s@%s: unknown attribute", file, xmlGetLineNo(n),
			              (const char *)n->name, (const char *)a->name);
	}
}

static void check_attrs(loader *L, const doc *dc, xmlNodePtr n, const char *const *allowed)
{
	ewc__xml_check_attrs(&L->d, dc->name, n, allowed);
}

static int is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Non-element, non-blank content (text, entity references) where only
 * elements belong is an error; comments are welcome. */
static void check_content(loader *L, const doc *dc, xmlNodePtr n, const char *where)
{
	if (n->type == XML_TEXT_NODE) {
		for (const xmlChar *c = n->content; c && *c; c++)
			if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') {
				ewc__diag_add(&L->d, "%s:%ld: <%s>: unexpected text", dc->name,
				              xmlGetLineNo(n), where);
				return;
			}
	} else if (n->type != XML_ELEMENT_NODE && n->type != XML_COMMENT_NODE &&
	           n->type != XML_PI_NODE) {
		ewc__diag_add(&L->d, "%s:%ld: <%s>: unexpected content", dc->name,
		              xmlGetLineNo(n), where);
	}
}

static void load_catalog(loader *L, const doc *dc)
{
	static const char *const allowed[] = { "type", "watts", "perf", "name", "domestic", NULL };
	xmlNodePtr root = xmlDocGetRootElement(dc->xml);

	check_attrs(L, dc, root, (const char *const[]){ NULL });
	for (xmlNodePtr n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE) {
			check_content(L, dc, n, "gpus");
			continue;
		}
		if (!is_elem(n, "gpu")) {
			ewc__diag_add(&L->d, "%s:%ld: <%s>: unknown element in <gpus>", dc->name,
			              xmlGetLineNo(n), (const char *)n->name);
			continue;
		}
		check_attrs(L, dc, n, allowed);
		ewc__gpu g = { 0 };
		char *type = attr(L, dc, n, "type", 1);
		int ok = type != NULL;
		if (type && !valid_name(type, 0)) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@type: must match [A-Za-z0-9._-]+, got \"%s\"",
			              dc->name, xmlGetLineNo(n), type);
			ok = 0;
		} else if (type && ewc__gpu_find(&L->w, type) >= 0) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@type: duplicate type \"%s\"", dc->name,
			              xmlGetLineNo(n), type);
			ok = 0;
		}
		ok &= attr_num(L, dc, n, "watts", 1, EWC__R_GT0, &g.watts);
		ok &= attr_num(L, dc, n, "perf", 1, EWC__R_GT0, &g.perf);
		char *dom = attr(L, dc, n, "domestic", 0);
		if (dom && strcmp(dom, "true") && strcmp(dom, "false")) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@domestic: must be true or false, got \"%s\"",
			              dc->name, xmlGetLineNo(n), dom);
			ok = 0;
		}
		g.domestic = dom && strcmp(dom, "true") == 0;
		xmlFree(dom);
		if (ok) {
			ewc__gpu *v = realloc(L->w.gpus, (L->w.ngpus + 1) * sizeof *v);
			g.type = ewc__strdup(type);
			if (!v || !g.type) {
				free(g.type);
				if (v)
					L->w.gpus = v;
				L->d.oom = 1;
			} else {
				L->w.gpus = v;
				L->w.gpus[L->w.ngpus++] = g;
			}
		}
		xmlFree(type);
	}
}

static int intern_site(loader *L, const char *s)
{
	int i = ewc__site_find(&L->w, s);
	char **v;

	if (i >= 0)
		return i;
	v = realloc(L->w.sites, (L->w.nsites + 1) * sizeof *v);
	if (!v)
		return -1;
	L->w.sites = v;
	v[L->w.nsites] = ewc__strdup(s);
	if (!v[L->w.nsites])
		return -1;
	return (int)L->w.nsites++;
}

static void load_region_gpu(loader *L, const doc *dc, xmlNodePtr n, ewc__region *r)
{
	static const char *const allowed[] = { "type", "free", "price", NULL };
	char *type = attr(L, dc, n, "type", 1);
	ewc__rgpu g = { -1, 0, 0 };
	int ok = type != NULL;

	check_attrs(L, dc, n, allowed);
	if (type) {
		g.type = ewc__gpu_find(&L->w, type);
		if (g.type < 0) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@type: \"%s\" is not in the GPU catalog",
			              dc->name, xmlGetLineNo(n), type);
			ok = 0;
		} else if (ewc__region_gpu(r, g.type) >= 0) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@type: \"%s\" listed twice in region \"%s\"",
			              dc->name, xmlGetLineNo(n), type, r->id ? r->id : "?");
			ok = 0;
		}
	}
	char *fv = attr(L, dc, n, "free", 1);
	if (fv) {
		long x;
		if (ewc__parse_long(fv, &x) != 0 || x < 0) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@free: must be an integer >= 0, got \"%s\"",
			              dc->name, xmlGetLineNo(n), fv);
			ok = 0;
		} else {
			g.free = x;
		}
		xmlFree(fv);
	} else {
		ok = 0;
	}
	ok &= attr_num(L, dc, n, "price", 1, EWC__R_GE0, &g.price);
	if (ok) {
		ewc__rgpu *v = realloc(r->gpus, (r->ngpus + 1) * sizeof *v);
		if (!v)
			L->d.oom = 1;
		else {
			r->gpus = v;
			r->gpus[r->ngpus++] = g;
		}
	}
	xmlFree(type);
}

static void load_link(loader *L, const doc *dc, xmlNodePtr n, ewc__region *r)
{
	static const char *const allowed[] = { "site", "latency-ms", "price-per-gb", "gbps", NULL };
	char *site = attr(L, dc, n, "site", 1);
	ewc__link k = { -1, 0, 0, 0 };
	int ok = site != NULL;

	check_attrs(L, dc, n, allowed);
	if (site && !valid_name(site, 0)) {
		ewc__diag_add(&L->d, "%s:%ld: link@site: must match [A-Za-z0-9._-]+, got \"%s\"",
		              dc->name, xmlGetLineNo(n), site);
		ok = 0;
	}
	ok &= attr_num(L, dc, n, "latency-ms", 1, EWC__R_GE0, &k.latency_ms);
	ok &= attr_num(L, dc, n, "price-per-gb", 1, EWC__R_GE0, &k.price_per_gb);
	ok &= attr_num(L, dc, n, "gbps", 0, EWC__R_GT0, &k.gbps);
	if (ok) {
		k.site = intern_site(L, site);
		if (k.site < 0) {
			L->d.oom = 1;
		} else if (ewc__region_link(r, k.site)) {
			ewc__diag_add(&L->d, "%s:%ld: link@site: \"%s\" linked twice in region \"%s\"",
			              dc->name, xmlGetLineNo(n), site, r->id ? r->id : "?");
		} else {
			ewc__link *v = realloc(r->links, (r->nlinks + 1) * sizeof *v);
			if (!v)
				L->d.oom = 1;
			else {
				r->links = v;
				r->links[r->nlinks++] = k;
			}
		}
	}
	xmlFree(site);
}

static void load_power(loader *L, const doc *dc, xmlNodePtr n, ewc__region *r)
{
	static const char *const allowed[] = { "price", "green-share", "grid-factor", "pue", NULL };

	check_attrs(L, dc, n, allowed);
	attr_num(L, dc, n, "price", 1, EWC__R_GE0, &r->power_price);
	attr_num(L, dc, n, "green-share", 1, EWC__R_01, &r->green_share);
	attr_num(L, dc, n, "grid-factor", 1, EWC__R_GE0, &r->grid_factor);
	attr_num(L, dc, n, "pue", 1, EWC__R_GE1, &r->pue);
}

static void free_region(ewc__region *r)
{
	free(r->id);
	free(r->name);
	free(r->file);
	free(r->gpus);
	free(r->links);
}

static void load_region(loader *L, const doc *dc, xmlNodePtr n)
{
	static const char *const allowed[] = { "id", "name", "zone", NULL };
	ewc__region r = { 0 };
	size_t before = L->d.n + L->d.dropped;
	int npower = 0;
	char *id = attr(L, dc, n, "id", 1);
	char *name = attr(L, dc, n, "name", 0);
	char *zone = attr(L, dc, n, "zone", 1);

	check_attrs(L, dc, n, allowed);
	r.line = (int)xmlGetLineNo(n);
	if (id && !valid_name(id, 1)) {
		ewc__diag_add(&L->d, "%s:%d: region@id: must match [a-z0-9._-]+, got \"%s\"",
		              dc->name, r.line, id);
	} else if (id) {
		int prev = ewc__region_find(&L->w, id);
		if (prev >= 0)
			ewc__diag_add(&L->d, "%s:%d: region@id: duplicate id \"%s\" (first at %s:%d)",
			              dc->name, r.line, id, L->w.regions[prev].file,
			              L->w.regions[prev].line);
	}
	if (zone && strcmp(zone, "east") == 0)
		r.zone = EWC_ZONE_EAST;
	else if (zone && strcmp(zone, "west") == 0)
		r.zone = EWC_ZONE_WEST;
	else if (zone)
		ewc__diag_add(&L->d, "%s:%d: region@zone: must be \"east\" or \"west\", got \"%s\"",
		              dc->name, r.line, zone);
	r.id = ewc__strdup(id ? id : "");
	r.name = ewc__strdup(name ? name : (id ? id : ""));
	r.file = ewc__strdup(dc->name);
	if (!r.id || !r.name || !r.file)
		L->d.oom = 1;

	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			check_content(L, dc, c, "region");
		else if (is_elem(c, "power")) {
			if (++npower > 1)
				ewc__diag_add(&L->d, "%s:%ld: <power>: region \"%s\" has more than one",
				              dc->name, xmlGetLineNo(c), r.id ? r.id : "");
			else
				load_power(L, dc, c, &r);
		} else if (is_elem(c, "gpu"))
			load_region_gpu(L, dc, c, &r);
		else if (is_elem(c, "link"))
			load_link(L, dc, c, &r);
		else
			ewc__diag_add(&L->d, "%s:%ld: <%s>: unknown element in <region>", dc->name,
			              xmlGetLineNo(c), (const char *)c->name);
	}
	if (npower == 0)
		ewc__diag_add(&L->d, "%s:%d: region \"%s\": <power> element is missing", dc->name,
		              r.line, r.id ? r.id : "");

	if (L->d.n + L->d.dropped == before && !L->d.oom) {
		ewc__region *v = realloc(L->w.regions, (L->w.nregions + 1) * sizeof *v);
		if (!v) {
			L->d.oom = 1;
			free_region(&r);
		} else {
			L->w.regions = v;
			L->w.regions[L->w.nregions++] = r;
		}
	} else {
		free_region(&r);
	}
	xmlFree(id);
	xmlFree(name);
	xmlFree(zone);
}

static void load_regions_doc(loader *L, const doc *dc)
{
	xmlNodePtr root = xmlDocGetRootElement(dc->xml);

	check_attrs(L, dc, root, (const char *const[]){ NULL });
	for (xmlNodePtr n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			check_content(L, dc, n, "regions");
		else if (is_elem(n, "region"))
			load_region(L, dc, n);
		else
			ewc__diag_add(&L->d, "%s:%ld: <%s>: unknown element in <regions>", dc->name,
			              xmlGetLineNo(n), (const char *)n->name);
	}
}

typedef struct rng_err {
	loader *L;
	const char *name;
} rng_err;

static void rng_error(void *user, xmlErrorPtr e)
{
	rng_err *re = user;
	char msg[512];

	snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "invalid");
	strip_nl(msg);
	ewc__diag_add(&re->L->d, "%s:%d: schema: %s", re->name, e ? e->line : 0, msg);
}

/* The structural check of regions/ewc.rng, behind the field checks above:
 * it only speaks when they found nothing. */
static void validate_schema_loud(loader *L, doc *dc)
{
	xmlRelaxNGParserCtxtPtr pc;
	xmlRelaxNGPtr schema;
	xmlRelaxNGValidCtxtPtr vc;
	rng_err re = { L, dc->name };

	pc = xmlRelaxNGNewMemParserCtxt(schema_rng, (int)(sizeof schema_rng - 1));
	if (!pc) {
		L->d.oom = 1;
		return;
	}
	schema = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	if (!schema) {
		ewc__diag_add(&L->d, "internal: the built-in schema does not compile");
		return;
	}
	vc = xmlRelaxNGNewValidCtxt(schema);
	if (vc) {
		xmlRelaxNGSetValidStructuredErrors(vc, rng_error, &re);
		if (xmlRelaxNGValidateDoc(vc, dc->xml) != 0 && L->d.n == 0)
			ewc__diag_add(&L->d, "%s: does not match the region schema", dc->name);
		xmlRelaxNGFreeValidCtxt(vc);
	} else {
		L->d.oom = 1;
	}
	xmlRelaxNGFree(schema);
}

static void validate_schema(loader *L, doc *dc)
{
	ewc__xml_quiet q;

	ewc__xml_quiet_begin(&q);
	validate_schema_loud(L, dc);
	ewc__xml_quiet_end(&q);
}

static void loader_free(loader *L)
{
	for (size_t i = 0; i < L->ndocs; i++) {
		free(L->docs[i].name);
		free(L->docs[i].data);
		if (L->docs[i].xml)
			xmlFreeDoc(L->docs[i].xml);
	}
	free(L->docs);
	ewc__world_free(&L->w);
	ewc__diag_free(&L->d);
}

int ewc_ctx_load_regions(ewc_ctx *ctx, const char *const *paths, size_t npaths,
                         const ewc_buffer *bufs, size_t nbufs)
{
	loader L;
	int rc = 0;
	const doc *catalog = NULL;

	if (!ctx || (npaths && !paths) || (nbufs && !bufs) || npaths + nbufs == 0)
		return ewc__seterr(EWC_EINVAL, "ewc_ctx_load_regions: nothing to load");
	pthread_once(&xml_once, xml_init);
	memset(&L, 0, sizeof L);

	for (size_t i = 0; i < npaths && rc == 0; i++) {
		if (!paths[i])
			rc = ewc__seterr(EWC_EINVAL, "ewc_ctx_load_regions: NULL path");
		else
			rc = read_path(&L, paths[i]);
	}
	for (size_t i = 0; i < nbufs && rc == 0; i++) {
		if (!bufs[i].data && bufs[i].len)
			rc = ewc__seterr(EWC_EINVAL, "ewc_ctx_load_regions: NULL buffer");
		else
			rc = add_doc(&L, bufs[i].name ? bufs[i].name : "<buffer>", NULL,
			             bufs[i].data ? bufs[i].data : "", bufs[i].len);
	}
	if (rc != 0)
		goto fail;

	/* Parse all, then the catalog first: regions refer to its types. */
	for (size_t i = 0; i < L.ndocs; i++) {
		doc *dc = &L.docs[i];
		parse_doc(&L, dc);
		if (!dc->xml)
			continue;
		xmlNodePtr root = xmlDocGetRootElement(dc->xml);
		if (root && strcmp((const char *)root->name, "gpus") == 0) {
			dc->is_catalog = 1;
			if (catalog)
				ewc__diag_add(&L.d, "%s:%ld: <gpus>: a second GPU catalog (the first is %s)",
				              dc->name, xmlGetLineNo(root), catalog->name);
			else
				catalog = dc;
		} else if (!root || strcmp((const char *)root->name, "regions") != 0) {
			ewc__diag_add(&L.d, "%s:%ld: <%s>: root element must be <regions> or <gpus>",
			              dc->name, root ? xmlGetLineNo(root) : 1L,
			              root ? (const char *)root->name : "?");
			xmlFreeDoc(dc->xml);
			dc->xml = NULL;
		}
	}
	if (catalog) {
		size_t before = L.d.n;
		load_catalog(&L, catalog);
		if (L.d.n == before)
			validate_schema(&L, (doc *)catalog);
		if (L.w.ngpus == 0 && L.d.n == before)
			ewc__diag_add(&L.d, "%s: the GPU catalog lists no <gpu>", catalog->name);
		if (L.d.n != before)
			catalog = NULL; /* its errors would echo through every region */
	} else if (L.d.n == 0) {
		ewc__diag_add(&L.d, "no GPU catalog: none of the inputs has the root element <gpus>");
	}
	/* without a catalog every GPU type would be unknown: say so once */
	for (size_t i = 0; catalog && i < L.ndocs; i++) {
		doc *dc = &L.docs[i];
		if (!dc->xml || dc->is_catalog)
			continue;
		size_t before = L.d.n + L.d.dropped;
		load_regions_doc(&L, dc);
		if (L.d.n + L.d.dropped == before)
			validate_schema(&L, dc);
	}
	if (L.w.nregions == 0 && L.d.n == 0 && !L.d.oom)
		ewc__diag_add(&L.d, "no regions: none of the inputs has a <region>");

	if (L.d.n || L.d.oom) {
		rc = L.d.oom && L.d.n == 0 ? EWC_ENOMEM : (L.io_error ? EWC_EIO : EWC_EINPUT);
		rc = ewc__diag_finish(&L.d, rc);
		goto fail;
	}
	ewc__lock(ctx);
	{
		ewc__world old = ctx->w;
		ctx->w = L.w;
		ctx->generation++;
		/* reservations named the old inventory's pools; the new inventory's
		 * free counts are the truth now */
		ctx->nresv = 0;
		ctx->nfree_slots = 0;
		ewc__unlock(ctx);
		ewc__world_free(&old);
	}
	memset(&L.w, 0, sizeof L.w);
	loader_free(&L);
	return 0;
fail:
	loader_free(&L);
	return rc;
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
	if (out->version != EWC_REGION_INFO_VERSION)
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

/* A policy file: <policy carbon-budget-kg="" min-green-share=""
 * max-region-share=""/>, each attribute optional. Read with the same
 * hardened parser as the descriptors. */
int ewc_policy_load(ewc_place_options *opts, const char *path)
{
	static const char *const allowed[] = { "carbon-budget-kg", "min-green-share",
	                                        "max-region-share", NULL };
	loader L;
	xmlNodePtr root;
	double budget = -1, green = -1, share = -1;
	int rc;

	if (!opts || !path)
		return ewc__seterr(EWC_EINVAL, "ewc_policy_load: NULL argument");
	if (opts->version < 3 || opts->version > EWC_PLACE_OPTIONS_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_policy_load: options version %u has no policy",
		                   opts->version);
	pthread_once(&xml_once, xml_init);
	memset(&L, 0, sizeof L);
	rc = read_file(&L, path);
	if (rc == 0 && L.ndocs == 1) {
		doc *dc = &L.docs[0];
		parse_doc(&L, dc);
		if (dc->xml && (root = xmlDocGetRootElement(dc->xml)) != NULL) {
			if (!is_elem(root, "policy")) {
				ewc__diag_add(&L.d, "%s:%ld: <%s>: the root element must be <policy>",
				              dc->name, xmlGetLineNo(root), (const char *)root->name);
			} else {
				check_attrs(&L, dc, root, allowed);
				for (xmlNodePtr n = root->children; n; n = n->next)
					if (n->type == XML_ELEMENT_NODE)
						ewc__diag_add(&L.d, "%s:%ld: <%s>: unknown element in <policy>",
						              dc->name, xmlGetLineNo(n), (const char *)n->name);
					else
						check_content(&L, dc, n, "policy");
				attr_num(&L, dc, root, "carbon-budget-kg", 0, EWC__R_GE0, &budget);
				attr_num(&L, dc, root, "min-green-share", 0, EWC__R_01, &green);
				attr_num(&L, dc, root, "max-region-share", 0, EWC__R_01, &share);
				if (share == 0)
					ewc__diag_add(&L.d, "%s:%ld: policy@max-region-share: must be > 0",
					              dc->name, xmlGetLineNo(root));
			}
		}
	}
	if (rc == 0 && L.d.oom)
		rc = EWC_ENOMEM;
	if (rc == 0)
		rc = ewc__diag_finish(&L.d, L.io_error ? EWC_EIO : EWC_EINPUT);
	else
		ewc__seterr(rc, "out of memory");
	if (rc == 0) {
		if (budget >= 0)
			opts->carbon_budget_kg = budget;
		if (green >= 0)
			opts->min_green_share = green;
		if (share >= 0)
			opts->max_region_share = share;
	}
	loader_free(&L);
	return rc;
}
