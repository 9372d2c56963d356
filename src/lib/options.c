/* options.c - the placement options: modes, checks, version defaults, policy files */
/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "xml_int.h"

const char *ewc_mode_name(ewc_mode mode)
{
	switch (mode) {
	case EWC_MODE_COST: return "cost";
	case EWC_MODE_CARBON: return "carbon";
	default: return "balanced";
	}
}

const char *ewc_carbon_basis_name(ewc_carbon_basis basis)
{
	return basis == EWC_BASIS_LOCATION ? "location" : "market";
}

int ewc_carbon_basis_parse(ewc_carbon_basis *out, const char *name)
{
	if (name && strcmp(name, "market") == 0)
		*out = EWC_BASIS_MARKET;
	else if (name && strcmp(name, "location") == 0)
		*out = EWC_BASIS_LOCATION;
	else
		return ewc__seterr(EWC_EINVAL,
		                   "unknown carbon basis \"%s\": use market or location",
		                   name ? name : "");
	return 0;
}

ewc_carbon_basis ewc__basis(const ewc_place_options *opts)
{
	return opts && opts->version >= 4 ? opts->carbon_basis : EWC_BASIS_MARKET;
}

int ewc_mode_parse(ewc_mode *out, const char *name)
{
	static const ewc_mode all[] = { EWC_MODE_BALANCED, EWC_MODE_COST, EWC_MODE_CARBON };

	for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
		if (strcmp(name, ewc_mode_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return ewc__seterr(EWC_EINVAL, "unknown mode \"%s\": use balanced, cost or carbon",
	                   name ? name : "");
}

void ewc__options_copy(ewc_place_options *dst, const ewc_place_options *src)
{
	ewc_place_options def = EWC_PLACE_OPTIONS_INIT;

	*dst = def;
	if (src->version == 1)
		memcpy(dst, src, offsetof(ewc_place_options, solver));
	else if (src->version == 2)
		memcpy(dst, src, offsetof(ewc_place_options, carbon_budget_kg));
	else if (src->version == 3)
		memcpy(dst, src, offsetof(ewc_place_options, carbon_basis));
	else if (src->version == 4)
		memcpy(dst, src, offsetof(ewc_place_options, horizon_h));
	else
		*dst = *src;
	dst->version = EWC_PLACE_OPTIONS_VERSION;
}

int ewc__check_options(const ewc_place_options *opts, const char *who)
{
	if (opts->version < 1 || opts->version > EWC_PLACE_OPTIONS_VERSION)
		return ewc__seterr(EWC_EVERSION, "%s: options version %u not supported", who,
		                   opts->version);
	if (opts->mode != EWC_MODE_BALANCED && opts->mode != EWC_MODE_COST &&
	    opts->mode != EWC_MODE_CARBON)
		return ewc__seterr(EWC_EINVAL, "%s: unknown mode %d", who, (int)opts->mode);
	if (opts->version >= 2 && opts->solver != EWC_SOLVER_AUTO &&
	    opts->solver != EWC_SOLVER_DIRECT && opts->solver != EWC_SOLVER_DECOMPOSE)
		return ewc__seterr(EWC_EINVAL, "%s: unknown solver %d", who, (int)opts->solver);
	if (opts->version >= 4 && opts->carbon_basis != EWC_BASIS_MARKET &&
	    opts->carbon_basis != EWC_BASIS_LOCATION)
		return ewc__seterr(EWC_EINVAL, "%s: unknown carbon basis %d", who,
		                   (int)opts->carbon_basis);
	if (opts->version >= 5 &&
	    (opts->horizon_h < 0 || opts->horizon_h > EWC_HORIZON_MAX ||
	     !isfinite(opts->start_time) || opts->start_time < 0 ||
	     fmod(opts->start_time, 3600.0) != 0))
		return ewc__seterr(EWC_EINVAL, "%s: the horizon must be 0 to %d hours from a whole "
		                   "hour", who, EWC_HORIZON_MAX);
	if (!(isfinite(opts->carbon_price) && opts->carbon_price >= 0 &&
	      opts->carbon_price <= EWC__FIGURE_MAX))
		return ewc__seterr(EWC_EINVAL, "carbon price must be a number from 0 to 1e+12");
	if (opts->version >= 3) {
		/* negative: not set; NaN is a mistake, not "unset" */
		if (isnan(opts->carbon_budget_kg) || opts->carbon_budget_kg == HUGE_VAL)
			return ewc__seterr(EWC_EINVAL, "carbon budget must be a number of kg >= 0");
		if (!(opts->min_green_share < 0 || opts->min_green_share <= 1) ||
		    isnan(opts->min_green_share))
			return ewc__seterr(EWC_EINVAL, "minimum green share must be between 0 and 1");
		if (!(opts->max_region_share < 0 ||
		      (opts->max_region_share > 0 && opts->max_region_share <= 1)) ||
		    isnan(opts->max_region_share))
			return ewc__seterr(EWC_EINVAL, "maximum region share must be > 0 and <= 1");
	}
	return 0;
}

int ewc__no_policy(const ewc_place_options *opts, const char *who)
{
	if (opts->version >= 3 && (opts->carbon_budget_kg >= 0 || opts->min_green_share >= 0 ||
	                           opts->max_region_share >= 0))
		return ewc__seterr(EWC_EINVAL, "%s: policy constraints apply to whole job lists "
		                   "(ewc_place)", who);
	return 0;
}

/* A policy file: <policy carbon-budget-kg="" min-green-share=""
 * max-region-share=""/>, each attribute optional. Read with the same
 * hardened parser as the descriptors. */
int ewc_policy_load(ewc_place_options *opts, const char *path)
{
	static const char *const allowed[] = { "carbon-budget-kg", "min-green-share",
	                                        "max-region-share", NULL };
	ewc__diag d = { { NULL }, 0, 0, 0 };
	xmlDocPtr xml;
	xmlNodePtr root;
	double budget = -1, green = -1, share = -1;
	char *data;
	size_t len;
	int rc;

	if (!opts || !path)
		return ewc__seterr(EWC_EINVAL, "ewc_policy_load: NULL argument");
	if (opts->version < 3 || opts->version > EWC_PLACE_OPTIONS_VERSION)
		return ewc__seterr(EWC_EVERSION, "ewc_policy_load: options version %u has no policy",
		                   opts->version);
	rc = ewc__slurp(path, EWC__XML_MAX_BYTES, &data, &len);
	if (rc == EWC_ENOMEM)
		return ewc__seterr(rc, "out of memory");
	if (rc) /* the message names the file */
		return rc;
	xml = ewc__xml_parse(path, data, len, &d);
	if (xml && (root = xmlDocGetRootElement(xml)) != NULL) {
		if (!ewc__xml_is_elem(root, "policy")) {
			ewc__diag_add(&d, "%s:%ld: <%s>: the root element must be <policy>", path,
			              xmlGetLineNo(root), (const char *)root->name);
		} else {
			ewc__xml_check_attrs(&d, path, root, allowed);
			for (xmlNodePtr n = root->children; n; n = n->next)
				if (n->type == XML_ELEMENT_NODE)
					ewc__diag_add(&d, "%s:%ld: <%s>: unknown element in <policy>", path,
					              xmlGetLineNo(n), (const char *)n->name);
				else
					ewc__xml_check_content(&d, path, n, "policy");
			ewc__xml_attr_num(&d, path, root, "carbon-budget-kg", 0, EWC__R_GE0, &budget);
			ewc__xml_attr_num(&d, path, root, "min-green-share", 0, EWC__R_01, &green);
			ewc__xml_attr_num(&d, path, root, "max-region-share", 0, EWC__R_01, &share);
			if (share == 0)
				ewc__diag_add(&d, "%s:%ld: policy@max-region-share: must be > 0", path,
				              xmlGetLineNo(root));
		}
	}
	xmlFreeDoc(xml);
	free(data);
	if (d.oom) {
		ewc__diag_free(&d);
		return ewc__seterr(EWC_ENOMEM, "out of memory");
	}
	rc = ewc__diag_finish(&d, EWC_EINPUT);
	if (rc == 0) {
		if (budget >= 0)
			opts->carbon_budget_kg = budget;
		if (green >= 0)
			opts->min_green_share = green;
		if (share >= 0)
			opts->max_region_share = share;
	}
	return rc;
}
