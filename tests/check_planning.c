/* check_planning.c - policy constraints, shadow prices, what-if settings
 * and the cost-carbon frontier, on instances small enough to solve by hand */
/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#define CATALOG \
	"<gpus>\n" \
	"  <gpu type=\"A100\" watts=\"400\" perf=\"1\"/>\n" \
	"  <gpu type=\"D910\" watts=\"400\" perf=\"1\" domestic=\"true\"/>\n" \
	"</gpus>\n"

/* Every region has PUE 1.25, so a GPU-hour is 0.5 kWh everywhere, and
 * transfer is free. Per GPU-hour of A100:
 *   coal  (west)  8 + 0.5*0.25 = 8.125 CNY,  0.5*0.8*0.9 = 0.36 kg
 *   hydro (west)  9 + 0.5*0.4  = 9.2   CNY,  0.5*0.5*0.2 = 0.05 kg
 *   east  (east) 10 + 0.5*0.6  = 10.3  CNY,  0.5*0.6*0.8 = 0.24 kg
 * coal's link moves data at 10 Gb/s, hydro's at 100 Gb/s, east's has no
 * figure (no transfer time). */
static char *regions(long coal_free, long hydro_free, int with_mid)
{
	static char buf[4096];
	snprintf(buf, sizeof buf,
		"<regions>\n"
		"  <region id=\"coal\" zone=\"west\">\n"
		"    <power price=\"0.25\" green-share=\"0.1\" grid-factor=\"0.8\" pue=\"1.25\"/>\n"
		"    <gpu type=\"A100\" free=\"%ld\" price=\"8\"/>\n"
		"    <link site=\"city\" latency-ms=\"20\" price-per-gb=\"0\" gbps=\"10\"/>\n"
		"  </region>\n"
		"  <region id=\"hydro\" zone=\"west\">\n"
		"    <power price=\"0.4\" green-share=\"0.8\" grid-factor=\"0.5\" pue=\"1.25\"/>\n"
		"    <gpu type=\"A100\" free=\"%ld\" price=\"9\"/>\n"
		"    <gpu type=\"D910\" free=\"16\" price=\"9\"/>\n"
		"    <link site=\"city\" latency-ms=\"30\" price-per-gb=\"0\" gbps=\"100\"/>\n"
		"  </region>\n"
		"  <region id=\"east\" zone=\"east\">\n"
		"    <power price=\"0.6\" green-share=\"0.2\" grid-factor=\"0.6\" pue=\"1.25\"/>\n"
		"    <gpu type=\"A100\" free=\"16\" price=\"10\"/>\n"
		"    <link site=\"city\" latency-ms=\"2\" price-per-gb=\"0\"/>\n"
		"  </region>\n"
		"%s"
		"</regions>\n", coal_free, hydro_free,
		/* mid (west): 8.5 + 0.5*0.3 = 8.65 CNY, 0.5*0.5*0.5 = 0.125 kg */
		with_mid ?
		"  <region id=\"mid\" zone=\"west\">\n"
		"    <power price=\"0.3\" green-share=\"0.5\" grid-factor=\"0.5\" pue=\"1.25\"/>\n"
		"    <gpu type=\"A100\" free=\"16\" price=\"8.5\"/>\n"
		"    <link site=\"city\" latency-ms=\"25\" price-per-gb=\"0\"/>\n"
		"  </region>\n" : "");
	return buf;
}

#define HEADER "id,kind,gpu_type,gpus,hours,origin,data_gb,deadline_h\n"
/* One GPU each: J1 100 h, J2 200 h, J3 50 h. All on coal: 2843.75 CNY,
 * 126 kg, 175 kWh. Moving a job coal -> hydro costs 1.075 and saves 0.31 kg
 * per hour: 3467.74 CNY/t; coal -> east costs 2.175 for 0.12 kg. */
#define THREE HEADER "J1,train,A100,1,100,city,,\nJ2,train,A100,1,200,city,,\n" \
	"J3,train,A100,1,50,city,,\n"

static ewc_place_options cost_opts(void)
{
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	o.mode = EWC_MODE_COST;
	o.mip_gap = 0;
	return o;
}

static ewc_plan *place_ok(ewc_ctx *ctx, ewc_jobs *jobs, const ewc_place_options *o)
{
	ewc_plan *plan = NULL;
	ck_assert_msg(ewc_place(&plan, ctx, jobs, o) == 0, "%s", ewc_errmsg());
	return plan;
}

static const char *region_of(ewc_plan *plan, size_t i)
{
	ewc_assignment a = EWC_ASSIGNMENT_INIT;
	ck_assert_int_eq(ewc_plan_assignment(plan, i, &a), 0);
	return a.region ? a.region : "-";
}

static ewc_totals totals(ewc_plan *plan)
{
	ewc_totals t = EWC_TOTALS_INIT;
	ck_assert_int_eq(ewc_plan_totals(plan, &t), 0);
	return t;
}

START_TEST(test_carbon_budget)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 16, 0));
	ewc_jobs *jobs = t_jobs(ctx, THREE);
	ewc_place_options o = cost_opts();
	ewc_policy pol = EWC_POLICY_INIT;
	ewc_shadow sh = EWC_SHADOW_INIT;
	ewc_plan *plan;
	size_t n = 9;

	/* without a budget: all on coal, 126 kg */
	plan = place_ok(ctx, jobs, &o);
	ck_assert_near(totals(plan).carbon_kg, 126);
	ewc_plan_free(plan);

	/* 100 kg: 26 kg must go. J1 to hydro saves 31 kg for 107.5 CNY, the
	 * cheapest way (J3 saves only 15.5, J2 costs 215). */
	o.carbon_budget_kg = 100;
	plan = place_ok(ctx, jobs, &o);
	ck_assert_str_eq(region_of(plan, 0), "hydro");
	ck_assert_str_eq(region_of(plan, 1), "coal");
	ck_assert_str_eq(region_of(plan, 2), "coal");
	ck_assert_near(totals(plan).cost_cny, 2951.25);
	ck_assert_near(totals(plan).carbon_kg, 95);
	ck_assert_int_eq(ewc_plan_policy(plan, &pol), 0);
	ck_assert_near(pol.carbon_budget_kg, 100);
	ck_assert_near(pol.carbon_kg, 95);
	ck_assert_double_lt(pol.min_green_share, 0);
	/* its shadow price: in the LP every job moves at 107.5 CNY per 31 kg,
	 * so a tonne more budget saves 107.5 / 0.031 = 3467.74 CNY; the LP
	 * moves exactly 26 kg: 2843.75 + 26 * 107.5 / 31 */
	ck_assert_int_eq(ewc_plan_compute_shadow_prices(plan, &n), 0);
	ck_assert_uint_eq(n, 1); /* no capacity is full */
	ck_assert_int_eq(ewc_plan_shadow(plan, 0, &sh), 0);
	ck_assert_int_eq(sh.kind, EWC_SHADOW_CARBON_BUDGET);
	ck_assert_near(sh.value, 107.5 / 31 * 1000);
	ck_assert_near(ewc_plan_lp_objective(plan), 2843.75 + 26 * 107.5 / 31);
	ck_assert_int_eq(ewc_plan_shadow(plan, 1, &sh), EWC_EINVAL);
	ewc_plan_free(plan);

	/* 10 kg cannot hold: all on hydro still emits 5 + 10 + 2.5 kg */
	o.carbon_budget_kg = 10;
	plan = NULL;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EPOLICY);
	ck_assert_ptr_null(plan);
	ck_assert_msg(strstr(ewc_errmsg(), "carbon budget of 10 kg") &&
	              strstr(ewc_errmsg(), "emits 17.5 kg"), "%s", ewc_errmsg());
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_green_share)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 16, 0));
	ewc_jobs *jobs = t_jobs(ctx, THREE);
	ewc_place_options o = cost_opts();
	ewc_policy pol = EWC_POLICY_INIT;
	ewc_shadow sh = EWC_SHADOW_INIT;
	ewc_plan *plan;
	size_t n;

	/* all on coal the share is 0.1. For 0.45, hydro (0.8) must take at
	 * least 87.5 of the 175 kWh: J2's 100 kWh (J1 + J3 give only 75) */
	o.min_green_share = 0.45;
	plan = place_ok(ctx, jobs, &o);
	ck_assert_str_eq(region_of(plan, 0), "coal");
	ck_assert_str_eq(region_of(plan, 1), "hydro");
	ck_assert_str_eq(region_of(plan, 2), "coal");
	ck_assert_near(totals(plan).cost_cny, 3058.75);
	ck_assert_near(totals(plan).green_kwh, 87.5);
	ck_assert_int_eq(ewc_plan_policy(plan, &pol), 0);
	ck_assert_near(pol.green_share, 0.5);
	/* the LP moves M = (175 g - 17.5) / 0.7 kWh at 2.15 CNY/kWh: a point
	 * of share is worth 2.15 * 175 / 0.7 / 100 = 5.375 CNY */
	ck_assert_int_eq(ewc_plan_compute_shadow_prices(plan, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ewc_plan_shadow(plan, 0, &sh), 0);
	ck_assert_int_eq(sh.kind, EWC_SHADOW_GREEN_SHARE);
	ck_assert_near(sh.value, 5.375);
	ewc_plan_free(plan);

	/* no region is greener than 0.8 */
	o.min_green_share = 0.9;
	plan = NULL;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EPOLICY);
	ck_assert_msg(strstr(ewc_errmsg(), "minimum green share of 0.9"), "%s",
	              ewc_errmsg());
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_region_share)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 16, 0));
	ewc_jobs *jobs = t_jobs(ctx, THREE);
	ewc_place_options o = cost_opts();
	ewc_policy pol = EWC_POLICY_INIT;
	ewc_plan *plan;

	/* at most half of 3 GPUs in one region: one job per region. J2 keeps
	 * coal; J1 to hydro (+107.5) and J3 to east (+108.75) beat the other
	 * way round (+217.5 + 53.75) */
	o.max_region_share = 0.5;
	plan = place_ok(ctx, jobs, &o);
	ck_assert_str_eq(region_of(plan, 0), "hydro");
	ck_assert_str_eq(region_of(plan, 1), "coal");
	ck_assert_str_eq(region_of(plan, 2), "east");
	ck_assert_near(totals(plan).cost_cny, 3060);
	ck_assert_int_eq(ewc_plan_policy(plan, &pol), 0);
	ck_assert_near(pol.region_share, 1.0 / 3);
	ewc_plan_free(plan);

	/* 0.3 of 3 GPUs is less than one job's GPU in any region */
	o.max_region_share = 0.3;
	plan = NULL;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EPOLICY);
	ck_assert_msg(strstr(ewc_errmsg(), "maximum region share of 0.3"), "%s",
	              ewc_errmsg());
	/* two policies, each failing alone, are both named */
	o.carbon_budget_kg = 1;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EPOLICY);
	ck_assert_msg(strstr(ewc_errmsg(), "maximum region share of 0.3") &&
	              strstr(ewc_errmsg(), "carbon budget of 1 kg"), "%s", ewc_errmsg());
	/* out of range */
	o.carbon_budget_kg = -1;
	o.max_region_share = 0;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	o.max_region_share = -1;
	o.min_green_share = NAN;
	ck_assert_int_eq(ewc_place(&plan, ctx, jobs, &o), EWC_EINVAL);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_deadline_transfer)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 16, 0));
	/* 9000 GB: 9000 * 8 / 10 / 3600 = 2 h into coal, 0.2 h into hydro */
	ewc_jobs *jobs = t_jobs(ctx, HEADER "D,train,A100,1,100,city,9000,101\n"
	                             "L,train,A100,1,100,city,9000,99\n");
	ewc_place_options o = cost_opts();
	ewc_assignment a = EWC_ASSIGNMENT_INIT;
	ewc_plan *plan = place_ok(ctx, jobs, &o);

	/* coal is cheapest, but 100 h + 2 h misses 101 h: hydro */
	ck_assert_str_eq(region_of(plan, 0), "hydro");
	/* 99 h is shorter than the run itself anywhere */
	ck_assert_int_eq(ewc_plan_assignment(plan, 1, &a), 0);
	ck_assert_ptr_null(a.region);
	ck_assert_msg(strstr(a.reason, "deadline"), "%s", a.reason);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_capacity_shadow_price)
{
	/* coal holds 2 GPUs: J2 and J1 (they save the most there), J3 goes to
	 * hydro for 50 * 1.075 = 53.75 more. One more coal GPU saves that. */
	ewc_ctx *ctx = t_ctx(CATALOG, regions(2, 16, 0));
	ewc_jobs *jobs = t_jobs(ctx, THREE);
	ewc_place_options o = cost_opts();
	ewc_shadow sh = EWC_SHADOW_INIT;
	ewc_plan *plan, *more;
	size_t n;

	plan = place_ok(ctx, jobs, &o);
	ck_assert_str_eq(region_of(plan, 2), "hydro");
	ck_assert_near(totals(plan).cost_cny, 2897.5);
	ck_assert_int_eq(ewc_plan_compute_shadow_prices(plan, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ewc_plan_shadow(plan, 0, &sh), 0);
	ck_assert_int_eq(sh.kind, EWC_SHADOW_CAPACITY);
	ck_assert_str_eq(sh.region, "coal");
	ck_assert_str_eq(sh.gpu_type, "A100");
	ck_assert_int_eq(sh.free_gpus, 2);
	ck_assert_int_eq(sh.used_gpus, 2);
	ck_assert_near(sh.value, 53.75);

	/* checked by re-solving with one more GPU */
	ck_assert_int_eq(ewc_ctx_set(ctx, "coal.A100.free=+1"), 0);
	ck_assert_msg(ewc_place_from(&more, ctx, jobs, &o, plan) == 0, "%s", ewc_errmsg());
	ck_assert_near(totals(plan).objective - totals(more).objective, sh.value);
	ewc_plan_free(more);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* Every added GPU, on any pool, and any number of them: the changed plan
 * never costs more than the base. Balanced mode, a gap of 1e-4. */
START_TEST(test_whatif_capacity_never_hurts)
{
	static const char *const sets[] = {
		"coal.A100.free=+1", "hydro.A100.free=+1", "east.A100.free=+5",
		"*.A100.free=*2", "mid.A100.free=+100", "hydro.D910.free=+3",
	};
	for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
		ewc_ctx *base = t_ctx(CATALOG, regions(2, 1, 1));
		ewc_ctx *chg = t_ctx(CATALOG, regions(2, 1, 1));
		const char *csv = HEADER "J1,train,A100,1,100,city,,\nJ2,train,A100,1,200,city,,\n"
		                  "J3,train,A100,1,50,city,,\nJ4,train,A100|D910,2,70,city,,\n"
		                  "J5,train,A100,3,40,city,,\n";
		ewc_jobs *jb = t_jobs(base, csv), *jc = t_jobs(chg, csv);
		ewc_plan *pb, *pc = NULL;

		pb = place_ok(base, jb, NULL);
		ck_assert_msg(ewc_ctx_set(chg, sets[s]) == 0, "%s", ewc_errmsg());
		ck_assert_msg(ewc_place_from(&pc, chg, jc, NULL, pb) == 0, "%s", ewc_errmsg());
		ck_assert_uint_eq(totals(pc).placed, totals(pb).placed);
		ck_assert_msg(totals(pc).objective <= totals(pb).objective + 1e-9,
		              "%s: %.10g > %.10g", sets[s], totals(pc).objective,
		              totals(pb).objective);
		ewc_plan_free(pc);
		ewc_plan_free(pb);
		ewc_jobs_free(jc);
		ewc_jobs_free(jb);
		ewc_ctx_free(chg);
		ewc_ctx_free(base);
	}
}
END_TEST

/* A GPU type of the catalog a region does not list is added by its price
 * and free count together; by a free count alone it is refused (a pool
 * with no price would be free GPUs), and nothing changes. */
START_TEST(test_settings_add_type)
{
	ewc_ctx *ctx = t_ctx(T_CATALOG, T_TWO_REGIONS);
	const char *alone[] = { "east1.X2.free=+2" };
	const char *both[] = { "east1.X2.free=+2", "east1.X2.price=20" };
	long f = -1;
	double price = 0;
	const char *type = NULL;

	ck_assert_int_ne(ewc_ctx_available(ctx, "east1", "X2", &f), 0);
	ck_assert_int_eq(ewc_ctx_set_all(ctx, alone, 1), EWC_EINVAL);
	ck_assert_str_eq(ewc_errmsg(), "setting \"east1.X2.free=+2\": east1 gets X2 GPUs, with no "
	                               "price: set it too (east1.X2.price=CNY per GPU-hour)");
	ck_assert_int_ne(ewc_ctx_available(ctx, "east1", "X2", &f), 0);
	ck_assert_int_eq(ewc_ctx_set(ctx, alone[0]), EWC_EINVAL);
	ck_assert_int_ne(ewc_ctx_available(ctx, "east1", "X2", &f), 0);
	ck_assert_int_eq(ewc_ctx_set_all(ctx, both, 2), 0);
	ck_assert_int_eq(ewc_ctx_available(ctx, "east1", "X2", &f), 0);
	ck_assert_int_eq(f, 2);
	ck_assert_int_eq(ewc_region_gpu(ctx, 0, 1, &type, &f, &price), 0);
	ck_assert_str_eq(type, "X2");
	ck_assert_near(price, 20);
	/* a type new to west1? it has X2: +1 adds to its 4 */
	ck_assert_int_eq(ewc_ctx_set(ctx, "west1.X2.free=+1"), 0);
	ck_assert_int_eq(ewc_ctx_available(ctx, "west1", "X2", &f), 0);
	ck_assert_int_eq(f, 5);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_settings)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 16, 0));
	ewc_region_info ri = EWC_REGION_INFO_INIT;
	long free_gpus = 0;

	ck_assert_int_eq(ewc_ctx_set(ctx, "coal.power.price=0.30"), 0);
	ck_assert_int_eq(ewc_ctx_set(ctx, "*.power.pue=*1.2"), 0);
	ck_assert_int_eq(ewc_ctx_set(ctx, "east.A100.free=-6"), 0);
	ck_assert_int_eq(ewc_ctx_available(ctx, "east", "A100", &free_gpus), 0);
	ck_assert_int_eq(free_gpus, 10);
	ck_assert_int_eq(ewc_region_get(ctx, 0, &ri), 0);
	ck_assert_str_eq(ri.id, "coal");
	ck_assert_near(ri.power_price, 0.30);
	ck_assert_near(ri.pue, 1.5);

	/* each refused with the setting named, changing nothing */
	static const char *const bad[] = {
		"nowhere.power.price=1", "coal.power.colour=1", "coal.H100.free=+1",
		"coal.A100.free=+0.5", "coal.A100.free=-17", "coal.power.green-share=1.5",
		"coal.power.price=abc", "coal.power.price=", "coal.power.price=nan",
		"coal.power.price=1e309", "=1", "coal.power.price", "coal.link.town.gbps=1",
		"coal.link.city.gbps=0",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(ewc_ctx_set(ctx, bad[i]) == EWC_EINVAL, "%s accepted", bad[i]);
		ck_assert_msg(strstr(ewc_errmsg(), bad[i]), "%s: %s", bad[i], ewc_errmsg());
	}
	/* all or nothing over *: coal has 16, east 10, hydro 16; -12 fails on
	 * east after coal would have passed */
	ck_assert_int_eq(ewc_ctx_set(ctx, "*.A100.free=-12"), EWC_EINVAL);
	ck_assert_int_eq(ewc_ctx_available(ctx, "coal", "A100", &free_gpus), 0);
	ck_assert_int_eq(free_gpus, 16);
	ewc_ctx_free(ctx);
}
END_TEST

START_TEST(test_domestic_hours)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 16, 0));
	/* only hydro has the domestic D910: N's 40 GPU-hours run there */
	ewc_jobs *jobs = t_jobs(ctx, HEADER "N,train,D910,4,10,city,,\n"
	                             "A,train,A100,2,10,city,,\n");
	ewc_plan *plan = place_ok(ctx, jobs, NULL);
	ewc_totals t = totals(plan), v1 = EWC_TOTALS_INIT;

	ck_assert_near(t.gpu_hours_domestic, 40);
	ck_assert_near(t.gpu_hours, 60);
	/* a version 1 struct gets the fields it has */
	v1.version = 1;
	ck_assert_int_eq(ewc_plan_totals(plan, &v1), 0);
	ck_assert_near(v1.gpu_hours, 60);
	ck_assert_uint_eq(v1.version, 1);
	ewc_plan_free(plan);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

static ewc_frontier_pt point(const ewc_frontier *f, size_t i)
{
	ewc_frontier_pt p = EWC_FRONTIER_PT_INIT;
	ck_assert_int_eq(ewc_frontier_point(f, i, &p), 0);
	return p;
}

START_TEST(test_frontier)
{
	/* hydro holds one GPU, mid is between: the cheapest plan is all coal
	 * (2843.75 CNY, 126 kg); the greenest puts J2 on hydro and J1, J3 on
	 * mid (3137.5 CNY, 28.75 kg). Coal -> mid costs 2234 CNY/t, mid ->
	 * hydro 7333 CNY/t: the curve bends where everything is on mid. */
	ewc_ctx *ctx = t_ctx(CATALOG, regions(16, 1, 1));
	ewc_jobs *jobs = t_jobs(ctx, THREE);
	ewc_place_options o = EWC_PLACE_OPTIONS_INIT;
	ewc_frontier *f = NULL;
	ewc_plan *pc, *pg;
	size_t n, knees = 0;

	o.mip_gap = 0;
	ck_assert_int_eq(ewc_frontier_make(&f, ctx, jobs, &o, 1), EWC_EINVAL);
	ck_assert_msg(ewc_frontier_make(&f, ctx, jobs, &o, 9) == 0, "%s", ewc_errmsg());
	n = ewc_frontier_count(f);
	ck_assert_uint_ge(n, 4);
	ck_assert_uint_le(n, 9);

	/* the ends are --mode cost and --mode carbon */
	o.mode = EWC_MODE_COST;
	pc = place_ok(ctx, jobs, &o);
	o.mode = EWC_MODE_CARBON;
	pg = place_ok(ctx, jobs, &o);
	ck_assert_near(point(f, 0).cost_cny, totals(pc).cost_cny);
	ck_assert_near(point(f, 0).carbon_kg, totals(pc).carbon_kg);
	ck_assert_near(point(f, n - 1).cost_cny, totals(pg).cost_cny);
	ck_assert_near(point(f, n - 1).carbon_kg, totals(pg).carbon_kg);
	ck_assert_near(point(f, 0).cost_cny, 2843.75);
	ck_assert_near(point(f, 0).carbon_kg, 126);
	ck_assert_near(point(f, n - 1).cost_cny, 3137.5);
	ck_assert_near(point(f, n - 1).carbon_kg, 28.75);

	/* monotone: each step costs more and emits less, at a price >= the
	 * cheapest move's 2234 CNY/t */
	for (size_t i = 1; i < n; i++) {
		ewc_frontier_pt a = point(f, i - 1), b = point(f, i);
		ck_assert_double_gt(b.cost_cny, a.cost_cny);
		ck_assert_double_lt(b.carbon_kg, a.carbon_kg);
		ck_assert_double_ge(b.carbon_price_cny_per_t, 0.525 / 0.235 * 1000 - 1e-6);
		ck_assert_uint_eq(b.placed, 3);
		ck_assert_uint_eq(b.placed_west, 3);
		ck_assert_ptr_nonnull(ewc_frontier_plan(f, i));
	}
	ck_assert_double_eq(point(f, 0).carbon_price_cny_per_t, 0);
	for (size_t i = 0; i < n; i++)
		knees += (size_t)point(f, i).knee;
	ck_assert_uint_eq(knees, 1);
	ck_assert_int_eq(point(f, 0).knee, 0);
	ck_assert_int_eq(point(f, n - 1).knee, 0);
	ewc_plan_free(pc);
	ewc_plan_free(pg);
	ewc_frontier_free(f);
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* Coal and hydro hold one A100 each, east plenty. The cheapest plan puts
 * J2 (200 h) on coal, J1 (100 h) on hydro: 1625 + 920 = 2545 CNY, 72 + 5 =
 * 77 kg. Under a budget of 50 kg no single job can move (J2 to east: 53 kg;
 * J1 to east: 96 kg); exchanging the two gives J1 coal 812.5 CNY 36 kg and
 * J2 hydro 1840 CNY 10 kg: 2652.5 CNY, 46 kg, the optimum (J1 east, J2
 * hydro: 2870 CNY). Both solvers: the priced one reaches it by a price
 * or by the exchange its repair makes when no single move helps. */
START_TEST(test_budget_needs_a_swap)
{
	ewc_ctx *ctx = t_ctx(CATALOG, regions(1, 1, 0));
	ewc_jobs *jobs = t_jobs(ctx, HEADER "J1,train,A100,1,100,city,,\nJ2,train,A100,1,200,city,,\n");
	int solvers[] = { EWC_SOLVER_DIRECT, EWC_SOLVER_DECOMPOSE };

	for (size_t i = 0; i < 2; i++) {
		ewc_place_options o = cost_opts();
		ewc_plan *plan;
		ewc_totals t;
		o.solver = solvers[i];
		plan = place_ok(ctx, jobs, &o);
		t = totals(plan);
		ck_assert_near(t.cost_cny, 2545);
		ck_assert_near(t.carbon_kg, 77);
		ewc_plan_free(plan);
		o.carbon_budget_kg = 50;
		plan = place_ok(ctx, jobs, &o);
		t = totals(plan);
		ck_assert_near(t.cost_cny, 2652.5);
		ck_assert_near(t.carbon_kg, 46);
		ck_assert_str_eq(region_of(plan, 0), "coal");
		ck_assert_str_eq(region_of(plan, 1), "hydro");
		ewc_plan_free(plan);
	}
	ewc_jobs_free(jobs);
	ewc_ctx_free(ctx);
}
END_TEST

/* The side rows at scale (priced into the objective, from the free plan)
 * against the direct model proven at gap 0, on random lists of the four
 * regions above with a carbon budget, a green share or a region share
 * that binds: the rules hold, the priority is the direct model's, the
 * lower bound never passes the proven optimum, and a plan called proven
 * is optimal. */
/* n random training jobs into csv: 1-6 A100 (a third may also run on
 * D910), 10-100 h, priority 1-3. */
static void random_list(char *csv, size_t size, int n)
{
	size_t u = (size_t)snprintf(csv, size, "%s", "id,kind,gpu_type,gpus,hours,origin,priority\n");

	for (int j = 0; j < n; j++)
		u += (size_t)snprintf(csv + u, size - u, "j%d,train,%s,%u,%u,city,%u\n", j,
		                      t_rnd(3) ? "A100" : "A100|D910", 1 + t_rnd(6), 10 + 10 * t_rnd(10),
		                      1 + t_rnd(3));
}

START_TEST(test_priced_sides_match_direct)
{
	int compared = 0, found = 0, optimal = 0;

	t_rng_state = 0xabcdef + (unsigned long)_i * 7919;
	for (int round = 0; round < 40; round++) {
		char csv[2048];
		int n = 5 + (int)t_rnd(6), kind = (int)t_rnd(3);
		ewc_ctx *ctx = t_ctx(CATALOG, regions(2 + t_rnd(10), 2 + t_rnd(10), 1));
		ewc_jobs *jobs;
		ewc_place_options d = EWC_PLACE_OPTIONS_INIT, x;
		ewc_plan *pd = NULL, *pf = NULL, *px = NULL;
		ewc_totals td = EWC_TOTALS_INIT, tf = EWC_TOTALS_INIT, tx = EWC_TOTALS_INIT;
		int rd, rx;

		random_list(csv, sizeof csv, n);
		jobs = t_jobs(ctx, csv);
		d.mip_gap = 0;
		d.solver = EWC_SOLVER_DIRECT;
		/* the free plan, then a rule it misses */
		ck_assert_int_eq(ewc_place(&pf, ctx, jobs, &d), 0);
		ck_assert_int_eq(ewc_plan_totals(pf, &tf), 0);
		ewc_plan_free(pf);
		if (kind == 0)
			d.carbon_budget_kg = tf.carbon_kg * (0.6 + 0.35 * t_rnd(100) / 100.0);
		else if (kind == 1)
			d.min_green_share = fmin(0.8, tf.green_kwh / fmax(1e-9, tf.energy_kwh) + 0.05 +
			                                  0.3 * t_rnd(100) / 100.0);
		else
			d.max_region_share = 0.3 + 0.4 * t_rnd(100) / 100.0;
		x = d;
		x.solver = EWC_SOLVER_DECOMPOSE;
		x.mip_gap = 1e-4;
		x.time_limit = 0.5;
		rd = ewc_place(&pd, ctx, jobs, &d);
		rx = ewc_place(&px, ctx, jobs, &x);
		/* a rule no plan meets: the priced solver finds none either */
		if (rd != 0) {
			ck_assert_int_eq(rd, EWC_EPOLICY);
			ck_assert_msg(rx == EWC_EPOLICY, "round %d: %d", round, rx);
			ewc_jobs_free(jobs);
			ewc_ctx_free(ctx);
			continue;
		}
		compared++;
		ck_assert_int_eq(ewc_plan_totals(pd, &td), 0);
		if (rx == 0) {
			double tol = 1e-6 * fmax(1, td.objective);
			found++;
			ck_assert_int_eq(ewc_plan_totals(px, &tx), 0);
			ck_assert_double_eq_tol(tx.priority_placed, td.priority_placed, 1e-9);
			if (kind == 0)
				ck_assert_double_le(tx.carbon_kg, d.carbon_budget_kg * (1 + 1e-7) + 1e-9);
			else if (kind == 1)
				ck_assert_double_ge(tx.green_kwh, d.min_green_share * tx.energy_kwh * (1 - 1e-7));
			ck_assert_msg(tx.lower_bound <= td.objective + tol,
			              "round %d: bound %.9g > %.9g\n%s", round, tx.lower_bound,
			              td.objective, csv);
			ck_assert_double_ge(tx.objective, td.objective - tol);
			if (ewc_plan_proven(px))
				ck_assert_double_le(tx.objective, td.objective * (1 + 1e-4) + tol);
			optimal += tx.objective <= td.objective + tol;
			ewc_plan_free(px);
		} else {
			ck_assert_int_eq(rx, EWC_EPOLICY);
		}
		ewc_plan_free(pd);
		ewc_jobs_free(jobs);
		ewc_ctx_free(ctx);
	}
	ck_assert_int_ge(compared, 20);
	/* a heuristic: it finds a plan on most, the best on many */
	ck_assert_msg(found * 10 >= compared * 8, "plans on %d of %d", found, compared);
	ck_assert_msg(optimal * 3 >= found, "optimal on %d of %d", optimal, found);
}
END_TEST

/* The frontier's points at scale (its carbon caps priced into the
 * objective, each from its greener neighbour) against the direct model
 * proven at gap 0 under the same cap: each point meets its cap, places the
 * same priority, costs no less than the optimum, its lower bound never
 * passes it, and most points are the optimum. */
START_TEST(test_frontier_priced_match_direct)
{
	int points = 0, optimal = 0;

	t_rng_state = 0xf00d + (unsigned long)_i * 15485863;
	for (int round = 0; round < 10; round++) {
		char csv[2048];
		int n = 5 + (int)t_rnd(6);
		ewc_ctx *ctx = t_ctx(CATALOG, regions(4 + t_rnd(10), 2 + t_rnd(10), 1));
		ewc_jobs *jobs;
		ewc_place_options x = EWC_PLACE_OPTIONS_INIT;
		ewc_frontier *f = NULL;

		random_list(csv, sizeof csv, n);
		jobs = t_jobs(ctx, csv);
		x.solver = EWC_SOLVER_DECOMPOSE;
		x.time_limit = 0.5;
		ck_assert_msg(ewc_frontier_make(&f, ctx, jobs, &x, 6) == 0, "%s", ewc_errmsg());
		for (size_t i = 0; i < ewc_frontier_count(f); i++) {
			ewc_frontier_pt pt = point(f, i);
			ewc_place_options d = EWC_PLACE_OPTIONS_INIT;
			ewc_plan *pd = NULL;
			ewc_totals td = EWC_TOTALS_INIT, tx = EWC_TOTALS_INIT;
			double tol;
			if (pt.carbon_cap_kg < 0)
				continue; /* an end */
			ck_assert_int_eq(ewc_plan_totals(ewc_frontier_plan(f, i), &tx), 0);
			ck_assert_double_le(pt.carbon_kg, pt.carbon_cap_kg * (1 + 1e-7) + 1e-9);
			d.mode = EWC_MODE_COST;
			d.solver = EWC_SOLVER_DIRECT;
			d.mip_gap = 0;
			d.carbon_budget_kg = pt.carbon_cap_kg;
			ck_assert_int_eq(ewc_place(&pd, ctx, jobs, &d), 0);
			ck_assert_int_eq(ewc_plan_totals(pd, &td), 0);
			ck_assert_int_eq(ewc_plan_proven(pd), 1);
			ck_assert_double_le(tx.priority_placed, td.priority_placed + 1e-9);
			if (tx.priority_placed < td.priority_placed - 1e-9) {
				ewc_plan_free(pd);
				continue; /* the cheapest plan found placed less */
			}
			points++;
			tol = 1e-6 * fmax(1, td.objective);
			ck_assert_double_ge(tx.objective, td.objective - tol);
			ck_assert_msg(tx.lower_bound <= td.objective + tol, "round %d: bound %.9g > %.9g\n%s",
			              round, tx.lower_bound, td.objective, csv);
			if (pt.proven)
				ck_assert_double_le(tx.objective, td.objective * (1 + 1e-4) + tol);
			optimal += tx.objective <= td.objective + tol;
			ewc_plan_free(pd);
		}
		ewc_frontier_free(f);
		ewc_jobs_free(jobs);
		ewc_ctx_free(ctx);
	}
	ck_assert_int_ge(points, 10);
	ck_assert_msg(optimal * 3 >= points * 2, "optimal on %d of %d", optimal, points);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("planning");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_carbon_budget);
	tcase_add_test(tc, test_green_share);
	tcase_add_test(tc, test_region_share);
	tcase_add_test(tc, test_deadline_transfer);
	tcase_add_test(tc, test_capacity_shadow_price);
	tcase_add_test(tc, test_whatif_capacity_never_hurts);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_settings_add_type);
	tcase_add_test(tc, test_domestic_hours);
	tcase_add_test(tc, test_frontier);
	tcase_add_test(tc, test_budget_needs_a_swap);
	tcase_add_loop_test(tc, test_priced_sides_match_direct, 0, 3);
	tcase_add_loop_test(tc, test_frontier_priced_match_direct, 0, 3);
	suite_add_tcase(s, tc);
	return t_run(s);
}
