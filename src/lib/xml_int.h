/* xml_int.h - the hardened XML parser libewc reads every document with */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_XML_INT_H
#define EWC_XML_INT_H

#include <libxml/tree.h>
#include "ewc_int.h"

/* Larger XML files than this are refused rather than parsed. */
#define EWC__XML_MAX_BYTES (64u * 1024u * 1024u)

/* Initialise libxml2 once per process (every entry point below does). */
void ewc__xml_init(void);

/* Parse `len` bytes of XML called `name` with no network, no DTD loading
 * and no entity substitution; a document with a DOCTYPE is refused. The
 * document (free with xmlFreeDoc()), or NULL with the problem in d. */
xmlDocPtr ewc__xml_parse(const char *name, const char *buf, size_t len, ewc__diag *d);

/* Report each attribute of n not in `allowed` (NULL-terminated) as
 * "file:line: elem@attr: unknown attribute". */
void ewc__xml_check_attrs(ewc__diag *d, const char *file, xmlNodePtr n,
                          const char *const *allowed);

/* The attribute's value (free with xmlFree()) or NULL, reported as
 * "file:line: elem@attr: required attribute is missing" when required. */
char *ewc__xml_attr(ewc__diag *d, const char *file, xmlNodePtr n, const char *name,
                    int required);
/* A numeric attribute within range r into *out: 1 when read (or absent and
 * not required), else 0 with the problem in d. */
int ewc__xml_attr_num(ewc__diag *d, const char *file, xmlNodePtr n, const char *name,
                      int required, ewc__range r, double *out);
/* 1 when n is the element `name`. */
int ewc__xml_is_elem(xmlNodePtr n, const char *name);
/* Text (not blank) or entity content where only elements belong is an
 * error in d; comments and processing instructions are welcome. */
void ewc__xml_check_content(ewc__diag *d, const char *file, xmlNodePtr n, const char *where);

/* <tariff> and <hourly> of region r into r->when (when.c); problems in d. */
void ewc__when_load_tariff(ewc__diag *d, const char *file, xmlNodePtr n, ewc__region *r);
void ewc__when_load_hourly(ewc__diag *d, const char *file, xmlNodePtr n, ewc__region *r,
                           const ewc__world *w);

/* Silence libxml2's generic error output on this thread between begin and
 * end, restoring the application's handler after. */
typedef struct ewc__xml_quiet {
	void (*fn)(void *, const char *, ...);
	void *ctx;
} ewc__xml_quiet;
void ewc__xml_quiet_begin(ewc__xml_quiet *q);
void ewc__xml_quiet_end(const ewc__xml_quiet *q);

#endif /* EWC_XML_INT_H */
