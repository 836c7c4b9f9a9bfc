/* state: the local sync state (SQLite) — what was created in HubSpot, per calendar and occurrence.
 */
#ifndef STATE_H
#define STATE_H

/*
 * One database holds several calendars (sources). Design, schema and crash
 * safety: docs/state.md. This is the only module that includes <sqlite3.h>.
 *
 * Ownership (util.h rule): rows and lists filled by a state_* function belong
 * to the caller (release them with state_row_release / state_rows_release /
 * ...); `const char *` arguments are only read during the call.
 *
 * Errors: functions return 0 (or a count / 1 = found), or -1 after printing
 * "error: state '<path>': <what>" (util.h error()).
 *
 * Durability: every write is a transaction committed with synchronous=FULL
 * (WAL). Several writes can be grouped into one commit with state_txn_begin()
 * / state_txn_commit() — do that for the confirmations of a whole batch.
 * state_mark_pending() always commits on its own (see there).
 */

#include "meeting.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state; /* opaque: an open database + its lock */

/* Status of an occurrence row (column occurrences.status). */
enum state_status {
	STATE_PENDING, /* a create was (maybe) sent; not confirmed: resolve before creating again */
	STATE_CREATED, /* exists in HubSpot as hubspot_id, with content hash `hash` */
	STATE_FAILED, /* the last create/update failed (last_error); hubspot_id kept if known */
	STATE_ARCHIVED, /* removed from the calendar; archived in HubSpot */
	STATE_CANCELLED, /* removed from the calendar; hs_meeting_outcome set to CANCELED */
	STATE_KEPT, /* removed from the calendar; left as is in HubSpot (on_removed: keep) */
	STATE_DELETED, /* "deleted_in_hubspot": HubSpot answered OBJECT_NOT_FOUND; not sent again
			  (unless --recreate-deleted) */
};
#define STATE_NSTATUS 7

/* "pending", "created", ...; parse returns 0, or -1 for an unknown name. */
const char *state_status_name(enum state_status s);
int state_status_parse(const char *name, enum state_status *out);

/* One row of table occurrences: the state of (source, key). Strings may be NULL. */
struct state_row {
	char *key; /* occurrence_key(): "UID" or "UID#RECURRENCE-ID" */
	char *source; /* calendar identity: name, "-", URL or canonical path (redact before
			 printing) */
	char *uid;
	char *recurrence_id;
	char *start; /* meeting->start: "2024-03-01T09:30:00Z" or "2024-03-01" */
	char *hubspot_id; /* HubSpot meeting id once known */
	char *hash; /* meeting_hash() as 16 hex digits (hash64_hex) of what HubSpot holds */
	enum state_status status;
	char *trace_id; /* objectWriteTraceId of the last create sent */
	int64_t first_seen; /* epoch seconds */
	int64_t last_seen;
	long created_run; /* run that sent the create, 0 when none */
	long changed_run; /* run that last changed the row's meeting or status, 0 when none */
	char *last_error;
	char *assocs; /* associations last sent (meeting_associations_json() text), or NULL */
	long portal; /* the state's portal reference (0: a row from before portals, not adopted) */
	long long portal_id; /* HubSpot's portal id: state_rows_by_key() only, 0 when unknown */
};
void state_row_release(struct state_row *r);

struct state_rows {
	struct state_row *v;
	size_t n;
};
void state_rows_release(struct state_rows *rows);

/*
 * Default database: $XDG_STATE_HOME/ics2hubspot/state.db, else
 * $HOME/.local/state/ics2hubspot/state.db. NULL (with a message) when
 * neither variable is set.
 */
char *state_default_path(void);

/* state_open() results besides 0 and -1. */
#define STATE_LOCKED (-4) /* another process holds the lock (the CLI exits EXIT_LOCKED) */

/* state_open() flags. */
#define STATE_OPEN_READONLY 1u /* no lock, no creation, no writes (state list/show) */

/*
 * Open (creating when needed) the state database at `path` and take the run
 * lock: an fcntl(F_SETLK) write lock on "<canonical path>.lock" (symlinks
 * resolved, so every path naming one file takes one lock; the lock file is
 * opened O_NOFOLLOW and must be a regular file), held until state_close() and
 * dropped by the kernel if the process dies. A new state is created at the
 * canonical path (a symlink's target), never over a symlink. Missing
 * directories are created 0700; the database (and its -wal/-shm) 0600.
 * Returns 0 and *out, STATE_LOCKED (message printed) when another process
 * holds the lock, or -1. fcntl locks are per process: do not open the same
 * state twice in one process.
 * With STATE_OPEN_READONLY the lock is not taken and the database must exist.
 */
int state_open(const char *path, unsigned flags, struct state **out);
/* Close the database and release the lock. Rolls back an open state_txn. NULL is fine. */
void state_close(struct state *st);
const char *state_path(const struct state *st); /* borrowed */

/*
 * Group writes into one transaction (one fsync). Nesting is not supported.
 * state_txn_commit() counts one state_step(). Without a txn, every write
 * commits on its own.
 */
int state_txn_begin(struct state *st);
int state_txn_commit(struct state *st);

/* ---- runs ------------------------------------------------------------------------------ */

/* Record a new run (status "running"). `sources`: e.g. sources joined by
 * newlines (redacted by the caller); `argv_summary`: options, never the token. */
int state_begin_run(struct state *st, const char *sources, const char *argv_summary, long *run_id);

struct state_run_counts {
	long created, updated, archived, failed;
};
/* Close run `run_id`: finished_at = now, counts, status ("done", "partial", "failed", "dry-run").
 */
int state_finish_run(struct state *st, long run_id, const struct state_run_counts *c,
		     const char *status);

struct state_run {
	long id;
	int64_t started_at, finished_at; /* finished_at 0 while running (or killed) */
	char *sources;
	char *argv_summary;
	struct state_run_counts counts;
	char *status;
	char *calendar, *portal; /* the --name and the configuration's portal, or NULL */
	int exit_code; /* -1: not recorded (running, killed, or an older run) */
	char *why; /* a failed run's first error, or NULL */
};
/* Record what `state runs` shows of run `run_id`: calendar, portal, exit code, why. */
int state_run_outcome(struct state *st, long run_id, const char *calendar, const char *portal,
		      int exit_code, const char *why);
void state_runs_release(struct state_run *runs, size_t n);
/* Every run, oldest first. */
int state_list_runs(struct state *st, struct state_run **out, size_t *n);

/* ---- calendars (feed info, for ICS URLs: ETag / Last-Modified) ---------------------------- */

struct state_feed {
	char *etag;
	char *last_modified;
	char *content_hash;
	int64_t last_run; /* 0 when never */
	int64_t last_success; /* 0 when never */
};
void state_feed_release(struct state_feed *f);
/* Returns 1 and *out when the source is known, 0 (zeroed *out) when not, or -1. */
int state_feed_get(struct state *st, const char *source, struct state_feed *out);
/*
 * Record a fetch of `source`: last_run = now, and when `success` also
 * last_success = now and etag / last_modified / content_hash (NULL clears).
 * A failed fetch keeps the previous validators.
 */
int state_feed_set(struct state *st, const char *source, const char *etag,
		   const char *last_modified, const char *content_hash, bool success);

/* ---- occurrences: reading ------------------------------------------------------------------ */

/* Returns 1 and *out for the row (source, key), 0 when absent, or -1. */
int state_get(struct state *st, const char *source, const char *key, struct state_row *out);
/*
 * The row that says which HubSpot meeting `key` is, from any source (the same
 * meeting imported from two calendars is one meeting): a row with a
 * hubspot_id and status created, else cancelled/kept/failed (with an id),
 * else a pending row. Returns 1 and *out, 0 when there is none, or -1.
 */
int state_find_meeting_by_key(struct state *st, const char *key, struct state_row *out);
/* Every row for `key`, from every source (`state show KEY`). */
int state_rows_by_key(struct state *st, const char *key, struct state_rows *out);
/*
 * `state show`: the rows of `key`, and when it is a series' UID the rows of its
 * occurrences (UID#RECURRENCE-ID) too: key's own rows first, then by start.
 */
int state_rows_by_key_or_uid(struct state *st, const char *key, struct state_rows *out);

/* A run window: occurrences starting in [since, until). */
struct state_window {
	bool has_since, has_until;
	int64_t since, until;
};
/*
 * Rows of `source` (NULL: every source), ordered by source, start, key. With
 * `w`, only rows whose start lies in the window (rows whose start cannot be
 * parsed are left out of a bounded window).
 */
int state_list_rows(struct state *st, const char *source, const struct state_window *w,
		    struct state_rows *out);
/*
 * What sync_plan() needs as `rows`: every row of the given sources, plus the
 * rows of other sources that share a key with one of `ms` (duplicates across
 * calendars).
 */
int state_rows_for_plan(struct state *st, const char *const *sources, size_t nsources,
			struct meeting *const *ms, size_t n, struct state_rows *out);
/*
 * Rows of `source` streamed through keep(row, data) (ordered by start, key);
 * only those it returns true for are collected into *out, so that memory
 * follows what is kept, not the calendar's size. Returns 0 or -1.
 */
typedef bool (*state_keep_fn)(const struct state_row *r, void *data);
int state_select_rows(struct state *st, const char *source, state_keep_fn keep, void *data,
		      struct state_rows *out);
/* Rows still pending (source NULL: every source), oldest first: resolve these first. */
int state_list_pending(struct state *st, const char *source, struct state_rows *out);
/* Rows whose create was sent by run `run_id` and that have a HubSpot id (`state undo --run N`). */
int state_rows_created_by_run(struct state *st, long run_id, struct state_rows *out);

/* Per calendar counts (`state list`). */
struct state_summary {
	char *source;
	long portal; /* the state's reference, 0: rows from before portals (not adopted yet) */
	long long portal_id; /* HubSpot's portal id, 0 when unknown */
	char *api_base; /* the portal's API base, NULL when unknown */
	long count[STATE_NSTATUS]; /* rows per enum state_status */
	int64_t last_run, last_success; /* from calendars; 0 when never */
};
void state_summaries_release(struct state_summary *s, size_t n);
/* One entry per (source, portal) with rows or feed info, ordered by source, portal. */
int state_summarize(struct state *st, struct state_summary **out, size_t *n);

/* ---- occurrences: writing ------------------------------------------------------------------ */

/*
 * Intent before effect (mbsync's TUID rule): record ms[0..n) as pending, with
 * their objectWriteTraceId (meeting_trace_id) and meeting_hash, BEFORE the
 * batch/create carrying them is sent. One transaction, committed durably on
 * its own even inside a state_txn (the open txn is committed first and
 * reopened after), so that after any crash the next run finds these rows
 * pending and looks them up instead of creating them twice.
 * Clears hubspot_id (a pending row is a new meeting) and sets created_run.
 * Matches batch.h batch_pending_fn: call it from there.
 */
int state_mark_pending(struct state *st, long run_id, struct meeting *const *ms, size_t n);
/*
 * The meeting `m` (source, key) is known to be HubSpot meeting `hubspot_id`
 * holding content `hash`: after a create, an update, a found create, or for an
 * unchanged or merged occurrence (also inserts the row of a second calendar).
 * Sets status created, last_seen = now; changed_run = run_id when the hash or
 * the status changed.
 */
int state_confirm(struct state *st, long run_id, const struct meeting *m, const char *hubspot_id,
		  uint64_t hash);
/*
 * Outcome of looking up a pending row (source, key) that has no meeting in
 * this run: found (`hubspot_id`) → status created; not found (NULL) → the
 * create never happened, the row is deleted. Returns 0, or -1.
 */
int state_resolve(struct state *st, long run_id, const char *source, const char *key,
		  const char *hubspot_id);
/*
 * HubSpot no longer has the meeting of `m` (an update answered OBJECT_NOT_FOUND):
 * status deleted_in_hubspot (the id is kept, for the record); the planner sends
 * nothing for it again unless --recreate-deleted.
 */
int state_mark_deleted(struct state *st, long run_id, const struct meeting *m);
/* A create or update of `m` failed: status failed, last_error = message (the id is kept). */
int state_mark_failed(struct state *st, long run_id, const struct meeting *m, const char *message);
/* Row (source, key) left the calendar and was handled: `status` is STATE_ARCHIVED, _CANCELLED or
 * _KEPT; or STATE_DELETED: HubSpot no longer has its meeting (an update or a cancel answered
 * OBJECT_NOT_FOUND). */
int state_mark_removed(struct state *st, long run_id, const char *source, const char *key,
		       enum state_status status);
/* Delete every row and the feed info of `source`. Returns the number of rows deleted, or -1. */
long state_forget_source(struct state *st, const char *source);
/*
 * Every row and the feed info of `from` now belong to `to` (which must not be a
 * calendar of the state yet: the caller checks). Returns the rows moved, or -1.
 */
long state_rename_source(struct state *st, const char *from, const char *to);

/*
 * Record the associations HubSpot holds for row (source, key): the text of
 * meeting_associations_json() as last sent (NULL clears). The next update
 * diffs against it (assoc_sync) so that associations follow the attendees.
 */
int state_set_assocs(struct state *st, const char *source, const char *key, const char *assocs);
/*
 * May `source` be skipped when its content did not change (HTTP 304, same
 * content hash)? 1 when none of its rows is pending or failed and, with
 * `shared` (the run has other calendars), none shares a key with another
 * source (a shared meeting's contacts are the union of both calendars: it
 * must be planned with them); 0 when not; -1 on error.
 */
int state_source_quiet(struct state *st, const char *source, bool shared);

/*
 * A state holds several portals side by side: a portal is (api_base,
 * portal_id). state_use_portal() records the portal (last used now; its
 * uiDomain when not NULL, given back by state_token_portal()) and scopes
 * every later read and write of calendars and occurrences to it; rows from
 * before version 3 (no portal) are adopted by the first portal used. Without
 * it (state commands), reads see every portal and writes go to portal 0.
 * Read-only: only scopes (an unknown portal has no rows).
 */
int state_use_portal(struct state *st, const char *api_base, long long portal_id,
		     const char *ui_domain);
/* Scope to the portal reference of a row (state_row.portal): state undo. */
void state_scope(struct state *st, long portal);
/* The portal last used at api_base: 1 and *portal_id, 0 when none, or -1. */
int state_last_portal(struct state *st, const char *api_base, long long *portal_id);
/*
 * Which portal does the token with `fingerprint` (portal_token_fingerprint():
 * a hash, never the token) at api_base belong to? 1 and *portal_id, 0 when not
 * known, or -1. state_token_set() records it for the portal in use.
 */
int state_token_portal(struct state *st, const char *api_base, const char *fingerprint,
		       long long *portal_id, char **ui_domain);
int state_token_set(struct state *st, const char *fingerprint);

/*
 * The import pre-flight's cache: did portal `portal_id` at `api_base` pass the
 * pre-flight for the mapping whose properties hash to `check_hash`? Set it after
 * a pass; set NULL to forget it (HubSpot answered with a configuration error).
 */
bool state_portal_checked(struct state *st, const char *api_base, long long portal_id,
			  const char *check_hash);
int state_portal_set_checked(struct state *st, const char *api_base, long long portal_id,
			     const char *check_hash);

/*
 * Rows (source, keys[i]) were seen unchanged in this run: last_seen = now,
 * nothing else (the cheap form of state_confirm() for a quiet re-run: one
 * prepared statement for all of them). Missing rows are ignored.
 */
int state_touch(struct state *st, const char *source, char *const *keys, size_t n);

/*
 * Call fn(key, hubspot_id, data) for every row of `source` with status created
 * (in window `w` when given), without copying rows: the cheap listing of a
 * calendar that is not read again. The strings live during the call only.
 * Returns the number of rows, or -1.
 */
typedef void (*state_row_fn)(const char *key, const char *hubspot_id, void *data);
long state_foreach_created(struct state *st, const char *source, const struct state_window *w,
			   state_row_fn fn, void *data);

/* ---- test-only crash hook ------------------------------------------------------------------ */

/*
 * TEST ONLY (mbsync's -Ts<N>): when the environment variable
 * ICS2HUBSPOT_ABORT_AFTER=N is set, the process kills itself with SIGKILL
 * (exit status 137 in the shell; no cleanup, as kill -9) right after the N-th
 * durable step. state.c
 * calls this after every committed transaction; the batcher calls it after
 * every HTTP request. `what` names the step (printed on stderr when dying).
 * A no-op when the variable is unset. Returns the number of steps so far.
 */
long state_step(const char *what);
/* TEST ONLY: re-read ICS2HUBSPOT_ABORT_AFTER and restart the step count at 0. */
void state_step_reset(void);

/* The SQLite version in use (runtime; borrowed). */
const char *state_sqlite_version(void);

#endif
