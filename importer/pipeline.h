/* pipeline: sync one calendar into one portal — read, map, plan, send, remember, report. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include "app.h"

#include <stdint.h>

struct hs_client;

/*
 * The portal a run writes to, shared by the runs of one `sync` (one rate
 * limiter and one daily-budget guard for all the portal's calendars).
 * Borrowed: the caller made the client and keeps the token.
 */
struct pipeline_portal {
	struct hs_client *client;
	const char *token;
};

/* What a run did: its line in `sync`'s table and `state runs`. */
struct pipeline_outcome {
	long created, updated, archived, unchanged, failed;
	int64_t started_at; /* epoch seconds */
	int64_t ms; /* duration */
};

/*
 * Import the calendar(s) of o->args with o's mapping, window, state and
 * report into the portal: `portal` when given (sync), else a client of its
 * own made from o's token and API base (import). Returns an exit code
 * (util.h); *out (may be NULL) gets the counts. `import` is this with one
 * CALENDAR or several; `sync` calls it once per calendar of the
 * configuration.
 */
int pipeline_run(const struct app_options *o, const struct pipeline_portal *portal,
		 struct pipeline_outcome *out);

#endif
