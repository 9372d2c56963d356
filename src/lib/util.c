/* util.c - error codes, per-thread messages, strings, strict numbers, times, file reading */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ewc_int.h"

/* One message per thread, so that concurrent callers never see each
 * other's errors. A fixed buffer needs no destructor at thread exit. */
#define EWC__MSG_MAX 8192
static _Thread_local char tl_msg[EWC__MSG_MAX];

const char *ewc_version(void)
{
	return EWC_VERSION;
}

const char *ewc_strerror(int code)
{
	switch (code) {
	case EWC_OK: return "success";
	case EWC_ERROR: return "error";
	case EWC_ENOMEM: return "out of memory";
	case EWC_EINVAL: return "invalid argument";
	case EWC_EIO: return "input/output error";
	case EWC_EINPUT: return "bad input data";
	case EWC_ENOTFOUND: return "not found";
	case EWC_ESOLVER: return "optimiser failed";
	case EWC_EVERSION: return "unsupported struct version";
	case EWC_ECAPACITY: return "not enough free GPUs";
	case EWC_EPOLICY: return "policy constraints cannot hold";
	case EWC_EFEED: return "some feeds failed";
	case EWC_EALREADY: return "already done";
	case EWC_EFEEDS: return "every feed failed";
	default: return "unknown error code";
	}
}

const char *ewc_errmsg(void)
{
	return tl_msg[0] ? tl_msg : "no error";
}

void ewc_free(void *p)
{
	free(p);
}

static void set_msg_v(const char *fmt, va_list ap)
{
	vsnprintf(tl_msg, sizeof tl_msg, fmt, ap);
}

int ewc__seterr(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg_v(fmt, ap);
	va_end(ap);
	return code;
}

char *ewc__strdup(const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

char *ewc__asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void ewc__diag_add(ewc__diag *d, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	if (d->n >= EWC__MAX_DIAG) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!p) {
		d->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	d->lines[d->n++] = p;
}

void ewc__diag_free(ewc__diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	d->n = 0;
	d->dropped = 0;
	d->oom = 0;
}

int ewc__diag_finish(ewc__diag *d, int code)
{
	size_t used = 0;

	if (d->n == 0 && !d->oom)
		return 0;
	if (d->n == 0) {
		ewc__diag_free(d);
		return ewc__seterr(EWC_ENOMEM, "out of memory while reporting errors");
	}
	tl_msg[0] = '\0';
	for (size_t i = 0; i < d->n && used + 1 < sizeof tl_msg; i++) {
		int w = snprintf(tl_msg + used, sizeof tl_msg - used, "%s%s",
		                 i ? "\n" : "", d->lines[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (d->dropped && used + 1 < sizeof tl_msg)
		snprintf(tl_msg + used, sizeof tl_msg - used,
		         "\n(%zu more problem%s not shown)", d->dropped,
		         d->dropped == 1 ? "" : "s");
	ewc__diag_free(d);
	return code;
}

int ewc__in_range(double v, ewc__range r)
{
	if (!isfinite(v) || fabs(v) > EWC__FIGURE_MAX)
		return 0;
	switch (r) {
	case EWC__R_PERF: return v >= 1e-6 && v <= 1e6;
	case EWC__R_GE0: return v >= 0;
	case EWC__R_GT0: return v > 0;
	case EWC__R_01: return v >= 0 && v <= 1;
	case EWC__R_GE1: return v >= 1;
	default: return 1;
	}
}

const char *ewc__range_text(ewc__range r)
{
	switch (r) {
	case EWC__R_GE0: return ">= 0";
	case EWC__R_GT0: return "> 0";
	case EWC__R_01: return "between 0 and 1";
	case EWC__R_GE1: return ">= 1";
	case EWC__R_PERF: return "between 1e-06 and 1e+06";
	default: return "";
	}
}

const char *ewc__range_why(double v, ewc__range r)
{
	if (isfinite(v) && fabs(v) > EWC__FIGURE_MAX && r != EWC__R_PERF)
		return "at most 1e+12 in size (a larger figure would overflow the cost model)";
	return ewc__range_text(r);
}

int ewc__parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	/* decimal only: strtod would also take hex ("0x10"), "infinity" and
	 * leading spaces, none of which a figure in a file should be */
	if (s[strspn(s, "0123456789+-.eE")] != '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int ewc__parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	if (*s == ' ' || *s == '\t' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to a proleptic Gregorian date. */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

int ewc_time_parse(const char *text, double *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (!text || !out ||
	    sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19 || (text[n] != '\0' && strcmp(text + n, "Z") != 0) || mo < 1 || mo > 12 ||
	    d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return ewc__seterr(EWC_EINVAL, "want a UTC time like 2026-11-22T06:00:00Z, got \"%s\"",
		                   text ? text : "");
	*out = (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
	return 0;
}

int ewc_time_parse_offset(const char *text, double *out)
{
	if (!text || !out || ewc__time_parse_iso(text, out) != 0)
		return ewc__seterr(EWC_EINVAL, "want an ISO 8601 time like 2026-12-07T00:00:00+08:00 "
		                   "or 2026-12-06T16:00:00Z, got \"%s\"", text ? text : "");
	return 0;
}

void ewc_time_format_offset(double t, int tz_min, char *buf, size_t len)
{
	int a = tz_min < 0 ? -tz_min : tz_min;
	char base[32];

	if (!buf || len == 0)
		return;
	ewc_time_format(t + 60.0 * tz_min, base, sizeof base);
	if (!*base || tz_min == 0) {
		snprintf(buf, len, "%s", base);
		return;
	}
	base[strlen(base) - 1] = '\0'; /* the Z */
	snprintf(buf, len, "%s%c%02d:%02d", base, tz_min < 0 ? '-' : '+', a / 60, a % 60);
}

void ewc_time_format(double t, char *buf, size_t len)
{
	time_t s = (time_t)floor(t);
	struct tm tm;

	if (!buf || len == 0)
		return;
	if (!isfinite(t) || !gmtime_r(&s, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a folder"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
	                     : "an unknown kind";
}

int ewc__slurp(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer;
	 * nothing is read before the file is known to be a regular one */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ewc__seterr(EWC_EIO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return ewc__seterr(EWC_EIO, "%s: cannot stat: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ewc__seterr(EWC_EIO, "%s: not a regular file (%s)", path, file_kind(st.st_mode));
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return ewc__seterr(EWC_EINPUT, "%s: file is %lld bytes, larger than the %zu-byte limit",
		                   path, (long long)st.st_size, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return ewc__seterr(EWC_ENOMEM, "%s: out of memory", path);
	}
	/* read what fstat promised, no more: a file that grows meanwhile is
	 * read as it was */
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			return ewc__seterr(EWC_EIO, "%s: read error: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

int ewc__time_parse_iso(const char *text, double *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	double frac = 0, off = 0;
	const char *p;
	char base[20];

	if (!text || strlen(text) < 19 || strlen(text) > 40)
		return -1;
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    (text[10] != 'T' && text[10] != ' ') ||
	    sscanf(text + 11, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
		return -1;
	snprintf(base, sizeof base, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, sec);
	if (ewc_time_parse(base, out) != 0)
		return -1;
	p = text + 19;
	if (*p == '.') {
		double scale = 0.1;
		if (!(p[1] >= '0' && p[1] <= '9'))
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
			return -1;
		off = (*p == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
		p += 6;
	}
	if (*p)
		return -1;
	*out += frac - off;
	return 0;
}

int ewc__utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p;
		int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
		        : (c & 0xF8) == 0xF0 ? 3 : -1;
		unsigned cp;
		if (n < 0 || (n == 1 && c < 0xC2) || (n == 3 && c > 0xF4))
			return 0;
		cp = n ? c & (0x3F >> n) : c;
		for (int k = 1; k <= n; k++) {
			if ((p[k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[k] & 0x3F);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		p += n + 1;
	}
	return 1;
}

void ewc__strip_nl(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Optimal string alignment distance (a swap of neighbours is one edit),
 * capped: names longer than 63 bytes are never close. */
static int osa(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int d[64][64];

	if (n > 63 || m > 63)
		return 1000;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int c = a[i - 1] != b[j - 1];
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + c < v)
				v = d[i - 1][j - 1] + c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

const char *ewc__suggest(const char *name, const char *(*at)(const void *, size_t),
                         const void *set, size_t n, char *buf, size_t len)
{
	int best = 1000, limit = 2, shown = 0;
	size_t used;

	buf[0] = '\0';
	if (!name)
		return buf;
	if ((int)strlen(name) / 3 > limit)
		limit = (int)strlen(name) / 3;
	for (size_t i = 0; i < n; i++) {
		int v = osa(name, at(set, i));
		if (v < best)
			best = v;
	}
	if (best > limit)
		return buf;
	/* every candidate at the best distance, up to three */
	snprintf(buf, len, "; did you mean ");
	for (size_t i = 0; i < n && shown < 3; i++)
		if (osa(name, at(set, i)) == best) {
			used = strlen(buf);
			snprintf(buf + used, len - used, "%s\"%s\"", shown ? " or " : "", at(set, i));
			shown++;
		}
	used = strlen(buf);
	snprintf(buf + used, len - used, "?");
	return buf;
}

const char *ewc__num(char *buf, size_t len, double v, int dec)
{
	char raw[64], *dot, *p;
	size_t ndig, w = 0;
	int neg;

	if (!isfinite(v) || fabs(v) >= 1e15) {
		snprintf(buf, len, "%.6g", v);
		return buf;
	}
	if (fabs(v) < 0.5 * pow(10, -dec))
		v = 0;
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
