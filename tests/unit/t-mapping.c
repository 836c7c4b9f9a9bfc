/* t-mapping: loading (every load-time error, exact text), properties, filters, associations. */
#include "mapping.h"
#include "preview.h"
#include "template.h"
#include "test.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixtures ---------------------------------------------------------------------------- */

static void set_attendee(struct attendee *a, const char *email, const char *name,
			 const char *partstat, const char *cutype)
{
	a->email = xstrdup(email);
	a->name = xstrdup(name);
	a->partstat = xstrdup(partstat);
	a->cutype = xstrdup(cutype);
}

/* A public meeting, 2024-03-01 09:30-10:15 UTC, organised by alice@corp.example. */
static void fixture(struct occurrence *o)
{
	memset(o, 0, sizeof(*o));
	o->uid = xstrdup("abc@example.com");
	o->start = 1709285400;
	o->end = 1709285400 + 45 * 60;
	o->summary = xstrdup("Quarterly review");
	o->description = xstrdup("Agenda:\n1. <numbers> & plans");
	o->location = xstrdup("Room 4");
	o->conference_url = xstrdup("https://meet.example/xyz");
	o->status = xstrdup("CONFIRMED");
	o->class_ = xstrdup("PUBLIC");
	set_attendee(&o->organizer, "alice@corp.example", "Alice", NULL, NULL);
	o->nattendees = 6;
	o->attendees = xcalloc(6, sizeof(*o->attendees));
	set_attendee(&o->attendees[0], "bob@client.example", "Bob", "ACCEPTED", "INDIVIDUAL");
	set_attendee(&o->attendees[1], "Carol@Client.Example", NULL, "DECLINED", NULL);
	set_attendee(&o->attendees[2], "room4@corp.example", "Room 4", "ACCEPTED", "ROOM");
	set_attendee(&o->attendees[3], "alice@corp.example", "Alice", "ACCEPTED", NULL);
	set_attendee(&o->attendees[4], "dan@gmail.com", "Dan", "NEEDS-ACTION", NULL);
	set_attendee(&o->attendees[5], "bob@client.example", "Bob again", "ACCEPTED", NULL);
	o->source = xstrdup("cal.ics");
	o->file = xstrdup("cal.ics");
	o->line = 7;
}

static char *tmp_path;

/* Load a mapping from text (written to a temporary file). */
static struct mapping *load_str(const char *yaml)
{
	FILE *f = fopen(tmp_path, "w");

	fputs(yaml, f);
	fclose(f);
	return mapping_load(tmp_path);
}

static int saved_stderr = -1;
static FILE *capture_file;

static void capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	saved_stderr = dup(2);
	dup2(fileno(capture_file), 2);
}

/* What was printed on stderr since capture_begin(), without the last newline (static). */
static const char *capture_end(void)
{
	static char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(capture_file);
	n = fread(buf, 1, sizeof(buf) - 1, capture_file);
	fclose(capture_file);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

static const char *prop(const struct meeting *m, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m->properties, name));
}

static int nprops(const struct meeting *m)
{
	return cJSON_GetArraySize(m->properties);
}

#define MAP_HEAD "version: 1\nproperties:\n  hs_timestamp: \"{{ start }}\"\n"

/* ---- load-time errors -------------------------------------------------------------------- */

static const struct {
	const char *file, *message;
} load_errors[] = {
	{"err-assoc-key",
	 "FILE:5:3: unknown key 'contact' in associations (did you mean 'contacts'?)"},
	{"err-bad-version",
	 "FILE:1:10: unsupported version '2' (this ics2hubspot reads version 1)"},
	{"err-bool", "FILE:5:17: expected true or false for 'filters.skip_private', got 'maybe'"},
	{"err-clear-timestamp",
	 "FILE:4:20: clear_when_empty: hs_timestamp cannot be cleared (HubSpot requires it)"},
	{"err-clear-unmapped",
	 "FILE:4:20: clear_when_empty: 'hs_meeting_location' is not a mapped property"},
	{"err-companies-from",
	 "FILE:5:22: associations.companies.from must be 'attendee_domains', got 'attendees'"},
	{"err-contacts-from",
	 "FILE:5:21: associations.contacts.from must be 'attendees', got 'organizer'"},
	{"err-custom-name",
	 "FILE:2:21: 'Bad-Name' is not a HubSpot property name (lower-case letters, digits and _)"},
	{"err-declined-email",
	 "FILE:5:22: 'me' in 'filters.skip_declined_by' is not an e-mail address"},
	{"err-duplicate-key", "FILE:4:1: duplicate key 'version' in the mapping (first at line 1)"},
	{"err-empty", "FILE: the mapping is empty (expected version: 1, properties: ...)"},
	{"err-filters-list", "FILE:4:10: expected a mapping for 'filters', got a list"},
	{"err-filters-unknown-key",
	 "FILE:5:3: unknown key 'skip_privat' in filters (did you mean 'skip_private'?)"},
	{"err-identity-known",
	 "FILE:2:20: identity_property 'hs_meeting_title' is a HubSpot property; use a custom single-line text property such as ics2hubspot_key"},
	{"err-identity-mapped",
	 "FILE:4:3: property 'ics2hubspot_key' is the identity property: ics2hubspot sets it to the occurrence key"},
	{"err-identity-name",
	 "FILE:2:20: 'My Key' is not a HubSpot property name (lower-case letters, digits and _)"},
	{"err-list-item",
	 "FILE:5:44: expected a string in 'filters.require_attendee_outside', got a list"},
	{"err-list-scalar",
	 "FILE:5:21: expected a list for 'filters.skip_declined_by', e.g. [a, b], got a scalar"},
	{"err-long-no-value", "FILE:5:5: property 'hs_meeting_outcome' needs a 'value' template"},
	{"err-long-unknown-key",
	 "FILE:6:5: unknown key 'maps' in properties.hs_meeting_outcome (did you mean 'map'?)"},
	{"err-map-duplicate",
	 "FILE:6:34: duplicate key 'confirmed' in the map of 'hs_meeting_outcome'"},
	{"err-map-nested",
	 "FILE:6:23: expected 'FROM: TO' strings in the map of 'hs_meeting_outcome'"},
	{"err-map-not-mapping", "FILE:6:10: expected a mapping for 'map', got a list"},
	{"err-matching-field", "FILE:6:16: unknown field 'sumary' (did you mean 'summary'?)"},
	{"err-matching-key",
	 "FILE:6:25: unknown key 'regexp' in filters.skip_matching[0] (did you mean 'regex'?)"},
	{"err-matching-missing", "FILE:6:7: filters.skip_matching[0] needs 'field' and 'regex'"},
	{"err-matching-not-list",
	 "FILE:5:18: expected a list for 'filters.skip_matching', e.g. - { field: summary, regex: \"^lunch\" }"},
	{"err-no-properties", "FILE:1:1: missing 'properties:' (which meeting property gets what)"},
	{"err-no-timestamp",
	 "FILE:3:3: properties must map hs_timestamp (HubSpot requires it), e.g. hs_timestamp: \"{{ start }}\""},
	{"err-no-version", "FILE:1:1: missing 'version: 1'"},
	{"err-on-removed-list", "FILE:2:13: expected a string for 'on_removed', got a list"},
	{"err-on-removed", "FILE:2:13: on_removed must be archive, cancel or keep, got 'delete'"},
	{"err-outside-domain",
	 "FILE:5:30: 'me@corp.example' in 'filters.require_attendee_outside' is not a domain name"},
	{"err-owner-embedded",
	 "FILE:4:28: organizer.owner_id is looked up after mapping: it must be the whole value, \"{{ organizer.owner_id }}\""},
	{"err-owner-map",
	 "FILE:5:12: organizer.owner_id is looked up after mapping: it takes no map or default"},
	{"err-owner-twice",
	 "FILE:5:3: organizer.owner_id is already mapped to 'hubspot_owner_id'; map it to one property only"},
	{"err-properties-list", "FILE:2:13: expected a mapping for 'properties', got a list"},
	{"err-property-list",
	 "FILE:4:21: expected a template string or {value, map, default} for 'hs_meeting_title', got a list"},
	{"err-property-name",
	 "FILE:4:3: 'Meeting-Title' is not a HubSpot property name (lower-case letters, digits and _)"},
	{"err-read-only-property",
	 "FILE:4:3: property 'hs_createdate' is set by HubSpot and cannot be written"},
	{"err-regex",
	 "FILE:6:32: bad regular expression \"^(lunch|focus\": missing closing parenthesis (at offset 13)"},
	{"err-static-id", "FILE:5:31: association id 'abc' is not a HubSpot record id (digits)"},
	{"err-static-missing", "FILE:5:13: associations.static entries need 'type' and 'id'"},
	{"err-static-not-list",
	 "FILE:5:11: expected a list for 'associations.static', e.g. [ { type: deal, id: \"1234\" } ]"},
	{"err-static-type",
	 "FILE:5:21: unknown association type 'invoice' (expected contact, company, deal or ticket)"},
	{"err-template-block", "FILE:6:25: unknown filter 'htm' (did you mean 'html'?)"},
	{"err-top-list",
	 "FILE:1:1: expected a mapping (version:, properties:, ...) at the top, got a list"},
	{"err-unknown-field", "FILE:4:28: unknown field 'locaton' (did you mean 'location'?)"},
	{"err-unknown-filter", "FILE:7:55: unknown filter 'trunc' (did you mean 'truncate'?)"},
	{"err-unknown-key",
	 "FILE:4:1: unknown key 'propertis' in the mapping (did you mean 'properties'?)"},
	{"err-custom-type",
	 "FILE:2:42: 'money' is not a custom property type (text, textarea, number, datetime or select)"},
	{"err-unknown-property-custom",
	 "FILE:4:3: unknown meeting property 'deal_stage_note'; declare your own properties under custom_properties"},
	{"err-unknown-property",
	 "FILE:4:3: unknown meeting property 'hs_meeting_titel' (did you mean 'hs_meeting_title'?); declare your own properties under custom_properties"},
	{"err-yaml-syntax",
	 "FILE:5:1: invalid YAML: found unexpected end of stream while scanning a quoted scalar"},
};

static void test_load_errors(void)
{
	for (size_t i = 0; i < sizeof(load_errors) / sizeof(load_errors[0]); i++) {
		char *path = xasprintf("tests/mapping/%s.yaml", load_errors[i].file);
		struct sbuf want = SBUF_INIT;
		const char *p = load_errors[i].message;
		struct mapping *m;

		sbuf_init(&want);
		sbuf_adds(&want, "ics2hubspot: error: ");
		if (!strncmp(p, "FILE", 4)) {
			sbuf_adds(&want, path);
			p += 4;
		}
		sbuf_adds(&want, p);
		capture_begin();
		m = mapping_load(path);
		CHECK_STR(capture_end(), want.buf);
		CHECK(m == NULL);
		mapping_free(m);
		sbuf_release(&want);
		free(path);
	}
	/* every file in tests/mapping/err-*.yaml is in the table (count them) */
	{
		FILE *ls = popen("ls tests/mapping/err-*.yaml | wc -l", "r");
		int n = 0;

		CHECK(ls && fscanf(ls, "%d", &n) == 1);
		if (ls)
			pclose(ls);
		CHECK_INT(n, sizeof(load_errors) / sizeof(load_errors[0]));
	}
	capture_begin();
	CHECK(mapping_load("tests/mapping/does-not-exist.yaml") == NULL);
	CHECK(strstr(capture_end(), "cannot open 'tests/mapping/does-not-exist.yaml'") != NULL);
}

/* ---- the shipped mappings ---------------------------------------------------------------- */

static void test_shipped(void)
{
	const char *files[] = {NULL, "mappings/default.yaml", "mappings/outlook.yaml",
			       "mappings/google.yaml"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct mapping *m;
		const char *err;

		capture_begin();
		m = mapping_load(files[i]);
		err = capture_end();
		CHECK(m != NULL);
		CHECK_STR(err, "");
		if (!m) {
			fprintf(stderr, "cannot load %s: %s\n", files[i] ? files[i] : "default",
				err);
			continue;
		}
		CHECK_STR(mapping_identity_property(m), "ics2hubspot_key");
		CHECK_STR(mapping_owner_property(m), "hubspot_owner_id");
		CHECK(mapping_contacts(m)->enabled);
		mapping_free(m);
	}
}

static void test_default_apply(void)
{
	struct mapping *m = mapping_load(NULL);
	struct occurrence o;
	struct meeting mt;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_STR(mapping_path(m), "<built-in default.yaml>");
	CHECK_INT(mapping_on_removed(m), ON_REMOVED_ARCHIVE);
	CHECK(mapping_wants_companies(m));
	CHECK(mapping_contacts(m)->skip_resources);
	CHECK(!mapping_contacts(m)->include_organizer);
	CHECK(!mapping_contacts(m)->include_declined);
	CHECK(!mapping_contacts(m)->create_missing);
	CHECK_INT(mapping_contacts(m)->nexclude_domains, 0);
	fixture(&o);
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(mt.skip_reason, NULL);
	CHECK_STR(mt.key, "abc@example.com");
	CHECK_STR(mt.uid, "abc@example.com");
	CHECK_STR(mt.recurrence_id, NULL);
	CHECK_STR(mt.start, "2024-03-01T09:30:00Z");
	CHECK_STR(mt.summary, "Quarterly review");
	CHECK_STR(mt.source, "cal.ics");
	CHECK_STR(mt.where, "cal.ics:7");
	CHECK(!mt.cancelled);
	CHECK_STR(prop(&mt, "hs_timestamp"), "2024-03-01T09:30:00Z");
	CHECK_STR(prop(&mt, "hs_meeting_start_time"), "2024-03-01T09:30:00Z");
	CHECK_STR(prop(&mt, "hs_meeting_end_time"), "2024-03-01T10:15:00Z");
	CHECK_STR(prop(&mt, "hs_meeting_title"), "Quarterly review");
	CHECK_STR(prop(&mt, "hs_meeting_body"), "Agenda:<br>1. &lt;numbers&gt; &amp; plans");
	CHECK_STR(prop(&mt, "hs_meeting_location"), "Room 4");
	CHECK_STR(prop(&mt, "hs_meeting_external_url"), "https://meet.example/xyz");
	CHECK_STR(prop(&mt, "hs_meeting_outcome"), "SCHEDULED");
	CHECK_STR(prop(&mt, "hubspot_owner_id"), NULL); /* resolved later */
	CHECK_STR(prop(&mt, "ics2hubspot_key"), "abc@example.com");
	CHECK_INT(nprops(&mt), 9); /* 8 mapped (the owner comes later) + identity */
	CHECK_STR(mt.owner_email, "alice@corp.example");
	/* contacts: no organizer, no room, no declined, normalised, deduplicated */
	CHECK_INT(mt.ncontact_emails, 2);
	if (mt.ncontact_emails == 2) {
		CHECK_STR(mt.contact_emails[0], "bob@client.example");
		CHECK_STR(mt.contact_emails[1], "dan@gmail.com");
	}
	/* companies: organizer and attendees, no free mail, no declined, no rooms */
	CHECK_INT(mt.ncompany_domains, 2);
	if (mt.ncompany_domains == 2) {
		CHECK_STR(mt.company_domains[0], "corp.example");
		CHECK_STR(mt.company_domains[1], "client.example");
	}
	CHECK_INT(mt.nassocs, 0);
	meeting_release(&mt);

	/* no title, cancelled, an instance of a series */
	FREE_NULL(o.summary);
	free(o.status);
	o.status = xstrdup("CANCELLED");
	o.has_recurrence_id = true;
	o.recurrence_id = 1709285400;
	FREE_NULL(o.conference_url);
	FREE_NULL(o.description);
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(mt.key, "abc@example.com#20240301T093000Z");
	CHECK_STR(mt.recurrence_id, "2024-03-01T09:30:00Z");
	CHECK(mt.cancelled);
	CHECK_STR(prop(&mt, "hs_meeting_title"), "(no title)");
	CHECK_STR(prop(&mt, "hs_meeting_outcome"), "CANCELED");
	CHECK_STR(prop(&mt, "hs_meeting_body"), NULL); /* empty: omitted */
	CHECK_STR(prop(&mt, "hs_meeting_external_url"), NULL); /* empty: omitted */
	CHECK_STR(prop(&mt, "ics2hubspot_key"), "abc@example.com#20240301T093000Z");
	meeting_release(&mt);

	/* tentative, unknown status */
	free(o.status);
	o.status = xstrdup("TENTATIVE");
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(prop(&mt, "hs_meeting_outcome"), "SCHEDULED");
	meeting_release(&mt);
	free(o.status);
	o.status = xstrdup("SOMETHING");
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(prop(&mt, "hs_meeting_outcome"), "SCHEDULED"); /* default */
	meeting_release(&mt);

	/* all-day: midnight UTC instants */
	o.all_day = true;
	o.start = 19783 * 86400LL;
	o.end = o.start + 86400;
	o.has_recurrence_id = false;
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(mt.start, "2024-03-01");
	CHECK_STR(prop(&mt, "hs_timestamp"), "2024-03-01T00:00:00Z");
	CHECK_STR(prop(&mt, "hs_meeting_end_time"), "2024-03-02T00:00:00Z");
	meeting_release(&mt);

	/* private and confidential events never get properties */
	free(o.class_);
	o.class_ = xstrdup("PRIVATE");
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(mt.skip_reason, "filters.skip_private (CLASS:PRIVATE)");
	CHECK(mt.properties == NULL);
	CHECK_STR(mt.key, "abc@example.com"); /* still identified for the report */
	meeting_release(&mt);
	free(o.class_);
	o.class_ = xstrdup("CONFIDENTIAL");
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_STR(mt.skip_reason, "filters.skip_private (CLASS:CONFIDENTIAL)");
	meeting_release(&mt);
	occurrence_release(&o);
	mapping_free(m);
}

/* ---- filters ----------------------------------------------------------------------------- */

/* Apply a mapping with `filters` to the fixture after `tweak`; returns the skip reason. */
static char *reason_with(const char *filters, void (*tweak)(struct occurrence *))
{
	char *yaml = xasprintf(MAP_HEAD "filters:\n%s", filters);
	struct mapping *m = load_str(yaml);
	struct occurrence o;
	struct meeting mt;
	char *r;

	free(yaml);
	if (!m)
		return xstrdup("(load failed)");
	fixture(&o);
	if (tweak)
		tweak(&o);
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	r = mt.skip_reason ? xstrdup(mt.skip_reason) : xstrdup("kept");
	CHECK(!mt.skip_reason == (mt.properties != NULL));
	meeting_release(&mt);
	occurrence_release(&o);
	mapping_free(m);
	return r;
}

static void make_private(struct occurrence *o)
{
	free(o->class_);
	o->class_ = xstrdup("PRIVATE");
}
static void make_cancelled(struct occurrence *o)
{
	free(o->status);
	o->status = xstrdup("CANCELLED");
}
static void make_all_day(struct occurrence *o)
{
	o->all_day = true;
}
static void make_transparent(struct occurrence *o)
{
	o->transp = xstrdup("TRANSPARENT");
}
static void make_free(struct occurrence *o)
{
	o->busy_status = xstrdup("FREE");
}
static void make_lunch(struct occurrence *o)
{
	free(o->summary);
	o->summary = xstrdup("Lunch with Bob");
}
static void make_internal(struct occurrence *o)
{
	for (size_t i = 0; i < o->nattendees; i++) {
		free(o->attendees[i].email);
		o->attendees[i].email = xstrdup("x@eu.corp.example");
	}
}
static void make_x(struct occurrence *o)
{
	o->nx = 1;
	o->x = xcalloc(1, sizeof(*o->x));
	o->x[0].name = xstrdup("X-MICROSOFT-CDO-BUSYSTATUS");
	o->x[0].value = xstrdup("OOF");
}

static void check_reason(char *got, const char *want, int line)
{
	if (strcmp(got, want))
		fprintf(stderr, "t-mapping.c:%d: ", line);
	CHECK_STR(got, want);
	free(got);
}
#define REASON(f, t, want) check_reason(reason_with((f), (t)), (want), __LINE__)

static void test_filters(void)
{
	REASON("  skip_private: true\n", NULL, "kept");
	REASON("  skip_private: true\n", make_private, "filters.skip_private (CLASS:PRIVATE)");
	REASON("  skip_private: false\n", make_private, "kept");
	REASON("  skip_cancelled: true\n", make_cancelled,
	       "filters.skip_cancelled (STATUS:CANCELLED)");
	REASON("  skip_cancelled: false\n", make_cancelled, "kept");
	REASON("  skip_all_day: yes\n", make_all_day, "filters.skip_all_day");
	REASON("  skip_all_day: yes\n", NULL, "kept");
	REASON("  skip_free: true\n", make_transparent, "filters.skip_free (TRANSP:TRANSPARENT)");
	REASON("  skip_free: true\n", make_free,
	       "filters.skip_free (X-MICROSOFT-CDO-BUSYSTATUS:FREE)");
	REASON("  skip_free: true\n", NULL, "kept");
	REASON("  skip_free: false\n", make_free, "kept");
	/* Carol declined (the address is matched normalised) */
	REASON("  skip_declined_by: [MAILTO:carol@client.example]\n", NULL,
	       "filters.skip_declined_by (carol@client.example declined)");
	REASON("  skip_declined_by: [bob@client.example]\n", NULL, "kept");
	REASON("  skip_matching:\n    - { field: location, regex: \"^nothing\" }\n"
	       "    - { field: summary, regex: \"^(lunch|focus time)\" }\n",
	       make_lunch, "filters.skip_matching[1] summary =~ /^(lunch|focus time)/");
	REASON("  skip_matching:\n    - { field: summary, regex: \"^(lunch|focus time)\" }\n", NULL,
	       "kept");
	REASON("  skip_matching:\n    - { field: \"x['X-MICROSOFT-CDO-BUSYSTATUS'] | lower\", regex: \"^oof$\" }\n",
	       make_x,
	       "filters.skip_matching[0] x['X-MICROSOFT-CDO-BUSYSTATUS'] | lower =~ /^oof$/");
	REASON("  skip_matching:\n    - { field: attendee_emails, regex: \"gmail\\\\.com\" }\n",
	       NULL, "filters.skip_matching[0] attendee_emails =~ /gmail\\.com/");
	/* the organizer is in corp.example, attendees now in a subdomain */
	REASON("  require_attendee_outside: [corp.example]\n", make_internal,
	       "filters.require_attendee_outside (nobody outside corp.example)");
	REASON("  require_attendee_outside: [corp.example, other.example]\n", make_internal,
	       "filters.require_attendee_outside (nobody outside corp.example, other.example)");
	REASON("  require_attendee_outside: [corp.example]\n", NULL, "kept");
	REASON("  require_attendee_outside: []\n", make_internal, "kept");
	/* the first rule in the documented order wins */
	REASON("  skip_private: true\n  skip_cancelled: true\n", make_private,
	       "filters.skip_private (CLASS:PRIVATE)");
}

/* ---- associations ------------------------------------------------------------------------ */

static struct meeting apply_with(const char *yaml_tail, void (*tweak)(struct occurrence *))
{
	char *yaml = xasprintf(MAP_HEAD "%s", yaml_tail);
	struct mapping *m = load_str(yaml);
	struct occurrence o;
	struct meeting mt;

	free(yaml);
	memset(&mt, 0, sizeof(mt));
	CHECK(m != NULL);
	if (!m)
		return mt;
	fixture(&o);
	if (tweak)
		tweak(&o);
	mapping_apply(m, &o, &mt);
	occurrence_release(&o);
	mapping_free(m);
	return mt;
}

static const char *joinv(char **v, size_t n)
{
	static char buf[1024];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(buf, i ? "," : "");
		strcat(buf, v[i]);
	}
	return buf;
}

static void test_associations(void)
{
	struct meeting mt;

	mt = apply_with("associations:\n  contacts: { from: attendees }\n", NULL);
	CHECK_STR(joinv(mt.contact_emails, mt.ncontact_emails), "bob@client.example,dan@gmail.com");
	CHECK_INT(mt.ncompany_domains, 0);
	meeting_release(&mt);
	mt = apply_with(
		"associations:\n  contacts: { include_organizer: true, include_declined: true,"
		" skip_resources: false }\n",
		NULL);
	CHECK_STR(
		joinv(mt.contact_emails, mt.ncontact_emails),
		"alice@corp.example,bob@client.example,carol@client.example,room4@corp.example,dan@gmail.com");
	meeting_release(&mt);
	mt = apply_with(
		"associations:\n  contacts: { exclude_domains: [corp.example], include_organizer: true,"
		" include_declined: true }\n",
		NULL);
	CHECK_STR(joinv(mt.contact_emails, mt.ncontact_emails),
		  "bob@client.example,carol@client.example,dan@gmail.com");
	meeting_release(&mt);
	mt = apply_with("associations:\n  contacts: { exclude_domains: [client.example] }\n", NULL);
	CHECK_STR(joinv(mt.contact_emails, mt.ncontact_emails), "dan@gmail.com");
	meeting_release(&mt);
	mt = apply_with("associations:\n  contacts: { create_missing: true }\n", NULL);
	meeting_release(&mt);

	mt = apply_with(
		"associations:\n  companies: { from: attendee_domains, exclude_domains: [corp.example] }\n",
		NULL);
	CHECK_STR(joinv(mt.company_domains, mt.ncompany_domains), "client.example");
	CHECK_INT(mt.ncontact_emails, 0);
	meeting_release(&mt);
	mt = apply_with("associations:\n  companies: { include_free_mail: true }\n", NULL);
	CHECK_STR(joinv(mt.company_domains, mt.ncompany_domains),
		  "corp.example,client.example,gmail.com");
	meeting_release(&mt);

	mt = apply_with(
		"associations:\n  static: [ { type: deal, id: \"1234\" }, { type: tickets, id: 55 },"
		" { type: company, id: \"9\" } ]\n",
		NULL);
	CHECK_INT(mt.nassocs, 3);
	if (mt.nassocs == 3) {
		CHECK_INT(mt.assocs[0].kind, ASSOC_DEAL);
		CHECK_STR(mt.assocs[0].id, "1234");
		CHECK_STR(mt.assocs[0].ref, "1234");
		CHECK_INT(mt.assocs[1].kind, ASSOC_TICKET);
		CHECK_STR(mt.assocs[1].id, "55");
		CHECK_INT(mt.assocs[2].kind, ASSOC_COMPANY);
	}
	meeting_release(&mt);
	/* a skipped occurrence plans nothing */
	mt = apply_with("filters: { skip_private: true }\nassociations:\n  contacts: {}\n"
			"  static: [ { type: deal, id: \"1\" } ]\n",
			make_private);
	CHECK(mt.skip_reason != NULL);
	CHECK_INT(mt.ncontact_emails + mt.nassocs, 0);
	meeting_release(&mt);
}

/* ---- property values --------------------------------------------------------------------- */

static void long_summary(struct occurrence *o)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_init(&sb);
	for (int i = 0; i < 254; i++)
		sbuf_addc(&sb, 'a');
	sbuf_adds(&sb, "\xc3\xa9\xc3\xa9 tail"); /* é straddles the 255th character */
	free(o->summary);
	o->summary = sbuf_detach(&sb);
	sbuf_init(&sb);
	for (int i = 0; i < 16383; i++)
		sbuf_adds(&sb, "<b>");
	sbuf_adds(&sb, "xyz&");
	free(o->description);
	o->description = sbuf_detach(&sb); /* 65530 bytes, 16383*12+... escaped */
}

static void weird_times(struct occurrence *o)
{
	o->nx = 3;
	o->x = xcalloc(3, sizeof(*o->x));
	o->x[0].name = xstrdup("X-DATE");
	o->x[0].value = xstrdup("2024-03-05");
	o->x[1].name = xstrdup("X-MS");
	o->x[1].value = xstrdup("1709285400000");
	o->x[2].name = xstrdup("X-FRAC");
	o->x[2].value = xstrdup("2024-03-01T09:30:00.054Z");
}

static void bad_time(struct occurrence *o)
{
	o->nx = 1;
	o->x = xcalloc(1, sizeof(*o->x));
	o->x[0].name = xstrdup("X-WHEN");
	o->x[0].value = xstrdup("next tuesday");
}

/* The value does not end inside an entity or a tag. */
static bool whole_html(const char *v)
{
	const char *amp = v ? strrchr(v, '&') : NULL, *lt = v ? strrchr(v, '<') : NULL;

	return v && (!amp || strchr(amp, ';')) && (!lt || strchr(lt, '>'));
}

static void test_values(void)
{
	struct meeting mt;
	const char *v;

	/* title capped at 255 characters without splitting é; body capped at 65536 */
	mt = apply_with("  hs_meeting_title: \"{{ summary }}\"\n"
			"  hs_meeting_body: \"<p>{{ description }}</p>\"\n"
			"  hs_internal_meeting_notes: \"{{ description | html }}\"\n"
			"  hs_meeting_location: \"{{ description }}\"\n",
			long_summary);
	v = prop(&mt, "hs_meeting_title");
	CHECK(v && strlen(v) == 256 && !strcmp(v + 254, "\xc3\xa9"));
	v = prop(&mt, "hs_meeting_body");
	CHECK(v && strlen(v) <= 65536 && !strncmp(v, "<p>&lt;b&gt;", 12));
	CHECK(whole_html(v)); /* never half an entity or tag */
	v = prop(&mt, "hs_internal_meeting_notes");
	CHECK(v && strlen(v) <= 65536 && strlen(v) > 65520 && whole_html(v));
	v = prop(&mt, "hs_meeting_location"); /* plain text, not escaped, capped */
	CHECK(v && strlen(v) == 16383 * 3 + 4);
	meeting_release(&mt);

	/* datetimes: dates become midnight UTC, epoch ms kept, fractions dropped */
	mt = apply_with("  hs_meeting_start_time: \"{{ x['X-DATE'] }}\"\n"
			"  hs_meeting_end_time: \"{{ x['X-MS'] }}\"\n"
			"custom_properties: [frac_time]\n",
			weird_times);
	CHECK_STR(prop(&mt, "hs_meeting_start_time"), "2024-03-05T00:00:00Z");
	CHECK_STR(prop(&mt, "hs_meeting_end_time"), "1709285400000");
	meeting_release(&mt);
	mt = apply_with("  hs_meeting_start_time: \"{{ x['X-FRAC'] }}\"\n", weird_times);
	CHECK_STR(prop(&mt, "hs_meeting_start_time"), "2024-03-01T09:30:00Z");
	meeting_release(&mt);
	/* an unusable datetime affects only this occurrence */
	{
		struct mapping *m =
			load_str(MAP_HEAD "  hs_meeting_end_time: \"{{ x['X-WHEN'] }}\"\n");
		struct occurrence o;
		const char *err;

		fixture(&o);
		bad_time(&o);
		capture_begin();
		CHECK_INT(mapping_apply(m, &o, &mt), -1);
		err = capture_end();
		CHECK_STR(
			err,
			"ics2hubspot: error: cal.ics:7: uid 'abc@example.com': property 'hs_meeting_end_time': 'next tuesday' is not a date-time (ISO-8601 UTC or epoch milliseconds)");
		CHECK_STR(mt.skip_reason,
			  "mapping error: hs_meeting_end_time is not a date-time ('next tuesday')");
		CHECK(mt.properties == NULL);
		meeting_release(&mt);
		occurrence_release(&o);
		mapping_free(m);
	}
	/* an empty hs_timestamp is an error for that occurrence */
	{
		struct mapping *m =
			load_str("version: 1\nproperties:\n  hs_timestamp: \"{{ url }}\"\n");
		struct occurrence o;

		fixture(&o);
		capture_begin();
		CHECK_INT(mapping_apply(m, &o, &mt), -1);
		CHECK_STR(
			capture_end(),
			"ics2hubspot: error: cal.ics:7: uid 'abc@example.com': hs_timestamp is empty (HubSpot requires it)");
		CHECK_STR(mt.skip_reason, "mapping error: hs_timestamp is empty");
		meeting_release(&mt);
		occurrence_release(&o);
		mapping_free(m);
	}

	/* empty values omitted unless clear_when_empty; custom properties; identity */
	mt = apply_with("  hs_meeting_location: \"{{ url }}\"\n"
			"  hs_meeting_external_url: \"{{ url }}\"\n"
			"  my_calendar: \"{{ calendar_name | default('none') }}\"\n"
			"  hs_activity_type: Customer meeting\n"
			"custom_properties: [my_calendar]\n"
			"identity_property: my_key\n"
			"on_removed: cancel\n"
			"clear_when_empty: [hs_meeting_location]\n",
			NULL);
	CHECK_STR(prop(&mt, "hs_meeting_location"), "");
	CHECK_STR(prop(&mt, "hs_meeting_external_url"), NULL);
	CHECK_STR(prop(&mt, "my_calendar"), "none");
	CHECK_STR(prop(&mt, "hs_activity_type"), "Customer meeting");
	CHECK_STR(prop(&mt, "my_key"), "abc@example.com");
	CHECK_STR(prop(&mt, "ics2hubspot_key"), NULL);
	CHECK_INT(nprops(&mt), 5);
	meeting_release(&mt);

	/* long form: map miss passes through without default; default when empty */
	mt = apply_with(
		"  hs_meeting_outcome:\n    value: \"{{ status | lower }}\"\n"
		"    map: { tentative: SCHEDULED }\n"
		"  hs_meeting_location:\n    value: \"{{ url }}\"\n    default: \"{{ location | upper }}\"\n",
		NULL);
	CHECK_STR(prop(&mt, "hs_meeting_outcome"), "confirmed");
	CHECK_STR(prop(&mt, "hs_meeting_location"), "ROOM 4");
	meeting_release(&mt);

	/* no organizer: no owner e-mail */
	{
		struct mapping *m =
			load_str(MAP_HEAD "  hubspot_owner_id: \"{{ organizer.owner_id }}\"\n");
		struct occurrence o;

		fixture(&o);
		attendee_release(&o.organizer);
		CHECK_STR(mapping_owner_property(m), "hubspot_owner_id");
		CHECK_INT(mapping_apply(m, &o, &mt), 0);
		CHECK_STR(mt.owner_email, NULL);
		CHECK_STR(prop(&mt, "hubspot_owner_id"), NULL);
		meeting_release(&mt);
		occurrence_release(&o);
		mapping_free(m);
	}
}

static void test_load_options(void)
{
	struct mapping *m;
	const char *err;

	/* warnings (not errors) for enum values outside HubSpot's defaults */
	capture_begin();
	m = load_str(MAP_HEAD "  hs_meeting_outcome:\n    value: \"{{ status }}\"\n"
			      "    map: { CONFIRMED: BOOKED }\n"
			      "on_removed: keep\nfilters: ~\nassociations: ~\n");
	err = capture_end();
	CHECK(m != NULL);
	CHECK(strstr(err,
		     ":6:23: 'BOOKED' is not one of HubSpot's default values for 'hs_meeting_outcome'") !=
	      NULL);
	if (m) {
		CHECK_INT(mapping_on_removed(m), ON_REMOVED_KEEP);
		CHECK(!mapping_contacts(m)->enabled);
		CHECK(!mapping_wants_companies(m));
		CHECK_STR(mapping_owner_property(m), NULL);
	}
	mapping_free(m);
	/* contacts options are exposed */
	m = load_str(MAP_HEAD
		     "associations:\n  contacts: { exclude_domains: [\"@Corp.Example\", b.example],"
		     " create_missing: true, include_organizer: on }\n");
	CHECK(m != NULL);
	if (m) {
		const struct mapping_contacts *c = mapping_contacts(m);

		CHECK(c->enabled && c->create_missing && c->include_organizer && c->skip_resources);
		CHECK_INT(c->nexclude_domains, 2);
		CHECK_STR(c->exclude_domains[0], "corp.example");
	}
	mapping_free(m);
	CHECK(mapping_known_properties[0] != NULL);
}

/* ---- check --remote ---------------------------------------------------------------------- */

static void test_remote(void)
{
	struct mapping *m = mapping_load(NULL);
	const char *ok_json =
		"{\"results\":["
		"{\"name\":\"hs_timestamp\",\"type\":\"datetime\"},"
		"{\"name\":\"hs_meeting_start_time\",\"type\":\"datetime\"},"
		"{\"name\":\"hs_meeting_end_time\",\"type\":\"datetime\"},"
		"{\"name\":\"hs_meeting_title\",\"type\":\"string\"},"
		"{\"name\":\"hs_meeting_body\",\"type\":\"string\"},"
		"{\"name\":\"hs_meeting_location\",\"type\":\"string\"},"
		"{\"name\":\"hs_meeting_external_url\",\"type\":\"string\"},"
		"{\"name\":\"hs_meeting_outcome\",\"type\":\"enumeration\",\"options\":["
		"{\"value\":\"SCHEDULED\"},{\"value\":\"COMPLETED\"},{\"value\":\"CANCELED\"}]},"
		"{\"name\":\"hubspot_owner_id\",\"type\":\"enumeration\",\"options\":[]},"
		"{\"name\":\"ics2hubspot_key\",\"type\":\"string\"}]}";
	cJSON *j = cJSON_Parse(ok_json);
	cJSON *results = cJSON_GetObjectItem(j, "results");
	const char *err;

	CHECK_INT(mapping_check_remote_properties(m, j, NULL), 0);
	/* a value whose case alone differs is one option (API 2026-09 stores the option's) */
	cJSON_SetValuestring(
		cJSON_GetObjectItem(
			cJSON_GetArrayItem(
				cJSON_GetObjectItem(cJSON_GetArrayItem(results, 7), "options"), 2),
			"value"),
		"Canceled");
	CHECK_INT(mapping_check_remote_properties(m, j, NULL), 0);
	/* drop CANCELED from the options and the identity property */
	cJSON_DeleteItemFromArray(cJSON_GetObjectItem(cJSON_GetArrayItem(results, 7), "options"),
				  2);
	cJSON_DeleteItemFromArray(results, 9);
	cJSON_AddTrueToObject(
		cJSON_AddObjectToObject(cJSON_GetArrayItem(results, 3), "modificationMetadata"),
		"readOnlyValue");
	capture_begin();
	CHECK_INT(mapping_check_remote_properties(m, j, "ics2hubspot setup"),
		  MAPPING_REMOTE_MISSING | MAPPING_REMOTE_VALUE);
	err = capture_end();
	CHECK_STR(
		err,
		"ics2hubspot: error: <built-in default.yaml>: the identity property 'ics2hubspot_key' does not exist in your portal; to create it: ics2hubspot setup\n"
		"ics2hubspot: error: <built-in default.yaml>:73: the meeting property 'hs_meeting_title' is read-only in your portal: take it out of the mapping\n"
		"ics2hubspot: error: <built-in default.yaml>:79: 'CANCELED' is not an option of hs_meeting_outcome in your portal (allowed: SCHEDULED, COMPLETED); map it to one of them");
	/* only a value: flag VALUE alone */
	cJSON_AddItemToArray(results,
			     cJSON_Parse("{\"name\":\"ics2hubspot_key\",\"type\":\"string\"}"));
	cJSON_DeleteItemFromObject(cJSON_GetArrayItem(results, 3), "modificationMetadata");
	capture_begin();
	CHECK_INT(mapping_check_remote_properties(m, j, NULL), MAPPING_REMOTE_VALUE);
	capture_end();
	capture_begin();
	CHECK_INT(mapping_check_remote_properties(m, NULL, NULL), -1);
	CHECK_STR(
		capture_end(),
		"ics2hubspot: error: unexpected answer from HubSpot's meeting property definitions (no results)");
	cJSON_Delete(j);
	mapping_free(m);
}

/* ---- check's preview -------------------------------------------------------------------- */

/* The preview's text; preview_finish()'s exit code must be `rc` (1: a mapping error). */
static char *preview_text(struct preview *p, int rc)
{
	FILE *f = tmpfile();
	char *text;
	long n;

	CHECK_INT(preview_finish(p, f), rc);
	n = ftell(f);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	text[fread(text, 1, (size_t)n, f)] = '\0';
	fclose(f);
	return text;
}

/* custom_properties: names, {NAME: TYPE}, their lines; values a calendar brings, checked. */
static void test_custom_and_values(void)
{
	struct mapping *m = load_str("version: 1\n"
				     "custom_properties:\n"
				     "  - my_note\n"
				     "  - {my_budget: number}\n"
				     "  - my_note\n"
				     "properties:\n"
				     "  hs_timestamp: \"{{ start }}\"\n"
				     "  my_note: \"{{ summary }}\"\n"
				     "  hs_meeting_outcome:\n"
				     "    value: \"{{ x['X-OUTCOME'] }}\"\n"
				     "    map: { MAYBE: SCHEDULED }\n");
	cJSON *props = cJSON_Parse(
		"{\"results\":[{\"name\":\"hs_meeting_outcome\",\"type\":\"enumeration\","
		"\"options\":[{\"value\":\"SCHEDULED\"},{\"value\":\"COMPLETED\"}]}]}");
	struct meeting mt;
	struct mapping_bad_value bad;

	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_INT(mapping_ncustom(m), 2);
	CHECK_STR(mapping_custom_name(m, 0), "my_note");
	CHECK(mapping_custom_type(m, 0) == NULL);
	CHECK_INT(mapping_custom_line(m, 0), 3);
	CHECK_STR(mapping_custom_type(m, 1), "number");
	CHECK_INT(mapping_custom_line(m, 1), 4);
	CHECK_INT(mapping_property_line(m, 1), 8);
	memset(&mt, 0, sizeof(mt));
	mt.properties = cJSON_CreateObject();
	cJSON_AddStringToObject(mt.properties, "hs_meeting_outcome", "PERHAPS");
	CHECK_INT(mapping_check_remote_values(m, props, &mt, &bad), 1);
	CHECK_STR(bad.property, "hs_meeting_outcome");
	CHECK_STR(bad.value, "PERHAPS");
	CHECK_INT(bad.line, 10);
	CHECK_STR(bad.options, "SCHEDULED, COMPLETED");
	free(bad.options);
	/* an option (case aside), and a value the mapping holds (named by the static check): none
	 */
	cJSON_ReplaceItemInObject(mt.properties, "hs_meeting_outcome",
				  cJSON_CreateString("completed"));
	CHECK_INT(mapping_check_remote_values(m, props, &mt, &bad), 0);
	cJSON_Delete(mt.properties);
	cJSON_Delete(props);
	mapping_free(m);
}

static void test_preview(void)
{
	struct mapping *m = load_str(MAP_HEAD "  hs_meeting_title: \"{{ summary }}\"\n"
					      "  hubspot_owner_id: \"{{ organizer.owner_id }}\"\n"
					      "  hs_meeting_end_time: \"{{ x['X-WHEN'] }}\"\n"
					      "filters: { skip_private: true }\n"
					      "associations:\n  contacts: {}\n  companies: {}\n"
					      "  static: [ { type: deal, id: \"77\" } ]\n");
	struct occurrence a, b, c;
	struct preview *p;
	cJSON *j, *pv, *first;
	char *text;

	fixture(&a);
	fixture(&b);
	make_private(&b);
	free(b.uid);
	b.uid = xstrdup("private-1");
	fixture(&c);
	bad_time(&c);
	free(c.uid);
	c.uid = xstrdup("bad-1");
	/* JSON: all three counted, the two earliest shown (same start: then by key) */
	p = preview_new(m, true, 2);
	preview_add_calendar(p, "cal.ics", true);
	preview_add(p, &a);
	preview_add(p, &b);
	capture_begin();
	preview_add(p, &c);
	capture_end();
	text = preview_text(p, 1); /* the gate: an occurrence with a mapping error */
	j = cJSON_Parse(text);
	CHECK(j != NULL);
	CHECK_INT(cJSON_GetObjectItem(j, "occurrences")->valueint, 3);
	CHECK_INT(cJSON_GetObjectItem(j, "to_import")->valueint, 1);
	CHECK_INT(cJSON_GetObjectItem(j, "skipped")->valueint, 1);
	CHECK_INT(cJSON_GetObjectItem(j, "errors")->valueint, 1);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "skipped_by_rule"),
				      "filters.skip_private")
			  ->valueint,
		  1);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "skipped_by_rule"), "mapping error")
			  ->valueint,
		  1);
	pv = cJSON_GetObjectItem(j, "preview");
	CHECK_INT(cJSON_GetArraySize(pv), 2);
	first = cJSON_GetArrayItem(pv, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "key")), "abc@example.com");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(first, "action")), "import");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "properties"),
							   "hs_meeting_title")),
		  "Quarterly review");
	CHECK_STR(cJSON_GetStringValue(
			  cJSON_GetObjectItem(cJSON_GetObjectItem(first, "owner"), "email")),
		  "alice@corp.example");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(first, "contacts")), 2);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(first, "companies")), 2);
	CHECK_STR(
		cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetArrayItem(cJSON_GetObjectItem(first, "associations"), 0), "type")),
		"deal");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(pv, 1), "key")),
		  "bad-1");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(pv, 1), "action")),
		  "error");
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(pv, 1), "properties") == NULL);
	cJSON_Delete(j);
	free(text);
	/* table */
	p = preview_new(m, false, 5);
	preview_add_calendar(p, "cal.ics", true);
	preview_add(p, &a);
	preview_add(p, &b);
	text = preview_text(p, 0);
	CHECK(strstr(text, "mapping ") == text);
	CHECK(strstr(text, "  1  cal.ics:7  2024-03-01T09:30:00Z  Quarterly review\n") != NULL);
	CHECK(strstr(text, "      hs_meeting_title           Quarterly review\n") != NULL);
	CHECK(strstr(text,
		     "      hubspot_owner_id           (owner of alice@corp.example, looked up at import)\n") !=
	      NULL);
	CHECK(strstr(text,
		     "      contacts                   bob@client.example, dan@gmail.com\n") !=
	      NULL);
	CHECK(strstr(text, "      deal                       77\n") != NULL);
	CHECK(strstr(text,
		     "      SKIPPED                    filters.skip_private (CLASS:PRIVATE)\n") !=
	      NULL);
	CHECK(strstr(text,
		     "2 occurrences: 1 to import, 1 skipped, 0 with errors\n  filters.skip_private") !=
	      NULL);
	free(text);
	/* an unreadable calendar: exit code 2 */
	p = preview_new(m, false, -1);
	preview_add_calendar(p, "missing.ics", false);
	{
		FILE *f = tmpfile();

		CHECK_INT(preview_finish(p, f), 2);
		fclose(f);
	}
	occurrence_release(&a);
	occurrence_release(&b);
	occurrence_release(&c);
	mapping_free(m);
}

/* mapping_apply's key is occurrence_key() exactly, for every kind of instance. */
/* exclude_domains: [owners] is the default; the keyword is taken out of the domain list. */
static void test_exclude_owners(void)
{
	static const struct {
		const char *yaml;
		bool contacts, companies;
		size_t ndomains;
	} cases[] = {
		{"associations:\n  contacts: {}\n  companies: {}\n", true, true, 0},
		{"associations:\n  contacts: { exclude_domains: [] }\n  companies: { exclude_domains: [] }\n",
		 false, false, 0},
		{"associations:\n  contacts: { exclude_domains: [x.example, Owners] }\n"
		 "  companies: { exclude_domains: [x.example] }\n",
		 true, false, 1},
		{"associations:\n  contacts: { exclude_domains: [x.example] }\n", false, false, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *y = xasprintf(MAP_HEAD "%s", cases[i].yaml);
		struct mapping *m = load_str(y);

		CHECK(m != NULL);
		if (m) {
			CHECK_INT(mapping_contacts(m)->exclude_owners, cases[i].contacts);
			CHECK_INT(mapping_companies_exclude_owners(m), cases[i].companies);
			CHECK_INT(mapping_contacts(m)->nexclude_domains, cases[i].ndomains);
			mapping_free(m);
		}
		free(y);
	}
	CHECK(mapping_free_mail_domain("gmail.com"));
	CHECK(!mapping_free_mail_domain("corp.example"));
}

static void test_keys(void)
{
	struct mapping *m = mapping_load(NULL);
	const int64_t times[] = {0, 1709285400, 19783 * 86400LL, 253402300799LL, -86400, 86399};

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		for (int all_day = 0; all_day < 2; all_day++) {
			struct occurrence o;
			struct meeting mt;
			char *want;

			fixture(&o);
			o.has_recurrence_id = true;
			o.recurrence_id = times[i];
			o.recurrence_id_all_day = all_day;
			want = occurrence_key(&o);
			mapping_apply(m, &o, &mt);
			CHECK_STR(mt.key, want);
			CHECK_STR(prop(&mt, "ics2hubspot_key"), want);
			free(want);
			meeting_release(&mt);
			occurrence_release(&o);
		}
	}
	mapping_free(m);
}

/* -m NAME: where presets are found, in which order, and what an unknown name lists. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_presets(void)
{
	char root[] = "/tmp/t-mapping-presets-XXXXXX";
	char *dirs[MAPPING_PRESET_DIRS], *known, *p, *cfg, *mine, *outlook, *exe_clone;
	char exe[4096], real_dir[4096], real_want[4096];
	size_t n;
	ssize_t len;

	CHECK(mapping_is_preset_name("outlook"));
	CHECK(mapping_is_preset_name("my-team.v2"));
	CHECK(!mapping_is_preset_name(""));
	CHECK(!mapping_is_preset_name("./outlook"));
	CHECK(!mapping_is_preset_name("/etc/x"));
	CHECK(!mapping_is_preset_name("outlook.yaml"));
	CHECK(!mapping_is_preset_name("outlook.yml"));
	/* a path stays a path, whether or not it exists */
	p = mapping_find("no/such/outlook", &known);
	CHECK_STR(p, "no/such/outlook");
	CHECK(known == NULL);
	free(p);
	p = mapping_find("team.yaml", NULL);
	CHECK_STR(p, "team.yaml");
	free(p);

	CHECK(mkdtemp(root) != NULL);
	cfg = xasprintf("%s/ics2hubspot", root);
	mkdir(cfg, 0700);
	free(cfg);
	cfg = xasprintf("%s/ics2hubspot/mappings", root);
	mkdir(cfg, 0700);
	mine = xasprintf("%s/mine.yaml", cfg);
	outlook = xasprintf("%s/outlook.yaml", cfg);
	write_file(mine, "version: 1\n");
	setenv("XDG_CONFIG_HOME", root, 1);

	/* the order: XDG config, DATADIR, (a relocated install), the clone of this binary */
	n = mapping_preset_dirs(dirs);
	CHECK(n >= 3);
	CHECK_STR(dirs[0], cfg);
	CHECK_STR(dirs[1], DATADIR "/mappings");
	/* this test binary is build/<flavour>/tests/t-mapping in the clone: its mappings/ last */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(len > 0);
	exe[len > 0 ? len : 0] = '\0';
	*strrchr(exe, '/') = '\0';
	exe_clone = xasprintf("%s/../../../mappings", exe);
	CHECK(realpath(dirs[n - 1], real_dir) && realpath(exe_clone, real_want) &&
	      !strcmp(real_dir, real_want));
	free(exe_clone);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);

	p = mapping_find("mine", NULL);
	CHECK_STR(p, mine);
	free(p);
	/* the shipped preset (the clone's or an installed one) until the user has their own */
	p = mapping_find("outlook", NULL);
	CHECK(p && str_ends_with(p, "/outlook.yaml") && strcmp(p, outlook) && !access(p, R_OK));
	free(p);
	write_file(outlook, "version: 1\n");
	p = mapping_find("outlook", NULL);
	CHECK_STR(p, outlook);
	free(p);

	/* unknown: NULL and every preset found, sorted, each once */
	p = mapping_find("outlok", &known);
	CHECK(p == NULL);
	CHECK_STR(known, "default, google, mine, outlook");
	free(known);

	/* XDG_CONFIG_HOME unset, or relative (invalid): ~/.config */
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/nonexistent-home", 1);
	n = mapping_preset_dirs(dirs);
	CHECK_STR(dirs[0], "/nonexistent-home/.config/ics2hubspot/mappings");
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	n = mapping_preset_dirs(dirs);
	CHECK_STR(dirs[0], "/nonexistent-home/.config/ics2hubspot/mappings");
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	p = mapping_find("mine", &known);
	CHECK(p == NULL);
	CHECK_STR(known, "default, google, outlook");
	free(known);
	unsetenv("XDG_CONFIG_HOME");

	unlink(mine);
	unlink(outlook);
	rmdir(cfg);
	free(cfg);
	cfg = xasprintf("%s/ics2hubspot", root);
	rmdir(cfg);
	free(cfg);
	rmdir(root);
	free(mine);
	free(outlook);
}

/*
 * Issue 27 item 3: 40,000 attendees (each twice, names on the second copy only, 400
 * domains) give 40,000 contacts in first-seen order, each with its name, and 400
 * companies (and the organizer's); built in linear time (this took seconds when the duplicate check
 * was a scan; no timing is asserted here).
 */
static void test_many_attendees(void)
{
	struct mapping *m = mapping_load(NULL);
	struct occurrence o;
	struct meeting mt;
	const size_t n = 40000;
	bool order = true, names = true;

	CHECK(m != NULL);
	if (!m)
		return;
	fixture(&o);
	for (size_t i = 0; i < o.nattendees; i++)
		attendee_release(&o.attendees[i]);
	free(o.attendees);
	o.nattendees = 2 * n;
	o.attendees = xcalloc(o.nattendees, sizeof(*o.attendees));
	for (size_t i = 0; i < n; i++) {
		char email[64], name[32];

		snprintf(email, sizeof(email), "p%zu@d%zu.example", i, i % 400);
		snprintf(name, sizeof(name), "P %zu", i);
		set_attendee(&o.attendees[i], email, NULL, "ACCEPTED", NULL);
		set_attendee(&o.attendees[n + i], email, name, "ACCEPTED", NULL);
	}
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	CHECK_INT(mt.ncontact_emails, (long)n);
	CHECK_INT(mt.ncompany_domains, 401); /* and the organizer's corp.example */
	meeting_fill_contact_names(&mt, &o);
	for (size_t i = 0; i < mt.ncontact_emails && i < n; i++) {
		char email[64], name[32];

		snprintf(email, sizeof(email), "p%zu@d%zu.example", i, i % 400);
		snprintf(name, sizeof(name), "P %zu", i);
		order = order && !strcmp(mt.contact_emails[i], email);
		names = names && mt.contact_names && mt.contact_names[i] &&
			!strcmp(mt.contact_names[i], name);
	}
	CHECK(order);
	CHECK(names);
	meeting_release(&mt);
	occurrence_release(&o);
	mapping_free(m);
}

/* Apply a loaded mapping to the fixture. */
static struct meeting apply_with_mapping(const struct mapping *m)
{
	struct occurrence o;
	struct meeting mt;

	fixture(&o);
	memset(&mt, 0, sizeof(mt));
	CHECK_INT(mapping_apply(m, &o, &mt), 0);
	occurrence_release(&o);
	return mt;
}

/*
 * Issue 27 item 3: what aliases make the loader read counts against a budget (the
 * document's nodes + 100,000): 1,000 properties sharing a 10,000-entry map are refused
 * with FILE:LINE:COL; a map shared by a few properties is read, looked up without case.
 * Duplicate FROMs (any case) and duplicate property names are still found.
 */
static void test_alias_budget(void)
{
	struct sbuf y = SBUF_INIT;
	struct mapping *m;
	struct meeting mt;
	const char *err;

	for (int shared = 0; shared < 2; shared++) {
		size_t nprops = shared ? 5 : 1000;

		y.len = 0;
		sbuf_adds(&y, "version: 1\ncustom_properties: [");
		for (size_t i = 0; i < nprops; i++)
			sbuf_addf(&y, "%sp%zu", i ? ", " : "", i);
		sbuf_adds(&y, "]\nproperties:\n  hs_timestamp: \"{{ start }}\"\n"
			      "  p0:\n    value: \"{{ summary }}\"\n    map: &m\n");
		for (size_t i = 0; i < 10000; i++)
			sbuf_addf(&y, "      K%zu: v%zu\n", i, i);
		sbuf_adds(&y, "      Quarterly Review: found\n");
		for (size_t i = 1; i < nprops; i++)
			sbuf_addf(&y, "  p%zu: { value: \"{{ summary }}\", map: *m }\n", i);
		capture_begin();
		m = load_str(y.buf);
		err = capture_end();
		if (!shared) {
			CHECK(m == NULL);
			CHECK(strstr(err, ":10020:3: aliases make the mapping read more than") !=
			      NULL);
			mapping_free(m);
			continue;
		}
		CHECK(m != NULL);
		if (!m)
			continue;
		mt = apply_with_mapping(m);
		CHECK_STR(prop(&mt, "p0"), "found"); /* "Quarterly review" in the fixture */
		CHECK_STR(prop(&mt, "p4"), "found");
		meeting_release(&mt);
		mapping_free(m);
	}
	capture_begin();
	m = load_str("version: 1\nproperties:\n  hs_timestamp: \"{{ start }}\"\n"
		     "  hs_meeting_title:\n    value: \"{{ summary }}\"\n"
		     "    map: { a: x, b: y, A: z }\n");
	err = capture_end();
	CHECK(m == NULL);
	CHECK(strstr(err, ":6:24: duplicate key 'A' in the map of 'hs_meeting_title'") != NULL);
	capture_begin();
	m = load_str("version: 1\nproperties:\n  hs_timestamp: \"{{ start }}\"\n"
		     "  hs_meeting_title: x\n  hs_meeting_body: y\n  hs_meeting_title: z\n");
	err = capture_end();
	CHECK(m == NULL);
	CHECK(strstr(err, ":6:3: duplicate key 'hs_meeting_title' in properties (first at "
			  "line 4)") != NULL);
	sbuf_release(&y);
}

int main(void)
{
	char tmpl[] = "/tmp/t-mapping-XXXXXX";
	int fd = mkstemp(tmpl);

	close(fd);
	tmp_path = tmpl;
	test_load_errors();
	test_shipped();
	test_default_apply();
	test_filters();
	test_associations();
	test_values();
	test_load_options();
	test_remote();
	test_custom_and_values();
	test_preview();
	test_exclude_owners();
	test_keys();
	test_presets();
	test_many_attendees();
	test_alias_budget();
	unlink(tmp_path);
	return TEST_DONE();
}
