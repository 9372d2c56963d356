/* check_import.c - the importers on the small fixtures of tests/cli/feeds,
 * every figure by hand, and the bad inputs each must refuse by name */
/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#ifndef FIXTURES
#define FIXTURES "tests/cli/feeds"
#endif

static ewc_ctx *hubs(void)
{
	const char *paths[] = { FIXTURES "/gpus.xml", FIXTURES "/hubs.xml" };
	ewc_ctx *ctx = NULL;
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	int rc = ewc_ctx_load_regions(ctx, paths, 2, NULL, 0);
	ck_assert_msg(rc == 0, "%s", ewc_errmsg());
	return ctx;
}

static char *slurp(const char *name)
{
	char path[1024];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Read data (text) with map (text or NULL) in format; the code. */
static int imp(ewc_ctx *ctx, ewc_import **im, const char *format, const char *data,
               const char *map, ewc_import_options *o)
{
	ewc_import_options def = EWC_IMPORT_OPTIONS_INIT;
	ewc_buffer d = tbuf("data", data), m = tbuf("map.csv", map ? map : "");
	if (!o)
		o = &def;
	o->format = format;
	return ewc_import_read(im, ctx, &d, map ? &m : NULL, o);
}

/* The settings joined by spaces. */
static const char *settings(const ewc_import *im)
{
	static char buf[4096];
	const char *s;
	buf[0] = '\0';
	for (size_t i = 0; (s = ewc_import_setting(im, i)) != NULL; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", s);
	return buf;
}

static void rows_are(const ewc_import *im, size_t used, size_t skipped)
{
	size_t u, s;
	ewc_import_rows(im, &u, &s);
	ck_assert_uint_eq(u, used);
	ck_assert_uint_eq(s, skipped);
}

static ewc_import *fixture(ewc_ctx *ctx, const char *format, const char *file,
                           const char *mapfile, ewc_import_options *o)
{
	char *d = slurp(file), *m = mapfile ? slurp(mapfile) : NULL;
	ewc_import *im = NULL;
	int rc = imp(ctx, &im, format, d, m, o);
	ck_assert_msg(rc == 0, "%s: %s", file, ewc_errmsg());
	free(d);
	free(m);
	return im;
}

START_TEST(google_cfe)
{
	ewc_ctx *ctx = hubs();
	ewc_import *im = fixture(ctx, "google-cfe", "cfe.csv", "cfe-map.csv", NULL);
	ewc_region_info r = EWC_REGION_INFO_INIT;
	double green;

	ewc_region_get(ctx, 0, &r);
	green = r.green_share;
	/* gansu is fed by two zones: (453 + 453) / 2. CFE is the grid's
	 * carbon-free share, which the grid factor counts: no green-share,
	 * and the report says why */
	ck_assert_str_eq(settings(im),
	                 "gansu.power.grid-factor=0.453 guizhou.power.grid-factor=0.112 "
	                 "shanghai.power.grid-factor=0.36");
	ck_assert_str_eq(ewc_import_note(im, 0),
	                 "Google CFE not taken as green-share: it is the grid's carbon-free share, "
	                 "which grid-factor already counts (map a region with green-share "
	                 "\"procured\" where the figure is the data centre's own contracted supply)");
	ck_assert_ptr_null(ewc_import_note(im, 1));
	rows_are(im, 4, 1);
	ck_assert_str_eq(ewc_import_skipped(im, 0), "data:6: region \"us-west1\" is not in the map");
	ck_assert_ptr_null(ewc_import_unchanged(im, 0));
	ck_assert_int_eq(ewc_import_apply(ctx, im), 0);
	ewc_region_get(ctx, 0, &r);
	ck_assert_str_eq(r.id, "gansu");
	ck_assert_near(r.green_share, green);
	ck_assert_near(r.grid_factor, 0.453);
	ck_assert_near(r.power_price, 0.3); /* not the importer's to change */
	ewc_import_free(im);
	ewc_ctx_free(ctx);
}
END_TEST

/* The same file saved by a spreadsheet: BOM and CRLF line ends. */
START_TEST(google_cfe_bom_crlf)
{
	ewc_ctx *ctx = hubs();
	ewc_import *im = NULL;
	const char *csv = "\xEF\xBB\xBFGoogle Cloud Region,Location,Google CFE,"
	                  "Grid carbon intensity (gCO2eq / kWh)\r\n"
	                  "asia-east1,\"Changhua County, Taiwan\",0.17,453\r\n";
	/* the map says this CFE is the data centre's own procurement */
	ck_assert_int_eq(imp(ctx, &im, "google-cfe", csv,
	                     "external,region,green-share\nasia-east1,gansu,procured\n", NULL), 0);
	ck_assert_str_eq(settings(im), "gansu.power.green-share=0.17 gansu.power.grid-factor=0.453");
	ck_assert_ptr_null(ewc_import_note(im, 0));
	rows_are(im, 1, 0);
	ck_assert_str_eq(ewc_import_unchanged(im, 0), "guizhou");
	ck_assert_str_eq(ewc_import_unchanged(im, 1), "shanghai");
	ewc_import_free(im);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(casdk_windows)
{
	ewc_ctx *ctx = hubs();
	ewc_import_options o = EWC_IMPORT_OPTIONS_INIT;
	ewc_import *im = fixture(ctx, "casdk", "casdk.json", "casdk-map.csv", NULL);

	/* the last 24 h up to 2026-11-22T12:00Z: eastus (400 + 500) / 2, westus
	 * 200.5; the sample of 11-20 is outside, norwayeast is not mapped */
	ck_assert_str_eq(settings(im), "gansu.power.grid-factor=0.2005 "
	                               "shanghai.power.grid-factor=0.45");
	rows_are(im, 3, 2);
	ck_assert_str_eq(ewc_import_unchanged(im, 0), "guizhou");
	ck_assert_ptr_nonnull(strstr(ewc_import_skipped(im, 1), "1 entry is outside the window "
	                             "2026-11-21T12:00:00Z"));
	ewc_import_free(im);

	/* 6 h: westus's sample at exactly 06:00 is the window's first */
	o.window_h = 6;
	im = fixture(ctx, "casdk", "casdk.json", "casdk-map.csv", &o);
	ck_assert_str_eq(settings(im), "gansu.power.grid-factor=0.2005 "
	                               "shanghai.power.grid-factor=0.5");
	ewc_import_free(im);

	/* an explicit day: only eastus's 400 */
	o = (ewc_import_options)EWC_IMPORT_OPTIONS_INIT;
	ck_assert_int_eq(ewc_time_parse("2026-11-21T00:00:00Z", &o.window_from), 0);
	ck_assert_int_eq(ewc_time_parse("2026-11-22T00:00:00Z", &o.window_to), 0);
	im = fixture(ctx, "casdk", "casdk.json", "casdk-map.csv", &o);
	ck_assert_str_eq(settings(im), "shanghai.power.grid-factor=0.4");
	ewc_import_free(im);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(electricitymaps)
{
	ewc_ctx *ctx = hubs();
	ewc_import *im = fixture(ctx, "electricitymaps", "em.json", "em-map.csv", NULL);

	/* the grid factor only: the grid's renewable and fossil-free shares are
	 * in its carbon intensity already, never in green-share */
	ck_assert_str_eq(settings(im), "gansu.power.grid-factor=0.62 shanghai.power.grid-factor=0.55");
	ck_assert_str_eq(ewc_import_unchanged(im, 0), "guizhou");
	ewc_import_free(im);

	/* a map that asks for them is refused, saying why */
	ck_assert_int_eq(imp(ctx, &im, "electricitymaps",
	                     "{\"zone\":\"CN-SH\",\"fossilFreePercentage\":40,"
	                     "\"renewablePercentage\":15}",
	                     "external,region,green-share\nCN-SH,shanghai,fossil-free\n", NULL),
	                 EWC_EINPUT);
	ck_assert_ptr_nonnull(strstr(ewc_errmsg(), "map.csv:2: green-share: \"fossil-free\" is the "
	                                           "grid's own share, which its carbon intensity "
	                                           "already counts"));
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(skypilot)
{
	ewc_ctx *ctx = hubs();
	ewc_import_options o = EWC_IMPORT_OPTIONS_INIT;
	ewc_import *im;

	/* per GPU-hour at 7.2 CNY/USD: 32.77 / 8, 98.32 / 8, and us-central1's
	 * cheapest A100, min(3.67, 7.35 / 2), feeding two regions */
	o.currency_rate = 7.2;
	im = fixture(ctx, "skypilot", "vms.csv", "vms-map.csv", &o);
	ck_assert_str_eq(settings(im), "gansu.A100.price=29.493 gansu.H100.price=88.488 "
	                               "guizhou.A100.price=26.424 shanghai.A100.price=26.424");
	rows_are(im, 4, 3);
	ck_assert_str_eq(ewc_import_skipped(im, 0), "data:6: m5.large has no accelerator");
	ck_assert_str_eq(ewc_import_skipped(im, 1),
	                 "data:7: AcceleratorName \"A10G\" is not a type of the GPU catalog");
	ck_assert_str_eq(ewc_import_skipped(im, 2),
	                 "data:8: region \"europe-west4\" is not in the map");
	ewc_import_free(im);

	o.spot = 1;
	im = fixture(ctx, "skypilot", "vms.csv", "vms-map.csv", &o);
	ck_assert_str_eq(settings(im), "gansu.A100.price=8.847 guizhou.A100.price=7.92 "
	                               "shanghai.A100.price=7.92");
	rows_are(im, 2, 5);
	ck_assert_str_eq(ewc_import_skipped(im, 0),
	                 "data:4: a2-highgpu-2g in us-central1 has no SpotPrice");
	ewc_import_free(im);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(ewc_inventory)
{
	ewc_ctx *ctx = hubs();
	ewc_import *im = fixture(ctx, "ewc", "inventory.xml", NULL, NULL);
	long n = -1;

	ck_assert_str_eq(settings(im), "gansu.A100.free=3 gansu.H100.free=0 shanghai.H100.free=2");
	rows_are(im, 3, 1);
	ck_assert_str_eq(ewc_import_skipped(im, 0), "data:6: no region \"nowhere\" is loaded");
	ck_assert_int_eq(ewc_import_apply(ctx, im), 0);
	ck_assert_int_eq(ewc_ctx_available(ctx, "shanghai", "H100", &n), 0);
	ck_assert_int_eq(n, 2);
	ewc_import_free(im);
	ewc_ctx_free(ctx);
}
END_TEST

/* The descriptors written back load, carry the new figures and say what
 * they replaced. */
START_TEST(write_back)
{
	ewc_ctx *ctx = hubs(), *again = NULL;
	ewc_import_options o = EWC_IMPORT_OPTIONS_INIT;
	ewc_import *im;
	char *xml = NULL, *cat = slurp("gpus.xml");
	size_t len = 0;
	const char *type;
	long nfree;
	double price;

	o.currency_rate = 7.2;
	im = fixture(ctx, "skypilot", "vms.csv", "vms-map.csv", &o);
	ck_assert_int_eq(ewc_import_to_xml(im, ctx, "a note", &xml, &len), 0);
	ck_assert_uint_eq(strlen(xml), len);
	ck_assert_ptr_nonnull(strstr(xml, "<!-- A100 price was 8: a note -->"));
	ck_assert_ptr_nonnull(strstr(xml, "<!-- power: test figures -->"));
	ck_assert_int_eq(ewc_ctx_new(&again), 0);
	ewc_buffer b[2] = { tbuf("gpus.xml", cat), { "new.xml", xml, len } };
	ck_assert_msg(ewc_ctx_load_regions(again, NULL, 0, b, 2) == 0, "%s", ewc_errmsg());
	ck_assert_int_eq(ewc_region_gpu(again, 0, 0, &type, &nfree, &price), 0);
	ck_assert_str_eq(type, "A100");
	ck_assert_near(price, 29.493);
	ck_assert_int_eq(nfree, 8);
	ck_assert_int_eq(ewc_region_gpu(again, 2, 1, &type, &nfree, &price), 0);
	ck_assert_near(price, 22); /* shanghai has no H100 row in the file */
	ewc_ctx_free(again);
	ewc_free(xml);
	free(cat);
	ewc_import_free(im);
	ewc_ctx_free(ctx);
}
END_TEST

/* Forecasts: an hourly grid-factor series per region, each hour the mean
 * of its samples, a gap the hour before, a sample of two hours both. */
START_TEST(forecasts)
{
	ewc_ctx *ctx = hubs(), *again = NULL;
	ewc_import *im = NULL;
	char *data = slurp("casdk-forecast.json"), *em = slurp("em-forecast.json");
	char *xml = NULL, *cat = slurp("gpus.xml");
	size_t len = 0;
	ewc_jobs *jobs = NULL;
	ewc_plan *plan = NULL;
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	static const double want[] = { 0.4, 0.2, 0.2, 0.1, 0.1, 0.1 };

	ck_assert_int_eq(imp(ctx, &im, "casdk-forecast", data, "external,region\neastus,gansu\n",
	                     NULL), 0);
	ck_assert_str_eq(ewc_import_series(im, 0),
	                 "gansu.hourly.grid-factor: 5 hours from 2026-12-07T00:00:00Z, 0.1 to 0.4");
	ck_assert_ptr_null(ewc_import_series(im, 1));
	ck_assert_str_eq(settings(im), "");
	ck_assert_int_eq(ewc_import_to_xml(im, ctx, "a note", &xml, &len), 0);
	ck_assert_ptr_nonnull(strstr(xml, "<grid-factor start=\"2026-12-07T00:00:00Z\">0.4 0.2 0.2 "
	                                  "0.1 0.1</grid-factor>"));
	/* the written file loads, and a plan over time reads the series */
	ck_assert_int_eq(ewc_ctx_new(&again), 0);
	ewc_buffer b[2] = { tbuf("gpus.xml", cat), { "new.xml", xml, len } };
	ck_assert_msg(ewc_ctx_load_regions(again, NULL, 0, b, 2) == 0, "%s", ewc_errmsg());
	ck_assert_int_eq(ewc_jobs_new(&jobs, again), 0);
	ewc_job j = EWC_JOB_INIT;
	j.id = "x";
	j.gpu_type = "A100";
	j.gpus = 1;
	j.hours = 1;
	j.origin = "city";
	j.pin = "gansu";
	ck_assert_msg(ewc_jobs_add(jobs, &j) == 0, "%s", ewc_errmsg());
	o.horizon_h = 6;
	ck_assert_int_eq(ewc_time_parse_offset("2026-12-07T00:00:00Z", &o.start_time), 0);
	ck_assert_msg(ewc_place(&plan, again, jobs, &o) == 0, "%s", ewc_errmsg());
	for (size_t k = 0; k < 6; k++) {
		ewc_slot_info si = EWC_SLOT_INFO_INIT;
		ck_assert_int_eq(ewc_plan_slot(plan, "gansu", k, &si), 0);
		ck_assert_near(si.grid_factor, want[k]);
	}
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(again);
	/* applied in memory: the same series */
	ck_assert_int_eq(ewc_import_apply(ctx, im), 0);
	ewc_import_free(im);
	im = NULL;
	/* Electricity Maps: hourly, its life-cycle intensity noted */
	ck_assert_int_eq(imp(ctx, &im, "electricitymaps-forecast", em,
	                     "external,region\nCN-GD,shanghai\n", NULL), 0);
	ck_assert_str_eq(ewc_import_series(im, 0), "shanghai.hourly.grid-factor: 3 hours from "
	                                           "2026-12-07T00:00:00Z, 0.3 to 0.6");
	ck_assert_ptr_nonnull(strstr(ewc_import_note(im, 0), "life-cycle"));
	ewc_import_free(im);
	ewc_free(xml);
	free(cat);
	free(data);
	free(em);
	ewc_ctx_free(ctx);
}
END_TEST

/* Each bad input: refused whole with the file, line and column named. */
static void refused(const char *format, const char *data, const char *map, const char *expect)
{
	ewc_ctx *ctx = hubs();
	ewc_import *im = (ewc_import *)1;
	int rc = imp(ctx, &im, format, data, map, NULL);
	ck_assert_msg(rc == EWC_EINPUT, "%s: rc %d for %s", format, rc, data);
	ck_assert_ptr_null(im);
	ck_assert_msg(strstr(ewc_errmsg(), expect) != NULL, "\"%s\" not in \"%s\"", expect,
	              ewc_errmsg());
	ewc_ctx_free(ctx);
}

#define CFE_HEAD "Google Cloud Region,Location,Google CFE,Grid carbon intensity (gCO2eq / kWh)\n"
#define CFE_MAP "external,region\nasia-east1,gansu\n"
#define VMS_HEAD "InstanceType,AcceleratorName,AcceleratorCount,Price,Region\n"
#define VMS_MAP "external,region\nus-east-1,gansu\n"

START_TEST(bad_forecasts)
{
	refused("casdk-forecast", "[{\"location\": \"eastus\"}]", "external,region\neastus,gansu\n",
	        "data: [0]: must have \"location\" (a string) and \"forecastData\" (an array)");
	refused("casdk-forecast", "[{\"location\": \"eastus\", \"forecastData\": [{\"timestamp\": "
	        "\"soon\", \"value\": 1}]}]", "external,region\neastus,gansu\n",
	        "data: [0].forecastData[0].timestamp: must be an ISO 8601 time");
	refused("casdk-forecast", "[{\"location\": \"eastus\", \"forecastData\": [{\"timestamp\": "
	        "\"2026-12-07T00:00:00Z\", \"value\": -3}]}]", "external,region\neastus,gansu\n",
	        "data: [0].forecastData[0].value: must be a number from 0 to 100000");
	refused("casdk-forecast", "[{\"location\": \"eastus\", \"forecastData\": [{\"timestamp\": "
	        "\"2026-12-07T00:00:00Z\", \"value\": 3, \"duration\": 0}]}]",
	        "external,region\neastus,gansu\n",
	        "data: [0].forecastData[0].duration: must be minutes, more than 0");
	refused("electricitymaps-forecast", "{\"zone\": \"CN-GD\", \"forecast\": [{\"datetime\": "
	        "\"2026-12-07T00:00:00Z\", \"carbonIntensity\": \"x\"}]}",
	        "external,region\nCN-GD,gansu\n",
	        "data.forecast[0].carbonIntensity: must be a number from 0 to 100000");
	refused("electricitymaps-forecast", "{\"zone\": \"CN-GD\"}", "external,region\nCN-GD,gansu\n",
	        "data: must have \"zone\" (a string) and \"forecast\" (an array)");
}
END_TEST

START_TEST(bad_numbers)
{
	refused("google-cfe", CFE_HEAD "asia-east1,T,1.5,453\n", CFE_MAP,
	        "data:2: Google CFE: must be a number from 0 to 1 (or a percentage), got \"1.5\"");
	refused("google-cfe", CFE_HEAD "asia-east1,T,NaN,453\n", CFE_MAP, "data:2: Google CFE");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,inf\n", CFE_MAP,
	        "data:2: Grid carbon intensity (gCO2eq / kWh): must be a number >= 0, got \"inf\"");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,1e309\n", CFE_MAP, "got \"1e309\"");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,-3\n", CFE_MAP, "got \"-3\"");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,4 53\n", CFE_MAP, "got \"4 53\"");
	refused("google-cfe", CFE_HEAD "asia-east1,T,150%,1\n", CFE_MAP, "got \"150%\"");
	refused("skypilot", VMS_HEAD "p4d,A100,0,32.77,us-east-1\n", VMS_MAP,
	        "data:2: AcceleratorCount: must be > 0, got \"0\"");
	refused("skypilot", VMS_HEAD "p4d,A100,8,cheap,us-east-1\n", VMS_MAP,
	        "data:2: Price: must be a number >= 0, got \"cheap\"");
	refused("skypilot", VMS_HEAD "p4d,A100,99999999999999999999,1,us-east-1\n", VMS_MAP,
	        "AcceleratorCount");
	refused("casdk", "{\"Emissions\":[{\"Location\":\"eastus\",\"Time\":\"2026-11-22T00:00:00Z\","
	        "\"Rating\":\"400\"}]}", "external,region\neastus,gansu\n",
	        "data: Emissions[0].Rating: must be a number >= 0");
	refused("casdk", "{\"Emissions\":[{\"Location\":\"eastus\",\"Time\":\"yesterday\","
	        "\"Rating\":400}]}", "external,region\neastus,gansu\n",
	        "data: Emissions[0].Time: must be an ISO 8601 time");
	refused("casdk", "{\"Emissions\":[{\"Location\":\"eastus\",\"Time\":\"2026-11-22T00:00:00Z\","
	        "\"Rating\":-1}]}", "external,region\neastus,gansu\n", "Emissions[0].Rating");
	refused("electricitymaps", "{\"zone\":\"CN-NM\",\"carbonIntensity\":-5}",
	        "external,region\nCN-NM,gansu\n", "data.carbonIntensity: must be a number >= 0");
	refused("electricitymaps", "{\"zone\":\"CN-NM\",\"renewablePercentage\":101}",
	        "external,region\nCN-NM,gansu\n",
	        "data.renewablePercentage: must be a number from 0 to 100");
	refused("ewc", "<regions><region id=\"gansu\">\n<gpu type=\"A100\" free=\"-1\"/></region>"
	        "</regions>", NULL, "data:2: gpu@free: must be a whole number");
	refused("ewc", "<regions><region id=\"gansu\">\n<gpu type=\"A100\" free=\"3000000000\"/>"
	        "</region></regions>", NULL, "data:2: gpu@free");
}
END_TEST

START_TEST(bad_text)
{
	char *big = malloc(5000 + 200);
	refused("google-cfe", "Google Cloud Region,Location\nx,y\n", CFE_MAP,
	        "data:1: header: required column \"Google CFE\" is missing");
	refused("google-cfe", "Google Cloud Region,Google CFE,Google CFE,"
	        "Grid carbon intensity (gCO2eq / kWh)\n", CFE_MAP,
	        "data:1: header: column \"Google CFE\" appears twice");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5\n", CFE_MAP,
	        "data:2: expected 4 fields as in the header, got 3");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,453,extra\n", CFE_MAP,
	        "data:2: expected 4 fields as in the header, got 5");
	refused("google-cfe", CFE_HEAD "asia-east1,T\"x\",0.5,453\n", CFE_MAP, "data:2: CSV:");
	refused("google-cfe", "", CFE_MAP, "data: empty");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,\xff\xfe\n", CFE_MAP,
	        "data:2: Grid carbon intensity");
	refused("google-cfe", CFE_HEAD "asia-east1,T,0.5,1\n", "external,region\nasia-east1,mars\n",
	        "map.csv:2: region: no region \"mars\" is loaded");
	refused("google-cfe", CFE_HEAD, "zone,region\n", "map.csv:1: header: unknown column \"zone\"");
	refused("google-cfe", CFE_HEAD, "external,region\nx,gansu\nx,gansu\n",
	        "map.csv:3: \"x\" is mapped to gansu twice");
	refused("electricitymaps", "{\"zone\":\"CN-NM\"}", "external,region\nCN-NM,gansu\n",
	        "neither carbonIntensity nor");
	refused("electricitymaps", "[{\"zone\":\"CN-NM\",\"carbonIntensity\":1,", "external,region\n"
	        "CN-NM,gansu\n", "data:1:");
	refused("casdk", "{\"Emissions\":{}}", "external,region\neastus,gansu\n",
	        "expected an object with an \"Emissions\" array");
	refused("casdk", "{\"Emissions\":[],\"Emissions\":[]}", "external,region\neastus,gansu\n",
	        "duplicate");
	/* a 5000-byte field */
	strcpy(big, CFE_HEAD "asia-east1,");
	memset(big + strlen(big), 'x', 5000);
	strcpy(big + strlen(CFE_HEAD) + 11 + 5000, ",0.5,1\n");
	refused("google-cfe", big, CFE_MAP, "data:2: a field is longer than 4096 bytes");
	free(big);
	/* a NUL byte: a buffer, not a C string */
	{
		ewc_ctx *ctx = hubs();
		ewc_import *im = NULL;
		ewc_import_options o = EWC_IMPORT_OPTIONS_INIT;
		ewc_buffer d = { "nul.csv", CFE_HEAD "asia\0east1,T,0.5,1\n", sizeof CFE_HEAD + 19 };
		ewc_buffer m = tbuf("map.csv", CFE_MAP);
		o.format = "google-cfe";
		ck_assert_int_eq(ewc_import_read(&im, ctx, &d, &m, &o), EWC_EINPUT);
		ck_assert_ptr_nonnull(strstr(ewc_errmsg(), "nul.csv: contains a NUL byte"));
		ewc_ctx_free(ctx);
	}
}
END_TEST

/* The XML format goes through the same parser as the descriptors: no
 * DOCTYPE, so no entities, external or expanding. */
START_TEST(hostile_xml)
{
	refused("ewc", "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "
	        "\"file:///etc/passwd\">]>\n<regions><region id=\"gansu\"><gpu type=\"A100\" "
	        "free=\"&x;\"/></region></regions>", NULL, "data:3: XML: Attribute references "
	        "external entity 'x'");
	refused("ewc", "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "
	        "\"file:///etc/passwd\">]>\n<regions><region id=\"gansu\"><gpu type=\"A100\" "
	        "free=\"1\"/></region></regions>", NULL, "data:2: <!DOCTYPE>: document type "
	        "declarations are not allowed");
	refused("ewc", "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
	        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;"
	        "&b;&b;&b;&b;\">]>\n<regions>&c;</regions>", NULL, "data:3: XML:");
	refused("ewc", "<gpus/>", NULL, "the root element must be <regions>");
	refused("ewc", "<regions><region", NULL, "data:1: XML:");
}
END_TEST

START_TEST(bad_options)
{
	ewc_ctx *ctx = hubs();
	ewc_import *im = NULL;
	ewc_import_options o = EWC_IMPORT_OPTIONS_INIT;

	ck_assert_int_eq(imp(ctx, &im, "openweather", "", "", NULL), EWC_EINVAL);
	ck_assert_ptr_nonnull(strstr(ewc_errmsg(), "format \"openweather\" is not known"));
	ck_assert_int_eq(imp(ctx, &im, "google-cfe", CFE_HEAD, NULL, NULL), EWC_EINVAL);
	o.currency_rate = 0;
	ck_assert_int_eq(imp(ctx, &im, "skypilot", VMS_HEAD, VMS_MAP, &o), EWC_EINVAL);
	o = (ewc_import_options)EWC_IMPORT_OPTIONS_INIT;
	o.window_from = 10;
	o.window_to = 5;
	ck_assert_int_eq(imp(ctx, &im, "casdk", "{}", VMS_MAP, &o), EWC_EINVAL);
	o = (ewc_import_options)EWC_IMPORT_OPTIONS_INIT;
	o.version = 99;
	ck_assert_int_eq(imp(ctx, &im, "casdk", "{}", VMS_MAP, &o), EWC_EVERSION);
	ck_assert_ptr_null(im);
	ewc_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, google_cfe);
	tcase_add_test(tc, google_cfe_bom_crlf);
	tcase_add_test(tc, casdk_windows);
	tcase_add_test(tc, electricitymaps);
	tcase_add_test(tc, skypilot);
	tcase_add_test(tc, ewc_inventory);
	tcase_add_test(tc, write_back);
	tcase_add_test(tc, forecasts);
	tcase_add_test(tc, bad_forecasts);
	tcase_add_test(tc, bad_numbers);
	tcase_add_test(tc, bad_text);
	tcase_add_test(tc, hostile_xml);
	tcase_add_test(tc, bad_options);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
