/* setup: make a portal ready — token, portal, property group, identity property, mapping. */
#include "app.h"
#include "hubspot.h"
#include "mapping.h"
#include "portal.h"
#include "routes.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A refusal from HubSpot: one message, and exit 3 (auth, scopes) or 3 for the rest too. */
static int refused(const char *what, enum hs_result hr, const struct hs_response *resp)
{
	error("%s: %s", what, resp->message ? resp->message : hs_result_name(hr));
	return EXIT_REFUSED;
}

/* 2xx: created; 409: it was there already. Anything else is a failure. */
static int create_one(struct hs_client *c, const char *path, cJSON *body, const char *what,
		      const char **outcome)
{
	struct hs_response resp;
	enum hs_result hr = hs_call(c, "POST", path, body, true, &resp);
	int rc = 0;

	if (hr == HS_OK)
		*outcome = "created";
	else if (hr == HS_CLIENT_ERROR && resp.status == 409)
		*outcome = "found";
	else
		rc = refused(what, hr, &resp);
	hs_response_release(&resp);
	return rc;
}

/* The property group: GET it, else create it (409 counts as found). */
static int ensure_group(struct hs_client *c, bool dry_run, const char **outcome)
{
	struct hs_response resp;
	char *path = hs_path_meeting_property_group(PORTAL_GROUP);
	enum hs_result hr = hs_call(c, "GET", path, NULL, true, &resp);
	cJSON *body;
	int rc;

	free(path);
	if (hr == HS_OK) {
		*outcome = "found";
		hs_response_release(&resp);
		return 0;
	}
	if (!(hr == HS_CLIENT_ERROR && resp.status == 404)) {
		rc = refused("cannot read the meeting property groups", hr, &resp);
		hs_response_release(&resp);
		return rc;
	}
	hs_response_release(&resp);
	if (dry_run) {
		*outcome = "would be created";
		return 0;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", PORTAL_GROUP);
	cJSON_AddStringToObject(body, "label", PORTAL_GROUP_LABEL);
	cJSON_AddNumberToObject(body, "displayOrder", -1);
	rc = create_one(c, hs_route(HS_MEETING_PROPERTY_GROUPS), body,
			"cannot create the property group '" PORTAL_GROUP "'", outcome);
	cJSON_Delete(body);
	return rc;
}

static int create_identity(struct hs_client *c, const char *name, const char **outcome)
{
	cJSON *body = cJSON_CreateObject();
	char *what = xasprintf("cannot create the meeting property '%s'", name);
	int rc;

	cJSON_AddStringToObject(body, "name", name);
	cJSON_AddStringToObject(body, "label", "ics2hubspot key");
	cJSON_AddStringToObject(body, "type", "string");
	cJSON_AddStringToObject(body, "fieldType", "text");
	cJSON_AddStringToObject(body, "groupName", PORTAL_GROUP);
	cJSON_AddStringToObject(body, "description",
				"Set by ics2hubspot: the calendar event's UID[#RECURRENCE-ID], so "
				"that it never creates a meeting twice. Do not edit.");
	rc = create_one(c, hs_route(HS_MEETING_PROPERTIES), body, what, outcome);
	cJSON_Delete(body);
	free(what);
	return rc;
}

/*
 * 1b. The token's read scopes, one look-up per feature the mapping uses (a
 * search or a page of one result): every missing scope is named in one error
 * (exit 3) instead of one per run later. Write scopes cannot be checked
 * without writing: setup's own creates and the first import show them.
 */
static int check_scopes(struct hs_client *c, const struct mapping *m)
{
	const struct mapping_contacts *mc = mapping_contacts(m);
	struct {
		const char *feature;
		bool wanted;
		enum hs_route route;
		bool search;
	} probes[] = {
		{"meetings", true, HS_MEETINGS_SEARCH, true},
		{"attendee contacts", mc && mc->enabled, HS_CONTACTS_SEARCH, true},
		{"attendee companies", mapping_wants_companies(m), HS_COMPANIES_SEARCH, true},
		{"the organizer as owner", mapping_owner_property(m) != NULL, HS_OWNERS, false},
	};
	struct sbuf ok = SBUF_INIT, missing = SBUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]) && !rc; i++) {
		struct hs_response resp;
		enum hs_result hr;

		if (!probes[i].wanted)
			continue;
		if (probes[i].search) {
			cJSON *body = cJSON_CreateObject();

			cJSON_AddArrayToObject(body, "filterGroups");
			hs_search_body_end(body, "hs_object_id", NULL, NULL, 0, 1, NULL);
			hr = hs_call(c, "POST", hs_route(probes[i].route), body, true, &resp);
			cJSON_Delete(body);
		} else {
			char *path = xasprintf("%s?limit=1", hs_route(probes[i].route));

			hr = hs_call(c, "GET", path, NULL, true, &resp);
			free(path);
		}
		if (hr == HS_OK) {
			sbuf_addf(&ok, "%s%s", ok.len ? ", " : "", probes[i].feature);
		} else if (hr == HS_AUTH && resp.status == 403) {
			sbuf_addf(&missing, "\n  %s: %s", probes[i].feature,
				  resp.message ? resp.message : "refused (403)");
			hs_client_resume(c);
		} else {
			rc = refused("cannot check the token's scopes", hr, &resp);
		}
		hs_response_release(&resp);
	}
	if (!rc && missing.len) {
		error("the token lacks scopes for what the mapping uses (grant them to the service "
		      "key or private app, then run setup again):%s",
		      missing.buf);
		rc = EXIT_REFUSED;
	} else if (!rc) {
		printf("scopes: reading %s: granted (write scopes are checked by the creates)\n",
		       ok.buf);
	}
	sbuf_release(&ok);
	sbuf_release(&missing);
	return rc;
}

static int setup_run(struct hs_client *c, const char *token, const struct mapping *m,
		     const struct app_options *o)
{
	const char *identity = mapping_identity_property(m);
	const char *group_outcome = NULL, *prop_outcome = NULL;
	struct portal p;
	struct hs_response fail;
	enum hs_result hr;
	cJSON *props = NULL;
	const cJSON *def;
	char *problem;
	int rc;

	/* 1. The token, and the portal it belongs to. */
	hr = portal_lookup(c, token, &p, &fail);
	if (hr != HS_OK) {
		rc = refused("cannot learn the portal", hr, &fail);
		hs_response_release(&fail);
		return rc;
	}
	printf("portal %lld", p.id);
	if (p.ui_domain || p.time_zone)
		printf(" (%s%s%s)", p.ui_domain ? p.ui_domain : "",
		       p.ui_domain && p.time_zone ? ", " : "", p.time_zone ? p.time_zone : "");
	printf("\n");
	portal_release(&p);
	rc = check_scopes(c, m);
	if (rc)
		return rc;

	/* 2. The identity property, in a property group of our own. */
	hr = portal_meeting_properties(c, &props, &fail);
	if (hr != HS_OK) {
		rc = refused("cannot read the portal's meeting properties", hr, &fail);
		hs_response_release(&fail);
		return rc;
	}
	def = portal_find_property(props, identity);
	if (def) {
		const char *type =
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(def, "type"));

		printf("meeting property '%s': found\n", identity);
		if (type && strcmp(type, "string")) {
			cJSON_Delete(props);
			error("the meeting property '%s' is of type '%s'; the identity property "
			      "must be a single-line text: choose another identity_property in "
			      "the mapping",
			      identity, type);
			return EXIT_USAGE;
		}
	} else {
		rc = ensure_group(c, o->dry_run, &group_outcome);
		if (!rc && o->dry_run)
			prop_outcome = "would be created";
		else if (!rc)
			rc = create_identity(c, identity, &prop_outcome);
		if (rc) {
			cJSON_Delete(props);
			return rc;
		}
		printf("property group '%s': %s\n", PORTAL_GROUP, group_outcome);
		printf("meeting property '%s': %s\n", identity, prop_outcome);
		if (!o->dry_run) {
			cJSON_Delete(props);
			hr = portal_meeting_properties(c, &props, &fail);
			if (hr != HS_OK) {
				rc = refused("cannot read the portal's meeting properties", hr,
					     &fail);
				hs_response_release(&fail);
				return rc;
			}
		}
	}

	/* 3. Every property the mapping writes. */
	if (o->dry_run) {
		/* the identity property may not exist yet: check the rest */
		problem = NULL;
		for (size_t i = 0; i < mapping_nproperties(m) && !problem; i++)
			if (!portal_find_property(props, mapping_property_name(m, i)))
				problem = xasprintf("property '%s' does not exist in your portal",
						    mapping_property_name(m, i));
		rc = problem ? error("%s: %s", mapping_path(m), problem) : 0;
		free(problem);
	} else {
		rc = mapping_check_remote_properties(m, props);
	}
	cJSON_Delete(props);
	if (rc)
		return EXIT_USAGE;
	printf("mapping %s: every property it writes exists\n", mapping_path(m));
	if (o->dry_run)
		printf("dry run: nothing was created; next: ics2hubspot setup%s%s\n",
		       o->mapping ? " -m " : "", o->mapping ? o->mapping : "");
	else
		printf("ready; next: ics2hubspot import%s%s CALENDAR...\n",
		       o->mapping ? " -m " : "", o->mapping ? o->mapping : "");
	return EXIT_DONE;
}

int cmd_setup(const struct app_options *o)
{
	struct mapping *m;
	struct hs_client *c;
	char *token;
	int rc;

	if (o->nargs) {
		error("setup: unexpected argument '%s' (setup takes no calendar)", o->args[0]);
		return EXIT_USAGE;
	}
	m = mapping_load(o->mapping);
	if (!m)
		return EXIT_USAGE;
	token = app_token(o);
	if (!token) {
		mapping_free(m);
		return EXIT_USAGE;
	}
	{
		struct hs_options ho = {.api_base = app_api_base(o),
					.token = token,
					.rate_max = o->rate_max,
					.rate_interval_ms = o->rate_interval_ms};

		c = hs_client_new(&ho);
	}
	rc = setup_run(c, token, m, o);
	hs_client_free(c);
	memset(token, 0, strlen(token));
	free(token);
	mapping_free(m);
	return rc;
}
