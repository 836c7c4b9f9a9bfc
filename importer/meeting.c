/* meeting: the data model shared by every module — occurrences and mapped meetings. */
#include "meeting.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void attendee_release(struct attendee *a)
{
	if (!a)
		return;
	free(a->email);
	free(a->name);
	free(a->partstat);
	free(a->role);
	free(a->cutype);
	memset(a, 0, sizeof(*a));
}

void occurrence_release(struct occurrence *o)
{
	if (!o)
		return;
	free(o->uid);
	free(o->tz);
	free(o->summary);
	free(o->description);
	free(o->location);
	free(o->url);
	free(o->conference_url);
	free(o->status);
	free(o->class_);
	free(o->transp);
	free(o->busy_status);
	free(o->categories);
	free(o->calendar_name);
	attendee_release(&o->organizer);
	for (size_t i = 0; i < o->nattendees; i++)
		attendee_release(&o->attendees[i]);
	free(o->attendees);
	for (size_t i = 0; i < o->nx; i++) {
		free(o->x[i].name);
		free(o->x[i].value);
	}
	free(o->x);
	free(o->source);
	free(o->file);
	memset(o, 0, sizeof(*o));
}

static void attendee_copy(struct attendee *d, const struct attendee *s)
{
	d->email = xstrdup(s->email);
	d->name = xstrdup(s->name);
	d->partstat = xstrdup(s->partstat);
	d->role = xstrdup(s->role);
	d->cutype = xstrdup(s->cutype);
}

void occurrence_copy(struct occurrence *d, const struct occurrence *s)
{
	*d = *s;
	d->uid = xstrdup(s->uid);
	d->tz = xstrdup(s->tz);
	d->summary = xstrdup(s->summary);
	d->description = xstrdup(s->description);
	d->location = xstrdup(s->location);
	d->url = xstrdup(s->url);
	d->conference_url = xstrdup(s->conference_url);
	d->status = xstrdup(s->status);
	d->class_ = xstrdup(s->class_);
	d->transp = xstrdup(s->transp);
	d->busy_status = xstrdup(s->busy_status);
	d->categories = xstrdup(s->categories);
	d->calendar_name = xstrdup(s->calendar_name);
	attendee_copy(&d->organizer, &s->organizer);
	d->attendees = s->nattendees ? xcalloc(s->nattendees, sizeof(*d->attendees)) : NULL;
	for (size_t i = 0; i < s->nattendees; i++)
		attendee_copy(&d->attendees[i], &s->attendees[i]);
	d->x = s->nx ? xcalloc(s->nx, sizeof(*d->x)) : NULL;
	for (size_t i = 0; i < s->nx; i++) {
		d->x[i].name = xstrdup(s->x[i].name);
		d->x[i].value = xstrdup(s->x[i].value);
	}
	d->source = xstrdup(s->source);
	d->file = xstrdup(s->file);
}

char *occurrence_key(const struct occurrence *o)
{
	char buf[32];
	int y;
	unsigned m, d;
	int64_t t = o->recurrence_id;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;

	if (!o->has_recurrence_id)
		return xstrdup(o->uid);
	civil_from_days(days, &y, &m, &d);
	if (o->recurrence_id_all_day)
		snprintf(buf, sizeof(buf), "%04d%02u%02u", y, m, d);
	else
		snprintf(buf, sizeof(buf), "%04d%02u%02uT%02u%02u%02uZ", y, m, d,
			 (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
			 (unsigned)(secs % 60));
	return xasprintf("%s#%s", o->uid, buf);
}

const char *occurrence_x(const struct occurrence *o, const char *name)
{
	for (size_t i = 0; i < o->nx; i++)
		if (!strcasecmp(o->x[i].name, name))
			return o->x[i].value;
	return NULL;
}

void occurrence_format_time(const struct occurrence *o, int64_t t, char *buf, size_t n)
{
	if (o->all_day)
		time_format_date(t, buf, n);
	else
		time_format_utc(t, buf, n);
}

void json_add_string_or_null(cJSON *obj, const char *name, const char *value)
{
	if (value)
		cJSON_AddStringToObject(obj, name, value);
	else
		cJSON_AddNullToObject(obj, name);
}

/*
 * occurrence_head_json() and occurrence_rest_json()'s fields: constant names and borrowed values
 * (the object lives only while its occurrence does), so that building one costs no string copies.
 */
static void ref_item(cJSON *obj, const char *const_name, cJSON *item)
{
	cJSON_AddItemToObjectCS(obj, const_name, item);
}

static void ref_string_or_null(cJSON *obj, const char *const_name, const char *value)
{
	ref_item(obj, const_name, value ? cJSON_CreateStringReference(value) : cJSON_CreateNull());
}

static cJSON *attendee_json(const struct attendee *a)
{
	cJSON *j = cJSON_CreateObject();

	ref_string_or_null(j, "email", a->email);
	ref_string_or_null(j, "name", a->name);
	ref_string_or_null(j, "partstat", a->partstat);
	ref_string_or_null(j, "role", a->role);
	ref_string_or_null(j, "cutype", a->cutype);
	return j;
}

struct xref {
	const char *name;
	size_t i;
};

static int xref_cmp(const void *a, const void *b)
{
	const struct xref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

cJSON *occurrence_head_json(const struct occurrence *o)
{
	cJSON *j = cJSON_CreateObject();
	char buf[32];

	ref_string_or_null(j, "uid", o->uid);
	if (o->has_recurrence_id) {
		if (o->recurrence_id_all_day)
			time_format_date(o->recurrence_id, buf, sizeof(buf));
		else
			time_format_utc(o->recurrence_id, buf, sizeof(buf));
		ref_item(j, "recurrence_id", cJSON_CreateString(buf));
	} else {
		ref_item(j, "recurrence_id", cJSON_CreateNull());
	}
	occurrence_format_time(o, o->start, buf, sizeof(buf));
	ref_item(j, "start", cJSON_CreateString(buf));
	occurrence_format_time(o, o->end, buf, sizeof(buf));
	ref_item(j, "end", cJSON_CreateString(buf));
	ref_item(j, "all_day", cJSON_CreateBool(o->all_day));
	return j;
}

cJSON *occurrence_rest_json(const struct occurrence *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *arr, *x;
	char num[24];
	struct sbuf where = SBUF_INIT;

	ref_string_or_null(j, "summary", o->summary);
	ref_string_or_null(j, "status", o->status ? o->status : "CONFIRMED");
	ref_string_or_null(j, "tz", o->tz);
	sbuf_adds(&where, o->file ? o->file : "?");
	sbuf_addc(&where, ':');
	sbuf_add(&where, num, format_long(o->line, num));
	ref_item(j, "source", cJSON_CreateString(where.buf));
	sbuf_release(&where);
	ref_string_or_null(j, "location", o->location);
	ref_string_or_null(j, "description", o->description);
	ref_string_or_null(j, "url", o->url);
	ref_string_or_null(j, "conference_url", o->conference_url);
	ref_string_or_null(j, "class", o->class_);
	ref_string_or_null(j, "transp", o->transp);
	ref_string_or_null(j, "busy_status", o->busy_status);
	ref_string_or_null(j, "categories", o->categories);
	/* an integer as cJSON would print it, without its sprintf/sscanf round trip */
	format_long(o->sequence, num);
	ref_item(j, "sequence", cJSON_CreateRaw(num));
	ref_string_or_null(j, "calendar_name", o->calendar_name);
	if (o->organizer.email || o->organizer.name)
		ref_item(j, "organizer", attendee_json(&o->organizer));
	else
		ref_item(j, "organizer", cJSON_CreateNull());
	arr = cJSON_CreateArray();
	ref_item(j, "attendees", arr);
	for (size_t i = 0; i < o->nattendees; i++)
		cJSON_AddItemToArray(arr, attendee_json(&o->attendees[i]));
	x = cJSON_CreateObject();
	ref_item(j, "x", x);
	if (o->nx) {
		/* the first of each name, found by sorting (a lookup per name is quadratic) */
		struct xref *v = xmalloc(o->nx * sizeof(*v));
		bool *keep = xcalloc(o->nx, sizeof(*keep));

		for (size_t i = 0; i < o->nx; i++) {
			v[i].name = o->x[i].name;
			v[i].i = i;
		}
		qsort(v, o->nx, sizeof(*v), xref_cmp);
		for (size_t i = 0; i < o->nx; i++)
			if (!i || strcmp(v[i].name, v[i - 1].name))
				keep[v[i].i] = true;
		for (size_t i = 0; i < o->nx; i++)
			if (keep[i])
				cJSON_AddItemToObject(
					x, o->x[i].name,
					o->x[i].value ? cJSON_CreateStringReference(o->x[i].value)
						      : cJSON_CreateNull());
		free(keep);
		free(v);
	}
	return j;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void meeting_release(struct meeting *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->uid);
	free(m->recurrence_id);
	free(m->start);
	free(m->summary);
	free(m->source);
	free(m->where);
	free(m->skip_reason);
	cJSON_Delete(m->properties);
	free(m->owner_email);
	if (m->contact_names)
		free_strv(m->contact_names, m->ncontact_emails);
	free_strv(m->contact_emails, m->ncontact_emails);
	free_strv(m->company_domains, m->ncompany_domains);
	for (size_t i = 0; i < m->nassocs; i++) {
		free(m->assocs[i].id);
		free(m->assocs[i].ref);
	}
	free(m->assocs);
	memset(m, 0, sizeof(*m));
}

void meeting_fill_contact_names(struct meeting *m, const struct occurrence *occ)
{
	if (m->contact_names || !m->ncontact_emails)
		return;
	/* the first attendee with that address and a name: indexed, O(n) in attendees */
	struct strindex named = {0};
	size_t j;

	for (j = 0; j < occ->nattendees; j++)
		if (occ->attendees[j].email && occ->attendees[j].name)
			strindex_put(&named, occ->attendees[j].email, j);
	m->contact_names = xcalloc(m->ncontact_emails, sizeof(char *));
	for (size_t i = 0; i < m->ncontact_emails; i++) {
		const char *name = NULL;

		if (strindex_get(&named, m->contact_emails[i], &j))
			name = occ->attendees[j].name;
		if (!name && occ->organizer.email &&
		    !strcmp(occ->organizer.email, m->contact_emails[i]))
			name = occ->organizer.name;
		m->contact_names[i] = xstrdup(name);
	}
	strindex_release(&named);
}

void meeting_add_assoc(struct meeting *m, enum assoc_kind kind, const char *id, const char *ref)
{
	for (size_t i = 0; i < m->nassocs; i++)
		if (m->assocs[i].kind == kind && id && m->assocs[i].id &&
		    !strcmp(m->assocs[i].id, id))
			return;
	m->assocs = xrealloc(m->assocs, (m->nassocs + 1) * sizeof(*m->assocs));
	m->assocs[m->nassocs].kind = kind;
	m->assocs[m->nassocs].id = xstrdup(id);
	m->assocs[m->nassocs].ref = xstrdup(ref);
	m->nassocs++;
}

static const struct {
	const char *name;
	int type_id;
} assoc_kinds[] = {
	[ASSOC_CONTACT] = {"contact", 200},
	[ASSOC_COMPANY] = {"company", 188},
	[ASSOC_DEAL] = {"deal", 212},
	[ASSOC_TICKET] = {"ticket", 226},
};

int assoc_type_id(enum assoc_kind kind)
{
	return assoc_kinds[kind].type_id;
}

const char *assoc_kind_name(enum assoc_kind kind)
{
	return assoc_kinds[kind].name;
}

int assoc_kind_parse(const char *name, enum assoc_kind *out)
{
	for (size_t i = 0; i < sizeof(assoc_kinds) / sizeof(assoc_kinds[0]); i++) {
		size_t n = strlen(assoc_kinds[i].name);

		/* accept "deal" and "deals" */
		if (!strcasecmp(name, assoc_kinds[i].name) ||
		    (!strncasecmp(name, assoc_kinds[i].name, n) && !strcasecmp(name + n, "s"))) {
			*out = (enum assoc_kind)i;
			return 0;
		}
	}
	if (!strcasecmp(name, "companies")) {
		*out = ASSOC_COMPANY;
		return 0;
	}
	return -1;
}

static int assoc_cmp(const void *a, const void *b)
{
	const struct assoc *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

cJSON *meeting_associations_json(const struct meeting *m)
{
	cJSON *arr = cJSON_CreateArray();
	struct assoc *sorted = NULL;

	if (m->nassocs) {
		sorted = xmalloc(m->nassocs * sizeof(*sorted));
		memcpy(sorted, m->assocs, m->nassocs * sizeof(*sorted));
		qsort(sorted, m->nassocs, sizeof(*sorted), assoc_cmp);
	}
	for (size_t i = 0; i < m->nassocs; i++) {
		cJSON *a, *to, *types, *t;

		if (!sorted[i].id)
			continue;
		a = cJSON_CreateObject();
		to = cJSON_AddObjectToObject(a, "to");
		cJSON_AddStringToObject(to, "id", sorted[i].id);
		types = cJSON_AddArrayToObject(a, "types");
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "associationCategory", "HUBSPOT_DEFINED");
		cJSON_AddNumberToObject(t, "associationTypeId", assoc_type_id(sorted[i].kind));
		cJSON_AddItemToArray(types, t);
		cJSON_AddItemToArray(arr, a);
	}
	free(sorted);
	return arr;
}

static int prop_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

uint64_t meeting_hash(const struct meeting *m)
{
	uint64_t h = HASH64_SEED;
	size_t n = 0, i = 0;
	const cJSON *p;
	const cJSON **props;
	cJSON *assocs;
	char *text;

	cJSON_ArrayForEach(p, m->properties) n++;
	props = xmalloc((n ? n : 1) * sizeof(*props));
	cJSON_ArrayForEach(p, m->properties) props[i++] = p;
	qsort(props, n, sizeof(*props), prop_cmp);
	for (i = 0; i < n; i++) {
		const char *v = cJSON_GetStringValue(props[i]);

		h = hash64(props[i]->string, strlen(props[i]->string) + 1, h);
		h = hash64(v ? v : "", v ? strlen(v) + 1 : 1, h);
	}
	free(props);
	assocs = meeting_associations_json(m);
	text = cJSON_PrintUnformatted(assocs);
	h = hash64(text, strlen(text), h);
	cJSON_free(text);
	cJSON_Delete(assocs);
	return h;
}

char *meeting_trace_id(const struct meeting *m)
{
	char hex[17];

	hash64_hex(hash64(m->key, strlen(m->key), HASH64_SEED), hex, sizeof(hex));
	return xasprintf("i2h-%s", hex);
}

/* A date-time as HubSpot may render it ("…T09:00:00.000Z", epoch ms): seconds. */
static bool as_instant(const char *v, int64_t *out)
{
	char buf[40];
	const char *dot;

	if (!v || !*v)
		return false;
	if (strspn(v, "0123456789") == strlen(v) && strlen(v) >= 10 && strlen(v) <= 16) {
		*out = strtoll(v, NULL, 10) / 1000;
		return true;
	}
	dot = strchr(v, '.');
	if (dot && strlen(v) < sizeof(buf)) {
		size_t digits = strspn(dot + 1, "0123456789");

		snprintf(buf, sizeof(buf), "%.*s%s", (int)(dot - v), v, dot + 1 + digits);
		v = buf;
	}
	return time_parse_utc(v, out) == 0 && strchr(v, 'T');
}

bool meeting_same_instant(const char *a, const char *b)
{
	int64_t x, y;

	return as_instant(a, &x) && as_instant(b, &y) && x == y;
}

bool meeting_same_properties(const struct meeting *m, const cJSON *remote)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, m->properties)
	{
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(remote, p->string);
		const char *mine = cJSON_IsString(p) ? p->valuestring : "";
		const char *theirs = cJSON_IsString(r) ? r->valuestring : "";
		int64_t a, b;

		if (!strcmp(mine, theirs))
			continue;
		if (as_instant(mine, &a) && as_instant(theirs, &b) && a == b)
			continue;
		return false;
	}
	return true;
}
