/* window: can a VEVENT start inside [since, until)? Decided from its raw lines, before libical. */
#include "window.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Any zone is within 14 hours of UTC (26 between two zones); DST and Outlook's all-day dates less.
 */
#define WIN_SLACK (2 * 86400)
/* COUNT bounds beyond this are not trusted (the series is then taken as unbounded). */
#define WIN_MAX_SPAN ((int64_t)400 * 366 * 86400)

void win_event_reset(struct win_event *w)
{
	memset(w, 0, sizeof(*w));
}

/* "NAME;..." or "NAME:...": the value after the first ':' outside quotes, or NULL. */
static const char *value_of(const char *line, const char *name)
{
	size_t n = strlen(name);
	bool q = false;

	if (strncasecmp(line, name, n) || (line[n] != ';' && line[n] != ':'))
		return NULL;
	for (const char *p = line + n; *p; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ':' && !q)
			return p + 1;
	}
	return NULL;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* YYYYMMDD or YYYYMMDDTHHMMSS[Z] (len = exact length of the value), as if UTC. */
static bool parse_when(const char *s, size_t len, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;

	if (len != 8 && len != 15 && !(len == 16 && (s[15] == 'Z' || s[15] == 'z')))
		return false;
	if (!digits(s, 4, &y) || !digits(s + 4, 2, &mo) || !digits(s + 6, 2, &d) || mo < 1 ||
	    mo > 12 || d < 1 || d > 31)
		return false;
	if (len > 8 && (s[8] != 'T' || !digits(s + 9, 2, &h) || !digits(s + 11, 2, &mi) ||
			!digits(s + 13, 2, &se) || h > 24 || mi > 59 || se > 60))
		return false;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

static size_t value_len(const char *v)
{
	size_t n = strlen(v);

	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	return n;
}

/* Seconds of one FREQ period times the widest gap between matches without BY-rules. */
static int64_t freq_span(const char *f, size_t n)
{
	static const struct {
		const char *name;
		int64_t secs;
	} t[] = {
		{"SECONDLY", 1},
		{"MINUTELY", 60},
		{"HOURLY", 3600},
		{"DAILY", 86400},
		{"WEEKLY", 7 * 86400},
		{"MONTHLY", 2 * 31 * 86400}, /* the 31st skips months */
		{"YEARLY", 8 * 366 * 86400}, /* February 29th: 4 years, 8 around 2100 */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].name) == n && !strncasecmp(t[i].name, f, n))
			return t[i].secs;
	return 0;
}

/*
 * RRULE value: the latest start it allows, relative to DTSTART (COUNT) or
 * absolute (UNTIL). Anything not understood leaves the rule unbounded or bad.
 */
static void rrule_bound(struct win_event *w, const char *v)
{
	const char *freq = NULL;
	size_t freq_len = 0;
	long count = 0, interval = 1;
	bool has_count = false, has_until = false, other_by = false, byday = false;
	bool seen_interval = false;
	int64_t until = 0;

	while (*v) {
		size_t n = strcspn(v, ";");
		const char *eq = memchr(v, '=', n);
		size_t kn = eq ? (size_t)(eq - v) : n;
		const char *val = eq ? eq + 1 : v + n;
		size_t vn = eq ? n - kn - 1 : 0;

		if ((kn == 4 && !strncasecmp(v, "FREQ", 4) && freq) ||
		    (kn == 5 && !strncasecmp(v, "COUNT", 5) && has_count) ||
		    (kn == 5 && !strncasecmp(v, "UNTIL", 5) && has_until) ||
		    (kn == 8 && !strncasecmp(v, "INTERVAL", 8) && seen_interval)) {
			w->bad = true; /* a repeated part: the repair keeps the first */
			return;
		}
		if (kn == 4 && !strncasecmp(v, "FREQ", 4)) {
			freq = val;
			freq_len = vn;
		} else if (kn == 5 && !strncasecmp(v, "COUNT", 5)) {
			char *end;

			has_count = true;
			count = strtol(val, &end, 10);
			if (end != val + vn || count <= 0 || count > 1000000)
				count = 0; /* repaired or refused later: no bound from it */
		} else if (kn == 8 && !strncasecmp(v, "INTERVAL", 8)) {
			char *end;

			seen_interval = true;
			interval = strtol(val, &end, 10);
			if (end != val + vn || interval <= 0 || interval > 10000)
				interval = 0;
		} else if (kn == 5 && !strncasecmp(v, "UNTIL", 5)) {
			if (!parse_when(val, vn, &until)) {
				w->bad = true;
				return;
			}
			if (vn == 8)
				until += 86400;
			has_until = true;
		} else if (kn == 5 && !strncasecmp(v, "BYDAY", 5)) {
			byday = true;
		} else if (!(kn == 4 && !strncasecmp(v, "WKST", 4))) {
			other_by = true; /* any other part (BY-rules, spaces, X-): no COUNT bound */
		}
		v += n;
		if (*v == ';')
			v++;
	}
	if (has_until && has_count) {
		w->bad = true; /* RFC 5545 forbids both: how it is repaired is not ours to guess */
		return;
	}
	if (has_until) {
		w->has_last = true;
		w->last = until;
		return;
	}
	if (has_count && count && interval && freq && !other_by) {
		int64_t span = freq_span(freq, freq_len);
		bool weekly = freq_len == 6 && !strncasecmp(freq, "WEEKLY", 6);

		if (span && (!byday || weekly) && span <= WIN_MAX_SPAN / count / interval) {
			w->has_last = true;
			w->last_relative = true; /* DTSTART may come after the RRULE */
			w->last = span * count * interval;
		}
	}
}

void win_event_line(struct win_event *w, const char *line)
{
	const char *v;

	if ((line[0] | 0x20) != 'd' && (line[0] | 0x20) != 'r')
		return; /* neither DTSTART, RRULE nor RDATE */
	if ((v = value_of(line, "DTSTART"))) {
		if (++w->ndtstart == 1 && !parse_when(v, value_len(v), &w->start))
			w->bad = true;
	} else if ((v = value_of(line, "RRULE"))) {
		if (++w->nrrule == 1)
			rrule_bound(w, v);
	} else if (value_of(line, "RDATE")) {
		w->rdate = true;
	}
}

bool win_event_outside(const struct win_event *w, int64_t since, int64_t until)
{
	int64_t last;

	if (w->bad || w->rdate || w->ndtstart != 1 || w->nrrule > 1)
		return false;
	if (w->start - WIN_SLACK >= until)
		return true; /* every instance starts at or after DTSTART */
	if (!w->nrrule)
		last = w->start;
	else if (!w->has_last)
		return false; /* unbounded */
	else if (w->last_relative)
		last = w->start + w->last; /* COUNT */
	else
		last = w->last > w->start ? w->last : w->start;
	return last + WIN_SLACK < since;
}
