/* batch: submit meetings to HubSpot in batches of at most 100, accounting for every input. */
#ifndef BATCH_H
#define BATCH_H

#include "hubspot.h"
#include "meeting.h"

#include <stddef.h>

enum batch_status {
	BATCH_CREATED,
	BATCH_FOUND,    /* an earlier create whose answer was lost: found by identity, not re-created */
	BATCH_UPDATED,
	BATCH_ARCHIVED,
	BATCH_FAILED,   /* HubSpot refused this input (message, category) */
	BATCH_NOT_SENT, /* the run stopped (auth, daily limit) before this input was sent */
};

struct batch_result {
	struct meeting *m;  /* NULL for archive */
	const char *id;     /* HubSpot meeting id (created, found, updated, archived), else NULL */
	enum batch_status status;
	const char *message; /* HubSpot's message when failed */
	const char *category;
};

typedef void (*batch_result_fn)(const struct batch_result *r, void *data);
/*
 * Called just before a batch/create with these meetings is sent, with the
 * objectWriteTraceId of each (meeting_trace_id). The state records them as
 * pending here; returning -1 stops the run before anything is sent.
 */
typedef int (*batch_pending_fn)(struct meeting *const *ms, size_t n, void *data);

struct batch_options {
	const char *identity_property; /* meeting property holding meeting->key */
	batch_pending_fn on_pending;    /* may be NULL */
	batch_result_fn on_result;      /* called exactly once per input */
	void *data;
};

/*
 * Create every meeting (properties + resolved associations). Every input ends
 * in exactly one on_result call. An ambiguous create (HS_UNKNOWN_OUTCOME) is
 * never blindly resent: its meetings are looked up by identity first and only
 * the missing ones are created again. A whole-batch 400 is bisected so that
 * only the bad inputs fail. Returns HS_OK when the run may go on (even with
 * failed inputs), or the reason it must stop (HS_AUTH, HS_DAILY_LIMIT,
 * HS_FAILED); inputs not sent then get BATCH_NOT_SENT.
 */
enum hs_result batch_create(struct hs_client *c, struct meeting **ms, size_t n,
			    const struct batch_options *o);

/* Update meetings ids[i] with ms[i]'s properties (batch/update). Same accounting. */
enum hs_result batch_update(struct hs_client *c, struct meeting **ms, char *const *ids, size_t n,
			    const struct batch_options *o);

/* Archive meetings by id (batch/archive). A meeting already gone counts as archived. */
enum hs_result batch_archive(struct hs_client *c, char *const *ids, size_t n,
			     const struct batch_options *o);

/*
 * Look meetings up by identity (search on identity_property, IN filters,
 * within the search rate limit). ids_out[i] gets a new string or NULL.
 */
enum hs_result batch_find_by_identity(struct hs_client *c, const char *identity_property,
				      char *const *keys, size_t n, char **ids_out);

#endif
