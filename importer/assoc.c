/* assoc: a run's associations — attendees → contacts, organizer → owner, domains → companies. */
#include "assoc.h"
#include "routes.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- case-insensitive string map ---------------------------------------------------------- */

static uint64_t ci_hash(const char *s)
{
	uint64_t h = HASH64_SEED;

	for (; *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 0x100000001b3ULL;
	}
	return h;
}

void assoc_map_init(struct assoc_map *m)
{
	memset(m, 0, sizeof(*m));
}

void assoc_map_release(struct assoc_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].val);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The slot holding `key`, or the free slot where it would go (cap > 0). */
static size_t map_slot(const struct assoc_map *m, const char *key)
{
	size_t i = (size_t)(ci_hash(key) & (m->cap - 1));

	while (m->v[i].key && strcasecmp(m->v[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void map_grow(struct assoc_map *m)
{
	struct assoc_map old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].key)
			m->v[map_slot(m, old.v[i].key)] = old.v[i];
	free(old.v);
}

bool assoc_map_add(struct assoc_map *m, const char *key, const char *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		map_grow(m);
	i = map_slot(m, key);
	if (m->v[i].key)
		return false;
	m->v[i].key = xstrdup(key);
	m->v[i].val = xstrdup(val);
	m->n++;
	return true;
}

struct assoc_map_entry *assoc_map_find(const struct assoc_map *m, const char *key)
{
	size_t i;

	if (!m->cap || !key)
		return NULL;
	i = map_slot(m, key);
	return m->v[i].key ? &m->v[i] : NULL;
}

/* A list of distinct strings in first-seen order, with a map for membership. */
struct strset {
	struct assoc_map seen;
	char **v;
	size_t n, cap;
};

static void strset_add(struct strset *s, const char *str, const char *val)
{
	if (!assoc_map_add(&s->seen, str, val))
		return;
	XGROW(s->v, s->cap, s->n + 1);
	s->v[s->n++] = xstrdup(str);
}

static void strset_release(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	assoc_map_release(&s->seen);
	memset(s, 0, sizeof(*s));
}

/* ---- names -------------------------------------------------------------------------------- */

/* Trim white space and surrounding quotes, in place. */
static char *trim_name(char *s)
{
	size_t n;

	str_trim(s);
	n = strlen(s);
	while (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\''))) {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
		str_trim(s);
		n = strlen(s);
	}
	return s;
}

static char *nonempty(char *s)
{
	if (s && !*s) {
		free(s);
		return NULL;
	}
	return s;
}

void assoc_split_name(const char *cn, char **first, char **last)
{
	char *s, *comma, *sp;
	size_t n;

	*first = *last = NULL;
	if (!cn)
		return;
	s = trim_name(xstrdup(cn));
	/* "Doe, John (External)", "John Doe [Acme]": drop the trailing remark. */
	n = strlen(s);
	if (n && (s[n - 1] == ')' || s[n - 1] == ']')) {
		char *open = strrchr(s, s[n - 1] == ')' ? '(' : '[');

		if (open) {
			*open = '\0';
			trim_name(s);
		}
	}
	if (!*s || strchr(s, '@')) {
		free(s);
		return;
	}
	comma = strchr(s, ',');
	if (comma) {
		*comma = '\0';
		*last = nonempty(xstrdup(trim_name(s)));
		*first = nonempty(xstrdup(trim_name(comma + 1)));
	} else if ((sp = strrchr(s, ' ')) != NULL) {
		*sp = '\0';
		*first = nonempty(xstrdup(trim_name(s)));
		*last = nonempty(xstrdup(trim_name(sp + 1)));
	} else {
		*first = xstrdup(s);
	}
	free(s);
}

/* The CN of attendee `i` of m->contact_emails, or NULL when unknown. */
static const char *contact_name(const struct meeting *m, size_t i)
{
	return m->contact_names ? m->contact_names[i] : NULL;
}

/* ---- request bodies and answers ----------------------------------------------------------- */

static cJSON *string_array(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

cJSON *assoc_contacts_read_body(char *const *emails, size_t n)
{
	static const char *const props[] = {"email", "firstname", "lastname"};
	cJSON *body = cJSON_CreateObject();
	cJSON *inputs;

	cJSON_AddStringToObject(body, "idProperty", "email");
	cJSON_AddItemToObject(body, "properties", string_array(props, 3));
	cJSON_AddArrayToObject(body, "propertiesWithHistory");
	inputs = cJSON_AddArrayToObject(body, "inputs");
	for (size_t i = 0; i < n; i++) {
		cJSON *in = cJSON_CreateObject();

		cJSON_AddStringToObject(in, "id", emails[i]);
		cJSON_AddItemToArray(inputs, in);
	}
	return body;
}

cJSON *assoc_contacts_upsert_body(char *const *emails, char *const *names, size_t n)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *inputs = cJSON_AddArrayToObject(body, "inputs");

	for (size_t i = 0; i < n; i++) {
		cJSON *in = cJSON_CreateObject();
		cJSON *props;
		char *first, *last;

		cJSON_AddStringToObject(in, "id", emails[i]);
		cJSON_AddStringToObject(in, "idProperty", "email");
		props = cJSON_AddObjectToObject(in, "properties");
		cJSON_AddStringToObject(props, "email", emails[i]);
		assoc_split_name(names ? names[i] : NULL, &first, &last);
		if (first)
			cJSON_AddStringToObject(props, "firstname", first);
		if (last)
			cJSON_AddStringToObject(props, "lastname", last);
		free(first);
		free(last);
		cJSON_AddItemToArray(inputs, in);
	}
	return body;
}

static const char *str_item(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* An id that may come as a string or (in older answers) a number; into buf. */
static const char *id_item(const cJSON *o, const char *name, char *buf, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v) && v->valuestring[0])
		return v->valuestring;
	if (cJSON_IsNumber(v)) {
		snprintf(buf, n, "%.0f", v->valuedouble);
		return buf;
	}
	return NULL;
}

size_t assoc_parse_contacts(const cJSON *body, struct assoc_map *found, struct assoc_map *missing)
{
	const cJSON *r, *e;
	size_t used = 0;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(body, "results"))
	{
		char buf[32];
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(r, "properties");
		const char *email = str_item(props, "email");
		const char *id = id_item(r, "id", buf, sizeof(buf));

		if (!email || !id)
			continue;
		assoc_map_add(found, email, id);
		used++;
	}
	if (!missing)
		return used;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(body, "errors"))
	{
		const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(e, "context");
		const cJSON *id;

		cJSON_ArrayForEach(
			id, cJSON_GetObjectItemCaseSensitive(ctx, "ids")) if (cJSON_IsString(id))
			assoc_map_add(missing, id->valuestring, NULL);
	}
	return used;
}

static char *paging_after(const cJSON *body)
{
	const cJSON *next = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(body, "paging"), "next");
	char buf[32];
	const char *after = id_item(next, "after", buf, sizeof(buf));

	return after ? xstrdup(after) : NULL;
}

int assoc_parse_owners_page(const cJSON *body, struct assoc_map *owners, char **after)
{
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(body, "results");
	const cJSON *o;
	int n = 0;

	*after = NULL;
	if (!cJSON_IsArray(results))
		return -1;
	cJSON_ArrayForEach(o, results)
	{
		char buf[32];
		const char *email = str_item(o, "email");
		const char *id = id_item(o, "id", buf, sizeof(buf));
		const cJSON *archived = cJSON_GetObjectItemCaseSensitive(o, "archived");

		n++;
		if (!email || !*email || !id || cJSON_IsTrue(archived))
			continue;
		assoc_map_add(owners, email, id);
	}
	*after = paging_after(body);
	return n;
}

cJSON *assoc_companies_search_body(char *const *domains, size_t n, const char *after)
{
	static const char *const props[] = {"domain", "name"};
	cJSON *body = cJSON_CreateObject();
	cJSON *groups = cJSON_AddArrayToObject(body, "filterGroups");
	cJSON *group = cJSON_CreateObject();
	cJSON *filters = cJSON_AddArrayToObject(group, "filters");
	cJSON *f = cJSON_CreateObject();
	cJSON *values = cJSON_AddArrayToObject(f, "values");

	cJSON_AddStringToObject(f, "propertyName", "domain");
	cJSON_AddStringToObject(f, "operator", "IN");
	for (size_t i = 0; i < n; i++) {
		char *d = str_lower(xstrdup(domains[i]));

		cJSON_AddItemToArray(values, cJSON_CreateString(d));
		free(d);
	}
	cJSON_AddItemToArray(filters, f);
	cJSON_AddItemToArray(groups, group);
	cJSON_AddItemToObject(body, "properties", string_array(props, 2));
	cJSON_AddNumberToObject(body, "limit", 200);
	cJSON_AddStringToObject(body, "after", after ? after : "0");
	cJSON_AddArrayToObject(body, "sorts");
	return body;
}

/* Numeric ids compare by value ("99" < "100"); others as strings. */
static int id_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (strspn(a, "0123456789") == la && strspn(b, "0123456789") == lb && la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int assoc_parse_companies_page(const cJSON *body, struct assoc_map *companies, char **after)
{
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(body, "results");
	const cJSON *o;
	int n = 0;

	*after = NULL;
	if (!cJSON_IsArray(results))
		return -1;
	cJSON_ArrayForEach(o, results)
	{
		char buf[32];
		const char *domain =
			str_item(cJSON_GetObjectItemCaseSensitive(o, "properties"), "domain");
		const char *id = id_item(o, "id", buf, sizeof(buf));
		struct assoc_map_entry *e;

		n++;
		if (!domain || !*domain || !id)
			continue;
		if (assoc_map_add(companies, domain, id))
			continue;
		e = assoc_map_find(companies, domain);
		if (!e->val || id_cmp(id, e->val) < 0) {
			free(e->val);
			e->val = xstrdup(id);
		}
	}
	*after = paging_after(body);
	return n;
}

/* ---- transport ---------------------------------------------------------------------------- */

static enum hs_result call_hs(void *ctx, const char *method, const char *path, const cJSON *body,
			      bool idempotent, struct hs_response *resp)
{
	return hs_call(ctx, method, path, body, idempotent, resp);
}

/* The run must stop on these. */
static bool fatal(enum hs_result r)
{
	return r == HS_AUTH || r == HS_DAILY_LIMIT || r == HS_FAILED;
}

static const char *why(enum hs_result r, const struct hs_response *resp);

/*
 * HubSpot refused the token or a scope (401/403): one error, in the batcher's
 * words, and no per-attendee claims; the run stops (fatal()) and says no more.
 */
static void refused(const struct hs_response *resp)
{
	error("%s; stopping", why(HS_AUTH, resp));
}

static const char *why(enum hs_result r, const struct hs_response *resp)
{
	return resp->message ? resp->message : hs_result_name(r);
}

/* ---- contacts ----------------------------------------------------------------------------- */

struct resolver {
	const struct assoc_io *io;
	const struct assoc_config *cfg;
	struct report *rep;
	struct assoc_map contacts; /* e-mail → contact id */
	struct assoc_map owners; /* e-mail → owner id */
	bool owners_all; /* every owner page was read (exclude_domains: [owners]) */
	struct assoc_map companies; /* domain → company id */
	int splits; /* batches still allowed to be halved after a 4xx */
};

/* Requests a run may add by halving refused contact batches (a systematic 4xx stops early). */
#define ASSOC_SPLIT_BUDGET 32

/* Read emails[0..n) (≤100); the misses go to *missing. */
static enum hs_result read_contacts(struct resolver *r, char **emails, size_t n,
				    struct strset *missing, struct assoc_map *failed)
{
	cJSON *body = assoc_contacts_read_body(emails, n);
	struct hs_response resp = {0};
	enum hs_result hr;

	hr = r->io->call(r->io->ctx, "POST", hs_route(HS_CONTACTS_BATCH_READ), body, true, &resp);
	cJSON_Delete(body);
	if (hr == HS_OK) {
		assoc_parse_contacts(resp.body, &r->contacts, NULL);
		for (size_t i = 0; i < n; i++)
			if (!assoc_map_find(&r->contacts, emails[i]))
				strset_add(missing, emails[i], NULL);
	} else if (hr == HS_CLIENT_ERROR && n > 1 && r->splits > 0) {
		/* One address HubSpot rejects must not sink the others: halve and retry. */
		r->splits--;
		hs_response_release(&resp);
		hr = read_contacts(r, emails, n / 2, missing, failed);
		if (hr == HS_OK)
			hr = read_contacts(r, emails + n / 2, n - n / 2, missing, failed);
		return hr;
	} else if (hr == HS_AUTH) {
		refused(&resp);
	} else {
		warning("contacts look-up of %zu attendee(s) failed (%s): reported as unmatched", n,
			why(hr, &resp));
		for (size_t i = 0; i < n; i++)
			assoc_map_add(failed, emails[i], NULL);
	}
	hs_response_release(&resp);
	return fatal(hr) ? hr : HS_OK;
}

static enum hs_result upsert_contacts(struct resolver *r, char **emails, char **names, size_t n,
				      struct assoc_map *failed)
{
	cJSON *body = assoc_contacts_upsert_body(emails, names, n);
	struct hs_response resp = {0};
	enum hs_result hr;
	size_t created = 0;

	hr = r->io->call(r->io->ctx, "POST", hs_route(HS_CONTACTS_BATCH_UPSERT), body, true, &resp);
	cJSON_Delete(body);
	if (hr == HS_OK) {
		const cJSON *res;
		const cJSON *err;

		assoc_parse_contacts(resp.body, &r->contacts, NULL);
		cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(resp.body, "results")) if (
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "new"))) created++;
		err = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp.body, "errors"), 0);
		for (size_t i = 0; i < n; i++) {
			if (assoc_map_find(&r->contacts, emails[i]))
				continue;
			warning("contact '%s' could not be created: %s", emails[i],
				err && str_item(err, "message") ? str_item(err, "message")
								: "not in HubSpot's answer");
			assoc_map_add(failed, emails[i], NULL);
		}
		verbose("contacts: %zu created, %zu already there", created, n - created);
	} else if (hr == HS_CLIENT_ERROR && n > 1 && r->splits > 0) {
		/* An upsert is all or nothing: halve it so that one bad address fails alone. */
		r->splits--;
		hs_response_release(&resp);
		hr = upsert_contacts(r, emails, names, n / 2, failed);
		if (hr == HS_OK)
			hr = upsert_contacts(r, emails + n / 2, names + n / 2, n - n / 2, failed);
		return hr;
	} else if (hr == HS_AUTH) {
		refused(&resp);
	} else {
		warning("creating %zu contact(s) failed (%s): reported as unmatched", n,
			why(hr, &resp));
		for (size_t i = 0; i < n; i++)
			assoc_map_add(failed, emails[i], NULL);
	}
	hs_response_release(&resp);
	return fatal(hr) ? hr : HS_OK;
}

static enum hs_result resolve_contacts(struct resolver *r, struct meeting **ms, size_t n)
{
	struct strset all = {0}, missing = {0};
	struct assoc_map failed;
	enum hs_result hr = HS_OK;

	assoc_map_init(&failed);
	/* Every e-mail once, with the first name any meeting gives it. */
	for (size_t i = 0; i < n; i++) {
		if (ms[i]->skip_reason)
			continue;
		for (size_t j = 0; j < ms[i]->ncontact_emails; j++) {
			const char *email = ms[i]->contact_emails[j];
			const char *name = contact_name(ms[i], j);
			struct assoc_map_entry *e;

			if (!email || !*email)
				continue;
			strset_add(&all, email, name);
			e = assoc_map_find(&all.seen, email);
			if (!e->val && name && *name)
				e->val = xstrdup(name);
		}
	}
	for (size_t i = 0; i < all.n && hr == HS_OK; i += ASSOC_BATCH_MAX) {
		size_t k = all.n - i < ASSOC_BATCH_MAX ? all.n - i : ASSOC_BATCH_MAX;

		hr = read_contacts(r, all.v + i, k, &missing, &failed);
	}
	verbose("contacts: %zu attendee(s), %zu known, %zu missing", all.n,
		all.n - missing.n - failed.n, missing.n);
	if (hr == HS_OK && missing.n && r->cfg->create_missing && r->cfg->dry_run) {
		/* Not created: a stand-in id, so the plan still sees the association change. */
		for (size_t i = 0; i < missing.n; i++) {
			char *id = xasprintf("new:%s", missing.v[i]);

			assoc_map_add(&r->contacts, missing.v[i], id);
			free(id);
		}
		report_note(r->rep,
			    "dry run: %zu contact(s) would be created (create_missing) and "
			    "associated",
			    missing.n);
	} else if (hr == HS_OK && missing.n && r->cfg->create_missing) {
		char **names = xcalloc(missing.n, sizeof(*names));

		for (size_t i = 0; i < missing.n; i++)
			names[i] = assoc_map_find(&all.seen, missing.v[i])->val;
		for (size_t i = 0; i < missing.n && hr == HS_OK; i += ASSOC_BATCH_MAX) {
			size_t k =
				missing.n - i < ASSOC_BATCH_MAX ? missing.n - i : ASSOC_BATCH_MAX;

			hr = upsert_contacts(r, missing.v + i, names + i, k, &failed);
		}
		free(names);
	} else if (hr == HS_OK) {
		for (size_t i = 0; i < missing.n; i++)
			report_unmatched_attendee(r->rep, missing.v[i]);
	}
	for (size_t i = 0; i < failed.cap; i++)
		if (failed.v[i].key)
			report_unmatched_attendee(r->rep, failed.v[i].key);

	for (size_t i = 0; i < n; i++) {
		if (ms[i]->skip_reason)
			continue;
		for (size_t j = 0; j < ms[i]->ncontact_emails; j++) {
			const char *email = ms[i]->contact_emails[j];
			struct assoc_map_entry *e = assoc_map_find(&r->contacts, email);

			if (e && e->val)
				meeting_add_assoc(ms[i], ASSOC_CONTACT, e->val, email);
		}
	}
	assoc_map_release(&failed);
	strset_release(&missing);
	strset_release(&all);
	return hr;
}

/* ---- owners ------------------------------------------------------------------------------- */

/* Percent-encode a paging cursor for a query string. */
static void add_query_value(struct sbuf *sb, const char *v)
{
	for (; *v; v++) {
		unsigned char ch = (unsigned char)*v;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			sbuf_addc(sb, (char)ch);
		else
			sbuf_addf(sb, "%%%02X", ch);
	}
}

static bool all_matched(const struct strset *want, const struct assoc_map *have)
{
	for (size_t i = 0; i < want->n; i++)
		if (!assoc_map_find(have, want->v[i]))
			return false;
	return true;
}

/*
 * Page GET owners into r->owners until every e-mail of `want` is
 * matched (want NULL: every page). False when a page could not be read
 * (warned); *hr is set when HubSpot must stop the run.
 */
static bool read_owners(struct resolver *r, const struct strset *want, int *pages,
			enum hs_result *hr)
{
	char *after = NULL;
	bool ok = true;

	do {
		struct sbuf path = SBUF_INIT;
		struct hs_response resp = {0};
		char *next = NULL;

		sbuf_adds(&path, hs_route(HS_OWNERS));
		sbuf_adds(&path, "?limit=100");
		if (after) {
			sbuf_adds(&path, "&after=");
			add_query_value(&path, after);
		}
		*hr = r->io->call(r->io->ctx, "GET", path.buf, NULL, true, &resp);
		sbuf_release(&path);
		(*pages)++;
		if (*hr == HS_AUTH) {
			refused(&resp);
			ok = false;
		} else if (*hr != HS_OK ||
			   assoc_parse_owners_page(resp.body, &r->owners, &next) < 0) {
			warning("HubSpot owners could not be read (%s): meetings get no owner",
				*hr != HS_OK ? why(*hr, &resp) : "unexpected answer");
			report_note(r->rep,
				    "owners could not be read: meetings were given no owner");
			ok = false;
		}
		hs_response_release(&resp);
		free(after);
		after = next;
	} while (ok && after && (!want || !all_matched(want, &r->owners)));
	free(after);
	return ok;
}

/* Is `domain`, or a domain it is under, one of `set`? */
static bool under_domain(const struct assoc_map *set, const char *domain)
{
	for (const char *d = domain; d; d = strchr(d, '.'), d = d ? d + 1 : NULL)
		if (assoc_map_find(set, d))
			return true;
	return false;
}

/*
 * exclude_domains: [owners]: read every owner, and drop the attendees and
 * company domains of the owners' own domains (free-mail domains excepted):
 * colleagues are not contacts, and the portal's company is not a company.
 */
static enum hs_result exclude_owner_domains(struct resolver *r, struct meeting **ms, size_t n)
{
	struct assoc_map domains;
	enum hs_result hr = HS_OK;
	int pages = 0;
	size_t dropped = 0;
	bool any = false;

	for (size_t i = 0; i < n && !any; i++)
		any = !ms[i]->skip_reason &&
		      ((r->cfg->contacts_exclude_owners && ms[i]->ncontact_emails) ||
		       (r->cfg->companies_exclude_owners && ms[i]->ncompany_domains));
	if (!any)
		return HS_OK;
	r->owners_all = true;
	if (!read_owners(r, NULL, &pages, &hr)) {
		if (!fatal(hr))
			warning("the owners' domains are not known: colleagues may be associated "
				"as contacts and companies (exclude_domains: [owners])");
		return fatal(hr) ? hr : HS_OK;
	}
	assoc_map_init(&domains);
	for (size_t i = 0; i < r->owners.cap; i++) {
		const char *e = r->owners.v[i].key;
		const char *d = e ? email_domain(e) : NULL;

		if (d && *d && !mapping_free_mail_domain(d))
			assoc_map_add(&domains, d, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		struct meeting *m = ms[i];
		size_t k = 0;

		if (m->skip_reason)
			continue;
		for (size_t j = 0; r->cfg->contacts_exclude_owners && j < m->ncontact_emails; j++) {
			const char *d = email_domain(m->contact_emails[j]);

			if (d && under_domain(&domains, d)) {
				free(m->contact_emails[j]);
				if (m->contact_names)
					free(m->contact_names[j]);
				dropped++;
				continue;
			}
			if (m->contact_names)
				m->contact_names[k] = m->contact_names[j];
			m->contact_emails[k++] = m->contact_emails[j];
		}
		if (r->cfg->contacts_exclude_owners)
			m->ncontact_emails = k;
		k = 0;
		for (size_t j = 0; r->cfg->companies_exclude_owners && j < m->ncompany_domains;
		     j++) {
			if (under_domain(&domains, m->company_domains[j])) {
				free(m->company_domains[j]);
				continue;
			}
			m->company_domains[k++] = m->company_domains[j];
		}
		if (r->cfg->companies_exclude_owners)
			m->ncompany_domains = k;
	}
	verbose("owners: %d page(s), %zu domain(s) of the portal's users excluded; %zu "
		"colleague(s) not associated as contacts",
		pages, domains.n, dropped);
	assoc_map_release(&domains);
	return HS_OK;
}

static enum hs_result resolve_owners(struct resolver *r, struct meeting **ms, size_t n)
{
	struct strset want = {0};
	enum hs_result hr = HS_OK;
	bool ok = true;
	int pages = 0;
	size_t matched = 0;

	for (size_t i = 0; i < n; i++)
		if (!ms[i]->skip_reason && ms[i]->owner_email && *ms[i]->owner_email)
			strset_add(&want, ms[i]->owner_email, NULL);
	if (!want.n)
		goto out;
	if (!r->owners_all) /* else every owner is already known */
		ok = read_owners(r, &want, &pages, &hr);
	for (size_t i = 0; i < want.n; i++)
		matched += assoc_map_find(&r->owners, want.v[i]) != NULL;
	verbose("owners: %d page(s), %zu of %zu organizer(s) matched", pages, matched, want.n);

	for (size_t i = 0; i < n; i++) {
		struct meeting *m = ms[i];
		struct assoc_map_entry *e;

		if (m->skip_reason || !m->owner_email || !*m->owner_email)
			continue;
		e = assoc_map_find(&r->owners, m->owner_email);
		if (!e) {
			if (ok)
				report_unmapped_organizer(r->rep, m->owner_email);
			continue;
		}
		if (!m->properties)
			m->properties = cJSON_CreateObject();
		cJSON_DeleteItemFromObjectCaseSensitive(m->properties, r->cfg->owner_property);
		cJSON_AddStringToObject(m->properties, r->cfg->owner_property, e->val);
	}
out:
	strset_release(&want);
	return fatal(hr) ? hr : HS_OK;
}

/* ---- companies ---------------------------------------------------------------------------- */

static enum hs_result resolve_companies(struct resolver *r, struct meeting **ms, size_t n)
{
	struct strset all = {0};
	enum hs_result hr = HS_OK;
	size_t unknown = 0;

	for (size_t i = 0; i < n; i++) {
		if (ms[i]->skip_reason)
			continue;
		for (size_t j = 0; j < ms[i]->ncompany_domains; j++)
			if (ms[i]->company_domains[j] && *ms[i]->company_domains[j])
				strset_add(&all, ms[i]->company_domains[j], NULL);
	}
	for (size_t i = 0; i < all.n && !fatal(hr); i += ASSOC_BATCH_MAX) {
		size_t k = all.n - i < ASSOC_BATCH_MAX ? all.n - i : ASSOC_BATCH_MAX;
		char *after = NULL;

		do {
			cJSON *body = assoc_companies_search_body(all.v + i, k, after);
			struct hs_response resp = {0};
			char *next = NULL;

			hr = r->io->call(r->io->ctx, "POST", hs_route(HS_COMPANIES_SEARCH), body,
					 true, &resp);
			cJSON_Delete(body);
			if (hr == HS_AUTH)
				refused(&resp);
			else if (hr != HS_OK ||
				 assoc_parse_companies_page(resp.body, &r->companies, &next) < 0)
				warning("companies search for %zu domain(s) failed (%s): no company "
					"associations for them",
					k, hr != HS_OK ? why(hr, &resp) : "unexpected answer");
			hs_response_release(&resp);
			free(after);
			after = next;
		} while (after);
	}
	for (size_t i = 0; i < all.n; i++)
		if (!assoc_map_find(&r->companies, all.v[i])) {
			verbose("no HubSpot company with domain '%s'", all.v[i]);
			unknown++;
		}
	verbose("companies: %zu domain(s), %zu without a company", all.n, unknown);
	for (size_t i = 0; i < n; i++) {
		if (ms[i]->skip_reason)
			continue;
		for (size_t j = 0; j < ms[i]->ncompany_domains; j++) {
			const char *d = ms[i]->company_domains[j];
			struct assoc_map_entry *e = assoc_map_find(&r->companies, d);

			if (e && e->val)
				meeting_add_assoc(ms[i], ASSOC_COMPANY, e->val, d);
		}
	}
	strset_release(&all);
	return fatal(hr) ? hr : HS_OK;
}

/* ---- resolve ------------------------------------------------------------------------------ */

enum hs_result assoc_resolve_io(const struct assoc_io *io, const struct assoc_config *cfg,
				struct meeting **ms, size_t n, struct report *rep)
{
	struct resolver r = {.io = io, .cfg = cfg, .rep = rep, .splits = ASSOC_SPLIT_BUDGET};
	enum hs_result hr;

	assoc_map_init(&r.contacts);
	assoc_map_init(&r.owners);
	assoc_map_init(&r.companies);
	hr = exclude_owner_domains(&r, ms, n);
	if (hr == HS_OK)
		hr = resolve_contacts(&r, ms, n);
	if (hr == HS_OK && cfg->owner_property)
		hr = resolve_owners(&r, ms, n);
	if (hr == HS_OK && cfg->companies)
		hr = resolve_companies(&r, ms, n);
	assoc_map_release(&r.contacts);
	assoc_map_release(&r.owners);
	assoc_map_release(&r.companies);
	return hr;
}

enum hs_result assoc_resolve(struct hs_client *c, const struct mapping *map, struct meeting **ms,
			     size_t n, struct report *rep, bool dry_run)
{
	const struct mapping_contacts *mc = mapping_contacts(map);
	struct assoc_config cfg = {
		.create_missing = mc && mc->create_missing,
		.owner_property = mapping_owner_property(map),
		.companies = mapping_wants_companies(map),
		.contacts_exclude_owners = mc && mc->enabled && mc->exclude_owners,
		.companies_exclude_owners = mapping_companies_exclude_owners(map),
		.dry_run = dry_run,
	};
	struct assoc_io io = {call_hs, c};

	return assoc_resolve_io(&io, &cfg, ms, n, rep);
}

/* check's preview: exclude_domains: [owners] alone (the owners read, nothing else looked up). */
enum hs_result assoc_exclude_owners(struct hs_client *c, const struct mapping *map,
				    struct meeting **ms, size_t n, struct report *rep)
{
	const struct mapping_contacts *mc = mapping_contacts(map);
	struct assoc_config cfg = {
		.contacts_exclude_owners = mc && mc->enabled && mc->exclude_owners,
		.companies_exclude_owners = mapping_companies_exclude_owners(map),
		.dry_run = true,
	};
	struct assoc_io io = {call_hs, c};
	struct resolver r = {.io = &io, .cfg = &cfg, .rep = rep, .splits = ASSOC_SPLIT_BUDGET};
	enum hs_result hr;

	assoc_map_init(&r.contacts);
	assoc_map_init(&r.owners);
	assoc_map_init(&r.companies);
	hr = exclude_owner_domains(&r, ms, n);
	assoc_map_release(&r.contacts);
	assoc_map_release(&r.owners);
	assoc_map_release(&r.companies);
	return hr;
}

/* ---- sync: v4 batch create / archive ------------------------------------------------------ */

static const char *const kind_paths[] = {
	[ASSOC_CONTACT] = "contacts",
	[ASSOC_COMPANY] = "companies",
	[ASSOC_DEAL] = "deals",
	[ASSOC_TICKET] = "tickets",
};
#define NKINDS 4

static int kind_of_type_id(int type_id, enum assoc_kind *out)
{
	for (int k = 0; k < NKINDS; k++)
		if (assoc_type_id((enum assoc_kind)k) == type_id) {
			*out = (enum assoc_kind)k;
			return 0;
		}
	return -1;
}

/* The pairs of one association array. */
static size_t read_pairs(const cJSON *arr, struct assoc_pair **out)
{
	const cJSON *a;
	size_t n = 0, cap = 0;

	*out = NULL;
	cJSON_ArrayForEach(a, arr)
	{
		const char *id = str_item(cJSON_GetObjectItemCaseSensitive(a, "to"), "id");
		const cJSON *t;

		if (!id)
			continue;
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(a, "types"))
		{
			const cJSON *tid = cJSON_GetObjectItemCaseSensitive(t, "associationTypeId");
			enum assoc_kind k;

			if (!cJSON_IsNumber(tid) || kind_of_type_id(tid->valueint, &k))
				continue;
			XGROW(*out, cap, n + 1);
			(*out)[n].kind = k;
			(*out)[n].id = id;
			n++;
		}
	}
	return n;
}

static bool has_pair(const struct assoc_pair *v, size_t n, const struct assoc_pair *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].kind == p->kind && !strcmp(v[i].id, p->id))
			return true;
	return false;
}

/* Pairs of a missing from b, without repeats. */
static size_t pair_minus(const struct assoc_pair *a, size_t na, const struct assoc_pair *b,
			 size_t nb, struct assoc_pair **out)
{
	size_t n = 0;

	*out = na ? xmalloc(na * sizeof(**out)) : NULL;
	for (size_t i = 0; i < na; i++)
		if (!has_pair(b, nb, &a[i]) && !has_pair(*out, n, &a[i]))
			(*out)[n++] = a[i];
	return n;
}

void assoc_diff(const cJSON *old_assocs, const cJSON *new_assocs, struct assoc_pair **add,
		size_t *nadd, struct assoc_pair **del, size_t *ndel)
{
	struct assoc_pair *o, *nw;
	size_t no = read_pairs(old_assocs, &o);
	size_t nn = read_pairs(new_assocs, &nw);

	*nadd = pair_minus(nw, nn, o, no, add);
	*ndel = pair_minus(o, no, nw, nn, del);
	free(o);
	free(nw);
}

/* One association to send: which change it belongs to. */
struct op {
	size_t change;
	const char *id;
};

struct sync_ops {
	struct op *v;
	size_t n, cap;
};

static void mark_failed(struct assoc_change *changes, const struct op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		changes[ops[i].change].failed = true;
}

/*
 * Mark in bad[] the ops an error of a 207 names (context fromObjectId /
 * toObjectId, as HubSpot's association errors give them); all of them when it
 * names none that we sent.
 */
static void blame(const cJSON *err, const struct assoc_change *changes, const struct op *ops,
		  size_t n, bool *bad)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(err, "context");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(ctx, "fromObjectId");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(ctx, "toObjectId");
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const cJSON *v;
		bool hit = false;

		cJSON_ArrayForEach(v, from) hit |=
			cJSON_IsString(v) &&
			!strcmp(v->valuestring, changes[ops[i].change].meeting_id);
		cJSON_ArrayForEach(v, to) hit |=
			cJSON_IsString(v) && !strcmp(v->valuestring, ops[i].id);
		if (hit)
			bad[i] = any = true;
	}
	if (!any)
		for (size_t i = 0; i < n; i++)
			bad[i] = true;
}

/* Send ops[0..n) (≤100, one kind) as one create or archive request. */
static enum hs_result send_ops(const struct assoc_io *io, struct assoc_change *changes,
			       enum assoc_kind kind, bool create, const struct op *ops, size_t n)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *inputs = cJSON_AddArrayToObject(body, "inputs");
	cJSON *to_list = NULL;
	struct hs_response resp = {0};
	enum hs_result hr;
	char *path;

	for (size_t i = 0; i < n; i++) {
		const char *from = changes[ops[i].change].meeting_id;
		cJSON *in, *to;

		if (create) {
			cJSON *types, *t;

			in = cJSON_CreateObject();
			cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "from"), "id", from);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "to"), "id", ops[i].id);
			types = cJSON_AddArrayToObject(in, "types");
			t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "associationCategory", "HUBSPOT_DEFINED");
			cJSON_AddNumberToObject(t, "associationTypeId", assoc_type_id(kind));
			cJSON_AddItemToArray(types, t);
			cJSON_AddItemToArray(inputs, in);
			continue;
		}
		/* Archive: one input per meeting, with all its ids of this request. */
		if (!i || ops[i].change != ops[i - 1].change) {
			in = cJSON_CreateObject();
			cJSON_AddStringToObject(cJSON_AddObjectToObject(in, "from"), "id", from);
			to_list = cJSON_AddArrayToObject(in, "to");
			cJSON_AddItemToArray(inputs, in);
		}
		to = cJSON_CreateObject();
		cJSON_AddStringToObject(to, "id", ops[i].id);
		cJSON_AddItemToArray(to_list, to);
	}
	path = hs_path_assoc_batch(kind_paths[kind], create ? "create" : "archive");
	hr = io->call(io->ctx, "POST", path, body, true, &resp);
	cJSON_Delete(body);
	if (hr == HS_OK) {
		const cJSON *errors = cJSON_GetObjectItemCaseSensitive(resp.body, "errors");
		const cJSON *e = cJSON_GetArrayItem(errors, 0);
		bool *bad = xcalloc(n, sizeof(*bad));

		if (e) {
			warning("%s %zu %s association(s): %d error(s), first: %s",
				create ? "creating" : "removing", n, assoc_kind_name(kind),
				cJSON_GetArraySize(errors),
				str_item(e, "message") ? str_item(e, "message") : "(no message)");
			cJSON_ArrayForEach(e, errors) blame(e, changes, ops, n, bad);
		}
		for (size_t i = 0; i < n; i++) {
			if (bad[i])
				changes[ops[i].change].failed = true;
			else if (create)
				changes[ops[i].change].added++;
			else
				changes[ops[i].change].removed++;
		}
		free(bad);
	} else {
		if (hr == HS_AUTH)
			refused(&resp);
		else
			warning("%s %zu %s association(s) failed (%s)",
				create ? "creating" : "removing", n, assoc_kind_name(kind),
				why(hr, &resp));
		mark_failed(changes, ops, n);
	}
	hs_response_release(&resp);
	free(path);
	return fatal(hr) ? hr : HS_OK;
}

enum hs_result assoc_sync_io(const struct assoc_io *io, struct assoc_change *changes, size_t n)
{
	struct sync_ops ops[2][NKINDS] = {{{0}}}; /* [create?][kind] */
	enum hs_result hr = HS_OK;

	for (size_t i = 0; i < n; i++) {
		struct assoc_pair *add, *del;
		size_t nadd, ndel;

		changes[i].failed = false;
		changes[i].added = changes[i].removed = 0;
		assoc_diff(changes[i].old_assocs, changes[i].new_assocs, &add, &nadd, &del, &ndel);
		for (size_t j = 0; j < nadd + ndel; j++) {
			const struct assoc_pair *p = j < nadd ? &add[j] : &del[j - nadd];
			struct sync_ops *s = &ops[j < nadd][p->kind];

			XGROW(s->v, s->cap, s->n + 1);
			s->v[s->n].change = i;
			s->v[s->n].id = p->id;
			s->n++;
		}
		free(add);
		free(del);
	}
	/* Creates first: a run stopped half-way leaves a link too many, never one too few. */
	for (int create = 1; create >= 0; create--)
		for (int k = 0; k < NKINDS; k++) {
			struct sync_ops *s = &ops[create][k];

			for (size_t i = 0; i < s->n; i += ASSOC_BATCH_MAX) {
				size_t m = s->n - i < ASSOC_BATCH_MAX ? s->n - i : ASSOC_BATCH_MAX;

				if (hr == HS_OK)
					hr = send_ops(io, changes, (enum assoc_kind)k, create,
						      s->v + i, m);
				else
					mark_failed(changes, s->v + i, m);
			}
			free(s->v);
		}
	return hr;
}

enum hs_result assoc_sync(struct hs_client *c, struct assoc_change *changes, size_t n)
{
	struct assoc_io io = {call_hs, c};

	return assoc_sync_io(&io, changes, n);
}
