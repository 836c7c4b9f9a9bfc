/* setup: make a portal ready — token, portal, property group, identity property, mapping. */
#include "app.h"
#include "hubspot.h"
#include "mapping.h"
#include "claims.h"
#include "portal.h"
#include "routes.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command that runs setup again with this mapping (set by cmd_setup). */
static char *setup_fix;

/*
 * A refusal from HubSpot: one message that ends with what to do, then the
 * command to run again; exit 3.
 */
static int refused(const char *what, enum hs_result hr, const struct hs_response *resp)
{
	const char *todo =
		hr == HS_AUTH && resp->status == 401
			? "check the token (HUBSPOT_ACCESS_TOKEN or --token-file), then run"
		: hr == HS_AUTH	       ? "grant the token the scope HubSpot names, then run"
		: hr == HS_DAILY_LIMIT ? "the portal's daily limit is spent: tomorrow, run"
				       : "when HubSpot answers again, run";

	error("%s: %s; %s: %s", what, resp->message ? resp->message : hs_result_name(hr), todo,
	      setup_fix);
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

/* A meeting property in our group: 2xx created, 409 found; else HubSpot's message in *why. */
static int create_property(struct hs_client *c, const char *name, const char *label,
			   const char *type, const char *field_type, const char *description,
			   const char **outcome, char **why)
{
	cJSON *body = cJSON_CreateObject();
	struct hs_response resp;
	enum hs_result hr;
	int rc = 0;

	cJSON_AddStringToObject(body, "name", name);
	cJSON_AddStringToObject(body, "label", label);
	cJSON_AddStringToObject(body, "type", type);
	cJSON_AddStringToObject(body, "fieldType", field_type);
	cJSON_AddStringToObject(body, "groupName", PORTAL_GROUP);
	cJSON_AddStringToObject(body, "description", description);
	hr = hs_call(c, "POST", hs_route(HS_MEETING_PROPERTIES), body, true, &resp);
	if (hr == HS_OK) {
		*outcome = "created";
	} else if (hr == HS_CLIENT_ERROR && resp.status == 409) {
		*outcome = "found";
	} else {
		*why = xstrdup(resp.message ? resp.message : hs_result_name(hr));
		rc = -1;
	}
	hs_response_release(&resp);
	cJSON_Delete(body);
	return rc;
}

/* One of our own single-line text properties; a refusal says how to make it by hand. */
static int create_own(struct hs_client *c, const char *name, const char *label,
		      const char *description, const char **outcome)
{
	char *why = NULL;
	int rc = create_property(c, name, label, "string", "text", description, outcome, &why);

	if (rc) {
		error("cannot create the meeting property '%s': %s; create it in HubSpot "
		      "(Settings > Properties > Meeting properties > Create property, internal name "
		      "'%s', field type 'Single-line text'), then run: %s",
		      name, why, name, setup_fix);
		free(why);
		return EXIT_REFUSED;
	}
	return 0;
}

static int create_identity(struct hs_client *c, const char *name, const char **outcome)
{
	return create_own(
		c, name, "ics2hubspot key",
		"Set by ics2hubspot: the calendar event's UID[#RECURRENCE-ID], so that it "
		"never creates a meeting twice. Do not edit.",
		outcome);
}

/* The claims property (claims.h): which calendars claim a meeting. */
static int create_claims(struct hs_client *c, const char **outcome)
{
	return create_own(c, CLAIMS_PROPERTY, "ics2hubspot claims",
			  "Set by ics2hubspot: which calendars hold this meeting, so that one that "
			  "drops it does not archive it for the others. Do not edit.",
			  outcome);
}

/* HubSpot's type and field type for a custom property's type in the mapping (NULL: text). */
static const struct custom_kind {
	const char *mapping, *type, *field_type, *ui;
} custom_kinds[] = {
	{"text", "string", "text", "Single-line text"},
	{"textarea", "string", "textarea", "Multi-line text"},
	{"number", "number", "number", "Number"},
	{"datetime", "datetime", "date", "Date and time picker"},
	{"select", "enumeration", "select", "Dropdown select"},
};

static const struct custom_kind *custom_kind(const char *type)
{
	for (size_t i = 0; i < sizeof(custom_kinds) / sizeof(custom_kinds[0]); i++)
		if (!strcmp(custom_kinds[i].mapping, type ? type : "text"))
			return &custom_kinds[i];
	return &custom_kinds[0];
}

/* Does the mapping write `name` (not only declare it)? */
static bool writes(const struct mapping *m, const char *name)
{
	for (size_t i = 0; i < mapping_nproperties(m); i++)
		if (!strcmp(mapping_property_name(m, i), name))
			return true;
	return false;
}

static void say_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void say_error(const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	error("%s", text);
	free(text);
}

/* The steps that make a property by hand, when setup cannot: HubSpot's settings, then setup. */
static void say_steps(const struct mapping *m, size_t i, const struct custom_kind *k,
		      const char *why, const char *fix)
{
	/* one the mapping only declares stops nothing: a warning */
	void (*say)(const char *, ...) = writes(m, mapping_custom_name(m, i)) ? say_error : warning;

	say("%s:%zu: setup cannot create the meeting property '%s' (%s); create it in HubSpot: "
	    "Settings > Properties > Meeting properties > Create property, internal name '%s', "
	    "field type '%s'%s; then run: %s",
	    mapping_path(m), mapping_custom_line(m, i), mapping_custom_name(m, i), why,
	    mapping_custom_name(m, i), k->ui,
	    strcmp(k->type, "enumeration") ? "" : ", with the options the mapping sends", fix);
}

/*
 * 2b. The mapping's custom_properties missing from the portal: created in our
 * group as the type the mapping says (single-line text when it says none);
 * a dropdown (select) needs its options, so its steps are printed instead.
 * Returns 0, or EXIT_REFUSED when one the mapping writes is still missing (one
 * it only declares gets its steps too). `group`: the property group is known
 * to exist (or, dry run, to be created). *created counts them.
 */
static int ensure_custom(struct hs_client *c, const struct mapping *m, const cJSON *props,
			 const struct app_options *o, const char *fix, bool group, size_t *created)
{
	const char *group_outcome = NULL;
	int rc = 0;

	for (size_t i = 0; i < mapping_ncustom(m); i++) {
		const char *name = mapping_custom_name(m, i);
		const struct custom_kind *k = custom_kind(mapping_custom_type(m, i));
		const char *outcome = NULL;
		char *why = NULL;

		if (portal_find_property(props, name))
			continue;
		if (!strcmp(k->type, "enumeration")) {
			say_steps(m, i, k, "a dropdown needs its options", fix);
			rc = writes(m, name) ? EXIT_REFUSED : rc;
			continue;
		}
		if (!group) {
			int grc = ensure_group(c, o->dry_run, &group_outcome);

			if (grc)
				return grc;
			group = true;
			info("property group '%s': %s", PORTAL_GROUP, group_outcome);
		}
		if (o->dry_run) {
			info("meeting property '%s' (%s, from %s:%zu): would be created", name,
			     k->ui, mapping_path(m), mapping_custom_line(m, i));
			(*created)++;
			continue;
		}
		if (create_property(c, name, name, k->type, k->field_type,
				    "Declared in an ics2hubspot mapping (custom_properties); "
				    "created by ics2hubspot setup.",
				    &outcome, &why)) {
			char *what = xasprintf("HubSpot: %s", why);

			say_steps(m, i, k, what, fix);
			free(what);
			free(why);
			rc = writes(m, name) ? EXIT_REFUSED : rc;
			continue;
		}
		info("meeting property '%s' (%s): %s", name, k->ui, outcome);
		(*created)++;
	}
	return rc;
}

/* A dry run's stand-in for a property it would create: present, writable, no options. */
static void add_would_be(cJSON *props, const char *name)
{
	cJSON *results = cJSON_GetObjectItemCaseSensitive(props, "results");
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "name", name);
	cJSON_AddStringToObject(d, "type", "string");
	cJSON_AddItemToArray(results, d);
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
		      "key or private app, then run: %s):%s",
		      setup_fix, missing.buf);
		rc = EXIT_REFUSED;
	} else if (!rc) {
		info("scopes: reading %s: granted (write scopes are checked by the creates)",
		     ok.buf);
	}
	sbuf_release(&ok);
	sbuf_release(&missing);
	return rc;
}

static int setup_run(struct hs_client *c, const struct mapping *m, const struct app_options *o)
{
	const char *identity = mapping_identity_property(m);
	const char *group_outcome = NULL, *prop_outcome = NULL;
	struct portal p;
	struct hs_response fail;
	enum hs_result hr;
	cJSON *props = NULL;
	const cJSON *def;
	size_t created = 0;
	int rc, found;

	/* 1. The token, and the portal it belongs to. */
	hr = portal_lookup(c, &p, &fail);
	if (hr != HS_OK) {
		rc = refused("cannot learn the portal", hr, &fail);
		hs_response_release(&fail);
		return rc;
	}
	info("portal %lld%s%s%s%s%s", p.id, p.ui_domain || p.time_zone ? " (" : "",
	     p.ui_domain ? p.ui_domain : "", p.ui_domain && p.time_zone ? ", " : "",
	     p.time_zone ? p.time_zone : "", p.ui_domain || p.time_zone ? ")" : "");
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

		info("meeting property '%s': found", identity);
		if (type && strcmp(type, "string")) {
			cJSON_Delete(props);
			error("%s: the meeting property '%s' is of type '%s'; the identity property "
			      "must be a single-line text: set identity_property in the mapping to "
			      "another name (e.g. identity_property: ics2hubspot_key), then run: %s",
			      mapping_path(m), identity, type, setup_fix);
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
		info("property group '%s': %s", PORTAL_GROUP, group_outcome);
		info("meeting property '%s': %s", identity, prop_outcome);
		if (o->dry_run)
			add_would_be(props, identity);
		else
			created++;
	}

	/* 2a. The claims property, in the same group (claims.h). */
	if (!portal_find_property(props, CLAIMS_PROPERTY)) {
		const char *claims_outcome = NULL;
		bool new_group = group_outcome == NULL;

		if (new_group)
			rc = ensure_group(c, o->dry_run, &group_outcome);
		if (!rc && o->dry_run)
			claims_outcome = "would be created";
		else if (!rc)
			rc = create_claims(c, &claims_outcome);
		if (rc) {
			cJSON_Delete(props);
			return rc;
		}
		if (new_group)
			info("property group '%s': %s", PORTAL_GROUP, group_outcome);
		info("meeting property '%s': %s", CLAIMS_PROPERTY, claims_outcome);
		if (o->dry_run)
			add_would_be(props, CLAIMS_PROPERTY);
		else
			created++;
	} else {
		info("meeting property '%s': found", CLAIMS_PROPERTY);
	}

	/* 2b. The mapping's own properties (custom_properties), created when missing. */
	rc = ensure_custom(c, m, props, o, setup_fix, group_outcome != NULL, &created);
	if (!o->dry_run && created) {
		cJSON_Delete(props);
		props = NULL;
		hr = portal_meeting_properties(c, &props, &fail);
		if (hr != HS_OK) {
			rc = refused("cannot read the portal's meeting properties", hr, &fail);
			hs_response_release(&fail);
			return rc;
		}
	}

	/* Still missing: would be created (dry run), or its steps are printed already. */
	for (size_t i = 0; i < mapping_ncustom(m); i++)
		if (!portal_find_property(props, mapping_custom_name(m, i)))
			add_would_be(props, mapping_custom_name(m, i));

	/*
	 * 3. Every property the mapping writes, and the values it holds: a property
	 * missing is exit 3 (as import's pre-flight and check --remote), a value
	 * that is not an option exit 1 (import would fail those meetings).
	 */
	found = mapping_check_remote_properties(m, props, setup_fix);
	cJSON_Delete(props);
	if (found < 0 || (found & MAPPING_REMOTE_MISSING))
		return EXIT_REFUSED;
	if (rc)
		return rc;
	if (found & MAPPING_REMOTE_VALUE)
		return EXIT_PARTIAL;
	info("mapping %s: every property it writes exists%s", mapping_path(m),
	     o->dry_run && created ? " or would be created" : "");
	if (o->dry_run) {
		char *run = app_command(o, "setup");

		/* setup_fix names the same command: the dry run's next step is the real run */
		info("dry run: nothing was created; next: %s", run);
		free(run);
	} else {
		char *next = app_command(o, "import");

		info("ready; next: %s CALENDAR...", next);
		free(next);
	}
	return EXIT_DONE;
}

int cmd_setup(const struct app_options *o)
{
	struct mapping *m;
	struct hs_client *c;
	char *token;
	int rc;

	if (o->config)
		return config_command(o, cmd_setup, "setup");

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
	setup_fix = app_command(o, "setup");
	rc = setup_run(c, m, o);
	FREE_NULL(setup_fix);
	hs_client_free(c);
	memset(token, 0, strlen(token));
	free(token);
	mapping_free(m);
	return rc;
}
