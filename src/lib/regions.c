/* regions.c - load and validate region descriptors and the GPU catalog (XML) */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "ewc_int.h"
#include "xml_int.h"

static const char schema_rng[] =
#include "schema_rng.h"
	;

/* One input document, read and parsed. */
typedef struct doc {
	char *name;
	char *data;      /* owned copy for files, NULL for caller buffers */
	const char *buf;
	size_t len;
	xmlDocPtr xml;
	int is_catalog;
	double mtime;    /* a file's modification time, NAN for a buffer */
} doc;

typedef struct loader {
	ewc__world w;
	ewc__diag d;
	doc *docs;
	size_t ndocs, capdocs;
	int io_error;
	/* where each region id was first seen, for duplicate messages */
	const char **region_file;
	double now;      /* the load's time: a buffer's figures are as of it */
} loader;

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
	dc->mtime = NAN;
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
		ewc__diag_add(&L->d, "%s", ewc_errmsg());
		L->io_error |= rc == EWC_EIO;
		return 0;
	}
	if (add_doc(L, path, data, data, len) != 0) {
		free(data);
		return EWC_ENOMEM;
	}
	{
		struct stat st;
		if (stat(path, &st) == 0)
			L->docs[L->ndocs - 1].mtime = (double)st.st_mtime;
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
	else /* qsort wants a real array, even of none */
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

static void parse_doc(loader *L, doc *dc)
{
	dc->xml = ewc__xml_parse(dc->name, dc->buf, dc->len, &L->d);
}

static char *attr(loader *L, const doc *dc, xmlNodePtr n, const char *name, int required)
{
	return ewc__xml_attr(&L->d, dc->name, n, name, required);
}

static int attr_num(loader *L, const doc *dc, xmlNodePtr n, const char *name,
                    int required, ewc__range r, double *out)
{
	return ewc__xml_attr_num(&L->d, dc->name, n, name, required, r, out);
}

static void check_attrs(loader *L, const doc *dc, xmlNodePtr n, const char *const *allowed)
{
	ewc__xml_check_attrs(&L->d, dc->name, n, allowed);
}

static int is_elem(xmlNodePtr n, const char *name)
{
	return ewc__xml_is_elem(n, name);
}

static void check_content(loader *L, const doc *dc, xmlNodePtr n, const char *where)
{
	ewc__xml_check_content(&L->d, dc->name, n, where);
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
		ok &= attr_num(L, dc, n, "perf", 1, EWC__R_PERF, &g.perf);
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
	if (L->w.nsites == L->w.capsites) {
		size_t nc = L->w.capsites ? 2 * L->w.capsites : 16;
		v = realloc(L->w.sites, nc * sizeof *v);
		if (!v)
			return -1;
		L->w.sites = v;
		L->w.capsites = nc;
	}
	L->w.sites[L->w.nsites] = ewc__strdup(s);
	if (!L->w.sites[L->w.nsites])
		return -1;
	ewc__world_index_site(&L->w, L->w.nsites);
	return (int)L->w.nsites++;
}

static void load_region_gpu(loader *L, const doc *dc, xmlNodePtr n, ewc__region *r)
{
	static const char *const allowed[] = { "type", "free", "price", NULL };
	char *type = attr(L, dc, n, "type", 1);
	ewc__rgpu g = { -1, 0, 0, 0, 0 };
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
		if (ewc__parse_long(fv, &x) != 0 || x < 0 || (double)x > EWC__FIGURE_MAX) {
			ewc__diag_add(&L->d, "%s:%ld: gpu@free: must be an integer from 0 to 1e+12, got \"%s\"",
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
	ewc__when_free(r->when);
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
		else if (is_elem(c, "tariff"))
			ewc__when_load_tariff(&L->d, dc->name, c, &r);
		else if (is_elem(c, "hourly"))
			ewc__when_load_hourly(&L->d, dc->name, c, &r, &L->w);
		else
			ewc__diag_add(&L->d, "%s:%ld: <%s>: unknown element in <region>", dc->name,
			              xmlGetLineNo(c), (const char *)c->name);
	}
	if (npower == 0)
		ewc__diag_add(&L->d, "%s:%d: region \"%s\": <power> element is missing", dc->name,
		              r.line, r.id ? r.id : "");

	if (L->d.n + L->d.dropped == before && !L->d.oom) {
		ewc__region *v = L->w.regions;
		if (L->w.nregions == L->w.capregions) {
			size_t nc = L->w.capregions ? 2 * L->w.capregions : 16;
			v = realloc(L->w.regions, nc * sizeof *v);
			if (v) {
				L->w.regions = v;
				L->w.capregions = nc;
			}
		}
		if (!v) {
			L->d.oom = 1;
			free_region(&r);
		} else {
			L->w.regions[L->w.nregions] = r;
			ewc__world_index_region(&L->w, L->w.nregions);
			L->w.nregions++;
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

	size_t first = L->w.nregions;
	double as_of = isfinite(dc->mtime) ? dc->mtime : L->now;
	char *at;

	check_attrs(L, dc, root, (const char *const[]){ "as-of", NULL });
	at = (char *)xmlGetProp(root, (const xmlChar *)"as-of");
	if (at) {
		double t;
		if (ewc__time_parse_iso(at, &t) != 0)
			ewc__diag_add(&L->d, "%s:%ld: regions@as-of: must be an ISO 8601 time "
			              "(2026-11-22T06:00:00Z), got \"%s\"", dc->name, xmlGetLineNo(root),
			              at);
		else
			as_of = t;
		xmlFree(at);
	}
	for (xmlNodePtr n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			check_content(L, dc, n, "regions");
		else if (is_elem(n, "region"))
			load_region(L, dc, n);
		else
			ewc__diag_add(&L->d, "%s:%ld: <%s>: unknown element in <regions>", dc->name,
			              xmlGetLineNo(n), (const char *)n->name);
	}
	for (size_t i = first; i < L->w.nregions; i++)
		L->w.regions[i].as_of = as_of;
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
	ewc__strip_nl(msg);
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
	ewc__xml_init();
	memset(&L, 0, sizeof L);
	L.now = (double)time(NULL);

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
