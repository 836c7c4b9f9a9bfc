/* t-assoc: associations — pure parts, and assoc_resolve/assoc_sync against a fake HubSpot. */
#include "assoc.h"
#include "report.h"
#include "util.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- a fake HubSpot: contacts, owners, companies, v4 associations ------------------------- */

struct fake {
	struct assoc_map contacts; /* e-mail → id */
	struct assoc_map firstname; /* e-mail → firstname given on upsert */
	struct assoc_map lastname;
	long next_id;
	int nowners; /* owners o0..o{n-1}@corp.example, ids 9000+i */
	int companies; /* domain cN.example has company 700+N (N < companies) */
	long requests, reads, upserts, owner_pages, searches, v4;
	long fail_read_at; /* the Nth batch/read (1-based) answers `fail_with` */
	enum hs_result fail_with;
	long max_inputs; /* biggest inputs array seen */
	const char *poison; /* a batch/read or upsert with this e-mail is refused (400) */
	const char *poison_upsert; /* an upsert with this e-mail is refused (400) */
	struct assoc_map v4_links; /* "meeting:kind:id" for created links */
	long v4_archived;
	char *last_owner_path;
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	assoc_map_init(&f->contacts);
	assoc_map_init(&f->firstname);
	assoc_map_init(&f->lastname);
	assoc_map_init(&f->v4_links);
	f->next_id = 100000;
}

static void fake_release(struct fake *f)
{
	assoc_map_release(&f->contacts);
	assoc_map_release(&f->firstname);
	assoc_map_release(&f->lastname);
	assoc_map_release(&f->v4_links);
	free(f->last_owner_path);
}

static void fake_add_contact(struct fake *f, const char *email)
{
	char id[32];

	snprintf(id, sizeof(id), "%ld", f->next_id++);
	assoc_map_add(&f->contacts, email, id);
}

static cJSON *contact_json(const char *email_as_stored, const char *id, bool is_new, bool upsert)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "properties"), "email", email_as_stored);
	if (upsert)
		cJSON_AddBoolToObject(c, "new", is_new);
	return c;
}

static long inputs_count(const cJSON *body)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "inputs"));
}

static bool has_input(const cJSON *body, const char *id)
{
	const cJSON *in;

	cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(body, "inputs"))
	{
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(in, "id"));

		if (id && v && !strcmp(v, id))
			return true;
	}
	return false;
}

static enum hs_result fake_call(void *ctx, const char *method, const char *path, const cJSON *body,
				bool idempotent, struct hs_response *resp)
{
	struct fake *f = ctx;
	cJSON *out = cJSON_CreateObject();
	cJSON *results = cJSON_AddArrayToObject(out, "results");
	const cJSON *in;

	(void)idempotent;
	memset(resp, 0, sizeof(*resp));
	f->requests++;
	if (inputs_count(body) > f->max_inputs)
		f->max_inputs = inputs_count(body);
	resp->status = 200;
	if (!strcmp(path, "/crm/objects/2026-09/contacts/batch/read")) {
		cJSON *ids = NULL;

		f->reads++;
		if (f->reads == f->fail_read_at || has_input(body, f->poison)) {
			cJSON_Delete(out);
			resp->status = 400;
			resp->message = xstrdup("fake: refused");
			return f->fail_with;
		}
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "idProperty")), "email");
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(body, "inputs"))
		{
			const char *email = cJSON_GetStringValue(cJSON_GetObjectItem(in, "id"));
			struct assoc_map_entry *e = assoc_map_find(&f->contacts, email);

			if (e) {
				/* HubSpot answers with the address as stored: its case may differ.
				 */
				cJSON_AddItemToArray(results,
						     contact_json(e->key, e->val, false, false));
				continue;
			}
			if (!ids) {
				cJSON *err = cJSON_CreateObject();

				cJSON_AddStringToObject(err, "status", "error");
				cJSON_AddStringToObject(err, "category", "OBJECT_NOT_FOUND");
				ids = cJSON_AddArrayToObject(
					cJSON_AddObjectToObject(err, "context"), "ids");
				cJSON_AddItemToArray(cJSON_AddArrayToObject(out, "errors"), err);
				resp->status = 207;
			}
			cJSON_AddItemToArray(ids, cJSON_CreateString(email));
		}
	} else if (!strcmp(path, "/crm/objects/2026-09/contacts/batch/upsert")) {
		f->upserts++;
		if (has_input(body, f->poison) || has_input(body, f->poison_upsert)) {
			cJSON_Delete(out);
			resp->status = 400;
			resp->message = xstrdup("fake: Email address is invalid");
			return HS_CLIENT_ERROR;
		}
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(body, "inputs"))
		{
			const char *email = cJSON_GetStringValue(cJSON_GetObjectItem(in, "id"));
			const cJSON *props = cJSON_GetObjectItem(in, "properties");
			bool is_new = !assoc_map_find(&f->contacts, email);
			const char *fn =
				cJSON_GetStringValue(cJSON_GetObjectItem(props, "firstname"));
			const char *ln =
				cJSON_GetStringValue(cJSON_GetObjectItem(props, "lastname"));

			CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(in, "idProperty")),
				  "email");
			if (is_new)
				fake_add_contact(f, email);
			if (fn)
				assoc_map_add(&f->firstname, email, fn);
			if (ln)
				assoc_map_add(&f->lastname, email, ln);
			cJSON_AddItemToArray(results,
					     contact_json(email,
							  assoc_map_find(&f->contacts, email)->val,
							  is_new, true));
		}
	} else if (!strncmp(path, "/crm/owners/2026-09?", 20)) {
		const char *after = strstr(path, "after=");
		int start = after ? atoi(after + 6) : 0;

		CHECK_STR(method, "GET");
		f->owner_pages++;
		free(f->last_owner_path);
		f->last_owner_path = xstrdup(path);
		for (int i = start; i < f->nowners && i < start + 100; i++) {
			cJSON *o = cJSON_CreateObject();
			char buf[64];

			snprintf(buf, sizeof(buf), "%d", 9000 + i);
			cJSON_AddStringToObject(o, "id", buf);
			snprintf(buf, sizeof(buf), "O%d@Corp.example", i);
			cJSON_AddStringToObject(o, "email", buf);
			cJSON_AddItemToArray(results, o);
		}
		if (start + 100 < f->nowners) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%d", start + 100);
			cJSON_AddStringToObject(
				cJSON_AddObjectToObject(cJSON_AddObjectToObject(out, "paging"),
							"next"),
				"after", buf);
		}
	} else if (!strcmp(path, "/crm/objects/2026-09/companies/search")) {
		const cJSON *f0 = cJSON_GetArrayItem(
			cJSON_GetObjectItem(
				cJSON_GetArrayItem(cJSON_GetObjectItem(body, "filterGroups"), 0),
				"filters"),
			0);
		const cJSON *v;

		f->searches++;
		CHECK(cJSON_GetObjectItem(body, "after") && cJSON_GetObjectItem(body, "sorts") &&
		      cJSON_GetObjectItem(body, "limit") &&
		      cJSON_GetObjectItem(body, "properties"));
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(f0, "operator")), "IN");
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(f0, "values"))
		{
			int k;

			if (sscanf(v->valuestring, "c%d.example", &k) == 1 && k < f->companies) {
				/* Two companies share each domain: the lower id must win. */
				for (int dup = 1; dup >= 0; dup--) {
					cJSON *c = cJSON_CreateObject();
					char buf[32];

					snprintf(buf, sizeof(buf), "%d", 700 + k + dup * 5000);
					cJSON_AddStringToObject(c, "id", buf);
					cJSON_AddStringToObject(
						cJSON_AddObjectToObject(c, "properties"), "domain",
						v->valuestring);
					cJSON_AddItemToArray(results, c);
				}
			}
		}
	} else if (!strncmp(path, "/crm/associations/2026-09/meetings/", 35)) {
		bool create = str_ends_with(path, "/batch/create");

		f->v4++;
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(body, "inputs"))
		{
			const char *from = cJSON_GetStringValue(
				cJSON_GetObjectItem(cJSON_GetObjectItem(in, "from"), "id"));
			const cJSON *to = cJSON_GetObjectItem(in, "to");
			const cJSON *t;

			if (create &&
			    !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(to, "id")), "404")) {
				cJSON *err = cJSON_CreateObject();

				cJSON_AddStringToObject(err, "message",
							"No CONTACT with id 404 exists");
				cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(
										    err, "context"),
									    "toObjectId"),
						     cJSON_CreateString("404"));
				if (!cJSON_GetObjectItem(out, "errors"))
					cJSON_AddArrayToObject(out, "errors");
				cJSON_AddItemToArray(cJSON_GetObjectItem(out, "errors"), err);
				continue;
			}
			if (create) {
				char *k = xasprintf(
					"%s:%s:%s", from, path + 35,
					cJSON_GetStringValue(cJSON_GetObjectItem(to, "id")));
				int tid = cJSON_GetArrayItem(cJSON_GetObjectItem(in, "types"), 0)
						  ->child->next->valueint;

				CHECK(tid == 200 || tid == 188 || tid == 212 || tid == 226);
				assoc_map_add(&f->v4_links, k, NULL);
				free(k);
				continue;
			}
			CHECK(cJSON_IsArray(to));
			cJSON_ArrayForEach(t, to) f->v4_archived++;
		}
		resp->status = create ? 201 : 204;
	} else {
		fprintf(stderr, "fake: unexpected %s %s\n", method, path);
		CHECK(0);
	}
	resp->body = out;
	return HS_OK;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void add_email(struct meeting *m, const char *email)
{
	m->contact_emails = xrealloc(m->contact_emails, (m->ncontact_emails + 1) * sizeof(char *));
	m->contact_emails[m->ncontact_emails++] = xstrdup(email);
}

static void add_domain(struct meeting *m, const char *d)
{
	m->company_domains =
		xrealloc(m->company_domains, (m->ncompany_domains + 1) * sizeof(char *));
	m->company_domains[m->ncompany_domains++] = xstrdup(d);
}

static const char *assoc_id(const struct meeting *m, enum assoc_kind k, const char *ref)
{
	for (size_t i = 0; i < m->nassocs; i++)
		if (m->assocs[i].kind == k && m->assocs[i].ref && !strcmp(m->assocs[i].ref, ref))
			return m->assocs[i].id;
	return NULL;
}

static size_t count_kind(const struct meeting *m, enum assoc_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nassocs; i++)
		n += m->assocs[i].kind == k;
	return n;
}

/* Write the report and return it parsed. */
static cJSON *report_json(struct report *rep, const char *path)
{
	char *text = NULL;
	size_t len;
	cJSON *j;

	CHECK_INT(report_write(rep, false), 0);
	if (file_read_all(path, &text, &len))
		return NULL;
	j = cJSON_Parse(text);
	free(text);
	return j;
}

static int array_has(const cJSON *arr, const char *s)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && !strcmp(v->valuestring, s)) return 1;
	return 0;
}

/* ---- pure parts --------------------------------------------------------------------------- */

static void test_map(void)
{
	struct assoc_map m;
	char key[64];

	assoc_map_init(&m);
	CHECK(!assoc_map_find(&m, "a@x.com"));
	CHECK(assoc_map_add(&m, "a@x.com", "1"));
	CHECK(!assoc_map_add(&m, "A@X.COM", "2"));
	CHECK_STR(assoc_map_find(&m, "A@x.Com")->val, "1");
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "user%d@example.com", i);
		CHECK(assoc_map_add(&m, key, i % 2 ? key : NULL));
	}
	CHECK_INT(m.n, 5001);
	CHECK_STR(assoc_map_find(&m, "USER4999@example.com")->val, "user4999@example.com");
	CHECK(assoc_map_find(&m, "user4998@example.com")->val == NULL);
	CHECK(!assoc_map_find(&m, "user5000@example.com"));
	assoc_map_release(&m);
	assoc_map_release(&m); /* twice is harmless */
}

static void check_name(const char *cn, const char *want_first, const char *want_last)
{
	char *first, *last;

	assoc_split_name(cn, &first, &last);
	CHECK_STR(first, want_first);
	CHECK_STR(last, want_last);
	free(first);
	free(last);
}

static void test_names(void)
{
	check_name("Doe, John", "John", "Doe");
	check_name("John Doe", "John", "Doe");
	check_name("  \"John Doe\"  ", "John", "Doe");
	check_name("Mary Ann Smith", "Mary Ann", "Smith");
	check_name("Doe, John (External)", "John", "Doe");
	check_name("Cher", "Cher", NULL);
	check_name("john.doe@example.com", NULL, NULL);
	check_name("\"john@example.com\"", NULL, NULL);
	check_name("", NULL, NULL);
	check_name(NULL, NULL, NULL);
	check_name("María González", "María", "González");
	check_name("Doe,", NULL, "Doe");
	check_name("(Room)", NULL, NULL);
}

static void test_bodies(void)
{
	char *emails[150];
	char jane[] = "Doe, Jane";
	char *names[2] = {jane, NULL};
	cJSON *b, *in;

	for (int i = 0; i < 150; i++)
		emails[i] = xasprintf("p%d@x.example", i);
	b = assoc_contacts_read_body(emails, 100);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(b, "idProperty")), "email");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(b, "inputs")), 100);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(b, "properties")), 3);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(b, "propertiesWithHistory")));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(b, "propertiesWithHistory")), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
			  cJSON_GetArrayItem(cJSON_GetObjectItem(b, "inputs"), 99), "id")),
		  "p99@x.example");
	cJSON_Delete(b);

	b = assoc_contacts_upsert_body(emails, names, 2);
	in = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "inputs"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(in, "idProperty")), "email");
	CHECK_STR(cJSON_GetStringValue(
			  cJSON_GetObjectItem(cJSON_GetObjectItem(in, "properties"), "firstname")),
		  "Jane");
	CHECK_STR(cJSON_GetStringValue(
			  cJSON_GetObjectItem(cJSON_GetObjectItem(in, "properties"), "lastname")),
		  "Doe");
	in = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "inputs"), 1);
	CHECK_STR(cJSON_GetStringValue(
			  cJSON_GetObjectItem(cJSON_GetObjectItem(in, "properties"), "email")),
		  "p1@x.example");
	CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(in, "properties"), "firstname"));
	cJSON_Delete(b);

	emails[0][0] = 'P'; /* IN values must be lower case */
	b = assoc_companies_search_body(emails, 2, NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(b, "after")), "0");
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(b, "sorts")));
	CHECK_INT(cJSON_GetObjectItem(b, "limit")->valueint, 200);
	in = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "filterGroups"), 0),
				    "filters"),
		0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(in, "values"), 0)),
		  "p0@x.example");
	cJSON_Delete(b);
	for (int i = 0; i < 150; i++)
		free(emails[i]);
}

static void test_parse(void)
{
	/* HubSpot's grouped 207: found records in results, every miss in one error. */
	const char *read207 =
		"{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"51\",\"properties\":{\"email\":"
		"\"Raj@Valmi.io\",\"firstname\":\"Raj\"},\"createdAt\":\"2024-01-01T00:00:00Z\"},"
		"{\"id\":52,\"properties\":{\"email\":\"b@x.com\"}},{\"id\":\"53\",\"properties\":{}}],"
		"\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":\"OBJECT_NOT_FOUND\","
		"\"message\":\"Could not get some CONTACT objects, they may be deleted or not exist. "
		"Check that ids are valid.\",\"context\":{\"ids\":[\"raj+3@valmi.io\",\"raj+2@valmi.io\""
		"]}}]}";
	const char *owners = "{\"results\":[{\"id\":\"301\",\"email\":\"Rep@MyCo.example\"},"
			     "{\"id\":\"302\",\"email\":\"gone@myco.example\",\"archived\":true},"
			     "{\"id\":\"303\",\"type\":\"QUEUE\"}],"
			     "\"paging\":{\"next\":{\"after\":\"303\",\"link\":\"x\"}}}";
	const char *owners_last = "{\"results\":[{\"id\":\"304\",\"email\":\"x@myco.example\"}]}";
	const char *companies =
		"{\"total\":3,\"results\":[{\"id\":\"900\",\"properties\":{\"domain\":\"a.com\"}},"
		"{\"id\":\"1000\",\"properties\":{\"domain\":\"a.com\"}},{\"id\":\"88\","
		"\"properties\":{\"domain\":\"A.com\"}},{\"id\":\"5\",\"properties\":{}}]}";
	struct assoc_map found, missing, own, comp;
	cJSON *b = cJSON_Parse(read207);
	char *after = NULL;

	assoc_map_init(&found);
	assoc_map_init(&missing);
	assoc_map_init(&own);
	assoc_map_init(&comp);
	CHECK_INT(assoc_parse_contacts(b, &found, &missing), 2);
	CHECK_STR(assoc_map_find(&found, "raj@valmi.io")->val, "51");
	CHECK_STR(assoc_map_find(&found, "b@x.com")->val, "52");
	CHECK_INT(found.n, 2);
	CHECK_INT(missing.n, 2);
	CHECK(assoc_map_find(&missing, "raj+2@valmi.io") != NULL);
	cJSON_Delete(b);

	b = cJSON_Parse(owners);
	CHECK_INT(assoc_parse_owners_page(b, &own, &after), 3);
	CHECK_STR(after, "303");
	CHECK_STR(assoc_map_find(&own, "rep@myco.example")->val, "301");
	CHECK(!assoc_map_find(&own, "gone@myco.example"));
	CHECK_INT(own.n, 1);
	free(after);
	cJSON_Delete(b);
	b = cJSON_Parse(owners_last);
	CHECK_INT(assoc_parse_owners_page(b, &own, &after), 1);
	CHECK(after == NULL);
	CHECK_INT(own.n, 2);
	cJSON_Delete(b);
	b = cJSON_Parse("{\"status\":\"error\"}");
	CHECK_INT(assoc_parse_owners_page(b, &own, &after), -1);
	cJSON_Delete(b);

	b = cJSON_Parse(companies);
	CHECK_INT(assoc_parse_companies_page(b, &comp, &after), 4);
	CHECK(after == NULL);
	CHECK_STR(assoc_map_find(&comp, "a.com")->val, "88");
	CHECK_INT(comp.n, 1);
	cJSON_Delete(b);

	assoc_map_release(&found);
	assoc_map_release(&missing);
	assoc_map_release(&own);
	assoc_map_release(&comp);
}

static cJSON *assocs_json(const char *spec)
{
	/* "200:1 188:2" → meeting_associations_json() format */
	struct meeting m = {0};
	char *s = xstrdup(spec), *save = NULL;
	cJSON *j;

	for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		int tid = atoi(t);
		enum assoc_kind k = tid == 200	 ? ASSOC_CONTACT
				    : tid == 188 ? ASSOC_COMPANY
				    : tid == 212 ? ASSOC_DEAL
						 : ASSOC_TICKET;

		meeting_add_assoc(&m, k, strchr(t, ':') + 1, NULL);
	}
	free(s);
	j = meeting_associations_json(&m);
	meeting_release(&m);
	return j;
}

static void test_diff(void)
{
	cJSON *o = assocs_json("200:1 200:2 188:7 212:1234");
	cJSON *n = assocs_json("200:2 200:3 188:7 188:8 226:1");
	struct assoc_pair *add, *del;
	size_t nadd, ndel;

	assoc_diff(o, n, &add, &nadd, &del, &ndel);
	CHECK_INT(nadd, 3);
	CHECK_INT(ndel, 2);
	for (size_t i = 0; i < nadd; i++)
		CHECK((add[i].kind == ASSOC_CONTACT && !strcmp(add[i].id, "3")) ||
		      (add[i].kind == ASSOC_COMPANY && !strcmp(add[i].id, "8")) ||
		      (add[i].kind == ASSOC_TICKET && !strcmp(add[i].id, "1")));
	for (size_t i = 0; i < ndel; i++)
		CHECK((del[i].kind == ASSOC_CONTACT && !strcmp(del[i].id, "1")) ||
		      (del[i].kind == ASSOC_DEAL && !strcmp(del[i].id, "1234")));
	free(add);
	free(del);
	/* Nothing stored before: everything is new; same lists: nothing to do. */
	assoc_diff(NULL, n, &add, &nadd, &del, &ndel);
	CHECK_INT(nadd, 5);
	CHECK_INT(ndel, 0);
	free(add);
	free(del);
	assoc_diff(n, n, &add, &nadd, &del, &ndel);
	CHECK_INT(nadd + ndel, 0);
	free(add);
	free(del);
	cJSON_Delete(o);
	cJSON_Delete(n);
}

/* ---- resolve against the fake ------------------------------------------------------------- */

#define NMEET	250
#define NEMAILS 350

/*
 * 250 meetings, 350 distinct attendees (each meeting has 3, overlapping), of
 * which every 7th is not in HubSpot; organizers o0..o4 plus one unknown.
 */
static struct meeting *make_meetings(struct meeting ***ptrs)
{
	struct meeting *ms = xcalloc(NMEET, sizeof(*ms));

	*ptrs = xcalloc(NMEET, sizeof(**ptrs));
	for (int i = 0; i < NMEET; i++) {
		struct meeting *m = &ms[i];
		char buf[64];

		(*ptrs)[i] = m;
		m->key = xasprintf("uid-%d", i);
		m->properties = cJSON_CreateObject();
		m->contact_names = xcalloc(3, sizeof(char *));
		for (int j = 0; j < 3; j++) {
			int k = (i * 3 + j) % NEMAILS;

			snprintf(buf, sizeof(buf), "p%d@c%d.example", k, k % 4);
			add_email(m, buf);
			/* Names are known in a later meeting only: the first one found is used. */
			if (i > 100)
				m->contact_names[j] = xasprintf("Last%d, First %d", k, k);
		}
		snprintf(buf, sizeof(buf), "c%d.example", i % 4);
		add_domain(m, buf);
		add_domain(m, "gmail.example");
		if (i % 50 == 49)
			m->owner_email = xstrdup("nobody@corp.example");
		else
			m->owner_email = xasprintf("o%d@corp.example", i % 5);
		if (i == 3)
			m->skip_reason = xstrdup("filters.skip_private");
		if (i == 0)
			meeting_add_assoc(m, ASSOC_DEAL, "1234", "deal:1234");
	}
	return ms;
}

static void free_meetings(struct meeting *ms, struct meeting **ptrs)
{
	for (int i = 0; i < NMEET; i++)
		meeting_release(&ms[i]);
	free(ms);
	free(ptrs);
}

/* Seed the fake with every attendee but every 7th. */
static void seed_contacts(struct fake *f, struct meeting *ms)
{
	for (int i = 0; i < NMEET; i++)
		for (size_t j = 0; j < ms[i].ncontact_emails; j++) {
			int k = atoi(ms[i].contact_emails[j] + 1);

			if (k % 7 && !assoc_map_find(&f->contacts, ms[i].contact_emails[j])) {
				/* stored with another case: matching must not care */
				char *upper = xstrdup(ms[i].contact_emails[j]);

				upper[0] = 'P';
				fake_add_contact(f, upper);
				free(upper);
			}
		}
}

static void test_resolve_unmatched(void)
{
	char path[] = "/tmp/t-assoc-report-XXXXXX";
	int fd = mkstemp(path);
	struct report *rep = report_new(path);
	struct fake f;
	struct assoc_io io = {fake_call, &f};
	struct assoc_config cfg = {
		.create_missing = false, .owner_property = "hubspot_owner_id", .companies = true};
	struct meeting **ptrs;
	struct meeting *ms = make_meetings(&ptrs);
	cJSON *j;
	size_t distinct_missing = 0;

	close(fd);
	fake_init(&f);
	f.nowners = 250; /* three pages; o0..o4 are all on the first */
	f.companies = 3; /* c3.example and gmail.example have none */
	seed_contacts(&f, ms);
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_OK);

	/* ceil(350/100) reads, no upsert, one owner page (every known organizer is on it,
	   but "nobody" is not: so all three pages), one search for 5 domains. */
	CHECK_INT(f.reads, 4);
	CHECK_INT(f.upserts, 0);
	CHECK_INT(f.owner_pages, 3);
	CHECK_INT(f.searches, 1);
	CHECK_INT(f.requests, 8);
	CHECK(f.max_inputs <= 100);

	for (int i = 0; i < NMEET; i++) {
		struct meeting *m = &ms[i];
		const char *owner = cJSON_GetStringValue(
			cJSON_GetObjectItem(m->properties, "hubspot_owner_id"));
		size_t want = 0;

		if (i == 3) {
			CHECK_INT(m->nassocs, 0);
			CHECK(owner == NULL);
			continue;
		}
		for (size_t k = 0; k < m->ncontact_emails; k++) {
			const char *e = m->contact_emails[k];
			const char *id = assoc_id(m, ASSOC_CONTACT, e);

			if (atoi(e + 1) % 7) {
				char *upper = xstrdup(e);

				upper[0] = 'P';
				CHECK_STR(id, assoc_map_find(&f.contacts, upper)->val);
				free(upper);
				want++;
			} else {
				CHECK(id == NULL);
			}
		}
		CHECK_INT(count_kind(m, ASSOC_CONTACT), want);
		if (i % 4 < 3) {
			char d[32], idbuf[16];

			snprintf(d, sizeof(d), "c%d.example", i % 4);
			snprintf(idbuf, sizeof(idbuf), "%d", 700 + i % 4);
			CHECK_STR(assoc_id(m, ASSOC_COMPANY, d), idbuf);
		}
		CHECK_INT(count_kind(m, ASSOC_COMPANY), i % 4 < 3 ? 1 : 0);
		CHECK_INT(count_kind(m, ASSOC_DEAL), i == 0);
		if (i % 50 == 49) {
			CHECK(owner == NULL);
		} else {
			char idbuf[16];

			snprintf(idbuf, sizeof(idbuf), "%d", 9000 + i % 5);
			CHECK_STR(owner, idbuf);
		}
	}
	for (int k = 0; k < NEMAILS; k++)
		distinct_missing += k % 7 == 0;

	j = report_json(rep, path);
	CHECK(j != NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "unmatched_attendees")),
		  distinct_missing);
	CHECK(array_has(cJSON_GetObjectItem(j, "unmatched_attendees"), "p0@c0.example"));
	CHECK(!array_has(cJSON_GetObjectItem(j, "unmatched_attendees"), "p1@c1.example"));
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "unmapped_organizers")), 1);
	CHECK(array_has(cJSON_GetObjectItem(j, "unmapped_organizers"), "nobody@corp.example"));
	cJSON_Delete(j);

	report_free(rep);
	unlink(path);
	free_meetings(ms, ptrs);
	fake_release(&f);
}

static void test_resolve_create_missing(void)
{
	struct report *rep = report_new(NULL);
	struct fake f;
	struct assoc_io io = {fake_call, &f};
	struct assoc_config cfg = {.create_missing = true};
	struct meeting **ptrs;
	struct meeting *ms = make_meetings(&ptrs);
	size_t before;

	fake_init(&f);
	f.nowners = 10;
	seed_contacts(&f, ms);
	before = f.contacts.n;
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_OK);
	/* 50 missing → one upsert; no owner property, no companies: nothing else. */
	CHECK_INT(f.reads, 4);
	CHECK_INT(f.upserts, 1);
	CHECK_INT(f.requests, 5);
	CHECK_INT(f.contacts.n, NEMAILS);
	CHECK_INT(f.contacts.n - before, 50);
	/* Names from the CN: p7 is missing and named "Last7, First 7" in meeting 236. */
	CHECK_STR(assoc_map_find(&f.firstname, "p7@c3.example")->val, "First 7");
	CHECK_STR(assoc_map_find(&f.lastname, "p7@c3.example")->val, "Last7");
	CHECK_INT(f.firstname.n, 50);
	for (int i = 0; i < NMEET; i++)
		CHECK_INT(count_kind(&ms[i], ASSOC_CONTACT), i == 3 ? 0 : 3);
	CHECK(!cJSON_GetObjectItem(ms[0].properties, "hubspot_owner_id"));
	free_meetings(ms, ptrs);

	/* A second run creates nothing: every contact is found by the reads. */
	ms = make_meetings(&ptrs);
	f.requests = f.reads = f.upserts = 0;
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_OK);
	CHECK_INT(f.reads, 4);
	CHECK_INT(f.upserts, 0);
	CHECK_INT(f.contacts.n, NEMAILS);
	CHECK_INT(count_kind(&ms[0], ASSOC_CONTACT), 3);
	free_meetings(ms, ptrs);
	report_free(rep);
	fake_release(&f);
}

static void test_resolve_failures(void)
{
	char path[] = "/tmp/t-assoc-report-XXXXXX";
	int fd = mkstemp(path);
	struct report *rep = report_new(path);
	struct fake f;
	struct assoc_io io = {fake_call, &f};
	struct assoc_config cfg = {.owner_property = "hubspot_owner_id"};
	struct meeting **ptrs;
	struct meeting *ms = make_meetings(&ptrs);
	cJSON *j;

	close(fd);
	fake_init(&f);
	f.nowners = 10;
	seed_contacts(&f, ms);
	/* The second read batch is refused once: it is halved, both halves pass. */
	f.fail_read_at = 2;
	f.fail_with = HS_CLIENT_ERROR;
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_OK);
	CHECK_INT(f.reads, 6);
	CHECK_INT(f.owner_pages, 1);
	CHECK_INT(count_kind(&ms[40], ASSOC_CONTACT), 3); /* p120..p122: in the refused batch */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ms[1].properties, "hubspot_owner_id")),
		  "9001");
	free_meetings(ms, ptrs);

	/* One address HubSpot always refuses: it alone is unmatched, the run goes on. */
	ms = make_meetings(&ptrs);
	f.requests = f.reads = f.owner_pages = 0;
	f.fail_read_at = 0;
	f.poison = "p150@c2.example";
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_OK);
	CHECK(f.reads <= 4 + 2 * 7);
	CHECK_INT(count_kind(&ms[50], ASSOC_CONTACT), 2); /* p150 p151 p152 */
	CHECK_INT(count_kind(&ms[51], ASSOC_CONTACT), 2); /* p154 is missing */
	j = report_json(rep, path);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "unmatched_attendees")), 50 + 1);
	CHECK(array_has(cJSON_GetObjectItem(j, "unmatched_attendees"), "p150@c2.example"));
	cJSON_Delete(j);
	free_meetings(ms, ptrs);

	/* The same with create_missing: the bad address fails its upsert alone. */
	ms = make_meetings(&ptrs);
	f.requests = f.reads = f.upserts = 0;
	f.poison = NULL;
	f.poison_upsert = "p147@c3.example"; /* a missing one (147 = 7 * 21) */
	cfg.create_missing = true;
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_OK);
	CHECK(f.upserts > 1 && f.upserts <= 1 + 2 * 6);
	CHECK_INT(f.contacts.n, NEMAILS - 1);
	CHECK_INT(count_kind(&ms[49], ASSOC_CONTACT), 2); /* p147 p148 p149 */
	cfg.create_missing = false;
	f.poison_upsert = NULL;
	free_meetings(ms, ptrs);

	/* The daily limit stops the run at once. */
	ms = make_meetings(&ptrs);
	f.requests = f.reads = f.owner_pages = 0;
	f.fail_read_at = f.reads + 1;
	f.fail_with = HS_DAILY_LIMIT;
	CHECK_INT(assoc_resolve_io(&io, &cfg, ptrs, NMEET, rep), HS_DAILY_LIMIT);
	CHECK_INT(f.requests, 1);
	CHECK_INT(ms[1].nassocs, 0);
	free_meetings(ms, ptrs);

	report_free(rep);
	unlink(path);
	fake_release(&f);
}

static void test_owner_paging(void)
{
	struct report *rep = report_new(NULL);
	struct fake f;
	struct assoc_io io = {fake_call, &f};
	struct assoc_config cfg = {.owner_property = "hubspot_owner_id"};
	struct meeting m = {0}, *p = &m;

	fake_init(&f);
	f.nowners = 450;
	m.key = xstrdup("k");
	m.owner_email = xstrdup("o321@corp.example");
	CHECK_INT(assoc_resolve_io(&io, &cfg, &p, 1, rep), HS_OK);
	/* o321 is on the fourth page: paging stops there. */
	CHECK_INT(f.owner_pages, 4);
	CHECK_STR(f.last_owner_path, "/crm/owners/2026-09?limit=100&after=300");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m.properties, "hubspot_owner_id")),
		  "9321");
	/* No contacts, no organizer: no request at all. */
	f.requests = 0;
	FREE_NULL(m.owner_email);
	CHECK_INT(assoc_resolve_io(&io, &cfg, &p, 1, rep), HS_OK);
	CHECK_INT(f.requests, 0);
	meeting_release(&m);
	report_free(rep);
	fake_release(&f);
}

static void test_sync(void)
{
	struct fake f;
	struct assoc_io io = {fake_call, &f};
	struct assoc_change ch[3] = {{0}};
	struct sbuf big = SBUF_INIT;
	cJSON *o0 = assocs_json("200:1 200:2 212:1234");
	cJSON *n0 = assocs_json("200:2 200:3 188:7");
	cJSON *n1, *o2 = assocs_json("200:5"), *bad = assocs_json("200:404");

	sbuf_adds(&big, "200:1");
	for (int i = 0; i < 150; i++)
		sbuf_addf(&big, " 200:%d", 1000 + i);
	n1 = assocs_json(big.buf);
	fake_init(&f);
	ch[0] = (struct assoc_change){.meeting_id = "m0", .old_assocs = o0, .new_assocs = n0};
	ch[1] = (struct assoc_change){.meeting_id = "m1", .old_assocs = NULL, .new_assocs = n1};
	ch[2] = (struct assoc_change){.meeting_id = "m2", .old_assocs = o2, .new_assocs = o2};
	CHECK_INT(assoc_sync_io(&io, ch, 3), HS_OK);
	/* creates: contacts 1 + 151 → 2 requests, companies 1; archives: contacts 1, deals 1. */
	CHECK_INT(f.v4, 5);
	CHECK(f.max_inputs <= 100);
	CHECK_INT(ch[0].added, 2);
	CHECK_INT(ch[0].removed, 2);
	CHECK_INT(ch[1].added, 151);
	CHECK_INT(ch[1].removed, 0);
	CHECK_INT(ch[2].added + ch[2].removed, 0);
	CHECK(!ch[0].failed && !ch[1].failed && !ch[2].failed);
	CHECK(assoc_map_find(&f.v4_links, "m0:contacts/batch/create:3") != NULL);
	CHECK(assoc_map_find(&f.v4_links, "m0:companies/batch/create:7") != NULL);
	CHECK(assoc_map_find(&f.v4_links, "m1:contacts/batch/create:1149") != NULL);
	CHECK_INT(f.v4_archived, 2);

	/* A 207 naming one association fails that meeting only. */
	ch[0] = (struct assoc_change){.meeting_id = "m0", .old_assocs = NULL, .new_assocs = o2};
	ch[1] = (struct assoc_change){.meeting_id = "m1", .old_assocs = o2, .new_assocs = bad};
	CHECK_INT(assoc_sync_io(&io, ch, 2), HS_OK);
	CHECK(!ch[0].failed && ch[0].added == 1);
	CHECK(ch[1].failed && ch[1].added == 0 && ch[1].removed == 1);
	sbuf_release(&big);
	cJSON_Delete(o0);
	cJSON_Delete(n0);
	cJSON_Delete(n1);
	cJSON_Delete(o2);
	cJSON_Delete(bad);
	fake_release(&f);
}

int main(void)
{
	util_verbosity = 0;
	test_map();
	test_names();
	test_bodies();
	test_parse();
	test_diff();
	test_resolve_unmatched();
	test_resolve_create_missing();
	test_resolve_failures();
	test_owner_paging();
	test_sync();
	return TEST_DONE();
}
