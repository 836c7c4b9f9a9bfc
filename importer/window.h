/* window: can a VEVENT start inside [since, until)? Decided from its raw lines, before libical. */
#ifndef WINDOW_H
#define WINDOW_H

/*
 * A sync of ninety days should not build a libical component for each of the
 * ten years of events around them (issue #14). ics.c feeds the unfolded
 * top-level lines of each VEVENT to win_event_line() in pass 1 and asks
 * win_event_outside(): true only when no occurrence of the event can start in
 * the window. The answer is conservative: any line it does not fully
 * understand (several DTSTARTs or RRULEs, RDATE, a COUNT with BY-rules, an
 * unparsable value) makes it false. Zones are not resolved: every time is
 * taken as UTC with two days of slack either way. The caller also keeps
 * events whose UID has overrides or duplicates (they interact with others).
 */

#include <stdbool.h>
#include <stdint.h>

struct win_event {
	int ndtstart, nrrule;
	bool rdate; /* RDATE adds instances anywhere: never skipped */
	bool bad; /* a DTSTART or RRULE not understood */
	int64_t start; /* DTSTART, as if UTC */
	bool has_last; /* RRULE bounded: no instance starts after `last` (as if UTC) */
	bool last_relative; /* `last` is seconds after DTSTART (COUNT), not a time (UNTIL) */
	int64_t last;
};

void win_event_reset(struct win_event *w);
/* One unfolded content line of the VEVENT itself (not of a nested VALARM). */
void win_event_line(struct win_event *w, const char *line);
/* True when no occurrence can start in [since, until). */
bool win_event_outside(const struct win_event *w, int64_t since, int64_t until);

#endif
