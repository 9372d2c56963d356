/* feed.c - `ewc regions sync`: fetch published region data over HTTPS with
 * libcurl and keep each feed's latest good copy in the state database */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/tree.h>

#include "db_int.h"
#include "xml_int.h"

#define FEEDS_MAX_BYTES (1024u * 1024u)
#define MAP_MAX_BYTES (16u * 1024u * 1024u)
#define HEADER_MAX 1024
/* Longest wait between two attempts, whatever the backoff asks. */
#define BACKOFF_MAX_S 60.0

/* One <feed> of the feeds file. */
typedef struct feed {
	char *name, *url, *format;
	char *map;              /* the map's text, or NULL (format ewc) */
	size_t map_len;
	char *map_name;
	char *token_env, *token_header;
	double timeout_s, connect_timeout_s, backoff_s;
	long retries;
	double max_bytes;
	int loopback;           /* insecure-http="loopback" */
	ewc_import_options io;
} feed;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void feed_free(feed *f)
{
	free(f->name);
	free(f->url);
	free(f->format);
	free(f->map);
	free(f->map_name);
	free(f->token_env);
	free(f->token_header);
}

/* ---- the feeds file ------------------------------------------------------ */

static char *prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? ewc__strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

/* A number attribute in [lo, hi], or `def` when absent. */
static void prop_num(ewc__diag *d, const char *file, xmlNodePtr n, const char *name, double lo,
                     double hi, double def, double *out)
{
	char *v = prop(n, name);
	double x;

	*out = def;
	if (!v)
		return;
	if (ewc__parse_double(v, &x) != 0 || x < lo || x > hi)
		ewc__diag_add(d, "%s:%ld: feed@%s: must be a number from %g to %g, got \"%.100s\"",
		              file, xmlGetLineNo(n), name, lo, hi, v);
	else
		*out = x;
	free(v);
}

/* 1 when the URL's host is this machine. */
static int loopback_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int ok = 0;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		ok = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
		     strcmp(host, "localhost") == 0;
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* A path in the feeds file is relative to the feeds file's folder. */
static char *relative(const char *base, const char *path)
{
	const char *slash = strrchr(base, '/');

	if (path[0] == '/' || !slash)
		return ewc__strdup(path);
	return ewc__asprintf("%.*s/%s", (int)(slash - base), base, path);
}

static void read_feed(ewc__diag *d, const char *file, xmlNodePtr n, feed *f)
{
	static const char *const allowed[] = {
		"name", "url", "format", "map", "token-env", "token-header", "timeout-s",
		"connect-timeout-s", "max-bytes", "retries", "backoff-s", "insecure-http",
		"window-h", "currency-rate", "spot", NULL
	};
	ewc_import_options def = EWC_IMPORT_OPTIONS_INIT;
	long line = xmlGetLineNo(n);
	char *map, *insecure, *spot;
	double retries;

	ewc__xml_check_attrs(d, file, n, allowed);
	f->io = def;
	f->name = prop(n, "name");
	f->url = prop(n, "url");
	f->format = prop(n, "format");
	f->token_env = prop(n, "token-env");
	f->token_header = prop(n, "token-header");
	map = prop(n, "map");
	insecure = prop(n, "insecure-http");
	spot = prop(n, "spot");
	if (!f->name || !*f->name || strlen(f->name) > 64)
		ewc__diag_add(d, "%s:%ld: feed@name: required, 1 to 64 characters", file, line);
	if (!f->url)
		ewc__diag_add(d, "%s:%ld: feed@url: required attribute is missing", file, line);
	if (!f->format || !ewc_import_format_known(f->format))
		ewc__diag_add(d, "%s:%ld: feed@format: must be google-cfe, casdk, electricitymaps, "
		              "skypilot or ewc, got \"%.64s\"", file, line, f->format ? f->format : "");
	if (insecure && strcmp(insecure, "loopback") != 0)
		ewc__diag_add(d, "%s:%ld: feed@insecure-http: the only value is \"loopback\"", file,
		              line);
	f->loopback = insecure != NULL;
	if (f->url) {
		if (strncasecmp(f->url, "https://", 8) == 0) {
			/* fine */
		} else if (strncasecmp(f->url, "http://", 7) == 0) {
			if (!f->loopback)
				ewc__diag_add(d, "%s:%ld: feed@url: must be https:// (plain http only for "
				              "tests: insecure-http=\"loopback\" with a 127.0.0.1 host)", file,
				              line);
			else if (!loopback_host(f->url))
				ewc__diag_add(d, "%s:%ld: feed@url: insecure-http=\"loopback\" allows only "
				              "127.0.0.1, [::1] or localhost", file, line);
		} else {
			ewc__diag_add(d, "%s:%ld: feed@url: must be an https:// URL", file, line);
		}
	}
	if (f->token_header && !f->token_env)
		ewc__diag_add(d, "%s:%ld: feed@token-header: needs token-env", file, line);
	if (f->token_header && (!*f->token_header || strpbrk(f->token_header, ": \r\n")))
		ewc__diag_add(d, "%s:%ld: feed@token-header: must be a header name", file, line);
	if (f->token_env && !*f->token_env)
		ewc__diag_add(d, "%s:%ld: feed@token-env: must name an environment variable", file,
		              line);
	prop_num(d, file, n, "timeout-s", 0.01, 3600, 30, &f->timeout_s);
	prop_num(d, file, n, "connect-timeout-s", 0.01, 600, 10, &f->connect_timeout_s);
	prop_num(d, file, n, "max-bytes", 1, 1024.0 * 1024 * 1024, 16.0 * 1024 * 1024,
	         &f->max_bytes);
	prop_num(d, file, n, "retries", 0, 10, 3, &retries);
	if (retries != floor(retries))
		ewc__diag_add(d, "%s:%ld: feed@retries: must be a whole number", file, line);
	f->retries = (long)retries;
	prop_num(d, file, n, "backoff-s", 0, 600, 1, &f->backoff_s);
	prop_num(d, file, n, "window-h", 0.001, 24 * 366, 24, &f->io.window_h);
	prop_num(d, file, n, "currency-rate", 1e-9, 1e9, 1, &f->io.currency_rate);
	if (spot && strcmp(spot, "true") && strcmp(spot, "false"))
		ewc__diag_add(d, "%s:%ld: feed@spot: must be true or false", file, line);
	f->io.spot = spot && strcmp(spot, "true") == 0;
	f->io.format = f->format;
	if (map) {
		char *path = relative(file, map);
		if (!path) {
			d->oom = 1;
		} else if (ewc__slurp(path, MAP_MAX_BYTES, &f->map, &f->map_len) != 0) {
			ewc__diag_add(d, "%s:%ld: feed@map: %s", file, line, ewc_errmsg());
			free(path);
		} else {
			f->map_name = path;
		}
	} else if (f->format && strcmp(f->format, "ewc") != 0) {
		ewc__diag_add(d, "%s:%ld: feed@map: required for format %s", file, line, f->format);
	}
	free(map);
	free(insecure);
	free(spot);
}

static int read_feeds(const char *path, feed **out, size_t *nout)
{
	ewc__diag d;
	char *data;
	size_t len, n = 0, cap = 0;
	xmlDocPtr doc;
	xmlNodePtr root;
	feed *v = NULL;
	int rc;

	*out = NULL;
	*nout = 0;
	memset(&d, 0, sizeof d);
	if ((rc = ewc__slurp(path, FEEDS_MAX_BYTES, &data, &len)) != 0)
		return rc;
	doc = ewc__xml_parse(path, data, len, &d);
	free(data);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (doc && (!root || strcmp((const char *)root->name, "feeds") != 0))
		ewc__diag_add(&d, "%s: the root element must be <feeds>", path);
	for (xmlNodePtr c = root && d.n == 0 ? root->children : NULL; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_COMMENT_NODE)
			continue;
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "feed") != 0) {
			ewc__diag_add(&d, "%s:%ld: <%s>: only <feed> elements belong in <feeds>", path,
			              xmlGetLineNo(c), c->name ? (const char *)c->name : "?");
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 8;
			feed *w = realloc(v, nc * sizeof *w);
			if (!w) {
				d.oom = 1;
				break;
			}
			v = w;
			cap = nc;
		}
		memset(&v[n], 0, sizeof v[n]);
		read_feed(&d, path, c, &v[n]);
		for (size_t k = 0; k < n; k++)
			if (v[n].name && v[k].name && strcmp(v[k].name, v[n].name) == 0)
				ewc__diag_add(&d, "%s:%ld: feed@name: \"%s\" is used twice", path,
				              xmlGetLineNo(c), v[n].name);
		n++;
	}
	if (doc && root && d.n == 0 && n == 0)
		ewc__diag_add(&d, "%s: no <feed> elements", path);
	if (doc)
		xmlFreeDoc(doc);
	if (d.oom && d.n == 0) {
		ewc__diag_free(&d);
		rc = ewc__seterr(EWC_ENOMEM, "out of memory");
	} else {
		rc = ewc__diag_finish(&d, EWC_EINPUT);
	}
	if (rc) {
		for (size_t k = 0; k < n; k++)
			feed_free(&v[k]);
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* ---- one HTTP exchange ---------------------------------------------------- */

typedef struct body {
	char *data;
	size_t len, cap, max;
	int over;               /* the body passed max */
	char etag[HEADER_MAX], last_modified[HEADER_MAX];
} body;

static size_t on_data(char *p, size_t size, size_t nmemb, void *user)
{
	body *b = user;
	size_t n = size * nmemb;

	if (b->len + n > b->max) {
		b->over = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *v = realloc(b->data, cap);
		if (!v)
			return 0;
		b->data = v;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* 1 when two URLs have the same scheme, host and port: a token given for
 * one is never sent to the other. */
static int same_origin(const char *a, const char *b)
{
	static const CURLUPart part[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	CURLU *ua = curl_url(), *ub = curl_url();
	int same = ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	           curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;

	for (size_t i = 0; same && i < sizeof part / sizeof part[0]; i++) {
		char *x = NULL, *y = NULL;
		same = curl_url_get(ua, part[i], &x, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		       curl_url_get(ub, part[i], &y, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		       strcasecmp(x, y) == 0;
		curl_free(x);
		curl_free(y);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/* Keep ETag and Last-Modified (of the final response). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *user)
{
	body *b = user;
	size_t n = size * nmemb, k;
	char *dst = NULL;

	if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
		b->etag[0] = b->last_modified[0] = '\0'; /* a new response (redirect) */
		return n;
	}
	if (n > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		dst = b->etag;
		k = 5;
	} else if (n > 14 && strncasecmp(p, "Last-Modified:", 14) == 0) {
		dst = b->last_modified;
		k = 14;
	}
	if (dst) {
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		size_t e = n;
		while (e > k && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
			e--;
		if (e - k < HEADER_MAX) {
			memcpy(dst, p + k, e - k);
			dst[e - k] = '\0';
		}
	}
	return n;
}

typedef enum { GOT_BODY, GOT_NOT_MODIFIED, GOT_RETRY, GOT_FAIL } outcome;

/* Redirects are followed here, not by libcurl: at most this many. */
#define MAX_REDIRECTS 5

/* One request of an attempt, to url: the token only when url has the
 * feed's own origin (libcurl drops Authorization on a cross-host redirect
 * but would send a custom token header along). */
static CURLcode request(CURL *h, const feed *f, const char *url, const char *token,
                        const ewc__feed_state *last, body *b, char *errbuf, int *conditional)
{
	struct curl_slist *hdr = NULL;
	char line[HEADER_MAX + 64];
	CURLcode rc;

	b->len = 0;
	b->over = 0;
	b->etag[0] = b->last_modified[0] = '\0';
	errbuf[0] = '\0';
	if (token && same_origin(url, f->url)) {
		if (f->token_header)
			snprintf(line, sizeof line, "%s: %s", f->token_header, token);
		else
			snprintf(line, sizeof line, "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, line);
		memset(line, 0, sizeof line); /* no copy of the token left behind */
	}
	/* ask only for a copy newer than the stored one, from the same URL */
	*conditional = 0;
	if (last->url && strcmp(last->url, f->url) == 0) {
		if (last->etag) {
			snprintf(line, sizeof line, "If-None-Match: %s", last->etag);
			hdr = curl_slist_append(hdr, line);
			*conditional = 1;
		}
		if (last->last_modified) {
			snprintf(line, sizeof line, "If-Modified-Since: %s", last->last_modified);
			hdr = curl_slist_append(hdr, line);
			*conditional = 1;
		}
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr); /* holds the token: libcurl's own copy */
	return rc;
}

/* One attempt, with its redirects. */
static outcome attempt(const feed *f, const ewc__feed_state *last, body *b, long *http,
                       char *why, size_t whylen)
{
	CURL *h = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "", *url = NULL;
	const char *token = NULL;
	outcome out;
	CURLcode rc;
	int conditional = 0, hops = 0;

	*http = 0;
	b->len = 0;
	b->over = 0;
	b->etag[0] = b->last_modified[0] = '\0';
	if (!h) {
		snprintf(why, whylen, "out of memory");
		return GOT_FAIL;
	}
	if (f->token_env) {
		token = getenv(f->token_env);
		if (!token || !*token) {
			snprintf(why, whylen, "the token variable %s is not set", f->token_env);
			curl_easy_cleanup(h);
			return GOT_FAIL;
		}
		if (strpbrk(token, "\r\n") || strlen(token) > HEADER_MAX) {
			snprintf(why, whylen, "the token in %s is not a header value", f->token_env);
			curl_easy_cleanup(h);
			return GOT_FAIL;
		}
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ewc/" EWC_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(f->connect_timeout_s * 1000));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(f->timeout_s * 1000));
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, f->loopback ? "http,https" : "https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	                 f->loopback ? CURLPROTO_HTTP | CURLPROTO_HTTPS : CURLPROTO_HTTPS);
#endif
	/* redirects by hand, below: each target checked before it is asked */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (f->loopback) /* a test server: never through a proxy */
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");

	url = ewc__strdup(f->url);
	if (!url) {
		snprintf(why, whylen, "out of memory");
		curl_easy_cleanup(h);
		return GOT_FAIL;
	}
	for (;;) {
		char *next = NULL;
		rc = request(h, f, url, token, last, b, errbuf, &conditional);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
		if (rc != CURLE_OK || !(*http == 301 || *http == 302 || *http == 303 ||
		                        *http == 307 || *http == 308))
			break;
		curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &next);
		if (!next) {
			snprintf(why, whylen, "HTTP %ld without a Location", *http);
			free(url);
			curl_easy_cleanup(h);
			return GOT_FAIL;
		}
		if (++hops > MAX_REDIRECTS) {
			snprintf(why, whylen, "more than %d redirects", MAX_REDIRECTS);
			free(url);
			curl_easy_cleanup(h);
			return GOT_FAIL;
		}
		/* https only, or a loopback test server's own http */
		if (strncasecmp(next, "https://", 8) != 0 &&
		    !(f->loopback && strncasecmp(next, "http://", 7) == 0 && loopback_host(next))) {
			snprintf(why, whylen, "redirected to %.200s: only https is followed", next);
			free(url);
			curl_easy_cleanup(h);
			return GOT_FAIL;
		}
		char *n2 = ewc__strdup(next);
		free(url);
		url = n2;
		if (!url) {
			snprintf(why, whylen, "out of memory");
			curl_easy_cleanup(h);
			return GOT_FAIL;
		}
	}
	free(url);
	if (rc == CURLE_OK) {
		if (*http == 200) {
			out = GOT_BODY;
		} else if (*http == 304 && conditional) {
			out = GOT_NOT_MODIFIED;
		} else if (*http >= 500 || *http == 429 || *http == 408) {
			snprintf(why, whylen, "HTTP %ld", *http);
			out = GOT_RETRY;
		} else {
			snprintf(why, whylen, "HTTP %ld%s", *http,
			         *http >= 400 ? " (not retried: the request itself was refused)" : "");
			out = GOT_FAIL;
		}
	} else if (b->over || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, whylen, "the response is larger than max-bytes (%.0f)", f->max_bytes);
		out = GOT_FAIL;
	} else {
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		switch (rc) {
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_PARTIAL_FILE:
		case CURLE_GOT_NOTHING:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			out = GOT_RETRY;
			break;
		default:
			out = GOT_FAIL;
		}
	}
	curl_easy_cleanup(h);
	return out;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Fetch, read and store one feed. Returns 0 when it succeeded, 1 when it
 * failed (stored data untouched), or an error code when the database
 * failed. */
static int sync_one(ewc_db *db, ewc_ctx *ctx, const feed *f, double now, ewc_feed_fn fn,
                    void *user)
{
	ewc__feed_state last;
	ewc_feed_result res = { EWC_FEED_RESULT_VERSION, f->name, f->url, EWC_FEED_FAILED, 0, 0,
	                        0, 0, 0, NULL, 0 };
	ewc__feed_store st;
	ewc_import *im = NULL;
	body b;
	char why[1024] = "", *msg = NULL;
	outcome out = GOT_FAIL;
	int rc;

	memset(&b, 0, sizeof b);
	b.max = (size_t)f->max_bytes;
	if ((rc = ewc__db_feed_last(db, f->name, &last)) != 0)
		return rc;
	for (long a = 0; a <= f->retries; a++) {
		if (a)
			sleep_s(fmin(f->backoff_s * pow(2, (double)(a - 1)), BACKOFF_MAX_S));
		res.attempts++;
		out = attempt(f, &last, &b, &res.http_status, why, sizeof why);
		if (out != GOT_RETRY)
			break;
	}
	if (out == GOT_RETRY)
		msg = ewc__asprintf("%s, after %d attempt%s", why, res.attempts,
		                    res.attempts == 1 ? "" : "s");
	else if (out == GOT_FAIL)
		msg = ewc__strdup(why);
	if (out == GOT_BODY) {
		ewc_buffer data = { NULL, b.data ? b.data : "", b.len };
		ewc_buffer map = { f->map_name, f->map, f->map_len };
		char *name = ewc__asprintf("feed %s", f->name);
		data.name = name ? name : f->name;
		if (ewc_import_read(&im, ctx, &data, f->map ? &map : NULL, &f->io) != 0) {
			msg = ewc__asprintf("the response is not valid %s: %s", f->format,
			                    ewc_errmsg());
		} else if (!ewc_import_setting(im, 0) && !ewc_import_series(im, 0)) {
			msg = ewc__strdup("the response gave no figure for any region of the map");
		} else {
			res.status = EWC_FEED_UPDATED;
			ewc_import_rows(im, &res.rows_used, &res.rows_skipped);
			while (ewc_import_setting(im, res.settings))
				res.settings++;
			for (size_t k = 0; ewc_import_series(im, k); k++)
				res.settings++;
		}
		free(name);
	} else if (out == GOT_NOT_MODIFIED) {
		res.status = EWC_FEED_NOT_MODIFIED;
	}
	if (res.status == EWC_FEED_FAILED && !msg)
		msg = ewc__strdup("out of memory");
	res.message = msg;
	res.kept_taken_at = last.taken_at;

	memset(&st, 0, sizeof st);
	st.feed = f->name;
	st.url = f->url;
	st.format = f->format;
	st.now = now;
	st.status = res.status;
	st.im = im;
	st.etag = b.etag[0] ? b.etag : NULL;
	st.last_modified = b.last_modified[0] ? b.last_modified : NULL;
	st.snapshot = last.id;
	st.http_status = res.http_status;
	st.attempts = res.attempts;
	st.message = msg;
	rc = ewc__db_feed_store(db, &st);
	if (rc == 0 && fn)
		fn(user, &res);
	ewc_import_free(im);
	ewc__feed_state_clear(&last);
	free(msg);
	free(b.data);
	if (rc)
		return rc;
	return res.status == EWC_FEED_FAILED ? 1 : 0;
}

int ewc_feeds_sync(ewc_db *db, ewc_ctx *ctx, const char *feeds_path, double now,
                   ewc_feed_fn fn, void *user)
{
	feed *feeds;
	size_t n, failed = 0;
	int rc;

	if (!db || !ctx || !feeds_path || !isfinite(now))
		return ewc__seterr(EWC_EINVAL, "ewc_feeds_sync: bad arguments");
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return ewc__seterr(EWC_ERROR, "libcurl cannot start: %s",
		                   curl_easy_strerror(curl_init_rc));
	if ((rc = read_feeds(feeds_path, &feeds, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int r = sync_one(db, ctx, &feeds[i], now, fn, user);
		if (r == 1)
			failed++;
		else
			rc = r;
	}
	for (size_t i = 0; i < n; i++)
		feed_free(&feeds[i]);
	free(feeds);
	if (rc)
		return rc;
	if (failed && failed == n)
		return ewc__seterr(EWC_EFEEDS, "every feed failed (%zu of %zu): nothing was stored; "
		                   "the previous snapshots stay", failed, n);
	if (failed)
		return ewc__seterr(EWC_EFEED, "%zu of %zu feeds failed; their previous snapshots "
		                   "stay", failed, n);
	return 0;
}
