/* routes: every HubSpot API path, for the one API version this process speaks. */
#ifndef ROUTES_H
#define ROUTES_H

/*
 * HubSpot versions its APIs by date (/crm/objects/2026-09/meetings/...). This
 * module is the only one that knows a path: the others ask for a route. The
 * version is chosen once (--api-version, $HUBSPOT_API_VERSION) before the
 * first request; HS_API_DEFAULT until then. No legacy (v1-v4) path is spoken.
 */

enum hs_api_version {
	HS_API_2026_09, /* current: partial failures answer 200/201 with "errors" */
	HS_API_2026_03, /* previous: partial failures answer 207 */
};
#define HS_API_DEFAULT HS_API_2026_09

/* "2026-09" -> *v, 0; -1 for a name we do not speak (no message). */
int hs_api_version_parse(const char *name, enum hs_api_version *v);
/* "2026-09". */
const char *hs_api_version_name(enum hs_api_version v);
/* The names we speak, for a usage message: "2026-09, 2026-03". */
const char *hs_api_versions_known(void);
void hs_api_set_version(enum hs_api_version v);
enum hs_api_version hs_api_version(void);

/* Fixed routes (borrowed strings, valid until the version changes). */
enum hs_route {
	HS_MEETINGS_BATCH_CREATE,
	HS_MEETINGS_BATCH_UPDATE,
	HS_MEETINGS_BATCH_ARCHIVE,
	HS_MEETINGS_BATCH_READ,
	HS_MEETINGS_SEARCH,
	HS_CONTACTS_BATCH_READ,
	HS_CONTACTS_BATCH_UPSERT,
	HS_CONTACTS_SEARCH,
	HS_COMPANIES_SEARCH,
	HS_MEETING_PROPERTIES, /* GET the definitions, POST one */
	HS_MEETING_PROPERTY_GROUPS, /* POST one */
	HS_OWNERS, /* GET, paged with ?limit=&after= */
	HS_ACCOUNT_DETAILS,
	HS_ROUTE_COUNT
};
const char *hs_route(enum hs_route r);

/* Built routes (the caller frees them). */
/* POST associations from meetings to `to` (contacts...): op "create", "archive"... */
char *hs_path_assoc_batch(const char *to, const char *op);
/* One meeting property definition, or one property group: GET or DELETE. */
char *hs_path_meeting_property(const char *name);
char *hs_path_meeting_property_group(const char *name);

#endif
