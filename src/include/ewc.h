/* ewc.h - public API of libewc, the East Data West Compute placement engine */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_H
#define EWC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EWC_VERSION "0.1.0"
#define EWC_VERSION_NUM 0x000100 /* 0xMMmmpp */

/* The library's version string at run time (may differ from EWC_VERSION
 * when the program was built against another release). Never NULL. */
const char *ewc_version(void);

/* Error codes. Every int-returning function returns 0 on success or one of
 * these; the human message, naming file, line and field for bad input, is
 * ewc_errmsg(). */
enum {
	EWC_OK = 0,
	EWC_ERROR = -1,     /* unspecified failure */
	EWC_ENOMEM = -2,    /* out of memory */
	EWC_EINVAL = -3,    /* invalid argument from the caller */
	EWC_EIO = -4,       /* a file could not be read or written */
	EWC_EINPUT = -5,    /* bad input data: regions, catalog or jobs */
	EWC_ENOTFOUND = -6, /* no such job, region or GPU type */
	EWC_ESOLVER = -7,   /* the optimiser failed */
	EWC_EVERSION = -8,  /* a struct's version field is not supported */
	EWC_ECAPACITY = -9, /* not enough free GPUs now: capacity changed */
	EWC_EPOLICY = -10,  /* no plan meets the policy constraints */
	EWC_EFEED = -11,    /* some feeds failed; the others were stored */
	EWC_EALREADY = -12, /* done already: the plan was committed before */
	EWC_EFEEDS = -13    /* every feed failed: nothing was stored */
};

/* A short fixed description of an error code. Never NULL. */
const char *ewc_strerror(int code);

typedef struct ewc_ctx ewc_ctx;
typedef struct ewc_jobs ewc_jobs;
typedef struct ewc_plan ewc_plan;

/* Create an empty context (no regions, no catalog). Returns 0, or
 * EWC_ENOMEM. The caller frees it with ewc_ctx_free(). */
int ewc_ctx_new(ewc_ctx **out);

/* Free a context. NULL is fine. Job lists and plans made from it must be
 * freed first. */
void ewc_ctx_free(ewc_ctx *ctx);

/* The message of the most recent failing call made by the calling thread,
 * whatever handle it was made on (like libgit2's git_error_last()). It is
 * kept per thread, not per handle, because one context is shared by many
 * threads: a message on the context would be overwritten by another
 * thread's failure before its caller could read it. Several problems found
 * in one input are on separate lines. The string belongs to the library and
 * stays valid until the thread's next failing call. Never NULL. */
const char *ewc_errmsg(void);

/* An in-memory input: `name` is what error messages call it. */
typedef struct ewc_buffer {
	const char *name;
	const char *data;
	size_t len;
} ewc_buffer;

/* Load region descriptors and the GPU catalog (docs/formats.md) from
 * `npaths` files or folders (a folder loads every *.xml in it) and `nbufs`
 * memory buffers, together: the catalog is the document whose root is
 * <gpus>, the others hold <regions>. Either array may be NULL when its count
 * is 0. Everything is validated before anything changes: on success the
 * context's regions and catalog are replaced, on failure the context is left
 * as it was and ewc_errmsg() lists the problems (EWC_EINPUT, EWC_EIO). */
int ewc_ctx_load_regions(ewc_ctx *ctx, const char *const *paths, size_t npaths,
                         const ewc_buffer *bufs, size_t nbufs);

typedef enum { EWC_ZONE_EAST = 0, EWC_ZONE_WEST = 1 } ewc_zone;

/* Short name of a zone, "east" or "west". */
const char *ewc_zone_name(ewc_zone zone);

#define EWC_REGION_INFO_VERSION 2
typedef struct ewc_region_info {
	unsigned int version;
	const char *id;
	const char *name;
	ewc_zone zone;
	double power_price;  /* CNY/kWh */
	double green_share;  /* 0..1 */
	double grid_factor;  /* kg CO2/kWh */
	double pue;
	size_t gpu_types;    /* entries for ewc_region_gpu() */
	size_t links;        /* entries for ewc_region_link() */
	const char *file;    /* where it was loaded from */
	int line;
	/* version 2: when its free counts were true (seconds since the epoch):
	 * <regions as-of>, the file's time, the load's time for a buffer, or
	 * the time of the feed that set them */
	double as_of;
} ewc_region_info;
#define EWC_REGION_INFO_INIT { EWC_REGION_INFO_VERSION, NULL, NULL, EWC_ZONE_EAST, 0, 0, 0, 0, 0, 0, NULL, 0, 0 }

/* Regions loaded, in load order. */
size_t ewc_region_count(const ewc_ctx *ctx);

/* Fill `out` (initialised with EWC_REGION_INFO_INIT) for region `i`.
 * Strings belong to the context. Returns 0, EWC_EINVAL or EWC_EVERSION. */
int ewc_region_get(const ewc_ctx *ctx, size_t i, ewc_region_info *out);

/* GPU inventory entry `k` of region `i`: type name, free GPUs, CNY per
 * GPU-hour (power not included). Any out pointer may be NULL. */
int ewc_region_gpu(const ewc_ctx *ctx, size_t i, size_t k, const char **type,
                   long *free_gpus, double *price);

/* Link entry `k` of region `i`: demand site, round-trip latency (ms), CNY
 * per GB moved from the site into the region, bandwidth (Gbit/s, 0 when not
 * given). Any out pointer may be NULL. */
int ewc_region_link(const ewc_ctx *ctx, size_t i, size_t k, const char **site,
                    double *latency_ms, double *price_per_gb, double *gbps);

/* GPU types in the catalog, in file order. */
size_t ewc_gpu_count(const ewc_ctx *ctx);

/* Catalog entry `k`: type name, watts per GPU while running, relative
 * performance. Any out pointer may be NULL. */
int ewc_gpu_get(const ewc_ctx *ctx, size_t k, const char **type, double *watts,
                double *perf);

typedef enum { EWC_KIND_TRAIN = 0, EWC_KIND_INFER = 1 } ewc_kind;

/* Short name of a job kind, "train" or "infer". */
const char *ewc_kind_name(ewc_kind kind);

#define EWC_JOB_VERSION 2
/* A job as in docs/formats.md, "Jobs". Unset optional numbers keep the INIT values:
 * slo_ms and deadline_h < 0 mean "none". */
typedef struct ewc_job {
	unsigned int version;
	const char *id;
	ewc_kind kind;
	const char *gpu_type;  /* "H800" or alternatives "A100|910B" */
	long gpus;
	double hours;          /* on the first listed type */
	const char *origin;
	double slo_ms;
	double data_gb;
	double priority;
	const char *pin;       /* region id or NULL */
	const char *avoid;     /* region ids joined by '|', or NULL */
	double checkpoint_gb;
	double deadline_h;
	/* version 2; a version 1 struct ends above and gets 0 */
	double earliest_h;     /* hours after the plan's start before which it cannot start */
} ewc_job;
#define EWC_JOB_INIT { EWC_JOB_VERSION, NULL, EWC_KIND_TRAIN, NULL, 0, 0, NULL, -1, 0, 1, NULL, NULL, 0, -1, 0 }

/* Create an empty job list bound to ctx (its catalog and regions are used to
 * check GPU types and region ids, so load them first; reloading the regions
 * makes the list stale, and ewc_place() then refuses it with EWC_EINVAL). Returns 0, EWC_ENOMEM
 * or EWC_EINVAL. Free with ewc_jobs_free(). */
int ewc_jobs_new(ewc_jobs **out, ewc_ctx *ctx);

/* Free a job list. NULL is fine. */
void ewc_jobs_free(ewc_jobs *jobs);

/* Append one job, copied. Returns 0, or EWC_EINPUT with the problems in
 * ewc_errmsg(); on failure the list is unchanged. */
int ewc_jobs_add(ewc_jobs *jobs, const ewc_job *job);

/* Append every job of a CSV file (docs/formats.md). All rows are checked; on
 * any problem nothing is appended and ewc_errmsg() lists them with their
 * line and column. The file must be a regular one (a FIFO or a device is
 * refused before it is read: EWC_EIO) of at most EWC_JOBS_MAX_BYTES
 * (EWC_EINPUT). Returns 0, EWC_EIO, EWC_EINPUT or EWC_ENOMEM. */
#define EWC_JOBS_MAX_BYTES (512u * 1024u * 1024u)
int ewc_jobs_load_csv(ewc_jobs *jobs, const char *path);

/* The same for CSV text in memory. */
int ewc_jobs_load_csv_buffer(ewc_jobs *jobs, const ewc_buffer *buf);

size_t ewc_jobs_count(const ewc_jobs *jobs);

/* Fill `out` (its version set, e.g. from EWC_JOB_INIT) with job `i` as
 * stored: strings belong to the list. Returns 0, EWC_EINVAL or
 * EWC_EVERSION. */
int ewc_jobs_get(const ewc_jobs *jobs, size_t i, ewc_job *out);

/* Index of the job with this id, or -1. */
long ewc_jobs_find(const ewc_jobs *jobs, const char *id);

typedef enum {
	EWC_MODE_BALANCED = 0, /* cost + carbon_price * carbon / 1000 */
	EWC_MODE_COST = 1,     /* cost only */
	EWC_MODE_CARBON = 2    /* carbon only; cost breaks ties */
} ewc_mode;

/* "balanced", "cost" or "carbon". */
const char *ewc_mode_name(ewc_mode mode);

/* Which carbon figure the carbon mode, the carbon price and carbon budgets
 * use (docs/formats.md, "Cost model"). Both are always reported. */
typedef enum {
	EWC_BASIS_MARKET = 0,  /* energy * (1 - green share) * grid factor */
	EWC_BASIS_LOCATION = 1 /* energy * grid factor */
} ewc_carbon_basis;

/* "market" or "location". */
const char *ewc_carbon_basis_name(ewc_carbon_basis basis);

/* Parse a basis name. Returns 0 or EWC_EINVAL. */
int ewc_carbon_basis_parse(ewc_carbon_basis *out, const char *name);

/* Parse a mode name. Returns 0 or EWC_EINVAL. */
int ewc_mode_parse(ewc_mode *out, const char *name);

/* How ewc_place() solves. AUTO: the direct model on GLPK's branch-and-cut
 * for small lists, the decomposition over the capacity rows (prices on
 * each region's GPUs, then a small MIP for the jobs still in question) for
 * large ones. Both report a proven lower bound; docs/model.md explains. */
typedef enum ewc_solver {
	EWC_SOLVER_AUTO = 0,
	EWC_SOLVER_DIRECT = 1,
	EWC_SOLVER_DECOMPOSE = 2
} ewc_solver;

/* Called by the decomposition as a long solve improves: the phase
 * ("priority", "prices", "polish"), the best objective found and the proven
 * bound (in phase "priority": the total priority placed and its upper
 * bound). From the calling thread; it must not call back into the context. */
typedef void (*ewc_progress_fn)(void *user, const char *phase, double objective,
                                double bound);

#define EWC_PLACE_OPTIONS_VERSION 5
typedef struct ewc_place_options {
	unsigned int version;
	ewc_mode mode;
	double carbon_price;   /* CNY per tonne CO2, balanced mode */
	double mip_gap;        /* relative gap at which the solver may stop */
	double time_limit;     /* seconds for the whole solve, > 0 */
	const char *write_lp;  /* if not NULL, write the model here (CPLEX LP) */
	/* version 2; a version 1 struct ends above and gets the defaults */
	ewc_solver solver;
	ewc_progress_fn progress;  /* or NULL */
	void *progress_user;
	/* version 3: policy constraints, each < 0 when not set. They hold for
	 * the plan that places the most priority that fits without them; when
	 * they cannot, ewc_place() fails with EWC_EPOLICY naming them. */
	double carbon_budget_kg;   /* the plan's carbon (on carbon_basis) at most this */
	double min_green_share;    /* green share of the energy placed, 0..1 */
	double max_region_share;   /* GPUs placed in one region / all placed, 0..1 */
	/* version 4; older structs get EWC_BASIS_MARKET */
	ewc_carbon_basis carbon_basis; /* the carbon that mode, price and budget use */
	/* version 5: planning over time (docs/formats.md, "Time"). With
	 * horizon_h > 0 the plan also chooses each job's start: hourly slots
	 * from start_time (seconds since the epoch, whole hours; 0: the
	 * current hour), at most EWC_HORIZON_MAX of them. 0: the static plan. */
	int horizon_h;
	double start_time;
} ewc_place_options;
#define EWC_HORIZON_MAX 8784 /* a leap year of hours */
#define EWC_PLACE_OPTIONS_INIT \
	{ EWC_PLACE_OPTIONS_VERSION, EWC_MODE_BALANCED, 100.0, 1e-4, 60.0, NULL, \
	  EWC_SOLVER_AUTO, NULL, NULL, -1, -1, -1, EWC_BASIS_MARKET, 0, 0 }

/* Place every job of `jobs` on the context's regions (docs/formats.md, "Cost model"): the
 * plan first maximises the total priority placed, then minimises the mode's
 * objective; the baseline plan is computed beside it. opts may be NULL for
 * the defaults. The plan refers to ctx and jobs, which must outlive it.
 * Returns 0 (also when some jobs are unplaced: see ewc_plan_totals),
 * EWC_EINVAL, EWC_EVERSION, EWC_EIO (write_lp), EWC_ESOLVER or EWC_EPOLICY.
 * Free the plan with ewc_plan_free(). */
int ewc_place(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
              const ewc_place_options *opts);

/* Read a policy file into opts (version 3 or later): one element,
 * <policy carbon-budget-kg="KG" min-green-share="0..1"
 * max-region-share="0..1"/>, every attribute optional; the ones given
 * replace opts' values. 0, or EWC_EIO / EWC_EINPUT with the file, line and
 * attribute named (opts then unchanged). */
int ewc_policy_load(ewc_place_options *opts, const char *path);

/* ewc_place() from a plan in hand: `from` is a plan of a job list with the
 * same ids in the same order, perhaps on other regions or options (a
 * what-if's base, a neighbour on the frontier). Its choices that still fit
 * are the solver's start, so the result is never worse than them at the
 * same priority placed. from may be NULL. */
int ewc_place_from(ewc_plan **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                   const ewc_place_options *opts, const ewc_plan *from);

void ewc_plan_free(ewc_plan *plan);

#define EWC_TOTALS_VERSION 3
typedef struct ewc_totals {
	unsigned int version;
	double cost_cny;           /* GPU + power + transfer */
	double gpu_cny;
	double power_cny;
	double transfer_cny;
	double carbon_kg;          /* energy * grid factor * (1 - green share) */
	double carbon_location_kg; /* energy * grid factor */
	double energy_kwh;
	double gpu_hours;
	double gpu_hours_east;
	double gpu_hours_west;
	double objective;          /* what the mode minimises, over placed jobs */
	double lower_bound;        /* proven; equals objective for the baseline */
	double gap;                /* (objective - lower_bound) / max(1, |objective|) */
	double priority_placed;
	size_t placed;
	size_t unplaced;
	/* version 2; a version 1 struct ends above */
	double gpu_hours_domestic; /* on GPU types the catalog marks domestic */
	double green_kwh;          /* energy * green share */
	size_t placed_west;        /* jobs placed in the west */
	/* version 3; a version 2 struct ends above */
	double priority_bound;     /* proven: no plan places more priority. When
	                            * above priority_placed, the plan may have left
	                            * placeable work out (not proven maximal) */
} ewc_totals;
#define EWC_TOTALS_INIT { EWC_TOTALS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Totals of the optimised plan and of the baseline ("stay near the
 * origin"). Returns 0, EWC_EINVAL or EWC_EVERSION. */
int ewc_plan_totals(const ewc_plan *plan, ewc_totals *out);
int ewc_plan_baseline(const ewc_plan *plan, ewc_totals *out);

#define EWC_COMPARISON_VERSION 1
/* The optimised plan against the baseline. Positive savings mean the plan
 * is better; percentages are of the baseline figure (0 when it is 0). */
typedef struct ewc_comparison {
	unsigned int version;
	double cost_saved_cny;
	double cost_saved_pct;
	double carbon_avoided_kg;
	double carbon_avoided_pct;
	double transfer_extra_cny;     /* transfer the plan pays beyond the baseline's */
	double gpu_power_saved_cny;    /* GPU + power cost the plan saves */
	double east_gpu_hours_freed;   /* eastern GPU-hours the baseline used and the plan does not */
	long placed_diff;              /* plan's placed jobs minus the baseline's */
} ewc_comparison;
#define EWC_COMPARISON_INIT { EWC_COMPARISON_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

int ewc_plan_compare(const ewc_plan *plan, ewc_comparison *out);

/* Mode and carbon price the plan was made with. */
ewc_mode ewc_plan_mode(const ewc_plan *plan);
double ewc_plan_carbon_price(const ewc_plan *plan);
/* The carbon basis the plan was made with. */
ewc_carbon_basis ewc_plan_carbon_basis(const ewc_plan *plan);

/* 1 when the solver proved the plan optimal within the requested gap and
 * proved the placed priority maximal; 0 when it stopped at the time limit. */
int ewc_plan_proven(const ewc_plan *plan);

/* What the policy constraints of a plan came to. A limit < 0 was not set. */
#define EWC_POLICY_VERSION 1
typedef struct ewc_policy {
	unsigned int version;
	double carbon_budget_kg;
	double carbon_kg;          /* the plan's */
	double min_green_share;
	double green_share;        /* the plan's: green kWh / kWh (0 with none) */
	double max_region_share;
	double region_share;       /* the largest share of placed GPUs in one region */
	const char *region;        /* that region, or NULL when nothing is placed */
} ewc_policy;
#define EWC_POLICY_INIT { EWC_POLICY_VERSION, -1, 0, -1, 0, -1, 0, NULL }
int ewc_plan_policy(const ewc_plan *plan, ewc_policy *out);

typedef enum ewc_shadow_kind {
	EWC_SHADOW_CAPACITY = 0,     /* one more GPU free in a (region, type) */
	EWC_SHADOW_CARBON_BUDGET,    /* one more tonne of carbon budget */
	EWC_SHADOW_GREEN_SHARE,      /* a minimum green share 1 point lower */
	EWC_SHADOW_REGION_SHARE      /* a region's maximum share 1 point higher */
} ewc_shadow_kind;

#define EWC_SHADOW_VERSION 1
/* A shadow price: what relaxing one binding constraint by one unit is worth
 * to the objective (CNY; kg CO2 in carbon mode), over the whole plan. From
 * the duals of the plan's LP with its placed jobs fixed: a marginal rate,
 * exact while the change is small (for capacity: while the GPUs it frees
 * move whole jobs, or shares of them in the LP). */
typedef struct ewc_shadow {
	unsigned int version;
	ewc_shadow_kind kind;
	const char *region;     /* capacity, region share; else NULL */
	const char *gpu_type;   /* capacity; else NULL */
	long free_gpus;         /* capacity: free in the pool */
	long used_gpus;         /* capacity: the plan's GPUs there */
	double value;           /* >= 0: objective saved per unit */
} ewc_shadow;
#define EWC_SHADOW_INIT { EWC_SHADOW_VERSION, EWC_SHADOW_CAPACITY, NULL, NULL, 0, 0, 0 }

/* "capacity", "carbon_budget", "min_green_share", "max_region_share"; and
 * the unit a value is per: "GPU", "t CO2", "percentage point". */
const char *ewc_shadow_kind_name(ewc_shadow_kind kind);
const char *ewc_shadow_unit(ewc_shadow_kind kind);

/* Compute the shadow prices of a plan: every capacity the plan fills and
 * every policy constraint set. *count receives how many. The plan is not
 * const here because the prices are kept in it, for ewc_plan_shadow() and
 * ewc_plan_to_json(): they come from an LP solve, too dear to repeat per
 * read or to make on every plan that never asks. The first call solves,
 * later ones return the kept count. Not while another thread reads the
 * plan. 0, EWC_EINVAL, EWC_ENOMEM or EWC_ESOLVER. */
int ewc_plan_compute_shadow_prices(ewc_plan *plan, size_t *count);
/* Shadow price i (capacity first, by region and type; then the policies).
 * Strings belong to the plan. */
int ewc_plan_shadow(const ewc_plan *plan, size_t i, ewc_shadow *out);
/* The LP objective the shadow prices come from (<= the plan's objective). */
double ewc_plan_lp_objective(const ewc_plan *plan);

#define EWC_ASSIGNMENT_VERSION 2
/* One job's line of a plan. region is NULL when the job is unplaced, and
 * then `reason` says why. baseline_region is where the baseline put it
 * (NULL if nowhere). */
typedef struct ewc_assignment {
	unsigned int version;
	const char *job;
	ewc_kind kind;
	const char *origin;
	const char *region;
	ewc_zone zone;
	const char *gpu_type;
	long gpus;
	double hours;          /* on the chosen type */
	double cost_cny;       /* total, transfer included */
	double transfer_cny;
	double energy_kwh;
	double carbon_kg;
	double carbon_location_kg;
	double objective;
	double latency_ms;     /* from origin, < 0 when there is no link */
	const char *reason;
	const char *baseline_region;
	const char *baseline_gpu_type;
	/* version 2: a plan over time (else start_time and end_time < 0) */
	double start_time;     /* seconds since the epoch */
	double end_time;       /* start_time + hours */
	double baseline_start_time;
	const char *wait;      /* why it starts later than it could, or NULL */
} ewc_assignment;
#define EWC_ASSIGNMENT_INIT { EWC_ASSIGNMENT_VERSION, NULL, EWC_KIND_TRAIN, NULL, NULL, EWC_ZONE_EAST, NULL, 0, 0, 0, 0, 0, 0, 0, 0, -1, NULL, NULL, NULL, -1, -1, -1, NULL }

/* What a plan over time saved against the baseline (near the origin, each
 * job at its earliest start with room), split: WHERE is the baseline less
 * the plan's regions and types run at the baseline's start times; WHEN is
 * the rest. where + when is the whole saving. */
#define EWC_TIME_SPLIT_VERSION 1
typedef struct ewc_time_split {
	unsigned int version;
	int horizon_h;         /* 0: a static plan, nothing below is set */
	double start_time;     /* seconds since the epoch */
	double where_cost_cny, where_carbon_kg, where_carbon_location_kg, where_objective;
	double when_cost_cny, when_carbon_kg, when_carbon_location_kg, when_objective;
} ewc_time_split;
#define EWC_TIME_SPLIT_INIT { EWC_TIME_SPLIT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
int ewc_plan_time_split(const ewc_plan *plan, ewc_time_split *out);

/* Slot `slot` of region `region` in a plan over time: its figures and the
 * GPUs of every type free in it and held by the plan's jobs. EWC_EINVAL
 * for a static plan, an unknown region or a slot past the horizon. */
#define EWC_SLOT_INFO_VERSION 1
typedef struct ewc_slot_info {
	unsigned int version;
	double start_time;       /* seconds since the epoch */
	int period;              /* the tariff's: 0 flat, 1 peak, 2 valley */
	double power_price;      /* CNY/kWh in the slot */
	double grid_factor;
	double green_share;
	long free_gpus;          /* all types */
	long used_gpus;          /* by the plan's jobs, all types */
} ewc_slot_info;
#define EWC_SLOT_INFO_INIT { EWC_SLOT_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0 }
int ewc_plan_slot(const ewc_plan *plan, const char *region, size_t slot, ewc_slot_info *out);

/* Assignment of job `i` (input order). Strings belong to the plan. */
int ewc_plan_assignment(const ewc_plan *plan, size_t i, ewc_assignment *out);

#define EWC_OPTION_VERSION 4
/* Longest reason an option can be excluded for, the NUL included. */
#define EWC_REASON_MAX 256
/* One (region, GPU type) a job could use, for explanations. `eligible` is 0
 * when the option is excluded and `reason` says why (empty when eligible); `chosen` is 1 for the
 * option the plan picked, `baseline` 1 for the baseline's pick. Figures are
 * filled for every option whose region has the type. */
typedef struct ewc_option {
	unsigned int version;
	const char *region;
	ewc_zone zone;
	const char *gpu_type;
	int has_type;
	int eligible;
	int chosen;
	int baseline;
	double hours;
	double cost_cny;
	double transfer_cny;
	double energy_kwh;
	double carbon_kg;
	double objective;
	double latency_ms;     /* < 0 when no link from the origin */
	long free_gpus;
	char reason[EWC_REASON_MAX];  /* "" when eligible */
	/* version 3 */
	double carbon_location_kg;
	/* version 4: the GPUs it would hold on this type (a service holds
	 * ceil(gpus x perf(first) / perf(type)), a training job its own) */
	long gpus;
} ewc_option;
#define EWC_OPTION_INIT { EWC_OPTION_VERSION, NULL, EWC_ZONE_EAST, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, "", 0, 0 }

/* Options of job `i`: every region crossed with every type the job
 * accepts, regions in load order. ewc_plan_option() fills entry `k`: the
 * reason is copied into `out`, the other strings belong to the plan. */
size_t ewc_plan_option_count(const ewc_plan *plan, size_t i);
int ewc_plan_option(const ewc_plan *plan, size_t i, size_t k, ewc_option *out);

/* ---- The cost-carbon frontier -------------------------------------------- */

typedef struct ewc_frontier ewc_frontier;

#define EWC_FRONTIER_PT_VERSION 1
/* One plan on the frontier. carbon_price_cny_per_t is what the step from
 * the next cheaper point costs per tonne avoided (0 at the cheapest). */
typedef struct ewc_frontier_pt {
	unsigned int version;
	double cost_cny;
	double carbon_kg;
	double carbon_price_cny_per_t;
	double carbon_cap_kg;       /* the cap it was solved under; < 0 at the ends */
	size_t placed;
	size_t placed_west;         /* jobs in the west */
	double gpu_hours_west;
	double gpu_hours_domestic;
	double gap;                 /* of the cost, as in ewc_totals */
	int proven;
	int knee;                   /* 1 on the knee: the most carbon saved for the cost */
} ewc_frontier_pt;
#define EWC_FRONTIER_PT_INIT { EWC_FRONTIER_PT_VERSION, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0 }

/* The cost-carbon Pareto frontier of a job list, from the cheapest plan
 * (exactly --mode cost) to the greenest (--mode carbon), with up to
 * `points` plans (2..1000): between the ends, the cheapest plan under a
 * carbon cap stepped evenly between the two; plans that another beats on
 * both counts are dropped. The policy options of opts hold at every point;
 * mode and carbon price are ignored; time_limit applies to each solve.
 * Returns 0, EWC_EINVAL, EWC_EVERSION, EWC_ENOMEM, EWC_ESOLVER or
 * EWC_EPOLICY. Free with ewc_frontier_free(). */
int ewc_frontier_make(ewc_frontier **out, ewc_ctx *ctx, const ewc_jobs *jobs,
                      const ewc_place_options *opts, size_t points);
/* How many points were asked for, and why some are not on the curve: a
 * plan dearer and no greener than another (the same plan, often, from two
 * caps) is dropped, and a cap under which no plan was found in time gives
 * none. */
int ewc_frontier_left_out(const ewc_frontier *f, size_t *asked, size_t *dominated,
                          size_t *no_plan);
/* The points between not made at all: the cheapest plan is also the
 * greenest, so there is no curve to sample. */
size_t ewc_frontier_not_needed(const ewc_frontier *f);
size_t ewc_frontier_count(const ewc_frontier *f);
/* Point i, cheapest first. */
int ewc_frontier_point(const ewc_frontier *f, size_t i, ewc_frontier_pt *out);
/* The plan of point i, owned by the frontier. */
const ewc_plan *ewc_frontier_plan(const ewc_frontier *f, size_t i);
void ewc_frontier_free(ewc_frontier *f);

/* Change one figure of the loaded regions, for a what-if: "TARGET=VALUE"
 * where TARGET is REGION.power.{price,green-share,grid-factor,pue},
 * REGION.TYPE.{free,price} or REGION.link.SITE.{price-per-gb,latency-ms,
 * gbps}; REGION is a region id or * for every region. VALUE sets the
 * figure; +V and -V add to it, *V scales it (free GPUs must stay whole).
 * All or nothing: an error changes no region. Job lists stay valid.
 * Returns 0, EWC_EINVAL (message names the setting) or EWC_ENOMEM. */
int ewc_ctx_set(ewc_ctx *ctx, const char *setting);
/* Several settings, all or nothing, in order. A GPU type of the catalog
 * that a region does not list yet is added by its REGION.TYPE.price and
 * REGION.TYPE.free (from 0); a type added without a price is an error
 * (EWC_EINVAL). ewc_ctx_set() alone adds a type by its price. */
int ewc_ctx_set_all(ewc_ctx *ctx, const char *const *settings, size_t n);

/* The plan as the JSON of docs/formats.md (pretty-printed when `indent` > 0),
 * with "policy" when a policy constraint was set and "shadow_prices" once
 * ewc_plan_compute_shadow_prices() has run.
 * Returns 0 or EWC_ENOMEM; the caller frees *out with ewc_free(). */
int ewc_plan_to_json(const ewc_plan *plan, int indent, char **out);

/* ---- Scheduling against live capacity ------------------------------------
 *
 * A context holds the free GPUs "now". Schedulers ask for one job at a time
 * with ewc_place_one(), optionally reserving the GPUs, and give them back
 * with ewc_release(); ewc_plan_commit() reserves a whole batch plan at once.
 *
 * Thread safety: one context may be shared by any number of threads for
 * ewc_place_one(), ewc_release(), ewc_plan_commit(), ewc_ctx_set_available(),
 * ewc_ctx_set_power(), ewc_ctx_available(), ewc_ctx_reservations() and
 * ewc_place(): they take the context's lock (ewc_place() only while it
 * copies the regions; its GLPK solve runs unlocked, one problem per thread).
 * Loading regions may also run concurrently, but it invalidates job lists,
 * reservations and the strings placements point to. A job list or a plan
 * must not be changed by two threads at once (ewc_plan_compute_shadow_prices()
 * and ewc_plan_commit() change a plan); reading them concurrently is fine. */

/* ewc_place_one() flag: reserve the GPUs of the chosen option. */
#define EWC_RESERVE 1u

#define EWC_PLACEMENT_VERSION 2
/* The answer of ewc_place_one(). `placed` is 0 when no option is eligible
 * now, and `reason` says why. Strings belong to the context and stay valid
 * until its next ewc_ctx_load_regions(). */
typedef struct ewc_placement {
	unsigned int version;
	int placed;
	const char *region;
	ewc_zone zone;
	const char *gpu_type;
	long gpus;
	double hours;          /* on the chosen type */
	double cost_cny;
	double transfer_cny;
	double energy_kwh;
	double carbon_kg;
	double objective;
	double latency_ms;     /* < 0: no link from the origin */
	unsigned long long reservation; /* with EWC_RESERVE; 0 otherwise */
	char reason[256];
	/* version 2: with opts->horizon_h > 0, when it runs (else both < 0) */
	double start_time;     /* seconds since the epoch */
	double end_time;
} ewc_placement;
#define EWC_PLACEMENT_INIT { EWC_PLACEMENT_VERSION, 0, NULL, EWC_ZONE_EAST, NULL, 0, 0, 0, 0, 0, 0, 0, -1, 0, "", -1, -1 }

/* The best (region, GPU type) for one job against the GPUs free now: the
 * exact argmin of the mode's objective over eligible options (ties: lower
 * cost, then load order). With EWC_RESERVE the GPUs are taken in the same
 * critical section, so concurrent callers never overbook. opts may be NULL;
 * its gap, time limit and write_lp are not used. Returns 0 (check
 * out->placed), EWC_EINPUT for a bad job, EWC_EINVAL or EWC_EVERSION.
 *
 * With opts->horizon_h > 0 (options version 5) the best (region, type,
 * start) within the job's window (docs/formats.md, "Time"), against the
 * free GPUs of every hour it runs: the hourly series, less the GPUs that
 * reservations of an interval hold then. A reservation made so holds its
 * GPUs for [start_time, end_time) only; one made without a horizon holds
 * them until released. Ties: lower cost, then the earlier start. */
int ewc_place_one(ewc_ctx *ctx, const ewc_job *job, const ewc_place_options *opts,
                  unsigned int flags, ewc_placement *out);

/* Give back the GPUs of a reservation. Returns 0, or EWC_ENOTFOUND when
 * it is unknown (already released, or dropped by a reload). */
int ewc_release(ewc_ctx *ctx, unsigned long long reservation);

/* Reserve the GPUs of every placed job of a plan, all or nothing. Fails
 * with EWC_ECAPACITY, changing nothing, when a pool no longer has the free
 * GPUs the plan counted on, and with EWC_EALREADY when the plan was
 * committed before. `reservations`, if not NULL, receives one id per job
 * in input order (0 for unplaced jobs). */
int ewc_plan_commit(ewc_plan *plan, unsigned long long *reservations);

/* Set the GPUs free now for a region's type (an inventory observation;
 * existing reservations stay valid and are added back on release).
 * Returns 0, EWC_ENOTFOUND (no such region, or it has no such type) or
 * EWC_EINVAL (free_gpus < 0). */
int ewc_ctx_set_available(ewc_ctx *ctx, const char *region, const char *gpu_type,
                          long free_gpus);

/* Update a region's power price (CNY/kWh, >= 0) and green share (0..1);
 * pass NAN to keep either. Plans made before keep the old figures. */
int ewc_ctx_set_power(ewc_ctx *ctx, const char *region, double power_price,
                      double green_share);

/* GPUs free now for a region's type. */
int ewc_ctx_available(ewc_ctx *ctx, const char *region, const char *gpu_type, long *out);

/* Reservations held now. */
size_t ewc_ctx_reservations(ewc_ctx *ctx);

/* Parse a UTC time "YYYY-MM-DDTHH:MM:SSZ" (the Z may be left out) into
 * seconds since the epoch. Returns 0 or EWC_EINVAL. */
int ewc_time_parse(const char *text, double *out);

/* Format seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (at least 21
 * bytes); an empty string when t is out of range. */
void ewc_time_format(double t, char *buf, size_t len);

/* Parse an ISO 8601 time with its offset ("2026-12-07T00:00:00+08:00",
 * "...Z", or none: UTC) into seconds since the epoch. 0 or EWC_EINVAL. */
int ewc_time_parse_offset(const char *text, double *out);

/* Format t at an offset of tz_min minutes east of UTC,
 * "2026-12-07T08:00:00+08:00" (at least 26 bytes); "...Z" at 0. */
void ewc_time_format_offset(double t, int tz_min, char *buf, size_t len);

/* Plans over time show their times in China Standard Time. */
#define EWC_PLAN_TZ_MIN (8 * 60)

/* Free memory the library handed to the caller. */
void ewc_free(void *p);

/* --- state: the jobs that run, and every plan made (SQLite) -------------- */

/* An ewc state database. One handle may be used from one thread at a time. */
typedef struct ewc_db ewc_db;

/* Open the state database at `path`, creating it if it does not exist: WAL
 * mode, the schema migrated forward to this version's. A file that is not
 * an SQLite database, is another program's database, or has a newer schema
 * is refused with EWC_EINPUT and left untouched. Returns 0, EWC_EINPUT,
 * EWC_EIO or EWC_ENOMEM; free it (closing the file) with ewc_db_free(),
 * NULL is fine. */
int ewc_db_open(ewc_db **out, const char *path);
void ewc_db_free(ewc_db *db);

/* The database is the capacity ledger. A region's free counts are what was
 * free when its figures were taken (<regions as-of="...">, else the file's
 * modification time, the load's time for a buffer, or the time of the feed
 * that set them): GPUs that jobs committed after that time hold are not in
 * them. ewc_db_ledger() takes those off each pool of ctx (at most down to
 * 0; again after a reload or a feed overlay, never twice) and gives their
 * total in *taken. ewc_db_commit_plan() checks it again under the write
 * lock, so that two plans cannot overbook a pool whether committed one
 * after the other or at once: EWC_ECAPACITY, nothing written. Returns 0,
 * EWC_EIO or EWC_ENOMEM. */
int ewc_db_ledger(ewc_db *db, ewc_ctx *ctx, long *taken);
/* The GPUs ewc_db_ledger() had taken off the free counts a plan was made
 * on (0 when it was not used). */
long ewc_plan_gpus_taken(const ewc_plan *plan);

/* Hold what this handle writes in one transaction (it takes the write
 * lock now; other writers wait): every ewc_db_commit_*() after it is part
 * of it, and reads on this handle see its writes, others do not.
 * ewc_db_end(db, 1) commits it all, ewc_db_end(db, 0) drops it all, and so
 * does ewc_db_free() of a handle still holding one. For a caller that must
 * write files that depend on a run before the run may count (a report, an
 * output): write them to temporary files, end with 1, then rename. Returns
 * 0, EWC_EINVAL (one is open already / none is open) or EWC_EIO. */
int ewc_db_begin(ewc_db *db);
int ewc_db_end(ewc_db *db, int commit);

/* Record a plan in one transaction: a snapshot of the regions it was made
 * on (`source` says where they came from), a run with its totals and the
 * baseline's, every job of its list, and each placed job as running since
 * `now` (seconds since the epoch). A job that is already running is an
 * error (EWC_EINPUT: finish or remove it first). On any failure nothing is
 * written. The run's id goes to *run_out when it is not NULL. */
int ewc_db_commit_plan(ewc_db *db, const ewc_plan *plan, double now, const char *source,
                       long long *run_out);

#define EWC_DB_JOB_VERSION 2
/* A job in the database. Strings belong to the database and live until the
 * callback returns; region, placed_type, started_at and finished_at are
 * NULL when they do not apply. */
typedef struct ewc_db_job {
	unsigned int version;
	const char *id;
	ewc_kind kind;
	const char *gpu_type;    /* as given, e.g. "A100|910B" */
	long gpus;
	double hours;            /* on the first listed type */
	const char *origin;
	const char *added_at;    /* ISO 8601 UTC */
	const char *finished_at;
	const char *region;      /* where it runs */
	const char *placed_type;
	double placed_hours;     /* on the placed type */
	const char *started_at;
	/* version 2 */
	long placed_gpus;        /* held on the placed type (a service on a faster
	                          * type holds fewer than gpus); 0 when not placed */
} ewc_db_job;
#define EWC_DB_JOB_INIT \
	{ EWC_DB_JOB_VERSION, NULL, EWC_KIND_TRAIN, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0 }

/* Called for each job; a non-zero return stops the listing. */
typedef int (*ewc_db_job_fn)(void *user, const ewc_db_job *job);

/* Every job in order of arrival (one list's jobs in the list's order), or
 * with running_only only those placed and not finished. Returns 0, EWC_EIO
 * or EWC_EINVAL. */
int ewc_db_jobs(ewc_db *db, int running_only, ewc_db_job_fn fn, void *user);

/* Mark a running job finished at `now`: its placement is removed (its GPUs
 * are free again), the job is kept. EWC_ENOTFOUND when no such job runs. */
int ewc_db_job_finish(ewc_db *db, const char *id, double now);

/* Remove a job and its placement. EWC_ENOTFOUND when there is no such job. */
int ewc_db_job_remove(ewc_db *db, const char *id);

/* --- rebalancing: what of the running jobs should move ------------------- */

typedef struct ewc_rebalance ewc_rebalance;

#define EWC_REBALANCE_OPTIONS_VERSION 1
typedef struct ewc_rebalance_options {
	unsigned int version;
	ewc_place_options place;  /* mode, carbon price, gap, time limit, solver */
	double margin;            /* migration counts (1 + margin) times: >= 0 */
	double restart_hours;     /* restart overhead, hours x GPUs at the new price */
	long max_moves;           /* at most this many moves; < 0: no cap */
} ewc_rebalance_options;
#define EWC_REBALANCE_OPTIONS_INIT \
	{ EWC_REBALANCE_OPTIONS_VERSION, EWC_PLACE_OPTIONS_INIT, 0.2, 1.0, -1 }

/* Decide which running jobs of the database should move, on the context's
 * regions as they are `now` (seconds since the epoch). The regions' free
 * counts are read as GPUs nobody holds: the running jobs' own GPUs are
 * added back. Each job keeps its remaining hours (its hours minus the time
 * since it started); staying costs the rest of its run, moving costs the
 * run there (with its data moved in) plus migration: checkpoint_gb over the
 * origin's link into the new region and restart_hours x GPUs at the new
 * region's GPU price. The optimiser minimises the mode's objective with
 * migration counted (1 + margin) times, so small gains do not churn jobs.
 * Jobs past their hours, or no longer valid against the regions (a GPU
 * type or region gone), are left out and listed by ewc_rebalance_skipped().
 * Nothing is written; ewc_db_commit_rebalance() records the result.
 * Returns 0, EWC_EINVAL, EWC_EVERSION, EWC_EIO or EWC_ESOLVER. */
int ewc_rebalance_plan(ewc_rebalance **out, ewc_ctx *ctx, ewc_db *db, double now,
                       const ewc_rebalance_options *opts);
void ewc_rebalance_free(ewc_rebalance *rb);

#define EWC_REBALANCE_SUMMARY_VERSION 3
/* Totals over the remaining hours of the jobs considered. `before` is every
 * job staying, `after` the plan with its moves (cost_cny includes the
 * migration), `baseline` each job near its origin (the baseline of docs/formats.md).
 * objective, lower_bound and gap are the solver's, margin included. The
 * previous run is the newest one in the database before this (have_previous
 * 0 when there is none). */
typedef struct ewc_rebalance_summary {
	unsigned int version;
	double now;
	size_t jobs;              /* running jobs considered */
	size_t skipped;           /* running jobs left out */
	size_t moves;
	ewc_totals before;
	ewc_totals after;
	ewc_totals baseline;
	double migration_cny;
	double saving_cny;        /* before.cost_cny - after.cost_cny */
	double carbon_avoided_kg; /* before.carbon_kg - after.carbon_kg */
	double objective;
	double lower_bound;
	double gap;
	int proven;
	ewc_mode mode;
	double carbon_price;      /* CNY per tonne, 0 in cost mode */
	double margin;
	int have_previous;
	long long previous_run;
	const char *previous_kind;   /* "place" or "rebalance" */
	const char *previous_at;     /* ISO 8601 UTC */
	double previous_cost_cny;
	double previous_carbon_kg;
	long previous_moves;
	/* version 2: like with like. What the running set costs and emits per
	 * day with the moves (one-time data transfer and migration not included,
	 * market-based carbon), and
	 * the same of the previous run (NAN when it was recorded before these
	 * were kept): a night with no moves and no changed figures shows no
	 * change. */
	double cost_rate_cny_per_day;
	double carbon_rate_kg_per_day;
	double previous_cost_rate_cny_per_day;
	double previous_carbon_rate_kg_per_day;
	/* version 3: over a horizon (options.place.horizon_h), jobs whose
	 * planned start lies ahead given another place or slot (they are not
	 * in `moves`, which counts running jobs, nor in max_moves) */
	size_t rescheduled;
} ewc_rebalance_summary;
#define EWC_REBALANCE_SUMMARY_INIT                                                    \
	{ EWC_REBALANCE_SUMMARY_VERSION, 0, 0, 0, 0, EWC_TOTALS_INIT, EWC_TOTALS_INIT,   \
	  EWC_TOTALS_INIT, 0, 0, 0, 0, 0, 0, 0, EWC_MODE_BALANCED, 0, 0, 0, 0, NULL, NULL, \
	  0, 0, 0, 0, 0, 0, 0, 0 }

int ewc_rebalance_summarize(const ewc_rebalance *rb, ewc_rebalance_summary *out);

#define EWC_MOVE_VERSION 3
/* One running job in a rebalancing: where it runs (from) and where the plan
 * puts it (to; the same when it stays, NULL when it can stay nowhere and
 * nothing else fits: `reason` says why). Costs are over the remaining
 * hours: cost_stay_cny staying, cost_to_cny running at `to` (data moved in,
 * migration not included). saving_cny = cost_stay - cost_to - migration;
 * carbon_avoided_kg = carbon_stay - carbon_to. baseline_* is where the
 * baseline would put the remaining run. */
typedef struct ewc_move {
	unsigned int version;
	const char *job;
	ewc_kind kind;
	const char *origin;
	long gpus;                 /* held at `to` (at `from` when it has no `to`) */
	int moved;
	const char *from_region;
	ewc_zone from_zone;
	const char *from_type;
	double from_hours;         /* remaining, on the from type */
	const char *to_region;
	ewc_zone to_zone;
	const char *to_type;
	double to_hours;           /* remaining, on the to type */
	const char *started_at;
	double migration_cny;
	double checkpoint_cny;
	double restart_cny;
	double cost_stay_cny;
	double cost_to_cny;
	double carbon_stay_kg;
	double carbon_to_kg;
	double energy_to_kwh;
	double saving_cny;
	double carbon_avoided_kg;
	const char *baseline_region;
	ewc_zone baseline_zone;
	const char *reason;
	/* version 2: the GPUs it holds at `from` (a service moved to another
	 * type holds another number) */
	long from_gpus;
	/* version 3: over a horizon. waiting 1: the job's planned start lies
	 * ahead (started_at is that start): moving it changes its place or its
	 * slot, with no migration. from_start and to_start are the planned
	 * start where it is and where it goes, seconds since the epoch (a
	 * running job: its start, and the rebalancing's time when it moves) */
	int waiting;
	double from_start, to_start;
} ewc_move;
#define EWC_MOVE_INIT                                                                   \
	{ EWC_MOVE_VERSION, NULL, EWC_KIND_TRAIN, NULL, 0, 0, NULL, EWC_ZONE_EAST, NULL, 0, \
	  NULL, EWC_ZONE_EAST, NULL, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL,         \
	  EWC_ZONE_EAST, NULL, 0, 0, 0, 0 }

/* The jobs considered, in the database's order; strings belong to rb. */
size_t ewc_rebalance_count(const ewc_rebalance *rb);
int ewc_rebalance_job(const ewc_rebalance *rb, size_t i, ewc_move *out);

/* What changed since the previous run's figures (its stored snapshot):
 * each region figure that differs, in words ("east1 A100 price 5.00 ->
 * 10.00 CNY/GPU-h"); ewc_rebalance_compared() is 0 when there was no run
 * to compare with. ewc_rebalance_why() names the change that drove job i's
 * move (a figure that made where it ran dearer, dirtier or fuller, else one
 * that made where it goes cheaper, greener or roomier), or NULL when it
 * stays or no figure changed (the move paid already). Strings belong to rb. */
size_t ewc_rebalance_change_count(const ewc_rebalance *rb);
const char *ewc_rebalance_change(const ewc_rebalance *rb, size_t i);
int ewc_rebalance_compared(const ewc_rebalance *rb);
const char *ewc_rebalance_why(const ewc_rebalance *rb, size_t i);

/* Running jobs left out: the job's id and why. */
size_t ewc_rebalance_skipped_count(const ewc_rebalance *rb);
int ewc_rebalance_skipped(const ewc_rebalance *rb, size_t i, const char **job,
                          const char **reason);

/* Record a rebalancing in one transaction: a snapshot of its regions, a
 * run (kind "rebalance") with its totals, its moves, and each moved job's
 * placement replaced by its new one, started at the rebalancing's `now`
 * with its remaining hours. Fails with EWC_EINPUT, writing nothing, when
 * the running jobs changed since ewc_rebalance_plan(). */
int ewc_db_commit_rebalance(ewc_db *db, const ewc_rebalance *rb, const char *source,
                            long long *run_out);

#define EWC_DB_RUN_VERSION 2
/* A run in the database (a committed plan or rebalancing). Strings live
 * until the callback returns. Fields a place run does not have are 0. */
typedef struct ewc_db_run {
	unsigned int version;
	long long id;
	const char *at;
	const char *kind;          /* "place" or "rebalance" */
	const char *mode;
	double cost_cny;           /* a rebalancing: after its moves, migration included */
	double carbon_kg;
	double energy_kwh;
	double gap;
	long placed;
	long unplaced;
	double base_cost_cny;      /* the near-origin baseline */
	double base_carbon_kg;
	double before_cost_cny;    /* a rebalancing: every job staying */
	double before_carbon_kg;
	double migration_cny;
	long moves;
	double gpu_hours_east;
	double gpu_hours_west;
	/* version 2: what the placed set costs and emits per day it runs
	 * (one-time data transfer and migration not included; market-based
	 * carbon); NAN for runs recorded before these were kept */
	double cost_rate_cny_per_day;
	double carbon_rate_kg_per_day;
} ewc_db_run;
#define EWC_DB_RUN_INIT { EWC_DB_RUN_VERSION, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

typedef int (*ewc_db_run_fn)(void *user, const ewc_db_run *run);

/* The newest `limit` runs (all when limit <= 0), oldest first. */
int ewc_db_runs(ewc_db *db, long limit, ewc_db_run_fn fn, void *user);


/* --- published region data: importers and feeds ------------------------- */

/* The result of reading one external data file: the settings it makes
 * (ewc_ctx_set() syntax, "REGION.power.grid-factor=0.58") and a report. */
typedef struct ewc_import ewc_import;

#define EWC_IMPORT_OPTIONS_VERSION 1
typedef struct ewc_import_options {
	unsigned version;
	/* "google-cfe", "casdk", "electricitymaps", "skypilot" or "ewc" */
	const char *format;
	/* casdk: the mean Rating is taken over samples with from <= Time < to
	 * (seconds since the epoch) when both are > 0, else over the last
	 * window_h hours up to the newest sample in the file (0: 24) */
	double window_h;
	double window_from, window_to;
	/* skypilot: prices are multiplied by this (e.g. USD to CNY); must be > 0 */
	double currency_rate;
	int spot;                  /* skypilot: SpotPrice instead of Price */
} ewc_import_options;
#define EWC_IMPORT_OPTIONS_INIT { EWC_IMPORT_OPTIONS_VERSION, NULL, 24, 0, 0, 1, 0 }

/* 1 when `format` is one ewc_import_read() reads. */
int ewc_import_format_known(const char *format);

/* Read `data` in opts->format, mapping its zone or region names to the
 * context's regions through `map`: a CSV with the header
 * "external,region" and an optional third column "green-share": google-cfe
 * takes the CFE figure as green-share only where it is "procured" (the data
 * centre's own contracted supply; otherwise CFE is the grid's, which the
 * grid factor counts); electricitymaps takes the zone's "renewable" or
 * "fossil-free" percentage where the map names it; empty leaves it. One external name may
 * feed several regions; several names feeding one region are averaged
 * (prices: the cheapest is taken). `map` may be NULL for the "ewc" format,
 * whose region ids are the context's. Nothing in the context changes.
 * Returns 0, EWC_EINPUT (a malformed file or map: file, line and field
 * named), EWC_EINVAL or EWC_ENOMEM; free with ewc_import_free(). */
int ewc_import_read(ewc_import **out, ewc_ctx *ctx, const ewc_buffer *data,
                    const ewc_buffer *map, const ewc_import_options *opts);
void ewc_import_free(ewc_import *im);

/* The i-th setting, i-th reason a row was skipped ("cfe.csv:7: ...") and
 * i-th region given no data, or NULL past the end. */
const char *ewc_import_setting(const ewc_import *im, size_t i);
/* The hourly series a forecast import sets, as a report shows them
 * ("REGION.hourly.grid-factor: 48 hours from ..., 0.41 to 0.58"), or
 * NULL past the last. ewc_import_apply() and ewc_import_to_xml() set them
 * (an <hourly><grid-factor start="..."> in place of any before). */
const char *ewc_import_series(const ewc_import *im, size_t i);
const char *ewc_import_skipped(const ewc_import *im, size_t i);
/* The i-th note on what the import did with a figure it read (a green
 * share left out, or taken from a grid figure), or NULL past the end. */
const char *ewc_import_note(const ewc_import *im, size_t i);
const char *ewc_import_unchanged(const ewc_import *im, size_t i);
/* Rows (or entries) used and skipped. At most 100 reasons are kept. */
void ewc_import_rows(const ewc_import *im, size_t *used, size_t *skipped);

/* Make the import's settings in ctx, all or nothing. */
int ewc_import_apply(ewc_ctx *ctx, const ewc_import *im);

/* The region descriptor files ctx was loaded from, read again and joined
 * into one <regions> document with the import's settings written in, each
 * changed element preceded by a comment with the old value and `note`.
 * The files must still be there (EWC_EIO), and the regions not loaded from
 * memory (EWC_EINVAL). The caller frees *out with ewc_free(). */
int ewc_import_to_xml(const ewc_import *im, const ewc_ctx *ctx, const char *note,
                      char **out, size_t *len);

/* How one feed of ewc_feeds_sync() ended. */
typedef enum {
	EWC_FEED_UPDATED = 0,      /* fetched, read, stored as a new snapshot */
	EWC_FEED_NOT_MODIFIED = 1, /* the server's copy is the stored one */
	EWC_FEED_FAILED = 2        /* nothing stored; the previous snapshot stays */
} ewc_feed_status;

#define EWC_FEED_RESULT_VERSION 1
typedef struct ewc_feed_result {
	unsigned version;
	const char *name;
	const char *url;
	ewc_feed_status status;
	long http_status;          /* of the last attempt; 0 when none answered */
	int attempts;
	size_t settings;           /* made by the new snapshot */
	size_t rows_used, rows_skipped;
	const char *message;       /* why it failed, or NULL */
	double kept_taken_at;      /* failed: when the snapshot kept was fetched, or 0 */
} ewc_feed_result;

typedef void (*ewc_feed_fn)(void *user, const ewc_feed_result *r);

/* Fetch every feed of the feeds file (docs/data.md) over HTTPS, read each
 * with its importer against ctx's regions, and store each as a
 * time-stamped snapshot in db, one transaction per feed. `fn` hears how
 * each ended. Returns 0 when all succeeded, EWC_EFEED when some failed (the
 * others are stored), or another code when the feeds file is bad or the
 * database cannot be written (nothing fetched or stored). */
int ewc_feeds_sync(ewc_db *db, ewc_ctx *ctx, const char *feeds_path, double now,
                   ewc_feed_fn fn, void *user);

#define EWC_OVERLAY_VERSION 1
/* One feed's snapshot laid over the regions. */
typedef struct ewc_overlay {
	unsigned version;
	const char *feed;
	const char *url;
	double taken_at;           /* when it was fetched */
	double checked_at;         /* when the server last confirmed it */
	size_t applied;            /* settings made */
	size_t skipped;            /* settings for regions or pools not loaded */
} ewc_overlay;

typedef void (*ewc_overlay_fn)(void *user, const ewc_overlay *o);

/* Lay the newest snapshot of every feed in db over ctx's regions, oldest
 * first, so that where two feeds set one figure the newer wins; `fn` (may
 * be NULL) hears of each. Returns 0 (also when there is none), EWC_EIO or
 * EWC_ENOMEM, with ctx unchanged on failure. */
int ewc_db_overlay(ewc_db *db, ewc_ctx *ctx, ewc_overlay_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif /* EWC_H */
