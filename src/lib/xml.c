/* xml.c - the hardened XML reader every document goes through, and its checks */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xml_int.h"

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void ewc__xml_init(void)
{
	pthread_once(&xml_once, xml_init);
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
	ewc__xml_init();
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

	ewc__xml_init();
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
		ewc__strip_nl(msg);
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

static const char *attr_at(const void *set, size_t i)
{
	return ((const char *const *)set)[i];
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
		if (!known) {
			char sug[320];
			size_t na = 0;
			while (allowed[na])
				na++;
			ewc__diag_add(d, "%s:%ld: %s@%s: unknown attribute%s", file, xmlGetLineNo(n),
			              (const char *)n->name, (const char *)a->name,
			              ewc__suggest((const char *)a->name, attr_at, allowed, na, sug,
			                           sizeof sug));
		}
	}
}

char *ewc__xml_attr(ewc__diag *d, const char *file, xmlNodePtr n, const char *name,
                    int required)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	if (!v && required)
		ewc__diag_add(d, "%s:%ld: %s@%s: required attribute is missing", file,
		              xmlGetLineNo(n), (const char *)n->name, name);
	return (char *)v;
}

int ewc__xml_attr_num(ewc__diag *d, const char *file, xmlNodePtr n, const char *name,
                      int required, ewc__range r, double *out)
{
	char *v = ewc__xml_attr(d, file, n, name, required);
	double x;
	int ok = 0;

	if (!v)
		return !required;
	if (ewc__parse_double(v, &x) != 0)
		ewc__diag_add(d, "%s:%ld: %s@%s: must be a number %s, got \"%s\"", file,
		              xmlGetLineNo(n), (const char *)n->name, name, ewc__range_text(r), v);
	else if (!ewc__in_range(x, r))
		ewc__diag_add(d, "%s:%ld: %s@%s: must be %s, got \"%s\"", file,
		              xmlGetLineNo(n), (const char *)n->name, name, ewc__range_why(x, r), v);
	else {
		*out = x;
		ok = 1;
	}
	xmlFree(v);
	return ok;
}

int ewc__xml_is_elem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

void ewc__xml_check_content(ewc__diag *d, const char *file, xmlNodePtr n, const char *where)
{
	if (n->type == XML_TEXT_NODE) {
		for (const xmlChar *c = n->content; c && *c; c++)
			if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') {
				ewc__diag_add(d, "%s:%ld: <%s>: unexpected text", file, xmlGetLineNo(n),
				              where);
				return;
			}
	} else if (n->type != XML_ELEMENT_NODE && n->type != XML_COMMENT_NODE &&
	           n->type != XML_PI_NODE) {
		ewc__diag_add(d, "%s:%ld: <%s>: unexpected content", file, xmlGetLineNo(n), where);
	}
}
