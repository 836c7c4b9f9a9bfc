/* Unit tests for importer/state.c */
#include "test.h"
#include "state.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/t-state.XXXXXX";

static char *tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* tmp_path() into a static buffer (for one use in an expression). */
static const char *tmp_path_static(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static void make_meeting(struct meeting *m, const char *key, const char *source, const char *start,
			 const char *subject)
{
	memset(m, 0, sizeof(*m));
	m->key = xstrdup(key);
	m->uid = xstrndup(key, strcspn(key, "#"));
	if (strchr(key, '#'))
		m->recurrence_id = xstrdup(strchr(key, '#') + 1);
	m->source = xstrdup(source);
	m->start = xstrdup(start);
	m->properties = cJSON_CreateObject();
	cJSON_AddStringToObject(m->properties, "hs_meeting_title", subject);
}

static int file_mode(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	return (int)(sb.st_mode & 07777);
}

/* PRAGMA user_version, read from the database header (offset 60, big-endian). */
static long header_user_version(const char *path)
{
	unsigned char h[100];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (n != sizeof(h) || memcmp(h, "SQLite format 3", 16))
		return -1;
	return ((long)h[60] << 24) | ((long)h[61] << 16) | ((long)h[62] << 8) | (long)h[63];
}

static void set_header_user_version(const char *path, unsigned char v)
{
	FILE *f = fopen(path, "r+b");
	unsigned char b[4] = {0, 0, 0, v};

	if (!f)
		return;
	fseek(f, 60, SEEK_SET);
	fwrite(b, 1, 4, f);
	fclose(f);
}

/*
 * Run fn in a child process and return what it returned, or 137 when it was
 * killed by SIGKILL before returning (the crash hook). The child ends with
 * SIGKILL too: like a crash, and no valgrind/LSan leak report for the memory a
 * killed process never frees.
 */
static int in_child(int (*fn)(void *), void *arg)
{
	int fds[2], status;
	unsigned char b;
	ssize_t n;
	pid_t pid;

	fflush(NULL);
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		b = (unsigned char)fn(arg);
		if (write(fds[1], &b, 1) != 1)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	close(fds[1]);
	n = pid > 0 ? read(fds[0], &b, 1) : -1;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (n == 1)
		return b;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return 137;
	return -1;
}

/* state_select_rows() filter: counts every row, keeps all but key k1. */
static bool keep_not_k1(const struct state_row *r, void *data)
{
	(*(int *)data)++;
	return strcmp(r->key, "k1") != 0;
}

static void test_fresh_db(void)
{
	char *dir = tmp_path("fresh/sub");
	char *path = tmp_path("fresh/sub/state.db");
	char *wal = tmp_path("fresh/sub/state.db-wal");
	struct state *st;
	long run;

	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(file_mode(path), 0600);
	CHECK_INT(file_mode(dir), 0700);
	CHECK_STR(state_path(st), path);
	CHECK_INT(state_begin_run(st, "a.ics", "import a.ics", &run), 0);
	CHECK_INT(run, 1);
	CHECK_INT(file_mode(wal), 0600); /* WAL files take the database's mode */
	state_close(st);
	CHECK_INT(header_user_version(path), 3);

	/* Reopen: the schema is there, runs go on numbering. */
	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "a.ics", "import a.ics", &run), 0);
	CHECK_INT(run, 2);
	state_close(st);

	/* A newer schema is refused rather than misread. */
	set_header_user_version(path, 99);
	CHECK_INT(state_open(path, 0, &st), -1);
	CHECK(st == NULL);
	set_header_user_version(path, 3);
	CHECK_INT(state_open(path, 0, &st), 0);
	state_close(st);

	/* Not a database: a clear error, not a crash. */
	{
		char *junk = tmp_path("junk.db");
		FILE *f = fopen(junk, "w");

		if (f) {
			fputs("BEGIN:VCALENDAR\nthis is not a state\n", f);
			fclose(f);
		}
		CHECK_INT(state_open(junk, 0, &st), -1);
		CHECK_INT(state_open(junk, STATE_OPEN_READONLY, &st), -1);
		free(junk);
	}
	/* An empty file is damage, never silently a new state (which would create it all again). */
	{
		char *empty = tmp_path("empty.db");
		FILE *f = fopen(empty, "w");
		struct stat sb;

		if (f)
			fclose(f);
		CHECK_INT(state_open(empty, 0, &st), -1);
		CHECK(st == NULL);
		CHECK_INT(state_open(empty, STATE_OPEN_READONLY, &st), -1);
		CHECK_INT(stat(empty, &sb), 0);
		CHECK_INT(sb.st_size, 0);
		free(empty);
	}
	/* A new state leaves no temporary file beside it. */
	{
		char *cmd = xasprintf("ls '%s' | grep -q new", dir);

		CHECK(system(cmd) != 0);
		free(cmd);
	}
	free(dir);
	free(path);
	free(wal);
}

static void test_default_path(void)
{
	char *saved_xdg = xstrdup(getenv("XDG_STATE_HOME"));
	char *saved_home = xstrdup(getenv("HOME"));
	char *p;

	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("HOME", "/home/u", 1);
	p = state_default_path();
	CHECK_STR(p, "/x/state/ics2hubspot/state.db");
	free(p);
	setenv("XDG_STATE_HOME", "relative/is/ignored", 1);
	p = state_default_path();
	CHECK_STR(p, "/home/u/.local/state/ics2hubspot/state.db");
	free(p);
	unsetenv("XDG_STATE_HOME");
	p = state_default_path();
	CHECK_STR(p, "/home/u/.local/state/ics2hubspot/state.db");
	free(p);
	unsetenv("HOME");
	p = state_default_path();
	CHECK(p == NULL);

	if (saved_xdg)
		setenv("XDG_STATE_HOME", saved_xdg, 1);
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_xdg);
	free(saved_home);
}

static int child_open(void *arg)
{
	struct state *st = NULL;
	int rc = state_open(arg, 0, &st);

	if (rc == STATE_LOCKED)
		return 4;
	if (rc == 0)
		return 0; /* exit without closing: the kernel drops the lock */
	return 1;
}

static int child_open_readonly(void *arg)
{
	struct state *st = NULL;
	struct state_rows rows;
	int rc = state_open(arg, STATE_OPEN_READONLY, &st);

	if (rc)
		return 1;
	rc = state_list_rows(st, NULL, NULL, &rows);
	state_rows_release(&rows);
	state_close(st);
	return rc ? 2 : 0;
}

static void test_lock(void)
{
	char *path = tmp_path("lock.db");
	char *lock = tmp_path("lock.db.lock");
	struct state *st;

	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(file_mode(lock), 0600);
	CHECK_INT(in_child(child_open, path), 4);
	/* Readers (state list/show) do not need the lock. */
	CHECK_INT(in_child(child_open_readonly, path), 0);
	state_close(st);
	CHECK_INT(in_child(child_open, path), 0);
	/* The child died holding it: the kernel released it. */
	CHECK_INT(in_child(child_open, path), 0);
	CHECK_INT(state_open(path, 0, &st), 0);
	state_close(st);

	{
		char *missing = tmp_path("missing.db");

		CHECK_INT(state_open(missing, STATE_OPEN_READONLY, &st), -1);
		CHECK(access(missing, F_OK) < 0);
		free(missing);
	}
	free(path);
	free(lock);
}

/*
 * Issue 27 item 5: one lock per state file, whatever path names it; the lock
 * file is never followed through a symlink.
 */
static void test_lock_one_per_file(void)
{
	char *dir = tmp_path("linkdir"), *real = tmp_path("linkdir/real.db");
	char *link = tmp_path("linkdir/link.db"), *dirlink = tmp_path("dirlink");
	char *via_dir = tmp_path("dirlink/real.db"),
	     *dotted = tmp_path("linkdir/../linkdir/real.db");
	char *dangling = tmp_path("linkdir/dangling.db"), *lock = tmp_path("linkdir/real.db.lock");
	char *evil = tmp_path("linkdir/evil.db"), *evil_lock = tmp_path("linkdir/evil.db.lock");
	char *victim = tmp_path("linkdir/victim");
	struct state *st;

	CHECK(mkdir(dir, 0700) == 0);
	CHECK(symlink("real.db", link) == 0);
	CHECK(symlink("linkdir", dirlink) == 0);
	/* a new state through a symlinked directory: created at the target, locked there */
	CHECK_INT(state_open(via_dir, 0, &st), 0);
	CHECK(access(real, F_OK) == 0 && access(lock, F_OK) == 0);
	CHECK_INT(in_child(child_open, link), 4);
	CHECK_INT(in_child(child_open, real), 4);
	CHECK_INT(in_child(child_open, dotted), 4);
	state_close(st);
	/* and the other way round: opened through the link, the target is held */
	CHECK_INT(state_open(link, 0, &st), 0);
	CHECK_INT(in_child(child_open, real), 4);
	CHECK_INT(in_child(child_open, via_dir), 4);
	state_close(st);
	{
		struct stat sb;

		/* the link is still a link: nothing was created beside it */
		CHECK(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode));
		CHECK(access(tmp_path_static("linkdir/link.db.lock"), F_OK) < 0);
	}
	/* a symlink to a state not created yet: created at its target, the link kept */
	CHECK(symlink("nowhere.db", dangling) == 0);
	CHECK_INT(in_child(child_open, dangling), 0);
	CHECK(access(tmp_path_static("linkdir/nowhere.db"), F_OK) == 0);
	CHECK(access(tmp_path_static("linkdir/nowhere.db.lock"), F_OK) == 0);
	{
		struct stat sb;

		CHECK(lstat(dangling, &sb) == 0 && S_ISLNK(sb.st_mode));
	}
	/* a lock file that is a symlink is refused (O_NOFOLLOW), its target untouched */
	CHECK(symlink("victim", evil_lock) == 0);
	CHECK_INT(in_child(child_open, evil), 1);
	CHECK(access(victim, F_OK) < 0);
	CHECK(access(evil, F_OK) < 0);
	free(dir);
	free(real);
	free(link);
	free(dirlink);
	free(via_dir);
	free(dotted);
	free(dangling);
	free(lock);
	free(evil);
	free(evil_lock);
	free(victim);
}

static void hash_hex_of(const struct meeting *m, char *hex)
{
	hash64_hex(meeting_hash(m), hex, 17);
}

static void test_pending_confirm(void)
{
	char *path = tmp_path("cycle.db");
	struct state *st;
	struct meeting m[3];
	struct meeting *ms[3] = {&m[0], &m[1], &m[2]};
	struct state_row row;
	struct state_rows rows;
	char *trace;
	char hex[17];
	long run;

	make_meeting(&m[0], "u1", "a.ics", "2024-03-01T09:00:00Z", "One");
	make_meeting(&m[1], "u2#20240302T090000Z", "a.ics", "2024-03-02T09:00:00Z", "Two");
	make_meeting(&m[2], "u3", "a.ics", "2024-03-03", "Three");

	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "a.ics", "import", &run), 0);
	CHECK_INT(state_get(st, "a.ics", "u1", &row), 0);
	CHECK_INT(state_mark_pending(st, run, ms, 3), 0);

	CHECK_INT(state_get(st, "a.ics", "u1", &row), 1);
	CHECK_INT(row.status, STATE_PENDING);
	trace = meeting_trace_id(&m[0]);
	CHECK_STR(row.trace_id, trace);
	free(trace);
	hash_hex_of(&m[0], hex);
	CHECK_STR(row.hash, hex);
	CHECK(row.hubspot_id == NULL);
	CHECK_INT(row.created_run, run);
	CHECK(row.first_seen > 0);
	state_row_release(&row);
	CHECK_INT(state_get(st, "a.ics", "u2#20240302T090000Z", &row), 1);
	CHECK_STR(row.uid, "u2");
	CHECK_STR(row.recurrence_id, "20240302T090000Z");
	CHECK_STR(row.start, "2024-03-02T09:00:00Z");
	state_row_release(&row);

	CHECK_INT(state_list_pending(st, NULL, &rows), 0);
	CHECK_INT(rows.n, 3);
	state_rows_release(&rows);

	/* Confirm one (in a txn, as for a batch), fail one, leave one pending. */
	CHECK_INT(state_txn_begin(st), 0);
	CHECK_INT(state_confirm(st, run, &m[0], "101", meeting_hash(&m[0])), 0);
	CHECK_INT(state_mark_failed(st, run, &m[1], "PROPERTY_DOESNT_EXIST"), 0);
	CHECK_INT(state_txn_commit(st), 0);

	CHECK_INT(state_get(st, "a.ics", "u1", &row), 1);
	CHECK_INT(row.status, STATE_CREATED);
	CHECK_STR(row.hubspot_id, "101");
	CHECK_STR(row.hash, hex);
	CHECK_INT(row.changed_run, run);
	state_row_release(&row);
	CHECK_INT(state_get(st, "a.ics", "u2#20240302T090000Z", &row), 1);
	CHECK_INT(row.status, STATE_FAILED);
	CHECK_STR(row.last_error, "PROPERTY_DOESNT_EXIST");
	CHECK(row.hubspot_id == NULL);
	state_row_release(&row);

	CHECK_INT(state_list_pending(st, "a.ics", &rows), 0);
	CHECK_INT(rows.n, 1);
	CHECK_STR(rows.n ? rows.v[0].key : NULL, "u3");
	state_rows_release(&rows);
	CHECK_INT(state_list_pending(st, "b.ics", &rows), 0);
	CHECK_INT(rows.n, 0);
	state_rows_release(&rows);

	/* A second run: the same content leaves changed_run alone; new content moves it. */
	{
		long run2;

		CHECK_INT(state_begin_run(st, "a.ics", "import", &run2), 0);
		CHECK_INT(state_confirm(st, run2, &m[0], "101", meeting_hash(&m[0])), 0);
		CHECK_INT(state_get(st, "a.ics", "u1", &row), 1);
		CHECK_INT(row.changed_run, run);
		state_row_release(&row);
		CHECK_INT(state_confirm(st, run2, &m[0], "101", 42), 0);
		CHECK_INT(state_get(st, "a.ics", "u1", &row), 1);
		CHECK_INT(row.changed_run, run2);
		CHECK_STR(row.hash, "000000000000002a");
		CHECK_INT(row.created_run, run); /* an update is not a create */
		state_row_release(&row);

		/* Removal. */
		CHECK_INT(state_mark_removed(st, run2, "a.ics", "u1", STATE_ARCHIVED), 0);
		CHECK_INT(state_get(st, "a.ics", "u1", &row), 1);
		CHECK_INT(row.status, STATE_ARCHIVED);
		CHECK_STR(row.hubspot_id, "101");
		state_row_release(&row);
		CHECK_INT(state_mark_removed(st, run2, "a.ics", "nope", STATE_KEPT), -1);

		/* Archived then back: a new create clears the old id. */
		CHECK_INT(state_mark_pending(st, run2, ms, 1), 0);
		CHECK_INT(state_get(st, "a.ics", "u1", &row), 1);
		CHECK_INT(row.status, STATE_PENDING);
		CHECK(row.hubspot_id == NULL);
		CHECK_INT(row.created_run, run2);
		state_row_release(&row);

		/* Failed with no message, then gone from HubSpot: the id is kept, the error
		 * cleared. */
		CHECK_INT(state_confirm(st, run, &m[2], "103", meeting_hash(&m[2])), 0);
		CHECK_INT(state_mark_failed(st, run2, &m[2], NULL), 0);
		CHECK_INT(state_get(st, "a.ics", "u3", &row), 1);
		CHECK_INT(row.status, STATE_FAILED);
		CHECK_STR(row.last_error, "failed");
		CHECK_STR(row.hubspot_id, "103");
		CHECK_INT(row.changed_run, run2);
		state_row_release(&row);
		CHECK_INT(state_mark_deleted(st, run2, &m[2]), 0);
		CHECK_INT(state_get(st, "a.ics", "u3", &row), 1);
		CHECK_INT(row.status, STATE_DELETED);
		CHECK(row.last_error == NULL);
		CHECK_STR(row.hubspot_id, "103");
		CHECK_STR(row.start, "2024-03-03");
		state_row_release(&row);
	}

	/* Marking a meeting that has no row yet inserts one. */
	{
		struct meeting d;

		make_meeting(&d, "u4", "b.ics", "2024-03-04T09:00:00Z", "Four");
		CHECK_INT(state_mark_deleted(st, run, &d), 0);
		CHECK_INT(state_get(st, "b.ics", "u4", &row), 1);
		CHECK_INT(row.status, STATE_DELETED);
		CHECK_STR(row.uid, "u4");
		CHECK_STR(row.start, "2024-03-04T09:00:00Z");
		CHECK(row.hubspot_id == NULL && row.last_error == NULL);
		CHECK_INT(row.changed_run, run);
		state_row_release(&row);
		meeting_release(&d);
	}

	state_close(st);
	for (int i = 0; i < 3; i++)
		meeting_release(&m[i]);
	free(path);
}

struct crash_arg {
	const char *path;
	const char *abort_after; /* NULL: crash by hand after marking pending */
};

static int child_crash(void *p)
{
	struct crash_arg *a = p;
	struct state *st;
	struct meeting m[2];
	struct meeting *ms[2] = {&m[0], &m[1]};
	long run;

	if (a->abort_after)
		setenv("ICS2HUBSPOT_ABORT_AFTER", a->abort_after, 1);
	else
		unsetenv("ICS2HUBSPOT_ABORT_AFTER");
	state_step_reset();
	make_meeting(&m[0], "c1", "feed.ics", "2024-04-01T10:00:00Z", "Crash one");
	make_meeting(&m[1], "c2", "feed.ics", "2024-04-02T10:00:00Z", "Crash two");
	if (state_open(a->path, 0, &st))
		return 1;
	if (state_begin_run(st, "feed.ics", "import", &run)) /* step 1 */
		return 2;
	if (state_mark_pending(st, run, ms, 2)) /* step 2 */
		return 3;
	/* The create is sent here, the process dies before confirming. */
	return 99;
}

static void test_crash(void)
{
	char *path = tmp_path("crash.db");
	struct crash_arg a = {path, NULL};
	struct state *st;
	struct state_rows rows;
	struct state_row row;
	struct state_run *runs;
	size_t nruns;

	/* Killed after the pending commit: the next run finds both pending. */
	CHECK_INT(in_child(child_crash, &a), 99);
	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_list_pending(st, NULL, &rows), 0);
	CHECK_INT(rows.n, 2);
	if (rows.n == 2) {
		CHECK(rows.v[0].trace_id && !strncmp(rows.v[0].trace_id, "i2h-", 4));
		CHECK_STR(rows.v[0].source, "feed.ics");
	}
	state_rows_release(&rows);
	CHECK_INT(state_list_runs(st, &runs, &nruns), 0);
	CHECK_INT(nruns, 1);
	if (nruns) {
		CHECK_STR(runs[0].status, "running");
		CHECK_INT(runs[0].finished_at, 0);
	}
	state_runs_release(runs, nruns);

	/* Resolution: c1 was created (found by identity), c2 never was. */
	CHECK_INT(state_resolve(st, 2, "feed.ics", "c1", "555"), 0);
	CHECK_INT(state_resolve(st, 2, "feed.ics", "c2", NULL), 0);
	CHECK_INT(state_get(st, "feed.ics", "c1", &row), 1);
	CHECK_INT(row.status, STATE_CREATED);
	CHECK_STR(row.hubspot_id, "555");
	CHECK_INT(row.created_run, 1);
	state_row_release(&row);
	CHECK_INT(state_get(st, "feed.ics", "c2", &row), 0);
	CHECK_INT(state_list_pending(st, NULL, &rows), 0);
	CHECK_INT(rows.n, 0);
	state_rows_release(&rows);
	state_close(st);
	unlink(path);

	/* The test hook: abort after step 1 (the run record) — nothing pending yet. */
	a.abort_after = "1";
	CHECK_INT(in_child(child_crash, &a), 137);
	CHECK_INT(state_open(path, STATE_OPEN_READONLY, &st), 0);
	CHECK_INT(state_list_runs(st, &runs, &nruns), 0);
	CHECK_INT(nruns, 1);
	state_runs_release(runs, nruns);
	CHECK_INT(state_list_pending(st, NULL, &rows), 0);
	CHECK_INT(rows.n, 0);
	state_rows_release(&rows);
	state_close(st);

	/* After step 2 (the pending marks): they are on disk. */
	a.abort_after = "2";
	CHECK_INT(in_child(child_crash, &a), 137);
	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_list_pending(st, NULL, &rows), 0);
	CHECK_INT(rows.n, 2);
	state_rows_release(&rows);
	state_close(st);

	/* The count of steps, without the variable. */
	unsetenv("ICS2HUBSPOT_ABORT_AFTER");
	state_step_reset();
	CHECK_INT(state_step("a"), 1);
	CHECK_INT(state_step("b"), 2);
	free(path);
}

static void test_feed_forget_runs(void)
{
	char *path = tmp_path("feeds.db");
	struct state *st;
	struct state_feed f;
	struct meeting m[3];
	struct meeting *ms[3] = {&m[0], &m[1], &m[2]};
	struct state_rows rows;
	struct state_run *runs;
	struct state_summary *sum;
	size_t nruns, nsum;
	struct state_run_counts c = {3, 1, 2, 1};
	long run1, run2;

	make_meeting(&m[0], "k1", "https://cal.example/a.ics", "2024-05-01T10:00:00Z", "A1");
	make_meeting(&m[1], "k2", "https://cal.example/a.ics", "2024-05-02T10:00:00Z", "A2");
	make_meeting(&m[2], "k1", "b.ics", "2024-05-01T10:00:00Z", "B1");

	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_feed_get(st, "https://cal.example/a.ics", &f), 0);
	CHECK(f.etag == NULL);
	CHECK_INT(state_feed_set(st, "https://cal.example/a.ics", "\"e1\"",
				 "Wed, 01 May 2024 10:00:00 GMT", "abc", true),
		  0);
	CHECK_INT(state_feed_get(st, "https://cal.example/a.ics", &f), 1);
	CHECK_STR(f.etag, "\"e1\"");
	CHECK_STR(f.last_modified, "Wed, 01 May 2024 10:00:00 GMT");
	CHECK_STR(f.content_hash, "abc");
	CHECK(f.last_success > 0 && f.last_run == f.last_success);
	state_feed_release(&f);
	/* A failed fetch keeps the validators. */
	CHECK_INT(state_feed_set(st, "https://cal.example/a.ics", NULL, NULL, NULL, false), 0);
	CHECK_INT(state_feed_get(st, "https://cal.example/a.ics", &f), 1);
	CHECK_STR(f.etag, "\"e1\"");
	state_feed_release(&f);
	CHECK_INT(state_feed_set(st, "b.ics", NULL, NULL, "def", true), 0);

	CHECK_INT(state_begin_run(st, "a\nb", "import a b", &run1), 0);
	CHECK_INT(state_mark_pending(st, run1, ms, 3), 0);
	CHECK_INT(state_confirm(st, run1, &m[0], "1", meeting_hash(&m[0])), 0);
	CHECK_INT(state_confirm(st, run1, &m[1], "2", meeting_hash(&m[1])), 0);
	CHECK_INT(state_confirm(st, run1, &m[2], "1", meeting_hash(&m[2])), 0);
	CHECK_INT(state_finish_run(st, run1, &c, "partial"), 0);
	CHECK_INT(state_begin_run(st, "b", "import b", &run2), 0);
	CHECK_INT(state_mark_removed(st, run2, "https://cal.example/a.ics", "k2", STATE_CANCELLED),
		  0);
	CHECK_INT(state_finish_run(st, run2, NULL, "done"), 0);
	CHECK_INT(state_finish_run(st, 99, NULL, "done"), -1);

	CHECK_INT(state_list_runs(st, &runs, &nruns), 0);
	CHECK_INT(nruns, 2);
	if (nruns == 2) {
		CHECK_INT(runs[0].id, run1);
		CHECK_STR(runs[0].status, "partial");
		CHECK_STR(runs[0].sources, "a\nb");
		CHECK_STR(runs[0].argv_summary, "import a b");
		CHECK_INT(runs[0].counts.created, 3);
		CHECK_INT(runs[0].counts.archived, 2);
		CHECK(runs[0].finished_at >= runs[0].started_at && runs[0].finished_at > 0);
		CHECK_STR(runs[1].status, "done");
	}
	state_runs_release(runs, nruns);

	/* undo --run N: what run1 created. */
	CHECK_INT(state_rows_created_by_run(st, run1, &rows), 0);
	CHECK_INT(rows.n, 3);
	state_rows_release(&rows);
	CHECK_INT(state_rows_created_by_run(st, run2, &rows), 0);
	CHECK_INT(rows.n, 0);
	state_rows_release(&rows);

	/* One meeting, two calendars. */
	{
		struct state_row row;

		CHECK_INT(state_find_meeting_by_key(st, "k1", &row), 1);
		CHECK_STR(row.hubspot_id, "1");
		state_row_release(&row);
		CHECK_INT(state_find_meeting_by_key(st, "nope", &row), 0);
		CHECK_INT(state_rows_by_key(st, "k1", &rows), 0);
		CHECK_INT(rows.n, 2);
		state_rows_release(&rows);
	}

	/* Rows for a plan over b.ics only still bring a.ics's row for k1 (not k2). */
	CHECK_INT(state_rows_for_plan(st, (const char *const[]){"b.ics"}, 1, &ms[2], 1, &rows), 0);
	CHECK_INT(rows.n, 2);
	if (rows.n == 2) {
		CHECK_STR(rows.v[0].source, "b.ics");
		CHECK_STR(rows.v[1].source, "https://cal.example/a.ics");
		CHECK_STR(rows.v[1].key, "k1");
	}
	state_rows_release(&rows);

	/* Rows of a calendar streamed through a filter: only the kept ones are collected. */
	{
		int seen = 0;

		CHECK_INT(state_select_rows(st, "https://cal.example/a.ics", keep_not_k1, &seen,
					    &rows),
			  0);
		CHECK_INT(seen, 2);
		CHECK_INT(rows.n, 1);
		if (rows.n == 1)
			CHECK(strcmp(rows.v[0].key, "k1") != 0);
		state_rows_release(&rows);
	}

	/* Summary per calendar. */
	CHECK_INT(state_summarize(st, &sum, &nsum), 0);
	CHECK_INT(nsum, 2);
	if (nsum == 2) {
		CHECK_STR(sum[0].source, "b.ics");
		CHECK_INT(sum[0].count[STATE_CREATED], 1);
		CHECK_STR(sum[1].source, "https://cal.example/a.ics");
		CHECK_INT(sum[1].count[STATE_CREATED], 1);
		CHECK_INT(sum[1].count[STATE_CANCELLED], 1);
		CHECK(sum[1].last_success > 0);
	}
	state_summaries_release(sum, nsum);

	/* Forget one calendar: its rows and its feed info, nothing else. */
	CHECK_INT(state_forget_source(st, "https://cal.example/a.ics"), 2);
	CHECK_INT(state_feed_get(st, "https://cal.example/a.ics", &f), 0);
	CHECK_INT(state_list_rows(st, NULL, NULL, &rows), 0);
	CHECK_INT(rows.n, 1);
	CHECK_STR(rows.n ? rows.v[0].source : NULL, "b.ics");
	state_rows_release(&rows);
	CHECK_INT(state_forget_source(st, "never.ics"), 0);

	state_close(st);
	for (int i = 0; i < 3; i++)
		meeting_release(&m[i]);
	free(path);
}

static void test_window(void)
{
	char *path = tmp_path("window.db");
	struct state *st;
	struct meeting m[4];
	struct meeting *ms[4] = {&m[0], &m[1], &m[2], &m[3]};
	struct state_rows rows;
	struct state_window w = {true, true, 0, 0};
	long run;

	make_meeting(&m[0], "w0", "s", "2024-02-29T23:59:59Z", "before");
	make_meeting(&m[1], "w1", "s", "2024-03-01", "all-day, first day");
	make_meeting(&m[2], "w2", "s", "2024-03-31T23:00:00Z", "last");
	make_meeting(&m[3], "w3", "s", "2024-04-01T00:00:00Z", "until is exclusive");
	time_parse_utc("2024-03-01", &w.since);
	time_parse_utc("2024-04-01", &w.until);

	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "s", "", &run), 0);
	CHECK_INT(state_mark_pending(st, run, ms, 4), 0);
	CHECK_INT(state_list_rows(st, "s", &w, &rows), 0);
	CHECK_INT(rows.n, 2);
	if (rows.n == 2) {
		CHECK_STR(rows.v[0].key, "w1");
		CHECK_STR(rows.v[1].key, "w2");
	}
	state_rows_release(&rows);
	w.has_until = false;
	CHECK_INT(state_list_rows(st, "s", &w, &rows), 0);
	CHECK_INT(rows.n, 3);
	state_rows_release(&rows);
	CHECK_INT(state_list_rows(st, "other", NULL, &rows), 0);
	CHECK_INT(rows.n, 0);
	state_rows_release(&rows);
	CHECK_INT(state_list_rows(st, NULL, NULL, &rows), 0);
	CHECK_INT(rows.n, 4);
	state_rows_release(&rows);

	/* mark_pending inside a txn commits durably and leaves a txn open. */
	CHECK_INT(state_txn_begin(st), 0);
	CHECK_INT(state_confirm(st, run, &m[0], "9", 1), 0);
	CHECK_INT(state_mark_pending(st, run, &ms[1], 1), 0);
	CHECK_INT(state_confirm(st, run, &m[1], "10", 2), 0);
	CHECK_INT(state_txn_commit(st), 0);
	CHECK_INT(state_list_pending(st, NULL, &rows), 0);
	CHECK_INT(rows.n, 2);
	state_rows_release(&rows);

	state_close(st);
	for (int i = 0; i < 4; i++)
		meeting_release(&m[i]);
	free(path);
}

static void test_status_names(void)
{
	enum state_status s;

	for (int i = 0; i < STATE_NSTATUS; i++) {
		CHECK_INT(state_status_parse(state_status_name((enum state_status)i), &s), 0);
		CHECK_INT(s, i);
	}
	CHECK_INT(state_status_parse("bogus", &s), -1);
	CHECK_STR(state_status_name(STATE_CANCELLED), "cancelled");
}

/* Additions for the import pipeline: associations kept per row, "may this source be skipped". */
static void test_assocs_and_quiet(void)
{
	char *path = tmp_path("quiet.db");
	struct state *st;
	struct meeting a, b, c;
	struct meeting *pa[1] = {&a};
	struct state_row row;
	long run;

	make_meeting(&a, "k1", "one.ics", "2024-03-01T09:00:00Z", "A");
	make_meeting(&b, "k2", "one.ics", "2024-03-02T09:00:00Z", "B");
	make_meeting(&c, "k2", "two.ics", "2024-03-02T09:00:00Z", "B");
	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "one.ics", "import", &run), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", true),
		  1); /* nothing known: nothing in the way */

	/* A pending row: not quiet until resolved. */
	CHECK_INT(state_mark_pending(st, run, pa, 1), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", true), 0);
	CHECK_INT(state_confirm(st, run, &a, "101", meeting_hash(&a)), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", true), 1);

	/* Associations: stored, read back with the row, cleared. */
	CHECK_INT(state_set_assocs(st, "one.ics", "k1", "[{\"to\":{\"id\":\"6101\"}}]"), 0);
	CHECK_INT(state_get(st, "one.ics", "k1", &row), 1);
	CHECK_STR(row.assocs, "[{\"to\":{\"id\":\"6101\"}}]");
	state_row_release(&row);
	CHECK_INT(state_set_assocs(st, "one.ics", "k1", NULL), 0);
	CHECK_INT(state_get(st, "one.ics", "k1", &row), 1);
	CHECK(row.assocs == NULL);
	state_row_release(&row);

	/* A failed row, then a key shared with another calendar: not quiet. */
	CHECK_INT(state_mark_failed(st, run, &b, "boom"), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", true), 0);
	CHECK_INT(state_confirm(st, run, &b, "102", meeting_hash(&b)), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", true), 1);
	CHECK_INT(state_confirm(st, run, &c, "102", meeting_hash(&c)), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", true), 0);
	CHECK_INT(state_source_quiet(st, "one.ics", false), 1); /* alone in its run: may skip */
	CHECK_INT(state_source_quiet(st, "two.ics", true), 0);
	CHECK_INT(state_forget_source(st, "two.ics"), 1);
	CHECK_INT(state_source_quiet(st, "one.ics", true), 1);
	state_close(st);

	/* A version 1 database (no assocs column) is upgraded by a writer, refused by a reader. */
	{
		char *v1 = tmp_path("v1.db");
		char *cmd = xasprintf(
			"sqlite3 '%s' \"CREATE TABLE occurrences(key TEXT NOT NULL,"
			" source TEXT NOT NULL, uid TEXT, recurrence_id TEXT, start TEXT,"
			" start_ts INTEGER, hubspot_id TEXT, hash TEXT, status TEXT NOT NULL,"
			" trace_id TEXT, first_seen INTEGER NOT NULL, last_seen INTEGER NOT"
			" NULL, created_run INTEGER, changed_run INTEGER, last_error TEXT,"
			" PRIMARY KEY (key, source)); CREATE TABLE runs(id INTEGER PRIMARY"
			" KEY, started_at INTEGER NOT NULL, finished_at INTEGER, sources TEXT,"
			" argv_summary TEXT, created INTEGER NOT NULL DEFAULT 0, updated"
			" INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,"
			" failed INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT"
			" 'running'); CREATE TABLE calendars(source TEXT PRIMARY KEY, etag"
			" TEXT, last_modified TEXT, content_hash TEXT, last_run INTEGER,"
			" last_success INTEGER); INSERT INTO occurrences VALUES('k1', 'x.ics',"
			" 'k1', NULL, '2024-03-01T09:00:00Z', 1709283600, '7', 'h', 'created',"
			" NULL, 1, 1, 1, 1, NULL); PRAGMA user_version = 1;\"",
			v1);

		if (system(cmd) == 0) {
			CHECK_INT(state_open(v1, STATE_OPEN_READONLY, &st), -1);
			CHECK_INT(state_open(v1, 0, &st), 0);
			CHECK_INT(state_get(st, "x.ics", "k1", &row), 1);
			CHECK_STR(row.hubspot_id, "7");
			CHECK(row.assocs == NULL);
			CHECK_INT(row.portal, 0); /* no portal yet */
			state_row_release(&row);
			/* The first portal used adopts the rows; the next one does not see them. */
			CHECK_INT(state_use_portal(st, "https://a.test", 42, NULL), 0);
			CHECK_INT(state_get(st, "x.ics", "k1", &row), 1);
			CHECK(row.portal > 0);
			state_row_release(&row);
			CHECK_INT(state_use_portal(st, "https://a.test", 43, NULL), 0);
			CHECK_INT(state_get(st, "x.ics", "k1", &row), 0);
			state_close(st);
			CHECK_INT(header_user_version(v1), 3);
			CHECK_INT(state_open(v1, STATE_OPEN_READONLY, &st), 0);
			state_close(st);
		} else {
			fprintf(stderr, "sqlite3 not found: version 1 upgrade not tested\n");
		}
		free(cmd);
		free(v1);
	}
	meeting_release(&a);
	meeting_release(&b);
	meeting_release(&c);
	free(path);
}

/*
 * Several portals side by side: each sees its own rows only; rows of an older
 * state (portal 0) are adopted by the first portal used; tokens are remembered
 * by fingerprint.
 */
static void test_portals(void)
{
	char *path = tmp_path("portals.db");
	struct state *st;
	struct meeting a;
	struct state_row row;
	struct state_rows rows;
	struct state_summary *sum;
	struct state_feed feed;
	size_t nsum;
	long long id = 0;
	char *ui = NULL;
	long run;

	make_meeting(&a, "u1", "cal.ics", "2024-03-01T09:00:00Z", "One");
	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "cal.ics", "import", &run), 0);
	CHECK_INT(state_last_portal(st, "https://a.test", &id), 0);
	CHECK_INT(state_use_portal(st, "https://a.test", 111, "app.hubspot.com"), 0);
	CHECK_INT(state_confirm(st, run, &a, "7", meeting_hash(&a)), 0);
	CHECK_INT(state_feed_set(st, "cal.ics", NULL, NULL, "c1", true), 0);
	CHECK_INT(state_token_set(st, "fp-a"), 0);
	CHECK_INT(state_get(st, "cal.ics", "u1", &row), 1);
	CHECK_STR(row.hubspot_id, "7");
	state_row_release(&row);
	CHECK_INT(state_feed_get(st, "cal.ics", &feed), 1);
	CHECK_STR(feed.content_hash, "c1");
	state_feed_release(&feed);

	/* Portal 222 (same API base) knows nothing of it; its own row lives beside. */
	CHECK_INT(state_use_portal(st, "https://a.test", 222, NULL), 0);
	CHECK_INT(state_get(st, "cal.ics", "u1", &row), 0);
	CHECK_INT(state_find_meeting_by_key(st, "u1", &row), 0);
	CHECK_INT(state_feed_get(st, "cal.ics", &feed), 0);
	CHECK_INT(state_source_quiet(st, "cal.ics", false), 1);
	CHECK_INT(state_confirm(st, run, &a, "9", meeting_hash(&a)), 0);
	CHECK_INT(state_mark_removed(st, run, "cal.ics", "u1", STATE_ARCHIVED), 0);
	CHECK_INT(state_list_rows(st, NULL, NULL, &rows), 0);
	CHECK_INT(rows.n, 1);
	CHECK_STR(rows.v[0].hubspot_id, "9");
	state_rows_release(&rows);
	/* The same portal id at another API base is another portal. */
	CHECK_INT(state_use_portal(st, "https://b.test", 111, NULL), 0);
	CHECK_INT(state_get(st, "cal.ics", "u1", &row), 0);
	/* Back on 111: its row was not touched by 222's archive. */
	CHECK_INT(state_use_portal(st, "https://a.test", 111, NULL), 0);
	CHECK_INT(state_get(st, "cal.ics", "u1", &row), 1);
	CHECK_INT(row.status, STATE_CREATED);
	state_row_release(&row);
	CHECK_INT(state_token_portal(st, "https://a.test", "fp-a", &id, &ui), 1);
	CHECK(id == 111);
	CHECK_STR(ui, "app.hubspot.com"); /* kept when later uses give none */
	free(ui);
	CHECK_INT(state_token_portal(st, "https://b.test", "fp-a", &id, NULL), 0);
	CHECK_INT(state_token_portal(st, "https://a.test", "fp-other", &id, NULL), 0);
	CHECK_INT(state_last_portal(st, "https://a.test", &id), 1);
	state_close(st);

	/* Unscoped (the state commands): every portal, each calendar with its portal. */
	CHECK_INT(state_open(path, STATE_OPEN_READONLY, &st), 0);
	CHECK_INT(state_rows_by_key(st, "u1", &rows), 0);
	CHECK_INT(rows.n, 2);
	CHECK(rows.v[0].portal_id == 111 && rows.v[1].portal_id == 222);
	state_rows_release(&rows);
	CHECK_INT(state_summarize(st, &sum, &nsum), 0);
	CHECK_INT(nsum, 2);
	CHECK(sum[0].portal_id == 111 && sum[1].portal_id == 222);
	CHECK_STR(sum[0].api_base, "https://a.test");
	CHECK_INT(sum[0].count[STATE_CREATED], 1);
	CHECK_INT(sum[1].count[STATE_ARCHIVED], 1);
	state_summaries_release(sum, nsum);
	/* Read-only scope to a portal the state does not know: no rows. */
	CHECK_INT(state_use_portal(st, "https://c.test", 5, NULL), 0);
	CHECK_INT(state_get(st, "cal.ics", "u1", &row), 0);
	state_close(st);
	meeting_release(&a);
	free(path);
}

/* state show UID: the UID's own row first, then its series' occurrences by start. */
static void test_show_series(void)
{
	char *path = tmp_path("series.db");
	struct state *st;
	struct meeting m[4];
	struct meeting *ms[4] = {&m[0], &m[1], &m[2], &m[3]};
	struct state_rows rows;
	long run;

	make_meeting(&m[0], "s@x#20260310T090000Z", "a.ics", "2026-03-10T09:00:00Z", "late");
	make_meeting(&m[1], "s@x#20260303T090000Z", "a.ics", "2026-03-03T09:00:00Z", "early");
	make_meeting(&m[2], "s@x", "a.ics", "2026-03-17T09:00:00Z", "own");
	make_meeting(&m[3], "s@xy", "a.ics", "2026-03-01T09:00:00Z", "other uid");
	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "a.ics", "import (1 calendar)", &run), 0);
	CHECK_INT(state_mark_pending(st, run, ms, 4), 0);
	CHECK_INT(state_rows_by_key_or_uid(st, "s@x", &rows), 0);
	CHECK_INT(rows.n, 3);
	if (rows.n == 3) {
		CHECK_STR(rows.v[0].key, "s@x");
		CHECK_STR(rows.v[1].key, "s@x#20260303T090000Z");
		CHECK_STR(rows.v[2].key, "s@x#20260310T090000Z");
	}
	state_rows_release(&rows);
	/* An occurrence's key is its own row only; an unknown key, none. */
	CHECK_INT(state_rows_by_key_or_uid(st, "s@x#20260310T090000Z", &rows), 0);
	CHECK_INT(rows.n, 1);
	state_rows_release(&rows);
	CHECK_INT(state_rows_by_key_or_uid(st, "s@", &rows), 0);
	CHECK_INT(rows.n, 0);
	state_rows_release(&rows);
	state_close(st);
	for (int i = 0; i < 4; i++)
		meeting_release(&m[i]);
	free(path);
}

/*
 * state runs: each run's calendar, portal, exit code and why. A state made
 * before these columns (the same schema version) is still read, its runs
 * without them, and a writer adds them.
 */
static void test_run_outcome(void)
{
	char *path = tmp_path("outcome.db");
	struct state *st;
	struct state_run *runs;
	size_t n;
	long run1, run2;
	struct state_run_counts c = {3, 1, 0, 0};

	CHECK_INT(state_open(path, 0, &st), 0);
	CHECK_INT(state_begin_run(st, "a.ics", "import a.ics", &run1), 0);
	CHECK_INT(state_finish_run(st, run1, &c, "done"), 0);
	CHECK_INT(state_run_outcome(st, run1, "sales", "acme", 0, NULL), 0);
	CHECK_INT(state_begin_run(st, "b.ics", "import b.ics", &run2), 0);
	CHECK_INT(state_finish_run(st, run2, NULL, "failed"), 0);
	CHECK_INT(state_run_outcome(st, run2, NULL, NULL, 2, "cannot open b.ics"), 0);
	CHECK_INT(state_list_runs(st, &runs, &n), 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(runs[0].calendar, "sales");
		CHECK_STR(runs[0].portal, "acme");
		CHECK_INT(runs[0].exit_code, 0);
		CHECK(runs[0].why == NULL);
		CHECK(runs[0].counts.created == 3);
		CHECK(runs[1].calendar == NULL);
		CHECK_INT(runs[1].exit_code, 2);
		CHECK_STR(runs[1].why, "cannot open b.ics");
	}
	state_runs_release(runs, n);
	state_close(st);
	{
		/* an older state: the runs table without the columns (sqlite3 3.35+ drops them) */
		char *cmd = xasprintf(
			"sqlite3 '%s' 'ALTER TABLE runs DROP COLUMN why; ALTER TABLE "
			"runs DROP COLUMN exit_code; ALTER TABLE runs DROP COLUMN "
			"portal_name; ALTER TABLE runs DROP COLUMN calendar;' 2>/dev/null",
			path);

		if (system(cmd) == 0) {
			CHECK_INT(state_open(path, STATE_OPEN_READONLY, &st), 0);
			CHECK_INT(state_list_runs(st, &runs, &n), 0);
			CHECK(n == 2 && runs[1].exit_code == -1 && runs[1].why == NULL);
			state_runs_release(runs, n);
			state_close(st);
			CHECK_INT(state_open(path, 0, &st), 0); /* a writer adds them back */
			CHECK_INT(state_run_outcome(st, run2, "b", NULL, 1, "x"), 0);
			CHECK_INT(state_list_runs(st, &runs, &n), 0);
			CHECK(n == 2 && runs[1].exit_code == 1);
			CHECK(n == 2 && runs[0].exit_code == -1); /* not recorded before */
			state_runs_release(runs, n);
			state_close(st);
		} else {
			fprintf(stderr,
				"sqlite3 (3.35+) not found: the older runs table not tested\n");
		}
		free(cmd);
	}
	free(path);
}

int main(void)
{
	char *cmd;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("ICS2HUBSPOT_ABORT_AFTER");
	test_status_names();
	test_fresh_db();
	test_default_path();
	test_lock();
	test_lock_one_per_file();
	test_pending_confirm();
	test_crash();
	test_feed_forget_runs();
	test_window();
	test_assocs_and_quiet();
	test_portals();
	test_show_series();
	test_run_outcome();
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
	return TEST_DONE();
}
