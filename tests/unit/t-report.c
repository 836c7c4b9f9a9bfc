/* Unit tests for importer/report.c: the --report file. */
#include "portal.h"
#include "report.h"
#include "test.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct meeting fake(const char *key, const char *summary)
{
	struct meeting m = {0};

	m.key = xstrdup(key);
	m.uid = xstrdup(key);
	m.start = xstrdup("2026-03-01T09:30:00Z");
	m.summary = xstrdup(summary);
	m.where = xstrdup("cal.ics:12");
	return m;
}

static void test_report_file(void)
{
	char dir[] = "/tmp/t-report.XXXXXX";
	char *path, *text, *longsum;
	struct report *r;
	struct meeting a, b;
	struct stat sb;
	cJSON *j, *occ;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/r.json", dir);
	longsum = xmalloc(20001);
	memset(longsum, 'x', 20000);
	longsum[20000] = '\0';
	a = fake("uid-a", "Kickoff \"quoted\"");
	b = fake("uid-b#20260301T093000Z", longsum);
	r = report_new(path);
	report_add(r, &a, OUTCOME_CREATED, "901", NULL, NULL, NULL);
	report_add(r, &b, OUTCOME_FAILED, NULL, NULL, "Property values were not valid",
		   "VALIDATION_ERROR");
	report_add(r, &a, OUTCOME_SKIPPED, NULL, NULL, "filters.skip_private", NULL);
	report_add_key(r, "uid-c", "https://user:pw@example.com/secret/basic.ics", OUTCOME_ARCHIVED,
		       "77", "remove:archive", "gone from the calendar");
	report_note(r, "feed came back empty: nothing removed");
	report_unmatched_attendee(r, "x@y.example");
	report_unmatched_attendee(r, "x@y.example");
	CHECK_INT(report_count(r, OUTCOME_CREATED), 1);
	CHECK_INT(report_count(r, OUTCOME_FAILED), 1);
	CHECK_INT(report_write(r, false), 0);

	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	CHECK_INT(file_read_all(path, &text, NULL), 0);
	j = cJSON_Parse(text);
	CHECK(j != NULL);
	occ = cJSON_GetObjectItem(j, "occurrences");
	CHECK_INT(cJSON_GetArraySize(occ), 4);
	CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "totals"), "archived")->valueint, 1);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 1), "summary")->valuestring, longsum);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 1), "category")->valuestring,
		  "VALIDATION_ERROR");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 0), "hubspot_id")->valuestring,
		  "901");
	/* a feed URL is a secret: only the host is kept (and a short hash of the whole URL) */
	CHECK(!strncmp(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "source")->valuestring,
		       "https://example.com/…#", strlen("https://example.com/…#")));
	CHECK(!strstr(text, "secret"));
	/* an entry known by its key alone: no meeting fields */
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "key")->valuestring, "uid-c");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "action")->valuestring,
		  "remove:archive");
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "uid") == NULL);
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "category") == NULL);
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 0), "uid") != NULL);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "unmatched_attendees")), 1);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "notes")), 1);
	/* written twice (dry run then real): still one valid document */
	CHECK_INT(report_write(r, true), 0);
	free(text);
	cJSON_Delete(j);
	CHECK_INT(file_read_all(path, &text, NULL), 0);
	j = cJSON_Parse(text);
	CHECK(j != NULL && cJSON_IsTrue(cJSON_GetObjectItem(j, "dry_run")));
	cJSON_Delete(j);
	free(text);

	report_free(r);
	meeting_release(&a);
	meeting_release(&b);
	free(longsum);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* A symlink planted at the old predictable temporary name is never written through. */
static void test_report_symlink(void)
{
	char dir[] = "/tmp/t-report.XXXXXX";
	char *path, *victim, *planted, *text;
	struct report *r;
	struct meeting a = fake("uid-a", "Secret board meeting");
	struct stat sb;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/r.json", dir);
	victim = xasprintf("%s/victim", dir);
	planted = xasprintf("%s.tmp.%ld", path, (long)getpid());
	f = fopen(victim, "w");
	CHECK(f != NULL);
	fputs("keep\n", f);
	fclose(f);
	CHECK_INT(symlink(victim, planted), 0);
	r = report_new(path);
	report_add(r, &a, OUTCOME_CREATED, "901", NULL, NULL, NULL);
	CHECK_INT(report_write(r, false), 0);
	CHECK_INT(file_read_all(victim, &text, NULL), 0);
	CHECK_STR(text, "keep\n");
	free(text);
	CHECK_INT(lstat(path, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_INT(sb.st_mode & 0777, 0600);
	CHECK_INT(file_read_all(path, &text, NULL), 0);
	CHECK(strstr(text, "Secret board meeting") != NULL);
	free(text);
	/* no temporary file is left behind */
	{
		char *cmd = xasprintf("test \"$(ls %s | wc -l)\" = 3", dir);

		CHECK_INT(system(cmd), 0);
		free(cmd);
	}
	report_free(r);
	meeting_release(&a);
	unlink(path);
	unlink(victim);
	unlink(planted);
	rmdir(dir);
	free(path);
	free(victim);
	free(planted);
}

static void test_no_path(void)
{
	struct report *r = report_new(NULL);
	struct meeting a = fake("k", "s");

	report_add(r, &a, OUTCOME_CREATED, "1", NULL, NULL, NULL);
	CHECK_INT(report_count(r, OUTCOME_CREATED), 1);
	CHECK_INT(report_write(r, false), 0);
	report_free(r);
	meeting_release(&a);
}

/* The report's file is created by report_new, before any request is sent. */
static void test_created_up_front(void)
{
	char dir[] = "/tmp/t-report.XXXXXX";
	char *path, *bad;
	struct report *r;
	struct stat sb;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/r.json", dir);
	bad = xasprintf("%s/no-such-dir/r.json", dir);
	CHECK(report_new(bad) == NULL);
	r = report_new(path);
	CHECK(r != NULL);
	{
		/* one new r.json.tmp.XXXXXX (mkstemp), 0600 */
		char *cmd = xasprintf("test \"$(ls %s | grep -c '^r\\.json\\.tmp\\.')\" = 1 && "
				      "test \"$(stat -c %%a %s/r.json.tmp.*)\" = 600",
				      dir, dir);

		CHECK_INT(system(cmd), 0);
		free(cmd);
	}
	report_free(r); /* never written: nothing left behind */
	{
		char *cmd = xasprintf("test -z \"$(ls %s)\"", dir);

		CHECK_INT(system(cmd), 0);
		free(cmd);
	}
	CHECK(stat(path, &sb) < 0);
	rmdir(dir);
	free(path);
	free(bad);
}

/* Record links: the prefix from the portal, the id appended; none without a portal. */
static void test_links(void)
{
	char dir[] = "/tmp/t-report.XXXXXX";
	struct portal p = {.id = 4242, .ui_domain = xstrdup("app-eu1.hubspot.com")};
	struct meeting a = fake("uid-a", "s");
	char *path, *text, *prefix;
	struct report *r;
	cJSON *j, *occ;

	prefix = portal_meeting_url_prefix(&p);
	CHECK_STR(prefix, "https://app-eu1.hubspot.com/contacts/4242/record/0-47/");
	free(p.ui_domain);
	/* not a host name, no uiDomain, no portal id: no link */
	p.ui_domain = xstrdup("evil.example/\033[31m");
	CHECK(portal_meeting_url_prefix(&p) == NULL);
	free(p.ui_domain);
	p.ui_domain = NULL;
	CHECK(portal_meeting_url_prefix(&p) == NULL);
	p.ui_domain = xstrdup("app.hubspot.com");
	p.id = 0;
	CHECK(portal_meeting_url_prefix(&p) == NULL);
	portal_release(&p);

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/r.json", dir);
	r = report_new(path);
	report_add(r, &a, OUTCOME_CREATED, "901", NULL, NULL, NULL); /* portal not known yet */
	report_set_links(r, prefix);
	report_add(r, &a, OUTCOME_CREATED, "902", NULL, NULL, NULL);
	report_add(r, &a, OUTCOME_FAILED, NULL, NULL, "bad", NULL);
	report_add_key(r, "uid-c", "cal.ics", OUTCOME_ARCHIVED, "77", "remove:archive", "gone");
	report_add_key(r, "uid-d", "cal.ics", OUTCOME_UNCHANGED, "78", NULL, NULL);
	report_add(r, &a, OUTCOME_CREATED, "9x", NULL, NULL, NULL); /* not HubSpot's id */
	CHECK_INT(report_write(r, false), 0);
	CHECK_INT(file_read_all(path, &text, NULL), 0);
	j = cJSON_Parse(text);
	CHECK(j != NULL);
	occ = cJSON_GetObjectItem(j, "occurrences");
	CHECK_INT(cJSON_GetArraySize(occ), 6);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 0), "hubspot_url")));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 1), "hubspot_url")->valuestring,
		  "https://app-eu1.hubspot.com/contacts/4242/record/0-47/902");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 2), "hubspot_url")));
	/* entries with a start first (in time order, then as they came), then those without */
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "hubspot_url")));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "key")->valuestring, "uid-a");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 4), "hubspot_url")));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 4), "key")->valuestring, "uid-c");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 5), "hubspot_url")->valuestring,
		  "https://app-eu1.hubspot.com/contacts/4242/record/0-47/78");
	cJSON_Delete(j);
	free(text);
	report_free(r);
	meeting_release(&a);
	free(prefix);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* The report lists occurrences in time order (then as they came), whatever order they came in. */
static void test_time_order(void)
{
	char dir[] = "/tmp/t-report.XXXXXX";
	char *path, *text = NULL;
	struct meeting late = fake("late", "L"), early = fake("early", "E"),
		       same = fake("same", "S");
	struct report *r;
	cJSON *j, *occ;

	free(early.start);
	early.start = xstrdup("2026-01-05T09:00:00Z");
	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/r.json", dir);
	r = report_new(path);
	report_add(r, &late, OUTCOME_CREATED, "1", NULL, NULL, NULL);
	report_add_key(r, "gone", "cal.ics", OUTCOME_ARCHIVED, "3", "remove:archive", NULL);
	report_add(r, &early, OUTCOME_UPDATED, "2", NULL, NULL, NULL);
	report_add(r, &same, OUTCOME_CREATED, "4", NULL, NULL, NULL);
	CHECK_INT(report_write(r, false), 0);
	CHECK_INT(file_read_all(path, &text, NULL), 0);
	j = cJSON_Parse(text);
	occ = cJSON_GetObjectItem(j, "occurrences");
	CHECK_INT(cJSON_GetArraySize(occ), 4);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 0), "key")->valuestring, "early");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 1), "key")->valuestring, "late");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 2), "key")->valuestring, "same");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(occ, 3), "key")->valuestring, "gone");
	cJSON_Delete(j);
	free(text);
	report_free(r);
	meeting_release(&late);
	meeting_release(&early);
	meeting_release(&same);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	test_time_order();
	test_created_up_front();
	test_report_file();
	test_report_symlink();
	test_no_path();
	test_links();
	return TEST_DONE();
}
