/* report: what a run did to every occurrence — the summary line and the --report JSON. */
#ifndef REPORT_H
#define REPORT_H

#include "meeting.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>

enum outcome {
	OUTCOME_CREATED,
	OUTCOME_UPDATED,
	OUTCOME_UNCHANGED,
	OUTCOME_ARCHIVED,
	OUTCOME_SKIPPED,
	OUTCOME_FAILED,
	OUTCOME_ALREADY, /* HubSpot's own calendar sync logged it (hs_i_cal_uid): not created */
	OUTCOME_PLANNED, /* --dry-run: an outcome known only once a look-up is made (resolve); the
			   other planned items carry the outcome a real run would report */
	OUTCOME_DELETED, /* HubSpot no longer has the meeting (OBJECT_NOT_FOUND): not sent again */
	OUTCOME__COUNT,
};

struct report;

/*
 * `path` is the --report file, "-" for stdout, or NULL. Entries are spooled
 * to a temporary file as they come (memory stays flat for a million
 * occurrences) and the report is assembled by report_write(). The file's
 * temporary (PATH.tmp.PID, 0600) is created here, before any request, so a
 * path that cannot be written fails the run before it starts: NULL then,
 * with the message printed. report_free() removes it if never written.
 */
struct report *report_new(const char *path);
void report_free(struct report *r);

/*
 * Record links: `prefix` is the start of a meeting's page in HubSpot
 * (portal_meeting_url_prefix), or NULL when the portal is not known. From then
 * on every entry has "hubspot_url" (its id appended; null without an id, for an
 * archived meeting, or with no prefix), and -v prints "OUTCOME KEY: URL".
 */
void report_set_links(struct report *r, const char *prefix);

/*
 * One occurrence's outcome. Strings are copied. `action` is the planned
 * action for dry runs ("create", "update", ...) or NULL; `reason` says why it
 * was skipped or failed (HubSpot's message), `category` HubSpot's category.
 */
void report_add(struct report *r, const struct meeting *m, enum outcome outcome,
		const char *hubspot_id, const char *action, const char *reason,
		const char *category);
/* An entry with no meeting (a removal known only from the state). */
void report_add_key(struct report *r, const char *key, const char *source, enum outcome outcome,
		    const char *hubspot_id, const char *action, const char *reason);
/* A run-level note ("feed came back empty: nothing removed", "daily limit reached"). */
void report_note(struct report *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Organizer e-mails with no HubSpot owner, and attendees with no contact. */
void report_unmapped_organizer(struct report *r, const char *email);
void report_unmatched_attendee(struct report *r, const char *email);
/* Calendar-level counts. */
void report_calendar(struct report *r, const char *display, long events, long occurrences,
		     long warnings, long bad_events, bool ok);

long report_count(const struct report *r, enum outcome o);
/* Of the failed entries, n were not sent at all (an interruption): the summary says so apart. */
void report_set_not_sent(struct report *r, long n);
const char *outcome_name(enum outcome o);

/* Write the JSON report given to report_new (0600, atomically; or to stdout); 0 when none. */
int report_write(struct report *r, bool dry_run);
/* One summary line (two with notes) on stderr, for people and for cron logs. */
void report_print_summary(const struct report *r, FILE *f, bool dry_run);

#endif
