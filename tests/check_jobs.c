/* check_jobs.c - the jobs CSV reader and job validation */
/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#define HEADER T_HEADER

static ewc_ctx *ctx;

static void setup(void)
{
	ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
}

static void teardown(void)
{
	ewc_ctx_free(ctx);
}

/* Load csv into a fresh list, expect failure with exactly msg, and that
 * nothing was appended. */
static void expect_error(const char *csv, const char *msg)
{
	ewc_jobs *jobs;
	ewc_buffer b = tbuf("jobs.csv", csv);

	ck_assert_int_eq(ewc_jobs_new(&jobs, ctx), 0);
	ck_assert_int_eq(ewc_jobs_load_csv_buffer(jobs, &b), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(), msg);
	ck_assert_uint_eq(ewc_jobs_count(jobs), 0);
	ewc_jobs_free(jobs);
}

START_TEST(test_fields_read_back)
{
	/* BOM, CRLF, quoted fields, columns in another order, defaults */
	ewc_jobs *jobs = t_jobs(ctx,
		"\xEF\xBB\xBF" "origin,id,kind,gpu_type,gpus,hours,slo_ms,data_gb,priority,pin,avoid,"
		"checkpoint_gb,deadline_h\r\n"
		"city,\"train, big\",train,A100|X2,8,100,,1000,2.5,,east1,50,200\r\n"
		"city,inf,infer,A100,4,10,5,,,east1,,,\r\n");
	ewc_job j = EWC_JOB_INIT;

	ck_assert_uint_eq(ewc_jobs_count(jobs), 2);
	ck_assert_int_eq(ewc_jobs_get(jobs, 0, &j), 0);
	ck_assert_str_eq(j.id, "train, big");
	ck_assert_int_eq(j.kind, EWC_KIND_TRAIN);
	ck_assert_str_eq(j.gpu_type, "A100|X2");
	ck_assert_int_eq(j.gpus, 8);
	ck_assert_double_eq(j.hours, 100);
	ck_assert_str_eq(j.origin, "city");
	ck_assert_double_eq(j.slo_ms, -1);
	ck_assert_double_eq(j.data_gb, 1000);
	ck_assert_double_eq(j.priority, 2.5);
	ck_assert_ptr_null(j.pin);
	ck_assert_str_eq(j.avoid, "east1");
	ck_assert_double_eq(j.checkpoint_gb, 50);
	ck_assert_double_eq(j.deadline_h, 200);
	ck_assert_int_eq(ewc_jobs_get(jobs, 1, &j), 0);
	ck_assert_str_eq(j.id, "inf");
	ck_assert_int_eq(j.kind, EWC_KIND_INFER);
	ck_assert_double_eq(j.slo_ms, 5);
	ck_assert_double_eq(j.data_gb, 0);
	ck_assert_double_eq(j.priority, 1);
	ck_assert_str_eq(j.pin, "east1");
	ck_assert_ptr_null(j.avoid);
	ck_assert_double_eq(j.deadline_h, -1);
	ck_assert_int_eq(ewc_jobs_find(jobs, "inf"), 1);
	ck_assert_int_eq(ewc_jobs_find(jobs, "nope"), -1);
	ewc_jobs_free(jobs);
}
END_TEST

START_TEST(test_header_errors)
{
	expect_error("id,kind,gpu_type,gpus,hours,origin,slo,colour\n",
	             "jobs.csv:1: header: unknown column \"slo\" (known: id, kind, gpu_type, gpus, "
	             "hours, origin, slo_ms, data_gb, priority, pin, avoid, checkpoint_gb, deadline_h, earliest_h)\n"
	             "jobs.csv:1: header: unknown column \"colour\" (known: id, kind, gpu_type, gpus, "
	             "hours, origin, slo_ms, data_gb, priority, pin, avoid, checkpoint_gb, deadline_h, earliest_h)");
	expect_error("id,kind,gpu_type,gpus,hours,hours\n",
	             "jobs.csv:1: header: column \"hours\" appears twice\n"
	             "jobs.csv:1: header: required column \"origin\" is missing");
	expect_error("", "jobs.csv: empty: a header row is required");
}
END_TEST

START_TEST(test_row_errors)
{
	expect_error(HEADER
	             "a,serve,A100,8,1,city,,,,,\n"
	             "b,train,A100,0,1,city,,,,,\n"
	             "c,train,A100,8.5,1,city,,,,,\n"
	             "d,train,A100,8,abc,city,,,,,\n"
	             "e,infer,A100,8,1,city,,,,,\n"
	             "f,train,TPU|A100,8,1,city,,,,,\n"
	             "g,train,A100,8,1,city,,,,mars,\n"
	             "h,train,A100,8,1,city,,,,,east1|pluto\n"
	             "i,train,A100,8,-1,city,,-5,0,,\n"
	             "j,train,A100,8,1e309,city,,,,,\n"
	             "k,train,A100,8,nan,city,,,,,\n"
	             "l,train,A100,8,1,,,,,,\n"
	             "m,train,A100,8,1,city,,,,east1,east1\n",
	             "jobs.csv:2: kind: must be train or infer, got \"serve\"\n"
	             "jobs.csv:3: gpus: must be an integer > 0, got \"0\"\n"
	             "jobs.csv:4: gpus: must be an integer > 0, got \"8.5\"\n"
	             "jobs.csv:5: hours: must be a number, got \"abc\"\n"
	             "jobs.csv:6: slo_ms: required for infer jobs\n"
	             "jobs.csv:7: gpu_type: unknown GPU type \"TPU\" (not in the catalog)\n"
	             "jobs.csv:8: pin: unknown region \"mars\"\n"
	             "jobs.csv:9: avoid: unknown region \"pluto\"\n"
	             "jobs.csv:10: hours: must be a number > 0, got \"-1\"\n"
	             "jobs.csv:10: data_gb: must be a number >= 0, got \"-5\"\n"
	             "jobs.csv:10: priority: must be a number > 0, got \"0\"\n"
	             "jobs.csv:11: hours: must be a number, got \"1e309\"\n"
	             "jobs.csv:12: hours: must be a number, got \"nan\"\n"
	             "jobs.csv:13: origin: required field is empty\n"
	             "jobs.csv:14: avoid: region \"east1\" is also the pin");
}
END_TEST

START_TEST(test_structure_errors)
{
	expect_error(HEADER "a,train,A100,8,1,city,,,,\n",
	             "jobs.csv:2: expected 11 fields as in the header, got 10");
	expect_error(HEADER "a,train,A100,8,1,city,,,,,\na,train,A100,8,1,city,,,,,\n",
	             "jobs.csv:3: id: duplicate job id \"a\"");
	expect_error(HEADER "\"a,train,A100,8,1,city,,,,,\n",
	             "jobs.csv:2: CSV: unterminated quoted field");
	expect_error(HEADER "a\"b,train,A100,8,1,city,,,,,\n",
	             "jobs.csv:2: CSV: error parsing data while strict checking enabled (a quote "
	             "inside an unquoted field, or text after a closing quote)");
	expect_error(HEADER "a,train,A100, 8,1,city,,,,,\n",
	             "jobs.csv:2: gpus: must be an integer > 0, got \" 8\"");
}
END_TEST

/* What a hand-edited spreadsheet may hold: each refused by row and column,
 * or read exactly as meant; nothing coerced. */
START_TEST(test_hostile_text)
{
	char *big = malloc(1100000);
	ewc_jobs *jobs;

	expect_error(HEADER "a,train,A100,2147483648,1,city,,,,,\n"
	                    "b,train,A100,99999999999999999999,1,city,,,,,\n"
	                    "c,train,A100,8,inf,city,,,,,\n"
	                    "d,train,A100,8,1,city,,-0x10,,,\n"
	                    "e\xff\xfe,train,A100,8,1,city,,,,,\n"
	                    "\xed\xa0\x80,train,A100,8,1,city,,,,,\n",
	             "jobs.csv:2: gpus: must be at most 1000000, got \"2147483648\"\n"
	             "jobs.csv:3: gpus: must be an integer > 0, got \"99999999999999999999\"\n"
	             "jobs.csv:4: hours: must be a number, got \"inf\"\n"
	             "jobs.csv:5: data_gb: must be a number, got \"-0x10\"\n"
	             "jobs.csv:6: id: not valid UTF-8 (save the file as UTF-8)\n"
	             "jobs.csv:7: id: not valid UTF-8 (save the file as UTF-8)");
	expect_error(HEADER "a,train,A100,8,1,\xff\xfe,,,,,\n",
	             "jobs.csv:2: origin: not valid UTF-8 (save the file as UTF-8)");
	{
		ewc_jobs *nul = NULL;
		static const char text[] = HEADER "a,train,A100,8,1,city\0x,,,,,\n";
		ewc_buffer b = { "nul.csv", text, sizeof text - 1 };
		ck_assert_int_eq(ewc_jobs_new(&nul, ctx), 0);
		ck_assert_int_eq(ewc_jobs_load_csv_buffer(nul, &b), EWC_EINPUT);
		ck_assert_str_eq(ewc_errmsg(), "nul.csv:2: contains a NUL byte: not a text file");
		ewc_jobs_free(nul);
	}
	expect_error(HEADER "a,train,A100,8,1,city,,,,,,extra\n",
	             "jobs.csv:2: expected 11 fields as in the header, got 12");
	/* a 1 MB field */
	strcpy(big, HEADER "a,train,A100,8,1,");
	memset(big + strlen(big), 'x', 1048576);
	strcpy(big + strlen(HEADER) + 17 + 1048576, ",,,,,\n");
	expect_error(big, "jobs.csv:2: a field is longer than 4096 bytes");
	/* and one quoted over 500,000 short lines: stopped early, not buffered */
	strcpy(big, HEADER "\"a");
	for (size_t i = 0; i < 500000; i++)
		memcpy(big + strlen(HEADER) + 2 + 2 * i, "x\n", 2);
	strcpy(big + strlen(HEADER) + 2 + 1000000, "\",train,A100,8,1,city,,,,,\n");
	expect_error(big, "jobs.csv:2: a field is longer than 4096 bytes");
	free(big);
	/* BOM, CRLF and UTF-8 text are read as meant */
	jobs = t_jobs(ctx, "\xEF\xBB\xBF" "id,kind,gpu_type,gpus,hours,origin\r\n"
	                   "\xe8\xae\xad\xe7\xbb\x83-1,train,A100,8,1.5,city\r\n");
	ck_assert_uint_eq(ewc_jobs_count(jobs), 1);
	ck_assert_int_eq(ewc_jobs_find(jobs, "\xe8\xae\xad\xe7\xbb\x83-1"), 0);
	ewc_jobs_free(jobs);
	/* a header and no rows: an empty list */
	jobs = t_jobs(ctx, HEADER);
	ck_assert_uint_eq(ewc_jobs_count(jobs), 0);
	ewc_jobs_free(jobs);
}
END_TEST

START_TEST(test_all_or_nothing)
{
	ewc_jobs *jobs = t_jobs(ctx, HEADER "a,train,A100,8,1,city,,,,,\n");
	ewc_buffer b = tbuf("more.csv", HEADER "b,train,A100,8,1,city,,,,,\nc,train,A100,-8,1,city,,,,,\n");

	ck_assert_int_eq(ewc_jobs_load_csv_buffer(jobs, &b), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(), "more.csv:3: gpus: must be an integer > 0, got \"-8\"");
	ck_assert_uint_eq(ewc_jobs_count(jobs), 1);
	/* an id already on the list is a duplicate too */
	b = tbuf("again.csv", HEADER "a,train,A100,8,1,city,,,,,\n");
	ck_assert_int_eq(ewc_jobs_load_csv_buffer(jobs, &b), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(), "again.csv:2: id: duplicate job id \"a\"");
	ewc_jobs_free(jobs);
}
END_TEST

START_TEST(test_api_add)
{
	ewc_jobs *jobs;
	ewc_job j = EWC_JOB_INIT;

	ck_assert_int_eq(ewc_jobs_new(&jobs, ctx), 0);
	j.id = "api";
	j.kind = EWC_KIND_INFER;
	j.gpu_type = "A100";
	j.gpus = 2;
	j.hours = 3;
	j.origin = "city";
	ck_assert_int_eq(ewc_jobs_add(jobs, &j), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(), "job \"api\": slo_ms: required for infer jobs");
	j.slo_ms = 4;
	j.hours = NAN;
	ck_assert_int_eq(ewc_jobs_add(jobs, &j), EWC_EINPUT);
	ck_assert_str_eq(ewc_errmsg(), "job \"api\": hours: must be a number > 0, got nan");
	j.hours = 3;
	ck_assert_int_eq(ewc_jobs_add(jobs, &j), 0);
	ck_assert_uint_eq(ewc_jobs_count(jobs), 1);
	j.version = 7;
	ck_assert_int_eq(ewc_jobs_add(jobs, &j), EWC_EVERSION);
	ewc_jobs_free(jobs);
}
END_TEST

START_TEST(test_stale_after_reload)
{
	ewc_jobs *jobs = t_jobs(ctx, HEADER "a,train,A100,8,1,city,,,,east1,\n");
	ewc_plan *plan = NULL;

	ck_assert_int_eq(t_load(ctx, T_CATALOG, T_TWO_REGIONS), 0);
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, NULL), EWC_EINVAL);
	ck_assert_ptr_null(plan);
	ewc_jobs_free(jobs);
}
END_TEST

START_TEST(test_missing_file)
{
	ewc_jobs *jobs;

	ck_assert_int_eq(ewc_jobs_new(&jobs, ctx), 0);
	ck_assert_int_eq(ewc_jobs_load_csv(jobs, "/nonexistent/jobs.csv"), EWC_EIO);
	ck_assert_str_eq(ewc_errmsg(), "/nonexistent/jobs.csv: cannot open: No such file or directory");
	ewc_jobs_free(jobs);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("jobs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fields_read_back);
	tcase_add_test(tc, test_header_errors);
	tcase_add_test(tc, test_row_errors);
	tcase_add_test(tc, test_structure_errors);
	tcase_add_test(tc, test_hostile_text);
	tcase_add_test(tc, test_all_or_nothing);
	tcase_add_test(tc, test_api_add);
	tcase_add_test(tc, test_stale_after_reload);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
