/* ewc_int.h - internal data structures and helpers of libewc (not installed) */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_INT_H
#define EWC_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include "ewc.h"

/* Problems reported per input before the rest are summarised. */
#define EWC__MAX_DIAG 25
/* GPU-type alternatives one job may list. */
#define EWC__MAX_ALT 8

#if defined(__GNUC__)
#define EWC__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EWC__PRINTF(a, b)
#endif

/* A list of problems found in one input, joined into the thread's error
 * message by ewc__diag_finish(). */
typedef struct ewc__diag {
	char *lines[EWC__MAX_DIAG];
	size_t n;
	size_t dropped;
	int oom;
} ewc__diag;

void ewc__diag_add(ewc__diag *d, const char *fmt, ...) EWC__PRINTF(2, 3);
/* Set the thread's message from d and free it; returns `code` when d holds
 * any problem, 0 otherwise. */
int ewc__diag_finish(ewc__diag *d, int code);
void ewc__diag_free(ewc__diag *d);

/* Set the thread's error message; returns code. */
int ewc__seterr(int code, const char *fmt, ...) EWC__PRINTF(2, 3);

char *ewc__strdup(const char *s);
/* Drop the line breaks at the end of s. */
void ewc__strip_nl(char *s);
/* v with thousands separators and dec decimals ("60,000.0"), past 1e15 in
 * exponent form, for messages; writes buf and returns it. */
const char *ewc__num(char *buf, size_t len, double v, int dec);
/* printf into a fresh heap string, or NULL. */
char *ewc__asprintf(const char *fmt, ...) EWC__PRINTF(1, 2);

/* Value ranges of input fields, shared by the XML and CSV readers. */
typedef enum { EWC__R_ANY, EWC__R_GE0, EWC__R_GT0, EWC__R_01, EWC__R_GE1, EWC__R_PERF } ewc__range;
/* No figure of an input is larger than this in magnitude: the products of
 * the cost model (GPUs x hours x watts x PUE x grid factor x price ...)
 * and their sums over a million jobs then stay far inside a double, so no
 * output can hold inf or nan. A perf figure is between 1e-6 and 1e6, so
 * that a ratio of two stays within 1e12. */
#define EWC__FIGURE_MAX 1e12
/* 1 when v is finite, at most EWC__FIGURE_MAX in magnitude and within r. */
int ewc__in_range(double v, ewc__range r);
/* The range as messages say it: ">= 0", "between 0 and 1". */
const char *ewc__range_text(ewc__range r);
/* What a message says v must be: the range, or for a figure past
 * EWC__FIGURE_MAX "at most 1e+12 (...)". */
const char *ewc__range_why(double v, ewc__range r);

/* Strict number parsing: the whole string, finite. 0 on success. */
int ewc__parse_double(const char *s, double *out);
int ewc__parse_long(const char *s, long *out);

/* Read a whole regular file of at most `max` bytes into a fresh,
 * NUL-terminated buffer. 0, or the code with the message set. */
int ewc__slurp(const char *path, size_t max, char **data, size_t *len);

/* A field longer than this in a CSV is an error, not data. */
#define EWC__CSV_FIELD_MAX 4096

/* One CSV read (csv.c): `row` is called with each row's fields f[0..n-1]
 * (UTF-8 BOM dropped, CRLF allowed), the line it starts on, and oversize
 * set when a field was longer than EWC__CSV_FIELD_MAX (and emptied). The
 * callback may keep a field by taking the pointer and setting f[i] to NULL,
 * and sets stop to end the read. */
typedef struct ewc__csv {
	const char *name;
	void (*row)(struct ewc__csv *c, void *user);
	void *user;
	ewc__diag *d;
	int stop;
	char **f;
	size_t n, cap;
	long row_line;
	int oversize;
	size_t rows;       /* rows seen, the header included */
	long line;         /* physical line being fed */
	size_t unfielded;  /* bytes fed since the last field ended */
} ewc__csv;
/* 0, or -1 with the problems (malformed CSV, an overlong field, an empty
 * file) in c->d, as "name:line: ...". */
int ewc__csv_read(ewc__csv *c, const char *data, size_t len);

/* 1 when s is well-formed UTF-8 (no overlong forms, no surrogates). */
int ewc__utf8_valid(const char *s);

/* An ISO 8601 time as feeds write it: YYYY-MM-DDTHH:MM:SS, optional
 * fraction, then Z, +HH:MM, -HH:MM or nothing (UTC). Seconds since the
 * epoch; 0, or -1 when malformed. */
int ewc__time_parse_iso(const char *text, double *out);

typedef struct ewc__gpu {
	char *type;
	double watts;
	double perf;
	int domestic;  /* made in China (gpu@domestic="true") */
} ewc__gpu;

typedef struct ewc__rgpu {
	int type;      /* index into ctx->gpus */
	long free;
	double price;  /* CNY per GPU-hour */
	long taken;    /* taken off free by ewc_db_ledger(): GPUs committed in
	                * the database after the region's figures were taken */
	long adj;      /* taken off free since (negative) by reservations of no
	                * interval and the GPUs a rebalancing holds for jobs past
	                * their hours: an hourly <free> series, which stands for the
	                * figure as given, counts them in every hour too */
} ewc__rgpu;

typedef struct ewc__link {
	int site;      /* index into ctx->sites */
	double latency_ms;
	double price_per_gb;
	double gbps;   /* 0 when not given */
} ewc__link;

/* A region's figures over time (when.c): a time-of-use tariff and hourly
 * series, from <tariff> and <hourly>. */
enum { EWC__FLAT = 0, EWC__PEAK = 1, EWC__VALLEY = 2 };
typedef struct ewc__series {
	double *v;
	size_t n;
	double start;   /* when v[0] holds, seconds since the epoch */
	double step_h;  /* hours each value holds */
} ewc__series;
/* One <tariff>: the periods and ratios of the months it covers. */
typedef struct ewc__tariff {
	unsigned months;           /* bit m-1 for month m; 0: every month no other covers */
	unsigned char period[24];  /* EWC__FLAT/PEAK/VALLEY by local hour */
	double peak_ratio, valley_ratio;
	int tz_min;                /* the tariff's local time: minutes east of UTC */
} ewc__tariff;
typedef struct ewc__when {
	int has_tariff;            /* ntariff > 0 */
	ewc__tariff tariff[13];    /* seasons by month (at most 12) and one for the rest */
	int ntariff;
	int has_hourly;
	double start;              /* seconds since the epoch */
	double step_h;             /* hours a value holds */
	ewc__series price, grid, green;
	ewc__series *free;         /* [nfree] GPUs free of type free_type[k] */
	int *free_type;            /* catalog indices */
	size_t nfree;
	/* GPUs that running jobs of the state database give back when they
	 * end (ewc_db_ledger()): rel_gpus[k] of type rel_type[k] at rel_end[k] */
	double *rel_end;
	long *rel_gpus;
	int *rel_type;
	size_t nrel;
} ewc__when;

typedef struct ewc__region {
	char *id;
	char *name;
	char *file;
	int line;
	ewc_zone zone;
	double power_price;
	double green_share;
	double grid_factor;
	double pue;
	ewc__rgpu *gpus;
	size_t ngpus;
	ewc__link *links;
	size_t nlinks;
	ewc__when *when; /* NULL: the same figures at every hour */
	double as_of;  /* when its free counts were true (seconds since the
	                * epoch): <regions as-of>, the file's time, the load's
	                * time for a buffer, or a feed's when it set them */
} ewc__region;

void ewc__when_free(ewc__when *t);
/* A deep copy, or NULL (for NULL, or out of memory). */
ewc__when *ewc__when_copy(const ewc__when *t);
/* 1 when import format f reads forecasts into hourly series (import.c). */
int ewc__import_forecast(const char *f);
/* Import i's hourly series as stored: "REGION\tSTART\tv1 v2 ...", or NULL. */
const char *ewc__import_series_raw(const ewc_import *im, size_t i);
/* The settings (ewc__ctx_set_all()) and hourly series ("REGION\tSTART\t
 * VALUES") applied together, all or nothing; lenient: those whose region
 * or pool is not loaded are skipped and counted in *skipped. */
int ewc__series_apply(ewc_ctx *ctx, const char *const *settings, size_t nset,
                      const char *const *series, size_t n, int lenient, size_t *skipped);
/* The figures of region R in the hour starting at T (seconds since the
 * epoch): the tariff's period and price, then any hourly series. */
typedef struct ewc__slot {
	int period;
	double price;
	double grid_factor;
	double green_share;
} ewc__slot;
void ewc__when_slot(const ewc__region *R, double T, ewc__slot *out);
int ewc__when_period(const ewc__when *t, double T);
/* GPUs free of R's entry k at T: its hourly <free> series, less the
 * ledger's, or gpus[k].free. */
long ewc__when_free_at(const ewc__region *R, int k, double T);
/* Add to R's events: g GPUs of type t free from time T on (g < 0: taken
 * from then on; slots count what holds at their start). 0 or EWC_ENOMEM. */
int ewc__when_event(ewc__region *R, int t, double T, long g);

/* Everything loaded by one ewc_ctx_load_regions() call; swapped into the
 * context whole. */
/* Names -> index, by open addressing over a string hash: slot holds the
 * index + 1, 0 is empty; cap is 0 (no index: look up linearly) or a power
 * of two kept over half free. */
typedef struct ewc__index {
	size_t *slot;
	size_t cap, n;
} ewc__index;

typedef struct ewc__world {
	ewc__gpu *gpus;
	size_t ngpus;
	ewc__region *regions;
	size_t nregions, capregions;
	char **sites;
	size_t nsites, capsites;
	/* over regions[].id and sites[]: loading and lookups stay linear in
	 * the number of regions (a million regions load in seconds) */
	ewc__index region_ix, site_ix;
	/* the newest run of the state database whose GPUs ewc_db_ledger() took
	 * off the free counts (0: none) */
	long long ledger_run;
} ewc__world;

/* Index entry i of w's regions (or sites): after appending it. On failure
 * (out of memory) the index is dropped and lookups fall back to a scan. */
void ewc__world_index_region(ewc__world *w, size_t i);
void ewc__world_index_site(ewc__world *w, size_t i);

/* One GPU reservation made by ewc_place_one() or ewc_plan_commit(). */
typedef struct ewc__resv {
	int region;
	int type;
	long gpus;
	unsigned int gen;   /* bumped each time the slot is reused */
	int used;
	double t0, t1;      /* held over [t0, t1) (seconds since the epoch); t1 <= 0:
	                     * until released, taken off the free count */
} ewc__resv;

/* Whether reservation v is of an interval and holds GPUs in the hour from
 * T (a slot: [T, T + 1 h)). */
static inline int ewc__resv_in_hour(const ewc__resv *v, double T)
{
	return v->used && v->t1 > 0 && v->t0 < T + 3600.0 && v->t1 > T;
}

struct ewc_ctx {
	/* Guards everything below: the regions (free GPUs and prices change
	 * under schedulers' feet), the generation and the reservations. */
	pthread_mutex_t lock;
	ewc__world w;
	unsigned long generation;  /* bumped by every successful load */
	ewc__resv *resv;
	size_t nresv, capresv;
	int *free_slots;           /* stack of unused slots in resv */
	size_t nfree_slots;
	unsigned int resv_gen;     /* generation of the newest reservation */
};

void ewc__lock(ewc_ctx *ctx);
void ewc__unlock(ewc_ctx *ctx);

void ewc__world_free(ewc__world *w);
/* Deep copy; 0 or -1 (out of memory, dst left empty). */
int ewc__world_copy(ewc__world *dst, const ewc__world *src);
/* Apply ewc_ctx_set() settings all or nothing. Lenient: settings that do
 * not apply (region or pool not loaded) are skipped and counted instead. */
int ewc__ctx_set_all(ewc_ctx *ctx, const char *const *settings, size_t n, int lenient,
                     size_t *skipped);
int ewc__gpu_find(const ewc__world *w, const char *type);
int ewc__region_find(const ewc__world *w, const char *id);
int ewc__site_find(const ewc__world *w, const char *site);
/* "; did you mean "x"?" naming the candidates closest to name (at most two
 * edits, or a third of its length), or "" when none is close. at(set, i)
 * gives candidate i of n. Writes buf and returns it. */
const char *ewc__suggest(const char *name, const char *(*at)(const void *, size_t),
                         const void *set, size_t n, char *buf, size_t len);
/* The same over the world's sites, region ids and GPU types. */
const char *ewc__suggest_site(const ewc__world *w, const char *name, char *buf, size_t len);
const char *ewc__suggest_region(const ewc__world *w, const char *name, char *buf, size_t len);
const char *ewc__suggest_gpu(const ewc__world *w, const char *name, char *buf, size_t len);
/* Index into r->gpus of type t, or -1. */
int ewc__region_gpu(const ewc__region *r, int t);
/* The link from site s into r, or NULL. */
const ewc__link *ewc__region_link(const ewc__region *r, int s);

typedef struct ewc__job {
	char *id;
	ewc_kind kind;
	char *gpu_type;           /* as given: "A100|910B" */
	char *avoid_text;         /* as given, or NULL */
	int ntypes;
	int types[EWC__MAX_ALT];  /* catalog indices, first is the reference */
	long gpus;
	double hours;
	char *origin;
	int site;                 /* index into ctx sites, -1 if no region links it */
	double slo_ms;            /* < 0: none */
	double data_gb;
	double priority;
	int pin;                  /* region index or -1 */
	int *avoid;               /* region indices */
	int navoid;
	double checkpoint_gb;
	double deadline_h;        /* < 0: none */
	double earliest_h;        /* >= 0 */
	int line;                 /* CSV line, 0 when added through the API */
} ewc__job;

/* Check one job against w without a list (no duplicate check). 0, or
 * EWC_EINPUT/EWC_EVERSION/EWC_ENOMEM with the message set. Free the result
 * with ewc__job_clear(). */
int ewc__job_check(const ewc__world *w, const ewc_job *job, ewc__job *out);
void ewc__job_clear(ewc__job *j);

/* Job ids -> index into a job array, by open addressing: slot holds the
 * index + 1, 0 is empty; cap is 0 or a power of two, kept over half free. */
typedef struct ewc__ids {
	size_t *slot;
	size_t cap;
} ewc__ids;

struct ewc_jobs {
	ewc_ctx *ctx;
	ewc__ids ids;              /* over v */
	unsigned long generation;  /* of ctx when the list was made */
	ewc__job *v;
	size_t n, cap;
};

/* The cost model (docs/formats.md) for job j on region r, GPU type t. */
typedef struct ewc__cost {
	long gpus;          /* held on type t */
	double hours;       /* on type t */
	double gpu_hours;
	double energy_kwh;
	double gpu_cny;
	double power_cny;
	double transfer_cny;
	double cost_cny;
	double green_kwh;   /* energy covered by contracted green supply */
	double carbon_kg;
	double carbon_location_kg;
	double latency_ms;  /* < 0: no link from origin */
} ewc__cost;

void ewc__cost_eval(const ewc__world *w, const ewc__job *j, int r, int t,
                    ewc__cost *out);
/* The cost c of running from T: power, carbon and green energy summed
 * over each hour's figures (the last hour in part). */
void ewc__when_cost(const ewc__region *R, double T, ewc__cost *c);
/* Hours to move job j's data over link l: 0 without data or bandwidth. */
double ewc__transfer_hours(const ewc__job *j, const ewc__link *l);
/* The GPUs job j holds on type t: its own for training and on its first
 * type; for a service, ceil(gpus x perf(first) / perf(t)). */
long ewc__job_gpus(const ewc__world *w, const ewc__job *j, int t);

/* The value the mode minimises for one option. */
/* The mode's objective, carbon on the basis given. */
double ewc__objective(ewc_mode mode, double carbon_price, ewc_carbon_basis basis,
                      const ewc__cost *c);
/* The carbon on that basis, of one option or of totals. */
static inline double ewc__basis_kg(ewc_carbon_basis basis, const ewc__cost *c)
{
	return basis == EWC_BASIS_LOCATION ? c->carbon_location_kg : c->carbon_kg;
}
static inline double ewc__totals_kg(ewc_carbon_basis basis, const ewc_totals *t)
{
	return basis == EWC_BASIS_LOCATION ? t->carbon_location_kg : t->carbon_kg;
}
/* The basis of opts: market for structs older than version 4. */
ewc_carbon_basis ewc__basis(const ewc_place_options *opts);

/* Static eligibility of job j on region r, type t, with `free_gpus` free:
 * 1 if eligible, else 0 with the reason written into why. */
int ewc__eligible(const ewc__world *w, const ewc__job *j, int r, int t,
                  long free_gpus, char *why, size_t whylen);

/* Why job j has no eligible option at all (a summary over regions). */
void ewc__explain_none(const ewc__world *w, const ewc__job *j, char *why,
                       size_t whylen);

/* Check the options both placement calls share (version, mode, carbon
 * price); `who` names the caller in messages. 0 or an error code, set. */
int ewc__check_options(const ewc_place_options *opts, const char *who);
/* EWC_EINVAL when opts set a policy constraint: `who` has none. */
int ewc__no_policy(const ewc_place_options *opts, const char *who);
/* Copy checked options; a version 1 struct gets the later fields' defaults. */
void ewc__options_copy(ewc_place_options *dst, const ewc_place_options *src);

#endif /* EWC_INT_H */
