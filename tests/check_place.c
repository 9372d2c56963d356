/* check_place.c - placement: hand-computed plans, baseline, reasons, JSON */
/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <unistd.h>

#include "testutil.h"

#define HEADER T_HEADER

static ewc_plan *place(ewc_ctx *ctx, ewc_jobs *jobs, ewc_mode mode)
{
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_plan *plan = NULL;

	o.mode = mode;
	ck_assert_msg(ewc_place(&plan, ctx, jobs, &o) == 0, "%s", ewc_errmsg());
	return plan;
}

static ewc_assignment get(ewc_plan *plan, size_t i)
{
	ewc_assignment a = EWC_ASSIGNMENT_INIT;
	ck_assert_int_eq(ewc_plan_assignment(plan, i, &a), 0);
	return a;
}

START_TEST(test_hand_computed_plan)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER
		"T,train,A100|X2,8,100,city,,1000,,,\n"
		"I,infer,A100,4,10,city,5,,,,\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	ewc_totals t = EWC_TOTALS_INIT, b = EWC_TOTALS_INIT;
	ewc_comparison c = EWC_COMPARISON_INIT;
	ewc_assignment a;

	/* T on west1 A100: 800 GPU-h; 800*0.4*1.2 = 384 kWh; 800*8 = 6400 +
	 * 384*0.3 = 115.2 + 1000*0.05 = 50 -> 6565.2 CNY; 384*0.5*0.5 = 96 kg;
	 * objective 6565.2 + 100*96/1000 = 6574.8. On east1 it would be
	 * 8000 + 200 + 100 = 8300 CNY and 192 kg (objective 8319.2). */
	a = get(plan, 0);
	ck_assert_str_eq(a.region, "west1");
	ck_assert_str_eq(a.gpu_type, "A100");
	ck_assert_int_eq(a.zone, EWC_ZONE_WEST);
	ck_assert_near(a.hours, 100);
	ck_assert_near(a.cost_cny, 6565.2);
	ck_assert_near(a.transfer_cny, 50);
	ck_assert_near(a.energy_kwh, 384);
	ck_assert_near(a.carbon_kg, 96);
	ck_assert_near(a.carbon_location_kg, 192);
	ck_assert_near(a.objective, 6574.8);
	ck_assert_str_eq(a.baseline_region, "east1");
	/* I must stay within 5 ms: east1. 40 GPU-h, 20 kWh: 400 + 10 CNY,
	 * 20*0.6*0.8 = 9.6 kg, objective 410.96. */
	a = get(plan, 1);
	ck_assert_str_eq(a.region, "east1");
	ck_assert_near(a.cost_cny, 410);
	ck_assert_near(a.carbon_kg, 9.6);
	ck_assert_near(a.objective, 410.96);
	/* the baseline filled east1 with T, so it could not place I */
	ck_assert_ptr_null(a.baseline_region);

	ck_assert_int_eq(ewc_plan_totals(plan, &t), 0);
	ck_assert_near(t.cost_cny, 6975.2);
	ck_assert_near(t.carbon_kg, 105.6);
	ck_assert_near(t.carbon_location_kg, 204);
	ck_assert_near(t.energy_kwh, 404);
	ck_assert_near(t.objective, 6985.76);
	ck_assert_near(t.gpu_hours_east, 40);
	ck_assert_near(t.gpu_hours_west, 800);
	ck_assert_uint_eq(t.placed, 2);
	ck_assert_uint_eq(t.unplaced, 0);
	ck_assert_near(t.lower_bound, t.objective);
	ck_assert_double_le(t.gap, 1e-9);
	ck_assert_int_eq(ewc_plan_proven(plan), 1);

	ck_assert_int_eq(ewc_plan_baseline(plan, &b), 0);
	ck_assert_near(b.cost_cny, 8300);
	ck_assert_near(b.carbon_kg, 192);
	ck_assert_near(b.objective, 8319.2);
	ck_assert_uint_eq(b.placed, 1);
	ck_assert_uint_eq(b.unplaced, 1);

	ck_assert_int_eq(ewc_plan_compare(plan, &c), 0);
	ck_assert_near(c.cost_saved_cny, 1324.8);
	ck_assert_near(c.carbon_avoided_kg, 86.4);
	ck_assert_near(c.carbon_avoided_pct, 45);
	ck_assert_near(c.transfer_extra_cny, -50);
	ck_assert_near(c.east_gpu_hours_freed, 760);
	ck_assert_int_eq(c.placed_diff, 1);

	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_explain_options)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER "T,train,A100|X2,8,100,city,,1000,,,\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	static const char *const want[4][4] = {
		/* region, type, reason (NULL: eligible), flags */
		{ "east1", "A100", NULL, "b" },
		{ "east1", "X2", "no X2 in east1", "" },
		{ "west1", "A100", NULL, "*" },
		{ "west1", "X2", "capacity: 4 free X2, needs 8", "" },
	};

	ck_assert_uint_eq(ewc_plan_option_count(plan, 0), 4);
	for (size_t k = 0; k < 4; k++) {
		ewc_option o = EWC_OPTION_INIT;
		ck_assert_int_eq(ewc_plan_option(plan, 0, k, &o), 0);
		ck_assert_str_eq(o.region, want[k][0]);
		ck_assert_str_eq(o.gpu_type, want[k][1]);
		if (want[k][2])
			ck_assert_str_eq(o.reason, want[k][2]);
		else
			ck_assert_str_eq(o.reason, "");
		ck_assert_int_eq(o.eligible, want[k][2] == NULL);
		ck_assert_int_eq(o.chosen, strcmp(want[k][3], "*") == 0);
		ck_assert_int_eq(o.baseline, strcmp(want[k][3], "b") == 0);
	}
	/* the excluded X2 option still shows what it would cost: 50 h */
	ewc_option o = EWC_OPTION_INIT;
	ewc_plan_option(plan, 0, 3, &o);
	ck_assert_near(o.hours, 50);
	/* 400 GPU-h * 14 + 400*0.8*1.2 = 384 kWh * 0.3 + 1000 GB * 0.05 */
	ck_assert_near(o.cost_cny, 400 * 14 + 384 * 0.3 + 50);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_faster_type_hours)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	/* no data to move: the links play no part in the cost */
	ewc_jobs *jobs = t_jobs(ctx, HEADER "V,train,A100|X2,4,100,city,,,,,\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	ewc_assignment a = get(plan, 0);

	/* X2 (perf 2): 50 h, 200 GPU-h * 14 = 2800; 200*0.8*1.2 = 192 kWh * 0.3
	 * = 57.6 -> 2857.6 CNY, 48 kg; A100 on west1 would be 3257.6 CNY. */
	ck_assert_str_eq(a.region, "west1");
	ck_assert_str_eq(a.gpu_type, "X2");
	ck_assert_near(a.hours, 50);
	ck_assert_near(a.cost_cny, 2857.6);
	ck_assert_near(a.carbon_kg, 48);
	ck_assert_str_eq(a.baseline_region, "east1"); /* nearest, with room for 4 A100 */
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* A service runs its hours on any type and holds the GPUs that give it the
 * same throughput: ceil(gpus x perf(first) / perf(type)); the capacity row
 * counts those. */
START_TEST(test_faster_type_service)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER "S,infer,A100|X2,8,100,city,30,,,,\n"
	                                    "U,infer,X2|A100,3,10,city,30,,,,\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	ewc_assignment s = get(plan, 0), u = get(plan, 1);
	ewc_option op = EWC_OPTION_INIT;

	/* S on west1 X2: 4 GPUs (8 x 1/2), 100 h, 400 GPU-h x 14 = 5600;
	 * 400 x 0.8 kW x 1.2 = 384 kWh x 0.3 = 115.2 -> 5715.2 CNY; 96 kg
	 * market-based, 192 kg location-based. It fits the 4 free X2 only
	 * because it holds 4, not 8. On west1 A100 it would cost 6515.2. */
	ck_assert_str_eq(s.region, "west1");
	ck_assert_str_eq(s.gpu_type, "X2");
	ck_assert_int_eq(s.gpus, 4);
	ck_assert_near(s.hours, 100);
	ck_assert_near(s.cost_cny, 5715.2);
	ck_assert_near(s.carbon_kg, 96);
	ck_assert_near(s.carbon_location_kg, 192);
	/* U (3 X2) has no X2 left: on A100 it holds ceil(3 x 2) = 6 for its 10 h:
	 * 60 GPU-h x 8 = 480; 60 x 0.4 x 1.2 = 28.8 kWh x 0.3 = 8.64 -> 488.64.
	 * The other way round (U on X2, S on A100) costs 6943.84, not 6203.84. */
	ck_assert_str_eq(u.region, "west1");
	ck_assert_str_eq(u.gpu_type, "A100");
	ck_assert_int_eq(u.gpus, 6);
	ck_assert_near(u.hours, 10);
	ck_assert_near(u.cost_cny, 488.64);
	/* explain carries the GPUs of each type: S on east1 A100 holds 8 */
	ck_assert_int_eq(ewc_plan_option(plan, 0, 0, &op), 0);
	ck_assert_str_eq(op.region, "east1");
	ck_assert_str_eq(op.gpu_type, "A100");
	ck_assert_int_eq(op.gpus, 8);
	ck_assert_int_eq(ewc_plan_option(plan, 0, 3, &op), 0);
	ck_assert_str_eq(op.gpu_type, "X2");
	ck_assert_int_eq(op.gpus, 4);
	ck_assert_near(op.hours, 100);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);

	/* an odd count rounds up: 5 A100 of service are 3 X2 (2.5 up), 30
	 * GPU-h x 14 = 420 + 28.8 kWh x 0.3 = 428.64 CNY; the rounding makes
	 * west1's A100 (50 GPU-h: 400 + 7.2 = 407.2) the cheaper choice */
	jobs = t_jobs(ctx, HEADER "O,infer,A100|X2,5,10,city,30,,,,\n");
	plan = place(ctx, jobs, EWC_MODE_COST);
	s = get(plan, 0);
	ck_assert_str_eq(s.gpu_type, "A100");
	ck_assert_int_eq(s.gpus, 5);
	ck_assert_near(s.cost_cny, 407.2);
	ck_assert_int_eq(ewc_plan_option(plan, 0, 3, &op), 0);
	ck_assert_str_eq(op.gpu_type, "X2");
	ck_assert_int_eq(op.gpus, 3);
	ck_assert_near(op.hours, 10);
	ck_assert_near(op.cost_cny, 428.64);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

#define ONE_REGION \
	"<regions><region id=\"r1\" zone=\"east\">\n" \
	"<power price=\"0.5\" green-share=\"0\" grid-factor=\"0.5\" pue=\"1.2\"/>\n" \
	"<gpu type=\"A100\" free=\"8\" price=\"10\"/>\n" \
	"<link site=\"city\" latency-ms=\"1\" price-per-gb=\"0\"/>\n" \
	"</region></regions>\n"

START_TEST(test_priority_first)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, ONE_REGION);
	/* E alone (1.5) or C + D (2): the plan must take C + D, which a greedy
	 * by priority would miss. */
	ewc_jobs *jobs = t_jobs(ctx, HEADER
		"E,train,A100,8,10,city,,,1.5,,\n"
		"C,train,A100,4,10,city,,,1,,\n"
		"D,train,A100,4,10,city,,,1,,\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	ewc_totals t = EWC_TOTALS_INIT;

	ck_assert_ptr_null(get(plan, 0).region);
	ck_assert_str_eq(get(plan, 0).reason,
	                 "capacity: r1 A100 has 0 of 8 GPUs free, needs 8, held by C (4 GPUs, "
	                 "priority 1), D (4 GPUs, priority 1); no plan places more priority "
	                 "with it (2 placed, the most any plan can)");
	ck_assert_str_eq(get(plan, 1).region, "r1");
	ck_assert_str_eq(get(plan, 2).region, "r1");
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.priority_placed, 2);
	ck_assert_uint_eq(t.unplaced, 1);
	/* the baseline goes in input order: E takes r1 */
	ewc_plan_baseline(plan, &t);
	ck_assert_uint_eq(t.placed, 1);
	ck_assert_str_eq(get(plan, 0).baseline_region, "r1");
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* cA and cB: same carbon, cB cheaper; cC cheap and dirty. */
#define THREE_REGIONS \
	"<regions>\n" \
	"<region id=\"ca\" zone=\"west\"><power price=\"0.5\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>" \
	"<gpu type=\"A100\" free=\"8\" price=\"10\"/><link site=\"city\" latency-ms=\"30\" price-per-gb=\"0\"/></region>\n" \
	"<region id=\"cb\" zone=\"west\"><power price=\"0.5\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.2\"/>" \
	"<gpu type=\"A100\" free=\"8\" price=\"9\"/><link site=\"city\" latency-ms=\"30\" price-per-gb=\"0\"/></region>\n" \
	"<region id=\"cc\" zone=\"east\"><power price=\"0.1\" green-share=\"0\" grid-factor=\"1.0\" pue=\"1.2\"/>" \
	"<gpu type=\"A100\" free=\"8\" price=\"1\"/><link site=\"city\" latency-ms=\"30\" price-per-gb=\"0\"/></region>\n" \
	"</regions>\n"

START_TEST(test_modes)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, THREE_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER "J,train,A100,8,10,city,,,,,\n");
	ewc_plan *plan;
	ewc_totals t = EWC_TOTALS_INIT;

	/* 80 GPU-h, 38.4 kWh everywhere. carbon: ca = cb = 9.6 kg, cc 38.4 kg;
	 * cost: ca 819.2, cb 739.2, cc 83.84. */
	plan = place(ctx, jobs, EWC_MODE_CARBON);
	ck_assert_str_eq(get(plan, 0).region, "cb"); /* cost breaks the tie */
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 9.6);
	ck_assert_near(t.cost_cny, 739.2);
	ewc_plan_free(plan);

	plan = place(ctx, jobs, EWC_MODE_COST);
	ck_assert_str_eq(get(plan, 0).region, "cc");
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 83.84);
	ck_assert_double_eq(ewc_plan_carbon_price(plan), 0);
	ewc_plan_free(plan);

	/* balanced at 100 CNY/t: cc 83.84 + 3.84 = 87.68 beats cb 740.16 */
	plan = place(ctx, jobs, EWC_MODE_BALANCED);
	ck_assert_str_eq(get(plan, 0).region, "cc");
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 87.68);
	ewc_plan_free(plan);

	/* at 30,000 CNY/t carbon dominates: cb 739.2 + 288 = 1027.2 against
	 * cc 83.84 + 1152 = 1235.84 */
	{
		ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
		o.carbon_price = 30000;
		ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
		ck_assert_str_eq(get(plan, 0).region, "cb");
		ewc_plan_totals(plan, &t);
		ck_assert_near(t.objective, 1027.2);
		ewc_plan_free(plan);
	}
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* ga buys contracted green power on a dirty grid, gb buys none on a clean
 * one: the bases rank them the other way round. */
#define BASIS_REGIONS \
	"<regions>\n" \
	"  <region id=\"ga\" zone=\"west\">\n" \
	"    <power price=\"0.4\" green-share=\"0.8\" grid-factor=\"0.8\" pue=\"1.25\"/>\n" \
	"    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n" \
	"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0\"/>\n" \
	"  </region>\n" \
	"  <region id=\"gb\" zone=\"west\">\n" \
	"    <power price=\"0.4\" green-share=\"0\" grid-factor=\"0.3\" pue=\"1.25\"/>\n" \
	"    <gpu type=\"A100\" free=\"8\" price=\"10\"/>\n" \
	"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0\"/>\n" \
	"  </region>\n" \
	"</regions>\n"

START_TEST(test_carbon_bases)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, BASIS_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, T_HEADER "J,train,A100,8,10,city,,,,,\n");
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_plan *plan;
	ewc_totals t = EWC_TOTALS_INIT;
	ewc_assignment a;

	/* 80 GPU-h at 400 W, PUE 1.25: 40 kWh. ga: location 40 * 0.8 = 32 kg,
	 * market 32 * (1 - 0.8) = 6.4 kg; gb: location = market = 12 kg. */
	o.mode = EWC_MODE_CARBON;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ck_assert_int_eq(ewc_plan_carbon_basis(plan), EWC_BASIS_MARKET);
	a = get(plan, 0);
	ck_assert_str_eq(a.region, "ga");
	ck_assert_near(a.carbon_kg, 6.4);
	ck_assert_near(a.carbon_location_kg, 32);
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 6.4);
	{
		/* options carry both bases; a version 2 struct still works */
		ewc_option op = EWC_OPTION_INIT, old = EWC_OPTION_INIT;
		ck_assert_int_eq(ewc_plan_option(plan, 0, 0, &op), 0);
		ck_assert_near(op.carbon_kg, 6.4);
		ck_assert_near(op.carbon_location_kg, 32);
		old.version = 2;
		old.carbon_location_kg = -5;
		ck_assert_int_eq(ewc_plan_option(plan, 0, 1, &old), 0);
		ck_assert_near(old.carbon_kg, 12);
		ck_assert_near(old.carbon_location_kg, -5); /* not written: not in a v2 struct */
		old.version = EWC_OPTION_VERSION + 1;
		ck_assert_int_eq(ewc_plan_option(plan, 0, 1, &old), EWC_EVERSION);
	}
	ewc_plan_free(plan);

	o.carbon_basis = EWC_BASIS_LOCATION;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	a = get(plan, 0);
	ck_assert_str_eq(a.region, "gb");
	ck_assert_near(a.carbon_kg, 12);
	ck_assert_near(a.carbon_location_kg, 12);
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 12);
	ewc_plan_free(plan);

	/* balanced at 10,000 CNY/t: cost 800 + 16 = 816 in both; carbon
	 * 64 CNY (ga) against 120 (market), 320 against 120 (location) */
	o.mode = EWC_MODE_BALANCED;
	o.carbon_price = 10000;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ck_assert_str_eq(get(plan, 0).region, "gb");
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 816 + 120);
	ewc_plan_free(plan);
	o.carbon_basis = EWC_BASIS_MARKET;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ck_assert_str_eq(get(plan, 0).region, "ga");
	ewc_plan_totals(plan, &t);
	ck_assert_near(t.objective, 816 + 64);
	ewc_plan_free(plan);

	/* a budget counts the chosen basis: 10 kg holds ga only on market,
	 * nothing on location (both emit 12 kg or more there) */
	o.mode = EWC_MODE_COST;
	o.carbon_budget_kg = 10;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ck_assert_str_eq(get(plan, 0).region, "ga");
	ewc_plan_free(plan);
	o.carbon_basis = EWC_BASIS_LOCATION;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EPOLICY);

	o.carbon_basis = (ewc_carbon_basis)7;
	o.carbon_budget_kg = -1;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	{
		ewc_carbon_basis b;
		ck_assert_int_eq(ewc_carbon_basis_parse(&b, "location"), 0);
		ck_assert_int_eq(b, EWC_BASIS_LOCATION);
		ck_assert_int_eq(ewc_carbon_basis_parse(&b, "grid"), EWC_EINVAL);
		ck_assert_str_eq(ewc_errmsg(), "unknown carbon basis \"grid\": use market or location");
	}
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* Names that are not there: the message names file, line and field, and
 * the closest known names. */
START_TEST(test_unknown_names)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = NULL;
	static const struct {
		const char *row, *msg;
	} cases[] = {
		{ "a,train,A100,1,1,mars,,,,,", "jobs.csv:2: origin: unknown site \"mars\": no region "
		                                "links to it" },
		{ "a,train,A100,1,1,ctiy,,,,,", "jobs.csv:2: origin: unknown site \"ctiy\": no region "
		                                "links to it; did you mean \"city\"?" },
		{ "a,train,A100,1,1,city,,,,east,", "jobs.csv:2: pin: unknown region \"east\"; did you "
		                                    "mean \"east1\"?" },
		{ "a,train,A100,1,1,city,,,,,wset1", "jobs.csv:2: avoid: unknown region \"wset1\"; "
		                                     "did you mean \"west1\"?" },
		{ "a,train,A10,1,1,city,,,,,", "jobs.csv:2: gpu_type: unknown GPU type \"A10\" (not in "
		                               "the catalog); did you mean \"A100\"?" },
		{ "a,train,X3,1,1,city,,,,,", "jobs.csv:2: gpu_type: unknown GPU type \"X3\" (not in "
		                              "the catalog); did you mean \"X2\"?" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char csv[256];
		ewc_buffer b;
		snprintf(csv, sizeof csv, HEADER "%s\n", cases[i].row);
		b = tbuf("jobs.csv", csv);
		ck_assert_int_eq(ewc_jobs_new(&jobs, ctx), 0);
		ck_assert_int_eq(ewc_jobs_load_csv_buffer(jobs, &b), EWC_EINPUT);
		ck_assert_str_eq(ewc_errmsg(), cases[i].msg);
		ewc_jobs_free(jobs);
	}
	{
		/* an attribute a letter off */
		ewc_ctx *c2 = NULL;
		ck_assert_int_eq(ewc_ctx_new(&c2), 0);
		ck_assert_int_eq(t_load(c2, T_CATALOG,
		                        "<regions>\n<region id=\"r\" zone=\"west\">\n"
		                        "<power price=\"0.5\" green-shar=\"0\" grid-factor=\"0.5\" "
		                        "pue=\"1.2\"/>\n</region>\n</regions>\n"),
		                 EWC_EINPUT);
		ck_assert_msg(strstr(ewc_errmsg(), "t.xml:3: power@green-shar: unknown attribute; did "
		                                   "you mean \"green-share\"?") != NULL,
		              "%s", ewc_errmsg());
		ewc_ctx_free(c2);
	}
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_unplaced_reasons)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER
		"p,train,X2,1,1,city,,,,east1,\n"
		"s,infer,A100,1,1,city,1,,,,\n"
		"t,infer,X2,1,1,city,5,,,,\n"
		"c,train,A100,32,1,city,,,,,\n"
		"a,train,A100,1,1,city,,,,,east1|west1\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	static const char *const want[] = {
		"pinned region east1 has no X2",
		"no region within 1 ms of city (nearest: east1 at 2 ms)",
		"no region within 5 ms of city has X2",
		"capacity: no eligible region has 32 free A100 (most: 16 A100 in west1)",
		"every region is in the job's avoid list",
	};
	ewc_totals t = EWC_TOTALS_INIT;

	for (size_t i = 0; i < 5; i++) {
		ewc_assignment a = get(plan, i);
		ck_assert_ptr_null(a.region);
		ck_assert_str_eq(a.reason, want[i]);
	}
	ewc_plan_totals(plan, &t);
	ck_assert_uint_eq(t.placed, 0);
	ck_assert_uint_eq(t.unplaced, 5);
	ck_assert_double_eq(t.objective, 0);
	ck_assert_double_eq(t.lower_bound, 0);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	ck_assert_msg(v && json_is_number(v), "missing number %s", k);
	return json_number_value(v);
}

START_TEST(test_json_consistent)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER
		"T,train,A100|X2,8,100,city,,1000,,,\n"
		"I,infer,A100,4,10,city,5,,,,\n"
		"U,train,A100,64,10,city,,,,,\n");
	ewc_plan *plan = place(ctx, jobs, EWC_MODE_BALANCED);
	static const char *const tkeys[] = { "cost_cny", "carbon_kg", "carbon_location_kg",
		"energy_kwh", "objective", "lower_bound", "gap", "placed", "unplaced" };
	static const char *const pkeys[] = { "cost_cny", "transfer_cny", "energy_kwh", "carbon_kg",
		"hours" };
	char *text;
	json_t *root, *tot, *arr;
	json_error_t err;
	double sum_cost = 0, sum_carbon = 0, sum_energy = 0;

	ck_assert_int_eq(ewc_plan_to_json(plan, 0, &text), 0);
	root = json_loads(text, 0, &err);
	ck_assert_msg(root != NULL, "bad JSON: %s", err.text);
	ck_assert_str_eq(json_string_value(json_object_get(root, "mode")), "balanced");
	ck_assert_double_eq(num(root, "carbon_price_cny_per_t"), 100);
	tot = json_object_get(root, "totals");
	for (size_t k = 0; k < sizeof tkeys / sizeof *tkeys; k++)
		num(tot, tkeys[k]);
	ck_assert_str_eq(json_string_value(json_object_get(tot, "objective_unit")), "CNY");
	arr = json_object_get(root, "placements");
	ck_assert_uint_eq(json_array_size(arr), 2);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *p = json_array_get(arr, i);
		for (size_t k = 0; k < sizeof pkeys / sizeof *pkeys; k++)
			num(p, pkeys[k]);
		ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "job")));
		ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "region")));
		ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "gpu_type")));
		ck_assert(json_is_integer(json_object_get(p, "gpus")));
		sum_cost += num(p, "cost_cny");
		sum_carbon += num(p, "carbon_kg");
		sum_energy += num(p, "energy_kwh");
	}
	ck_assert_near(num(tot, "cost_cny"), sum_cost);
	ck_assert_near(num(tot, "carbon_kg"), sum_carbon);
	ck_assert_near(num(tot, "energy_kwh"), sum_energy);
	ck_assert_double_eq(num(tot, "placed"), 2);
	ck_assert_double_eq(num(tot, "unplaced"), 1);
	ck_assert_double_le(num(tot, "lower_bound"), num(tot, "objective"));
	arr = json_object_get(root, "unplaced");
	ck_assert_uint_eq(json_array_size(arr), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "job")), "U");
	ck_assert_ptr_nonnull(json_string_value(json_object_get(json_array_get(arr, 0), "reason")));
	tot = json_object_get(root, "baseline");
	num(tot, "cost_cny");
	num(tot, "carbon_kg");
	num(tot, "objective");
	num(tot, "placed");
	num(tot, "unplaced");
	json_decref(root);
	ewc_free(text);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_write_lp)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER "T,train,A100|X2,8,100,city,,1000,,,\n");
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_plan *plan = NULL;
	char path[] = "/tmp/ewc-lp-XXXXXX";
	char line[256], all[8192] = "";
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	close(fd);
	o.write_lp = path;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		strncat(all, line, sizeof all - strlen(all) - 1);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(all, "Minimize"));
	ck_assert_ptr_nonnull(strstr(all, "x_1_T_east1_A100"));
	ck_assert_ptr_nonnull(strstr(all, "x_2_T_west1_A100"));
	ck_assert_ptr_nonnull(strstr(all, "job_1_T"));
	ck_assert_ptr_nonnull(strstr(all, "\\* Problem: ewc *\\"));
	ck_assert_ptr_nonnull(strstr(all, "Generals")); /* GLPK's form of binaries */
	ewc_plan_free(plan);
	unlink(path);

	o.write_lp = "/nonexistent/dir/model.lp";
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EIO);
	ck_assert_ptr_null(plan);
	ck_assert_str_eq(ewc_errmsg(), "/nonexistent/dir/model.lp: cannot write the LP model");
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_bad_options)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	ewc_jobs *jobs = t_jobs(ctx, HEADER "T,train,A100,8,100,city,,,,,\n");
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_plan *plan = NULL;

	o.time_limit = 0;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	ck_assert_str_eq(ewc_errmsg(), "time limit must be a number of seconds > 0");
	o.time_limit = 10;
	o.mip_gap = -1;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	o.mip_gap = 0;
	o.carbon_price = NAN;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	o.carbon_price = 1;
	o.solver = (ewc_solver)7;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	ck_assert_str_eq(ewc_errmsg(), "ewc_place: unknown solver 7");
	o.solver = EWC_SOLVER_AUTO;
	o.version = EWC_PLACE_OPTIONS_VERSION + 1;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EVERSION);
	ck_assert_ptr_null(plan);
	/* a version 1 caller's struct ends before `solver`: garbage there is
	 * never read */
	o.version = 1;
	o.solver = (ewc_solver)7;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ck_assert_ptr_nonnull(plan);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

#define PJ 5 /* jobs */
#define PO 6 /* options per job at most: 3 regions x 2 types */

typedef struct popt {
	int pool;
	long gpus;  /* what the option holds: a service on a faster type fewer */
	double obj;
} popt;

static double best_prio, best_obj;

/* A random instance: three regions with two GPU types and `njobs` jobs from
 * one city; free GPUs scale with `cap` (1: a few of each type). */
static void random_instance(unsigned seed, int njobs, unsigned cap, char *regions, char *csv)
{
	size_t n = 0, m = 0;

	t_rng_state = seed;
	n += (size_t)sprintf(regions + n, "<regions>\n");
	for (int r = 0; r < 3; r++) {
		n += (size_t)sprintf(regions + n,
		                     "<region id=\"r%d\" zone=\"%s\"><power price=\"0.%u\" "
		                     "green-share=\"0.%u\" grid-factor=\"0.%u\" pue=\"1.%u\"/>"
		                     "<gpu type=\"A100\" free=\"%u\" price=\"%u\"/>"
		                     "<gpu type=\"X2\" free=\"%u\" price=\"%u\"/>"
		                     "<link site=\"city\" latency-ms=\"%u\" price-per-gb=\"0.0%u\"/>"
		                     "</region>\n",
		                     r, r ? "west" : "east", 1 + t_rnd(9), t_rnd(10), 1 + t_rnd(9), t_rnd(5),
		                     cap * t_rnd(13), 5 + t_rnd(10), cap * t_rnd(9), 10 + t_rnd(15), 1 + t_rnd(20),
		                     t_rnd(10));
	}
	sprintf(regions + n, "</regions>\n");
	m += (size_t)sprintf(csv + m, HEADER);
	for (int j = 0; j < njobs; j++)
		m += (size_t)sprintf(csv + m, "j%d,%s,%s,%u,%u,city,%u,%u,%u,,\n", j,
		                     t_rnd(3) ? "train" : "infer", t_rnd(2) ? "A100|X2" : "A100",
		                     1 + t_rnd(8), 1 + t_rnd(50), 5 + t_rnd(15), t_rnd(100), 1 + t_rnd(2));
}

static void brute(int j, const double *prio, popt opts[PJ][PO], const int *nopt, long *left,
                  double p, double obj)
{
	if (j == PJ) {
		if (p > best_prio + 1e-9 || (fabs(p - best_prio) <= 1e-9 && obj < best_obj)) {
			best_prio = p;
			best_obj = obj;
		}
		return;
	}
	brute(j + 1, prio, opts, nopt, left, p, obj);
	for (int k = 0; k < nopt[j]; k++) {
		if (left[opts[j][k].pool] < opts[j][k].gpus)
			continue;
		left[opts[j][k].pool] -= opts[j][k].gpus;
		brute(j + 1, prio, opts, nopt, left, p + prio[j], obj + opts[j][k].obj);
		left[opts[j][k].pool] += opts[j][k].gpus;
	}
}

/* Both solvers, on many small random instances, against enumeration of
 * every plan: the same priority, the same objective (gap 0), and a bound
 * that never exceeds the true optimum. */
START_TEST(test_matches_brute_force)
{
	static const ewc_solver solvers[] = { EWC_SOLVER_DIRECT, EWC_SOLVER_DECOMPOSE };
	ewc_solver solver = solvers[_i % 2];

	for (unsigned seed = 1; seed <= 120; seed++) {
		char regions[4096], csv[2048];
		int nopt[PJ];
		double prio[PJ];
		long left[6];
		popt opts[PJ][PO];
		ewc_ctx *ctx;
		ewc_jobs *jobs;
		ewc_plan *plan;
		ewc_totals t = EWC_TOTALS_INIT;
		ewc_place_options o = EWC_PLACE_OPTIONS_INIT;

		random_instance(seed, PJ, 1, regions, csv);
		ctx = t_ctx(T_CATALOG, regions);
		jobs = t_jobs(ctx, csv);
		o.mip_gap = 0;
		o.solver = solver;
		ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);

		for (int j = 0; j < PJ; j++) {
			ewc_job jj = EWC_JOB_INIT;
			ewc_jobs_get(jobs, (size_t)j, &jj);
			prio[j] = jj.priority;
			nopt[j] = 0;
			for (size_t k = 0; k < ewc_plan_option_count(plan, (size_t)j); k++) {
				ewc_option op = EWC_OPTION_INIT;
				ewc_plan_option(plan, (size_t)j, k, &op);
				if (!op.eligible)
					continue;
				opts[j][nopt[j]].pool = (op.region[1] - '0') * 2 + (strcmp(op.gpu_type, "X2") == 0);
				opts[j][nopt[j]].obj = op.objective;
				opts[j][nopt[j]].gpus = op.gpus;
				nopt[j]++;
			}
		}
		for (int r = 0; r < 3; r++)
			for (int g = 0; g < 2; g++) {
				long fr = 0;
				ewc_region_gpu(ctx, (size_t)r, (size_t)g, NULL, &fr, NULL);
				left[r * 2 + g] = fr;
			}
		best_prio = -1;
		best_obj = 0;
		brute(0, prio, opts, nopt, left, 0, 0);

		ewc_plan_totals(plan, &t);
		ck_assert_msg(fabs(t.priority_placed - best_prio) < 1e-9, "solver %d seed %u: priority %g, best %g",
		              (int)solver, seed, t.priority_placed, best_prio);
		ck_assert_msg(t.priority_bound >= best_prio - 1e-9,
		              "solver %d seed %u: priority bound %g below the optimum %g", (int)solver,
		              seed, t.priority_bound, best_prio);
		if (ewc_plan_proven(plan))
			ck_assert_msg(fabs(t.priority_bound - best_prio) < 1e-9,
			              "solver %d seed %u: proven, but priority bound %g, optimum %g",
			              (int)solver, seed, t.priority_bound, best_prio);
		ck_assert_msg(fabs(t.objective - best_obj) <= 1e-6 * fmax(1, best_obj),
		              "solver %d seed %u: objective %.10g, optimum %.10g", (int)solver, seed, t.objective, best_obj);
		ck_assert_msg(t.lower_bound <= best_obj + 1e-6 * fmax(1, best_obj),
		              "solver %d seed %u: bound %.10g above the optimum %.10g", (int)solver, seed, t.lower_bound, best_obj);
		ck_assert_double_le(t.lower_bound, t.objective);
		ewc_plan_free(plan);
		ewc_jobs_free(jobs);
		ewc_ctx_free(ctx);
	}
}
END_TEST

/* One region with one pool of FREE A100 at 1 CNY a GPU-hour, no power
 * cost and no carbon, 20 ms from city. */
#define SOLO_POOL(FREE) \
	"<regions>\n" \
	"  <region id=\"solo\" zone=\"west\">\n" \
	"    <power price=\"0\" green-share=\"0\" grid-factor=\"0\" pue=\"1\"/>\n" \
	"    <gpu type=\"A100\" free=\"" FREE "\" price=\"1\"/>\n" \
	"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0\"/>\n" \
	"  </region>\n" \
	"</regions>\n"

/* One pool of 10 GPUs and jobs of 6, 5 and 5, all of priority 1: every
 * greedy order takes the 6 first and then fits nothing, but the two 5s
 * fit together. Both solvers place them: priority 2, proven by a bound of
 * 2, at 5 + 5 GPU-hours of 1 CNY (no power cost, no carbon). */
START_TEST(test_greedy_leaves_out_what_fits)
{
	static const ewc_solver solvers[] = { EWC_SOLVER_DIRECT, EWC_SOLVER_DECOMPOSE };
	ewc_ctx *ctx = t_ctx(T_CATALOG, SOLO_POOL("10"));
	ewc_jobs *jobs = t_jobs(ctx, T_HEADER
		"big,train,A100,6,1,city,,,1,,\n"
		"a,train,A100,5,1,city,,,1,,\n"
		"b,train,A100,5,1,city,,,1,,\n");

	for (int k = 0; k < 2; k++) {
		ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
		ewc_totals t = EWC_TOTALS_INIT;
		ewc_plan *plan;
		ewc_assignment a = EWC_ASSIGNMENT_INIT;

		o.solver = solvers[k];
		o.mip_gap = 0;
		ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
		ewc_plan_totals(plan, &t);
		ck_assert_near(t.priority_placed, 2);
		ck_assert_near(t.priority_bound, 2);
		ck_assert_int_eq(t.placed, 2);
		ck_assert_near(t.objective, 10);
		/* GLPK's bound, to its tolerance */
		ck_assert_double_le(t.lower_bound, t.objective);
		ck_assert_double_ge(t.lower_bound, 10 - 1e-5);
		ck_assert_int_eq(ewc_plan_proven(plan), 1);
		ewc_plan_assignment(plan, 0, &a);
		ck_assert_ptr_null(a.region);
		ewc_plan_free(plan);
	}
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* Priority 1e9 beside priority 1, on one pool of 15 GPUs: H (5 GPUs) and
 * then the two 5s fit, where every greedy order takes H and the 6. A
 * difference of 1 in 1e9 is below GLPK's relative tolerances, so the two
 * scales are solved as tiers: H first, then the most of the rest. */
START_TEST(test_wide_priorities)
{
	static const ewc_solver solvers[] = { EWC_SOLVER_DIRECT, EWC_SOLVER_DECOMPOSE };
	ewc_ctx *ctx = t_ctx(T_CATALOG, SOLO_POOL("15"));
	ewc_jobs *jobs = t_jobs(ctx, T_HEADER
		"H,train,A100,5,1,city,,,1000000000,,\n"
		"big,train,A100,6,1,city,,,1,,\n"
		"a,train,A100,5,1,city,,,1,,\n"
		"b,train,A100,5,1,city,,,1,,\n");

	for (int k = 0; k < 2; k++) {
		ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
		ewc_totals t = EWC_TOTALS_INIT;
		ewc_plan *plan;
		ewc_assignment a = EWC_ASSIGNMENT_INIT;

		o.solver = solvers[k];
		ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
		ewc_plan_totals(plan, &t);
		ck_assert_double_eq(t.priority_placed, 1000000002.0);
		ck_assert_double_eq(t.priority_bound, 1000000002.0);
		ck_assert_int_eq(t.placed, 3);
		ck_assert_int_eq(ewc_plan_proven(plan), 1);
		ewc_plan_assignment(plan, 1, &a);
		ck_assert_ptr_null(a.region);
		ewc_plan_free(plan);
	}
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* Levels that outweigh everything below them but are not multiples of
 * each other: 6 + 5 beats 5 + 5 in their tier, yet 5 + 5 and four jobs of
 * 1 place more in total (14 against 11). The most total priority is
 * placed and proven, by both solvers; at 1e8 times the scale too, where
 * the top level's plan (1.1e9) is the most. */
START_TEST(test_priority_levels_not_multiples)
{
	static const ewc_solver solvers[] = { EWC_SOLVER_DIRECT, EWC_SOLVER_DECOMPOSE };
	static const char *const lists[2] = {
		T_HEADER "A,train,A100,6,1,city,,,6,,\nB,train,A100,2,1,city,,,5,,\n"
		"C,train,A100,2,1,city,,,5,,\nD1,train,A100,1,1,city,,,1,,\n"
		"D2,train,A100,1,1,city,,,1,,\nD3,train,A100,1,1,city,,,1,,\n"
		"D4,train,A100,1,1,city,,,1,,\n",
		T_HEADER "A,train,A100,6,1,city,,,600000000,,\nB,train,A100,2,1,city,,,500000000,,\n"
		"C,train,A100,2,1,city,,,500000000,,\nD1,train,A100,1,1,city,,,1,,\n"
		"D2,train,A100,1,1,city,,,1,,\nD3,train,A100,1,1,city,,,1,,\n"
		"D4,train,A100,1,1,city,,,1,,\n"
	};
	static const double want[2] = { 14, 1100000000.0 };
	ewc_ctx *ctx = t_ctx(T_CATALOG, SOLO_POOL("8"));

	for (int l = 0; l < 2; l++) {
		ewc_jobs *jobs = t_jobs(ctx, lists[l]);
		for (int k = 0; k < 2; k++) {
			ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
			ewc_totals t = EWC_TOTALS_INIT;
			ewc_plan *plan;
			o.solver = solvers[k];
			ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
			ewc_plan_totals(plan, &t);
			ck_assert_msg(t.priority_placed == want[l], "list %d solver %d: %.10g", l, k,
			              t.priority_placed);
			/* the bound holds, and proves the plan within GLPK's rounding */
			ck_assert_msg(t.priority_bound >= want[l] &&
			              t.priority_bound <= want[l] * (1 + 1e-12),
			              "list %d solver %d: bound %.17g", l, k, t.priority_bound);
			ck_assert_int_eq(ewc_plan_proven(plan), 1);
			ewc_plan_free(plan);
		}
		ewc_jobs_free(jobs);
	}
	ewc_ctx_free(ctx);
}
END_TEST

/* Lists too large to enumerate: the direct model and the decomposition on
 * the same 40 jobs, capacity from short to ample, both asked for gap 0.
 * Each bound holds for the other's plan at the same priority, so the two
 * objectives agree within the gaps they report; where the direct model
 * proves its plan, the decomposition places as much priority, and on most
 * seeds it finds the same objective. */
START_TEST(test_solvers_agree)
{
	int same = 0, short_cap = 0;

	for (unsigned seed = 1; seed <= 40; seed++) {
		char regions[4096], csv[16384];
		ewc_totals t[2] = { EWC_TOTALS_INIT, EWC_TOTALS_INIT };
		int proven[2];
		ewc_ctx *ctx;
		ewc_jobs *jobs;

		random_instance(seed, 40, 4 + seed % 5, regions, csv);
		ctx = t_ctx(T_CATALOG, regions);
		jobs = t_jobs(ctx, csv);
		for (int k = 0; k < 2; k++) {
			ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
			ewc_plan *plan;
			o.mip_gap = 0;
			o.time_limit = 20;
			o.solver = k ? EWC_SOLVER_DECOMPOSE : EWC_SOLVER_DIRECT;
			ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
			ewc_plan_totals(plan, &t[k]);
			proven[k] = ewc_plan_proven(plan);
			ck_assert_double_le(t[k].lower_bound, t[k].objective);
			ewc_plan_free(plan);
		}
		short_cap += t[0].unplaced > 0;
		if (proven[0])
			ck_assert_msg(fabs(t[0].priority_placed - t[1].priority_placed) < 1e-9,
			              "seed %u: priority %g (direct, proven) vs %g", seed,
			              t[0].priority_placed, t[1].priority_placed);
		if (fabs(t[0].priority_placed - t[1].priority_placed) < 1e-9) {
			for (int k = 0; k < 2; k++)
				ck_assert_msg(t[k].lower_bound <= t[!k].objective * (1 + 1e-9) + 1e-6,
				              "seed %u: solver %d's bound %.10g above the other's plan %.10g",
				              seed, k, t[k].lower_bound, t[!k].objective);
			same += fabs(t[0].objective - t[1].objective) <= 1e-6 * fmax(1, t[0].objective);
		}
		ewc_jobs_free(jobs);
		ewc_ctx_free(ctx);
	}
	ck_assert_int_ge(same, 30);
	/* the instances exercise what they claim to */
	ck_assert_int_ge(short_cap, 5);
}
END_TEST

/* Lists of 1,400 jobs and about 6,000 options, capacity for about three
 * quarters of them: the decomposition prices them (its knapsack bound
 * included) where the direct model solves them whole. Every bound either
 * reports must hold for the other's plan: priority bounds above both
 * priorities, and at the same priority each lower bound below the other's
 * objective. */
START_TEST(test_bounds_hold_at_scale)
{
	static char regions[4096], csv[65536];
	int same = 0;

	for (unsigned seed = 1; seed <= 3; seed++) {
		ewc_totals t[2] = { EWC_TOTALS_INIT, EWC_TOTALS_INIT };
		ewc_ctx *ctx;
		ewc_jobs *jobs;

		random_instance(100 + seed, 1400, 140, regions, csv);
		ctx = t_ctx(T_CATALOG, regions);
		jobs = t_jobs(ctx, csv);
		for (int k = 0; k < 2; k++) {
			ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
			ewc_plan *plan;
			o.time_limit = 4;
			o.solver = k ? EWC_SOLVER_DECOMPOSE : EWC_SOLVER_DIRECT;
			ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
			ewc_plan_totals(plan, &t[k]);
			ck_assert_double_le(t[k].lower_bound, t[k].objective);
			ck_assert_double_ge(t[k].priority_bound, t[k].priority_placed);
			ewc_plan_free(plan);
		}
		ck_assert_msg(t[0].unplaced > 0, "seed %u: the list is short of capacity", seed);
		for (int k = 0; k < 2; k++) {
			ck_assert_msg(t[k].priority_bound >= t[!k].priority_placed - 1e-9,
			              "seed %u: solver %d's priority bound %g below the other's plan %g",
			              seed, k, t[k].priority_bound, t[!k].priority_placed);
			if (fabs(t[0].priority_placed - t[1].priority_placed) < 1e-9)
				ck_assert_msg(t[k].lower_bound <= t[!k].objective * (1 + 1e-9) + 1e-6,
				              "seed %u: solver %d's bound %.10g above the other's plan %.10g",
				              seed, k, t[k].lower_bound, t[!k].objective);
		}
		same += fabs(t[0].priority_placed - t[1].priority_placed) < 1e-9;
		ewc_jobs_free(jobs);
		ewc_ctx_free(ctx);
	}
	/* the comparison of lower bounds ran */
	ck_assert_int_ge(same, 1);
}
END_TEST

typedef struct seen {
	int calls;
	int bad;
	char last[16];
} seen;

static void on_progress(void *user, const char *phase, double objective, double bound)
{
	seen *s = user;
	s->calls++;
	/* costs: the bound is below the plan; priority: above it */
	if (strcmp(phase, "priority") == 0 ? bound < objective - 1e-6 : bound > objective + 1e-6)
		s->bad++;
	snprintf(s->last, sizeof s->last, "%s", phase);
}

/* The decomposition reports its progress through the callback, with bounds
 * on the right side of the plan; the direct model does not call it. */
START_TEST(test_progress)
{
	char regions[4096], csv[16384];
	ewc_ctx *ctx;
	ewc_jobs *jobs;
	ewc_plan *plan;
	seen s = { 0, 0, "" };
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;

	random_instance(7, 40, 5, regions, csv);
	ctx = t_ctx(T_CATALOG, regions);
	jobs = t_jobs(ctx, csv);
	o.progress = on_progress;
	o.progress_user = &s;
	o.solver = EWC_SOLVER_DECOMPOSE;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ewc_plan_free(plan);
	ck_assert_int_ge(s.calls, 2);
	ck_assert_int_eq(s.bad, 0);
	ck_assert(strcmp(s.last, "prices") == 0 || strcmp(s.last, "polish") == 0);
	s.calls = 0;
	o.solver = EWC_SOLVER_DIRECT;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), 0);
	ewc_plan_free(plan);
	ck_assert_int_eq(s.calls, 0);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hand_computed_plan);
	tcase_add_test(tc, test_greedy_leaves_out_what_fits);
	tcase_add_test(tc, test_wide_priorities);
	tcase_add_test(tc, test_priority_levels_not_multiples);
	tcase_add_test(tc, test_bounds_hold_at_scale);
	tcase_add_test(tc, test_explain_options);
	tcase_add_test(tc, test_faster_type_hours);
	tcase_add_test(tc, test_faster_type_service);
	tcase_add_test(tc, test_priority_first);
	tcase_add_test(tc, test_modes);
	tcase_add_test(tc, test_carbon_bases);
	tcase_add_test(tc, test_unplaced_reasons);
	tcase_add_test(tc, test_unknown_names);
	tcase_add_test(tc, test_json_consistent);
	tcase_add_test(tc, test_write_lp);
	tcase_add_test(tc, test_bad_options);
	tcase_add_loop_test(tc, test_matches_brute_force, 0, 2);
	tcase_add_test(tc, test_solvers_agree);
	tcase_add_test(tc, test_progress);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return t_run(suite());
}
