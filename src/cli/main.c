/* main.c - the ewc command: dispatch to subcommands, help and version */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "tool.h"
#include "cmds.h"

static const char *const help_main =
	"usage: ewc COMMAND [OPTIONS]\n"
	"\n"
	"Place GPU jobs on China's East Data, West Compute hubs: training west,\n"
	"latency-bound inference east, reporting cost (CNY) and carbon (kg CO2)\n"
	"against the plan that keeps every job near its origin.\n"
	"\n"
	"commands:\n"
	"  place      optimise a job list and report the plan\n"
	"  explain    show every option one job had, and why the plan chose one\n"
	"  regions    list, validate, import or sync region descriptors\n"
	"  jobs       list, finish or remove the jobs in the state database\n"
	"  rebalance  which running jobs should move, what it saves; the nightly report\n"
	"  frontier   the cost-carbon trade-off: plans from the cheapest to the greenest\n"
	"  whatif     a plan before and after a change to prices or capacity\n"
	"  help       show help for a command\n"
	"\n"
	"  ewc --version    print the version\n"
	"\n"
	"exit status: 0 ok (every job placed), 3 plan made but some jobs unplaced,\n"
	"4 regions sync: some feeds failed, 5 every feed failed, 1 input or runtime\n"
	"error, 2 usage error. With --format json, messages are one JSON document on\n"
	"standard error (docs/formats.md).\n";

/* The commands: name, entry point, help text (each command owns its own). */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "place", cmd_place, cmd_place_help },
	{ "explain", cmd_explain, cmd_explain_help },
	{ "regions", cmd_regions, cmd_regions_help },
	{ "jobs", cmd_jobs, cmd_jobs_help },
	{ "rebalance", cmd_rebalance, cmd_rebalance_help },
	{ "frontier", cmd_frontier, cmd_frontier_help },
	{ "whatif", cmd_whatif, cmd_whatif_help },
	{ "help", NULL, help_main },
};

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c = argc > 1 ? find(argv[1]) : NULL;

	if (argc > 1 && !c)
		return tool_usage(NULL, "no such command: %s", argv[1]);
	fputs(c ? c->help : help_main, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct command *c;

	if (!cmd) {
		fputs(help_main, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("ewc %s (libewc %s)\n", EWC_VERSION, ewc_version());
		return EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
		return cmd_help(argc - 1, argv + 1);
	c = find(cmd);
	if (!c || !c->run)
		return tool_usage(NULL, "no such command: %s", cmd);
	/* a program that asked for JSON reads its errors as JSON too */
	for (int i = 2; i < argc; i++)
		if ((strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		     strcmp(argv[i + 1], "json") == 0) ||
		    strcmp(argv[i], "--format=json") == 0)
			tool_json_errors(1);
	return tool_json_flush(c->run(argc - 1, argv + 1));
}
