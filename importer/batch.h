/* batch: submit meetings to HubSpot in batches of at most 100, accounting for every input. */
#ifndef BATCH_H
#define BATCH_H

/*
 * Ownership: meetings and ids are borrowed for the duration of a call; the
 * batch_result handed to on_result (and its strings) lives only during the
 * callback. The batch functions drive the client's concurrent calls
 * themselves: do not interleave them with other hs_submit() users.
 */

#include "hubspot.h"
#include "meeting.h"

#include <stddef.h>
#include <stdint.h>

enum batch_status {
	BATCH_CREATED,
	BATCH_FOUND, /* an earlier create whose answer was lost: found by identity, not re-created
		      */
	BATCH_UPDATED,
	BATCH_ARCHIVED,
	BATCH_FAILED, /* HubSpot refused this input (message, category) */
	BATCH_NOT_SENT, /* the run stopped (auth, daily limit) before this input was sent */
};
/* "created", "found", "updated", "archived", "failed", "not sent". */
const char *batch_status_name(enum batch_status s);

struct batch_result {
	struct meeting *m; /* NULL for archive */
	const char *id; /* HubSpot meeting id (created, found, updated, archived), else NULL */
	enum batch_status status;
	const char *message; /* why it failed / was not sent, or how it was found; else NULL */
	const char *category; /* HubSpot's category when it refused it, else NULL */
};

typedef void (*batch_result_fn)(const struct batch_result *r, void *data);
/*
 * Called just before a batch/create with these meetings is sent (also before
 * a re-send of those an ambiguous create did not store), with the
 * objectWriteTraceId of each (meeting_trace_id). The state records them as
 * pending here; returning -1 stops the run before anything is sent.
 */
typedef int (*batch_pending_fn)(struct meeting *const *ms, size_t n, void *data);

struct batch_options {
	const char *identity_property; /* meeting property holding meeting->key; NULL:
					  "ics2hubspot_key" */
	batch_pending_fn on_pending; /* may be NULL */
	batch_result_fn on_result; /* called exactly once per input */
	void *data;
	/*
	 * Resolution of ambiguous creates (search is eventually consistent):
	 * searches per batch before concluding "not created", and the delay
	 * before the second search (doubling). 0: 4 searches, 2000 ms, or the
	 * test hooks ICS2HUBSPOT_RESOLVE_TRIES / ICS2HUBSPOT_RESOLVE_DELAY_MS.
	 */
	int resolve_tries;
	int resolve_delay_ms;
	int max_inputs; /* per request; 0: 100 (test hook ICS2HUBSPOT_BATCH_SIZE) */
	size_t max_body_bytes; /* per request; 0: 3 MB */
	/*
	 * Send one request and wait for its answer before the others go out (the
	 * first batch of a run whose pre-flight came from the state's cache: a
	 * property deleted since refuses one batch, not as many as are in flight).
	 */
	bool first_alone;
	/*
	 * A create's claim (claims.h): the claims property a new meeting starts
	 * with (NULL: none). Sent with the create only, never with an update.
	 */
	const char *(*claim_of)(const struct meeting *m, void *data);
	void *claim_data;
};

/*
 * Create every meeting (properties + resolved associations). Every input ends
 * in exactly one on_result call. An ambiguous create (HS_UNKNOWN_OUTCOME) is
 * never blindly resent: its meetings are looked up by identity first and only
 * the missing ones are created again. A whole-batch 400 is bisected so that
 * only the bad inputs fail. Returns HS_OK when the run may go on (even with
 * failed inputs), or the reason it must stop (HS_AUTH, HS_DAILY_LIMIT,
 * HS_FAILED), after printing it; inputs not sent then get BATCH_NOT_SENT.
 */
enum hs_result batch_create(struct hs_client *c, struct meeting **ms, size_t n,
			    const struct batch_options *o);

/*
 * HubSpot's PROPERTY_VALUE_NORMALIZED warnings seen by this process (each
 * property shown once when first seen): the i-th property and its count;
 * false past the last. batch_normalized_reset() forgets them.
 */
bool batch_normalized(size_t i, const char **name, size_t *count);
void batch_normalized_reset(void);

/*
 * Update meetings ids[i] with ms[i]'s properties (batch/update). Same
 * accounting; an id HubSpot does not know fails with category OBJECT_NOT_FOUND.
 */
enum hs_result batch_update(struct hs_client *c, struct meeting **ms, char *const *ids, size_t n,
			    const struct batch_options *o);

/*
 * Archive meetings by id (batch/archive). A meeting already gone counts as
 * archived. on_result gets m = NULL and id = ids[i].
 */
enum hs_result batch_archive(struct hs_client *c, char *const *ids, size_t n,
			     const struct batch_options *o);

/*
 * Look meetings up by identity (batch_search_property on identity_property).
 * ids_out[i] gets a new string or NULL (the oldest record when HubSpot holds
 * several). No waiting for eventual consistency: a record created moments ago
 * may be missed.
 */
enum hs_result batch_find_by_identity(struct hs_client *c, const char *identity_property,
				      char *const *keys, size_t n, char **ids_out);

/*
 * Meetings whose `property` is one of values[0..n): one search request (plus
 * pages) per 100 distinct values, an IN filter with the values lower-cased (as
 * HubSpot wants for string properties), the returned values compared exactly
 * (UIDs are case-sensitive). The requests are in flight together, as many as
 * the client sends at once, paced by its search limiter (a request's pages
 * follow each other, 10,000 results at most); a search the client gave up on
 * after its 429s is asked again, a few times. hits_out[i] gets a cJSON array of
 * the matching results ({"id", "properties": {property, props...}}), in no
 * particular order, or NULL; the caller cJSON_Delete()s them. *requests (may be
 * NULL) counts the requests asked (pages included, retries not). Uses
 * hs_submit()/hs_next(): nothing else may be outstanding on the client.
 */
enum hs_result batch_search_property(struct hs_client *c, const char *property,
				     const char *const *values, size_t n, const char *const *props,
				     size_t nprops, cJSON **hits_out, size_t *requests);

/*
 * HubSpot's list in a refusal's message ("Property values were not valid:
 * [{"isValid":false,"message":...,"error":CODE,"name":PROPERTY}, ...]"),
 * parsed: a cJSON array (cJSON_Delete it), or NULL when `msg` holds none.
 */
cJSON *batch_invalid_values(const char *msg);

/* Run-wide counters, for the progress line and the summary. */
struct batch_progress {
	size_t total; /* inputs handed to batch_* */
	size_t sent; /* inputs sent at least once */
	size_t created, found, updated, archived, failed, not_sent;
	int64_t started_ms;
};
const struct batch_progress *batch_progress_get(void);
/* Occurrences read so far, for the progress line (optional). */
void batch_progress_set_read(size_t n);
/* The phase the progress line names on a terminal ("sending", "removing"; NULL: none). */
void batch_progress_phase(const char *phase);
/* Erase the progress line (terminal) so a summary can follow. */
void batch_progress_end(void);

#endif
