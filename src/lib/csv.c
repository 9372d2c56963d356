/* csv.c - the CSV reader under the jobs list and the importers: libcsv
 * fed one physical line at a time, so that each row knows its line, and in
 * pieces, so that an overlong field is stopped before libcsv buffers it */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "ewc_int.h"

/* Bytes fed to libcsv without a field ending: past this, one is too long.
 * libcsv grows a field's buffer 128 bytes at a time, so without this bound
 * a long field costs quadratic time, and a quoted one spanning many lines
 * is buffered whole. */
#define FEED_MAX (16 * EWC__CSV_FIELD_MAX)

static void on_field(void *data, size_t len, void *user)
{
	ewc__csv *c = user;
	char *f;

	c->unfielded = 0;
	if (c->n == 0)
		c->row_line = c->line;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		char **v = realloc(c->f, cap * sizeof *v);
		if (!v) {
			c->d->oom = 1;
			return;
		}
		c->f = v;
		c->cap = cap;
	}
	if (len > EWC__CSV_FIELD_MAX) {
		c->oversize = 1;
		len = 0;
	}
	f = malloc(len + 1);
	if (!f) {
		c->d->oom = 1;
		return;
	}
	if (len)
		memcpy(f, data, len);
	f[len] = '\0';
	c->f[c->n++] = f;
}

static void clear_row(ewc__csv *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->f[i]);
	c->n = 0;
	c->oversize = 0;
}

static void on_row(int term, void *user)
{
	ewc__csv *c = user;

	(void)term;
	if (!c->stop && !c->d->oom) {
		c->rows++;
		c->row(c, c->user);
	}
	clear_row(c);
	/* where the next row starts, unless blank lines follow; a quoted field
	 * left open at the end of the file is reported here */
	c->row_line = c->line + 1;
}

static int no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

int ewc__csv_read(ewc__csv *c, const char *data, size_t len)
{
	struct csv_parser p;
	size_t pos = 0;
	ewc__diag *d = c->d;

	c->line = 1;
	c->row_line = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		d->oom = 1;
		return -1;
	}
	csv_set_space_func(&p, no_space);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		len -= 3;
	}
	while (pos < len && !c->stop && !d->oom) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) + 1 : len - pos;
		if (n > FEED_MAX) {
			nl = NULL;
			n = FEED_MAX;
		}
		c->unfielded += n; /* back to 0 when a field ends in this piece */
		if (csv_parse(&p, data + pos, n, on_field, on_row, c) != n) {
			ewc__diag_add(d, "%s:%ld: CSV: %s (a quote inside an unquoted field, or text "
			              "after a closing quote)", c->name, c->line,
			              csv_strerror(csv_error(&p)));
			break;
		}
		if (c->unfielded > FEED_MAX) { /* named at the row it is in */
			ewc__diag_add(d, "%s:%ld: a field is longer than %d bytes", c->name, c->row_line,
			              EWC__CSV_FIELD_MAX);
			break;
		}
		pos += n;
		if (nl)
			c->line++;
	}
	if (d->n == 0 && !c->stop && !d->oom && csv_fini(&p, on_field, on_row, c) != 0)
		ewc__diag_add(d, "%s:%ld: CSV: unterminated quoted field", c->name, c->row_line);
	csv_free(&p);
	clear_row(c);
	free(c->f);
	c->f = NULL;
	c->cap = 0;
	if (d->n == 0 && !d->oom && c->rows == 0)
		ewc__diag_add(d, "%s: empty: a header row is required", c->name);
	return d->n || d->oom ? -1 : 0;
}
