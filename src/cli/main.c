/* main.c - the ewc command: dispatch to subcommands, help and version */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "tool.h"

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
	"4 regions sync: some feeds failed, 1 input or runtime error, 2 usage error.\n";

static const char *const help_place =
	"usage: ewc place [--regions PATH]... --jobs FILE [OPTIONS]\n"
	"\n"
	"Optimise the placement of every job in FILE (CSV) on the regions and\n"
	"report the plan beside the baseline that keeps each job near its origin.\n"
	"\n"
	"  --regions PATH       region descriptors and GPU catalog: a file or a folder\n"
	"                       of *.xml (repeatable; default $EWC_REGIONS, else the\n"
	"                       installed regions)\n"
	"  --jobs FILE          the job list (CSV, see ewc(1))\n"
	"  --mode MODE          balanced (default), cost or carbon\n"
	"  --carbon-price N     CNY per tonne CO2 in balanced mode (default 100)\n"
	"  --format FORMAT      table (default), csv or json\n"
	"  --output FILE        write there instead of standard output\n"
	"  --gap G              stop when within relative gap G of the bound\n"
	"                       (default 0.0001)\n"
	"  --time-limit S       seconds the optimiser may take (default 60)\n"
	"  --write-lp FILE      write the model in CPLEX LP format\n"
	"  --commit             record the plan in the state database: its jobs run\n"
	"                       from --now on (nothing is written without it)\n"
	"  --db FILE            the state database: its feed data (ewc regions sync)\n"
	"                       is laid over the regions; --commit records there\n"
	"                       (default with --commit: $EWC_DB, else ./ewc.db)\n"
	"  --max-age AGE        warn when feed data is older (default 48h; 2d, 72)\n"
	"  --now TIME           when the placed jobs start, UTC 2026-11-22T06:00:00Z\n"
	"                       (default: the current time)\n"
	"  --solver S           auto (default: direct up to 3,000 options, else\n"
	"                       decompose), direct (GLPK branch-and-cut on the whole\n"
	"                       model) or decompose (prices on the capacity rows)\n"
	"  --show-duals         shadow prices: what one more GPU of each full\n"
	"                       capacity, or a looser policy, would save\n"
	"\n"
	"policy (each must hold, or the command fails naming it):\n"
	"  --policy FILE        <policy carbon-budget-kg=\"\" min-green-share=\"\"\n"
	"                       max-region-share=\"\"/>, the options below override it\n"
	"  --carbon-budget KG   total carbon of the plan at most KG\n"
	"  --min-green-share S  at least S (0..1) of the energy placed is green\n"
	"  --max-region-share S no region holds more than S (0..1) of the GPUs placed\n"
	"\n"
	"On a terminal, a long solve shows its progress on standard error.\n"
	"exit status: 0 every job placed, 3 some unplaced, 1 error, 2 usage.\n";

static const char *const help_explain =
	"usage: ewc explain [--regions PATH]... --jobs FILE --job ID [OPTIONS]\n"
	"\n"
	"Place the whole job list, then show for job ID every (region, GPU type)\n"
	"with its cost, carbon and objective, the chosen one marked (*) and the\n"
	"baseline's marked (b), and why each excluded option was excluded.\n"
	"\n"
	"  --regions, --jobs, --mode, --carbon-price, --gap, --time-limit, --solver,\n"
	"  --policy, --carbon-budget, --min-green-share, --max-region-share\n"
	"                       as for ewc place\n"
	"  --job ID             the job to explain\n";

static const char *const help_frontier =
	"usage: ewc frontier [--regions PATH]... --jobs FILE [OPTIONS]\n"
	"\n"
	"The cost-carbon Pareto frontier: the cheapest plan (--mode cost), the\n"
	"greenest (--mode carbon), and between them the cheapest plan under carbon\n"
	"caps stepped evenly from one to the other. Each point: cost, carbon, what\n"
	"the step from the previous point costs per tonne avoided, jobs in the\n"
	"west, GPU-hours on domestic accelerators. The knee is marked *.\n"
	"\n"
	"  --points N           plans on the curve, ends included (default 11)\n"
	"  --report FILE.html   the curve as SVG with the knee, and the points\n"
	"  --format FORMAT      table (default), csv or json\n"
	"  --output FILE        write there instead of standard output\n"
	"  --regions, --jobs, --gap, --time-limit (per plan), --solver, --policy,\n"
	"  --carbon-budget, --min-green-share, --max-region-share   as for ewc place\n";

static const char *const help_whatif =
	"usage: ewc whatif [--regions PATH]... --jobs FILE --set TARGET=VALUE... [OPTIONS]\n"
	"\n"
	"Two plans of the same jobs: on the regions as loaded, and with the\n"
	"changes made; their totals, the difference and every job that moves.\n"
	"The changed plan starts from the base plan, so a change that only adds\n"
	"room or lowers prices never makes it worse.\n"
	"\n"
	"  --set TARGET=VALUE   repeatable. TARGET: REGION.power.price,\n"
	"                       REGION.power.green-share, REGION.power.grid-factor,\n"
	"                       REGION.power.pue, REGION.TYPE.free, REGION.TYPE.price,\n"
	"                       REGION.link.SITE.price-per-gb (or latency-ms, gbps);\n"
	"                       REGION is a region id or * for all. VALUE: N sets,\n"
	"                       +N and -N add, *N scales. Example:\n"
	"                       --set ningxia-zhongwei.A100.free=+2000\n"
	"  --format FORMAT      table (default), csv (the moves) or json\n"
	"  --output FILE        write there instead of standard output\n"
	"  --regions, --jobs, --mode, --carbon-price, --gap, --time-limit, --solver,\n"
	"  --policy, --carbon-budget, --min-green-share, --max-region-share\n"
	"                       as for ewc place\n"
	"\n"
	"exit status: 0, 3 when the changed plan leaves jobs unplaced, 1 error, 2 usage.\n";

static const char *const help_regions =
	"usage: ewc regions list [PATH]...\n"
	"       ewc regions validate [PATH]...\n"
	"       ewc regions import --from FORMAT FILE [--map MAP.csv] --output FILE\n"
	"                          [--regions PATH]... [OPTIONS]\n"
	"       ewc regions sync --feeds FEEDS.xml [--db FILE] [--regions PATH]...\n"
	"\n"
	"list: one line per region with its power, carbon and free GPUs.\n"
	"validate: check files or folders against the schema and the rules of\n"
	"SPEC section 2; prints every problem with its file and line.\n"
	"PATH defaults to $EWC_REGIONS, else the installed regions.\n"
	"\n"
	"import: read published data and write new region descriptors (never over\n"
	"the ones read), with each replaced figure in a comment. FORMAT is\n"
	"google-cfe, casdk, electricitymaps, skypilot or ewc (free GPUs); MAP is a\n"
	"CSV \"external,region[,green-share]\" naming the regions each external zone\n"
	"feeds (not needed for ewc). Prints rows used and skipped, and why.\n"
	"  --window HOURS|FROM/TO  casdk: the mean over the last HOURS (24h, 90m,\n"
	"                       2d; default 24h) up to the newest sample, or a UTC span\n"
	"  --currency-rate R    skypilot: multiply prices by R (e.g. USD to CNY)\n"
	"  --spot               skypilot: spot prices instead of on-demand\n"
	"\n"
	"sync: fetch each feed of FEEDS.xml over HTTPS and store it as a snapshot\n"
	"in the state database (default $EWC_DB, else ./ewc.db); a feed that fails\n"
	"leaves its previous snapshot. place --db and rebalance use the newest.\n"
	"  --now TIME           the snapshots' time (default: the current time)\n"
	"  --max-age AGE        warn about stored data older than AGE (default 48h)\n"
	"Exit status 4: some feeds failed, the others were stored.\n"
	"See docs/data.md for the formats and the feeds file.\n";

static const char *const help_jobs =
	"usage: ewc jobs list [--running] [--format table|csv] [--db FILE]\n"
	"       ewc jobs finish ID [--now TIME] [--db FILE]\n"
	"       ewc jobs remove ID [--db FILE]\n"
	"\n"
	"The jobs that ewc place --commit recorded in the state database.\n"
	"list: every job (or only the running ones) with its state, region and\n"
	"start. finish: the job has ended; its GPUs are free again and it stays on\n"
	"record. remove: forget the job and its placement.\n"
	"FILE defaults to $EWC_DB, else ./ewc.db; TIME is UTC, as\n"
	"2026-11-22T06:00:00Z (default: the current time).\n";

static const char *const help_rebalance =
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
	"  --format FMT         table (default), json or csv (the moves only)\n"
	"  --output FILE        write there instead of standard output\n"
	"  --commit             record the moves: the moved jobs restart now\n"
	"  --mode, --carbon-price, --gap, --time-limit, --solver   as for place\n"
	"\n"
	"exit status: 0 ok, 3 some job can neither stay nor move, 1 error,\n"
	"2 usage error.\n";

void cmd_help_text(const char *cmd, FILE *out)
{
	if (!cmd)
		fputs(help_main, out);
	else if (strcmp(cmd, "place") == 0)
		fputs(help_place, out);
	else if (strcmp(cmd, "explain") == 0)
		fputs(help_explain, out);
	else if (strcmp(cmd, "regions") == 0)
		fputs(help_regions, out);
	else if (strcmp(cmd, "jobs") == 0)
		fputs(help_jobs, out);
	else if (strcmp(cmd, "rebalance") == 0)
		fputs(help_rebalance, out);
	else if (strcmp(cmd, "frontier") == 0)
		fputs(help_frontier, out);
	else if (strcmp(cmd, "whatif") == 0)
		fputs(help_whatif, out);
	else
		fputs(help_main, out);
}

static int cmd_help(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd && strcmp(cmd, "place") && strcmp(cmd, "explain") && strcmp(cmd, "regions") &&
	    strcmp(cmd, "jobs") && strcmp(cmd, "rebalance") && strcmp(cmd, "frontier") &&
	    strcmp(cmd, "whatif") && strcmp(cmd, "help"))
		return tool_usage(NULL, "no such command: %s", cmd);
	cmd_help_text(cmd, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

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
	if (strcmp(cmd, "place") == 0)
		return cmd_place(argc - 1, argv + 1);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(cmd, "jobs") == 0)
		return cmd_jobs(argc - 1, argv + 1);
	if (strcmp(cmd, "regions") == 0)
		return cmd_regions(argc - 1, argv + 1);
	if (strcmp(cmd, "rebalance") == 0)
		return cmd_rebalance(argc - 1, argv + 1);
	if (strcmp(cmd, "frontier") == 0)
		return cmd_frontier(argc - 1, argv + 1);
	if (strcmp(cmd, "whatif") == 0)
		return cmd_whatif(argc - 1, argv + 1);
	return tool_usage(NULL, "no such command: %s", cmd);
}
