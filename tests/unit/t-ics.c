/* Unit tests for importer/ics.c: one small calendar per rule (tests/ics/NAME.ics). */
#define _XOPEN_SOURCE 700 /* nftw() */
#include "ics.h"
#include "test.h"
#include "util.h"

#include <ftw.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct got {
	struct occurrence *v;
	size_t n, cap;
	size_t stop_after; /* 0 = never stop */
};

static int collect(const struct occurrence *o, void *data)
{
	struct got *g = data;

	XGROW(g->v, g->cap, g->n + 1);
	occurrence_copy(&g->v[g->n++], o);
	return g->stop_after && g->n >= g->stop_after ? -1 : 0;
}

static void got_release(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		occurrence_release(&g->v[i]);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static int64_t T(const char *s)
{
	int64_t t = 0;

	if (time_parse_utc(s, &t))
		BUG("bad time %s", s);
	return t;
}

/* Read tests/ics/NAME with a window; returns ics_read's status. */
static int read_cal(const char *name, const char *since, const char *until, const char *default_tz,
		    struct got *g, struct ics_stats *st)
{
	struct ics_options opt;
	char *path = xasprintf("tests/ics/%s", name);
	int rc;

	memset(&opt, 0, sizeof(opt));
	if (since) {
		opt.has_since = true;
		opt.since = T(since);
	}
	if (until) {
		opt.has_until = true;
		opt.until = T(until);
	}
	opt.default_tz = default_tz;
	rc = ics_read(path, path, path, &opt, collect, g, st);
	free(path);
	return rc;
}

/* Read `len` bytes of `text` (NULs and all) as calendar `name`, through a temporary file. */
static int read_text_opt(const char *text, size_t len, const char *name,
			 const struct ics_options *opt, struct got *g, struct ics_stats *st);

static int read_text(const char *text, size_t len, const char *name, struct got *g,
		     struct ics_stats *st)
{
	struct ics_options opt;

	memset(&opt, 0, sizeof(opt));
	return read_text_opt(text, len, name, &opt, g, st);
}

static int read_text_opt(const char *text, size_t len, const char *name,
			 const struct ics_options *opt, struct got *g, struct ics_stats *st)
{
	char path[] = "/tmp/t-ics-text-XXXXXX";
	int fd = mkstemp(path);
	int rc;

	memset(st, 0, sizeof(*st));
	CHECK(fd >= 0);
	if (fd < 0)
		return -1;
	CHECK_INT(write(fd, text, len), (long)len);
	close(fd);
	rc = ics_read(path, name, path, opt, collect, g, st);
	unlink(path);
	return rc;
}

/* Occurrences of uid, counted; *first gets the one with the earliest start. */
static size_t count_uid(const struct got *g, const char *uid, const struct occurrence **first)
{
	size_t n = 0;

	if (first)
		*first = NULL;
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].uid, uid)) {
			if (first && (!*first || g->v[i].start < (*first)->start))
				*first = &g->v[i];
			n++;
		}
	return n;
}

static const struct occurrence *find(const struct got *g, const char *uid, const char *start)
{
	int64_t t = T(start);

	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].uid, uid) && g->v[i].start == t)
			return &g->v[i];
	return NULL;
}

static void test_rrule_repair(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("rrule-repair.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(st.events, 4);
	CHECK_INT(count_uid(&g, "count-and-until", NULL), 5); /* COUNT=-1 dropped, UNTIL kept */
	CHECK_INT(count_uid(&g, "count-zero", NULL), 3);
	CHECK_INT(count_uid(&g, "until-before-start", NULL), 0); /* deletion marker */
	CHECK_INT(count_uid(&g, "off-pattern", &o), 4); /* DTSTART + 3 Mondays */
	CHECK(o && o->start == T("2020-01-01T09:00:00Z"));
	CHECK(find(&g, "off-pattern", "2020-01-20T09:00:00Z") != NULL);
	CHECK(st.warnings >= 2); /* both repairs are reported */
	o = find(&g, "count-and-until", "2024-01-03T10:00:00Z");
	CHECK(o && o->has_recurrence_id && o->recurrence_id == o->start);
	CHECK(o && o->end - o->start == 3600);
	CHECK(o && o->line == 4);
	got_release(&g);
	ics_stats_release(&st);
}

static void test_window(void)
{
	struct got g = {0};
	struct ics_stats st;

	/* [since, until): the instance at `since` is in, the one at `until` is out */
	CHECK_INT(read_cal("rrule-repair.ics", "2024-01-02T10:00:00Z", "2024-01-04T10:00:00Z", NULL,
			   &g, &st),
		  0);
	CHECK_INT(count_uid(&g, "count-and-until", NULL), 2);
	CHECK(find(&g, "count-and-until", "2024-01-02T10:00:00Z") != NULL);
	CHECK(find(&g, "count-and-until", "2024-01-04T10:00:00Z") == NULL);
	CHECK_INT(g.n, 2);
	got_release(&g);
	ics_stats_release(&st);
}

static void test_rdate_exdate(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("rdate-exdate.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	/* 05-06, 05-07 (RRULE = RDATE, once), 05-08 removed by EXDATE;VALUE=DATE, 2 PERIODs */
	CHECK_INT(count_uid(&g, "rdates", NULL), 4);
	CHECK(find(&g, "rdates", "2024-05-06T08:00:00Z") != NULL);
	CHECK(find(&g, "rdates", "2024-05-07T08:00:00Z") != NULL);
	CHECK(find(&g, "rdates", "2024-05-08T08:00:00Z") == NULL);
	o = find(&g, "rdates", "2024-05-10T12:00:00Z");
	CHECK(o && o->end == T("2024-05-10T15:00:00Z")); /* PERIOD with end */
	o = find(&g, "rdates", "2024-05-11T12:00:00Z");
	CHECK(o && o->end == T("2024-05-11T12:30:00Z")); /* PERIOD with duration */
	CHECK_INT(count_uid(&g, "exdate-utc", NULL), 2);
	CHECK(find(&g, "exdate-utc", "2024-01-03T14:00:00Z") == NULL);
	o = find(&g, "exdate-utc", "2024-01-04T14:00:00Z");
	CHECK(o && !strcmp(o->tz, "America/New_York") && o->end - o->start == 3600);
	got_release(&g);
	ics_stats_release(&st);
}

static void test_overrides(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("overrides.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(st.events, 13);
	/* weekly x5: 01-08 moved earlier (override before the master in the file), 01-15
	 * cancelled, 01-22 THISANDFUTURE -> 14:00 2h, applies to 01-29 too */
	CHECK_INT(count_uid(&g, "weekly", NULL), 5);
	o = find(&g, "weekly", "2024-01-05T07:00:00Z");
	CHECK(o && o->recurrence_id == T("2024-01-08T09:00:00Z"));
	CHECK(o && o->summary && strstr(o->summary, "moved earlier"));
	CHECK(find(&g, "weekly", "2024-01-08T09:00:00Z") == NULL);
	o = find(&g, "weekly", "2024-01-15T09:00:00Z");
	CHECK(o && !strcmp(o->status, "CANCELLED"));
	o = find(&g, "weekly", "2024-01-29T13:00:00Z");
	CHECK(o && o->end == T("2024-01-29T15:00:00Z") &&
	      o->recurrence_id == T("2024-01-29T09:00:00Z"));
	CHECK(o && o->summary && strstr(o->summary, "this and future"));
	o = find(&g, "weekly", "2024-01-01T09:00:00Z");
	CHECK(o && !strcmp(o->status, "CONFIRMED"));
	/* all-day series, Exchange override RECURRENCE-ID;TZID=GMT Standard Time:...T000000 */
	CHECK_INT(count_uid(&g, "allday", NULL), 3);
	o = find(&g, "allday", "2024-09-11");
	CHECK(o && o->all_day && o->recurrence_id == T("2024-09-09") && o->recurrence_id_all_day);
	CHECK(o && o->end == T("2024-09-12"));
	CHECK(find(&g, "allday", "2024-09-09") == NULL);
	/* orphan override twice: the higher SEQUENCE */
	CHECK_INT(count_uid(&g, "orphan@google.com", &o), 1);
	CHECK(o && o->has_recurrence_id && o->start == T("2024-03-01T12:00:00Z"));
	/* duplicate masters: the highest SEQUENCE wins wherever it is */
	CHECK_INT(count_uid(&g, "dup", &o), 1);
	CHECK(o && o->sequence == 3 && o->start == T("2024-04-01T10:00:00Z"));
	/* VEVENTs without UID: each its own, synthetic UIDs stable across reads */
	{
		size_t n = 0;
		char *first = NULL;

		for (size_t i = 0; i < g.n; i++)
			if (!strncmp(g.v[i].uid, "nouid-", 6)) {
				n++;
				if (!first)
					first = xstrdup(g.v[i].uid);
			}
		CHECK_INT(n, 2);
		got_release(&g);
		ics_stats_release(&st);
		CHECK_INT(read_cal("overrides.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
		CHECK(first && count_uid(&g, first, NULL) == 1);
		free(first);
	}
	got_release(&g);
	ics_stats_release(&st);
}

static void test_times(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("times.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(st.bad_events, 1); /* no DTSTART */
	CHECK_INT(g.n, 7);
	CHECK_STR(st.calendar_name, "Times, tested");
	CHECK(count_uid(&g, "duration", &o) == 1 && o->end - o->start == 45 * 60);
	CHECK(count_uid(&g, "date-no-end", &o) == 1 && o->all_day && o->end - o->start == 86400);
	CHECK(count_uid(&g, "datetime-no-end", &o) == 1 && o->end == o->start);
	CHECK(count_uid(&g, "swapped", &o) == 1 && o->end == o->start);
	CHECK(count_uid(&g, "floating", &o) == 1 && o->start == T("2024-06-15T19:00:00Z"));
	CHECK(o && !strcmp(o->tz, "floating:Europe/Brussels"));
	CHECK(count_uid(&g, "alldays", &o) == 1 && o->start == T("2024-07-01") &&
	      o->end == T("2024-07-04") && o->all_day);
	CHECK(o && o->calendar_name && !strcmp(o->calendar_name, "Times, tested"));
	CHECK(st.warnings >= 2);
	got_release(&g);
	ics_stats_release(&st);

	/* --default-tz wins over X-WR-TIMEZONE for floating times; dates stay dates */
	CHECK_INT(read_cal("times.ics", NULL, "2030-01-01", "America/New_York", &g, &st), 0);
	CHECK(count_uid(&g, "floating", &o) == 1 && o->start == T("2024-06-16T01:00:00Z"));
	CHECK(o && !strcmp(o->tz, "floating:America/New_York"));
	CHECK(count_uid(&g, "alldays", &o) == 1 && o->start == T("2024-07-01"));
	got_release(&g);
	ics_stats_release(&st);

	/* a Windows name works as --default-tz too */
	CHECK_INT(read_cal("times.ics", NULL, "2030-01-01", "W. Europe Standard Time", &g, &st), 0);
	CHECK(count_uid(&g, "floating", &o) == 1 && o->start == T("2024-06-15T19:00:00Z"));
	got_release(&g);
	ics_stats_release(&st);
}

struct want_zone {
	const char *uid, *start, *tz;
};

/* tests/ics/FILE has each UID once, at its start (UTC), in its zone, and `warnings` warnings. */
static void check_zones(const char *file, const struct want_zone *want, size_t n, int warnings)
{
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_cal(file, NULL, "2030-01-01", NULL, &g, &st), 0);
	for (size_t i = 0; i < n; i++) {
		const struct occurrence *o;

		CHECK_INT(count_uid(&g, want[i].uid, &o), 1);
		if (!o)
			continue;
		CHECK_INT(o->start, T(want[i].start));
		CHECK_STR(o->tz, want[i].tz);
	}
	CHECK_INT(st.warnings, warnings);
	got_release(&g);
	ics_stats_release(&st);
}

static void test_zones(void)
{
	static const struct want_zone want[] = {
		{"forward-ref", "2024-01-15T07:00:00Z", "Custom Plus Five"},
		{"iana", "2024-01-15T17:00:00Z", "America/New_York"},
		{"mozilla", "2024-01-15T11:00:00Z", "Europe/Berlin"},
		{"windows", "2024-07-15T10:00:00Z", "Europe/Berlin"},
		{"display", "2024-07-15T16:00:00Z", "America/New_York"},
		{"display-bare", "2024-07-15T03:00:00Z", "Asia/Tokyo"},
		{"unknown", "2024-01-15T12:00:00Z", "UTC"},
	};

	/* warnings: the unknown TZID, nothing else */
	check_zones("zones.ics", want, sizeof(want) / sizeof(want[0]), 1);
}

static void test_fields(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("fields.ics", NULL, NULL, NULL, &g, &st), 0);
	CHECK_INT(g.n, 1);
	if (g.n != 1)
		goto out;
	o = &g.v[0];
	CHECK_STR(o->summary, "Quarterly review, Q3");
	CHECK_STR(o->status, "CANCELLED"); /* METHOD:CANCEL */
	CHECK_STR(o->class_, "PRIVATE");
	CHECK_STR(o->transp, "TRANSPARENT");
	CHECK_STR(o->busy_status, "OOF");
	CHECK_STR(o->categories, "Sales,Review,Q3");
	CHECK_STR(o->location, "Room 1");
	CHECK_STR(o->url, "https://example.com/event");
	CHECK_STR(o->conference_url,
		  "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc/0?context=xyz");
	CHECK_STR(o->calendar_name, "Sales");
	CHECK_INT(o->sequence, 4);
	CHECK_STR(o->organizer.email, "sune.hansen@acme.com");
	CHECK_STR(o->organizer.name, "Hansen, Sune");
	CHECK_INT(o->nattendees, 2);
	if (o->nattendees == 2) {
		CHECK_STR(o->attendees[0].email, "kent@acme.com");
		CHECK_STR(o->attendees[0].partstat, "ACCEPTED");
		CHECK_STR(o->attendees[0].role, "REQ-PARTICIPANT");
		CHECK_STR(o->attendees[1].cutype, "ROOM");
	}
	CHECK_STR(occurrence_x(o, "X-MS-OLK-SENDER"), "someone");
	CHECK_STR(occurrence_x(o, "x-microsoft-cdo-busystatus"), "oof");
	CHECK(!o->has_recurrence_id);
	CHECK_INT(o->line, 6);
out:
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * CN values read straight from libical's parameter when they are plain
 * printable ASCII, through its text form otherwise (UTF-8, '^', '"'): both
 * give what the text form always gave.
 */
static void test_attendee_names(void)
{
	static const char *const want[][2] = {
		{"anna@example.com", "Berg, Anna"},
		{"joerg@example.com", "J\xc3\xb6rg M\xc3\xbcller"},
		{"rock@example.com", "Dwayne ^'The Rock^' Johnson"},
		{"caret@example.com", "Caret^Name"},
		{"lines@example.com", "Two^nLines"},
		{"sep@example.com", "a:b;c"},
		{"empty@example.com", ""},
		{"spaced@example.com", " Spaced"},
	};
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;
	size_t n = sizeof(want) / sizeof(want[0]);

	CHECK_INT(read_cal("names.ics", NULL, NULL, NULL, &g, &st), 0);
	CHECK_INT(g.n, 1);
	if (g.n != 1)
		goto out;
	o = &g.v[0];
	CHECK_STR(o->organizer.name, "Plain Name");
	CHECK_INT(o->nattendees, n);
	for (size_t i = 0; i < n && i < o->nattendees; i++) {
		CHECK_STR(o->attendees[i].email, want[i][0]);
		CHECK_STR(o->attendees[i].name, want[i][1]);
	}
out:
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * X- values as libical's icalproperty_get_value_as_string_r() gives them (ics.c x_value_text
 * copies the usual ones itself): backslashes doubled, "\n" kept as written, "\," and "\;"
 * unescaped, CR/BS/FF dropped, an unknown escape read as a space. Pinned from a3ed8dd.
 */
static void test_x_values(void)
{
	static const char cal[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x1\r\n"
				  "DTSTART:20240101T100000Z\r\n"
				  "X-A:plain, text; here\r\n"
				  "X-B:back\\\\slash \\\\\\\\ two\r\n"
				  "X-C:esc\\, comma\\; semi\\n newline\\N\r\n"
				  "X-D:tab\there\r\n"
				  "X-E;VALUE=TEXT:text\\, value\\\\x\r\n"
				  "X-F:trail\\\r\n"
				  "X-G:odd\\q\\x\r\n"
				  "X-H;FOO=bar:\"quoted\" ^ caret\r\n"
				  "X-J:cr\\r bs\\b ff\\f\r\n"
				  "X-K:multi,val\\,ue,three\r\n"
				  "END:VEVENT\r\nEND:VCALENDAR\r\n";
	static const char *const want[][2] = {
		{"X-A", "plain, text; here"},
		{"X-B", "back\\\\slash \\\\\\\\ two"},
		{"X-C", "esc, comma; semi\\n newline\\n"},
		{"X-D", "tab\there"},
		{"X-E", "text, value\\\\x"},
		{"X-F", "trail"},
		{"X-G", "odd  "},
		{"X-H", "\"quoted\" ^ caret"},
		{"X-J", "cr bs ff"},
		{"X-K", "multi,val,ue,three"},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_text(cal, sizeof(cal) - 1, "xvals.ics", &g, &st), 0);
	CHECK_INT(g.n, 1);
	if (g.n == 1) {
		CHECK_INT(g.v[0].nx, n);
		for (size_t i = 0; i < n && i < g.v[0].nx; i++) {
			CHECK_STR(g.v[0].x[i].name, want[i][0]);
			CHECK_STR(g.v[0].x[i].value, want[i][1]);
		}
	}
	got_release(&g);
	ics_stats_release(&st);
}

static void test_cap_and_horizon(void)
{
	struct got g = {0};
	struct ics_stats st;
	struct ics_options opt;
	const struct occurrence *last = NULL;

	memset(&opt, 0, sizeof(opt));
	opt.max_per_series = 50;
	opt.has_until = true;
	opt.until = T("2024-01-01T01:00:00Z");
	CHECK_INT(ics_read("tests/ics/cap.ics", "cap.ics", "cap.ics", &opt, collect, &g, &st), 0);
	CHECK_INT(count_uid(&g, "secondly", NULL), 50);
	CHECK(st.warnings >= 1);
	got_release(&g);
	ics_stats_release(&st);

	/* no --until: a series without end stops two years from now */
	memset(&opt, 0, sizeof(opt));
	opt.max_per_series = 1000;
	opt.has_since = true;
	opt.since = T("2024-01-01");
	CHECK_INT(ics_read("tests/ics/cap.ics", "cap.ics", "cap.ics", &opt, collect, &g, &st), 0);
	for (size_t i = 0; i < g.n; i++)
		if (!strcmp(g.v[i].uid, "forever-weekly") && (!last || g.v[i].start > last->start))
			last = &g.v[i];
	CHECK(last && last->start < time_now() + 731 * 86400 &&
	      last->start > time_now() + 715 * 86400);
	got_release(&g);
	ics_stats_release(&st);

	/*
	 * Rules that never yield an instance (BYMONTHDAY=31;BYMONTH=2) end after the step
	 * budget (cap * 10 steps of FREQ) with a warning instead of running forever.
	 */
	memset(&opt, 0, sizeof(opt));
	opt.max_per_series = 50;
	CHECK_INT(ics_read("tests/ics/never.ics", "never.ics", "never.ics", &opt, collect, &g, &st),
		  0);
	CHECK_INT(count_uid(&g, "never-secondly", NULL), 1); /* DTSTART itself */
	CHECK_INT(count_uid(&g, "never-minutely", NULL), 1);
	CHECK_INT(count_uid(&g, "never-count", NULL), 1);
	CHECK_INT(count_uid(&g, "ok-hourly", NULL), 21); /* 500 hourly steps: 21 days */
	CHECK_INT(st.warnings, 5); /* each series is cut, once */
	got_release(&g);
	ics_stats_release(&st);

	/* the callback can stop the reading */
	g.stop_after = 3;
	CHECK_INT(ics_read("tests/ics/cap.ics", "cap.ics", "cap.ics", &opt, collect, &g, &st), 0);
	CHECK_INT(g.n, 3);
	got_release(&g);
	ics_stats_release(&st);
}

/* A calendar with every robustness problem at once, written byte by byte. */
static const char robust[] = "\xEF\xBB\xBF"
			     "BEGIN:VCALENDAR\r\n"
			     "PRODID:x\r\n"
			     "BEGIN:VEVENT\r\n" /* line 3 */
			     "UID:folded\r\n"
			     "DTSTART:20240101T100000Z\r\n"
			     "SUMMARY:a folded \r\n"
			     " summary with caf\xE9 Latin-1\r\n"
			     "LOCATION:\r\n" /* empty: X-LIC-ERROR */
			     "RRULE:FREQ=DAILY;COUNT=2;COUNT=3\r\n" /* repeated part */
			     "END:VEVENT\r\n"
			     "BEGIN:VEVENT\r\n" /* line 11: no END */
			     "UID:unterminated\r\n"
			     "DTSTART:20240102T100000Z\r\n"
			     "END:VCALENDAR\r\n"
			     "BEGIN:VCALENDAR\n" /* a second calendar, LF only */
			     "BEGIN:VEVENT\n" /* line 16 */
			     "UID:lf\n"
			     "DTSTART:20240103T100000Z\n"
			     "SUMMARY:nul\x01 and \x00 byte\n"
			     "END:VEVENT\n"
			     "END:VCALENDAR\n"
			     "BEGIN:VEVENT\r" /* line 22: bare VEVENT, lone CR ends */
			     "UID:bare\r"
			     "DTSTART:20240104T100000Z\r"
			     "END:VEVENT\r"
			     "BEGIN:VEVENT\n" /* line 26: no DTSTART */
			     "UID:nostart\n"
			     "END:VEVENT\n"
			     "END:VEVENT\n" /* stray END */
			     "BEGIN:VEVENT\n" /* line 30: missing END:VALARM */
			     "UID:alarm\n"
			     "DTSTART:20240105T100000Z\n"
			     "BEGIN:VALARM\n"
			     "TRIGGER:-PT5M\n"
			     "END:VEVENT\n";

static void test_robustness(void)
{
	char path[] = "/tmp/t-ics-robust-XXXXXX";
	int fd = mkstemp(path);
	struct got g = {0};
	struct ics_stats st;
	struct ics_options opt;
	const struct occurrence *o;
	FILE *saved;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, robust, sizeof(robust) - 1), (long)(sizeof(robust) - 1));
	close(fd);
	memset(&opt, 0, sizeof(opt));
	CHECK_INT(ics_read(path, "robust.ics", path, &opt, collect, &g, &st), 0);
	CHECK_INT(count_uid(&g, "folded", &o), 2); /* the first COUNT wins */
	CHECK(o && o->line == 3);
	CHECK(o && o->summary &&
	      !strcmp(o->summary, "a folded summary with caf\xEF\xBF\xBD Latin-1"));
	CHECK_INT(count_uid(&g, "unterminated", NULL), 0);
	CHECK(count_uid(&g, "lf", &o) == 1 && o->line == 16);
	CHECK(o && o->summary && !strcmp(o->summary, "nul\x01 and ? byte")); /* NUL replaced */
	CHECK(count_uid(&g, "bare", &o) == 1 && o->line == 22);
	CHECK_INT(count_uid(&g, "nostart", NULL), 0);
	CHECK(count_uid(&g, "alarm", &o) == 1 && o->line == 30);
	CHECK_INT(st.bad_events, 1);
	CHECK_INT(st.lost_events, 3); /* the VEVENT with no END, the stray END, COUNT twice */
	CHECK(st.warnings >= 3);
	for (size_t i = 0; i < g.n; i++) {
		char *s;

		CHECK(utf8_sanitize(g.v[i].uid, &s));
		free(s);
		if (g.v[i].summary) {
			CHECK(utf8_sanitize(g.v[i].summary, &s));
			free(s);
		}
	}
	got_release(&g);
	ics_stats_release(&st);

	/* "-" reads standard input (spooled to a temporary file) */
	saved = freopen(path, "r", stdin);
	CHECK(saved != NULL);
	CHECK_INT(ics_read("-", "-", "-", &opt, collect, &g, &st), 0);
	CHECK_INT(count_uid(&g, "bare", NULL), 1);
	CHECK_INT(count_uid(&g, "folded", NULL), 2);
	got_release(&g);
	ics_stats_release(&st);
	unlink(path);

	/* unreadable and non-calendar inputs fail cleanly */
	CHECK_INT(ics_read("tests/ics/no-such-file.ics", "x", "x", &opt, collect, &g, &st), -1);
	ics_stats_release(&st);
	CHECK_INT(ics_read("tests/ics", "dir", "dir", &opt, collect, &g, &st), -1);
	ics_stats_release(&st);
	CHECK_INT(ics_read("tests/ics/crosscheck.py", "py", "py", &opt, collect, &g, &st), -1);
	ics_stats_release(&st);
	CHECK_INT(g.n, 0);
}

/* A damaged BEGIN:VEVENT at calendar level hides an event: counted as lost, never silent. */
static void test_garbled_begin(void)
{
	static const char cal[] =
		"BEGIN:VCALENDAR\r\n"
		"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\nEND:VEVENT\r\n"
		"\0BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240102T090000Z\r\nEND:VEVENT\r\n"
		"X-WR-CALNAME:BEGIN\r\n" /* a property, not damage */
		"END:VCALENDAR\r\n";
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_text(cal, sizeof(cal) - 1, "g.ics", &g, &st), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(st.lost_events, 1); /* line 6 "?BEGIN:VEVENT" (its END is the same damage) */
	CHECK_INT(st.bad_events, 0);
	CHECK_STR(st.calendar_name, "BEGIN");
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * Issue 27: every BEGIN/END that is not exactly a known component, and a file cut off
 * after an END:VEVENT, is damage (lost_events), whatever the spelling; the events read
 * are kept, the others are not invented.
 */
static void sbuf_add_nul(struct sbuf *sb, const char *s) /* '@' stands for a NUL byte */
{
	for (; *s; s++)
		sbuf_addc(sb, *s == '@' ? '\0' : *s);
}

static void test_damaged_structure(void)
{
	static const struct {
		const char *begin; /* replaces the second event's BEGIN:VEVENT */
		const char *end; /* replaces its END:VEVENT */
		size_t want; /* occurrences read */
	} t[] = {
		{"BEGIN;X=1:VEVENT", "END:VEVENT", 2},
		{"BEGIN:\tVEVENT", "END:VEVENT", 2},
		{"BEGIN::VEVENT", "END:VEVENT", 2},
		{"BEGIN:VE\rVENT", "END:VEVENT", 2},
		{"BEGIN:VEVENT@", "END:VEVENT", 2},
		{"BEGIN:VEVENTS", "END:VEVENT", 2},
		/* a damaged END: libical may still close the event with it */
		{"BEGIN:VEVENT", "END;X=1:VEVENT", 3},
		{"BEGIN:VEVENT", "END:VEVENT@", 3},
		{"BEGIN:VEVENT", "END:VEVEN", 3},
		{"BEGIN:VEVENT", "END:VEVENT", 3}, /* control: no damage */
		{"begin:vevent", "end:vevent", 3}, /* names are case-insensitive */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbuf sb = SBUF_INIT;
		struct got g = {0};
		struct ics_stats st;
		bool damaged;

		sbuf_adds(&sb, "BEGIN:VCALENDAR\r\n");
		for (int e = 1; e <= 3; e++) {
			const char *b = e == 2 ? t[i].begin : "BEGIN:VEVENT";
			const char *x = e == 2 ? t[i].end : "END:VEVENT";

			sbuf_add_nul(&sb, b);
			sbuf_addf(
				&sb,
				"\r\nUID:e%d\r\nDTSTART:2024010%dT090000Z\r\n"
				"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n",
				e, e);
			sbuf_add_nul(&sb, x);
			sbuf_adds(&sb, "\r\n");
		}
		sbuf_adds(&sb, "END:VCALENDAR\r\n");
		CHECK_INT(read_text(sb.buf, sb.len, "d.ics", &g, &st), 0);
		damaged = i < 9;

		CHECK_INT(g.n, t[i].want);
		CHECK_INT(st.lost_events, damaged ? 1 : 0);
		CHECK(t[i].want == 3 || count_uid(&g, "e1", NULL) == 1);
		CHECK(t[i].want == 3 || count_uid(&g, "e3", NULL) == 1);
		got_release(&g);
		ics_stats_release(&st);
		sbuf_release(&sb);
	}
}

/*
 * Issue 27: an RRULE part we cannot read is damage (lost_events), never a silently
 * narrower or wider series: the rule is dropped (a value RFC 5545 does not allow) or read
 * without the part (unknown, repeated); repairs that keep the meaning are warnings only.
 */
static void test_rrule_damage(void)
{
	static const struct {
		const char *rule;
		size_t want; /* occurrences */
		long lost;
	} t[] = {
		{"FREQ=WEEKLY;BYDAY=MO;COUNT=10", 10, 0},
		{"FREQ=WEEKLY;BYDAY=MON;COUNT=10", 1, 1}, /* libical refuses it */
		{"FREQ=WEEKLY;COUNT=1O", 1, 1}, /* libical would read COUNT=1 */
		{"FREQ=DAILY;;COUNT=10", 10, 0}, /* libical would ignore COUNT */
		{";FREQ=DAILY;COUNT=10;", 10, 0},
		{"FREQ=DAILY;COUNT=10;X-FOO=1", 10, 0},
		{"FREQ=DAILY;COUNT=10;BYDAYS=MO", 10, 1}, /* read without it, as said */
		{"FREQ=DAILY;COUNT=10;COUNT=3", 10, 1},
		{"FREQ=DAILY;COUNT=10;BYHOUR=24", 1, 1},
		{"FREQ=DAILY;COUNT=10;BYMONTH=0", 1, 1},
		{"FREQ=DAILY;COUNT=10;BYDAY=MO,,TU", 1, 1},
		{"FREQ=DAYLY;COUNT=10", 1, 1},
		{"FREQ=DAILY;UNTIL=2030011", 1, 1},
		{"FREQ=DAILY;UNTIL=20300116T090000Z", 10, 0},
		{"FREQ=WEEKLY;BYDAY=MO, TU;COUNT=4", 4, 0}, /* Exchange CDO's spaces */
		{"FREQ=MONTHLY;BYDAY=-1FR,+2MO;COUNT=4", 5, 0}, /* and the off-rule DTSTART */
		{"FREQ=MONTHLY;BYDAY=54MO;COUNT=4", 1, 1},
		{"FREQ=DAILY;COUNT=-1;UNTIL=20300116T090000Z", 10, 0}, /* Atlassian: repaired */
		{"FREQ=DAILY;INTERVAL=0;COUNT=10", 10, 0},
		{"RSCALE=GREGORIAN;FREQ=DAILY;COUNT=3", 3, 0},
		{"RSCALE=FOO;FREQ=DAILY;COUNT=3", 1, 1}, /* libical reads it, cannot expand it */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbuf sb = SBUF_INIT;
		struct got g = {0};
		struct ics_stats st;

		sbuf_addf(&sb,
			  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\n"
			  "DTSTART:20300107T090000Z\r\nRRULE:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			  t[i].rule);
		CHECK_INT(read_text(sb.buf, sb.len, "r.ics", &g, &st), 0);
		if (g.n != t[i].want || st.lost_events != t[i].lost)
			fprintf(stderr, "rule %s\n", t[i].rule);
		CHECK_INT(g.n, t[i].want);
		CHECK_INT(st.lost_events, t[i].lost);
		/* a rule not read keeps the series' first occurrence, as the series' */
		CHECK(g.n < 1 || g.v[0].has_recurrence_id);
		got_release(&g);
		ics_stats_release(&st);
		sbuf_release(&sb);
	}
}

/* libical reads 500 values of an EXDATE or RDATE line: all 1,200 are read. */
static void test_many_values(void)
{
	for (int rdate = 0; rdate < 2; rdate++) {
		struct sbuf sb = SBUF_INIT;
		struct got g = {0};
		struct ics_stats st;

		sbuf_adds(&sb, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:m\r\n"
			       "DTSTART:20300101T090000Z\r\n");
		sbuf_adds(&sb, rdate ? "RDATE:" : "RRULE:FREQ=DAILY;COUNT=1300\r\nEXDATE:");
		for (int k = 1; k <= 1200; k++) { /* 2030-01-02 onwards, one a day */
			time_t day = (time_t)1893488400 + (time_t)k * 86400; /* 2030-01-01 09:00Z */
			struct tm tm;

			gmtime_r(&day, &tm);
			sbuf_addf(&sb, "%s%04d%02d%02dT090000Z", k > 1 ? "," : "",
				  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		}
		sbuf_adds(&sb, "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
		CHECK_INT(read_text(sb.buf, sb.len, "m.ics", &g, &st), 0);
		CHECK_INT(g.n, rdate ? 1 + 1200 : 1300 - 1200);
		CHECK_INT(st.lost_events, 0);
		got_release(&g);
		ics_stats_release(&st);
		sbuf_release(&sb);
	}
}

/*
 * Issue 27 item 2: budgets by outcome (import), whatever the FREQ: 24 occurrences per
 * series and day, 20,000 + 4 per byte per calendar; past one the series is cut and the
 * calendar incomplete. expand (no budget) keeps the per-series cap, as a warning.
 */
static void test_budgets(void)
{
	static const char *const rules[] = {
		/* 86,400 a day, from a DAILY rule */
		"FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;"
		"BYMINUTE=0,10,20,30,40,50;COUNT=5000",
		"FREQ=HOURLY;COUNT=100", /* 24 a day: in budget */
		"FREQ=DAILY;COUNT=100",
	};
	static const long want_budget[] = {24, 100, 100}, want_plain[] = {5000, 100, 100};
	struct ics_options opt;

	memset(&opt, 0, sizeof(opt));
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		for (int b = 0; b < 2; b++) {
			struct sbuf sb = SBUF_INIT;
			struct got g = {0};
			struct ics_stats st;

			opt.budget = b;
			sbuf_addf(&sb,
				  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:b\r\n"
				  "DTSTART:20300107T000000Z\r\nRRULE:%s\r\nEND:VEVENT\r\n"
				  "END:VCALENDAR\r\n",
				  rules[i]);
			CHECK_INT(read_text_opt(sb.buf, sb.len, "b.ics", &opt, &g, &st), 0);
			CHECK_INT(g.n, b ? want_budget[i] : want_plain[i]);
			CHECK_INT(st.lost_events, b && i == 0 ? 1 : 0);
			got_release(&g);
			ics_stats_release(&st);
			sbuf_release(&sb);
		}
	}
	/* 40 hourly series of 1,000 in ~4 KB: the calendar's 20,000 + 4/byte is spent */
	{
		struct sbuf sb = SBUF_INIT;
		struct got g = {0};
		struct ics_stats st;

		sbuf_adds(&sb, "BEGIN:VCALENDAR\r\n");
		for (int i = 0; i < 40; i++)
			sbuf_addf(&sb,
				  "BEGIN:VEVENT\r\nUID:h%d\r\nDTSTART:20300107T000000Z\r\n"
				  "RRULE:FREQ=HOURLY;COUNT=1000\r\nEND:VEVENT\r\n",
				  i);
		sbuf_adds(&sb, "END:VCALENDAR\r\n");
		opt.budget = true;
		CHECK_INT(read_text_opt(sb.buf, sb.len, "h.ics", &opt, &g, &st), 0);
		CHECK_INT(g.n, 20000 + 4 * (long)sb.len);
		CHECK(st.lost_events >= 40 - (20000 + 4 * (long)sb.len) / 1000 - 1);
		CHECK(st.lost_events <= 40 - (20000 + 4 * (long)sb.len) / 1000);
		got_release(&g);
		ics_stats_release(&st);
		opt.budget = false;
		CHECK_INT(read_text_opt(sb.buf, sb.len, "h.ics", &opt, &g, &st), 0);
		CHECK_INT(g.n, 40000);
		CHECK_INT(st.lost_events, 0);
		got_release(&g);
		ics_stats_release(&st);
		sbuf_release(&sb);
	}
}

/* A file cut off right after an END:VEVENT: what was read is kept, the calendar is incomplete. */
static void test_cut_off(void)
{
	static const char cut[] =
		"BEGIN:VCALENDAR\r\n"
		"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240102T090000Z\r\nEND:VEVENT\r\n";
	static const char two[] = /* two VCALENDARs, each closed: complete */
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:b\r\n"
		"DTSTART:20240102T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	static const char bare[] = /* bare VEVENTs, no VCALENDAR at all: nothing is cut */
		"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\nEND:VEVENT\r\n";
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_text(cut, sizeof(cut) - 1, "cut.ics", &g, &st), 0);
	CHECK_INT(g.n, 2);
	CHECK_INT(st.lost_events, 1);
	got_release(&g);
	ics_stats_release(&st);
	CHECK_INT(read_text(two, sizeof(two) - 1, "two.ics", &g, &st), 0);
	CHECK_INT(g.n, 2);
	CHECK_INT(st.lost_events, 0);
	got_release(&g);
	ics_stats_release(&st);
	CHECK_INT(read_text(bare, sizeof(bare) - 1, "bare.ics", &g, &st), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(st.lost_events, 0);
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * libical takes "END :VEVENT" for the END our structure does not see (fuzz_ics found the
 * component it handed back leaking): the VEVENT is counted lost, the next one is read whole.
 */
static void test_early_end(void)
{
	static const char cal[] =
		"BEGIN:VCALENDAR\r\n"
		"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T090000Z\r\n"
		"END :VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
		"BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240102T090000Z\r\nEND:VEVENT\r\n"
		"END:VCALENDAR\r\n";
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_text(cal, sizeof(cal) - 1, "e.ics", &g, &st), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(st.lost_events, 1); /* line 5 "END :VEVENT" */
	CHECK_INT(count_uid(&g, "b", NULL), 1);
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * A damaged END inside a VTIMEZONE ("END<TAB>:X", which libical reads as an
 * END) makes libical hand the VTIMEZONE back before ours: at that line, or at
 * the END:X-UNTERMINATED we feed to close what it left open. It is kept, with
 * a warning, and nothing leaks (the sanitizer build checks; found by fuzz_ics
 * on 676cfee).
 */
static void test_vtimezone_damaged_end(void)
{
	static const char head[] = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Custom\r\n"
				   "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
				   "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\n";
	static const char tail[] = "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\n"
				   "DTSTART;TZID=Custom:20240101T090000\r\nEND:VEVENT\r\n"
				   "END:VCALENDAR\r\n";
	static const char *const middles[] = {
		/* the VTIMEZONE handed back at a fed line */
		"END\t:STANDARD\r\nEND\t:VTIMEZONE\r\n",
		/* ... at the END:X-UNTERMINATED that closes an inner component */
		"BEGIN:X-INNER\r\nEND\t:X-INNER\r\nEND:STANDARD\r\n",
	};

	for (size_t k = 0; k < sizeof(middles) / sizeof(middles[0]); k++) {
		char *text = xasprintf("%s%s%s", head, middles[k], tail);
		struct got g = {0};
		struct ics_stats st;
		const struct occurrence *o;

		CHECK_INT(read_text(text, strlen(text), "tzend.ics", &g, &st), 0);
		CHECK_INT(count_uid(&g, "a", &o), 1);
		/* the file's zone (+0100), not the default (UTC) */
		CHECK(o && o->start == T("2024-01-01T08:00:00Z"));
		got_release(&g);
		ics_stats_release(&st);
		free(text);
	}
}

/*
 * A VTIMEZONE observance rule in minutes whose BY parts never match used to
 * hang libical's zone expansion (found by fuzz_ics on ee89198): it is dropped
 * with a warning, the observance keeps its one change, and the event is read.
 */
static void test_vtimezone_fast_rule(void)
{
	static const char cal[] =
		"BEGIN:VCALENDAR\r\n"
		"BEGIN:VTIMEZONE\r\nTZID:Custom Zone\r\n"
		"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\n"
		"DTSTART:19700329T010000\r\nRRULE:FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=31\r\n"
		"END:DAYLIGHT\r\n"
		"BEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\n"
		"DTSTART:19701025T020000\r\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31;COUNT=3\r\n"
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
		"END:VTIMEZONE\r\n"
		"BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Custom Zone:20240601T090000\r\n"
		"DURATION:PT1H\r\nEND:VEVENT\r\n"
		"END:VCALENDAR\r\n";
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_text(cal, sizeof(cal) - 1, "z.ics", &g, &st), 0);
	CHECK_INT(st.warnings, 2); /* the MINUTELY and the DAILY rule */
	CHECK_INT(count_uid(&g, "z", &o), 1);
	/* only the 1970 changes remain: +0000 since October 1970 */
	CHECK(o && o->start == T("2024-06-01T09:00:00Z"));
	got_release(&g);
	ics_stats_release(&st);
}

/* X-MICROSOFT-CDO-ALLDAYEVENT:TRUE with local midnight-to-midnight times is all-day. */
static void test_outlook_all_day(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("outlook-allday.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "ad1", &o), 1);
	CHECK(o && o->all_day && o->start == T("2026-06-01") && o->end == T("2026-06-03"));
	/* midnight to 09:00 is not a whole day: stays a timed event in its zone */
	CHECK_INT(count_uid(&g, "ad2", &o), 1);
	CHECK(o && !o->all_day && o->start == T("2026-05-31T22:00:00Z"));
	/* a series: every instance all-day, keyed by date */
	CHECK_INT(count_uid(&g, "ad3", NULL), 2);
	o = find(&g, "ad3", "2026-06-12");
	CHECK(o && o->all_day && o->recurrence_id_all_day && o->end == T("2026-06-13"));
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 1, RFC 5545 §3.3.5: a local time in the spring-forward gap takes the offset before it. */
static void test_dst_gap(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("dst.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	/* "TZID=America/New_York:20070311T023000 [...] is interpreted [as] 07:30 UTC" */
	CHECK_INT(count_uid(&g, "gap", &o), 1);
	CHECK(o && o->start == T("2007-03-11T07:30:00Z"));
	/* DTEND 03:30 EDT = 07:30Z: not silently zero length, the written hour is kept */
	CHECK(o && o->end == T("2007-03-11T08:30:00Z"));
	/* a DTEND in the gap is read the same way: 01:30 EST to 02:30 (EST) is one hour */
	CHECK_INT(count_uid(&g, "gap-end", &o), 1);
	CHECK(o && o->start == T("2007-03-11T06:30:00Z") && o->end == T("2007-03-11T07:30:00Z"));
	CHECK(st.warnings >= 2); /* both gap times are reported */
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 3, RFC 5545 §3.3.5: a local time the fall-back repeats is its first occurrence. */
static void test_dst_overlap(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("dst.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "overlap", &o), 1);
	CHECK(o && o->start == T("2007-11-04T05:30:00Z")); /* 01:30 EDT */
	CHECK(o && o->end == T("2007-11-04T07:30:00Z")); /* 02:30 EST */
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 2, RFC 5545 §3.3.10: each instance's local time comes from DTSTART, after a gap too. */
static void test_after_gap(void)
{
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_cal("dst.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "daily-after-gap", NULL), 4);
	CHECK(find(&g, "daily-after-gap", "2024-03-30T01:30:00Z") != NULL); /* CET */
	CHECK(find(&g, "daily-after-gap", "2024-03-31T01:30:00Z") != NULL); /* gap: CET */
	CHECK(find(&g, "daily-after-gap", "2024-04-01T00:30:00Z") != NULL); /* CEST */
	CHECK(find(&g, "daily-after-gap", "2024-04-02T00:30:00Z") != NULL);
	CHECK_INT(count_uid(&g, "weekly-after-gap", NULL), 3);
	CHECK(find(&g, "weekly-after-gap", "2024-03-31T01:30:00Z") != NULL);
	CHECK(find(&g, "weekly-after-gap", "2024-04-07T00:30:00Z") != NULL);
	/* UNTIL in UTC still bounds the local-time iteration inclusively */
	CHECK_INT(count_uid(&g, "until-local", NULL), 4);
	CHECK(find(&g, "until-local", "2024-03-28T09:00:00Z") != NULL);
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 4: FREQ=YEARLY;BYWEEKNO=n without BYDAY is DTSTART's weekday of week n (libical#794). */
static void test_byweekno(void)
{
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_cal("byweekno.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "weekno-2", NULL), 3);
	CHECK(find(&g, "weekno-2", "2001-01-08T09:00:00Z") != NULL);
	CHECK(find(&g, "weekno-2", "2002-01-07T09:00:00Z") != NULL);
	CHECK(find(&g, "weekno-2", "2003-01-06T09:00:00Z") != NULL);
	/* RFC 5545 §3.8.5.3: (1997 9:00 AM EDT) May 12; (1998) May 11; (1999) May 17 */
	CHECK_INT(count_uid(&g, "weekno-20", NULL), 3);
	CHECK(find(&g, "weekno-20", "1997-05-12T13:00:00Z") != NULL);
	CHECK(find(&g, "weekno-20", "1998-05-11T13:00:00Z") != NULL);
	CHECK(find(&g, "weekno-20", "1999-05-17T13:00:00Z") != NULL);
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 6, RFC 5545 §3.8.2.2: a floating DTSTART with a zoned DTEND is read in that zone. */
static void test_floating_with_zoned_end(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("mixed-zones.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "floating-start", &o), 1);
	CHECK(o && o->start == T("2024-06-15T19:00:00Z") && o->end == T("2024-06-15T20:00:00Z"));
	CHECK(o && !strcmp(o->tz, "Europe/Brussels"));
	CHECK(st.warnings >= 1);
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 5: outside what an embedded VTIMEZONE covers, its IANA name (or X-LIC-LOCATION) decides. */
static void test_vtimezone_cover(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("vtimezone-cover.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	/* observances end in 2006: 2023-06-13 11:55 New York is EDT, 15:55Z */
	CHECK(count_uid(&g, "ny-2023", &o) == 1 && o->start == T("2023-06-13T15:55:00Z"));
	CHECK(count_uid(&g, "ny-2023-again", &o) == 1 && o->start == T("2023-06-14T15:55:00Z"));
	CHECK(count_uid(&g, "ny-2005", &o) == 1 && o->start == T("2005-06-13T15:55:00Z"));
	/* inside the covered range the file's definition wins, even where IANA differs */
	CHECK(count_uid(&g, "tokyo-inside", &o) == 1 && o->start == T("2021-06-01T04:00:00Z"));
	CHECK(o && !strcmp(o->tz, "Custom Tokyo"));
	CHECK(count_uid(&g, "tokyo-outside", &o) == 1 && o->start == T("2024-06-01T03:00:00Z"));
	CHECK_INT(st.warnings, 2); /* once per TZID */
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 7, RFC 5545 §3.3.10: an unknown rule part is ignored, the rule kept, with a warning. */
static void test_rrule_unknown_part(void)
{
	struct got g = {0};
	struct ics_stats st;

	CHECK_INT(read_cal("rrule-parts.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "x-part", NULL), 3);
	CHECK(find(&g, "x-part", "2024-01-03T09:00:00Z") != NULL);
	CHECK_INT(count_uid(&g, "garbage-part", NULL), 2);
	CHECK(find(&g, "garbage-part", "2024-01-08T10:00:00Z") != NULL);
	CHECK_INT(st.warnings, 2);
	got_release(&g);
	ics_stats_release(&st);
}

/* Class 8: Exchange display names ("and", "&", spacing, GMT prefix); offset-only TZIDs. */
static void test_zone_names(void)
{
	static const struct want_zone want[] = {
		{"display-and", "2024-07-15T16:00:00Z", "America/New_York"},
		{"display-spacing", "2024-01-15T11:00:00Z", "Europe/Berlin"},
		{"display-gmt", "2024-01-15T17:00:00Z", "America/New_York"},
		{"offset-gmt", "2024-07-15T11:00:00Z", "UTC+01:00"}, /* fixed: no summer time */
		{"offset-utc", "2024-07-15T11:00:00Z", "UTC+01:00"},
		{"offset-minutes", "2024-07-15T06:30:00Z", "UTC+05:30"},
	};

	/* warnings: one per offset-only TZID, none for display names */
	check_zones("zone-names.ics", want, sizeof(want) / sizeof(want[0]), 3);
}

/* Class 9: duplicate UIDs, libical's parser messages and iTIP replies are never silent. */
static void test_never_silent(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("never-silent.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	/* same UID and SEQUENCE: the more recent LAST-MODIFIED wins, though earlier in the file */
	CHECK_INT(count_uid(&g, "tv-show", &o), 1);
	CHECK(o && o->summary && !strcmp(o->summary, "Part 2 of 2 (modified last)"));
	CHECK(o && o->line == 4);
	/* four badly folded lines: one warning for the VEVENT, which is still read */
	CHECK_INT(count_uid(&g, "zoom", NULL), 1);
	CHECK_INT(st.warnings, 2);
	CHECK_INT(st.bad_events, 0);
	got_release(&g);
	ics_stats_release(&st);

	/* RFC 5546: a METHOD:REPLY VEVENT may have no DTSTART: skipped, not an error */
	CHECK_INT(read_cal("itip-reply.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(g.n, 0);
	CHECK_INT(st.events, 1);
	CHECK_INT(st.bad_events, 0);
	CHECK_INT(st.warnings, 0);
	got_release(&g);
	ics_stats_release(&st);
}

/* ---- the window pre-filter (issue #14): skipping never changes what is in the window ---- */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per occurrence, sorted: what the window comparison looks at. */
static char **occ_lines(const struct got *g, int64_t since, size_t *n)
{
	char **v = xcalloc(g->n ? g->n : 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct occurrence *o = &g->v[i];

		if (o->start < since)
			continue;
		v[(*n)++] =
			xasprintf("%s|%d|%lld|%lld|%lld|%d|%s|%s|%s", o->uid, o->has_recurrence_id,
				  (long long)o->recurrence_id, (long long)o->start,
				  (long long)o->end, o->all_day, o->status ? o->status : "",
				  o->summary ? o->summary : "", o->tz ? o->tz : "");
	}
	qsort(v, *n, sizeof(*v), cmp_strp);
	return v;
}

static long window_files, window_skipped;

/*
 * struct occurrence's fill, which lets `expand` print the rest of a line once
 * for a series: never 0, never shared with an earlier read, and occurrences
 * in a row with the same fill have the same occurrence_rest_json().
 */
static void check_fills(const char *path, const struct got *g)
{
	static uint64_t last; /* the highest fill of the reads before */
	uint64_t high = last;
	char *prev = NULL;

	for (size_t i = 0; i < g->n; i++) {
		const struct occurrence *o = &g->v[i];
		cJSON *j;
		char *rest;

		if (!o->fill || o->fill <= last) {
			fprintf(stderr,
				"fill check: %s: occurrence %zu has fill %llu (after %llu)\n", path,
				i, (unsigned long long)o->fill, (unsigned long long)last);
			CHECK(false);
			break;
		}
		if (o->fill > high)
			high = o->fill;
		j = occurrence_rest_json(o);
		rest = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (i && o->fill == g->v[i - 1].fill && strcmp(rest, prev)) {
			fprintf(stderr,
				"fill check: %s: occurrences %zu and %zu share a fill: %s != %s\n",
				path, i - 1, i, prev, rest);
			CHECK(false);
		}
		free(prev);
		prev = rest;
	}
	free(prev);
	last = high;
}

/*
 * Windowed output of `path` == the expansion with the same end but no start,
 * filtered to the window. (Same end: series that never end are expanded up
 * to it either way.)
 */
static void check_window(const char *path, int64_t since, int64_t until)
{
	struct ics_options opt;
	struct got a = {0}, b = {0};
	struct ics_stats sa, sb;
	char **la, **lb;
	size_t na, nb;
	int ra, rb;

	memset(&opt, 0, sizeof(opt));
	opt.has_until = true;
	opt.until = until;
	memset(&sb, 0, sizeof(sb));
	rb = ics_read(path, path, path, &opt, collect, &b, &sb);
	opt.has_since = true;
	opt.since = since;
	memset(&sa, 0, sizeof(sa));
	ra = ics_read(path, path, path, &opt, collect, &a, &sa);
	CHECK_INT(ra, rb);
	check_fills(path, &b);
	check_fills(path, &a);
	la = occ_lines(&a, since, &na);
	lb = occ_lines(&b, since, &nb);
	if (na != nb)
		fprintf(stderr,
			"window check: %s [%lld, %lld): %zu windowed, %zu in the full "
			"expansion\n",
			path, (long long)since, (long long)until, na, nb);
	CHECK_INT(na, nb);
	for (size_t i = 0; i < na && i < nb; i++)
		if (strcmp(la[i], lb[i])) {
			fprintf(stderr, "window check: %s: %s != %s\n", path, la[i], lb[i]);
			CHECK(false);
			break;
		}
	window_skipped += sa.skipped_events;
	for (size_t i = 0; i < na; i++)
		free(la[i]);
	for (size_t i = 0; i < nb; i++)
		free(lb[i]);
	free(la);
	free(lb);
	got_release(&a);
	got_release(&b);
	ics_stats_release(&sa);
	ics_stats_release(&sb);
}

static int window_visit(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	static const char *const windows[][2] = {
		{"1997-09-01", "1998-01-01"}, {"2006-01-01", "2007-01-01"},
		{"2019-01-01", "2019-04-01"}, {"2023-11-01", "2024-02-01"},
		{"2024-03-01", "2024-06-01"}, {"2025-10-20", "2025-11-10"},
		{"2028-01-01", "2028-04-01"}, {"2031-01-01", "2032-01-01"},
	};
	size_t n = strlen(path);

	(void)sb;
	(void)f;
	if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".ics"))
		return 0;
	/* The per-series cap bites there: it counts from the window (test_cap_and_horizon). */
	if (!strcmp(path, "tests/ics/cap.ics"))
		return 0;
	window_files++;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		check_window(path, T(windows[i][0]), T(windows[i][1]));
	return 0;
}

static void test_window_skip(void)
{
	struct got g = {0};
	struct ics_stats st;

	/* The edge cases: zones at both ends, COUNT and UNTIL, overrides and duplicates. */
	memset(&st, 0, sizeof(st));
	CHECK_INT(read_cal("window.ics", "2028-01-01", "2028-04-01", NULL, &g, &st), 0);
	/* 7 VEVENTs, and moved-outside's master with its override, all years before */
	CHECK_INT(st.skipped_events, 9);
	CHECK(count_uid(&g, "moved-in", NULL) == 1); /* its master is years before */
	CHECK(count_uid(&g, "moved-outside", NULL) == 0); /* no orphan either */
	CHECK(count_uid(&g, "kiritimati-edge", NULL) == 1);
	CHECK(count_uid(&g, "samoa-edge", NULL) == 1);
	CHECK(count_uid(&g, "leap-day", NULL) == 1);
	CHECK(count_uid(&g, "count-byrule", NULL) == 1);
	CHECK(count_uid(&g, "dup", NULL) == 0); /* the higher SEQUENCE is before the window */
	got_release(&g);
	ics_stats_release(&st);

	/* Every calendar of the tree, in windows from 1997 to 2032. */
	window_files = window_skipped = 0;
	CHECK_INT(nftw("tests/ics", window_visit, 8, FTW_PHYS), 0);
	CHECK_INT(nftw("samples", window_visit, 8, FTW_PHYS), 0);
	CHECK(window_files >= 10);
	CHECK(window_skipped > 0);
}

/* An occurrence as `expand` prints it (head and rest). */
static char *occ_json(const struct occurrence *o)
{
	cJSON *h = occurrence_head_json(o), *r = occurrence_rest_json(o);
	char *a = cJSON_PrintUnformatted(h), *b = cJSON_PrintUnformatted(r);
	char *s = xasprintf("%s %s", a, b);

	cJSON_Delete(h);
	cJSON_Delete(r);
	free(a);
	free(b);
	return s;
}

static long held_files, held_occurrences;

/*
 * Lines held back from libical's parser (ics.c, held_take): `path` read so and read with
 * every line given to libical (parse_every_line) gives the same occurrences, in the same
 * order, with the same fields, and the same counts of warnings and damage.
 */
static void check_held(const char *path)
{
	struct ics_options opt;
	struct got a = {0}, b = {0};
	struct ics_stats sa, sb;
	int ra, rb;

	memset(&opt, 0, sizeof(opt));
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	opt.has_until = true;
	opt.until = T("2035-01-01");
	ra = ics_read(path, path, path, &opt, collect, &a, &sa);
	opt.parse_every_line = true;
	rb = ics_read(path, path, path, &opt, collect, &b, &sb);
	CHECK_INT(ra, rb);
	CHECK_INT(sa.events, sb.events);
	CHECK_INT(sa.warnings, sb.warnings);
	CHECK_INT(sa.bad_events, sb.bad_events);
	CHECK_INT(sa.lost_events, sb.lost_events);
	CHECK_INT(a.n, b.n);
	for (size_t i = 0; i < a.n && i < b.n; i++) {
		char *ja = occ_json(&a.v[i]), *jb = occ_json(&b.v[i]);

		if (strcmp(ja, jb)) {
			fprintf(stderr,
				"held check: %s: occurrence %zu:\n  held:  %s\n  every: %s\n", path,
				i, ja, jb);
			CHECK(false);
			i = a.n;
		}
		free(ja);
		free(jb);
	}
	held_files++;
	held_occurrences += (long)a.n;
	got_release(&a);
	got_release(&b);
	ics_stats_release(&sa);
	ics_stats_release(&sb);
}

static int held_visit(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	size_t n = strlen(path);

	(void)sb;
	(void)f;
	if (type == FTW_F && n >= 4 && !strcmp(path + n - 4, ".ics"))
		check_held(path);
	return 0;
}

static void test_held(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;
	static const char *const want1[][2] = {
		{"X-A", "plain"},
		{"X-B", "text, value"}, /* VALUE=: libical's */
		{"X-C", "aGVsbG8="}, /* ENCODING=: libical's */
		{"X-E", "leading blank"}, /* "X-D:" is dropped by libical, with a word */
		{"X-F", "no equals"},
		{"X-G", "quoted param"},
		{"X-H", "X-P=\"unclosed:v"},
		{"X-I", "esc, ; \\\\ back"},
		{"X-J", "esc\\n newline"},
		{"X-K", "odd "},
		{"X-L", "tab\tin"},
		{"X-MICROSOFT-CDO-BUSYSTATUS", "TENTATIVE"},
	};

	/* The kinds of lines, plain or not, one by one (tests/ics/held.ics). */
	memset(&st, 0, sizeof(st));
	CHECK_INT(read_cal("held.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(g.n, 7);
	CHECK_INT(st.warnings, 3); /* 3 unreadable lines of held-1; the two duplicates */
	count_uid(&g, "held-1", &o);
	CHECK(o != NULL);
	if (o) {
		size_t n = sizeof(want1) / sizeof(want1[0]);

		CHECK_INT(o->nx, n + 2); /* the long name, and the X- after the VALARM */
		for (size_t i = 0; i < n && i < o->nx; i++) {
			CHECK_STR(o->x[i].name, want1[i][0]);
			CHECK_STR(o->x[i].value, want1[i][1]);
		}
		if (o->nx == n + 2)
			CHECK_STR(o->x[n + 1].name, "X-AFTER-ALARM");
		CHECK_STR(o->busy_status, "TENTATIVE");
		CHECK_STR(o->summary, "Held lines");
		CHECK_STR(o->description, "Text, with\nescapes");
		CHECK_INT(o->nattendees, 4);
		if (o->nattendees == 4) {
			CHECK_STR(o->attendees[1].name,
				  "Doe, Jane"); /* RSVP, X-, LANGUAGE left out */
			CHECK_STR(o->attendees[2].partstat, "ACCEPTED");
		}
	}
	/* DTSTAMP and LAST-MODIFIED, plain or not, still decide between duplicates */
	count_uid(&g, "held-dup", &o);
	CHECK(o && !strcmp(o->summary, "newer stamp, with a parameter"));
	count_uid(&g, "held-dup2", &o);
	CHECK(o && !strcmp(o->summary, "newer LAST-MODIFIED"));
	/* after a line libical may read as a BEGIN, nothing more is held: X-INSIDE is not ours */
	count_uid(&g, "held-doubt", &o);
	CHECK(o && o->nx == 2);
	got_release(&g);
	ics_stats_release(&st);

	/*
	 * Lines and parameters libical read before (tests/ics/held-props.ics): cloned, taken out
	 * and put back; a line with a kind twice, a quoted value, a broken line among them.
	 */
	memset(&st, 0, sizeof(st));
	CHECK_INT(read_cal("held-props.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(g.n, 4);
	count_uid(&g, "props-2", &o);
	CHECK(o != NULL);
	if (o) {
		CHECK_STR(o->transp, "TRANSPARENT");
		CHECK_STR(o->class_, "PRIVATE");
		CHECK_INT(o->sequence, 3);
		CHECK_STR(o->organizer.role, "CHAIR");
		CHECK_STR(o->organizer.name, "Org");
		CHECK_INT(o->nattendees, 6);
		if (o->nattendees == 6) {
			CHECK_STR(o->attendees[0].partstat, "ACCEPTED");
			CHECK_STR(o->attendees[0].role, "REQ-PARTICIPANT");
			CHECK_STR(o->attendees[0].cutype, "INDIVIDUAL");
			CHECK_STR(o->attendees[0].name, "B");
			CHECK_STR(o->attendees[1].role, "OPT-PARTICIPANT"); /* the first of two */
			CHECK_STR(o->attendees[2].partstat, "DECLINED");
			CHECK_STR(o->attendees[3].role, "OPT-PARTICIPANT");
			CHECK_STR(o->attendees[4].partstat, "X-MAYBE");
			CHECK_STR(o->attendees[4].cutype, "ROOM");
		}
	}
	/* a line libical does not read cleanly: each line of the event is read alone, in order */
	count_uid(&g, "props-3", &o);
	CHECK(o && o->nattendees == 5 && o->sequence == 0 && !strcmp(o->status, "TENTATIVE"));
	if (o && o->nattendees == 5) {
		CHECK_STR(o->attendees[1].partstat, "BOGUS-VALUE");
		CHECK_STR(o->attendees[3].email, "f@example.com");
		CHECK_STR(o->attendees[4].email, "d@example.com");
		CHECK_STR(o->attendees[4].role, "REQ-PARTICIPANT");
	}
	CHECK_INT(st.warnings, 1); /* props-3: a parameter and a value unreadable */
	count_uid(&g, "props-4", &o);
	CHECK(o && o->nattendees == 3 && !strcmp(o->class_, "PRIVATE"));
	if (o && o->nattendees == 3) {
		CHECK_STR(o->attendees[0].cutype, "INDIVIDUAL");
		CHECK_STR(o->attendees[0].name, "A");
		CHECK_STR(o->attendees[2].role, "OPT-PARTICIPANT");
	}
	got_release(&g);
	ics_stats_release(&st);

	/* Overrides past the 64 a series keeps from collect to emit are read again, the same */
	memset(&st, 0, sizeof(st));
	CHECK_INT(read_cal("many-overrides.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(g.n, 200);
	{
		size_t moved = 0;

		for (size_t i = 0; i < g.n; i++)
			if (!strncmp(g.v[i].summary, "override ", 9) && g.v[i].nx == 1 &&
			    !strcmp(g.v[i].x[0].value, g.v[i].summary + 9) &&
			    g.v[i].end - g.v[i].start == 1800)
				moved++;
		CHECK_INT(moved, 150);
	}
	got_release(&g);
	ics_stats_release(&st);

	/* Every calendar of the tree, held and not. */
	held_files = held_occurrences = 0;
	CHECK_INT(nftw("tests/ics", held_visit, 8, FTW_PHYS), 0);
	CHECK_INT(nftw("samples", held_visit, 8, FTW_PHYS), 0);
	CHECK(held_files >= 100);
	CHECK(held_occurrences >= 1000);
}

static void sbuf_event(struct sbuf *sb, const char *uid, const char *start, const char *extra)
{
	sbuf_addf(sb, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTART:%s\r\n%sEND:VEVENT\r\n", uid, start,
		  extra);
}

/*
 * The line reader (one buffered reader, lines unfolded in place) reads what libical's
 * icalparser_get_line() read: every kind of line end, folds with a space or a tab, trailing
 * white space dropped, empty and blank lines inside a VEVENT, lines and folds across its 64 KiB
 * blocks, a CR last in a block; a line over 4 MiB is dropped with a warning (also when folded
 * lines follow it), the rest of its event is read, and the positions after it stay right
 * (the override is re-read at its offset, the last event names its line).
 */
static void test_reader(void)
{
	char path[] = "/tmp/t-ics-reader-XXXXXX";
	int fd = mkstemp(path);
	struct sbuf sb = SBUF_INIT;
	struct got g = {0};
	struct ics_stats st;
	struct ics_options opt;
	const struct occurrence *o;
	size_t big = (4u << 20) + 10, fold_len;
	char *long_summary;
	long lines;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	sbuf_addf(&sb, "\xEF\xBB\xBF"
		       "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
	/* lone CRs (old Mac files), trailing blanks, a tab fold, an empty and a blank line */
	sbuf_addf(&sb, "BEGIN:VEVENT\rUID:cr\rDTSTART:20240101T090000Z\r"
		       "SUMMARY:mac  \t\r\n\r\n   \r\nDESCRIPTION:a\r\n\tb\r\nEND:VEVENT\r");
	sbuf_addf(&sb, "BEGIN:VEVENT\nUID:lf\nDTSTART:20240102T090000Z\n"
		       "SUMMARY:fo\n ld\n\ted\nEND:VEVENT\n");
	/* a summary folded every 70 bytes over more than two 64 KiB blocks */
	sbuf_addf(&sb, "BEGIN:VEVENT\r\nUID:long\r\nDTSTART:20240103T090000Z\r\nSUMMARY:");
	fold_len = 0;
	for (int i = 0; i < 2200; i++) {
		sbuf_addf(
			&sb,
			"%s0123456789012345678901234567890123456789012345678901234567890123456789",
			i ? "\r\n " : "");
		fold_len += 70;
	}
	sbuf_addf(&sb, "\r\nEND:VEVENT\r\n");
	/* the next block begins right after a CR */
	while (sb.len % 65536 != 65535)
		sbuf_addf(&sb, "%s",
			  sb.len % 65536 < 65500 ? "X-PAD:xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n" : "X");
	sbuf_addf(&sb,
		  "\r\nBEGIN:VEVENT\r\nUID:edge\r\nDTSTART:20240104T090000Z\r\nEND:VEVENT\r\n");
	/* a line over 4 MiB, then one over 4 MiB with folded lines after it */
	sbuf_addf(&sb, "BEGIN:VEVENT\r\nUID:huge\r\nDTSTART:20240105T090000Z\r\nDESCRIPTION:");
	for (size_t i = 0; i < big; i++)
		sbuf_addc(&sb, 'd');
	sbuf_addf(&sb, "\r\nSUMMARY:after huge\r\nX-BIG:");
	for (size_t i = 0; i < big; i++)
		sbuf_addc(&sb, 'x');
	sbuf_addf(&sb, "\r\n folded\r\n on\r\nRRULE:FREQ=DAILY;COUNT=2\r\nEND:VEVENT\r\n");
	sbuf_event(&sb, "huge", "20240106T090000Z",
		   "RECURRENCE-ID:20240106T090000Z\r\nSUMMARY:moved\r\n");
	sbuf_addf(&sb, "END:VCALENDAR\r\n");
	lines = 0;
	for (size_t i = 0; i < sb.len; i++)
		lines += sb.buf[i] == '\n' || (sb.buf[i] == '\r' && sb.buf[i + 1] != '\n');
	sbuf_event(&sb, "last", "20240107T090000Z", ""); /* outside VCALENDAR: still read */
	CHECK_INT(write(fd, sb.buf, sb.len), (long)sb.len);
	close(fd);
	memset(&opt, 0, sizeof(opt));
	CHECK_INT(ics_read(path, "r.ics", path, &opt, collect, &g, &st), 0);
	CHECK(count_uid(&g, "cr", &o) == 1 && o->line == 3);
	CHECK(o && o->summary && !strcmp(o->summary, "mac"));
	CHECK(o && o->description && !strcmp(o->description, "ab"));
	CHECK(count_uid(&g, "lf", &o) == 1 && o->summary && !strcmp(o->summary, "folded"));
	CHECK(count_uid(&g, "long", &o) == 1 && o->summary && strlen(o->summary) == fold_len);
	long_summary = o && o->summary ? o->summary : NULL;
	CHECK(long_summary && !strncmp(long_summary + fold_len - 70, "0123456789", 10));
	CHECK_INT(count_uid(&g, "edge", NULL), 1);
	CHECK_INT(count_uid(&g, "huge", &o), 2);
	CHECK(o && o->summary && !strcmp(o->summary, "after huge"));
	CHECK(o && !o->description);
	CHECK(o && o->nx == 0); /* X-BIG dropped with its folded lines */
	CHECK(find(&g, "huge", "2024-01-06T09:00:00Z") &&
	      !strcmp(find(&g, "huge", "2024-01-06T09:00:00Z")->summary, "moved"));
	CHECK(count_uid(&g, "last", &o) == 1 && o->line == lines + 1);
	CHECK_INT(st.lost_events, 2); /* a dropped line: the calendar is not read in full */
	CHECK_INT(st.bad_events, 0);
	CHECK_INT(st.warnings, 2); /* the two long lines, each naming its line */
	got_release(&g);
	ics_stats_release(&st);
	sbuf_release(&sb);
	unlink(path);
}

/*
 * Issue 25, class 2. RFC 5545 §3.3.10: "The UNTIL rule part defines a DATE or DATE-TIME value
 * that bounds the recurrence rule in an inclusive manner. [...] If the "DTSTART" property is
 * specified as a date with local time, then the UNTIL rule part MUST also be specified as a
 * date with local time." Exchange writes the local midnight of the last day in UTC
 * (tests/ics/exchange-until.ics): that day is kept, read in the calendar's zone, with a warning.
 */
static void test_exchange_all_day_until(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("exchange-until.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "one-day", &o), 1); /* was 0: the only day dropped */
	CHECK(o && o->all_day && o->start == T("2020-04-29"));
	CHECK_INT(count_uid(&g, "five-days", NULL), 5); /* 27 April .. 1 May; was 4 */
	CHECK(find(&g, "five-days", "2020-05-01") != NULL);
	CHECK_INT(count_uid(&g, "date-until", NULL), 2); /* a DATE UNTIL: as before, unwarned */
	CHECK_INT(st.warnings, 2);
	got_release(&g);
	ics_stats_release(&st);

	/* no zone in the file: the latest day the instant can be a midnight of (UTC+2 here) */
	CHECK_INT(read_cal("exchange-until-nozone.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "one-day", NULL), 1);
	CHECK_INT(count_uid(&g, "five-days", NULL), 5);
	CHECK_INT(st.warnings, 2);
	got_release(&g);
	ics_stats_release(&st);

	/* --default-tz says where the midnight is: 22:00Z is 15:00 of 28 April in Los Angeles */
	CHECK_INT(read_cal("exchange-until-nozone.ics", NULL, "2030-01-01", "America/Los_Angeles",
			   &g, &st),
		  0);
	CHECK_INT(count_uid(&g, "five-days", NULL), 4);
	CHECK(find(&g, "five-days", "2020-04-30") != NULL);
	CHECK_INT(count_uid(&g, "one-day", NULL), 0); /* UNTIL before DTSTART: deleted */
	CHECK(st.warnings >= 2);
	got_release(&g);
	ics_stats_release(&st);

	/* no zone, and an instant no zone has a midnight at (Google's T235959Z): its UTC date */
	{
		static const char cal[] = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:g\r\n"
					  "DTSTART;VALUE=DATE:20200427\r\n"
					  "RRULE:FREQ=DAILY;UNTIL=20200428T235959Z\r\n"
					  "END:VEVENT\r\nEND:VCALENDAR\r\n";

		CHECK_INT(read_text(cal, sizeof(cal) - 1, "g.ics", &g, &st), 0);
		CHECK_INT(count_uid(&g, "g", NULL), 2);
		CHECK(find(&g, "g", "2020-04-28") != NULL);
		CHECK_INT(st.warnings, 1);
		got_release(&g);
		ics_stats_release(&st);
	}
}

/*
 * Issue 25, class 4. RFC 5545 §3.3.4: date-mday = 2DIGIT ;01-28, 01-29, 01-30, 01-31 "based on
 * month/year"; §3.3.12: time-hour ;00-23, time-minute ;00-59, time-second ;00-60 ("The "60"
 * value is used to account for positive "leap" seconds"). 30 February was read as 2 March:
 * an event moved, an EXDATE deleting the real 2 March, an override moving it
 * (tests/ics/impossible-dates.ics). Now: the event is skipped, the values ignored, all warned.
 */
static void test_impossible_dates(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("impossible-dates.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "feb30", NULL), 0); /* was 2 March 14:00Z */
	CHECK_INT(count_uid(&g, "hour24", NULL), 0);
	/* 27 Feb .. 3 Mar and the RDATE of 5 March: 2 March neither deleted nor moved */
	CHECK_INT(count_uid(&g, "daily", NULL), 6);
	o = find(&g, "daily", "2014-03-02T14:00:00Z");
	CHECK(o && o->summary && !strncmp(o->summary, "27 Feb", 6));
	CHECK(find(&g, "daily", "2014-02-28T14:00:00Z") != NULL); /* minute 60: no EXDATE */
	CHECK(find(&g, "daily", "2014-03-03T08:00:00Z") == NULL); /* 31 February: no RDATE */
	CHECK(find(&g, "daily", "2014-03-02T17:00:00Z") == NULL);
	/* second 60 is a time: read as :59, as before */
	CHECK(find(&g, "leap-second", "2016-12-31T23:59:59Z") != NULL);
	/* one warning each: 2 DTSTARTs, 2 EXDATEs, the RDATE, the RECURRENCE-ID */
	CHECK_INT(st.warnings, 6);
	CHECK_INT(st.bad_events, 3);
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * Issue 25, class 1. RFC 5545 §3.8.5.3: "The recurrence set is generated by considering the
 * initial "DTSTART" property along with the "RRULE", "RDATE", and "EXDATE" properties
 * contained within the recurring component." A RECURRENCE-ID on the only VEVENT of a UID,
 * the one with the RRULE (tests/ics/rid-master.ics), names no instance of anything: that
 * VEVENT is the series. Read as one occurrence before.
 */
static void test_lone_recurrence_id_series(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("rid-master.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "cd-weekly", &o), 4); /* was 1 */
	CHECK(o && o->start == T("2020-01-06T09:00:00Z") && o->has_recurrence_id &&
	      o->recurrence_id == o->start);
	CHECK(find(&g, "cd-weekly", "2020-01-27T09:00:00Z") != NULL);
	CHECK_INT(count_uid(&g, "cd-same", NULL), 3); /* was 1 */
	/* a moved instance alone (no RRULE) stays one occurrence, as before */
	CHECK_INT(count_uid(&g, "moved-alone", &o), 1);
	CHECK(o && o->start == T("2020-01-08T11:00:00Z") &&
	      o->recurrence_id == T("2020-01-08T09:00:00Z"));
	/* two VEVENTs with RECURRENCE-ID share a UID: overrides of a missing master, as before */
	CHECK_INT(count_uid(&g, "pair", NULL), 2);
	CHECK(find(&g, "pair", "2020-01-10T12:00:00Z") != NULL);
	CHECK_INT(st.warnings, 2); /* one per series read so */
	got_release(&g);
	ics_stats_release(&st);

	/* without a usable DTSTART it stays the override it says it is: one occurrence */
	{
		static const char cal[] = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\n"
					  "RECURRENCE-ID:20200102T090000Z\r\n"
					  "DTSTART:20200230T090000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\n"
					  "END:VEVENT\r\nEND:VCALENDAR\r\n";

		CHECK_INT(read_text(cal, sizeof(cal) - 1, "r.ics", &g, &st), 0);
		CHECK_INT(count_uid(&g, "r", &o), 1);
		CHECK(o && o->start == T("2020-01-02T09:00:00Z"));
		got_release(&g);
		ics_stats_release(&st);
	}
}

/*
 * Issue 25, class 3. RFC 5545 §3.6.5: a VTIMEZONE holds "one or more" STANDARD/DAYLIGHT
 * observances, each with "dtstart / tzoffsetto / tzoffsetfrom" ("REQUIRED, MUST NOT occur more
 * than once"); §3.3.14: utc-offset = time-numzone = ("+" / "-") time-hour time-minute. libical
 * reads times in a VTIMEZONE without usable observances as UTC (tests/ics/vtimezone-unusable.ics):
 * they are read in the IANA zone of the TZID, else the calendar's zone, warned once per TZID.
 */
static void test_vtimezone_unusable(void)
{
	struct got g = {0};
	struct ics_stats st;
	const struct occurrence *o;

	CHECK_INT(read_cal("vtimezone-unusable.ics", NULL, "2030-01-01", NULL, &g, &st), 0);
	CHECK_INT(count_uid(&g, "berlin", &o), 1); /* no observance: was 10:00Z */
	CHECK(o && o->start == T("2020-06-01T08:00:00Z") && o->end == T("2020-06-01T09:00:00Z"));
	CHECK(find(&g, "berlin-2", "2020-06-02T08:00:00Z") != NULL);
	CHECK(find(&g, "new-york", "2020-06-01T14:00:00Z") != NULL); /* no DTSTART: was 10:00Z */
	CHECK(find(&g, "paris", "2020-06-01T08:00:00Z") != NULL); /* unsigned offsets */
	/* no IANA name, no calendar zone: UTC, but said */
	CHECK(find(&g, "office", "2020-06-01T10:00:00Z") != NULL);
	CHECK_INT(st.warnings, 4); /* once per TZID: Europe/Berlin twice, warned once */
	got_release(&g);
	ics_stats_release(&st);

	/* --default-tz (as X-WR-TIMEZONE) is the zone of a VTIMEZONE that names none */
	CHECK_INT(read_cal("vtimezone-unusable.ics", NULL, "2030-01-01", "Asia/Tokyo", &g, &st), 0);
	CHECK(find(&g, "office", "2020-06-01T01:00:00Z") != NULL);
	CHECK(find(&g, "berlin", "2020-06-01T08:00:00Z") != NULL);
	CHECK_INT(st.warnings, 4);
	got_release(&g);
	ics_stats_release(&st);
}

/*
 * Issue 25, class 5. RFC 5545 §3.8.4.4: a RECURRENCE-ID component "is used in conjunction with
 * the "UID" and "SEQUENCE" properties to identify a specific instance of a recurring" event:
 * it stands in for that instance. When --max-per-series cuts a series, an instance before the
 * cut keeps its override (tests/ics/cap-overrides.ics: the moved 2 June was lost).
 */
static void test_cap_keeps_overrides(void)
{
	struct got g = {0};
	struct ics_stats st;
	struct ics_options opt;
	const struct occurrence *o;

	memset(&opt, 0, sizeof(opt));
	opt.max_per_series = 5;
	opt.has_until = true;
	opt.until = T("2021-01-01");
	CHECK_INT(ics_read("tests/ics/cap-overrides.ics", "cap-overrides.ics", "c", &opt, collect,
			   &g, &st),
		  0);
	CHECK_INT(count_uid(&g, "daily", NULL), 5);
	o = find(&g, "daily", "2020-06-02T15:00:00Z"); /* the moved instance: was lost */
	CHECK(o && o->recurrence_id == T("2020-06-02T09:00:00Z"));
	CHECK(find(&g, "daily", "2020-06-02T09:00:00Z") == NULL);
	CHECK(find(&g, "daily", "2020-06-05T09:00:00Z") != NULL);
	CHECK(find(&g, "daily", "2020-06-06T09:00:00Z") == NULL);
	CHECK(find(&g, "daily", "2020-06-20T15:00:00Z") == NULL); /* after the cut */
	CHECK_INT(st.warnings, 1);
	CHECK_INT(st.lost_events, 0);
	got_release(&g);
	ics_stats_release(&st);

	/* import (budgets): the same five, and the cut is damage (the calendar is incomplete) */
	opt.budget = true;
	CHECK_INT(ics_read("tests/ics/cap-overrides.ics", "cap-overrides.ics", "c", &opt, collect,
			   &g, &st),
		  0);
	CHECK_INT(count_uid(&g, "daily", NULL), 5);
	CHECK(find(&g, "daily", "2020-06-02T15:00:00Z") != NULL);
	CHECK_INT(st.lost_events, 1);
	got_release(&g);
	ics_stats_release(&st);

	/* under the cap nothing changes: 2 June moved, 20 June moved, the rest daily */
	opt.budget = false;
	opt.max_per_series = 100;
	opt.until = T("2020-07-01");
	CHECK_INT(ics_read("tests/ics/cap-overrides.ics", "cap-overrides.ics", "c", &opt, collect,
			   &g, &st),
		  0);
	CHECK_INT(count_uid(&g, "daily", NULL), 30);
	CHECK(find(&g, "daily", "2020-06-20T15:00:00Z") != NULL);
	CHECK_INT(st.warnings, 0);
	got_release(&g);
	ics_stats_release(&st);
}

int main(void)
{
	util_verbosity = 0; /* the warnings are counted in ics_stats */
	test_rrule_repair();
	test_window();
	test_rdate_exdate();
	test_overrides();
	test_times();
	test_zones();
	test_fields();
	test_attendee_names();
	test_x_values();
	test_held();
	test_cap_and_horizon();
	test_robustness();
	test_garbled_begin();
	test_damaged_structure();
	test_cut_off();
	test_rrule_damage();
	test_many_values();
	test_budgets();
	test_early_end();
	test_vtimezone_fast_rule();
	test_vtimezone_damaged_end();
	test_outlook_all_day();
	test_dst_gap();
	test_dst_overlap();
	test_after_gap();
	test_byweekno();
	test_floating_with_zoned_end();
	test_vtimezone_cover();
	test_rrule_unknown_part();
	test_zone_names();
	test_never_silent();
	test_window_skip();
	test_reader();
	test_exchange_all_day_until();
	test_impossible_dates();
	test_lone_recurrence_id_series();
	test_vtimezone_unusable();
	test_cap_keeps_overrides();
	ics_global_cleanup();
	return TEST_DONE();
}
