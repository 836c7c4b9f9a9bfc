/* run: one pipeline run's state, shared by its steps (pipeline.c and the step modules). */
#ifndef RUN_H
#define RUN_H

/*
 * Internal to the pipeline (pipeline.h is its interface). The steps of one
 * run, each in its file, share this struct:
 *   pipeline.c   options, reading and mapping, the chunk loop, the command
 *   preflight.c  which portal the token belongs to; is it ready for the mapping
 *   pending.c    creates a killed run left unconfirmed, resolved first
 *   sync.c       the plan: state x meetings -> create/update/remove/unchanged
 *   adoption.c   search before create: adopt what HubSpot already holds
 *   apply.c      creates, updates, merges and quiet items sent and confirmed
 *   removals.c   what left the calendar: archived, cancelled or kept
 *   planprint.c  a dry run's plan
 * then state.c remembers and report.c reports. Nothing else includes it.
 */

#include "app.h"
#include "assoc.h"
#include "batch.h"
#include "hubspot.h"
#include "lookup.h"
#include "mapping.h"
#include "meeting.h"
#include "report.h"
#include "state.h"
#include "sync.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One CALENDAR argument of the run. */
struct feed {
	const char *source; /* borrowed from the options: what is opened */
	char *ident; /* calendar_identity(): the calendar's key in the state */
	bool known; /* the state knew this calendar before this run */
	char *display;
	bool loaded; /* read, or known unchanged (304, same content) */
	bool parsed; /* its occurrences are among this run's meetings */
	bool complete; /* read without a bad event: its absences may be judged removals */
	const char *skip_why; /* not read because unchanged: why */
	bool dirty; /* something of it failed: do not remember its content */
	char *etag, *last_modified, *content_hash; /* to remember once all went well */
	long nmeetings;
	long lost; /* occurrences not imported (rules too frequent): removes nothing */
};

/* Occurrences that failed with the same message: one line with a count (the report has all). */
struct fail_group {
	char *why;
	char *first; /* "where: key" of the first */
	long n;
};

/* batch_create() calls on_pending per request: meetings of one request form a set. */
struct pending_set {
	size_t left; /* results still to come */
	bool answered; /* the first result came */
};

struct run {
	const struct app_options *o;
	struct mapping *map;
	struct report *rep;
	struct state *st; /* NULL with --no-state (and dry runs without a state) */
	long run_id;
	struct hs_client *client;
	char *token;
	bool shared_client; /* client and token are the caller's (sync: one per portal) */

	struct meeting *ms; /* the mapped occurrences of this chunk (skipped ones too) */
	size_t n, cap;
	bool stream; /* plan and send in chunks (one calendar, not a dry run) */
	size_t chunk; /* meetings per chunk when streaming */
	size_t nread; /* occurrences mapped so far (progress) */
	uint64_t *seen; /* streaming: open-addressing set of hash64(key) of every meeting */
	size_t seen_cap, seen_n;
	size_t nchunk_meetings; /* streaming: meetings planned in earlier chunks */
	bool plan_failed; /* the state could not be read for a plan */
	bool preflight_done, preflight_failed;
	bool preflight_cached; /* the pre-flight's pass came from the state */
	bool rechecked; /* the pre-flight was checked again after a configuration error */
	size_t refused_removals; /* removals a safety valve held back */
	struct meeting **ptrs;
	uint64_t *hashes;
	char **ids; /* per meeting: its HubSpot id once known in this run */
	struct assoc *statics; /* --associate */
	size_t nstatics;

	struct feed *feeds;
	size_t nfeeds;
	const char *reading; /* source being read, for on_occurrence */
	long bad_events;
	long max_occurrences; /* IMPORT_MAX_OCCURRENCES */
	bool capped; /* the run reached max_occurrences: reading stopped */
	long lost_series; /* series not imported (FREQ=SECONDLY/MINUTELY) */
	char *lost_uid; /* the last one warned about */
	char *config_hash;

	const struct sync_plan *plan;
	struct claim_of_source {
		char *source, *claim;
	} * claims; /* each calendar's claim id (claims.h) */
	size_t nclaims, claims_cap;
	char **adopted; /* per plan item: the HubSpot id found by identity (search before create) */
	size_t nadopted;
	size_t lookups; /* search requests made before creating */
	struct lookup *by_identity, *by_ical_uid; /* search before create: probed once a run */
	long *set_of; /* per meeting: its pending set, -1 */
	struct pending_set *sets;
	size_t nsets, sets_cap;
	size_t txn_writes; /* confirmations in the open txn (updates, removals) */

	struct state_run_counts counts;
	long failed; /* occurrences that failed (report) */
	long state_errors;
	bool stopped; /* HubSpot stopped the run (or an interruption did) */
	int interrupted; /* SIGINT or SIGTERM received: nothing more is sent, 0 when none */
	long not_sent; /* occurrences the interruption left unsent (or not compared) */
	enum hs_result stop;
	long long portal; /* the portal the token belongs to (pre-flight), 0 before */
	char *ui_domain; /* the portal's uiDomain (account-info), or NULL */
	struct fail_group *fails; /* failed occurrences by message, printed once each at the end */
	size_t nfails, fails_cap;
	char *check_hash; /* what the pre-flight checked: identity + mapped property names */
};

/* ---- shared by the steps (pipeline.c) ---- */
struct feed *feed_of(struct run *r, const char *source);
void mark_dirty(struct run *r, const char *source);
/* the HubSpot answer that stops the run (401, 403, daily limit), noted once */
void note_stop(struct run *r, enum hs_result hr);
bool refused(const struct run *r);
/* Ctrl-C or kill came (util_interrupted): the run stops sending (r->stopped); true from then on. */
bool check_interrupt(struct run *r);
/* An occurrence the interruption left unsent: counted and reported, not a failure. */
bool interrupted_not_sent(struct run *r, const char *why);
/* the run's set of keys seen (streaming): hash64 of the key, and whether it was seen */
uint64_t key_hash(const char *key);
bool seen_has(const struct run *r, uint64_t h);
/* state writes grouped into one transaction per batch answer */
void txn_begin(struct run *r);
void txn_commit(struct run *r);
void txn_count(struct run *r);
/* the claim id of calendar `source` (claims.h), or NULL: no state, or a dry run */
const char *claim_for(struct run *r, const char *source);
/* the batch options of this run (progress, dry run) with the result callback fn */
struct batch_options batch_opts(struct run *r, batch_result_fn fn);
/* the window the planner judges removals in (--since/--until, the expansion horizon) */
void plan_window(const struct run *r, struct sync_input *in);

/* ---- preflight.c ---- */
/* Which portal the token belongs to (the state's rows used are that portal's); 0, or -1. */
int use_portal(struct run *r);
/* The portal ready for the mapping (identity property, mapped properties); cached in the state. */
int preflight(struct run *r);
/* After a configuration error from HubSpot: look at the portal again, once a run. */
bool recheck_portal(struct run *r);
/* HubSpot stopped the run with hr. */
void stop_with(struct run *r, enum hs_result hr);

/* ---- pending.c ---- */
/* Creates a killed run left pending: found in HubSpot (confirmed) or known never made. */
enum hs_result resolve_pending(struct run *r);

/* ---- apply.c ---- */
/* Apply a plan: adopt, create, update, merge, remove; or print it (dry run). */
void apply_plan(struct run *r, struct sync_plan *plan);
/* The failed occurrences, one line per message with a count. */
void print_failures(struct run *r);

/* ---- planprint.c ---- */
/* A dry run: the plan, one line per occurrence. */
void print_plan(struct run *r);

/* ---- adoption.c: search before create ---- */
/* Plan items to create whose meeting HubSpot already holds (by identity): adopted, not created. */
void adopt_existing(struct run *r, struct sync_plan *p);
/* Plan items to create that HubSpot's own calendar sync already logged (hubspot_synced:). */
void find_hubspot_synced(struct run *r, struct sync_plan *p);

/* ---- removals.c: what left the calendar ---- */
/* Archive, cancel or keep the plan's removals (on_removed:), behind the safety valves. */
void apply_removals(struct run *r);
/* A streamed run: the removals once every chunk was seen (the state's rows not seen). */
void apply_streamed_removals(struct run *r);

#endif
