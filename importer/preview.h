/* preview: what `check` shows — the first occurrences mapped, as a table or JSON. */
#ifndef PREVIEW_H
#define PREVIEW_H

#include "ics.h"
#include "mapping.h"

#include <stdbool.h>
#include <stdio.h>

struct preview; /* opaque: counts every occurrence, keeps the first `limit` */
struct hs_client;
struct report;

/* check --remote: the portal the preview is judged against. */
struct preview_portal {
	struct hs_client *client; /* reads the owners for exclude_domains: [owners] */
	const cJSON *properties; /* GET the meeting property definitions: enumeration options */
};

/*
 * Start a preview of mapping `m` (borrowed, must outlive the preview). `limit`
 * is how many mapped occurrences to show (negative: the default, 10).
 */
struct preview *preview_new(const struct mapping *m, bool json, int limit);
/* Map one occurrence (borrowed) and count it; keeps it when fewer than limit are kept. */
void preview_add(struct preview *p, const struct occurrence *occ);
/* Note a calendar (display name, redacted) and whether it could be read. */
void preview_add_calendar(struct preview *p, const char *display, bool ok);
/*
 * Print the preview to `out` — a table (values cut to the terminal's width
 * when `out` is a terminal), or one JSON document with `json` — and free p.
 * Returns 0 when every calendar was read whole and every occurrence mapped; 1
 * (EXIT_PARTIAL) when an occurrence had a mapping error, an event could not be
 * used or a calendar could not be read; 2 (EXIT_USAGE) when no calendar could.
 */
int preview_finish(struct preview *p, FILE *out);

/*
 * `ics2hubspot check -m FILE [--json] [CALENDAR...]`: read each calendar
 * (path, "-" or URL, through calendar_open() and ics_read() with `opt`), map
 * every occurrence with `m`, and print the preview of the first `limit` with
 * the counts (to import, skipped by rule, errors). With no calendar, only says
 * that the mapping is valid. The preview shows the `limit` earliest
 * occurrences in start-time order; with `json` the document also carries the
 * warnings printed while the calendars were read and `remote` (check
 * --remote's findings, borrowed; NULL when not asked). With `portal`
 * (check --remote) the preview is what import would send: the contacts and
 * companies of the portal's users' domains are dropped as import drops them
 * (assoc_exclude_owners()), and every value an occurrence brings that is not
 * an option of its enumeration property is an error, grouped by value (exit 1).
 * Returns preview_finish()'s exit code.
 */
int preview_run(const struct mapping *m, const char *const *calendars, size_t n,
		const struct ics_options *opt, bool json, int limit, const cJSON *remote,
		const struct preview_portal *portal, FILE *out);

#endif
