/* Unit tests for importer/sync.c (the planner: no state file, no network) */
#include "test.h"
#include "sync.h"
#include "util.h"

#include <stdlib.h>

#define MAXM 128
#define MAXR 128

/* A scenario: meetings of the run, state rows, feeds. */
struct scen {
	struct meeting m[MAXM];
	struct meeting *mp[MAXM];
	uint64_t h[MAXM];
	size_t nm;
	struct state_row r[MAXR];
	size_t nr;
	struct sync_feed feeds[4];
	size_t nfeeds;
	struct sync_input in;
	struct sync_plan plan;
};

static struct meeting *add_meeting(struct scen *s, const char *source, const char *key,
				   const char *start, const char *title)
{
	struct meeting *m = &s->m[s->nm];

	memset(m, 0, sizeof(*m));
	m->key = xstrdup(key);
	m->uid = xstrndup(key, strcspn(key, "#"));
	m->source = xstrdup(source);
	m->start = xstrdup(start);
	m->summary = xstrdup(title);
	m->properties = cJSON_CreateObject();
	cJSON_AddStringToObject(m->properties, "hs_meeting_title", title);
	cJSON_AddStringToObject(m->properties, "ics2hubspot_key", key);
	s->mp[s->nm] = m;
	s->nm++;
	return m;
}

static void hash_hex_of(const struct meeting *m, char *hex)
{
	hash64_hex(meeting_hash(m), hex, 17);
}

static struct state_row *add_row(struct scen *s, const char *source, const char *key,
				 const char *start, const char *id, const char *hash,
				 enum state_status status)
{
	struct state_row *r = &s->r[s->nr++];

	memset(r, 0, sizeof(*r));
	r->key = xstrdup(key);
	r->source = xstrdup(source);
	r->start = xstrdup(start);
	r->hubspot_id = xstrdup(id);
	r->hash = xstrdup(hash);
	r->status = status;
	r->created_run = 1;
	r->changed_run = 1;
	return r;
}

/* A row for meeting m as the state has it after a create (same hash). */
static struct state_row *add_row_for(struct scen *s, const struct meeting *m, const char *id)
{
	char hex[17];

	hash_hex_of(m, hex);
	return add_row(s, m->source, m->key, m->start, id, hex, STATE_CREATED);
}

static void add_feed(struct scen *s, const char *source, bool loaded)
{
	s->feeds[s->nfeeds].source = source;
	s->feeds[s->nfeeds].loaded = loaded;
	s->nfeeds++;
}

static void plan(struct scen *s)
{
	for (size_t i = 0; i < s->nm; i++)
		s->h[i] = meeting_hash(s->mp[i]);
	s->in.meetings = s->mp;
	s->in.hashes = s->h;
	s->in.nmeetings = s->nm;
	s->in.rows = s->r;
	s->in.nrows = s->nr;
	s->in.feeds = s->feeds;
	s->in.nfeeds = s->nfeeds;
	sync_plan_release(&s->plan);
	CHECK_INT(sync_plan(&s->in, &s->plan), 0);
}

static void scen_release(struct scen *s)
{
	sync_plan_release(&s->plan);
	for (size_t i = 0; i < s->nm; i++)
		meeting_release(&s->m[i]);
	for (size_t i = 0; i < s->nr; i++)
		state_row_release(&s->r[i]);
	free(s);
}

static struct scen *scen_new(void)
{
	return xcalloc(1, sizeof(struct scen));
}

/* The item for (source, key) with the given action, or NULL. */
static const struct sync_item *find_item(const struct sync_plan *p, const char *source,
					 const char *key)
{
	for (size_t i = 0; i < p->nitems; i++)
		if (!strcmp(p->items[i].key, key) && !strcmp(p->items[i].source, source))
			return &p->items[i];
	return NULL;
}

static int action_of(const struct sync_plan *p, const char *source, const char *key)
{
	const struct sync_item *it = find_item(p, source, key);

	return it ? (int)it->action : -1;
}

static void test_basic_actions(void)
{
	struct scen *s = scen_new();
	struct meeting *changed;
	const struct sync_item *it;

	add_feed(s, "a.ics", true);
	add_meeting(s, "a.ics", "new", "2024-03-01T09:00:00Z", "New");
	add_row_for(s, add_meeting(s, "a.ics", "same", "2024-03-02T09:00:00Z", "Same"), "11");
	changed = add_meeting(s, "a.ics", "changed", "2024-03-03T09:00:00Z", "Old title");
	add_row_for(s, changed, "12");
	cJSON_ReplaceItemInObject(changed->properties, "hs_meeting_title",
				  cJSON_CreateString("New title"));
	add_meeting(s, "a.ics", "private", "2024-03-04T09:00:00Z", "Secret")->skip_reason =
		xstrdup("filters.skip_private");
	add_row(s, "a.ics", "gone", "2024-03-05T09:00:00Z", "13", "0000000000000001",
		STATE_CREATED);
	plan(s);

	CHECK_INT(s->plan.nitems, 5);
	CHECK_INT(action_of(&s->plan, "a.ics", "new"), SYNC_CREATE);
	CHECK_INT(action_of(&s->plan, "a.ics", "same"), SYNC_UNCHANGED);
	CHECK_INT(action_of(&s->plan, "a.ics", "changed"), SYNC_UPDATE);
	CHECK_INT(action_of(&s->plan, "a.ics", "private"), SYNC_SKIP);
	CHECK_INT(action_of(&s->plan, "a.ics", "gone"), SYNC_REMOVE);
	it = find_item(&s->plan, "a.ics", "new");
	CHECK_STR(it ? it->reason : NULL, "new");
	CHECK(it && it->meeting == &s->m[0] && it->row == NULL && it->hubspot_id == NULL);
	it = find_item(&s->plan, "a.ics", "changed");
	CHECK_STR(it ? it->hubspot_id : NULL, "12");
	CHECK(it && it->hash == s->h[2]);
	CHECK(it && !strncmp(it->reason, "changed: ", 9) && !strstr(it->reason, "→"));
	it = find_item(&s->plan, "a.ics", "private");
	CHECK_STR(it ? it->reason : NULL, "skipped: filters.skip_private");
	it = find_item(&s->plan, "a.ics", "gone");
	CHECK(it && it->remove_mode == ON_REMOVED_ARCHIVE && it->meeting == NULL);
	CHECK_STR(it ? it->hubspot_id : NULL, "13");
	CHECK_INT(s->plan.count[SYNC_CREATE], 1);
	CHECK_INT(s->plan.count[SYNC_UNCHANGED], 1);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 1);
	CHECK_INT(s->plan.nmessages, 0);

	/* on_removed decides the removal mode. */
	s->in.on_removed = ON_REMOVED_CANCEL;
	plan(s);
	it = find_item(&s->plan, "a.ics", "gone");
	CHECK(it && it->action == SYNC_REMOVE && it->remove_mode == ON_REMOVED_CANCEL);
	s->in.on_removed = ON_REMOVED_KEEP;
	plan(s);
	it = find_item(&s->plan, "a.ics", "gone");
	CHECK(it && it->action == SYNC_REMOVE && it->remove_mode == ON_REMOVED_KEEP);

	/* A skipped occurrence is still in the calendar: never judged removed. */
	add_row(s, "a.ics", "private", "2024-03-04T09:00:00Z", "14", "00000000000000ff",
		STATE_CREATED);
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "private"), SYNC_SKIP);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 1);
	scen_release(s);
}

static void test_row_statuses(void)
{
	struct scen *s = scen_new();
	struct meeting *m;
	struct state_row *r;
	const struct sync_item *it;

	add_feed(s, "a.ics", true);
	/* cancelled earlier, back in the calendar with the same content: must update */
	add_row_for(s, add_meeting(s, "a.ics", "cancelled", "2024-03-01T09:00:00Z", "C"), "21")
		->status = STATE_CANCELLED;
	/* archived earlier, back: a new meeting */
	add_row_for(s, add_meeting(s, "a.ics", "archived", "2024-03-02T09:00:00Z", "A"), "22")
		->status = STATE_ARCHIVED;
	/* kept earlier, back unchanged */
	add_row_for(s, add_meeting(s, "a.ics", "kept", "2024-03-03T09:00:00Z", "K"), "23")->status =
		STATE_KEPT;
	/* a create that failed: no id */
	m = add_meeting(s, "a.ics", "failed-create", "2024-03-04T09:00:00Z", "F");
	r = add_row(s, "a.ics", m->key, m->start, NULL, NULL, STATE_FAILED);
	r->last_error = xstrdup("INVALID_DATE");
	/* an update that failed: id known, same hash as now */
	add_row_for(s, add_meeting(s, "a.ics", "failed-update", "2024-03-05T09:00:00Z", "U"), "25")
		->status = STATE_FAILED;
	plan(s);

	CHECK_INT(action_of(&s->plan, "a.ics", "cancelled"), SYNC_UPDATE);
	CHECK_INT(action_of(&s->plan, "a.ics", "archived"), SYNC_CREATE);
	it = find_item(&s->plan, "a.ics", "archived");
	CHECK(it && it->hubspot_id == NULL && strstr(it->reason, "archived in run 1"));
	CHECK_INT(action_of(&s->plan, "a.ics", "kept"), SYNC_UNCHANGED);
	CHECK_INT(action_of(&s->plan, "a.ics", "failed-create"), SYNC_CREATE);
	it = find_item(&s->plan, "a.ics", "failed-create");
	CHECK(it && strstr(it->reason, "INVALID_DATE"));
	CHECK_INT(action_of(&s->plan, "a.ics", "failed-update"), SYNC_UPDATE);
	CHECK_INT(s->plan.nitems, 5); /* none of these rows is a removal */
	scen_release(s);

	/* Rows already removed and still absent: nothing to do. */
	s = scen_new();
	add_feed(s, "a.ics", true);
	add_meeting(s, "a.ics", "here", "2024-03-01T09:00:00Z", "H");
	add_row(s, "a.ics", "x1", "2024-03-02T09:00:00Z", "31", "01", STATE_ARCHIVED);
	add_row(s, "a.ics", "x2", "2024-03-02T09:00:00Z", "32", "01", STATE_CANCELLED);
	add_row(s, "a.ics", "x3", "2024-03-02T09:00:00Z", "33", "01", STATE_KEPT);
	add_row(s, "a.ics", "x4", "2024-03-02T09:00:00Z", NULL, NULL, STATE_FAILED);
	add_row(s, "a.ics", "x5", "2024-03-02T09:00:00Z", "35", "01", STATE_FAILED);
	plan(s);
	CHECK_INT(s->plan.nitems, 2);
	CHECK_INT(action_of(&s->plan, "a.ics", "x5"), SYNC_REMOVE);
	scen_release(s);
}

/* Deleted in HubSpot: skipped (never updated, never archived), or created again on request. */
static void test_deleted_in_hubspot(void)
{
	struct scen *s = scen_new();
	const struct sync_item *it;

	add_feed(s, "a.ics", true);
	add_row_for(s, add_meeting(s, "a.ics", "gone", "2024-03-01T09:00:00Z", "G"), "41")->status =
		STATE_DELETED;
	add_row(s, "a.ics", "gone-too", "2024-03-02T09:00:00Z", "42", "01", STATE_DELETED);
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "gone"), SYNC_SKIP);
	it = find_item(&s->plan, "a.ics", "gone");
	CHECK(it && strstr(it->reason, "deleted in HubSpot") && strstr(it->reason, "--recreate"));
	CHECK_INT(s->plan.nitems, 1); /* the absent deleted row is no removal */
	s->in.recreate_deleted = true;
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "gone"), SYNC_CREATE);
	CHECK_INT(s->plan.nitems, 1);
	scen_release(s);
}

static void test_pending(void)
{
	struct scen *s = scen_new();
	struct state_row *r;
	const struct sync_item *it;

	add_feed(s, "a.ics", true);
	add_meeting(s, "a.ics", "p1", "2024-03-01T09:00:00Z", "P1");
	r = add_row(s, "a.ics", "p1", "2024-03-01T09:00:00Z", NULL, "00000000000000aa",
		    STATE_PENDING);
	r->trace_id = xstrdup("i2h-0123456789abcdef");
	r = add_row(s, "a.ics", "p2", "2024-03-02T09:00:00Z", NULL, "00000000000000bb",
		    STATE_PENDING);
	r->trace_id = xstrdup("i2h-fedcba9876543210");
	r->created_run = 7;
	plan(s);

	CHECK_INT(s->plan.nitems, 2);
	it = find_item(&s->plan, "a.ics", "p1");
	CHECK(it && it->action == SYNC_RESOLVE && it->meeting == &s->m[0] && it->row == &s->r[0]);
	CHECK(it && strstr(it->reason, "i2h-0123456789abcdef"));
	it = find_item(&s->plan, "a.ics", "p2");
	CHECK(it && it->action == SYNC_RESOLVE && it->meeting == NULL);
	CHECK(it && strstr(it->reason, "run 7"));
	CHECK_INT(s->plan.count[SYNC_CREATE], 0);
	CHECK_INT(s->plan.count[SYNC_RESOLVE], 2);

	/* Resolved even when the feed failed to load. */
	s->feeds[0].loaded = false;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_RESOLVE], 2);
	scen_release(s);

	/* A pending create in another calendar: resolve, never create a second one. */
	s = scen_new();
	add_feed(s, "b.ics", true);
	add_meeting(s, "b.ics", "k", "2024-03-01T09:00:00Z", "K");
	add_row(s, "a.ics", "k", "2024-03-01T09:00:00Z", NULL, "01", STATE_PENDING);
	plan(s);
	CHECK_INT(action_of(&s->plan, "b.ics", "k"), SYNC_RESOLVE);
	CHECK_INT(s->plan.nitems, 1);
	scen_release(s);
}

/* n meetings still in the feed, `gone` rows missing from it. */
static struct scen *removal_scen(int present, int gone)
{
	struct scen *s = scen_new();
	char key[32], start[32];

	add_feed(s, "a.ics", true);
	for (int i = 0; i < present; i++) {
		snprintf(key, sizeof(key), "p%d", i);
		snprintf(start, sizeof(start), "2024-03-%02dT09:00:00Z", 1 + i % 28);
		add_row_for(s, add_meeting(s, "a.ics", key, start, key), "1");
	}
	for (int i = 0; i < gone; i++) {
		snprintf(key, sizeof(key), "g%d", i);
		snprintf(start, sizeof(start), "2024-03-%02dT10:00:00Z", 1 + i % 28);
		add_row(s, "a.ics", key, start, key, "0000000000000001", STATE_CREATED);
	}
	return s;
}

static void test_thresholds(void)
{
	static const struct {
		int present, gone;
		bool force;
		int removed;
		int refused;
	} t[] = {
		{39, 11, false, 0, 11}, /* 22% and 11 > 10: refused */
		{39, 11, true, 11, 0}, /* unless forced */
		{10, 10, false, 10, 0}, /* 50%, but not more than 10 */
		{88, 12, false, 12, 0}, /* 12 > 10, but 12% */
		{44, 11, false, 11, 0}, /* exactly 20% is not more than 20% */
		{43, 11, false, 0, 11}, /* 20.4% */
		{1, 1, false, 1, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct scen *s = removal_scen(t[i].present, t[i].gone);

		s->in.force = t[i].force;
		plan(s);
		CHECK_INT(s->plan.count[SYNC_REMOVE], t[i].removed);
		CHECK_INT(s->plan.refused_removals, t[i].refused);
		CHECK_INT(s->plan.nmessages, t[i].refused || t[i].force ? 1 : 0);
		if (t[i].refused)
			CHECK(s->plan.nmessages &&
			      strstr(s->plan.messages[0], "removing nothing") &&
			      strstr(s->plan.messages[0], "--force"));
		if (t[i].force)
			CHECK(s->plan.nmessages && strstr(s->plan.messages[0], "anyway (--force)"));
		scen_release(s);
	}

	/* Custom thresholds. */
	{
		struct scen *s = removal_scen(10, 3);

		s->in.max_remove_count = 2;
		s->in.max_remove_percent = 10;
		plan(s);
		CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
		CHECK_INT(s->plan.refused_removals, 3);
		scen_release(s);
	}
}

static void test_empty_and_failed_feeds(void)
{
	struct scen *s = removal_scen(0, 3);

	/* Empty: every meeting would go. */
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
	CHECK_INT(s->plan.refused_removals, 3);
	CHECK(s->plan.nmessages == 1 && strstr(s->plan.messages[0], "'a.ics' came back empty"));
	s->in.force = true;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 3);

	/* Failed to load: nothing is known, not even --force removes. */
	s->feeds[0].loaded = false;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
	CHECK_INT(s->plan.refused_removals, 3);
	CHECK(s->plan.nmessages == 1 && strstr(s->plan.messages[0], "'a.ics' failed to load"));
	CHECK(s->plan.nmessages == 1 && !strstr(s->plan.messages[0], "--force"));
	scen_release(s);

	/* A failed feed does not stop another feed's removals. */
	s = removal_scen(5, 1);
	add_feed(s, "b.ics", false);
	add_row(s, "b.ics", "b1", "2024-03-01T09:00:00Z", "b1", "01", STATE_CREATED);
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "g0"), SYNC_REMOVE);
	CHECK_INT(action_of(&s->plan, "b.ics", "b1"), -1);
	CHECK_INT(s->plan.refused_removals, 1);
	scen_release(s);

	/* A source with rows but not part of this run: never judged. */
	s = removal_scen(5, 0);
	add_row(s, "other.ics", "o1", "2024-03-01T09:00:00Z", "o1", "01", STATE_CREATED);
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
	CHECK_INT(s->plan.nmessages, 0);
	scen_release(s);
}

static void test_window(void)
{
	struct scen *s = scen_new();

	add_feed(s, "a.ics", true);
	add_meeting(s, "a.ics", "here", "2024-03-10T09:00:00Z", "H");
	add_row(s, "a.ics", "before", "2024-02-29T23:59:59Z", "1", "01", STATE_CREATED);
	add_row(s, "a.ics", "at-since", "2024-03-01T00:00:00Z", "2", "01", STATE_CREATED);
	add_row(s, "a.ics", "allday-first", "2024-03-01", "3", "01", STATE_CREATED);
	add_row(s, "a.ics", "last", "2024-03-31T23:59:59Z", "4", "01", STATE_CREATED);
	add_row(s, "a.ics", "at-until", "2024-04-01T00:00:00Z", "5", "01", STATE_CREATED);
	add_row(s, "a.ics", "allday-until", "2024-04-01", "6", "01", STATE_CREATED);
	add_row(s, "a.ics", "no-start", NULL, "7", "01", STATE_CREATED);
	s->in.has_since = s->in.has_until = true;
	time_parse_utc("2024-03-01", &s->in.since);
	time_parse_utc("2024-04-01", &s->in.until);
	s->in.force = true; /* the thresholds are not what this tests */
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "before"), -1);
	CHECK_INT(action_of(&s->plan, "a.ics", "at-since"), SYNC_REMOVE);
	CHECK_INT(action_of(&s->plan, "a.ics", "allday-first"), SYNC_REMOVE);
	CHECK_INT(action_of(&s->plan, "a.ics", "last"), SYNC_REMOVE);
	CHECK_INT(action_of(&s->plan, "a.ics", "at-until"), -1);
	CHECK_INT(action_of(&s->plan, "a.ics", "allday-until"), -1);
	CHECK_INT(action_of(&s->plan, "a.ics", "no-start"), -1);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 3);

	/* Only a lower bound. */
	s->in.has_until = false;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 5);
	/* No window at all: every absent row, even one without a start. */
	s->in.has_since = false;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 7);
	scen_release(s);
}

static void test_duplicates(void)
{
	struct scen *s = scen_new();
	struct meeting *a, *b, *c;
	const struct sync_item *it;
	char *alice = xstrdup("alice@example.com"), *bob = xstrdup("bob@example.com");
	char *bob2 = xstrdup("bob@example.com"), *carol = xstrdup("carol@example.com");

	add_feed(s, "rep1.ics", true);
	add_feed(s, "https://rep2.example/secret/cal.ics", true);
	a = add_meeting(s, "rep1.ics", "shared", "2024-03-01T09:00:00Z", "Kickoff");
	b = add_meeting(s, "https://rep2.example/secret/cal.ics", "shared", "2024-03-01T09:00:00Z",
			"Kickoff");
	c = add_meeting(s, "https://rep2.example/secret/cal.ics", "solo", "2024-03-02T09:00:00Z",
			"Solo");
	a->contact_emails = xmalloc(2 * sizeof(char *));
	a->contact_emails[0] = alice;
	a->contact_emails[1] = bob;
	a->ncontact_emails = 2;
	b->contact_emails = xmalloc(2 * sizeof(char *));
	b->contact_emails[0] = bob2;
	b->contact_emails[1] = carol;
	b->ncontact_emails = 2;
	b->contact_names = xcalloc(2, sizeof(char *));
	b->contact_names[1] = xstrdup("Carol C");
	meeting_add_assoc(b, ASSOC_DEAL, "900", "900");
	meeting_add_assoc(a, ASSOC_DEAL, "900", "900");
	meeting_add_assoc(b, ASSOC_COMPANY, "77", "example.com");

	CHECK_INT(sync_merge_duplicates(s->mp, 3), 1);
	CHECK_INT(a->ncontact_emails, 3);
	if (a->ncontact_emails == 3) {
		CHECK_STR(a->contact_emails[2], "carol@example.com");
		/* contact_names stays parallel to contact_emails */
		CHECK(a->contact_names != NULL);
		if (a->contact_names) {
			CHECK(a->contact_names[0] == NULL && a->contact_names[1] == NULL);
			CHECK_STR(a->contact_names[2], "Carol C");
		}
	}
	CHECK_INT(a->nassocs, 2); /* the deal once, plus the company */
	CHECK_INT(b->ncontact_emails, 2);
	(void)c;

	plan(s);
	CHECK_INT(s->plan.count[SYNC_CREATE], 2); /* shared once, solo */
	CHECK_INT(s->plan.count[SYNC_MERGE], 1);
	it = find_item(&s->plan, "https://rep2.example/secret/cal.ics", "shared");
	CHECK(it && it->action == SYNC_MERGE && it->primary == 0 && it->hash == s->h[0]);
	CHECK(it && strstr(it->reason, "rep1.ics"));

	/* Next run, both known: unchanged twice, no removal, no create. */
	add_row_for(s, a, "500");
	add_row(s, b->source, "shared", b->start, "500", NULL, STATE_CREATED);
	hash_hex_of(a, (s->r[1].hash = xmalloc(17)));
	add_row_for(s, c, "501");
	plan(s);
	CHECK_INT(action_of(&s->plan, "rep1.ics", "shared"), SYNC_UNCHANGED);
	CHECK_INT(action_of(&s->plan, b->source, "shared"), SYNC_MERGE);
	it = find_item(&s->plan, b->source, "shared");
	CHECK_STR(it ? it->hubspot_id : NULL, "500");
	CHECK_INT(s->plan.count[SYNC_CREATE], 0);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
	scen_release(s);
}

static void test_duplicates_across_runs(void)
{
	struct scen *s = scen_new();
	const struct sync_item *it;
	char *red;

	/* Only rep2's calendar this run; rep1's run created the meeting last week. */
	add_feed(s, "rep2.ics", true);
	add_row_for(s, add_meeting(s, "rep2.ics", "shared", "2024-03-01T09:00:00Z", "Kickoff"),
		    "500");
	free(s->r[0].source);
	s->r[0].source = xstrdup("https://rep1.example/private/basic.ics");
	plan(s);
	it = find_item(&s->plan, "rep2.ics", "shared");
	CHECK(it && it->action == SYNC_UNCHANGED);
	CHECK_STR(it ? it->hubspot_id : NULL, "500");
	red = source_redact("https://rep1.example/private/basic.ics");
	CHECK(it && strstr(it->reason, red) && !strstr(it->reason, "private"));
	free(red);
	CHECK_INT(s->plan.count[SYNC_CREATE], 0);

	/* rep2's own row, archived, does not hide rep1's live meeting. */
	add_row(s, "rep2.ics", "shared", "2024-03-01T09:00:00Z", "499", "01", STATE_ARCHIVED);
	plan(s);
	it = find_item(&s->plan, "rep2.ics", "shared");
	CHECK(it && it->action == SYNC_UNCHANGED);
	CHECK_STR(it ? it->hubspot_id : NULL, "500");
	scen_release(s);

	/* Gone from one calendar, still in another: keep the meeting. */
	s = scen_new();
	add_feed(s, "a.ics", true);
	add_feed(s, "b.ics", true);
	add_row_for(s, add_meeting(s, "a.ics", "shared", "2024-03-01T09:00:00Z", "S"), "600");
	add_meeting(s, "b.ics", "other", "2024-03-05T09:00:00Z", "O");
	add_row(s, "b.ics", "shared", "2024-03-01T09:00:00Z", "600", "01", STATE_CREATED);
	plan(s);
	it = find_item(&s->plan, "b.ics", "shared");
	CHECK(it && it->action == SYNC_REMOVE && it->remove_mode == ON_REMOVED_KEEP);
	CHECK(it && strstr(it->reason, "still in 'a.ics'"));
	scen_release(s);

	/* The same, with the other calendar not in this run but its row live. */
	s = scen_new();
	add_feed(s, "b.ics", true);
	add_meeting(s, "b.ics", "other", "2024-03-05T09:00:00Z", "O");
	add_row(s, "b.ics", "shared", "2024-03-01T09:00:00Z", "600", "01", STATE_CREATED);
	add_row(s, "a.ics", "shared", "2024-03-01T09:00:00Z", "600", "01", STATE_CREATED);
	plan(s);
	it = find_item(&s->plan, "b.ics", "shared");
	CHECK(it && it->action == SYNC_REMOVE && it->remove_mode == ON_REMOVED_KEEP);
	scen_release(s);

	/* Gone from both: archived once. */
	s = scen_new();
	add_feed(s, "a.ics", true);
	add_feed(s, "b.ics", true);
	add_meeting(s, "a.ics", "stay-a", "2024-03-05T09:00:00Z", "A");
	add_meeting(s, "b.ics", "stay-b", "2024-03-05T09:00:00Z", "B");
	add_row(s, "a.ics", "shared", "2024-03-01T09:00:00Z", "600", "01", STATE_CREATED);
	add_row(s, "b.ics", "shared", "2024-03-01T09:00:00Z", "600", "01", STATE_CREATED);
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 2);
	{
		const struct sync_item *x = find_item(&s->plan, "a.ics", "shared");
		const struct sync_item *y = find_item(&s->plan, "b.ics", "shared");

		CHECK(x && y && x->remove_mode == ON_REMOVED_ARCHIVE &&
		      y->remove_mode == ON_REMOVED_ARCHIVE);
		CHECK(x && y && x->primary == -1 && y->primary == x - s->plan.items);
	}
	scen_release(s);
}

/* DTSTAMP is not mapped: two runs whose mapped properties are equal hash equal. */
static void test_hash_stability(void)
{
	struct scen *s = scen_new();
	struct meeting *m1, *m2;

	add_feed(s, "a.ics", true);
	/* Run 1 (DTSTAMP 20240101T000000Z) and run 2 (DTSTAMP now): same mapped meeting. */
	m1 = add_meeting(s, "a.ics", "u", "2024-03-01T09:00:00Z", "Weekly");
	cJSON_AddStringToObject(m1->properties, "hs_timestamp", "2024-03-01T09:00:00Z");
	meeting_add_assoc(m1, ASSOC_CONTACT, "5", "a@x.com");
	meeting_add_assoc(m1, ASSOC_CONTACT, "3", "b@x.com");
	m2 = &s->m[1];
	memset(m2, 0, sizeof(*m2));
	m2->key = xstrdup("u");
	m2->source = xstrdup("a.ics");
	m2->properties = cJSON_CreateObject();
	/* Other insertion order: the hash is canonical. */
	cJSON_AddStringToObject(m2->properties, "hs_timestamp", "2024-03-01T09:00:00Z");
	cJSON_AddStringToObject(m2->properties, "ics2hubspot_key", "u");
	cJSON_AddStringToObject(m2->properties, "hs_meeting_title", "Weekly");
	meeting_add_assoc(m2, ASSOC_CONTACT, "3", "b@x.com");
	meeting_add_assoc(m2, ASSOC_CONTACT, "5", "a@x.com");
	CHECK(meeting_hash(m1) == meeting_hash(m2));

	/* The state holds run 1's hash; run 2 plans UNCHANGED. */
	add_row_for(s, m1, "42");
	s->mp[0] = m2;
	s->mp[1] = NULL;
	s->nm = 1;
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "u"), SYNC_UNCHANGED);

	/* A mapping change (a new property) changes the hash: update. */
	cJSON_AddStringToObject(m2->properties, "hs_meeting_location", "Room 1");
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "u"), SYNC_UPDATE);
	cJSON_DeleteItemFromObject(m2->properties, "hs_meeting_location");
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "u"), SYNC_UNCHANGED);
	/* So does an association change. */
	meeting_add_assoc(m2, ASSOC_COMPANY, "8", "x.com");
	plan(s);
	CHECK_INT(action_of(&s->plan, "a.ics", "u"), SYNC_UPDATE);
	meeting_release(m2);
	s->nm = 1; /* m[0] is released by scen_release */
	scen_release(s);
}

static void test_printing(void)
{
	struct scen *s = removal_scen(2, 1);
	struct sbuf sb = SBUF_INIT;
	cJSON *j, *items;
	char *text;

	add_meeting(s, "https://cal.example/secret-token/basic.ics", "new1", "2024-03-09", "New");
	plan(s);
	sync_plan_format_table(&s->plan, true, &sb);
	CHECK(strstr(sb.buf, "ACTION") && strstr(sb.buf, "REASON"));
	CHECK(strstr(sb.buf, "remove:archive") != NULL);
	CHECK(strstr(sb.buf, "unchanged") != NULL);
	CHECK(strstr(sb.buf, "secret-token") == NULL);
	CHECK(strstr(sb.buf, "https://cal.example/") != NULL);
	CHECK(strstr(sb.buf, "1 create, 0 update, 2 unchanged, 1 remove") != NULL);
	sbuf_reset(&sb);
	sync_plan_format_table(&s->plan, false, &sb);
	CHECK(strstr(sb.buf, "unchanged ") == NULL); /* the line, not the count */
	/* The title column: the summary, cut at 40 columns with an ellipsis. */
	CHECK(strstr(sb.buf, "TITLE") != NULL);
	CHECK(strstr(sb.buf, " New ") != NULL);
	sbuf_release(&sb);

	j = sync_plan_to_json(&s->plan);
	text = cJSON_PrintUnformatted(j);
	CHECK(strstr(text, "secret-token") == NULL);
	CHECK(strstr(text, "\"remove\":1") != NULL);
	items = cJSON_GetObjectItem(j, "items");
	CHECK_INT(cJSON_GetArraySize(items), 4);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 3), "action")),
		  "remove");
	CHECK_STR(cJSON_GetStringValue(
			  cJSON_GetObjectItem(cJSON_GetArrayItem(items, 3), "remove_mode")),
		  "archive");
	cJSON_free(text);
	cJSON_Delete(j);
	scen_release(s);

	s = removal_scen(0, 0);
	add_meeting(s, "a.ics", "long1", "2024-03-09",
		    "Quarterly business review with the whole Stark Industries team");
	plan(s);
	sync_plan_format_table(&s->plan, true, &sb);
	CHECK(strstr(sb.buf, "Quarterly business review with the whol…") != NULL);
	CHECK(strstr(sb.buf, "Stark Industries") == NULL);
	sbuf_release(&sb);
	scen_release(s);

	for (int a = 0; a < SYNC_NACTIONS; a++)
		CHECK(sync_action_name((enum sync_action)a) != NULL);
}

/* Search before create (issue #12): a found meeting's properties against ours. */
static void test_same_properties(void)
{
	struct meeting m = {0};
	cJSON *remote = cJSON_CreateObject();

	m.properties = cJSON_CreateObject();
	cJSON_AddStringToObject(m.properties, "hs_meeting_title", "Review");
	cJSON_AddStringToObject(m.properties, "hs_timestamp", "2030-01-07T09:00:00Z");
	cJSON_AddStringToObject(m.properties, "hs_meeting_location", "");
	cJSON_AddStringToObject(remote, "hs_meeting_title", "Review");
	cJSON_AddStringToObject(remote, "hs_timestamp", "2030-01-07T09:00:00.000Z");
	CHECK(meeting_same_properties(&m, remote)); /* ms rendering, "" like missing */
	cJSON_ReplaceItemInObject(remote, "hs_timestamp",
				  cJSON_CreateString("2030-01-07T09:30:00.000Z"));
	CHECK(!meeting_same_properties(&m, remote));
	cJSON_ReplaceItemInObject(remote, "hs_timestamp", cJSON_CreateString("1894006800000"));
	CHECK(meeting_same_properties(&m, remote)); /* epoch ms */
	cJSON_ReplaceItemInObject(remote, "hs_meeting_title", cJSON_CreateString("review"));
	CHECK(!meeting_same_properties(&m, remote));
	cJSON_Delete(remote);
	cJSON_Delete(m.properties);
}

/*
 * Planned in chunks (import streams one calendar): the removal plan gets no
 * meetings and only the rows not seen; the feed says how many meetings earlier
 * chunks had and how many rows count for the safety valve.
 */
static void test_chunked_removals(void)
{
	struct scen *s = removal_scen(0, 12);

	/* Alone, 12 of 12 gone and no meeting: the feed "came back empty". */
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
	CHECK_INT(s->plan.refused_removals, 12);
	CHECK(s->plan.nmessages && strstr(s->plan.messages[0], "came back empty"));

	/* 88 meetings seen in earlier chunks, 100 rows: 12% gone, removed. */
	s->feeds[0].earlier_meetings = 88;
	s->feeds[0].has_base = true;
	s->feeds[0].base = 100;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 12);
	CHECK_INT(s->plan.refused_removals, 0);

	/* 50 rows in all: 24% and 12 > 10, held back. */
	s->feeds[0].base = 50;
	plan(s);
	CHECK_INT(s->plan.count[SYNC_REMOVE], 0);
	CHECK_INT(s->plan.refused_removals, 12);
	CHECK(s->plan.nmessages && strstr(s->plan.messages[0], "would lose 12 of its 50"));

	/* The valve's base counts live rows in the window only. */
	CHECK(sync_row_counts(&s->in, &s->r[0]));
	s->r[0].status = STATE_ARCHIVED;
	CHECK(!sync_row_counts(&s->in, &s->r[0]));
	scen_release(s);
}

int main(void)
{
	test_same_properties();
	test_basic_actions();
	test_row_statuses();
	test_deleted_in_hubspot();
	test_pending();
	test_thresholds();
	test_chunked_removals();
	test_empty_and_failed_feeds();
	test_window();
	test_duplicates();
	test_duplicates_across_runs();
	test_hash_stability();
	test_printing();
	return TEST_DONE();
}
