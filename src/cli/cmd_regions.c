/* cmd_regions.c - `ewc regions list|validate|import|sync`: inspect, check and refresh descriptors */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "tool.h"
#include "cmds.h"

const char cmd_regions_help[] =
	"usage: ewc regions list [--type T] [--zone east|west] [--site S [--slo MS]]\n"
	"                        [--format table|csv|json] [PATH]...\n"
	"       ewc regions validate [PATH]...\n"
	"       ewc regions import --from FORMAT FILE [--map MAP.csv] --output FILE\n"
	"                          [--regions PATH]... [OPTIONS]\n"
	"       ewc regions sync --feeds FEEDS.xml [--db FILE] [--regions PATH]...\n"
	"                        [--format table|csv|json]\n"
	"\n"
	"list: one line per region with its power, both carbon factors (the grid's,\n"
	"and after its contracted green share) and free GPUs; --type, --zone and\n"
	"--site/--slo keep the regions with that type, in that zone, linked from\n"
	"that site (within MS milliseconds).\n"
	"validate: check files or folders against the schema and the rules of\n"
	"docs/formats.md; prints every problem with its file and line.\n"
	"PATH defaults to $EWC_REGIONS, else the installed regions.\n"
	"\n"
	"import: read published data and write new region descriptors (never over\n"
	"the ones read), with each replaced figure in a comment. FORMAT is\n"
	"google-cfe, casdk, electricitymaps, skypilot or ewc (free GPUs), or a\n"
	"forecast: casdk-forecast (the Carbon Aware SDK's emissions/forecasts) or\n"
	"electricitymaps-forecast (carbon-intensity/forecast), which give each\n"
	"region an hourly grid-factor series for plans over a horizon; MAP is a\n"
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
	"Exit status 4: some feeds failed, the others were stored; 5: every feed failed,\n"
	"nothing was stored.\n"
	"See docs/data.md for the formats and the feeds file.\n";

/* regions list's filters: a GPU type it has, its zone, and a site it is
 * linked from (within slo ms when given). */
typedef struct filter {
	const char *type, *zone, *site;
	double slo;   /* < 0: any latency */
} filter;

static int keep(ewc_ctx *ctx, size_t i, const filter *fl)
{
	ewc_region_info r = EWC_REGION_INFO_INIT;
	int ok = 1;

	ewc_region_get(ctx, i, &r);
	if (fl->zone && strcmp(ewc_zone_name(r.zone), fl->zone) != 0)
		return 0;
	if (fl->type) {
		ok = 0;
		for (size_t k = 0; k < r.gpu_types && !ok; k++) {
			const char *type;
			long f;
			double p;
			ewc_region_gpu(ctx, i, k, &type, &f, &p);
			ok = strcmp(type, fl->type) == 0;
		}
		if (!ok)
			return 0;
	}
	if (fl->site) {
		ok = 0;
		for (size_t k = 0; k < r.links && !ok; k++) {
			const char *site;
			double lat, ppg, gbps;
			ewc_region_link(ctx, i, k, &site, &lat, &ppg, &gbps);
			ok = strcmp(site, fl->site) == 0 && (fl->slo < 0 || lat <= fl->slo);
		}
	}
	return ok;
}

/* For programs: one JSON document (format ewc.regions/1), or one CSV row
 * per (region, GPU type). */
static int list_json(ewc_ctx *ctx, const filter *fl)
{
	json_t *root = json_object(), *arr = json_array();
	char *text;
	int rc = EXIT_OK;

	if (!root || !arr) {
		json_decref(root);
		json_decref(arr);
		tool_error("out of memory");
		return EXIT_ERR;
	}
	json_object_set_new(root, "format", json_string("ewc.regions/1"));
	for (size_t i = 0; i < ewc_region_count(ctx); i++) {
		ewc_region_info r = EWC_REGION_INFO_INIT;
		json_t *gpus, *links;
		if (!keep(ctx, i, fl))
			continue;
		gpus = json_array();
		links = json_array();
		ewc_region_get(ctx, i, &r);
		for (size_t k = 0; k < r.gpu_types; k++) {
			const char *type;
			long free_gpus;
			double price;
			ewc_region_gpu(ctx, i, k, &type, &free_gpus, &price);
			json_array_append_new(gpus, json_pack("{s:s, s:I, s:f}", "type", type, "free",
			                                      (json_int_t)free_gpus, "price_cny_per_gpu_h",
			                                      price));
		}
		for (size_t k = 0; k < r.links; k++) {
			const char *site;
			double lat, ppg, gbps;
			ewc_region_link(ctx, i, k, &site, &lat, &ppg, &gbps);
			json_array_append_new(links, json_pack("{s:s, s:f, s:f, s:o}", "site", site,
			                                       "latency_ms", lat, "price_per_gb", ppg,
			                                       "gbps", gbps > 0 ? json_real(gbps)
			                                                        : json_null()));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:o, "
		                                     "s:o, s:s, s:i}",
		                                     "id", r.id, "name", r.name, "zone",
		                                     ewc_zone_name(r.zone), "power_price", r.power_price,
		                                     "green_share", r.green_share, "grid_factor",
		                                     r.grid_factor, "market_factor",
		                                     r.grid_factor * (1 - r.green_share), "pue", r.pue,
		                                     "gpus", gpus, "links", links, "file", r.file,
		                                     "line", r.line));
	}
	json_object_set_new(root, "regions", arr);
	text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	json_decref(root);
	if (!text) {
		tool_error("out of memory");
		return EXIT_ERR;
	}
	if (puts(text) == EOF)
		rc = EXIT_ERR;
	free(text);
	return rc;
}

static void list_csv(ewc_ctx *ctx, const filter *fl)
{
	fputs("region,zone,power_price,green_share,grid_factor,market_factor,pue,gpu_type,free,"
	      "price\n", stdout);
	for (size_t i = 0; i < ewc_region_count(ctx); i++) {
		ewc_region_info r = EWC_REGION_INFO_INIT;
		if (!keep(ctx, i, fl))
			continue;
		ewc_region_get(ctx, i, &r);
		for (size_t k = 0; k < r.gpu_types || (k == 0 && r.gpu_types == 0); k++) {
			const char *type = "";
			long free_gpus = 0;
			double price = 0;
			if (r.gpu_types)
				ewc_region_gpu(ctx, i, k, &type, &free_gpus, &price);
			tool_csv_field(stdout, r.id, 0);
			tool_csv_field(stdout, ewc_zone_name(r.zone), 0);
			tool_csv_num(stdout, r.power_price, 0);
			tool_csv_num(stdout, r.green_share, 0);
			tool_csv_num(stdout, r.grid_factor, 0);
			tool_csv_num(stdout, r.grid_factor * (1 - r.green_share), 0);
			tool_csv_num(stdout, r.pue, 0);
			tool_csv_field(stdout, type, 0);
			printf("%ld,", free_gpus);
			tool_csv_num(stdout, price, 1);
		}
	}
}

static void list(ewc_ctx *ctx, const filter *fl)
{
	/* KG/KWH: the grid's (location-based) factor; MARKET: after the
	 * contracted green share */
	printf("%-20s %-4s %9s %6s %8s %8s %5s  %s\n", "REGION", "ZONE", "CNY/KWH", "GREEN",
	       "KG/KWH", "MARKET", "PUE", "FREE GPUS (CNY/GPU-H)");
	for (size_t i = 0; i < ewc_region_count(ctx); i++) {
		ewc_region_info r = EWC_REGION_INFO_INIT;
		if (!keep(ctx, i, fl))
			continue;
		ewc_region_get(ctx, i, &r);
		printf("%-20s %-4s %9.3f %5.1f%% %8.4f %8.4f %5.2f ", r.id, ewc_zone_name(r.zone),
		       r.power_price, 100.0 * r.green_share, r.grid_factor,
		       r.grid_factor * (1 - r.green_share), r.pue);
		for (size_t k = 0; k < r.gpu_types; k++) {
			const char *type;
			long free_gpus;
			double price;
			ewc_region_gpu(ctx, i, k, &type, &free_gpus, &price);
			printf(" %s:%ld(%.2f)", type, free_gpus, price);
		}
		printf("\n");
	}
}

/* --window: hours ("24", "24h", "90m", "2d") or "FROM/TO" in UTC. */
static int window_option(const char *text, ewc_import_options *io)
{
	const char *slash = strchr(text, '/');
	char num[64];
	size_t n = strlen(text);
	double v, scale = 1;

	if (slash) {
		char from[64];
		if ((size_t)(slash - text) >= sizeof from)
			return tool_usage("regions", "--window: want HOURS or FROM/TO, got \"%s\"", text);
		memcpy(from, text, (size_t)(slash - text));
		from[slash - text] = '\0';
		if (tool_time("regions", "--window FROM", from, &io->window_from) ||
		    tool_time("regions", "--window TO", slash + 1, &io->window_to))
			return EXIT_USAGE;
		if (io->window_from >= io->window_to)
			return tool_usage("regions", "--window: FROM must come before TO");
		return 0;
	}
	if (n && strchr("hmd", text[n - 1])) {
		scale = text[n - 1] == 'm' ? 1.0 / 60 : text[n - 1] == 'd' ? 24 : 1;
		n--;
	}
	if (n == 0 || n >= sizeof num)
		return tool_usage("regions", "--window: want HOURS or FROM/TO, got \"%s\"", text);
	memcpy(num, text, n);
	num[n] = '\0';
	if (tool_number("regions", "--window", num, &v))
		return EXIT_USAGE;
	if (v <= 0)
		return tool_usage("regions", "--window: must be > 0, got \"%s\"", text);
	io->window_h = v * scale;
	return 0;
}

/* The output may not be one of the files it is made from. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Larger imports are refused rather than read. */
#define IMPORT_MAX_BYTES (256L * 1024 * 1024)

static int read_whole(const char *path, ewc_buffer *b, char **keep)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : tool_open_input(path);
	tool_buf buf;
	char chunk[65536];
	size_t n;

	*keep = NULL;
	if (!f)
		return -1;
	if (tool_buf_open(&buf) != 0) {
		if (f != stdin)
			fclose(f);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && ftell(buf.f) <= IMPORT_MAX_BYTES)
		fwrite(chunk, 1, n, buf.f);
	if (ftell(buf.f) > IMPORT_MAX_BYTES) {
		tool_error("%s: larger than the %ld-byte limit of an import", path,
		           (long)IMPORT_MAX_BYTES);
		if (f != stdin)
			fclose(f);
		tool_buf_close(&buf);
		free(buf.data);
		return -1;
	}
	if (ferror(f)) {
		tool_error("%s: read error: %s", path, strerror(errno));
		if (f != stdin)
			fclose(f);
		tool_buf_close(&buf);
		free(buf.data);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	if (tool_buf_close(&buf) != 0)
		return -1;
	*keep = buf.data;
	b->name = path;
	b->data = buf.data;
	b->len = buf.len;
	return 0;
}

static int import(int argc, char **argv)
{
	enum { O_FROM = 1, O_MAP, O_REGIONS, O_OUTPUT, O_WINDOW, O_RATE, O_SPOT, O_HELP };
	static const struct option opts[] = {
		{ "from", required_argument, NULL, O_FROM },
		{ "map", required_argument, NULL, O_MAP },
		{ "regions", required_argument, NULL, O_REGIONS },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "currency-rate", required_argument, NULL, O_RATE },
		{ "spot", no_argument, NULL, O_SPOT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	ewc_import_options io = EWC_IMPORT_OPTIONS_INIT;
	tool_regions r = { { 0 }, 0 };
	const char *file = NULL, *mapf = NULL, *output = NULL;
	ewc_buffer data, map;
	char *data_keep = NULL, *map_keep = NULL, *xml = NULL, note[512], when[32];
	size_t xlen, used, skipped, k;
	ewc_import *im = NULL;
	ewc_ctx *ctx = NULL;
	FILE *rep;
	int c, rc = EXIT_ERR;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_FROM:
			if (!ewc_import_format_known(optarg))
				return tool_usage("regions", "--from: use google-cfe, casdk, electricitymaps, "
				                  "skypilot, ewc, casdk-forecast or electricitymaps-forecast, "
				                  "not \"%s\"", optarg);
			io.format = optarg;
			break;
		case O_MAP: mapf = optarg; break;
		case O_REGIONS:
			if (tool_regions_add(&r, "regions", optarg))
				return EXIT_USAGE;
			break;
		case O_OUTPUT: output = optarg; break;
		case O_WINDOW:
			if (window_option(optarg, &io))
				return EXIT_USAGE;
			break;
		case O_RATE:
			if (tool_number("regions", "--currency-rate", optarg, &io.currency_rate))
				return EXIT_USAGE;
			if (io.currency_rate <= 0)
				return tool_usage("regions", "--currency-rate: must be > 0, got %s", optarg);
			break;
		case O_SPOT: io.spot = 1; break;
		case O_HELP:
			fputs(cmd_regions_help, stdout);
			return EXIT_OK;
		case ':':
			return tool_usage("regions", "%s needs a value", argv[optind - 1]);
		default:
			return tool_usage("regions", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind + 1 == argc)
		file = argv[optind];
	else if (optind < argc)
		return tool_usage("regions", "import reads one FILE; extra argument \"%s\"",
		                  argv[optind + 1]);
	if (!io.format)
		return tool_usage("regions", "import needs --from FORMAT");
	if (!file)
		return tool_usage("regions", "import needs the FILE to read");
	if (!mapf && strcmp(io.format, "ewc") != 0)
		return tool_usage("regions", "--from %s needs --map MAP.csv (external,region)",
		                  io.format);
	if (!output)
		return tool_usage("regions", "import needs --output FILE: it never changes the "
		                  "descriptors in place");
	if ((io.window_from > 0 || io.window_h != 24) && strcmp(io.format, "casdk") != 0)
		return tool_usage("regions", "--window is for --from casdk");
	if ((io.spot || io.currency_rate != 1) && strcmp(io.format, "skypilot") != 0)
		return tool_usage("regions", "--spot and --currency-rate are for --from skypilot");
	/* the output before any work, as for every command; and never the
	 * file or map read */
	if (tool_output_check("regions", "--output", output) != 0)
		return EXIT_ERR;
	if (tool_same_file(output, file) || (mapf && tool_same_file(output, mapf))) {
		tool_error("--output %s is a file the import reads: refused, so that it is not "
		           "overwritten", output);
		return EXIT_ERR;
	}

	ctx = tool_load(&r);
	if (!ctx)
		return EXIT_ERR;
	for (size_t i = 0; i < ewc_region_count(ctx); i++) {
		ewc_region_info info = EWC_REGION_INFO_INIT;
		ewc_region_get(ctx, i, &info);
		if (strcmp(output, "-") != 0 && same_file(output, info.file)) {
			tool_error("%s: is where region %s comes from: write the new descriptors to "
			           "another file", output, info.id);
			goto out;
		}
	}
	if (read_whole(file, &data, &data_keep) != 0 ||
	    (mapf && read_whole(mapf, &map, &map_keep) != 0))
		goto out;
	if (ewc_import_read(&im, ctx, &data, mapf ? &map : NULL, &io) != 0 ||
	    ewc_import_apply(ctx, im) != 0) {
		tool_error("%s", ewc_errmsg());
		goto out;
	}
	ewc_time_format((double)time(NULL), when, sizeof when);
	snprintf(note, sizeof note, "imported from %s file %s on %s", io.format, file, when);
	if (ewc_import_to_xml(im, ctx, note, &xml, &xlen) != 0) {
		tool_error("%s", ewc_errmsg());
		goto out;
	}
	if (tool_write(output, xml, xlen) != 0)
		goto out;

	/* the report: on stdout, unless the descriptors went there */
	rep = strcmp(output, "-") == 0 ? stderr : stdout;
	ewc_import_rows(im, &used, &skipped);
	fprintf(rep, "%s %s: %zu rows used, %zu skipped\n", io.format, file, used, skipped);
	for (k = 0; ewc_import_setting(im, k); k++)
		fprintf(rep, "  set %s\n", ewc_import_setting(im, k));
	for (k = 0; ewc_import_series(im, k); k++)
		fprintf(rep, "  set %s\n", ewc_import_series(im, k));
	for (k = 0; ewc_import_note(im, k); k++)
		fprintf(rep, "  note: %s\n", ewc_import_note(im, k));
	for (k = 0; ewc_import_skipped(im, k); k++)
		fprintf(rep, "  skipped %s\n", ewc_import_skipped(im, k));
	if (k < skipped)
		fprintf(rep, "  skipped %zu more rows\n", skipped - k);
	for (k = 0; ewc_import_unchanged(im, k); k++)
		fprintf(rep, "%s %s", k ? "," : "  unchanged (no data):", ewc_import_unchanged(im, k));
	if (k)
		fprintf(rep, "\n");
	if (strcmp(output, "-") != 0)
		fprintf(rep, "wrote %s\n", output);
	rc = EXIT_OK;
out:
	free(xml);
	ewc_import_free(im);
	free(data_keep);
	free(map_keep);
	ewc_ctx_free(ctx);
	return rc;
}

/* sync --format json|csv: the feeds' outcomes gathered here */
typedef struct sync_out {
	const char *format;
	json_t *arr;
} sync_out;

static void sync_report(void *user, const ewc_feed_result *r)
{
	static const char *const status[] = { "updated", "not modified", "FAILED" };
	static const char *const status_id[] = { "updated", "not_modified", "failed" };
	sync_out *so = user;
	char when[32];

	if (so && strcmp(so->format, "table") != 0) {
		if (r->kept_taken_at > 0)
			ewc_time_format(r->kept_taken_at, when, sizeof when);
		if (strcmp(so->format, "csv") == 0) {
			tool_csv_field(stdout, r->name, 0);
			tool_csv_field(stdout, status_id[r->status], 0);
			printf("%ld,%d,%zu,%zu,%zu,", r->http_status, r->attempts, r->settings,
			       r->rows_used, r->rows_skipped);
			tool_csv_field(stdout, r->message ? r->message : "", 0);
			tool_csv_field(stdout, r->kept_taken_at > 0 ? when : "", 1);
		} else if (so->arr) {
			json_array_append_new(
				so->arr,
				json_pack("{s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:I, s:o, s:o}", "feed",
				          r->name, "url", r->url ? r->url : "", "status",
				          status_id[r->status], "http_status", (json_int_t)r->http_status,
				          "attempts",
				          r->attempts, "settings", (json_int_t)r->settings, "rows_used",
				          (json_int_t)r->rows_used, "rows_skipped",
				          (json_int_t)r->rows_skipped, "message",
				          r->message ? json_string(r->message) : json_null(),
				          "kept_snapshot_taken_at",
				          r->kept_taken_at > 0 ? json_string(when) : json_null()));
		}
		return;
	}
	printf("%-16s %-12s http %3ld, %d attempt%s", r->name, status[r->status], r->http_status,
	       r->attempts, r->attempts == 1 ? "" : "s");
	if (r->status == EWC_FEED_UPDATED)
		printf(", %zu setting%s from %zu rows (%zu skipped)", r->settings,
		       r->settings == 1 ? "" : "s", r->rows_used,
		       r->rows_skipped);
	printf("\n");
	if (r->status == EWC_FEED_FAILED) {
		printf("  %s\n", r->message ? r->message : "failed");
		if (r->kept_taken_at > 0) {
			ewc_time_format(r->kept_taken_at, when, sizeof when);
			printf("  kept the snapshot fetched %s\n", when);
		} else {
			printf("  no snapshot of this feed is stored yet\n");
		}
	}
}

static int sync_feeds(int argc, char **argv)
{
	enum { O_FEEDS = 1, O_DB, O_REGIONS, O_NOW, O_MAXAGE, O_FMT, O_HELP };
	static const struct option opts[] = {
		{ "feeds", required_argument, NULL, O_FEEDS },
		{ "format", required_argument, NULL, O_FMT },
		{ "db", required_argument, NULL, O_DB },
		{ "regions", required_argument, NULL, O_REGIONS },
		{ "now", required_argument, NULL, O_NOW },
		{ "max-age", required_argument, NULL, O_MAXAGE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 }
	};
	tool_regions r = { { 0 }, 0 };
	const char *feeds = NULL, *dbpath = NULL;
	double now = (double)time(NULL), max_age = 48;
	sync_out so = { "table", NULL };
	ewc_ctx *ctx;
	ewc_db *db = NULL;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case O_FEEDS: feeds = optarg; break;
		case O_FMT:
			if (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))
				return tool_usage("regions", "--format: use table, csv or json, not \"%s\"",
				                  optarg);
			so.format = optarg;
			break;
		case O_DB: dbpath = optarg; break;
		case O_REGIONS:
			if (tool_regions_add(&r, "regions", optarg))
				return EXIT_USAGE;
			break;
		case O_NOW:
			if (tool_time("regions", "--now", optarg, &now))
				return EXIT_USAGE;
			break;
		case O_MAXAGE:
			if (tool_max_age("regions", optarg, &max_age))
				return EXIT_USAGE;
			break;
		case O_HELP:
			fputs(cmd_regions_help, stdout);
			return EXIT_OK;
		case ':':
			return tool_usage("regions", "%s needs a value", argv[optind - 1]);
		default:
			return tool_usage("regions", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tool_usage("regions", "sync takes no argument \"%s\"", argv[optind]);
	if (!feeds)
		return tool_usage("regions", "sync needs --feeds FEEDS.xml");
	ctx = tool_load(&r);
	if (!ctx)
		return EXIT_ERR;
	if (ewc_db_open(&db, tool_db_path(dbpath)) != 0) {
		tool_error("%s", ewc_errmsg());
		ewc_ctx_free(ctx);
		return EXIT_ERR;
	}
	if (strcmp(so.format, "csv") == 0)
		fputs("feed,status,http_status,attempts,settings,rows_used,rows_skipped,message,"
		      "kept_snapshot_taken_at\n", stdout);
	else if (strcmp(so.format, "json") == 0)
		so.arr = json_array();
	rc = ewc_feeds_sync(db, ctx, feeds, now, sync_report, &so);
	if (so.arr) {
		json_t *root = json_pack("{s:s, s:o}", "format", "ewc.sync/1", "feeds", so.arr);
		char *text = root ? json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2)) : NULL;
		if (text)
			puts(text);
		free(text);
		json_decref(root);
	}
	fflush(stdout);
	if (rc == 0 || rc == EWC_EFEED || rc == EWC_EFEEDS) {
		/* what place and rebalance will now see, and how old it is */
		tool_overlay(db, ctx, now, max_age, 0);
	}
	if (rc)
		tool_error("%s", ewc_errmsg());
	ewc_db_free(db);
	ewc_ctx_free(ctx);
	return rc == 0 ? EXIT_OK : rc == EWC_EFEED ? EXIT_PARTIAL : rc == EWC_EFEEDS ? EXIT_NOFEED
	                                                                            : EXIT_ERR;
}

int cmd_regions(int argc, char **argv)
{
	tool_regions r = { { 0 }, 0 };
	const char *sub = argc > 1 ? argv[1] : NULL, *format = "table";
	ewc_ctx *ctx;

	if (!sub)
		return tool_usage("regions", "regions needs a subcommand: list or validate");
	if (strcmp(sub, "--help") == 0) {
		fputs(cmd_regions_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "import") == 0)
		return import(argc - 1, argv + 1);
	if (strcmp(sub, "sync") == 0)
		return sync_feeds(argc - 1, argv + 1);
	if (strcmp(sub, "list") && strcmp(sub, "validate"))
		return tool_usage("regions", "unknown subcommand \"%s\": use list, validate, import "
		                  "or sync", sub);
	filter fl = { NULL, NULL, NULL, -1 };
	for (int i = 2; i < argc; i++) {
		static const char *const fopt[] = { "--type", "--zone", "--site", "--slo" };
		int fk = -1;
		for (int k = 0; k < 4; k++)
			if (strcmp(sub, "list") == 0 && strcmp(argv[i], fopt[k]) == 0)
				fk = k;
		if (fk >= 0) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;
			double x;
			if (!v)
				return tool_usage("regions", "%s needs a value", fopt[fk]);
			if (fk == 0)
				fl.type = v;
			else if (fk == 1 && strcmp(v, "east") && strcmp(v, "west"))
				return tool_usage("regions", "--zone: use east or west, not \"%s\"", v);
			else if (fk == 1)
				fl.zone = v;
			else if (fk == 2)
				fl.site = v;
			else if (tool_number("regions", "--slo", v, &x) || x <= 0)
				return tool_usage("regions", "--slo: milliseconds > 0, not \"%s\"", v);
			else
				fl.slo = x;
			continue;
		}
		if (strcmp(sub, "list") == 0 && strncmp(argv[i], "--format", 8) == 0) {
			const char *v = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || (strcmp(v, "table") && strcmp(v, "csv") && strcmp(v, "json")))
				return tool_usage("regions", "--format: use table, csv or json, not \"%s\"",
				                  v ? v : "");
			format = v;
			continue;
		}
		if (strcmp(argv[i], "--regions") == 0 && i + 1 < argc) {
			/* as the other commands take it */
			if (tool_regions_add(&r, "regions", argv[++i]))
				return EXIT_USAGE;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return tool_usage("regions", "unknown option %s", argv[i]);
		if (tool_regions_add(&r, "regions", argv[i]))
			return EXIT_USAGE;
	}
	ctx = tool_load(&r);
	if (!ctx)
		return EXIT_ERR;
	if (strcmp(sub, "list") == 0) {
		int rc = EXIT_OK;
		if (fl.slo >= 0 && !fl.site) {
			ewc_ctx_free(ctx);
			return tool_usage("regions", "--slo needs --site: the latency is from a site");
		}
		if (strcmp(format, "json") == 0)
			rc = list_json(ctx, &fl);
		else if (strcmp(format, "csv") == 0)
			list_csv(ctx, &fl);
		else
			list(ctx, &fl);
		ewc_ctx_free(ctx);
		return rc;
	} else {
		size_t sites = 0;
		for (size_t i = 0; i < ewc_region_count(ctx); i++) {
			ewc_region_info info = EWC_REGION_INFO_INIT;
			ewc_region_get(ctx, i, &info);
			sites += info.links;
		}
		printf("ok: %zu regions, %zu GPU types, %zu links\n", ewc_region_count(ctx),
		       ewc_gpu_count(ctx), sites);
	}
	ewc_ctx_free(ctx);
	return EXIT_OK;
}
