/* tool.c - helpers shared by the ewc command's subcommands */
/* SPDX-License-Identifier: MIT */
/* realpath() */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "tool.h"

#ifndef EWC_REGIONS_DIR
#define EWC_REGIONS_DIR "regions"
#endif

static int is_control(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

char *tool_escape(const char *data, size_t len, size_t *outlen)
{
	size_t n = 0, w = 0;
	char *out;

	for (size_t i = 0; i < len; i++)
		n += is_control((unsigned char)data[i]) ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (is_control(c)) {
			snprintf(out + w, 5, "\\x%02x", c);
			w += 4;
		} else {
			out[w++] = (char)c;
		}
	}
	out[w] = '\0';
	*outlen = w;
	return out;
}

const char *tool_safe(const char *s)
{
	/* a few at a time, for one line of output */
	static char ring[8][512];
	static unsigned next;
	size_t w = 0;
	char *b;
	int any = 0;

	if (!s)
		return s;
	for (const char *p = s; *p; p++)
		any |= is_control((unsigned char)*p) || *p == '\n';
	if (!any)
		return s;
	b = ring[next++ % 8];
	for (const char *p = s; *p && w + 5 < sizeof ring[0]; p++) {
		unsigned char c = (unsigned char)*p;
		if (is_control(c) || c == '\n') {
			snprintf(b + w, 5, "\\x%02x", c);
			w += 4;
		} else {
			b[w++] = (char)c;
		}
	}
	b[w] = '\0';
	return b;
}

/* --format json: messages are kept for one JSON document at the end */
static int json_mode;
static char **jmsgs;
static size_t njmsgs, capjmsgs;

void tool_json_errors(int on)
{
	json_mode = on;
}

static void keep_message(const char *line, size_t n)
{
	char *c;

	if (njmsgs == capjmsgs) {
		size_t nc = capjmsgs ? 2 * capjmsgs : 16;
		char **v = realloc(jmsgs, nc * sizeof *v);
		if (!v)
			return;
		jmsgs = v;
		capjmsgs = nc;
	}
	c = malloc(n + 1);
	if (!c)
		return;
	memcpy(c, line, n);
	c[n] = '\0';
	jmsgs[njmsgs++] = c;
}

/* "FILE:LINE: FIELD: MESSAGE" into its parts, where it has that shape. */
static json_t *message_json(const char *m)
{
	const char *level = strncmp(m, "warning: ", 9) == 0 ? "warning" : "error";
	json_t *o = json_pack("{s:s, s:s}", "level", level, "message", m);

	for (const char *p = m; o && (p = strchr(p, ':')) != NULL; p++) {
		const char *d = p + 1, *e;
		long line;
		if (*d < '0' || *d > '9')
			continue;
		line = strtol(d, (char **)&e, 10);
		if (e[0] != ':' || e[1] != ' ')
			continue;
		json_object_set_new(o, "file", json_stringn(m, (size_t)(p - m)));
		json_object_set_new(o, "line", json_integer(line));
		const char *f = e + 2, *fe = strstr(f, ": ");
		if (fe && fe > f && !memchr(f, ' ', (size_t)(fe - f)))
			json_object_set_new(o, "field", json_stringn(f, (size_t)(fe - f)));
		break;
	}
	return o;
}

int tool_json_flush(int rc)
{
	json_t *root, *arr;
	char *text;
	int input = 0;

	if (!json_mode || njmsgs == 0)
		return rc;
	root = json_object();
	arr = json_array();
	for (size_t i = 0; root && arr && i < njmsgs; i++) {
		json_t *o = message_json(jmsgs[i]);
		input |= o && json_object_get(o, "file") != NULL;
		json_array_append_new(arr, o);
	}
	if (root && arr) {
		const char *code = rc == EXIT_OK ? "ok"
		                   : rc == EXIT_USAGE ? "usage"
		                   : rc == EXIT_UNPLACED ? "unplaced"
		                   : rc == EXIT_PARTIAL ? "feeds_partial"
		                   : rc == EXIT_NOFEED ? "feeds_failed"
		                   : input ? "input" : "error";
		json_object_set_new(root, "format", json_string("ewc.messages/1"));
		json_object_set_new(root, "code", json_string(code));
		json_object_set_new(root, "exit", json_integer(rc));
		json_object_set_new(root, "messages", arr);
		arr = NULL;
		text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2));
		if (text)
			fprintf(stderr, "%s\n", text);
		free(text);
	}
	json_decref(arr);
	json_decref(root);
	for (size_t i = 0; i < njmsgs; i++)
		free(jmsgs[i]);
	free(jmsgs);
	jmsgs = NULL;
	njmsgs = capjmsgs = 0;
	return rc;
}

static void print_prefixed(const char *msg)
{
	const char *p = msg;

	if (json_mode) {
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			keep_message(p, n);
			p += n + (nl ? 1 : 0);
		}
		return;
	}

	/* text from inputs (a job's id) reaches the terminal with its
	 * control bytes escaped: no ESC sequence runs from a message */
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p), m;
		char *safe = tool_escape(p, n, &m);
		if (safe)
			fprintf(stderr, "ewc: %s\n", safe);
		else
			fprintf(stderr, "ewc: out of memory\n");
		free(safe);
		p += n + (nl ? 1 : 0);
	}
}

void tool_error(const char *fmt, ...)
{
	char msg[16384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_prefixed(msg);
}

int tool_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_prefixed(msg);
	if (!json_mode)
		fprintf(stderr, "ewc: try 'ewc help%s%s'\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

int tool_regions_add(tool_regions *r, const char *cmd, const char *path)
{
	if (r->n == TOOL_MAX_REGIONS)
		return tool_usage(cmd, "at most %d --regions paths", TOOL_MAX_REGIONS);
	r->paths[r->n++] = path;
	return 0;
}

ewc_ctx *tool_load(tool_regions *r)
{
	ewc_ctx *ctx;

	const char *from = NULL; /* where the default came from, for the hint */

	if (r->n == 0) {
		const char *env = getenv("EWC_REGIONS");
		from = env && *env ? "$EWC_REGIONS" : "the installed regions";
		r->paths[r->n++] = env && *env ? env : EWC_REGIONS_DIR;
	}
	if (ewc_ctx_new(&ctx) != 0) {
		tool_error("%s", ewc_errmsg());
		return NULL;
	}
	if (from && access(r->paths[0], F_OK) != 0) {
		/* a first run from the build tree lands here: say how to go on */
		tool_error("%s: %s (%s); give the regions with --regions PATH or "
		           "EWC_REGIONS=PATH (in the source tree: --regions regions)",
		           r->paths[0], strerror(errno), from);
		ewc_ctx_free(ctx);
		return NULL;
	}
	if (ewc_ctx_load_regions(ctx, r->paths, r->n, NULL, 0) != 0) {
		tool_error("%s", ewc_errmsg());
		ewc_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

ewc_jobs *tool_jobs(ewc_ctx *ctx, const char *path)
{
	ewc_jobs *jobs;

	if (ewc_jobs_new(&jobs, ctx) != 0) {
		tool_error("%s", ewc_errmsg());
		return NULL;
	}
	if (ewc_jobs_load_csv(jobs, path) != 0) {
		tool_error("%s", ewc_errmsg());
		ewc_jobs_free(jobs);
		return NULL;
	}
	return jobs;
}

int tool_number(const char *cmd, const char *opt, const char *text, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (!*text || *end || errno == ERANGE || !isfinite(v))
		return tool_usage(cmd, "%s: not a number: \"%s\"", opt, text);
	*out = v;
	return 0;
}

const char *tool_fmt(char *buf, size_t len, double v, int dec)
{
	char raw[64], *dot, *p;
	size_t ndig, w = 0;
	int neg;

	if (fabs(v) < 0.5 * pow(10, -dec))
		v = 0; /* no "-0.00" */
	if (!isfinite(v) || fabs(v) >= 1e15) {
		/* past a thousand trillion the digits mean nothing: 6 of them */
		snprintf(buf, len, "%.6g", v);
		return buf;
	}
	snprintf(raw, sizeof raw, "%.*f", dec, v);
	neg = raw[0] == '-';
	p = raw + neg;
	dot = strchr(p, '.');
	ndig = dot ? (size_t)(dot - p) : strlen(p);
	if (neg && w + 1 < len)
		buf[w++] = '-';
	for (size_t i = 0; i < ndig && w + 1 < len; i++) {
		if (i && (ndig - i) % 3 == 0 && w + 1 < len)
			buf[w++] = ',';
		if (w + 1 < len)
			buf[w++] = p[i];
	}
	for (const char *q = dot; q && *q && w + 1 < len; q++)
		buf[w++] = *q;
	buf[w] = '\0';
	return buf;
}

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m)    ? "a folder"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
	                     : "not a regular file";
}

FILE *tool_open_input(const char *path)
{
	struct stat st;
	FILE *f;
	/* O_NONBLOCK: a FIFO is refused, not waited on */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		tool_error("%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		tool_error("%s: not a regular file (%s)", path, kind_of(st.st_mode));
		close(fd);
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	f = fdopen(fd, "rb");
	if (!f) {
		tool_error("%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int tool_output_check(const char *cmd, const char *opt, const char *path)
{
	struct stat st;
	char *dir, *slash;
	int rc = 0;

	if (!path || strcmp(path, "-") == 0)
		return 0;
	(void)cmd;
	if (!*path) {
		tool_error("%s: an empty file name", opt);
		return EXIT_ERR;
	}
	/* symlinks are followed: the file written is the link's target */
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			tool_error("%s: %s is %s; an output must be a regular file or a new one", opt,
			           path, kind_of(st.st_mode));
			return EXIT_ERR;
		}
		return 0;
	}
	if (errno != ENOENT) {
		tool_error("%s: %s: %s", opt, path, strerror(errno));
		return EXIT_ERR;
	}
	if (lstat(path, &st) == 0) {
		tool_error("%s: %s is a symlink to nothing", opt, path);
		return EXIT_ERR;
	}
	/* a new file: its folder must be there */
	dir = strdup(path);
	if (!dir) {
		tool_error("out of memory");
		return EXIT_ERR;
	}
	slash = strrchr(dir, '/');
	if (slash) {
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			tool_error("%s: %s: no folder %s to write it in", opt, path, dir);
			rc = EXIT_ERR;
		}
	}
	free(dir);
	return rc;
}

int tool_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && strcmp(a, "-") != 0 && strcmp(b, "-") != 0 && stat(a, &sa) == 0 &&
	       stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int tool_stage(tool_staged *st, const char *path, const char *data, size_t len)
{
	char *real = NULL;
	struct stat sb;
	FILE *f;
	int fd;

	st->tmp = st->target = NULL;
	/* written beside the target and renamed over it: never a device or a
	 * FIFO (refused), and through a symlink to the file it names */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		tool_error("%s is %s; an output must be a regular file or a new one", path,
		           kind_of(sb.st_mode));
		return -1;
	}
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		real = realpath(path, NULL);
		if (!real) {
			tool_error("%s: %s", path, strerror(errno));
			return -1;
		}
	} else if (!(real = strdup(path))) {
		tool_error("out of memory");
		return -1;
	}
	st->target = real;
	st->tmp = malloc(strlen(real) + 16);
	if (!st->tmp) {
		tool_error("out of memory");
		tool_stage_abort(st);
		return -1;
	}
	sprintf(st->tmp, "%s.XXXXXX", real);
	fd = mkstemp(st->tmp);
	if (fd < 0) {
		tool_error("%s: cannot create a temporary file beside it: %s", path, strerror(errno));
		free(st->tmp);
		st->tmp = NULL;
		tool_stage_abort(st);
		return -1;
	}
	{
		/* mkstemp makes the file 0600: give it the mode a plain create would */
		mode_t um = umask(0);
		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	f = fdopen(fd, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fd) != 0) {
		tool_error("%s: write failed: %s", path, strerror(errno));
		if (f)
			fclose(f);
		else
			close(fd);
		tool_stage_abort(st);
		return -1;
	}
	if (fclose(f) != 0) {
		tool_error("%s: write failed: %s", path, strerror(errno));
		tool_stage_abort(st);
		return -1;
	}
	return 0;
}

int tool_stage_finish(tool_staged *st)
{
	int rc = 0;

	if (!st->tmp)
		return 0;
	if (rename(st->tmp, st->target) != 0) {
		tool_error("%s: %s", st->target, strerror(errno));
		unlink(st->tmp);
		rc = -1;
	}
	free(st->tmp);
	free(st->target);
	st->tmp = st->target = NULL;
	return rc;
}

void tool_stage_abort(tool_staged *st)
{
	if (st->tmp)
		unlink(st->tmp);
	free(st->tmp);
	free(st->target);
	st->tmp = st->target = NULL;
}

int tool_write(const char *path, const char *data, size_t len)
{
	tool_staged st;

	if (!path || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			tool_error("standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (tool_stage(&st, path, data, len) != 0)
		return -1;
	return tool_stage_finish(&st);
}

int tool_write_text(const char *path, const char *data, size_t len)
{
	size_t n;
	char *safe = tool_escape(data, len, &n);
	int rc;

	if (!safe) {
		tool_error("out of memory");
		return -1;
	}
	rc = tool_write(path, safe, n);
	free(safe);
	return rc;
}

int tool_buf_open(tool_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	if (!b->f) {
		tool_error("out of memory");
		return -1;
	}
	return 0;
}

int tool_buf_close(tool_buf *b)
{
	if (fclose(b->f) != 0) {
		tool_error("out of memory");
		free(b->data);
		b->data = NULL;
		return -1;
	}
	b->f = NULL;
	return 0;
}

ewc_db *tool_db_existing(const char *path)
{
	struct stat st;
	ewc_db *db = NULL;

	/* only a commit of a plan makes a state; the others keep one */
	if (stat(path, &st) != 0) {
		tool_error("%s: no such database (ewc place --commit or ewc regions sync makes it)", path);
		return NULL;
	}
	if (ewc_db_open(&db, path) != 0) {
		tool_error("%s", ewc_errmsg());
		return NULL;
	}
	return db;
}

const char *tool_db_path(const char *given)
{
	const char *env = getenv("EWC_DB");

	if (given)
		return given;
	return env && *env ? env : "ewc.db";
}

void tool_clock(double t, char *buf, size_t len)
{
	char iso[40];

	/* 2026-12-07T08:00:00+08:00 -> 2026-12-07 08:00 */
	ewc_time_format_offset(t, EWC_PLAN_TZ_MIN, iso, sizeof iso);
	if (strlen(iso) < 16) {
		snprintf(buf, len, "%s", iso);
		return;
	}
	iso[10] = ' ';
	iso[16] = '\0';
	snprintf(buf, len, "%s", iso);
}

int tool_time(const char *cmd, const char *opt, const char *text, double *out)
{
	if (ewc_time_parse(text, out) != 0)
		return tool_usage(cmd, "%s: want a UTC time like 2026-11-22T06:00:00Z, got \"%s\"",
		                  opt, text);
	return 0;
}

void tool_csv_field(FILE *f, const char *s, int last)
{
	if (!s)
		s = "";
	/* quoted by libcsv only where RFC 4180 needs it */
	if (strpbrk(s, ",\"\r\n") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' ')))
		csv_fwrite(f, s, strlen(s));
	else
		fputs(s, f);
	fputc(last ? '\n' : ',', f);
}

void tool_csv_num(FILE *f, double v, int last)
{
	fprintf(f, "%.15g%c", v, last ? '\n' : ',');
}

int tool_solve_option(const char *cmd, const char *name, const char *value,
                      ewc_place_options *o, int *carbon_price_set)
{
	char opt[32];

	snprintf(opt, sizeof opt, "--%s", name);
	if (strcmp(name, "mode") == 0) {
		if (ewc_mode_parse(&o->mode, value) != 0)
			return tool_usage(cmd, "--mode: %s", ewc_errmsg());
	} else if (strcmp(name, "carbon-basis") == 0) {
		if (ewc_carbon_basis_parse(&o->carbon_basis, value) != 0)
			return tool_usage(cmd, "--carbon-basis: %s", ewc_errmsg());
	} else if (strcmp(name, "carbon-price") == 0) {
		if (tool_number(cmd, opt, value, &o->carbon_price))
			return EXIT_USAGE;
		if (o->carbon_price < 0)
			return tool_usage(cmd, "--carbon-price: must be >= 0, got %s", value);
		*carbon_price_set = 1;
	} else if (strcmp(name, "gap") == 0) {
		if (tool_number(cmd, opt, value, &o->mip_gap))
			return EXIT_USAGE;
		if (o->mip_gap < 0 || o->mip_gap >= 1)
			return tool_usage(cmd, "--gap: must be >= 0 and < 1, got %s", value);
	} else if (strcmp(name, "time-limit") == 0) {
		if (tool_number(cmd, opt, value, &o->time_limit))
			return EXIT_USAGE;
		if (o->time_limit <= 0)
			return tool_usage(cmd, "--time-limit: must be > 0 seconds, got %s", value);
	} else if (strcmp(name, "solver") == 0) {
		if (!strcmp(value, "auto"))
			o->solver = EWC_SOLVER_AUTO;
		else if (!strcmp(value, "direct"))
			o->solver = EWC_SOLVER_DIRECT;
		else if (!strcmp(value, "decompose"))
			o->solver = EWC_SOLVER_DECOMPOSE;
		else
			return tool_usage(cmd, "--solver: use auto, direct or decompose, not \"%s\"",
			                  value);
	}
	return 0;
}

int tool_max_age(const char *cmd, const char *text, double *hours)
{
	char num[64];
	size_t n = strlen(text);
	double scale = 1, v;

	if (n && (text[n - 1] == 'h' || text[n - 1] == 'd')) {
		scale = text[n - 1] == 'd' ? 24 : 1;
		n--;
	}
	if (n == 0 || n >= sizeof num)
		return tool_usage(cmd, "--max-age: want hours, as in 48, 48h or 2d, got \"%s\"", text);
	memcpy(num, text, n);
	num[n] = '\0';
	if (tool_number(cmd, "--max-age", num, &v))
		return EXIT_USAGE;
	if (v <= 0)
		return tool_usage(cmd, "--max-age: must be > 0, got \"%s\"", text);
	*hours = v * scale;
	return 0;
}

typedef struct overlay_say {
	double now, max_age_h;
	size_t n;
} overlay_say;

/* The feeds the last overlay laid, for --metrics. */
static struct {
	char name[128];
	double checked;
} feeds_seen[64];
static size_t nfeeds_seen;

size_t tool_feed_count(void)
{
	return nfeeds_seen;
}

void tool_feed_get(size_t i, const char **name, double *checked)
{
	*name = feeds_seen[i].name;
	*checked = feeds_seen[i].checked;
}

static void say_overlay(void *user, const ewc_overlay *o)
{
	overlay_say *s = user;

	s->n++;
	if (nfeeds_seen < sizeof feeds_seen / sizeof feeds_seen[0]) {
		snprintf(feeds_seen[nfeeds_seen].name, sizeof feeds_seen[0].name, "%s", o->feed);
		feeds_seen[nfeeds_seen++].checked = o->checked_at;
	}
	double age = (s->now - o->checked_at) / 3600;
	char taken[32], checked[32], skipped[64] = "";

	ewc_time_format(o->taken_at, taken, sizeof taken);
	ewc_time_format(o->checked_at, checked, sizeof checked);
	if (o->skipped)
		snprintf(skipped, sizeof skipped, " (%zu for regions not loaded)", o->skipped);
	if (age > s->max_age_h)
		tool_error("warning: feed %s: its data is %.1f h old, older than --max-age %g h "
		           "(fetched %s, last confirmed %s): run ewc regions sync", o->feed, age,
		           s->max_age_h, taken, checked);
	else
		tool_error("feed %s: %zu settings%s, fetched %s, %.1f h old", o->feed, o->applied,
		           skipped, taken, age < 0 ? 0.0 : age);
}

int tool_overlay(ewc_db *db, ewc_ctx *ctx, double now, double max_age_h, int warn_empty)
{
	overlay_say s = { now, max_age_h, 0 };

	if (ewc_db_overlay(db, ctx, say_overlay, &s) != 0) {
		tool_error("%s", ewc_errmsg());
		return -1;
	}
	if (s.n == 0 && warn_empty)
		tool_error("warning: the database holds no feed data (ewc regions sync stores it): "
		           "planning on the descriptors' figures as given");
	return 0;
}

double tool_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
