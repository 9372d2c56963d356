/* check_regions.c - loading region descriptors and the GPU catalog */
/* SPDX-License-Identifier: MIT */
#include <unistd.h>

#include "testutil.h"

#define ONE_REGION \
	"<regions>\n" \
	"  <region id=\"east1\" name=\"East one\" zone=\"east\">\n" \
	"    <power price=\"0.5\" green-share=\"0.2\" grid-factor=\"0.6\" pue=\"1.25\"/>\n" \
	"    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n" \
	"    <link site=\"city\" latency-ms=\"2\" price-per-gb=\"0.1\" gbps=\"10\"/>\n" \
	"  </region>\n" \
	"</regions>\n"

/* Load `regions` with the test catalog and expect failure with exactly
 * `msg` as the message. */
static void expect_error(const char *regions, int code, const char *msg)
{
	ewc_ctx *ctx;
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(t_load(ctx, T_CATALOG, regions), code);
	ck_assert_str_eq(ewc_errmsg(), msg);
	ck_assert_uint_eq(ewc_region_count(ctx), 0);
	ewc_ctx_free(ctx);
}

/* A region document whose line 4 is `gpu_line`. */
static char *with_gpu_line(const char *gpu_line)
{
	static char buf[1024];
	snprintf(buf, sizeof buf,
	         "<regions>\n"
	         "  <region id=\"r1\" zone=\"west\">\n"
	         "    <power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>\n"
	         "    %s\n"
	         "  </region>\n"
	         "</regions>\n", gpu_line);
	return buf;
}

START_TEST(test_values_read_back)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, ONE_REGION);
	ewc_region_info r = EWC_REGION_INFO_INIT;
	const char *s;
	long free_gpus;
	double a, b, c;

	ck_assert_uint_eq(ewc_region_count(ctx), 1);
	ck_assert_uint_eq(ewc_gpu_count(ctx), 2);
	ck_assert_int_eq(ewc_region_get(ctx, 0, &r), 0);
	ck_assert_str_eq(r.id, "east1");
	ck_assert_str_eq(r.name, "East one");
	ck_assert_int_eq(r.zone, EWC_ZONE_EAST);
	ck_assert_double_eq(r.power_price, 0.5);
	ck_assert_double_eq(r.green_share, 0.2);
	ck_assert_double_eq(r.grid_factor, 0.6);
	ck_assert_double_eq(r.pue, 1.25);
	ck_assert_str_eq(r.file, "t.xml");
	ck_assert_int_eq(r.line, 2);
	ck_assert_int_eq(ewc_region_gpu(ctx, 0, 0, &s, &free_gpus, &a), 0);
	ck_assert_str_eq(s, "A100");
	ck_assert_int_eq(free_gpus, 8);
	ck_assert_double_eq(a, 10);
	ck_assert_int_eq(ewc_region_link(ctx, 0, 0, &s, &a, &b, &c), 0);
	ck_assert_str_eq(s, "city");
	ck_assert_double_eq(a, 2);
	ck_assert_double_eq(b, 0.1);
	ck_assert_double_eq(c, 10);
	ck_assert_int_eq(ewc_gpu_get(ctx, 1, &s, &a, &b), 0);
	ck_assert_str_eq(s, "X2");
	ck_assert_double_eq(a, 800);
	ck_assert_double_eq(b, 2);
	ck_assert_int_eq(ewc_region_get(ctx, 1, &r), EWC_EINVAL);
	r.version = 99;
	ck_assert_int_eq(ewc_region_get(ctx, 0, &r), EWC_EVERSION);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_shipped_hubs)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	const char *paths[1] = { path };
	ewc_ctx *ctx;
	size_t east = 0, west = 0;
	static const char *const western[] = { "nmg-horinger", "guizhou-guian", "gansu-qingyang",
	                                       "ningxia-zhongwei" };

	snprintf(path, sizeof path, "%s/regions", top ? top : ".");
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_msg(ewc_ctx_load_regions(ctx, paths, 1, NULL, 0) == 0, "%s", ewc_errmsg());
	ck_assert_uint_eq(ewc_region_count(ctx), 10);
	for (size_t i = 0; i < ewc_region_count(ctx); i++) {
		ewc_region_info r = EWC_REGION_INFO_INIT;
		int is_west = 0;
		ewc_region_get(ctx, i, &r);
		for (size_t k = 0; k < 4; k++)
			is_west |= strcmp(r.id, western[k]) == 0;
		ck_assert_int_eq(r.zone, is_west ? EWC_ZONE_WEST : EWC_ZONE_EAST);
		east += !is_west;
		west += is_west;
		/* every hub links the six main demand sites */
		ck_assert_uint_ge(r.links, 6);
	}
	ck_assert_uint_eq(east, 6);
	ck_assert_uint_eq(west, 4);
	/* the catalog names the five types the hubs are planned around */
	static const char *const types[] = { "A100", "H800", "H100", "H20", "910B" };
	for (size_t k = 0; k < 5; k++) {
		int found = 0;
		for (size_t g = 0; g < ewc_gpu_count(ctx); g++) {
			const char *t;
			ewc_gpu_get(ctx, g, &t, NULL, NULL);
			found |= strcmp(t, types[k]) == 0;
		}
		ck_assert_msg(found, "catalog lacks %s", types[k]);
	}
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_bad_free)
{
	expect_error(with_gpu_line("<gpu type=\"A100\" free=\"-3\" price=\"8\"/>"), EWC_EINPUT,
	             "t.xml:4: gpu@free: must be an integer from 0 to 1e+12, got \"-3\"");
	expect_error(with_gpu_line("<gpu type=\"A100\" free=\"2.5\" price=\"8\"/>"), EWC_EINPUT,
	             "t.xml:4: gpu@free: must be an integer from 0 to 1e+12, got \"2.5\"");
	expect_error(with_gpu_line("<gpu type=\"A100\" free=\"99999999999999999999\" price=\"8\"/>"),
	             EWC_EINPUT,
	             "t.xml:4: gpu@free: must be an integer from 0 to 1e+12, got \"99999999999999999999\"");
}
END_TEST

START_TEST(test_bad_values)
{
	expect_error(with_gpu_line("<gpu type=\"TPU\" free=\"1\" price=\"8\"/>"), EWC_EINPUT,
	             "t.xml:4: gpu@type: \"TPU\" is not in the GPU catalog");
	expect_error(with_gpu_line("<gpu type=\"A100\" free=\"1\" price=\"nan\"/>"), EWC_EINPUT,
	             "t.xml:4: gpu@price: must be a number >= 0, got \"nan\"");
	expect_error(with_gpu_line("<gpu type=\"A100\" free=\"1\"/>"), EWC_EINPUT,
	             "t.xml:4: gpu@price: required attribute is missing");
	expect_error(with_gpu_line("<link site=\"c\" latency-ms=\"-1\" price-per-gb=\"0\"/>"),
	             EWC_EINPUT, "t.xml:4: link@latency-ms: must be >= 0, got \"-1\"");
	expect_error(with_gpu_line("<gpu type=\"A100\" free=\"1\" price=\"1\" colour=\"red\"/>"),
	             EWC_EINPUT, "t.xml:4: gpu@colour: unknown attribute");
	expect_error(with_gpu_line("<rack/>"), EWC_EINPUT,
	             "t.xml:4: <rack>: unknown element in <region>");
	expect_error(
		"<regions>\n<region id=\"r\" zone=\"north\">\n"
		"<power price=\"0.3\" green-share=\"1.5\" grid-factor=\"0.5\" pue=\"0.9\"/>\n"
		"</region>\n</regions>\n",
		EWC_EINPUT,
		"t.xml:2: region@zone: must be \"east\" or \"west\", got \"north\"\n"
		"t.xml:3: power@green-share: must be between 0 and 1, got \"1.5\"\n"
		"t.xml:3: power@pue: must be >= 1, got \"0.9\"");
	expect_error("<regions>\n<region id=\"Big\" zone=\"east\">\n</region>\n</regions>\n",
	             EWC_EINPUT,
	             "t.xml:2: region@id: must match [a-z0-9._-]+, got \"Big\"\n"
	             "t.xml:2: region \"Big\": <power> element is missing");
}
END_TEST

START_TEST(test_duplicates_across_files)
{
	ewc_ctx *ctx;
	ewc_buffer b[3] = { tbuf("gpus.xml", T_CATALOG), tbuf("a.xml", ONE_REGION),
	                    tbuf("b.xml", ONE_REGION) };

	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(ewc_ctx_load_regions(ctx, NULL, 0, b, 3), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(),
	                 "b.xml:2: region@id: duplicate id \"east1\" (first at a.xml:2)");
	ewc_ctx_free(ctx);
}
END_TEST

/* Many regions, through the name index: a duplicate far down is found and
 * named with its first place; every id and site resolves to its own. */
START_TEST(test_many_regions)
{
	enum { N = 5000 };
	size_t cap = (size_t)N * 260 + 64, n = 0;
	char *xml = malloc(cap);
	ewc_ctx *ctx;

	ck_assert_ptr_nonnull(xml);
	n += (size_t)snprintf(xml + n, cap - n, "<regions>\n");
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(xml + n, cap - n,
		                      "<region id=\"r%d\" zone=\"west\"><power price=\"0.3\" "
		                      "green-share=\"0\" grid-factor=\"0.5\" pue=\"1.2\"/>"
		                      "<gpu type=\"A100\" free=\"%d\" price=\"10\"/>"
		                      "<link site=\"s%d\" latency-ms=\"2\" price-per-gb=\"0\"/></region>\n",
		                      i, i, i % 97);
	snprintf(xml + n, cap - n, "</regions>\n");
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(t_load(ctx, T_CATALOG, xml), 0);
	{
		/* region r4321 has 4321 free A100: found by its id */
		long fr = -1;
		ck_assert_int_eq(ewc_ctx_available(ctx, "r4321", "A100", &fr), 0);
		ck_assert_int_eq(fr, 4321);
		ck_assert_int_ne(ewc_ctx_available(ctx, "r5000", "A100", &fr), 0);
	}
	ewc_ctx_free(ctx);
	/* the same list with r17 again at the end */
	snprintf(xml + n, cap - n,
	         "<region id=\"r17\" zone=\"west\"><power price=\"0.3\" green-share=\"0\" "
	         "grid-factor=\"0.5\" pue=\"1.2\"/></region>\n</regions>\n");
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(t_load(ctx, T_CATALOG, xml), EWC_EINPUT);
	{
		char want[128];
		snprintf(want, sizeof want,
		         "t.xml:%d: region@id: duplicate id \"r17\" (first at t.xml:19)", N + 2);
		ck_assert_str_eq(ewc_errmsg(), want);
	}
	ewc_ctx_free(ctx);
	free(xml);
}
END_TEST

START_TEST(test_not_xml_and_doctype)
{
	ewc_ctx *ctx;
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(t_load(ctx, T_CATALOG, "<regions>\n<region id=\"a\"\n</regions>\n"),
	                 EWC_EINPUT);
	/* libxml2's own wording varies by version; the place does not */
	ck_assert_msg(strncmp(ewc_errmsg(), "t.xml:3: XML: ", 14) == 0, "%s", ewc_errmsg());
	ewc_ctx_free(ctx);
	/* an external entity must not be read, let alone expanded */
	expect_error("<?xml version=\"1.0\"?>\n"
	             "<!DOCTYPE regions [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
	             "<regions>&x;</regions>\n",
	             EWC_EINPUT, "t.xml:2: <!DOCTYPE>: document type declarations are not allowed");
	expect_error("<hubs/>\n", EWC_EINPUT,
	             "t.xml:1: <hubs>: root element must be <regions> or <gpus>");
}
END_TEST

START_TEST(test_catalog_errors)
{
	ewc_ctx *ctx;
	ewc_buffer only = tbuf("t.xml", ONE_REGION);
	ewc_buffer b[2] = { tbuf("gpus.xml", "<gpus>\n<gpu type=\"A 1\" watts=\"0\" perf=\"1\"/>\n"
	                                     "<gpu type=\"B\" watts=\"1\" perf=\"1\"/>\n"
	                                     "<gpu type=\"B\" watts=\"1\" perf=\"1\"/>\n</gpus>\n"),
	                    tbuf("t.xml", ONE_REGION) };

	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(ewc_ctx_load_regions(ctx, NULL, 0, &only, 1), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(),
	                 "no GPU catalog: none of the inputs has the root element <gpus>");
	ck_assert_int_eq(ewc_ctx_load_regions(ctx, NULL, 0, b, 2), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(),
	                 "gpus.xml:2: gpu@type: must match [A-Za-z0-9._-]+, got \"A 1\"\n"
	                 "gpus.xml:2: gpu@watts: must be > 0, got \"0\"\n"
	                 "gpus.xml:4: gpu@type: duplicate type \"B\"");
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_failed_load_keeps_state)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, ONE_REGION);

	ck_assert_int_eq(t_load(ctx, T_CATALOG, with_gpu_line("<gpu/>")), EWC_EINPUT);
	ck_assert_uint_eq(ewc_region_count(ctx), 1);
	ck_assert_uint_eq(ewc_gpu_count(ctx), 2);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_error_cap)
{
	char *doc = malloc(64 * 1024);
	size_t n = 0;
	ewc_ctx *ctx;
	const char *msg, *last;
	int lines = 1;

	n += (size_t)sprintf(doc + n, "<regions>\n<region id=\"r\" zone=\"west\">\n"
	                     "<power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(doc + n, "<link site=\"s%d\" latency-ms=\"x\" price-per-gb=\"0\"/>\n", i);
	sprintf(doc + n, "</region>\n</regions>\n");
	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(t_load(ctx, T_CATALOG, doc), EWC_EINPUT);
	msg = ewc_errmsg();
	for (const char *p = msg; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 26);
	last = strrchr(msg, '\n') + 1;
	ck_assert_str_eq(last, "(15 more problems not shown)");
	ewc_ctx_free(ctx);
	free(doc);
}
END_TEST

START_TEST(test_missing_path)
{
	ewc_ctx *ctx;
	const char *paths[1] = { "/nonexistent/ewc-regions" };

	ck_assert_int_eq(ewc_ctx_new(&ctx), 0);
	ck_assert_int_eq(ewc_ctx_load_regions(ctx, paths, 1, NULL, 0), EWC_EIO);
	ck_assert_str_eq(ewc_errmsg(), "/nonexistent/ewc-regions: No such file or directory");
	ck_assert_int_eq(ewc_ctx_load_regions(ctx, NULL, 0, NULL, 0), EWC_EINVAL);
	ewc_ctx_free(ctx);
	ewc_ctx_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("regions");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_values_read_back);
	tcase_add_test(tc, test_shipped_hubs);
	tcase_add_test(tc, test_bad_free);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_duplicates_across_files);
	tcase_add_test(tc, test_many_regions);
	tcase_add_test(tc, test_not_xml_and_doctype);
	tcase_add_test(tc, test_catalog_errors);
	tcase_add_test(tc, test_failed_load_keeps_state);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_missing_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
