/* portal: which HubSpot portal a token belongs to, and whether it is ready for the mapping. */
#include "portal.h"
#include "claims.h"
#include "routes.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

void portal_release(struct portal *p)
{
	if (!p)
		return;
	free(p->ui_domain);
	free(p->time_zone);
	memset(p, 0, sizeof(*p));
}

/* A JSON number or numeric string as a positive id, else 0. */
static long long id_of(const cJSON *v)
{
	if (cJSON_IsNumber(v) && v->valuedouble >= 1)
		return (long long)v->valuedouble;
	if (cJSON_IsString(v)) {
		char *end;
		long long n = strtoll(v->valuestring, &end, 10);

		if (end != v->valuestring && !*end && n > 0)
			return n;
	}
	return 0;
}

static char *string_of(const cJSON *obj, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));

	return s && *s ? xstrdup(s) : NULL;
}

char *portal_meeting_url_prefix(const struct portal *p)
{
	const char *d = p->ui_domain;

	if (!p->id || !d || !*d || strlen(d) > 253)
		return NULL;
	/* Only a host name goes into a link we print (never what a server made up). */
	for (const char *c = d; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			return NULL;
	return xasprintf("https://%s/contacts/%lld/record/0-47/", d, p->id);
}

enum hs_result portal_lookup(struct hs_client *c, struct portal *p, struct hs_response *fail)
{
	struct hs_response resp;
	enum hs_result hr;

	memset(p, 0, sizeof(*p));
	memset(fail, 0, sizeof(*fail));
	hr = hs_call(c, "GET", hs_route(HS_ACCOUNT_DETAILS), NULL, true, &resp);
	if (hr == HS_OK) {
		p->id = id_of(cJSON_GetObjectItemCaseSensitive(resp.body, "portalId"));
		if (p->id) {
			p->ui_domain = string_of(resp.body, "uiDomain");
			p->time_zone = string_of(resp.body, "timeZone");
			hs_response_release(&resp);
			return HS_OK;
		}
	}
	if (hr == HS_OK) {
		free(resp.message);
		resp.message = xstrdup("the account details did not name the portal");
		hr = HS_FAILED;
	}
	*fail = resp;
	return hr;
}

enum hs_result portal_meeting_properties(struct hs_client *c, cJSON **props,
					 struct hs_response *fail)
{
	struct hs_response resp;
	enum hs_result hr = hs_call(c, "GET", hs_route(HS_MEETING_PROPERTIES), NULL, true, &resp);

	*props = NULL;
	memset(fail, 0, sizeof(*fail));
	if (hr == HS_OK && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(resp.body, "results"))) {
		*props = resp.body;
		resp.body = NULL;
		hs_response_release(&resp);
		return HS_OK;
	}
	if (hr == HS_OK) {
		free(resp.message);
		resp.message =
			xasprintf("unexpected answer from GET %s", hs_route(HS_MEETING_PROPERTIES));
		hr = HS_FAILED;
	}
	*fail = resp;
	return hr;
}

const cJSON *portal_find_property(const cJSON *properties, const char *name)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(properties, "results"))
	{
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "name"));

		if (n && !strcmp(n, name))
			return r;
	}
	return NULL;
}

char *portal_preflight(const struct mapping *m, const cJSON *properties)
{
	const char *identity = mapping_identity_property(m);
	const cJSON *r = portal_find_property(properties, identity);
	const char *type;

	if (!r)
		return xasprintf("the meeting property '%s' (the identity property) does not "
				 "exist in this portal",
				 identity);
	type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "type"));
	if (type && strcmp(type, "string"))
		return xasprintf("the meeting property '%s' (the identity property) is of type "
				 "'%s', not a single-line text",
				 identity, type);
	r = portal_find_property(properties, CLAIMS_PROPERTY);
	if (!r)
		return xasprintf("the meeting property '%s' (which calendars claim a meeting) does "
				 "not exist in this portal",
				 CLAIMS_PROPERTY);
	for (size_t i = 0; i < mapping_nproperties(m); i++) {
		const char *name = mapping_property_name(m, i);
		const cJSON *meta;

		r = portal_find_property(properties, name);
		if (!r)
			return xasprintf(
				"the meeting property '%s' (in the mapping) does not exist "
				"in this portal",
				name);
		meta = cJSON_GetObjectItemCaseSensitive(r, "modificationMetadata");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(meta, "readOnlyValue")))
			return xasprintf("the meeting property '%s' (in the mapping) is read-only "
					 "in this portal",
					 name);
	}
	return NULL;
}

char *portal_token_fingerprint(const char *api_base, const char *token)
{
	struct sbuf sb = SBUF_INIT;
	char hex[17];

	sbuf_addf(&sb, "ics2hubspot token\n%s\n%s", api_base, token);
	hash64_hex(hash64(sb.buf, sb.len, HASH64_SEED), hex, sizeof(hex));
	memset(sb.buf, 0, sb.len);
	sbuf_release(&sb);
	return xstrdup(hex);
}
