/* ics: read .ics calendars with libical and expand them into occurrences. */
#ifndef ICS_H
#define ICS_H

#include "meeting.h"

#include <stdbool.h>
#include <stdint.h>

/* Without --until, series that never end are expanded up to now (or --since) + this. */
#define ICS_HORIZON_DAYS 730

struct ics_options {
	bool has_since, has_until;
	int64_t since,
		until; /* window [since, until): an occurrence is in it when it starts in it */
	const char *default_tz; /* --default-tz (IANA or Windows name), or NULL */
	long max_per_series; /* cap on occurrences per series (0 = the built-in default) */
	/*
	 * Budgets by outcome (import): a series gives at most 24 occurrences a day, the
	 * series of a calendar at most 20,000 + 4 per byte of it; past one, the series is
	 * cut with an error (counted in lost_events), and so is one over max_per_series.
	 * Without (expand), only max_per_series holds, with a warning.
	 */
	bool budget;
	/*
	 * Hand every line of a VEVENT to libical's parser as it is, instead of holding back
	 * the lines and parameters `expand` has no use for (ics.c, held_take): slower, the
	 * same result; t-ics compares the two on every calendar of the tree.
	 */
	bool parse_every_line;
};

/* What one calendar gave; filled by ics_read(). */
struct ics_stats {
	long events; /* VEVENTs read */
	long occurrences; /* occurrences passed to the callback */
	long warnings; /* warnings printed (each names file, line and UID) */
	long bad_events; /* VEVENTs that could not be used at all (no DTSTART, ...) */
	long lost_events; /* damage where events or occurrences may be lost (a BEGIN/END that
			     is not exactly a component, a stray END:VEVENT, a VEVENT with no
			     END, no END:VCALENDAR, a line dropped for its length, an RRULE not
			     read in full, a series cut by a cap or budget): when non-zero the
			     calendar is incomplete, and nothing of it may be removed */
	long skipped_events; /* VEVENTs not parsed: none of their occurrences can be in the window
			      */
	char *calendar_name; /* X-WR-CALNAME, or NULL */
};
void ics_stats_release(struct ics_stats *st);

/*
 * Called once per occurrence, in no particular order. The occurrence is
 * borrowed: copy what you keep. Return 0 to go on, -1 to stop reading.
 */
typedef int (*ics_occurrence_fn)(const struct occurrence *occ, void *data);

/*
 * Read the calendar at `path` (a file, or "-" for stdin; URLs are fetched by the
 * caller into a file first) and call `fn` for every occurrence in the window.
 * `display` is the name shown in messages (the redacted URL for a feed), and
 * `source` is stored in each occurrence's `source`.
 * Memory stays bounded whatever the number of events.
 * Returns 0 when the calendar was read (possibly with warnings and bad events,
 * counted in *st), -1 when it could not be read at all (message printed).
 */
int ics_read(const char *path, const char *display, const char *source,
	     const struct ics_options *opt, ics_occurrence_fn fn, void *data, struct ics_stats *st);

/* Free libical's global caches (built-in zones); call once at exit. */
void ics_global_cleanup(void);

/*
 * True when `tzid` names a zone we can read times in: an IANA name libical
 * knows, a UTC alias, or a Windows/Outlook name ICU or CLDR maps (as
 * --default-tz and X-WR-TIMEZONE are resolved).
 */
bool ics_zone_known(const char *tzid);
/* The libical version built against (libical has no run-time query), and ICU's in use. */
const char *ics_libical_version(void);
void ics_icu_version(char *buf, size_t n);

#endif
