/* db_int.h - the state database as the rest of libewc sees it: rows in, rows out */
/* SPDX-License-Identifier: MIT */
#ifndef EWC_DB_INT_H
#define EWC_DB_INT_H

#include "ewc_int.h"

/* One run (a placement or a rebalancing) as storage records it, with the
 * snapshot of the regions it was planned on. */
typedef struct ewc__db_run {
	const char *when;          /* ISO 8601 UTC */
	const char *kind;          /* "place" or "rebalance" */
	const char *source;        /* where the regions came from, or "" */
	const char *mode;
	double carbon_price;
	const ewc_totals *t;       /* the plan's */
	const ewc_totals *base;    /* the baseline's */
	double objective, lower_bound, gap;
	double before_cost, before_carbon, migration;  /* rebalancing only */
	long moves;
	const ewc__world *w;       /* the regions, for the snapshot */
	const long *held;          /* [regions x catalog] taken back off w's free
	                            * counts (a rebalancing added them), or NULL */
	/* a rebalancing: the ids of every running job it saw (considered or
	 * skipped), sorted by strcmp; the running set must still be these */
	const char *const *seen;
	size_t nseen;
	/* CNY and kg CO2 per day of the placed set (NAN: not known) */
	double cost_rate, carbon_rate;
	/* a plan over a horizon: its nslots hourly slots from t0, and the free
	 * GPUs of each pool by slot it was planned against ([pools x nslots]);
	 * nslots 0: a snapshot plan */
	size_t nslots;
	double t0;
	const long *slot_cap;
} ewc__db_run;

/* One job of a placement run: the job as listed, the id of the region it
 * is pinned to (or NULL), and where it runs (region NULL: unplaced, the
 * job is recorded but does not run). */
typedef struct ewc__db_job {
	const ewc__job *job;
	const char *pin;
	const char *region, *gpu_type;
	double hours;              /* on gpu_type */
	long gpus;                 /* held on gpu_type */
	const char *started_at;    /* its planned start, or NULL: the run's time */
	double start;              /* the same in seconds (plans over a horizon) */
	const char *window_from;   /* what earliest_h and deadline_h count from, or NULL */
} ewc__db_job;

/* Record a placement run and its n jobs in one transaction: all or
 * nothing. A job that already runs is an EWC_EINPUT error. *run_out (if
 * not NULL) receives the run's id. */
int ewc__db_record_place(ewc_db *db, const ewc__db_run *run, const ewc__db_job *jobs,
                         size_t n, long long *run_out);

/* Record a rebalancing run in one transaction: each of the n jobs must
 * still run where the move says it came from (else EWC_EINPUT, nothing
 * written); the moved ones are placed anew from run->when. */
int ewc__db_record_rebalance(ewc_db *db, const ewc__db_run *run, const ewc_move *moves,
                             size_t n, long long *run_out);

/* The running jobs of the database with every field, in order of arrival,
 * those whose planned start lies ahead too. `from` is the time the job's
 * earliest_h and deadline_h count from (when a plan over a horizon placed
 * it: that plan's start; else when it was added). ewc_job strings and the
 * placement's live until fn returns; a non-zero return stops. */
typedef int (*ewc__running_fn)(void *user, const ewc_job *job, const char *from,
                               const char *region, const char *type, double hours,
                               const char *started_at);
int ewc__db_running(ewc_db *db, ewc__running_fn fn, void *user);
/* The regions JSON of the newest run's snapshot (caller frees), or NULL
 * when there is no run. 0, EWC_EIO or EWC_ENOMEM. */
int ewc__db_last_snapshot(ewc_db *db, char **json);

/* The newest stored snapshot of one feed (all zero when none). */
typedef struct ewc__feed_state {
	long long id;
	char *url, *etag, *last_modified;
	double taken_at;
} ewc__feed_state;
int ewc__db_feed_last(ewc_db *db, const char *feed, ewc__feed_state *out);
void ewc__feed_state_clear(ewc__feed_state *s);

/* How one feed's sync ended, for the database: a new snapshot (status
 * UPDATED, with im), the stored one confirmed (NOT_MODIFIED, snapshot), or
 * only a log line (FAILED). One transaction. */
typedef struct ewc__feed_store {
	const char *feed, *url, *format;
	double now;
	ewc_feed_status status;
	const ewc_import *im;
	const char *etag, *last_modified;
	long long snapshot;
	long http_status;
	int attempts;
	const char *message;
} ewc__feed_store;
int ewc__db_feed_store(ewc_db *db, const ewc__feed_store *f);

#endif /* EWC_DB_INT_H */
