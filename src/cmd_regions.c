/* cmd_regions.c - `ewc regions list|validate`: inspect region descriptors */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "tool.h"

static void list(ewc_ctx *ctx)
{
	printf("%-20s %-4s %9s %6s %8s %5s  %s\n", "REGION", "ZONE", "CNY/KWH", "GREEN",
	       "KG/KWH", "PUE", "FREE GPUS (CNY/GPU-H)");
	for (size_t i = 0; i < ewc_region_count(ctx); i++) {
		ewc_region_info r = EWC_REGION_INFO_INIT;
		ewc_region_get(ctx, i, &r);
		printf("%-20s %-4s %9.3f %5.1f%% %8.4f %5.2f ", r.id, ewc_zone_name(r.zone),
		       r.power_price, 100.0 * r.green_share, r.grid_factor, r.pue);
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

int cmd_regions(int argc, char **argv)
{
	tool_regions r = { { 0 }, 0 };
	const char *sub = argc > 1 ? argv[1] : NULL;
	ewc_ctx *ctx;

	if (!sub)
		return tool_usage("regions", "regions needs a subcommand: list or validate");
	if (strcmp(sub, "--help") == 0) {
		cmd_help_text("regions", stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "list") && strcmp(sub, "validate"))
		return tool_usage("regions", "unknown subcommand \"%s\": use list or validate", sub);
	for (int i = 2; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			return tool_usage("regions", "unknown option %s", argv[i]);
		if (tool_regions_add(&r, "regions", argv[i]))
			return EXIT_USAGE;
	}
	ctx = tool_load(&r);
	if (!ctx)
		return EXIT_ERR;
	if (strcmp(sub, "list") == 0) {
		list(ctx);
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
