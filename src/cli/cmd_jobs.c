/* cmd_jobs.c - `ewc jobs`: the jobs in the state database, kept true */
/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <time.h>

#include "tool.h"
#include "cmds.h"

const char cmd_jobs_help[] =
	"usage: ewc jobs list [--running] [--format table|csv|json] [--db FILE]\n"
	"       ewc jobs finish ID [--now TIME] [--db FILE]\n"
	"       ewc jobs remove ID [--db FILE]\n"
	"\n"
	"The jobs that ewc place --commit recorded in the state database.\n"
	"list: every job (or only the running ones) with its state, region and\n"
	"start. finish: the job has ended; its GPUs are free again and it stays on\n"
	"record. remove: forget the job and its placement.\n"
	"FILE defaults to $EWC_DB, else ./ewc.db; TIME is UTC, as\n"
	"2026-11-22T06:00:00Z (default: the current time).\n";

typedef struct jobs_args {
	const char *verb;     /* list, finish or remove */
	const char *id;
	const char *db;
	const char *format;
	int running;
	double now;
} jobs_args;

static int jobs_parse(int argc, char **argv, jobs_args *a)
{
	enum { O_DB = 256, O_FORMAT, O_RUNNING, O_NOW, O_HELP };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "running", no_argument, NULL, O_RUNNING },
		{ "now", required_argument, NULL, O_NOW },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int c, want_id;

	memset(a, 0, sizeof *a);
	a->format = "table";
	a->now = (double)time(NULL);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_DB: a->db = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return tool_usage("jobs", "--format: use table, csv or json, not \"%s\"",
				                  optarg);
			a->format = optarg;
			break;
		case O_RUNNING: a->running = 1; break;
		case O_NOW:
			if (tool_time("jobs", "--now", optarg, &a->now))
				return EXIT_USAGE;
			break;
		case O_HELP:
			fputs(cmd_jobs_help, stdout);
			return -1;
		case ':':
			return tool_usage("jobs", "%s needs a value", argv[optind - 1]);
		default:
			return tool_usage("jobs", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return tool_usage("jobs", "say list, finish ID or remove ID");
	a->verb = argv[optind++];
	want_id = strcmp(a->verb, "finish") == 0 || strcmp(a->verb, "remove") == 0;
	if (!want_id && strcmp(a->verb, "list") != 0)
		return tool_usage("jobs", "unknown subcommand \"%s\": say list, finish or remove",
		                  a->verb);
	if (want_id) {
		if (optind >= argc)
			return tool_usage("jobs", "%s needs a job ID", a->verb);
		a->id = argv[optind++];
	}
	if (optind < argc)
		return tool_usage("jobs", "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

typedef struct printer {
	FILE *f;
	int csv;
	json_t *arr;   /* --format json: the jobs gathered here */
} printer;

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int print_job(void *user, const ewc_db_job *j)
{
	printer *p = user;
	const char *state = j->finished_at ? "finished" : j->region ? "running" : "unplaced";

	if (p->arr) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:f, s:s, s:o, s:o}", "job",
		                      j->id, "kind", ewc_kind_name(j->kind), "state", state, "region",
		                      str_or_null(j->region), "gpu_type",
		                      j->placed_type ? j->placed_type : j->gpu_type, "gpus",
		                      (json_int_t)(j->region ? j->placed_gpus : j->gpus), "hours",
		                      j->region ? j->placed_hours : j->hours, "origin", j->origin,
		                      "started_at", str_or_null(j->started_at), "finished_at",
		                      str_or_null(j->finished_at));
		return o && json_array_append_new(p->arr, o) == 0 ? 0 : 1;
	}
	char gpus[32], hours[32];

	snprintf(gpus, sizeof gpus, "%ld", j->region ? j->placed_gpus : j->gpus);
	snprintf(hours, sizeof hours, "%.6g", j->region ? j->placed_hours : j->hours);
	if (p->csv) {
		const char *v[] = { j->id, ewc_kind_name(j->kind), state,
		                    j->region, j->placed_type ? j->placed_type : j->gpu_type, gpus,
		                    hours, j->origin, j->started_at, j->finished_at };
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
			tool_csv_field(p->f, v[i], i + 1 == sizeof v / sizeof v[0]);
	} else {
		fprintf(p->f, "%-24s %-5s %-8s %-24s %5s x %-10s %9s h  %s\n", tool_safe(j->id),
		        ewc_kind_name(j->kind), state,
		        j->region ? j->region : "-", gpus, j->placed_type ? j->placed_type : j->gpu_type,
		        hours, j->started_at ? j->started_at : (j->finished_at ? j->finished_at : "-"));
	}
	return 0;
}

int cmd_jobs(int argc, char **argv)
{
	jobs_args a;
	ewc_db *db;
	int rc = jobs_parse(argc, argv, &a);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	db = tool_db_existing(tool_db_path(a.db));
	if (!db)
		return EXIT_ERR;
	if (strcmp(a.verb, "list") == 0) {
		printer p = { stdout, strcmp(a.format, "csv") == 0, NULL };
		if (strcmp(a.format, "json") == 0) {
			json_t *root = json_object();
			char *text = NULL;
			p.arr = json_array();
			rc = root && p.arr ? ewc_db_jobs(db, a.running, print_job, &p) : EWC_ENOMEM;
			if (rc == 0) {
				json_object_set_new(root, "format", json_string("ewc.jobs/1"));
				json_object_set_new(root, "jobs", p.arr);
				p.arr = NULL;
				text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) |
				                            JSON_REAL_PRECISION(15));
				if (!text || puts(text) == EOF)
					rc = EWC_ENOMEM;
			}
			json_decref(p.arr);
			json_decref(root);
			free(text);
			if (rc != 0 && rc != EWC_ENOMEM)
				tool_error("%s", ewc_errmsg());
			else if (rc)
				tool_error("out of memory");
			ewc_db_free(db);
			return rc ? EXIT_ERR : EXIT_OK;
		}
		if (p.csv)
			fputs("job,kind,state,region,gpu_type,gpus,hours,origin,started_at,finished_at\n",
			      stdout);
		else
			fprintf(stdout, "%-24s %-5s %-8s %-24s %5s   %-10s %9s    %s\n", "JOB", "KIND",
			        "STATE", "REGION", "GPUS", "TYPE", "HOURS", "SINCE");
		rc = ewc_db_jobs(db, a.running, print_job, &p);
	} else if (strcmp(a.verb, "finish") == 0) {
		rc = ewc_db_job_finish(db, a.id, a.now);
	} else {
		rc = ewc_db_job_remove(db, a.id);
	}
	if (rc != 0)
		tool_error("%s", ewc_errmsg());
	ewc_db_free(db);
	return rc ? EXIT_ERR : EXIT_OK;
}
