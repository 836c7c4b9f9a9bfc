/* portal: which HubSpot portal a token belongs to, and whether it is ready for the mapping. */
#ifndef PORTAL_H
#define PORTAL_H

#include "hubspot.h"
#include "mapping.h"

#include <stdbool.h>

/* The property group ics2hubspot creates on meetings for its own properties. */
#define PORTAL_GROUP	   "ics2hubspot"
#define PORTAL_GROUP_LABEL "ics2hubspot"

struct portal {
	long long id; /* HubSpot's portal (hub) id; 0 when unknown */
	char *ui_domain; /* e.g. app.hubspot.com (account-info only), or NULL */
	char *time_zone; /* e.g. US/Eastern (account-info only), or NULL */
};
void portal_release(struct portal *p);

/*
 * Learn the portal: GET the account details (routes.h). On failure returns
 * the result and leaves HubSpot's message in *fail (release it).
 */
enum hs_result portal_lookup(struct hs_client *c, struct portal *p, struct hs_response *fail);

/*
 * The start of a meeting's record page in HubSpot's web app,
 * "https://<uiDomain>/contacts/<portalId>/record/0-47/" (docs/hubspot-api.md,
 * "Record links": the form HubSpot's own tools build; not in HubSpot's API
 * reference), or NULL when the portal id or a plausible uiDomain (a host name:
 * letters, digits, '.', '-') is not known. Free it.
 */
char *portal_meeting_url_prefix(const struct portal *p);

/*
 * What the state remembers of a token to know its portal without asking:
 * a 64-bit hash of the API base and the token (16 hex digits; free it). Not the
 * token, and not enough to recover it.
 */
char *portal_token_fingerprint(const char *api_base, const char *token);

/* GET the meeting property definitions; on HS_OK *props is the answer (cJSON_Delete it). */
enum hs_result portal_meeting_properties(struct hs_client *c, cJSON **props,
					 struct hs_response *fail);

/*
 * The import pre-flight, against the answer of GET the meeting property definitions:
 * the identity property exists and is a string, and every mapped property exists
 * and is writable. NULL when all is well, else a message naming the first
 * property at fault (free it).
 */
char *portal_preflight(const struct mapping *m, const cJSON *properties);

/* A property definition in a properties answer, or NULL. */
const cJSON *portal_find_property(const cJSON *properties, const char *name);

#endif
