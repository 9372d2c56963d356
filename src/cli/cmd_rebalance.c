/* cmd_rebalance.c - `ewc rebalance`: which running jobs should move tonight */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "report.h"
#include "args.h"
#include "cmds.h"
#include "metrics.h"

const char cmd_rebalance_help[] =
	"usage: ewc rebalance [--db FILE] [--regions PATH]... [OPTIONS]\n"
	"\n"
	"Decide which running jobs of the state database should move, on the\n"
	"regions as they are now. The regions' free GPUs are read as GPUs nobody\n"
	"holds: the running jobs' own are added back. Each job keeps the hours it\n"
	"has left; staying costs nothing extra, moving adds its checkpoint moved\n"
	"over the origin's link and a restart (an hour of its GPUs at the new\n"
	"price), counted (1 + margin) times so that small gains do not churn jobs.\n"
	"\n"
	"options:\n"
	"  --db FILE            the state database (default $EWC_DB, else ./ewc.db);\n"
	"                       its feed data is laid over the regions\n"
	"  --max-age AGE        warn when feed data is older (default 48h)\n"
	"  --regions PATH       descriptors and catalog as they are now (repeatable;\n"
	"                       default $EWC_REGIONS, else the installed regions)\n"
	"  --now TIME           the time to count remaining hours to, UTC, as\n"
	"                       2026-11-22T06:00:00Z (default: the current time)\n"
	"  --margin M           migration counted (1 + M) times (default 0.2)\n"
	"  --max-moves N        move at most N jobs\n"
	"  --restart-hours H    restart overhead in hours of the job's GPUs (default 1)\n"
	"  --report FILE.html   write the report: one self-contained HTML file\n"
	"  --metrics FILE       write what the run did as OpenMetrics text\n"
	"  --format FMT         table (default), json or csv (the moves only)\n"
	"  --output FILE        write there instead of standard output\n"
	"  --commit             record the moves: the moved jobs restart now\n"
	"  --horizon HOURS      plan over hourly slots from the hour of --now: jobs\n"
	"                       placed over a horizon and not started yet may move to\n"
	"                       another place or start slot (no migration, not counted\n"
	"                       by --max-moves); without it they keep theirs\n"
	"  --mode, --carbon-price, --carbon-basis, --gap, --time-limit, --solver\n"
	"                       as for place\n"
	"\n"
	"exit status: 0 ok, 3 some job can neither stay nor move, 1 error,\n"
	"2 usage error.\n";

/* t as "2026-12-08 04:00" (UTC) */
static void utc_hm(double t, char *b, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(b, n, "%Y-%m-%d %H:%M", &tm))
		snprintf(b, n, "?");
}

static void print_table(FILE *f, const ewc_rebalance *rb, const ewc_rebalance_summary *s,
                        int horizon)
{
	char when[32], b1[48], b2[48], b3[48], b4[48];
	size_t n = ewc_rebalance_count(rb);

	ewc_time_format(s->now, when, sizeof when);
	if (horizon) {
		size_t waiting = 0;
		for (size_t i = 0; i < n; i++) {
			ewc_move m = EWC_MOVE_INIT;
			ewc_rebalance_job(rb, i, &m);
			waiting += m.waiting;
		}
		fprintf(f, "Rebalancing at %s over %d hours: %zu job%s considered (%zu running, %zu "
		        "planned to start later), %zu move%s (migration counted x%.3g), %zu moved "
		        "in time or place before starting.\n\n", when, horizon, s->jobs,
		        s->jobs == 1 ? "" : "s", s->jobs - waiting, waiting, s->moves,
		        s->moves == 1 ? "" : "s", 1 + s->margin, s->rescheduled);
	} else {
		fprintf(f, "Rebalancing at %s: %zu running job%s considered, %zu move%s "
		        "(migration counted x%.3g).\n\n", when, s->jobs, s->jobs == 1 ? "" : "s",
		        s->moves, s->moves == 1 ? "" : "s", 1 + s->margin);
	}
	if (s->rescheduled) {
		fprintf(f, "%-20s %-28s %-28s %5s %13s %11s\n", "not started yet", "planned",
		        "now planned", "gpus", "saving", "carbon");
		for (size_t i = 0; i < n; i++) {
			ewc_move m = EWC_MOVE_INIT;
			char from[96], to[96], t1[32], t2[32];
			ewc_rebalance_job(rb, i, &m);
			if (!m.moved || !m.waiting)
				continue;
			utc_hm(m.from_start, t1, sizeof t1);
			utc_hm(m.to_start, t2, sizeof t2);
			snprintf(from, sizeof from, "%s/%s %s", m.from_region, m.from_type, t1);
			snprintf(to, sizeof to, "%s/%s %s", m.to_region, m.to_type, t2);
			fprintf(f, "%-20s %-28s %-28s %5ld %13s %11s\n", m.job, from, to, m.gpus,
			        tool_fmt(b3, sizeof b3, m.saving_cny, 2),
			        tool_fmt(b4, sizeof b4, m.carbon_avoided_kg, 1));
		}
		fputs("(planned starts in UTC; saving in CNY, no migration; carbon avoided in kg)\n\n",
		      f);
	}
	if (s->moves) {
		fprintf(f, "%-20s %-22s %-22s %5s %9s %13s %13s %11s\n", "job", "from", "to", "gpus",
		        "hours", "migration", "saving", "carbon");
		for (size_t i = 0; i < n; i++) {
			ewc_move m = EWC_MOVE_INIT;
			char from[96], to[96];
			ewc_rebalance_job(rb, i, &m);
			if (!m.moved || m.waiting)
				continue;
			snprintf(from, sizeof from, "%s/%s", m.from_region, m.from_type);
			snprintf(to, sizeof to, "%s/%s", m.to_region, m.to_type);
			fprintf(f, "%-20s %-22s %-22s %5ld %9s %13s %13s %11s\n", m.job, from, to, m.gpus,
			        tool_fmt(b1, sizeof b1, m.to_hours, 1),
			        tool_fmt(b2, sizeof b2, m.migration_cny, 2),
			        tool_fmt(b3, sizeof b3, m.saving_cny, 2),
			        tool_fmt(b4, sizeof b4, m.carbon_avoided_kg, 1));
		}
		fputs("(hours left on the new type; migration, saving in CNY; carbon avoided in kg)\n",
		      f);
	}
	if (s->moves || s->rescheduled) {
		/* why each moved: the figure that drove it */
		for (size_t i = 0; i < n; i++) {
			ewc_move m = EWC_MOVE_INIT;
			ewc_rebalance_job(rb, i, &m);
			if (!m.moved)
				continue;
			const char *why = ewc_rebalance_why(rb, i);
			fprintf(f, "why %s: %s\n", m.job,
			        why ? why : "no figure changed since the previous run: the move pays "
			                    "at the figures as they were");
		}
		fputs("\n", f);
	} else if (!s->rescheduled) {
		fputs("No job gains enough from moving: everything stays.\n\n", f);
	}
	if (ewc_rebalance_compared(rb)) {
		size_t nc = ewc_rebalance_change_count(rb);
		if (nc == 0)
			fputs("No region figure changed since the previous run.\n\n", f);
		else {
			fprintf(f, "Changed since the previous run (%zu):\n", nc);
			for (size_t i = 0; i < nc; i++)
				fprintf(f, "  %s\n", ewc_rebalance_change(rb, i));
			fputs("\n", f);
		}
	}
	fprintf(f, "%-34s %18s %18s %18s\n", "over the remaining hours", "everyone stays",
	        "with the moves", "near origin");
	fprintf(f, "%-34s %18s %18s %18s\n", "cost (CNY, migration included)",
	        tool_fmt(b1, sizeof b1, s->before.cost_cny, 2),
	        tool_fmt(b2, sizeof b2, s->after.cost_cny, 2),
	        tool_fmt(b3, sizeof b3, s->baseline.cost_cny, 2));
	fprintf(f, "%-34s %18s %18s %18s\n", "carbon (kg CO2)",
	        tool_fmt(b1, sizeof b1, s->before.carbon_kg, 1),
	        tool_fmt(b2, sizeof b2, s->after.carbon_kg, 1),
	        tool_fmt(b3, sizeof b3, s->baseline.carbon_kg, 1));
	fprintf(f, "%-34s %18s %18s %18s\n", "  location-based (kg CO2)",
	        tool_fmt(b1, sizeof b1, s->before.carbon_location_kg, 1),
	        tool_fmt(b2, sizeof b2, s->after.carbon_location_kg, 1),
	        tool_fmt(b3, sizeof b3, s->baseline.carbon_location_kg, 1));
	fprintf(f, "%-34s %18s %18s %18s\n", "GPU-hours in the west",
	        tool_fmt(b1, sizeof b1, s->before.gpu_hours_west, 1),
	        tool_fmt(b2, sizeof b2, s->after.gpu_hours_west, 1),
	        tool_fmt(b3, sizeof b3, s->baseline.gpu_hours_west, 1));
	fprintf(f, "\nSaving: %s CNY (migration %s CNY paid), carbon avoided: %s kg.\n",
	        tool_fmt(b1, sizeof b1, s->saving_cny, 2), tool_fmt(b2, sizeof b2, s->migration_cny, 2),
	        tool_fmt(b3, sizeof b3, s->carbon_avoided_kg, 1));
	fprintf(f, "Objective %s, bound %s, gap %.4f%%%s.\n",
	        tool_fmt(b1, sizeof b1, s->objective, 2), tool_fmt(b2, sizeof b2, s->lower_bound, 2),
	        100 * s->gap, s->proven ? "" : " (time limit reached)");
	/* like with like: rates of the running set, not totals over a
	 * remainder that shrinks every night */
	fprintf(f, "Running set: %s CNY and %s kg CO2 a day.\n",
	        tool_fmt(b1, sizeof b1, s->cost_rate_cny_per_day, 2),
	        tool_fmt(b2, sizeof b2, s->carbon_rate_kg_per_day, 1));
	if (s->have_previous && isfinite(s->previous_cost_rate_cny_per_day)) {
		double dc = s->cost_rate_cny_per_day - s->previous_cost_rate_cny_per_day;
		double dk = s->carbon_rate_kg_per_day - s->previous_carbon_rate_kg_per_day;
		if (fabs(dc) < 0.005)
			dc = 0;
		if (fabs(dk) < 0.05)
			dk = 0;
		fprintf(f, "Since the previous run, #%lld (%s, %s): %s%s CNY and %s%s kg a day.\n",
		        s->previous_run, s->previous_kind, s->previous_at, dc > 0 ? "+" : "",
		        tool_fmt(b3, sizeof b3, dc, 2), dk > 0 ? "+" : "",
		        tool_fmt(b4, sizeof b4, dk, 1));
	} else if (s->have_previous) {
		fprintf(f, "The previous run, #%lld (%s, %s), has no daily rates to compare with.\n",
		        s->previous_run, s->previous_kind, s->previous_at);
	}
	else
		fputs("No previous run in the database.\n", f);
	for (size_t i = 0; i < n; i++) {
		ewc_move m = EWC_MOVE_INIT;
		ewc_rebalance_job(rb, i, &m);
		if (!m.to_region)
			fprintf(f, "Cannot stay or move: %s: %s\n", m.job, m.reason);
	}
	for (size_t i = 0; i < ewc_rebalance_skipped_count(rb); i++) {
		const char *job, *why;
		ewc_rebalance_skipped(rb, i, &job, &why);
		fprintf(f, "Left out: %s: %s\n", job, why);
	}
}

static void print_csv(FILE *f, const ewc_rebalance *rb, int horizon)
{
	fputs("job,kind,gpus,from_region,from_type,to_region,to_type,hours_left,"
	      "migration_cny,cost_stay_cny,cost_to_cny,saving_cny,carbon_avoided_kg", f);
	fputs(horizon ? ",waiting,from_start,to_start\n" : "\n", f);
	for (size_t i = 0; i < ewc_rebalance_count(rb); i++) {
		ewc_move m = EWC_MOVE_INIT;
		ewc_rebalance_job(rb, i, &m);
		if (!m.moved)
			continue;
		tool_csv_field(f, m.job, 0);
		tool_csv_field(f, ewc_kind_name(m.kind), 0);
		fprintf(f, "%ld,", m.gpus);
		tool_csv_field(f, m.from_region, 0);
		tool_csv_field(f, m.from_type, 0);
		tool_csv_field(f, m.to_region, 0);
		tool_csv_field(f, m.to_type, 0);
		tool_csv_num(f, m.to_hours, 0);
		tool_csv_num(f, m.migration_cny, 0);
		tool_csv_num(f, m.cost_stay_cny, 0);
		tool_csv_num(f, m.cost_to_cny, 0);
		tool_csv_num(f, m.saving_cny, 0);
		tool_csv_num(f, m.carbon_avoided_kg, !horizon);
		if (horizon) {
			char t1[32], t2[32];
			ewc_time_format(m.from_start, t1, sizeof t1);
			ewc_time_format(m.to_start, t2, sizeof t2);
			fprintf(f, "%s,", m.waiting ? "yes" : "no");
			tool_csv_field(f, t1, 0);
			tool_csv_field(f, t2, 1);
		}
	}
}

static json_t *totals_json(const ewc_totals *t)
{
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I}", "cost_cny", t->cost_cny,
	                 "carbon_kg", t->carbon_kg, "energy_kwh", t->energy_kwh, "gpu_hours",
	                 t->gpu_hours, "gpu_hours_west", t->gpu_hours_west, "objective",
	                 t->objective, "placed", (json_int_t)t->placed, "unplaced",
	                 (json_int_t)t->unplaced);
}

/* The figures changed since the previous run; null when there was none. */
static json_t *changes_json(const ewc_rebalance *rb)
{
	json_t *a;

	if (!ewc_rebalance_compared(rb))
		return json_null();
	a = json_array();
	for (size_t i = 0; a && i < ewc_rebalance_change_count(rb); i++)
		json_array_append_new(a, json_string(ewc_rebalance_change(rb, i)));
	return a ? a : json_null();
}

static char *to_json(const ewc_rebalance *rb, const ewc_rebalance_summary *s,
                     long long run, int horizon)
{
	json_t *moves = json_array(), *skipped = json_array(), *prev, *root;
	char when[32];
	char *text;

	if (!moves || !skipped) {
		json_decref(moves);
		json_decref(skipped);
		return NULL;
	}
	for (size_t i = 0; i < ewc_rebalance_count(rb); i++) {
		ewc_move m = EWC_MOVE_INIT;
		ewc_rebalance_job(rb, i, &m);
		if (m.moved)
			json_array_append_new(
				moves,
				json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, "
				          "s:f, s:f}", "job", m.job, "kind", ewc_kind_name(m.kind), "gpus",
				          (json_int_t)m.gpus, "from", m.from_region, "from_type", m.from_type,
				          "to", m.to_region, "to_type", m.to_type, "hours_left", m.to_hours,
				          "migration_cny", m.migration_cny, "checkpoint_cny", m.checkpoint_cny,
				          "restart_cny", m.restart_cny, "cost_stay_cny", m.cost_stay_cny,
				          "cost_to_cny", m.cost_to_cny, "saving_cny", m.saving_cny,
				          "carbon_avoided_kg", m.carbon_avoided_kg));
		if (m.moved) {
			const char *why = ewc_rebalance_why(rb, i);
			json_t *o = json_array_get(moves, json_array_size(moves) - 1);
			json_object_set_new(o, "why", why ? json_string(why) : json_null());
			if (horizon) {
				char t1[32], t2[32];
				ewc_time_format(m.from_start, t1, sizeof t1);
				ewc_time_format(m.to_start, t2, sizeof t2);
				json_object_set_new(o, "waiting", json_boolean(m.waiting));
				json_object_set_new(o, "from_start", json_string(t1));
				json_object_set_new(o, "to_start", json_string(t2));
			}
		}
		else if (!m.to_region)
			json_array_append_new(skipped, json_pack("{s:s, s:s}", "job", m.job, "reason",
			                                         m.reason));
	}
	for (size_t i = 0; i < ewc_rebalance_skipped_count(rb); i++) {
		const char *job, *why;
		ewc_rebalance_skipped(rb, i, &job, &why);
		json_array_append_new(skipped, json_pack("{s:s, s:s}", "job", job, "reason", why));
	}
	{
		/* rates compare like with like; totals over the hours left do not */
		int rates = s->have_previous && isfinite(s->previous_cost_rate_cny_per_day);
		prev = s->have_previous
		           ? json_pack("{s:I, s:s, s:s, s:f, s:f, s:I, s:o, s:o, s:o, s:o}", "run",
		                       (json_int_t)s->previous_run, "kind", s->previous_kind, "at",
		                       s->previous_at, "cost_cny", s->previous_cost_cny, "carbon_kg",
		                       s->previous_carbon_kg, "moves", (json_int_t)s->previous_moves,
		                       "cost_rate_cny_per_day",
		                       rates ? json_real(s->previous_cost_rate_cny_per_day) : json_null(),
		                       "carbon_rate_kg_per_day",
		                       rates ? json_real(s->previous_carbon_rate_kg_per_day) : json_null(),
		                       "cost_rate_change_cny_per_day",
		                       rates ? json_real(s->cost_rate_cny_per_day -
		                                         s->previous_cost_rate_cny_per_day)
		                             : json_null(),
		                       "carbon_rate_change_kg_per_day",
		                       rates ? json_real(s->carbon_rate_kg_per_day -
		                                         s->previous_carbon_rate_kg_per_day)
		                             : json_null())
		           : json_null();
	}
	ewc_time_format(s->now, when, sizeof when);
	root = json_pack("{s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:o, s:o, s:o, s:o, s:f, s:f, s:f, "
	                 "s:f, s:f, s:f, s:b, s:f, s:f, s:o, s:o, s:o, s:o}",
	                 "format", "ewc.rebalance/1", "at", when, "mode", ewc_mode_name(s->mode), "carbon_price_cny_per_t",
	                 s->carbon_price, "margin", s->margin, "jobs", (json_int_t)s->jobs,
	                 "moved", (json_int_t)s->moves, "run",
	                 run > 0 ? json_integer((json_int_t)run) : json_null(),
	                 "before", totals_json(&s->before), "after", totals_json(&s->after),
	                 "baseline", totals_json(&s->baseline), "migration_cny", s->migration_cny,
	                 "saving_cny", s->saving_cny, "carbon_avoided_kg", s->carbon_avoided_kg,
	                 "objective", s->objective, "lower_bound", s->lower_bound, "gap", s->gap,
	                 "proven", s->proven, "cost_rate_cny_per_day", s->cost_rate_cny_per_day,
	                 "carbon_rate_kg_per_day", s->carbon_rate_kg_per_day,
	                 "previous", prev, "changes", changes_json(rb), "moves", moves, "not_moved",
	                 skipped);
	if (!root)
		return NULL;
	if (horizon) {
		json_object_set_new(root, "horizon_h", json_integer(horizon));
		json_object_set_new(root, "rescheduled", json_integer((json_int_t)s->rescheduled));
	}
	text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	json_decref(root);
	return text;
}

/* The rebalancing as the format asks, into *data (malloc'd, *len bytes). */
static int render(const cmd_args *a, const ewc_rebalance *rb, const ewc_rebalance_summary *s,
                  long long run, char **data, size_t *len)
{
	tool_buf out;

	*data = NULL;
	*len = 0;
	if (strcmp(a->format, "json") == 0) {
		char *json = to_json(rb, s, run, a->opts.horizon_h);
		if (!json) {
			tool_error("out of memory");
			return -1;
		}
		*len = strlen(json);
		json[(*len)++] = '\n'; /* jansson's buffer ends in the NUL this overwrites */
		*data = json;
		return 0;
	}
	if (tool_buf_open(&out) != 0)
		return -1;
	if (strcmp(a->format, "csv") == 0)
		print_csv(out.f, rb, a->opts.horizon_h);
	else
		print_table(out.f, rb, s, a->opts.horizon_h);
	if (tool_buf_close(&out) != 0)
		return -1;
	if (strcmp(a->format, "csv") == 0) {
		*data = out.data;
		*len = out.len;
		return 0;
	}
	/* a table is for people: job ids with control bytes are escaped */
	*data = tool_escape(out.data, out.len, len);
	free(out.data);
	if (!*data) {
		tool_error("out of memory");
		return -1;
	}
	return 0;
}

int cmd_rebalance(int argc, char **argv)
{
	cmd_args a;
	const char *path;
	ewc_db *db = NULL;
	ewc_ctx *ctx = NULL;
	ewc_rebalance *rb = NULL;
	ewc_rebalance_summary s = EWC_REBALANCE_SUMMARY_INIT;
	long long run = 0;
	double t0 = tool_seconds();
	int rc = args_parse("rebalance", ARGS_REBALANCE, cmd_rebalance_help, argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	path = tool_db_path(a.db);
	db = tool_db_existing(path);
	if (!db)
		return EXIT_ERR;
	ctx = tool_load(&a.regions);
	if (!ctx || tool_overlay(db, ctx, a.now, a.max_age_h, 0) != 0) {
		ewc_ctx_free(ctx);
		ewc_db_free(db);
		return EXIT_ERR;
	}
	if (ewc_rebalance_plan(&rb, ctx, db, a.now, &a.rebal) != 0) {
		tool_error("%s", ewc_errmsg());
		rc = EXIT_ERR;
		goto out;
	}
	ewc_rebalance_summarize(rb, &s);
	rc = s.after.unplaced ? EXIT_UNPLACED : EXIT_OK;
	{
		/* everything that can fail is made first: the output and the
		 * report in memory, then beside their targets; the run commits
		 * only when they all succeeded, and the renames follow */
		char *data = NULL, *html = NULL;
		size_t len = 0, hlen = 0;
		tool_staged so = { NULL, NULL }, sr = { NULL, NULL }, sm = { NULL, NULL };
		int out_file = a.output && strcmp(a.output, "-") != 0, ok = 1;
		if (a.commit) {
			char source[1024] = "";
			size_t used = 0;
			for (size_t i = 0; i < a.regions.n && used < sizeof source; i++)
				used += (size_t)snprintf(source + used, sizeof source - used, "%s%s",
				                         i ? " " : "", a.regions.paths[i]);
			/* held open: the report reads this run's moves on this handle */
			if (ewc_db_begin(db) != 0 ||
			    ewc_db_commit_rebalance(db, rb, source, &run) != 0) {
				tool_error("%s", ewc_errmsg());
				rc = EXIT_ERR;
				goto out;
			}
		}
		if (render(&a, rb, &s, run, &data, &len) != 0 ||
		    (a.report && report_render(a.report, path, db, ctx, rb, run, &html, &hlen) != 0) ||
		    (a.report && tool_stage(&sr, a.report, html, hlen) != 0) ||
		    (a.metrics &&
		     metrics_rebalance(a.metrics, rb, &s, tool_seconds() - t0, &sm) != 0) ||
		    (out_file && tool_stage(&so, a.output, data, len) != 0))
			ok = 0;
		if (a.commit) {
			if (!ok) {
				ewc_db_end(db, 0);
				tool_error("%s: nothing recorded", path);
			} else if (ewc_db_end(db, 1) != 0) {
				tool_error("%s", ewc_errmsg());
				ok = 0;
			} else {
				if (a.opts.horizon_h)
					fprintf(stderr, "ewc: recorded as run %lld in %s: %zu job%s moved, %zu "
					        "not started yet given another place or slot\n", run, path,
					        s.moves, s.moves == 1 ? "" : "s", s.rescheduled);
				else
					fprintf(stderr, "ewc: recorded as run %lld in %s: %zu job%s moved\n",
					        run, path, s.moves, s.moves == 1 ? "" : "s");
			}
		}
		if (!ok) {
			tool_stage_abort(&sr);
			tool_stage_abort(&sm);
			tool_stage_abort(&so);
			rc = EXIT_ERR;
		} else if (tool_stage_finish(&sr) != 0 || tool_stage_finish(&sm) != 0 ||
		           (out_file ? tool_stage_finish(&so) : tool_write(NULL, data, len)) != 0) {
			tool_stage_abort(&so);
			rc = EXIT_ERR;
		}
		free(data);
		free(html);
	}
out:
	ewc_rebalance_free(rb);
	ewc_ctx_free(ctx);
	ewc_db_free(db);
	return rc;
}
