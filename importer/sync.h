/* sync: the planner — this run's meetings × the state → what to do with each occurrence, and why.
 */
#ifndef SYNC_H
#define SYNC_H

/*
 * Pure: no I/O, no clock, no network. sync_plan() reads its input and returns
 * a plan; the caller applies it (batch_create/update/archive) and records the
 * outcomes in the state. Meetings and rows are borrowed by the plan: keep
 * them alive (and unchanged) until sync_plan_release().
 *
 * Typical wiring (pipeline.c, apply.c):
 *   1. map every occurrence; sync_merge_duplicates(ms, n) (before associations are resolved)
 *   2. resolve associations; hashes[i] = meeting_hash(ms[i])
 *   3. optional: resolve leftover pending rows first (state_list_pending → batch_find_by_identity
 *      → state_resolve), so the plan holds no RESOLVE
 *   4. state_rows_for_plan(); sync_plan(); print it for --dry-run
 *   5. apply, per item action (see enum sync_action), recording outcomes in the state.
 */

#include "mapping.h"
#include "meeting.h"
#include "state.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum sync_action {
	/* New in HubSpot: state_mark_pending, batch_create, then state_confirm / state_mark_failed.
	 */
	SYNC_CREATE,
	/* Exists (hubspot_id) with other content: batch_update, then state_confirm(hash). */
	SYNC_UPDATE,
	/* Exists with the same content: send nothing; state_confirm(hubspot_id, hash) (last_seen).
	 */
	SYNC_UNCHANGED,
	/*
	 * Gone from its calendar inside the window: per remove_mode, ARCHIVE →
	 * batch_archive, CANCEL → batch_update hs_meeting_outcome=CANCELED, KEEP →
	 * nothing sent; then state_mark_removed(ARCHIVED / CANCELLED / KEPT).
	 */
	SYNC_REMOVE,
	/* Nothing to do (a mapping filter skipped it): send nothing, record nothing. */
	SYNC_SKIP,
	/*
	 * A create from an earlier run was never confirmed (row pending, trace_id):
	 * look it up by identity (batch_find_by_identity) before anything is
	 * created. Found → state_confirm (meeting) or state_resolve(id) (no
	 * meeting), then update if `hash` differs from row->hash; not found → create
	 * the meeting (when there is one) or state_resolve(NULL).
	 */
	SYNC_RESOLVE,
	/*
	 * Same key as item `primary` (another calendar, issue #7 item 6): one
	 * HubSpot meeting. Send nothing; once item `primary` has an id, record
	 * this one with state_confirm(meeting, id, hash) too.
	 */
	SYNC_MERGE,
};
#define SYNC_NACTIONS 7

/* "create", "update", "unchanged", "remove", "skip", "resolve", "merge". */
const char *sync_action_name(enum sync_action a);

struct sync_item {
	enum sync_action action;
	enum on_removed remove_mode; /* SYNC_REMOVE only */
	struct meeting *meeting; /* this run's meeting; NULL for REMOVE and RESOLVE without one */
	const struct state_row *row; /* the state row the decision rests on, or NULL (new) */
	const char *key; /* never NULL */
	const char *source; /* never NULL; redact before printing */
	const char *start; /* may be NULL */
	const char *summary; /* may be NULL */
	const char *hubspot_id; /* the HubSpot meeting when known (UPDATE, UNCHANGED, REMOVE,
				   MERGE...) */
	uint64_t hash; /* the meeting's hash (meeting items; for MERGE the primary's) */
	long primary; /* MERGE, and REMOVE of a meeting already removed by
			 another item: that item's index; else -1 */
	char *reason; /* why, for people: never NULL, owned by the plan */
};

struct sync_plan {
	struct sync_item *items; /* meetings in input order, then removals and leftover pendings */
	size_t nitems;
	size_t count[SYNC_NACTIONS]; /* items per action */
	char **messages; /* plan-level: safety valves that held (or were forced) */
	size_t nmessages;
	size_t refused_removals; /* removals a safety valve stopped */
};

/* One calendar of the run. */
struct sync_feed {
	const char *source;
	bool loaded; /* false: the feed failed to load, nothing of it is judged removed */
	/*
	 * When the caller plans in chunks (import streams a large calendar): the
	 * feed's meetings planned in earlier chunks (not in `meetings`), and, with
	 * has_base, how many of its rows count for the safety valve
	 * (sync_row_counts()) when `rows` holds only those not seen this run.
	 */
	size_t earlier_meetings;
	bool has_base;
	size_t base;
};

struct sync_input {
	struct meeting *const *meetings; /* mapped; skipped ones carry skip_reason */
	const uint64_t *hashes; /* meeting_hash(meetings[i]), after association resolution */
	size_t nmeetings;
	const struct state_row *rows; /* state_rows_for_plan(): all rows of the feeds' sources,
					 plus other sources' rows sharing a key */
	size_t nrows;
	const struct sync_feed *feeds; /* the run's calendars: only their rows can be removed */
	size_t nfeeds;
	bool has_since, has_until; /* the run window [since, until) */
	int64_t since, until;
	enum on_removed on_removed; /* mapping_on_removed() */
	bool force; /* --force: let the safety valves pass (not a failed feed) */
	bool recreate_deleted; /* --recreate-deleted: a deleted_in_hubspot row → CREATE, else SKIP
				*/
	int max_remove_percent; /* 0: default 20 */
	long max_remove_count; /* 0: default 10 */
};

#define SYNC_DEFAULT_MAX_REMOVE_PERCENT 20
#define SYNC_DEFAULT_MAX_REMOVE_COUNT	10

/*
 * Compute the plan for `in` into *out (sync_plan_release() it).
 *
 * Meetings: skipped → SKIP; a later meeting with an earlier one's key → MERGE;
 * any pending row for the key → RESOLVE; a row with a HubSpot id (own
 * calendar first, else another calendar's) → UNCHANGED when row->hash is the
 * meeting's hash and the row is created/kept, else UPDATE; otherwise (no row,
 * archived, failed create) → CREATE.
 *
 * Removals: a row of a feed in `feeds` whose key this run did not see, with a
 * HubSpot id and status created or failed, and whose start is inside the
 * window → REMOVE per on_removed; KEEP instead when the same meeting is still
 * in another calendar. Safety valves, per calendar: a feed that failed to load
 * removes nothing (even with force: we know nothing of it); a feed with no
 * meeting at all in this run, or removals above max_remove_percent of its
 * rows in the window AND above max_remove_count, remove nothing unless force.
 * Each valve adds a message. Pending rows not matched by a meeting → RESOLVE
 * without a meeting.
 *
 * Returns 0 (-1 only for an input that breaks the contract, with a message).
 */
int sync_plan(const struct sync_input *in, struct sync_plan *out);
void sync_plan_release(struct sync_plan *p);
/* Does row r count in its feed's base for the removal safety valve (live, start in the window)? */
bool sync_row_counts(const struct sync_input *in, const struct state_row *r);

/*
 * Issue #7 item 6: for every key seen more than once among ms (not skipped),
 * add the contact e-mails (with their contact_names), company domains and
 * associations of the later ones to the first (no duplicates). Call before resolving associations
 * and hashing. The later ones are left as they are (the plan marks them MERGE). Returns how many
 * meetings were merged into another.
 */
size_t sync_merge_duplicates(struct meeting *const *ms, size_t n);

/*
 * For --dry-run: the plan as a table (ACTION, KEY, START, SOURCE, TITLE, REASON;
 * sources redacted; then the counts and the messages) appended to `out`.
 * `all` false leaves out UNCHANGED and SKIP lines (they are still counted).
 */
void sync_plan_format_table(const struct sync_plan *p, bool all, struct sbuf *out);
/*
 * The plan as JSON: {"counts": {"create": n, ...}, "refused_removals": n,
 * "messages": [...], "items": [{"action", "key", "source" (redacted), "start",
 * "summary", "hubspot_id", "remove_mode", "reason"}]}. Caller cJSON_Delete()s.
 */
cJSON *sync_plan_to_json(const struct sync_plan *p);

#endif
