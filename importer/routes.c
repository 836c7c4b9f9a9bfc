/* routes: every HubSpot API path, for the one API version this process speaks. */
#include "routes.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *const version_names[] = {
	[HS_API_2026_09] = "2026-09",
	[HS_API_2026_03] = "2026-03",
};

/* Each path is head + version + tail, from HubSpot's specs of that version (docs/hubspot-api.md).
 */
static const struct {
	const char *head, *tail;
} templates[HS_ROUTE_COUNT] = {
	[HS_MEETINGS_BATCH_CREATE] = {"/crm/objects/", "/meetings/batch/create"},
	[HS_MEETINGS_BATCH_UPDATE] = {"/crm/objects/", "/meetings/batch/update"},
	[HS_MEETINGS_BATCH_ARCHIVE] = {"/crm/objects/", "/meetings/batch/archive"},
	[HS_MEETINGS_BATCH_READ] = {"/crm/objects/", "/meetings/batch/read"},
	[HS_MEETINGS_SEARCH] = {"/crm/objects/", "/meetings/search"},
	[HS_CONTACTS_BATCH_READ] = {"/crm/objects/", "/contacts/batch/read"},
	[HS_CONTACTS_BATCH_UPSERT] = {"/crm/objects/", "/contacts/batch/upsert"},
	[HS_CONTACTS_SEARCH] = {"/crm/objects/", "/contacts/search"},
	[HS_COMPANIES_SEARCH] = {"/crm/objects/", "/companies/search"},
	[HS_MEETING_PROPERTIES] = {"/crm/properties/", "/meetings"},
	[HS_MEETING_PROPERTY_GROUPS] = {"/crm/properties/", "/meetings/groups"},
	[HS_OWNERS] = {"/crm/owners/", ""},
	[HS_ACCOUNT_DETAILS] = {"/account-info/", "/details"},
};

#define ROUTE_MAX 80

static enum hs_api_version current = HS_API_DEFAULT;
static char routes[HS_ROUTE_COUNT][ROUTE_MAX];
static bool built;

int hs_api_version_parse(const char *name, enum hs_api_version *v)
{
	for (size_t i = 0; i < sizeof(version_names) / sizeof(version_names[0]); i++) {
		if (name && !strcmp(name, version_names[i])) {
			*v = (enum hs_api_version)i;
			return 0;
		}
	}
	return -1;
}

const char *hs_api_version_name(enum hs_api_version v)
{
	return version_names[v];
}

const char *hs_api_versions_known(void)
{
	return "2026-09, 2026-03";
}

void hs_api_set_version(enum hs_api_version v)
{
	current = v;
	built = false;
}

enum hs_api_version hs_api_version(void)
{
	return current;
}

const char *hs_route(enum hs_route r)
{
	if (!built) {
		for (int i = 0; i < HS_ROUTE_COUNT; i++) {
			snprintf(routes[i], sizeof(routes[i]), "%s%s%s", templates[i].head,
				 version_names[current], templates[i].tail);
		}
		built = true;
	}
	return routes[r];
}

char *hs_path_assoc_batch(const char *to, const char *op)
{
	return xasprintf("/crm/associations/%s/meetings/%s/batch/%s", version_names[current], to,
			 op);
}

char *hs_path_meeting_property(const char *name)
{
	return xasprintf("%s/%s", hs_route(HS_MEETING_PROPERTIES), name);
}

char *hs_path_meeting_property_group(const char *name)
{
	return xasprintf("%s/%s", hs_route(HS_MEETING_PROPERTY_GROUPS), name);
}
