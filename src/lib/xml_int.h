/* xml_int.h - the hardened XML parser libewc reads every document with */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_XML_INT_H
#define EWC_XML_INT_H

#include <libxml/tree.h>
#include "ewc_int.h"

/* Parse `len` bytes of XML called `name` with no network, no DTD loading
 * and no entity substitution; a document with a DOCTYPE is refused. The
 * document (free with xmlFreeDoc()), or NULL with the problem in d. */
xmlDocPtr ewc__xml_parse(const char *name, const char *buf, size_t len, ewc__diag *d);

/* Report each attribute of n not in `allowed` (NULL-terminated) as
 * "file:line: elem@attr: unknown attribute". */
void ewc__xml_check_attrs(ewc__diag *d, const char *file, xmlNodePtr n,
                          const char *const *allowed);

/* Silence libxml2's generic error output on this thread between begin and
 * end, restoring the application's handler after. */
typedef struct ewc__xml_quiet {
	void (*fn)(void *, const char *, ...);
	void *ctx;
} ewc__xml_quiet;
void ewc__xml_quiet_begin(ewc__xml_quiet *q);
void ewc__xml_quiet_end(const ewc__xml_quiet *q);

#endif /* EWC_XML_INT_H */
