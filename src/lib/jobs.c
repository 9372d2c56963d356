/* jobs.c - job lists: each job checked against the regions, and lists read from CSV (csv.c) */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "ewc_int.h"

/* A single CSV field longer than this is an error, not a job. */
/* More GPUs than any one job could have: a typo, refused by name. */
#define EWC__GPUS_MAX 1000000

enum col {
	C_ID, C_KIND, C_GPU_TYPE, C_GPUS, C_HOURS, C_ORIGIN, C_SLO_MS, C_DATA_GB,
	C_PRIORITY, C_PIN, C_AVOID, C_CHECKPOINT_GB, C_DEADLINE_H, C_EARLIEST_H, C_COUNT
};

static const char *const col_name[C_COUNT] = {
	"id", "kind", "gpu_type", "gpus", "hours", "origin", "slo_ms", "data_gb",
	"priority", "pin", "avoid", "checkpoint_gb", "deadline_h", "earliest_h"
};
#define C_REQUIRED 6 /* the first six columns */

void ewc__job_clear(ewc__job *j)
{
	free(j->id);
	free(j->gpu_type);
	free(j->avoid_text);
	free(j->origin);
	free(j->avoid);
}

int ewc_jobs_new(ewc_jobs **out, ewc_ctx *ctx)
{
	ewc_jobs *jobs;

	if (!out || !ctx)
		return ewc__seterr(EWC_EINVAL, "ewc_jobs_new: NULL argument");
	*out = NULL;
	jobs = calloc(1, sizeof *jobs);
	if (!jobs)
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	jobs->ctx = ctx;
	jobs->generation = ctx->generation;
	*out = jobs;
	return 0;
}

void ewc_jobs_free(ewc_jobs *jobs)
{
	if (!jobs)
		return;
	for (size_t i = 0; i < jobs->n; i++)
		ewc__job_clear(&jobs->v[i]);
	free(jobs->v);
	free(jobs->ids.slot);
	free(jobs);
}

const char *ewc_kind_name(ewc_kind kind)
{
	return kind == EWC_KIND_INFER ? "infer" : "train";
}

size_t ewc_jobs_count(const ewc_jobs *jobs)
{
	return jobs ? jobs->n : 0;
}

int ewc_jobs_get(const ewc_jobs *jobs, size_t i, ewc_job *out)
{
	const ewc__job *j;

	if (!jobs || !out || i >= jobs->n)
		return ewc__seterr(EWC_EINVAL, "ewc_jobs_get: no job %zu", i);
	if (out->version < 1 || out->version > EWC_JOB_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_jobs_get: job struct version %u not supported",
		                   out->version);
	j = &jobs->v[i];
	out->id = j->id;
	out->kind = j->kind;
	out->gpu_type = j->gpu_type;
	out->gpus = j->gpus;
	out->hours = j->hours;
	out->origin = j->origin;
	out->slo_ms = j->slo_ms;
	out->data_gb = j->data_gb;
	out->priority = j->priority;
	out->pin = j->pin >= 0 ? jobs->ctx->w.regions[j->pin].id : NULL;
	out->avoid = j->avoid_text;
	out->checkpoint_gb = j->checkpoint_gb;
	out->deadline_h = j->deadline_h;
	if (out->version >= 2)
		out->earliest_h = j->earliest_h;
	return 0;
}

static size_t id_hash(const char *s)
{
	size_t h = (size_t)14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
	return h;
}

/* Index of id in v through x, or -1. */
static long ids_find(const ewc__ids *x, const ewc__job *v, const char *id)
{
	if (!x->cap)
		return -1;
	for (size_t h = id_hash(id) & (x->cap - 1); x->slot[h]; h = (h + 1) & (x->cap - 1))
		if (strcmp(v[x->slot[h] - 1].id, id) == 0)
			return (long)(x->slot[h] - 1);
	return -1;
}

static void ids_put(ewc__ids *x, const ewc__job *v, size_t i)
{
	size_t h = id_hash(v[i].id) & (x->cap - 1);
	while (x->slot[h])
		h = (h + 1) & (x->cap - 1);
	x->slot[h] = i + 1;
}

/* Index v[from..n) (v[0..from) is indexed already), growing the table when
 * it would be over half full. 0, or -1 out of memory with x unchanged. */
static int ids_add(ewc__ids *x, const ewc__job *v, size_t from, size_t n)
{
	if (2 * n > x->cap) {
		size_t cap = 64;
		while (cap < 4 * n)
			cap *= 2;
		size_t *slot = calloc(cap, sizeof *slot);
		if (!slot)
			return -1;
		free(x->slot);
		x->slot = slot;
		x->cap = cap;
		from = 0;
	}
	for (size_t i = from; i < n; i++)
		ids_put(x, v, i);
	return 0;
}

long ewc_jobs_find(const ewc_jobs *jobs, const char *id)
{
	if (!jobs || !id)
		return -1;
	return ids_find(&jobs->ids, jobs->v, id);
}

/* Jobs checked but not yet appended: a load appends all or nothing. */
typedef struct staging {
	ewc__job *v;
	size_t n, cap;
	ewc__ids ids;
} staging;

static void staging_free(staging *s)
{
	for (size_t i = 0; i < s->n; i++)
		ewc__job_clear(&s->v[i]);
	free(s->v);
	free(s->ids.slot);
	memset(s, 0, sizeof *s);
}

static int id_taken(const ewc_jobs *jobs, const staging *s, const char *id)
{
	if (!jobs)
		return 0;
	return ewc_jobs_find(jobs, id) >= 0 || (s && ids_find(&s->ids, s->v, id) >= 0);
}

/* How a value is shown in a message: the CSV text when there is one. */
static void show(char *buf, size_t len, const char *raw, double v)
{
	if (raw)
		snprintf(buf, len, "\"%s\"", raw);
	else
		snprintf(buf, len, "%.17g", v);
}

/* Report v unless it is within r; the CSV text is shown when there is one. */
static void check_num(ewc__diag *d, const char *where, const char *const *raw, int c,
                      double v, ewc__range r)
{
	char shown[160];

	if (ewc__in_range(v, r))
		return;
	show(shown, sizeof shown, raw ? raw[c] : NULL, v);
	ewc__diag_add(d, "%s: %s: must be a number %s, got %s", where, col_name[c],
	              ewc__range_why(v, r), shown);
}

/* The next '|'-separated name of *p into buf: 1 with a name, 0 at the end
 * of the list, -1 for an empty or overlong name. */
static int next_name(const char **p, char *buf, size_t len)
{
	const char *bar;
	size_t n;

	if (!*p)
		return 0;
	bar = strchr(*p, '|');
	n = bar ? (size_t)(bar - *p) : strlen(*p);
	if (n == 0 || n >= len)
		return -1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = bar ? bar + 1 : NULL;
	return 1;
}

/* Check one job and convert it. `where` prefixes every message (file:line
 * or job "id"); raw holds the CSV text per column for messages, or NULL.
 * Returns 1 when the job is good. */
static int check_job(const ewc__world *w, const ewc_jobs *jobs, const staging *s,
                     const ewc_job *in, const char *const *raw, const char *where,
                     ewc__diag *d, ewc__job *out)
{
	size_t before = d->n + d->dropped;
	char v[160], sug[320];

	memset(out, 0, sizeof *out);
	out->pin = -1;
	out->site = -1;
	if (!in->id || !*in->id)
		ewc__diag_add(d, "%s: id: must not be empty", where);
	else if (!ewc__utf8_valid(in->id))
		ewc__diag_add(d, "%s: id: not valid UTF-8 (save the file as UTF-8)", where);
	else if (id_taken(jobs, s, in->id))
		ewc__diag_add(d, "%s: id: duplicate job id \"%s\"", where, in->id);

	if (in->kind != EWC_KIND_TRAIN && in->kind != EWC_KIND_INFER)
		ewc__diag_add(d, "%s: kind: must be train or infer", where);
	out->kind = in->kind;

	if (!in->gpu_type || !*in->gpu_type) {
		ewc__diag_add(d, "%s: gpu_type: must not be empty", where);
	} else {
		const char *p = in->gpu_type;
		char name[128];
		int rc;
		while ((rc = next_name(&p, name, sizeof name)) == 1) {
			int t = ewc__gpu_find(w, name);
			int dup = 0;
			for (int k = 0; k < out->ntypes; k++)
				dup |= out->types[k] == t;
			if (t < 0)
				ewc__diag_add(d, "%s: gpu_type: unknown GPU type \"%s\" (not in the catalog)%s",
				              where, name, ewc__suggest_gpu(w, name, sug, sizeof sug));
			else if (dup)
				ewc__diag_add(d, "%s: gpu_type: \"%s\" listed twice", where, name);
			else if (out->ntypes == EWC__MAX_ALT)
				ewc__diag_add(d, "%s: gpu_type: more than %d alternatives", where,
				              EWC__MAX_ALT);
			else
				out->types[out->ntypes++] = t;
		}
		if (rc < 0)
			ewc__diag_add(d, "%s: gpu_type: empty or overlong type in \"%s\"", where,
			              in->gpu_type);
	}

	show(v, sizeof v, raw ? raw[C_GPUS] : NULL, (double)in->gpus);
	if (in->gpus <= 0)
		ewc__diag_add(d, "%s: gpus: must be an integer > 0, got %s", where, v);
	else if (in->gpus > EWC__GPUS_MAX)
		ewc__diag_add(d, "%s: gpus: must be at most %d, got %s", where, EWC__GPUS_MAX, v);
	out->gpus = in->gpus;

	check_num(d, where, raw, C_HOURS, in->hours, EWC__R_GT0);
	out->hours = in->hours;

	if (!in->origin || !*in->origin)
		ewc__diag_add(d, "%s: origin: must not be empty", where);
	else if (!ewc__utf8_valid(in->origin))
		ewc__diag_add(d, "%s: origin: not valid UTF-8 (save the file as UTF-8)", where);
	else if ((out->site = ewc__site_find(w, in->origin)) < 0)
		ewc__diag_add(d, "%s: origin: unknown site \"%s\": no region links to it%s", where,
		              in->origin, ewc__suggest_site(w, in->origin, sug, sizeof sug));

	out->slo_ms = in->slo_ms;
	if (in->slo_ms >= 0 || isnan(in->slo_ms)) {
		check_num(d, where, raw, C_SLO_MS, in->slo_ms, EWC__R_GT0);
	} else if (in->kind == EWC_KIND_INFER) {
		ewc__diag_add(d, "%s: slo_ms: required for infer jobs", where);
	}
	if (in->kind == EWC_KIND_TRAIN)
		out->slo_ms = -1;

	check_num(d, where, raw, C_DATA_GB, in->data_gb, EWC__R_GE0);
	out->data_gb = in->data_gb;
	check_num(d, where, raw, C_PRIORITY, in->priority, EWC__R_GT0);
	out->priority = in->priority;
	check_num(d, where, raw, C_CHECKPOINT_GB, in->checkpoint_gb, EWC__R_GE0);
	out->checkpoint_gb = in->checkpoint_gb;
	out->deadline_h = in->deadline_h;
	if (in->deadline_h >= 0 || isnan(in->deadline_h))
		check_num(d, where, raw, C_DEADLINE_H, in->deadline_h, EWC__R_GT0);
	out->earliest_h = in->version >= 2 ? in->earliest_h : 0;
	if (in->version >= 2)
		check_num(d, where, raw, C_EARLIEST_H, in->earliest_h, EWC__R_GE0);
	if (out->deadline_h > 0 && out->earliest_h >= out->deadline_h)
		ewc__diag_add(d, "%s: earliest_h: must be before deadline_h (%g), got %g", where,
		              out->deadline_h, out->earliest_h);

	if (in->pin && *in->pin) {
		out->pin = ewc__region_find(w, in->pin);
		if (out->pin < 0)
			ewc__diag_add(d, "%s: pin: unknown region \"%s\"%s", where, in->pin,
			              ewc__suggest_region(w, in->pin, sug, sizeof sug));
	}
	if (in->avoid && *in->avoid) {
		const char *p = in->avoid;
		size_t cap = 1;
		char name[256];
		int rc;
		for (const char *q = p; *q; q++)
			cap += *q == '|';
		out->avoid = malloc(cap * sizeof *out->avoid);
		if (!out->avoid)
			d->oom = 1;
		rc = 0;
		while (out->avoid && (rc = next_name(&p, name, sizeof name)) == 1) {
			int r = ewc__region_find(w, name);
			if (r < 0)
				ewc__diag_add(d, "%s: avoid: unknown region \"%s\"%s", where, name,
				              ewc__suggest_region(w, name, sug, sizeof sug));
			else if (r == out->pin)
				ewc__diag_add(d, "%s: avoid: region \"%s\" is also the pin", where, name);
			else
				out->avoid[out->navoid++] = r;
		}
		if (rc < 0)
			ewc__diag_add(d, "%s: avoid: empty or overlong region id in \"%s\"", where,
			              in->avoid);
	}
	if (d->n + d->dropped != before || d->oom) {
		ewc__job_clear(out);
		return 0;
	}
	out->id = ewc__strdup(in->id);
	out->origin = ewc__strdup(in->origin);
	out->gpu_type = ewc__strdup(in->gpu_type);
	if (in->avoid && *in->avoid)
		out->avoid_text = ewc__strdup(in->avoid);
	if (!out->id || !out->origin || !out->gpu_type ||
	    (in->avoid && *in->avoid && !out->avoid_text)) {
		d->oom = 1;
		ewc__job_clear(out);
		return 0;
	}
	return 1;
}

static int staging_push(staging *s, const ewc__job *j)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		ewc__job *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = *j;
	if (ids_add(&s->ids, s->v, s->n, s->n + 1) != 0)
		return -1;
	s->n++;
	return 0;
}

/* Move the staged jobs onto the list; nothing is appended on failure. */
static int commit(ewc_jobs *jobs, staging *s)
{
	if (s->n == 0) { /* a header and no rows: nothing to move (jobs->v may be NULL) */
		staging_free(s);
		return 0;
	}
	if (jobs->n + s->n > jobs->cap) {
		size_t cap = jobs->cap ? jobs->cap : 64;
		while (cap < jobs->n + s->n)
			cap *= 2;
		ewc__job *v = realloc(jobs->v, cap * sizeof *v);
		if (!v) {
			staging_free(s);
			return ewc__seterr(EWC_ENOMEM, "out of memory");
		}
		jobs->v = v;
		jobs->cap = cap;
	}
	memcpy(jobs->v + jobs->n, s->v, s->n * sizeof *s->v);
	if (ids_add(&jobs->ids, jobs->v, jobs->n, jobs->n + s->n) != 0) {
		/* the copies past jobs->n are not part of the list: drop them */
		staging_free(s);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	jobs->n += s->n;
	free(s->v);
	free(s->ids.slot);
	memset(s, 0, sizeof *s);
	return 0;
}

int ewc__job_check(const ewc__world *w, const ewc_job *job, ewc__job *out)
{
	ewc__diag d = { 0 };
	char where[300];

	if (job->version < 1 || job->version > EWC_JOB_VERSION)
		return ewc__seterr(EWC_EVERSION, "job struct version %u not supported", job->version);
	snprintf(where, sizeof where, "job \"%s\"", job->id ? job->id : "");
	if (!check_job(w, NULL, NULL, job, NULL, where, &d, out))
		return ewc__diag_finish(&d, d.n ? EWC_EINPUT : EWC_ENOMEM);
	return 0;
}

int ewc_jobs_add(ewc_jobs *jobs, const ewc_job *job)
{
	staging s = { 0 };
	ewc__diag d = { 0 };
	ewc__job j;
	char where[300];

	if (!jobs || !job)
		return ewc__seterr(EWC_EINVAL, "ewc_jobs_add: NULL argument");
	if (jobs->generation != jobs->ctx->generation)
		return ewc__seterr(EWC_EINVAL, "job list made before the regions were reloaded");
	if (job->version < 1 || job->version > EWC_JOB_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_jobs_add: job struct version %u not supported",
		                   job->version);
	snprintf(where, sizeof where, "job \"%s\"", job->id ? job->id : "");
	if (!check_job(&jobs->ctx->w, jobs, &s, job, NULL, where, &d, &j))
		return ewc__diag_finish(&d, d.n ? EWC_EINPUT : EWC_ENOMEM);
	if (staging_push(&s, &j) != 0) {
		ewc__job_clear(&j);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	return commit(jobs, &s);
}

/* State of one CSV read. */
typedef struct reader {
	ewc_jobs *jobs;
	const char *name;
	ewc__diag d;
	staging s;
	ewc__csv c;         /* the row being read: fields, line, oversize; stop */
	int have_header;
	int map[C_COUNT];   /* CSV column of each known column, -1 if absent */
	size_t ncols;
} reader;

static int col_index(const char *name)
{
	for (int c = 0; c < C_COUNT; c++)
		if (strcmp(name, col_name[c]) == 0)
			return c;
	return -1;
}

static void header(reader *R)
{
	for (int c = 0; c < C_COUNT; c++)
		R->map[c] = -1;
	for (size_t i = 0; i < R->c.n; i++) {
		const char *f = R->c.f[i];
		int c = col_index(f);
		if (c < 0)
			ewc__diag_add(&R->d, "%s:%ld: header: unknown column \"%s\" (known: id, kind, "
			              "gpu_type, gpus, hours, origin, slo_ms, data_gb, priority, pin, "
			              "avoid, checkpoint_gb, deadline_h, earliest_h)", R->name, R->c.row_line, f);
		else if (R->map[c] >= 0)
			ewc__diag_add(&R->d, "%s:%ld: header: column \"%s\" appears twice", R->name,
			              R->c.row_line, f);
		else
			R->map[c] = (int)i;
	}
	for (int c = 0; c < C_REQUIRED; c++)
		if (R->map[c] < 0)
			ewc__diag_add(&R->d, "%s:%ld: header: required column \"%s\" is missing",
			              R->name, R->c.row_line, col_name[c]);
	R->ncols = R->c.n;
	R->have_header = 1;
	if (R->d.n)
		R->c.stop = 1;
}

static void num_field(reader *R, const char *where, const char *const *raw, int c,
                      double *out, int *bad)
{
	if (!raw[c] || !*raw[c])
		return; /* keep the default */
	if (ewc__parse_double(raw[c], out) != 0) {
		ewc__diag_add(&R->d, "%s: %s: must be a number, got \"%s\"", where, col_name[c], raw[c]);
		*bad = 1;
	}
}

static void row(reader *R)
{
	const char *raw[C_COUNT] = { 0 };
	char where[1200];
	ewc_job in = EWC_JOB_INIT;
	ewc__job j;
	int bad = 0;

	snprintf(where, sizeof where, "%s:%ld", R->name, R->c.row_line);
	if (R->c.oversize) {
		ewc__diag_add(&R->d, "%s: a field is longer than %d bytes", where, EWC__CSV_FIELD_MAX);
		return;
	}
	if (R->c.n != R->ncols) {
		ewc__diag_add(&R->d, "%s: expected %zu fields as in the header, got %zu", where,
		              R->ncols, R->c.n);
		return;
	}
	for (int c = 0; c < C_COUNT; c++)
		raw[c] = R->map[c] >= 0 ? R->c.f[R->map[c]] : NULL;
	for (int c = 0; c < C_REQUIRED; c++)
		if (!*raw[c]) {
			ewc__diag_add(&R->d, "%s: %s: required field is empty", where, col_name[c]);
			bad = 1;
		}
	if (bad)
		return;

	in.id = raw[C_ID];
	if (strcmp(raw[C_KIND], ewc_kind_name(EWC_KIND_TRAIN)) == 0)
		in.kind = EWC_KIND_TRAIN;
	else if (strcmp(raw[C_KIND], ewc_kind_name(EWC_KIND_INFER)) == 0)
		in.kind = EWC_KIND_INFER;
	else {
		ewc__diag_add(&R->d, "%s: kind: must be train or infer, got \"%s\"", where, raw[C_KIND]);
		bad = 1;
	}
	in.gpu_type = raw[C_GPU_TYPE];
	if (ewc__parse_long(raw[C_GPUS], &in.gpus) != 0) {
		ewc__diag_add(&R->d, "%s: gpus: must be an integer > 0, got \"%s\"", where, raw[C_GPUS]);
		bad = 1;
	}
	num_field(R, where, raw, C_HOURS, &in.hours, &bad);
	in.origin = raw[C_ORIGIN];
	num_field(R, where, raw, C_SLO_MS, &in.slo_ms, &bad);
	num_field(R, where, raw, C_DATA_GB, &in.data_gb, &bad);
	num_field(R, where, raw, C_PRIORITY, &in.priority, &bad);
	num_field(R, where, raw, C_CHECKPOINT_GB, &in.checkpoint_gb, &bad);
	num_field(R, where, raw, C_DEADLINE_H, &in.deadline_h, &bad);
	num_field(R, where, raw, C_EARLIEST_H, &in.earliest_h, &bad);
	/* an explicit value must pass its range check even where a negative
	 * number would otherwise mean "not given" */
	if (raw[C_SLO_MS] && *raw[C_SLO_MS] && in.slo_ms < 0)
		in.slo_ms = NAN;
	if (raw[C_DEADLINE_H] && *raw[C_DEADLINE_H] && in.deadline_h < 0)
		in.deadline_h = NAN;
	in.pin = raw[C_PIN];
	in.avoid = raw[C_AVOID];
	if (bad)
		return;
	if (check_job(&R->jobs->ctx->w, R->jobs, &R->s, &in, raw, where, &R->d, &j) &&
	    staging_push(&R->s, &j) != 0) {
		ewc__job_clear(&j);
		R->d.oom = 1;
	}
}

static void row_cb(ewc__csv *c, void *user)
{
	reader *R = user;

	(void)c;
	if (!R->have_header)
		header(R);
	else
		row(R);
	if (R->d.dropped)
		R->c.stop = 1;
}

static int parse_csv(ewc_jobs *jobs, const char *name, const char *data, size_t len)
{
	const char *nul;
	reader R;

	if (jobs->generation != jobs->ctx->generation)
		return ewc__seterr(EWC_EINVAL, "job list made before the regions were reloaded");
	/* a NUL would cut a field short without a word: not a text file */
	nul = memchr(data, '\0', len);
	if (nul) {
		long line = 1;
		for (const char *q = data; q < nul; q++)
			line += *q == '\n';
		return ewc__seterr(EWC_EINPUT, "%s:%ld: contains a NUL byte: not a text file", name,
		                   line);
	}
	memset(&R, 0, sizeof R);
	R.jobs = jobs;
	R.name = name;
	R.c.name = name;
	R.c.row = row_cb;
	R.c.user = &R;
	R.c.d = &R.d;
	if (ewc__csv_read(&R.c, data, len) != 0) {
		staging_free(&R.s);
		return ewc__diag_finish(&R.d, R.d.n ? EWC_EINPUT : EWC_ENOMEM);
	}
	return commit(jobs, &R.s);
}

int ewc_jobs_load_csv_buffer(ewc_jobs *jobs, const ewc_buffer *buf)
{
	if (!jobs || !buf || (!buf->data && buf->len))
		return ewc__seterr(EWC_EINVAL, "ewc_jobs_load_csv_buffer: NULL argument");
	return parse_csv(jobs, buf->name ? buf->name : "<buffer>", buf->data ? buf->data : "",
	                 buf->len);
}

int ewc_jobs_load_csv(ewc_jobs *jobs, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!jobs || !path)
		return ewc__seterr(EWC_EINVAL, "ewc_jobs_load_csv: NULL argument");
	/* a regular file under the cap, checked before anything is read */
	if ((rc = ewc__slurp(path, EWC_JOBS_MAX_BYTES, &data, &len)) != 0)
		return rc;
	rc = parse_csv(jobs, path, data, len);
	free(data);
	return rc;
}
