/* state: the local sync state (SQLite) — what was created in HubSpot, per calendar and occurrence.
 */
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define SCHEMA_VERSION 3

struct state {
	char *path; /* as given: what messages show */
	char *real; /* canonical_path(path): what is locked, created and opened */
	sqlite3 *db;
	int lock_fd; /* -1 when read-only */
	bool readonly;
	bool in_txn; /* a state_txn_begin() is open */
	bool creating; /* create_state(): the one place a database without schema is new */
	bool scoped; /* state_use_portal() was called: rows are those of `portal` */
	long portal; /* portals.id of the run's portal */
};

/*
 * The portal scope: every statement that reads or writes calendars or
 * occurrences names the portal as parameter ?50, which prep() binds to the
 * scope (NULL when unscoped: the state commands see every portal).
 */
#define P_ARG	  "?50"
#define P_ARG_N	  50
#define IN_PORTAL " portal = coalesce(" P_ARG ", portal)"
#define P_INS	  "coalesce(" P_ARG ", 0)" /* unscoped writes (state commands, tests): portal 0 */

static const char *const status_names[STATE_NSTATUS] = {
	[STATE_PENDING] = "pending",
	[STATE_CREATED] = "created",
	[STATE_FAILED] = "failed",
	[STATE_ARCHIVED] = "archived",
	[STATE_CANCELLED] = "cancelled",
	[STATE_KEPT] = "kept",
	[STATE_DELETED] = "deleted_in_hubspot",
};

const char *state_status_name(enum state_status s)
{
	if ((unsigned)s >= STATE_NSTATUS)
		BUG("bad state status %d", (int)s);
	return status_names[s];
}

int state_status_parse(const char *name, enum state_status *out)
{
	for (int i = 0; i < STATE_NSTATUS; i++)
		if (name && !strcmp(name, status_names[i])) {
			*out = (enum state_status)i;
			return 0;
		}
	return -1;
}

/* ---- the test-only crash hook -------------------------------------------------------------- */

static bool step_env_read;
static long step_abort_after = -1;
static long step_count;

void state_step_reset(void)
{
	const char *v = getenv("ICS2HUBSPOT_ABORT_AFTER");
	char *end;

	step_env_read = true;
	step_count = 0;
	step_abort_after = -1;
	if (v && *v) {
		long n = strtol(v, &end, 10);

		if (*end || n < 1)
			warning("ignoring ICS2HUBSPOT_ABORT_AFTER='%s' (not a positive number)", v);
		else
			step_abort_after = n;
	}
}

long state_step(const char *what)
{
	if (!step_env_read)
		state_step_reset();
	step_count++;
	if (step_abort_after > 0 && step_count >= step_abort_after) {
		/*
		 * Die as kill -9 would: SIGKILL itself, so no atexit, no stdio flush, no
		 * sqlite3_close, and no sanitizer or valgrind exit hooks either. The
		 * shell sees status 137.
		 */
		char msg[160];
		int len = snprintf(msg, sizeof(msg), "%s: test hook: abort after step %ld (%s)\n",
				   PROGRAM_NAME, step_count, what ? what : "?");

		if (len > 0 && (size_t)len >= sizeof(msg))
			len = (int)sizeof(msg) - 1;
		if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0)
			kill(getpid(), SIGKILL);
		kill(getpid(), SIGKILL);
		_exit(137);
	}
	return step_count;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static int db_error(struct state *st, const char *what)
{
	return error("state '%s': %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int exec(struct state *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("state '%s': %s: %s", st->path, sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *prep(struct state *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		db_error(st, "cannot prepare a statement");
		return NULL;
	}
	if (st->scoped && sqlite3_bind_parameter_count(s) >= P_ARG_N)
		sqlite3_bind_int64(s, P_ARG_N, st->portal);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	/* A NULL pointer binds SQL NULL. */
	sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

/* Step a statement that returns no row; finalizes it. */
static int step_done(struct state *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, what);
	return 0;
}

static char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static int check_writable(struct state *st)
{
	if (st->readonly)
		BUG("write to state '%s' opened read-only", st->path);
	return 0;
}

/*
 * Every write goes through write_begin/write_end: one transaction per call,
 * unless the caller opened a state_txn, in which case the txn's commit makes
 * it durable.
 */
static int write_begin(struct state *st)
{
	check_writable(st);
	if (st->in_txn)
		return 0;
	return exec(st, "BEGIN IMMEDIATE");
}

static int write_end(struct state *st, int rc, const char *what)
{
	if (st->in_txn)
		return rc;
	if (rc < 0) {
		exec(st, "ROLLBACK");
		return -1;
	}
	if (exec(st, "COMMIT") < 0) {
		exec(st, "ROLLBACK");
		return -1;
	}
	state_step(what);
	return 0;
}

int state_txn_begin(struct state *st)
{
	if (st->in_txn)
		BUG("nested state_txn_begin");
	if (write_begin(st) < 0)
		return -1;
	st->in_txn = true;
	return 0;
}

int state_txn_commit(struct state *st)
{
	if (!st->in_txn)
		BUG("state_txn_commit without state_txn_begin");
	st->in_txn = false;
	return write_end(st, 0, "state: commit");
}

/* ---- opening ------------------------------------------------------------------------------- */

char *state_default_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	/* The XDG spec: a relative value is invalid and must be ignored. */
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/%s/state.db", xdg, PROGRAM_NAME);
	if (home && *home)
		return xasprintf("%s/.local/state/%s/state.db", home, PROGRAM_NAME);
	error("cannot find a place for the state: neither XDG_STATE_HOME nor HOME is set (use --state FILE)");
	return NULL;
}

/* mkdir -p the directory part of `path`; directories created here are 0700. */
static int make_parent_dirs(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (!slash || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			rc = error_errno("cannot create directory '%s'", dir);
			break;
		}
		*p = saved;
		if (!saved)
			break;
	}
	free(dir);
	return rc;
}

/*
 * The one name of a state file, whatever path names it: symlinks, "." and ".."
 * resolved (realpath); for a file not created yet, its directory's canonical
 * path and its name, and for a symlink to a file not created yet, its target's.
 * Two runs on one state, one of them through a symlink to it, thus take one
 * lock (issue 27), and a new state never replaces a symlink. Returns a new
 * string, or NULL after an error.
 */
static char *canonical_path_at(const char *path, const char *shown, int depth)
{
	struct stat sb;
	char *real = realpath(path, NULL), *dir, *slash, *out;
	const char *name;

	if (real)
		return real;
	if (errno != ENOENT) {
		error_errno("cannot resolve the state path '%s'", shown);
		return NULL;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (!slash) {
		name = path;
		free(dir);
		dir = xstrdup(".");
	} else {
		name = path + (slash - dir) + 1;
		slash[slash == dir ? 1 : 0] = '\0';
	}
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		/* a symlink to a state not created yet: the state goes where it points */
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		if (n < 0 || depth >= 40) {
			if (n < 0)
				error_errno("cannot read the symbolic link '%s'", shown);
			else
				error("state '%s': too many levels of symbolic links", shown);
			free(dir);
			return NULL;
		}
		target[n] = '\0';
		out = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
		free(dir);
		real = canonical_path_at(out, shown, depth + 1);
		free(out);
		return real;
	}
	real = realpath(dir, NULL);
	if (!real) {
		error_errno("cannot resolve the directory of the state '%s'", shown);
		free(dir);
		return NULL;
	}
	out = xasprintf("%s%s%s", real, strcmp(real, "/") ? "/" : "", name);
	free(real);
	free(dir);
	return out;
}

static char *canonical_path(const char *path)
{
	return canonical_path_at(path, path, 0);
}

static int take_lock(struct state *st)
{
	char *lock_path = xasprintf("%s.lock", st->real);
	struct flock fl;
	struct stat sb;
	/* O_NOFOLLOW: a symlink planted as the lock file would have us create or lock another file
	 */
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);

	if (fd < 0 && errno == ELOOP) {
		error("lock file '%s' of state '%s' is a symbolic link: refused (remove it)",
		      lock_path, st->path);
		free(lock_path);
		return -1;
	}
	if (fd < 0) {
		error_errno("cannot open lock file '%s'", lock_path);
		free(lock_path);
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		error("lock file '%s' of state '%s' is not a regular file: refused", lock_path,
		      st->path);
		close(fd);
		free(lock_path);
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/*
	 * fcntl() rather than a lock file made with O_EXCL: the kernel drops the
	 * lock when the process dies (crash, kill -9, OOM), so cron never finds a
	 * stale lock to clean up.
	 */
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int rc = (errno == EACCES || errno == EAGAIN) ? STATE_LOCKED : -1;

		if (rc == STATE_LOCKED)
			error("state '%s' is in use by another run (lock '%s' held)", st->path,
			      lock_path);
		else
			error_errno("cannot lock '%s'", lock_path);
		close(fd);
		free(lock_path);
		return rc;
	}
	free(lock_path);
	st->lock_fd = fd;
	return 0;
}

/*
 * Version 3: every calendar and occurrence row belongs to a portal (`portal`
 * = portals.id; 0 = a row from before version 3, not yet adopted); the status
 * deleted_in_hubspot; the table of token fingerprints.
 */
#define CALENDARS_COLS                        \
	"(source TEXT NOT NULL,"              \
	" portal INTEGER NOT NULL DEFAULT 0," \
	" etag TEXT,"                         \
	" last_modified TEXT,"                \
	" content_hash TEXT,"                 \
	" last_run INTEGER,"                  \
	" last_success INTEGER,"              \
	" PRIMARY KEY (source, portal));"
#define OCCURRENCES_COLS                                                      \
	"(key TEXT NOT NULL,"                                                 \
	" source TEXT NOT NULL,"                                              \
	" portal INTEGER NOT NULL DEFAULT 0,"                                 \
	" uid TEXT,"                                                          \
	" recurrence_id TEXT,"                                                \
	" start TEXT,"                                                        \
	" start_ts INTEGER,"                                                  \
	" hubspot_id TEXT,"                                                   \
	" hash TEXT,"                                                         \
	" status TEXT NOT NULL CHECK (status IN"                              \
	"  ('pending', 'created', 'failed', 'archived', 'cancelled', 'kept'," \
	"   'deleted_in_hubspot')),"                                          \
	" trace_id TEXT,"                                                     \
	" first_seen INTEGER NOT NULL,"                                       \
	" last_seen INTEGER NOT NULL,"                                        \
	" created_run INTEGER,"                                               \
	" changed_run INTEGER,"                                               \
	" last_error TEXT,"                                                   \
	" assocs TEXT,"                                                       \
	" PRIMARY KEY (key, source, portal));"
#define OCCURRENCES_INDEXES                                                                 \
	"CREATE INDEX occurrences_source_start ON occurrences(source, start_ts);"           \
	"CREATE INDEX occurrences_pending ON occurrences(status) WHERE status = 'pending';" \
	"CREATE INDEX occurrences_created_run ON occurrences(created_run);"
#define PORTALS_TABLES                    \
	"CREATE TABLE portals("           \
	" id INTEGER PRIMARY KEY,"        \
	" api_base TEXT NOT NULL,"        \
	" portal_id INTEGER NOT NULL,"    \
	" check_hash TEXT,"               \
	" checked_at INTEGER,"            \
	" last_used INTEGER,"             \
	" ui_domain TEXT,"                \
	" UNIQUE (api_base, portal_id));" \
	"CREATE TABLE tokens("            \
	" fingerprint TEXT PRIMARY KEY,"  \
	" portal INTEGER NOT NULL,"       \
	" last_used INTEGER);"

/*
 * What `state runs` shows of a run besides its counts: the calendar's name,
 * the configuration's portal, the exit code and, for a failure, why. Added to
 * an older state's table (same schema version: older binaries ignore them).
 */
#define RUNS_OUTCOME_COLS " calendar TEXT, portal_name TEXT, exit_code INTEGER, why TEXT"

/* Does table runs have the outcome columns? 1 yes, 0 no, -1 error. */
static int runs_have_outcome(struct state *st)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM pragma_table_info('runs') WHERE name = 'why'");
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int add_runs_outcome(struct state *st)
{
	int have = runs_have_outcome(st);

	if (have != 0 || st->readonly)
		return have < 0 ? -1 : 0;
	if (exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (exec(st, "ALTER TABLE runs ADD COLUMN calendar TEXT;"
		     "ALTER TABLE runs ADD COLUMN portal_name TEXT;"
		     "ALTER TABLE runs ADD COLUMN exit_code INTEGER;"
		     "ALTER TABLE runs ADD COLUMN why TEXT;") < 0) {
		exec(st, "ROLLBACK");
		return -1;
	}
	return exec(st, "COMMIT");
}

static const char schema_sql[] =
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER,"
	" sources TEXT,"
	" argv_summary TEXT,"
	" created INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL DEFAULT 0,"
	" archived INTEGER NOT NULL DEFAULT 0,"
	" failed INTEGER NOT NULL DEFAULT 0,"
	" status TEXT NOT NULL DEFAULT 'running'," RUNS_OUTCOME_COLS ");"
	"CREATE TABLE calendars" CALENDARS_COLS
	"CREATE TABLE occurrences" OCCURRENCES_COLS OCCURRENCES_INDEXES PORTALS_TABLES;

/*
 * Version 2 to 3: the tables are rebuilt with the portal in their keys; rows
 * keep portal 0 until an import adopts them (state_use_portal). The old
 * pre-flight cache is only a cache: it is dropped.
 */
static const char migrate_v3_sql[] =
	"CREATE TABLE calendars_v3" CALENDARS_COLS
	"INSERT INTO calendars_v3(source, etag, last_modified, content_hash, last_run,"
	" last_success) SELECT source, etag, last_modified, content_hash, last_run, last_success"
	" FROM calendars;"
	"DROP TABLE calendars;"
	"ALTER TABLE calendars_v3 RENAME TO calendars;"
	"CREATE TABLE occurrences_v3" OCCURRENCES_COLS
	"INSERT INTO occurrences_v3(key, source, uid, recurrence_id, start, start_ts, hubspot_id,"
	" hash, status, trace_id, first_seen, last_seen, created_run, changed_run, last_error,"
	" assocs) SELECT key, source, uid, recurrence_id, start, start_ts, hubspot_id, hash,"
	" status, trace_id, first_seen, last_seen, created_run, changed_run, last_error, assocs"
	" FROM occurrences;"
	"DROP TABLE occurrences;"
	"ALTER TABLE occurrences_v3 RENAME TO occurrences;" OCCURRENCES_INDEXES
	"DROP TABLE IF EXISTS portals;" PORTALS_TABLES
	"CREATE TABLE unadopted(migrated_at INTEGER);" /* dropped once adopted */
	"PRAGMA user_version = 3;";

static int get_user_version(struct state *st, int *out)
{
	sqlite3_stmt *s = prep(st, "PRAGMA user_version");
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_error(st, "cannot read the schema version");
}

static int ensure_schema(struct state *st)
{
	int version = 0;
	char *sql;

	if (get_user_version(st, &version) < 0)
		return -1;
	if (version == SCHEMA_VERSION)
		return add_runs_outcome(st);
	if (version > SCHEMA_VERSION)
		return error("state '%s' has schema version %d, newer than this ics2hubspot "
			     "understands (%d): upgrade ics2hubspot",
			     st->path, version, SCHEMA_VERSION);
	if (version == 0 && !st->creating)
		return error("'%s' is not an ics2hubspot state (a database without its schema)",
			     st->path);
	if (version == 1 || version == 2) {
		/* Version 2 added occurrences.assocs (the associations last sent), 3 the portal. */
		if (st->readonly)
			return error("state '%s' has schema version %d: run an import with it once "
				     "to upgrade it",
				     st->path, version);
		if (exec(st, "BEGIN IMMEDIATE") < 0)
			return -1;
		if ((version == 1 &&
		     exec(st, "ALTER TABLE occurrences ADD COLUMN assocs TEXT;") < 0) ||
		    exec(st, migrate_v3_sql) < 0) {
			exec(st, "ROLLBACK");
			return -1;
		}
		if (exec(st, "COMMIT") < 0)
			return -1;
		return add_runs_outcome(st);
	}
	/* version 0: a new database. Tables and version in one transaction. */
	if (exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	sql = xasprintf("%sPRAGMA user_version = %d;", schema_sql, SCHEMA_VERSION);
	if (exec(st, sql) < 0) {
		free(sql);
		exec(st, "ROLLBACK");
		return -1;
	}
	free(sql);
	if (exec(st, "COMMIT") < 0)
		return -1;
	return 0;
}

/*
 * A new state is built in a temporary file beside its path and renamed into
 * place once its schema is committed. So a state file is never empty, and an
 * empty file at the path is damage (a truncated copy, a full disk), never a
 * new state to start silently — which would create every meeting again.
 */
static int create_state(const char *path)
{
	struct state tmp = {0};
	char *name = xasprintf("%s.new.XXXXXX", path);
	int fd = mkstemp(name), rc = -1;

	if (fd < 0) {
		error_errno("cannot create a state beside '%s'", path);
		free(name);
		return -1;
	}
	close(fd);
	tmp.path = name;
	tmp.lock_fd = -1;
	tmp.creating = true;
	if (sqlite3_open_v2(name, &tmp.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		error("cannot create state '%s': %s", path,
		      tmp.db ? sqlite3_errmsg(tmp.db) : "out of memory");
	else if (exec(&tmp, "PRAGMA synchronous = FULL") == 0 && ensure_schema(&tmp) == 0)
		rc = 0;
	if (tmp.db && sqlite3_close(tmp.db) != SQLITE_OK && rc == 0)
		rc = error("cannot create state '%s': cannot close '%s'", path, name);
	if (rc == 0 && rename(name, path) < 0)
		rc = error_errno("cannot rename '%s' to '%s'", name, path);
	if (rc)
		unlink(name);
	free(name);
	return rc;
}

/*
 * 1: path exists and is empty (an error naming `shown` was printed), 0: not
 * empty, -1: cannot stat (errno).
 */
static int refuse_empty(const char *path, const char *shown)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	if (sb.st_size > 0 || !S_ISREG(sb.st_mode))
		return 0;
	error("state '%s' is empty (0 bytes): not a state, so nothing was done; restore it from a "
	      "backup, or remove it to start a new state",
	      shown);
	return 1;
}

int state_open(const char *path, unsigned flags, struct state **out)
{
	struct state *st = xcalloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	st->path = xstrdup(path);
	st->lock_fd = -1;
	st->readonly = flags & STATE_OPEN_READONLY;

	if (st->readonly) {
		if (access(path, F_OK) < 0) {
			error_errno("no state at '%s'", path);
			goto fail;
		}
	} else {
		if (make_parent_dirs(path) < 0)
			goto fail;
		st->real = canonical_path(path);
		if (!st->real)
			goto fail;
		path = st->real;
		/* Lock first, so that schema creation is also one process at a time. */
		rc = take_lock(st);
		if (rc < 0) {
			state_close(st);
			return rc;
		}
		/*
		 * A new state is created by us (mkstemp: 0600 from the start; SQLite
		 * gives its -wal and -shm files the mode of the database file).
		 */
		rc = refuse_empty(path, st->path);
		if (rc < 0 && errno == ENOENT)
			rc = create_state(path);
		else if (rc < 0)
			error_errno("cannot open state '%s'", st->path);
		if (rc)
			goto fail;
	}
	if (st->readonly && refuse_empty(path, st->path) == 1)
		goto fail;
	if (sqlite3_open_v2(path, &st->db,
			    st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE,
			    NULL) != SQLITE_OK) {
		error("cannot open state '%s': %s", st->path,
		      st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* The first read of the file: say plainly when it is not ours at all. */
	{
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_ROW) {
			if (sqlite3_errcode(st->db) == SQLITE_NOTADB)
				error("'%s' is not an ics2hubspot state (not a SQLite database)",
				      st->path);
			else
				db_error(st, "cannot read the database");
			sqlite3_finalize(s);
			goto fail;
		}
		sqlite3_finalize(s);
	}
	if (!st->readonly && exec(st, "PRAGMA journal_mode = WAL") < 0)
		goto fail;
	/*
	 * FULL: a commit is on disk when COMMIT returns. The commits that matter
	 * most are the pending marks written before a create is sent (mbsync's
	 * "TUID assignment needs to be fsync'd"); the others are grouped with
	 * state_txn so the cost is one fsync per batch.
	 */
	if (exec(st, "PRAGMA synchronous = FULL") < 0)
		goto fail;
	if (ensure_schema(st) < 0)
		goto fail;
	*out = st;
	return 0;
fail:
	state_close(st);
	return -1;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->db) {
		if (st->in_txn)
			exec(st, "ROLLBACK");
		sqlite3_close(st->db);
	}
	/* Closing the descriptor releases the fcntl lock. */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st->real);
	free(st);
}

const char *state_path(const struct state *st)
{
	return st->path;
}

/* ---- runs ---------------------------------------------------------------------------------- */

int state_begin_run(struct state *st, const char *sources, const char *argv_summary, long *run_id)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "INSERT INTO runs(started_at, sources, argv_summary, status)"
		     " VALUES(?1, ?2, ?3, 'running')");
	if (s) {
		sqlite3_bind_int64(s, 1, time_now());
		bind_text(s, 2, sources);
		bind_text(s, 3, argv_summary);
	}
	rc = step_done(st, s, "cannot record the run");
	if (!rc)
		*run_id = (long)sqlite3_last_insert_rowid(st->db);
	return write_end(st, rc, "state: begin run");
}

int state_finish_run(struct state *st, long run_id, const struct state_run_counts *c,
		     const char *status)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "UPDATE runs SET finished_at = ?2, created = ?3, updated = ?4,"
		     " archived = ?5, failed = ?6, status = ?7 WHERE id = ?1");
	if (s) {
		sqlite3_bind_int64(s, 1, run_id);
		sqlite3_bind_int64(s, 2, time_now());
		sqlite3_bind_int64(s, 3, c ? c->created : 0);
		sqlite3_bind_int64(s, 4, c ? c->updated : 0);
		sqlite3_bind_int64(s, 5, c ? c->archived : 0);
		sqlite3_bind_int64(s, 6, c ? c->failed : 0);
		bind_text(s, 7, status ? status : "done");
	}
	rc = step_done(st, s, "cannot record the end of the run");
	if (!rc && sqlite3_changes(st->db) != 1)
		rc = error("state '%s': no run %ld", st->path, run_id);
	return write_end(st, rc, "state: finish run");
}

int state_run_outcome(struct state *st, long run_id, const char *calendar, const char *portal,
		      int exit_code, const char *why)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "UPDATE runs SET calendar = ?2, portal_name = ?3, exit_code = ?4, why = ?5"
		     " WHERE id = ?1");
	if (s) {
		sqlite3_bind_int64(s, 1, run_id);
		bind_text(s, 2, calendar);
		bind_text(s, 3, portal);
		sqlite3_bind_int(s, 4, exit_code);
		bind_text(s, 5, why);
	}
	rc = step_done(st, s, "cannot record the outcome of the run");
	return write_end(st, rc, "state: run outcome");
}

void state_runs_release(struct state_run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(runs[i].calendar);
		free(runs[i].portal);
		free(runs[i].why);
		free(runs[i].sources);
		free(runs[i].argv_summary);
		free(runs[i].status);
	}
	free(runs);
}

int state_list_runs(struct state *st, struct state_run **out, size_t *n)
{
	int outcome = runs_have_outcome(st);
	sqlite3_stmt *s =
		outcome < 0
			? NULL
			: prep(st,
			       outcome ? "SELECT id, started_at, finished_at, sources, argv_summary,"
					 " created, updated, archived, failed, status, calendar,"
					 " portal_name, exit_code, why FROM runs ORDER BY id"
				       : "SELECT id, started_at, finished_at, sources, argv_summary,"
					 " created, updated, archived, failed, status, NULL, NULL, NULL,"
					 " NULL FROM runs ORDER BY id");
	struct state_run *v = NULL;
	size_t nv = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct state_run *r;

		XGROW(v, cap, nv + 1);
		r = &v[nv++];
		r->id = (long)sqlite3_column_int64(s, 0);
		r->started_at = sqlite3_column_int64(s, 1);
		r->finished_at = sqlite3_column_int64(s, 2);
		r->sources = col_str(s, 3);
		r->argv_summary = col_str(s, 4);
		r->counts.created = (long)sqlite3_column_int64(s, 5);
		r->counts.updated = (long)sqlite3_column_int64(s, 6);
		r->counts.archived = (long)sqlite3_column_int64(s, 7);
		r->counts.failed = (long)sqlite3_column_int64(s, 8);
		r->status = col_str(s, 9);
		r->calendar = col_str(s, 10);
		r->portal = col_str(s, 11);
		r->exit_code =
			sqlite3_column_type(s, 12) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 12);
		r->why = col_str(s, 13);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		state_runs_release(v, nv);
		return db_error(st, "cannot list runs");
	}
	*out = v;
	*n = nv;
	return 0;
}

/* ---- calendars ----------------------------------------------------------------------------- */

void state_feed_release(struct state_feed *f)
{
	if (!f)
		return;
	free(f->etag);
	free(f->last_modified);
	free(f->content_hash);
	memset(f, 0, sizeof(*f));
}

int state_feed_get(struct state *st, const char *source, struct state_feed *out)
{
	sqlite3_stmt *s =
		prep(st, "SELECT etag, last_modified, content_hash, last_run, last_success"
			 " FROM calendars WHERE source = ?1 AND" IN_PORTAL);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	bind_text(s, 1, source);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->etag = col_str(s, 0);
		out->last_modified = col_str(s, 1);
		out->content_hash = col_str(s, 2);
		out->last_run = sqlite3_column_int64(s, 3);
		out->last_success = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(st, "cannot read calendar info");
}

int state_feed_set(struct state *st, const char *source, const char *etag,
		   const char *last_modified, const char *content_hash, bool success)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	if (success)
		s = prep(
			st,
			"INSERT INTO calendars(source, portal, etag, last_modified,"
			" content_hash, last_run, last_success) VALUES(?1, " P_INS ", ?2, ?3,"
			" ?4, ?5, ?5) ON CONFLICT(source, portal) DO UPDATE SET etag = excluded.etag,"
			" last_modified = excluded.last_modified,"
			" content_hash = excluded.content_hash, last_run = excluded.last_run,"
			" last_success = excluded.last_success");
	else
		s = prep(
			st,
			"INSERT INTO calendars(source, portal, last_run) VALUES(?1, " P_INS
			", ?5) ON CONFLICT(source, portal) DO UPDATE SET last_run = excluded.last_run");
	if (s) {
		bind_text(s, 1, source);
		if (success) {
			bind_text(s, 2, etag);
			bind_text(s, 3, last_modified);
			bind_text(s, 4, content_hash);
		}
		sqlite3_bind_int64(s, 5, time_now());
	}
	rc = step_done(st, s, "cannot record calendar info");
	return write_end(st, rc, "state: feed info");
}

/* ---- occurrences: reading ------------------------------------------------------------------ */

#define ROW_COLS                                                                      \
	"key, source, uid, recurrence_id, start, hubspot_id, hash, status, trace_id," \
	" first_seen, last_seen, created_run, changed_run, last_error, assocs, portal"

static void row_read(sqlite3_stmt *s, struct state_row *r)
{
	char *status;

	r->key = col_str(s, 0);
	r->source = col_str(s, 1);
	r->uid = col_str(s, 2);
	r->recurrence_id = col_str(s, 3);
	r->start = col_str(s, 4);
	r->hubspot_id = col_str(s, 5);
	r->hash = col_str(s, 6);
	status = col_str(s, 7);
	if (state_status_parse(status, &r->status) < 0)
		r->status = STATE_FAILED; /* the CHECK constraint makes this unreachable */
	free(status);
	r->trace_id = col_str(s, 8);
	r->first_seen = sqlite3_column_int64(s, 9);
	r->last_seen = sqlite3_column_int64(s, 10);
	r->created_run = (long)sqlite3_column_int64(s, 11);
	r->changed_run = (long)sqlite3_column_int64(s, 12);
	r->last_error = col_str(s, 13);
	r->assocs = col_str(s, 14);
	r->portal = (long)sqlite3_column_int64(s, 15);
	if (sqlite3_column_count(s) > 16)
		r->portal_id = sqlite3_column_int64(s, 16);
}

void state_row_release(struct state_row *r)
{
	if (!r)
		return;
	free(r->key);
	free(r->source);
	free(r->uid);
	free(r->recurrence_id);
	free(r->start);
	free(r->hubspot_id);
	free(r->hash);
	free(r->trace_id);
	free(r->last_error);
	free(r->assocs);
	memset(r, 0, sizeof(*r));
}

void state_rows_release(struct state_rows *rows)
{
	if (!rows)
		return;
	for (size_t i = 0; i < rows->n; i++)
		state_row_release(&rows->v[i]);
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

/* Append every row `s` returns to *out (capacity *cap); finalizes s. */
static int rows_collect(struct state *st, sqlite3_stmt *s, struct state_rows *out, size_t *cap)
{
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		XGROW(out->v, *cap, out->n + 1);
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		row_read(s, &out->v[out->n++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, "cannot read occurrences");
	return 0;
}

/* Run `s` (bound), collect all its rows into a fresh *out. */
static int rows_query(struct state *st, sqlite3_stmt *s, struct state_rows *out)
{
	size_t cap = 0;

	out->v = NULL;
	out->n = 0;
	if (rows_collect(st, s, out, &cap) < 0) {
		state_rows_release(out);
		return -1;
	}
	return 0;
}

/* The first row `s` returns (*out zeroed when none): 1, 0 when there is none, or -1. */
static int first_row(struct state *st, sqlite3_stmt *s, struct state_row *out)
{
	struct state_rows rows;

	memset(out, 0, sizeof(*out));
	if (rows_query(st, s, &rows) < 0)
		return -1;
	if (!rows.n)
		return 0;
	*out = rows.v[0];
	free(rows.v);
	return 1;
}

int state_get(struct state *st, const char *source, const char *key, struct state_row *out)
{
	sqlite3_stmt *s =
		prep(st, "SELECT " ROW_COLS
			 " FROM occurrences WHERE key = ?1 AND source = ?2 AND" IN_PORTAL);

	if (s) {
		bind_text(s, 1, key);
		bind_text(s, 2, source);
	}
	return first_row(st, s, out);
}

int state_rows_by_key(struct state *st, const char *key, struct state_rows *out)
{
	sqlite3_stmt *s = prep(
		st,
		"SELECT " ROW_COLS ", (SELECT portal_id FROM portals p"
		" WHERE p.id = occurrences.portal) FROM occurrences WHERE key = ?1 AND" IN_PORTAL
		" ORDER BY source, portal");

	if (s)
		bind_text(s, 1, key);
	return rows_query(st, s, out);
}

int state_rows_by_key_or_uid(struct state *st, const char *key, struct state_rows *out)
{
	sqlite3_stmt *s = prep(
		st,
		"SELECT " ROW_COLS ", (SELECT portal_id FROM portals p"
		" WHERE p.id = occurrences.portal) FROM occurrences WHERE (key = ?1 OR uid = ?1) AND" IN_PORTAL
		" ORDER BY key <> ?1, start_ts, key, source, portal");

	if (s)
		bind_text(s, 1, key);
	return rows_query(st, s, out);
}

int state_find_meeting_by_key(struct state *st, const char *key, struct state_row *out)
{
	sqlite3_stmt *s =
		prep(st, "SELECT " ROW_COLS " FROM occurrences WHERE key = ?1 AND" IN_PORTAL " AND"
			 " ((hubspot_id IS NOT NULL AND status IN ('created', 'cancelled',"
			 " 'kept', 'failed')) OR status = 'pending')"
			 " ORDER BY CASE status WHEN 'created' THEN 0 WHEN 'pending' THEN 2"
			 " ELSE 1 END, last_seen DESC, source LIMIT 1");

	if (s)
		bind_text(s, 1, key);
	return first_row(st, s, out);
}

int state_list_rows(struct state *st, const char *source, const struct state_window *w,
		    struct state_rows *out)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *s;

	sbuf_adds(&sql, "SELECT " ROW_COLS " FROM occurrences WHERE" IN_PORTAL);
	if (source)
		sbuf_adds(&sql, " AND source = ?1");
	if (w && w->has_since)
		sbuf_adds(&sql, " AND start_ts >= ?2");
	if (w && w->has_until)
		sbuf_adds(&sql, " AND start_ts < ?3");
	sbuf_adds(&sql, " ORDER BY source, start_ts, key");
	s = prep(st, sql.buf);
	sbuf_release(&sql);
	if (s) {
		bind_text(s, 1, source);
		if (w && w->has_since)
			sqlite3_bind_int64(s, 2, w->since);
		if (w && w->has_until)
			sqlite3_bind_int64(s, 3, w->until);
	}
	return rows_query(st, s, out);
}

static int cmp_str_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int state_select_rows(struct state *st, const char *source, state_keep_fn keep, void *data,
		      struct state_rows *out)
{
	sqlite3_stmt *s =
		prep(st, "SELECT " ROW_COLS " FROM occurrences WHERE source = ?1 AND" IN_PORTAL
			 " ORDER BY start_ts, key");
	size_t cap = 0;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (!s)
		return -1;
	bind_text(s, 1, source);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct state_row row = {0};

		row_read(s, &row);
		if (keep(&row, data)) {
			XGROW(out->v, cap, out->n + 1);
			out->v[out->n++] = row;
		} else {
			state_row_release(&row);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		state_rows_release(out);
		return db_error(st, "cannot read occurrences");
	}
	return 0;
}

int state_rows_for_plan(struct state *st, const char *const *sources, size_t nsources,
			struct meeting *const *ms, size_t n, struct state_rows *out)
{
	size_t cap = 0, nkeys = 0;
	const char **keys = NULL;
	const char **srcs = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < nsources; i++) {
		s = prep(st, "SELECT " ROW_COLS " FROM occurrences WHERE source = ?1 AND" IN_PORTAL
			     " ORDER BY start_ts, key");
		if (s)
			bind_text(s, 1, sources[i]);
		rc = rows_collect(st, s, out, &cap); /* finalizes s */
		s = NULL;
		if (rc < 0)
			goto out;
	}
	rc = -1;
	/* Rows of other calendars that share a key with this run's meetings. */
	srcs = xmalloc((nsources ? nsources : 1) * sizeof(*srcs));
	memcpy(srcs, sources, nsources * sizeof(*srcs));
	qsort(srcs, nsources, sizeof(*srcs), cmp_str_p);
	keys = xmalloc((n ? n : 1) * sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		if (ms[i]->key)
			keys[nkeys++] = ms[i]->key;
	qsort(keys, nkeys, sizeof(*keys), cmp_str_p);
	s = prep(st, "SELECT " ROW_COLS " FROM occurrences WHERE key = ?1 AND" IN_PORTAL);
	if (!s)
		goto out;
	for (size_t i = 0; i < nkeys; i++) {
		int r;

		if (i && !strcmp(keys[i], keys[i - 1]))
			continue;
		sqlite3_reset(s);
		bind_text(s, 1, keys[i]);
		while ((r = sqlite3_step(s)) == SQLITE_ROW) {
			const char *src = (const char *)sqlite3_column_text(s, 1);

			if (src && bsearch(&src, srcs, nsources, sizeof(*srcs), cmp_str_p))
				continue; /* already in, with its calendar */
			XGROW(out->v, cap, out->n + 1);
			memset(&out->v[out->n], 0, sizeof(out->v[0]));
			row_read(s, &out->v[out->n++]);
		}
		if (r != SQLITE_DONE) {
			db_error(st, "cannot read occurrences");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	free(keys);
	free(srcs);
	if (rc < 0)
		state_rows_release(out);
	return rc;
}

int state_list_pending(struct state *st, const char *source, struct state_rows *out)
{
	sqlite3_stmt *s = prep(st, "SELECT " ROW_COLS " FROM occurrences WHERE status = 'pending'"
				   " AND (?1 IS NULL OR source = ?1) AND" IN_PORTAL
				   " ORDER BY last_seen, source, key");

	if (s)
		bind_text(s, 1, source);
	return rows_query(st, s, out);
}

int state_rows_created_by_run(struct state *st, long run_id, struct state_rows *out)
{
	sqlite3_stmt *s = prep(st, "SELECT " ROW_COLS " FROM occurrences WHERE created_run = ?1"
				   " AND hubspot_id IS NOT NULL ORDER BY source, start_ts, key");

	if (s)
		sqlite3_bind_int64(s, 1, run_id);
	return rows_query(st, s, out);
}

void state_summaries_release(struct state_summary *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].source);
		free(s[i].api_base);
	}
	free(s);
}

int state_summarize(struct state *st, struct state_summary **out, size_t *n)
{
	sqlite3_stmt *s = prep(
		st, "SELECT src.source, o.status, count(o.key), c.last_run,"
		    " c.last_success, src.portal, p.portal_id, p.api_base FROM"
		    " (SELECT source, portal FROM occurrences"
		    "  UNION SELECT source, portal FROM calendars) src"
		    " LEFT JOIN occurrences o ON o.source = src.source AND o.portal = src.portal"
		    " LEFT JOIN calendars c ON c.source = src.source AND c.portal = src.portal"
		    " LEFT JOIN portals p ON p.id = src.portal"
		    " GROUP BY src.source, src.portal, o.status ORDER BY src.source, src.portal");
	struct state_summary *v = NULL;
	size_t nv = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *src = (const char *)sqlite3_column_text(s, 0);
		const char *status = (const char *)sqlite3_column_text(s, 1);
		enum state_status stt;

		if (!src)
			continue;
		long portal = (long)sqlite3_column_int64(s, 5);

		if (!nv || strcmp(v[nv - 1].source, src) || v[nv - 1].portal != portal) {
			XGROW(v, cap, nv + 1);
			memset(&v[nv], 0, sizeof(v[0]));
			v[nv].source = xstrdup(src);
			v[nv].portal = portal;
			v[nv].portal_id = sqlite3_column_int64(s, 6);
			v[nv].api_base = col_str(s, 7);
			v[nv].last_run = sqlite3_column_int64(s, 3);
			v[nv].last_success = sqlite3_column_int64(s, 4);
			nv++;
		}
		if (status && !state_status_parse(status, &stt))
			v[nv - 1].count[stt] = (long)sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		state_summaries_release(v, nv);
		return db_error(st, "cannot summarize the state");
	}
	*out = v;
	*n = nv;
	return 0;
}

/* ---- occurrences: writing ------------------------------------------------------------------ */

/* Parsed start for window queries (NULL when it does not parse). */
static void bind_start_ts(sqlite3_stmt *s, int i, const char *start)
{
	int64_t t;

	if (start && !time_parse_utc(start, &t))
		sqlite3_bind_int64(s, i, t);
	else
		sqlite3_bind_null(s, i);
}

static void bind_hash(sqlite3_stmt *s, int i, uint64_t h)
{
	char hex[17];

	hash64_hex(h, hex, sizeof(hex));
	bind_text(s, i, hex);
}

/* ?1..?6 of an occurrences write: key, source, uid, recurrence_id, start, start_ts. */
static void bind_meeting(sqlite3_stmt *s, const struct meeting *m)
{
	bind_text(s, 1, m->key);
	bind_text(s, 2, m->source);
	bind_text(s, 3, m->uid);
	bind_text(s, 4, m->recurrence_id);
	bind_text(s, 5, m->start);
	bind_start_ts(s, 6, m->start);
}

static int need_meeting(const struct meeting *m)
{
	if (!m || !m->key || !m->source)
		BUG("state: meeting without key or source");
	return 0;
}

int state_mark_pending(struct state *st, long run_id, struct meeting *const *ms, size_t n)
{
	bool reopen = st->in_txn;
	sqlite3_stmt *s = NULL;
	int rc = 0;

	check_writable(st);
	/* The pending marks must not wait for the caller's txn: commit that first. */
	if (reopen && state_txn_commit(st) < 0)
		return -1;
	if (exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	s = prep(
		st,
		"INSERT INTO occurrences(key, source, portal, uid, recurrence_id, start,"
		" start_ts, hubspot_id, hash, status, trace_id, first_seen, last_seen,"
		" created_run, changed_run) VALUES(?1, ?2, " P_INS ", ?3, ?4, ?5, ?6, NULL, ?7,"
		" 'pending', ?8, ?9, ?9, ?10, ?10) ON CONFLICT(key, source, portal) DO UPDATE SET uid = excluded.uid,"
		" recurrence_id = excluded.recurrence_id, start = excluded.start,"
		" start_ts = excluded.start_ts, hubspot_id = NULL, hash = excluded.hash,"
		" status = 'pending', trace_id = excluded.trace_id,"
		" last_seen = excluded.last_seen, created_run = excluded.created_run,"
		" changed_run = excluded.changed_run, last_error = NULL");
	if (!s)
		rc = -1;
	for (size_t i = 0; !rc && i < n; i++) {
		const struct meeting *m = ms[i];
		char *trace;

		need_meeting(m);
		trace = meeting_trace_id(m);
		sqlite3_reset(s);
		bind_meeting(s, m);
		bind_hash(s, 7, meeting_hash(m));
		bind_text(s, 8, trace);
		sqlite3_bind_int64(s, 9, time_now());
		sqlite3_bind_int64(s, 10, run_id);
		free(trace);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = db_error(st, "cannot record pending creates");
	}
	sqlite3_finalize(s);
	/*
	 * Order is important: this COMMIT (synchronous=FULL, so fsync'd) must
	 * complete before the create is sent. A crash after it leaves rows
	 * pending, which the next run looks up by identity instead of creating
	 * them again.
	 */
	if (rc < 0 || exec(st, "COMMIT") < 0) {
		exec(st, "ROLLBACK");
		rc = -1;
	} else {
		state_step("state: mark pending");
	}
	if (reopen && state_txn_begin(st) < 0)
		rc = -1;
	return rc;
}

int state_confirm(struct state *st, long run_id, const struct meeting *m, const char *hubspot_id,
		  uint64_t hash)
{
	sqlite3_stmt *s;
	int rc;

	need_meeting(m);
	if (!hubspot_id)
		BUG("state_confirm without a HubSpot id");
	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "INSERT INTO occurrences(key, source, portal, uid, recurrence_id, start,"
		     " start_ts, hubspot_id, hash, status, first_seen, last_seen, changed_run)"
		     " VALUES(?1, ?2, " P_INS ", ?3, ?4, ?5, ?6, ?7, ?8, 'created', ?9, ?9, ?10)"
		     " ON CONFLICT(key, source, portal) DO UPDATE SET uid = excluded.uid,"
		     " recurrence_id = excluded.recurrence_id, start = excluded.start,"
		     " start_ts = excluded.start_ts, hubspot_id = excluded.hubspot_id,"
		     " changed_run = CASE WHEN occurrences.status = 'created'"
		     "  AND occurrences.hash IS excluded.hash"
		     "  AND occurrences.hubspot_id IS excluded.hubspot_id"
		     "  THEN occurrences.changed_run ELSE excluded.changed_run END,"
		     " hash = excluded.hash, status = 'created', last_seen = excluded.last_seen,"
		     " last_error = NULL");
	if (s) {
		bind_meeting(s, m);
		bind_text(s, 7, hubspot_id);
		bind_hash(s, 8, hash);
		sqlite3_bind_int64(s, 9, time_now());
		sqlite3_bind_int64(s, 10, run_id);
	}
	rc = step_done(st, s, "cannot confirm an occurrence");
	return write_end(st, rc, "state: confirm");
}

int state_resolve(struct state *st, long run_id, const char *source, const char *key,
		  const char *hubspot_id)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	if (hubspot_id)
		s = prep(st,
			 "UPDATE occurrences SET status = 'created', hubspot_id = ?3,"
			 " changed_run = ?4, last_error = NULL"
			 " WHERE key = ?1 AND source = ?2 AND status = 'pending' AND" IN_PORTAL);
	else
		s = prep(st,
			 "DELETE FROM occurrences"
			 " WHERE key = ?1 AND source = ?2 AND status = 'pending' AND" IN_PORTAL);
	if (s) {
		bind_text(s, 1, key);
		bind_text(s, 2, source);
		if (hubspot_id) {
			bind_text(s, 3, hubspot_id);
			sqlite3_bind_int64(s, 4, run_id);
		}
	}
	rc = step_done(st, s, "cannot resolve a pending occurrence");
	return write_end(st, rc, "state: resolve");
}

/*
 * Insert or update the row of `m` with `status` and last_error = `error` (NULL clears it);
 * last_seen = now, changed_run = run_id; the other columns (the HubSpot id) are kept.
 */
static int mark_meeting(struct state *st, long run_id, const struct meeting *m,
			enum state_status status, const char *error, const char *what,
			const char *label)
{
	sqlite3_stmt *s;
	int rc;

	need_meeting(m);
	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "INSERT INTO occurrences(key, source, portal, uid, recurrence_id, start,"
		     " start_ts, status, first_seen, last_seen, changed_run, last_error)"
		     " VALUES(?1, ?2, " P_INS ", ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)"
		     " ON CONFLICT(key, source, portal) DO UPDATE SET status = excluded.status,"
		     " last_seen = excluded.last_seen, changed_run = excluded.changed_run,"
		     " last_error = excluded.last_error");
	if (s) {
		bind_meeting(s, m);
		bind_text(s, 7, state_status_name(status));
		sqlite3_bind_int64(s, 8, time_now());
		sqlite3_bind_int64(s, 9, run_id);
		bind_text(s, 10, error);
	}
	rc = step_done(st, s, what);
	return write_end(st, rc, label);
}

int state_mark_deleted(struct state *st, long run_id, const struct meeting *m)
{
	return mark_meeting(st, run_id, m, STATE_DELETED, NULL, "cannot record a deleted meeting",
			    "state: mark deleted");
}

int state_mark_failed(struct state *st, long run_id, const struct meeting *m, const char *message)
{
	return mark_meeting(st, run_id, m, STATE_FAILED, message ? message : "failed",
			    "cannot record a failure", "state: mark failed");
}

int state_mark_removed(struct state *st, long run_id, const char *source, const char *key,
		       enum state_status status)
{
	sqlite3_stmt *s;
	int rc;

	if (status != STATE_ARCHIVED && status != STATE_CANCELLED && status != STATE_KEPT &&
	    status != STATE_DELETED)
		BUG("state_mark_removed with status %s", state_status_name(status));
	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "UPDATE occurrences SET status = ?3, changed_run = ?4, last_error = NULL"
		     " WHERE key = ?1 AND source = ?2 AND" IN_PORTAL);
	if (s) {
		bind_text(s, 1, key);
		bind_text(s, 2, source);
		bind_text(s, 3, state_status_name(status));
		sqlite3_bind_int64(s, 4, run_id);
	}
	rc = step_done(st, s, "cannot record a removal");
	if (!rc && sqlite3_changes(st->db) != 1)
		rc = error("state '%s': no occurrence '%s' to mark removed", st->path, key);
	return write_end(st, rc, "state: mark removed");
}

/*
 * One write over a calendar's rows: `occ_sql` on occurrences, then `cal_sql` on
 * calendars, each with ?1 = a and (when b is not NULL) ?2 = b. Returns how many
 * occurrences it changed, or -1 (nothing changed).
 */
static long source_rows(struct state *st, const char *occ_sql, const char *cal_sql, const char *a,
			const char *b, const char *what, const char *label)
{
	const char *sql[2] = {occ_sql, cal_sql};
	long n = 0;
	int rc = 0;

	if (write_begin(st) < 0)
		return -1;
	for (int i = 0; i < 2 && !rc; i++) {
		sqlite3_stmt *s = prep(st, sql[i]);

		if (s) {
			bind_text(s, 1, a);
			if (b)
				bind_text(s, 2, b);
		}
		rc = step_done(st, s, what);
		if (!rc && i == 0)
			n = (long)sqlite3_changes(st->db);
	}
	if (write_end(st, rc, label) < 0)
		return -1;
	return n;
}

long state_forget_source(struct state *st, const char *source)
{
	return source_rows(st, "DELETE FROM occurrences WHERE source = ?1",
			   "DELETE FROM calendars WHERE source = ?1", source, NULL,
			   "cannot forget a calendar", "state: forget");
}

long state_rename_source(struct state *st, const char *from, const char *to)
{
	return source_rows(st, "UPDATE occurrences SET source = ?2 WHERE source = ?1",
			   "UPDATE calendars SET source = ?2 WHERE source = ?1", from, to,
			   "cannot rename a calendar", "state: rename");
}

/* ---- additions for the import pipeline (issue #7 wiring) ------------------------------------ */

int state_set_assocs(struct state *st, const char *source, const char *key, const char *assocs)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	s = prep(st,
		 "UPDATE occurrences SET assocs = ?3 WHERE key = ?1 AND source = ?2 AND" IN_PORTAL);
	if (s) {
		bind_text(s, 1, key);
		bind_text(s, 2, source);
		bind_text(s, 3, assocs);
	}
	rc = step_done(st, s, "cannot record associations");
	return write_end(st, rc, "state: associations");
}

/* The portals row of (api_base, portal_id): 1 and *id, 0 when there is none, or -1. */
static int portal_find(struct state *st, const char *api_base, long long portal_id, long *id)
{
	sqlite3_stmt *s = prep(st, "SELECT id FROM portals WHERE api_base = ?1 AND portal_id = ?2");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, api_base);
	sqlite3_bind_int64(s, 2, portal_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(st, "cannot read the portals");
}

/* Rows without a portal become portal `id`'s (OR IGNORE: one it has already is left behind). */
static int adopt_rows(struct state *st, long id)
{
	static const char *const sql[] = {
		"UPDATE OR IGNORE occurrences SET portal = ?1 WHERE portal = 0",
		"UPDATE OR IGNORE calendars SET portal = ?1 WHERE portal = 0",
		"DROP TABLE unadopted",
	};
	int rc = 0;

	for (size_t i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s = prep(st, sql[i]);

		if (s && i < 2)
			sqlite3_bind_int64(s, 1, id);
		rc = step_done(st, s, "cannot adopt the rows of an older state");
	}
	return rc;
}

int state_use_portal(struct state *st, const char *api_base, long long portal_id,
		     const char *ui_domain)
{
	sqlite3_stmt *s;
	long id = 0;
	int rc;

	if (st->readonly) {
		/* Nothing is written: an unknown portal has no rows (id 0: rows not adopted yet).
		 */
		if (portal_find(st, api_base, portal_id, &id) < 0)
			return -1;
		st->scoped = true;
		st->portal = id;
		return 0;
	}
	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "INSERT INTO portals(api_base, portal_id, last_used, ui_domain)"
		     " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(api_base, portal_id) DO UPDATE SET"
		     " last_used = excluded.last_used,"
		     " ui_domain = coalesce(excluded.ui_domain, ui_domain)");
	if (s) {
		bind_text(s, 1, api_base);
		sqlite3_bind_int64(s, 2, portal_id);
		sqlite3_bind_int64(s, 3, time_now());
		bind_text(s, 4, ui_domain);
	}
	rc = step_done(st, s, "cannot record the portal");
	if (!rc && portal_find(st, api_base, portal_id, &id) != 1)
		rc = -1;
	/*
	 * Rows from before the state knew portals (version 2) belong to the
	 * first portal an import uses them with (docs/state.md); the migration
	 * left the table `unadopted` to say there are such rows.
	 */
	if (!rc) {
		s = prep(st,
			 "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unadopted'");
		rc = s ? sqlite3_step(s) : SQLITE_ERROR;
		sqlite3_finalize(s);
		if (rc == SQLITE_ROW)
			rc = adopt_rows(st, id);
		else
			rc = rc == SQLITE_DONE ? 0 : db_error(st, "cannot read the schema");
	}
	if (!rc) {
		st->scoped = true;
		st->portal = id;
	}
	return write_end(st, rc, "state: portal");
}

void state_scope(struct state *st, long portal)
{
	st->scoped = true;
	st->portal = portal;
}

int state_last_portal(struct state *st, const char *api_base, long long *portal_id)
{
	sqlite3_stmt *s = prep(st, "SELECT portal_id FROM portals WHERE api_base = ?1"
				   " ORDER BY last_used DESC, id DESC LIMIT 1");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, api_base);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*portal_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(st, "cannot read the portals");
}

int state_token_portal(struct state *st, const char *api_base, const char *fingerprint,
		       long long *portal_id, char **ui_domain)
{
	sqlite3_stmt *s =
		prep(st, "SELECT p.portal_id, p.ui_domain FROM tokens t JOIN portals p"
			 " ON p.id = t.portal WHERE t.fingerprint = ?1 AND p.api_base = ?2");
	int rc;

	if (!s)
		return -1;
	bind_text(s, 1, fingerprint);
	bind_text(s, 2, api_base);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*portal_id = sqlite3_column_int64(s, 0);
		if (ui_domain) {
			free(*ui_domain);
			*ui_domain = col_str(s, 1);
		}
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_error(st, "cannot read the portals");
}

int state_token_set(struct state *st, const char *fingerprint)
{
	sqlite3_stmt *s;
	int rc;

	if (!st->scoped)
		BUG("state_token_set before state_use_portal");
	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "INSERT INTO tokens(fingerprint, portal, last_used) VALUES(?1, ?2, ?3)"
		     " ON CONFLICT(fingerprint) DO UPDATE SET portal = excluded.portal,"
		     " last_used = excluded.last_used");
	if (s) {
		bind_text(s, 1, fingerprint);
		sqlite3_bind_int64(s, 2, st->portal);
		sqlite3_bind_int64(s, 3, time_now());
	}
	rc = step_done(st, s, "cannot record the token's portal");
	return write_end(st, rc, "state: token");
}

bool state_portal_checked(struct state *st, const char *api_base, long long portal_id,
			  const char *check_hash)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM portals WHERE api_base = ?1 AND portal_id = ?2"
				   " AND check_hash = ?3");
	bool ok;

	if (!s)
		return false;
	bind_text(s, 1, api_base);
	sqlite3_bind_int64(s, 2, portal_id);
	bind_text(s, 3, check_hash);
	ok = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return ok;
}

int state_portal_set_checked(struct state *st, const char *api_base, long long portal_id,
			     const char *check_hash)
{
	sqlite3_stmt *s;
	int rc;

	if (write_begin(st) < 0)
		return -1;
	s = prep(st, "INSERT INTO portals(api_base, portal_id, check_hash, checked_at)"
		     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (api_base, portal_id) DO UPDATE SET"
		     " check_hash = excluded.check_hash, checked_at = excluded.checked_at");
	if (s) {
		bind_text(s, 1, api_base);
		sqlite3_bind_int64(s, 2, portal_id);
		bind_text(s, 3, check_hash);
		sqlite3_bind_int64(s, 4, time_now());
	}
	rc = step_done(st, s, "cannot record the portal check");
	return write_end(st, rc, "portal check");
}

int state_source_quiet(struct state *st, const char *source, bool shared)
{
	sqlite3_stmt *s =
		prep(st, "SELECT EXISTS(SELECT 1 FROM occurrences WHERE source = ?1 AND" IN_PORTAL
			 "  AND status IN ('pending', 'failed'))"
			 " OR (?2 AND EXISTS(SELECT 1 FROM occurrences a JOIN occurrences b"
			 "  ON a.key = b.key AND b.source <> a.source AND b.portal = a.portal"
			 "  WHERE a.source = ?1 AND a.portal = coalesce(" P_ARG ", a.portal)))");
	int rc, busy = 0;

	if (!s)
		return -1;
	bind_text(s, 1, source);
	sqlite3_bind_int(s, 2, shared);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		busy = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_error(st, "cannot read occurrences");
	return busy ? 0 : 1;
}

int state_touch(struct state *st, const char *source, char *const *keys, size_t n)
{
	sqlite3_stmt *s;
	int64_t now = time_now();
	int rc = 0;

	if (!n)
		return 0;
	if (write_begin(st) < 0)
		return -1;
	s = prep(
		st,
		"UPDATE occurrences SET last_seen = ?3 WHERE key = ?1 AND source = ?2 AND" IN_PORTAL);
	if (!s)
		rc = -1;
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_reset(s);
		bind_text(s, 1, keys[i]);
		bind_text(s, 2, source);
		sqlite3_bind_int64(s, 3, now);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = db_error(st, "cannot record occurrences as seen");
	}
	sqlite3_finalize(s);
	return write_end(st, rc, "state: seen");
}

long state_foreach_created(struct state *st, const char *source, const struct state_window *w,
			   state_row_fn fn, void *data)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *s;
	long n = 0;
	int rc;

	sbuf_adds(&sql, "SELECT key, hubspot_id FROM occurrences WHERE source = ?1"
			" AND status = 'created' AND" IN_PORTAL);
	if (w && w->has_since)
		sbuf_adds(&sql, " AND start_ts >= ?2");
	if (w && w->has_until)
		sbuf_adds(&sql, " AND start_ts < ?3");
	s = prep(st, sql.buf);
	sbuf_release(&sql);
	if (!s)
		return -1;
	bind_text(s, 1, source);
	if (w && w->has_since)
		sqlite3_bind_int64(s, 2, w->since);
	if (w && w->has_until)
		sqlite3_bind_int64(s, 3, w->until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn)
			fn((const char *)sqlite3_column_text(s, 0),
			   (const char *)sqlite3_column_text(s, 1), data);
		n++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(st, "cannot read occurrences");
	return n;
}

const char *state_sqlite_version(void)
{
	return sqlite3_libversion();
}
