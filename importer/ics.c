/*
 * ics: read .ics calendars with libical and expand them into occurrences.
 *
 * The calendar reader is three modules, one unit behind ics.h (the only interface the rest of
 * the program sees): ics.c (the index of pass 1, series expansion, messages), zones.c (time-zone
 * resolution, zones.h) and reader.c (the line reader, reader.h). Only ics.c and zones.c include
 * <libical/ical.h> (through zones.h); only zones.c includes ICU's headers.
 *
 * Design (see docs/ics-notes.md and tests/ics/oracle-differences.md):
 *
 * - Streaming in two passes over the file (stdin is spooled to an unlinked
 *   temporary file first). Lines are read in blocks and unfolded by our own
 *   reader (reader.c) into one reused buffer, exactly as icalparser_get_line() would
 *   (it also strips a BOM, turns lone CRs into line ends, counts physical
 *   lines and byte offsets, and truncates absurdly long lines).
 *   BEGIN/END:VCALENDAR are never given to the parser, so every VEVENT comes
 *   back from icalparser_add_line() on its own and is freed right after use.
 * - Pass 1 indexes: VTIMEZONEs (each a zone of its own, zones.c), X-WR-TIMEZONE,
 *   X-WR-CALNAME and METHOD from the raw lines, every override (VEVENT with
 *   RECURRENCE-ID: hash of UID, offset, line) and the masters whose UID may
 *   have been seen before (a fixed-size Bloom filter keeps the master index
 *   small: only possible duplicates get an entry).
 * - Pass 2 re-reads the file; each master is expanded with its overrides,
 *   which are re-read from their offsets (UIDs are verified after re-reading,
 *   so hash collisions are harmless). Overrides never claimed by a master are
 *   emitted at the end as single occurrences (orphans).
 *
 * Memory: the index holds ~28 bytes per override plus ~48 bytes per possible
 * duplicate master and a Bloom filter of at most 8 MB; everything else is per
 * VEVENT or per series (bounded by the per-series cap).
 */
#include "ics.h"
#include "reader.h"
#include "util.h"
#include "window.h"
#include "zones.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Documented limits (docs/limits.md / report). */
/*
 * Occurrences emitted per series: a daily meeting for 27 years, a stand-up every working day
 * for 38 years. A real meeting series never reaches it; a hostile rule (FREQ=SECONDLY) stops
 * here instead of planning millions of meetings.
 */
#define ICS_DEFAULT_MAX_PER_SERIES 10000L
#define ICS_ITER_FACTOR		   10 /* iterator steps per series = cap * this */
/*
 * Budgets by outcome (ics_options.budget, import): whatever a rule's FREQ and BY parts,
 * a series gives at most ICS_MAX_PER_DAY occurrences on one day (an hourly series does,
 * BYHOUR/BYMINUTE/BYSECOND lists on a DAILY rule do not), and the series of one calendar
 * give at most ICS_BUDGET_BASE + ICS_BUDGET_PER_BYTE occurrences per byte of it (two
 * years of 25 daily meetings fit in the base; 200 hourly series in 16 KB do not).
 */
#define ICS_MAX_PER_DAY	     24
#define ICS_BUDGET_BASE	     20000L
#define ICS_BUDGET_PER_BYTE  4
#define ICS_MAX_WARNINGS     1000 /* printed per calendar; the rest are counted */
#define ICS_MAX_DURATION     ((int64_t)3653 * 86400) /* longer events: zero length */
#define ICS_TZ_WARN_PER_TZID 3
#define ICS_MAX_RRULES	     8
#define ICS_MAX_STDIN	     (64L << 20) /* as CALENDAR_MAX_BYTES (calendar.h) */

/* ---------------------------------------------------------------------------------------- */
/* Content-line helpers (names, values) on unfolded lines.                                   */

/* True when `line` is property `name` (case-insensitive); *rest points at ';' or ':'. */
static bool prop_is(const char *line, const char *name, const char **rest)
{
	size_t n;

	if ((line[0] | 0x20) != (name[0] | 0x20)) /* names begin with a letter */
		return false;
	n = strlen(name);
	if (strncasecmp(line, name, n) || (line[n] != ';' && line[n] != ':'))
		return false;
	if (rest)
		*rest = line + n;
	return true;
}

/* The value of a content line: after the first ':' outside double quotes. */
static const char *line_value(const char *line)
{
	bool q = false;

	for (const char *p = line; *p; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ':' && !q)
			return p + 1;
	}
	return NULL;
}

/* "BEGIN:X" / "END:X": *name = X (trimmed, into buf). */
static int line_begin_end(const char *line, char *buf, size_t n)
{
	const char *v;
	int kind;
	size_t len;

	if (prop_is(line, "BEGIN", NULL))
		kind = 1;
	else if (prop_is(line, "END", NULL))
		kind = -1;
	else
		return 0;
	v = line_value(line);
	if (!v)
		v = "";
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return kind;
}

static bool is_top_kind(const char *name)
{
	static const char *const tops[] = {"VCALENDAR", "VEVENT",    "VTODO",
					   "VJOURNAL",	"VFREEBUSY", "VTIMEZONE"};

	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++)
		if (!strcasecmp(name, tops[i]))
			return true;
	return false;
}

/*
 * A calendar-level line that is a damaged BEGIN/END of a component ("\0BEGIN:VEVENT",
 * "XBEGIN:VEVENT", "BEGIN :VEVENT"): its name holds BEGIN or END and its value names a
 * top-level component. Read as a calendar property, it would hide an event.
 */
static bool garbled_begin_end(const char *line)
{
	const char *v = line_value(line);
	size_t n = strcspn(line, ";:");
	char *name, *val;
	bool hit;

	if (!v || n > 64)
		return false;
	name = xstrndup(line, n);
	val = xstrdup(v);
	for (char *q = name; *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	hit = (strstr(name, "BEGIN") || strstr(name, "END")) && is_top_kind(str_trim(val)) &&
	      strcasecmp(val, "VCALENDAR");
	free(name);
	free(val);
	return hit;
}

/*
 * A BEGIN or END line that is not exactly "BEGIN:NAME" / "END:NAME" with NAME a component
 * we know (RFC 5545, 7953, 9073) or an x-name ("BEGIN;X=1:VEVENT", "BEGIN:\tVEVENT",
 * "BEGIN::VEVENT", "BEGIN:VE" cut by a lone CR, "BEGIN:VEVENT" with a NUL): what is
 * meant cannot be told, so the calendar is not read in full. Returns why, or NULL.
 */
static const char *begin_end_damage(const char *line)
{
	static const char *const known[] = {
		"VCALENDAR", "VEVENT",	  "VTODO",     "VJOURNAL",	"VFREEBUSY", "VTIMEZONE",
		"VALARM",    "STANDARD",  "DAYLIGHT",  "VAVAILABILITY", "AVAILABLE", "VPOLL",
		"VVOTER",    "VLOCATION", "VRESOURCE", "PARTICIPANT"};
	const char *rest, *v;

	if (!prop_is(line, "BEGIN", &rest) && !prop_is(line, "END", &rest))
		return NULL;
	if (*rest == ';')
		return "is a BEGIN/END with parameters";
	v = rest + 1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcasecmp(v, known[i]))
			return NULL;
	if ((v[0] == 'X' || v[0] == 'x') && v[1] == '-' && v[2] &&
	    strspn(v + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") ==
		    strlen(v + 2))
		return NULL;
	return "does not name a component exactly";
}

/* Skip a UTF-8 BOM at the start of a line (concatenated files). */
static char *skip_bom(char *line)
{
	return strncmp(line, "\xEF\xBB\xBF", 3) ? line : line + 3;
}

/* ---------------------------------------------------------------------------------------- */
/* Structure: which top-level component a line belongs to (shared by both passes).         */

enum top { TOP_NONE, TOP_VEVENT, TOP_VTIMEZONE, TOP_OTHER };
enum act {
	A_SKIP, /* ignore the line */
	A_CALBEGIN, /* BEGIN:VCALENDAR */
	A_CALPROP, /* a calendar-level property */
	A_BEGIN, /* begins a top-level component */
	A_FEED, /* inside a top-level component */
	A_END, /* ends it (after `extra_ends` implicit END lines) */
	A_ABORT, /* the open component is unterminated; re-process the line */
	A_STRAY, /* END:X at calendar level with no BEGIN:X (an event may be lost) */
};

struct shape {
	int depth;
	enum top top;
	int extra_ends;
};

static enum act shape_step(struct shape *sh, const char *line)
{
	char name[64];
	int be = line_begin_end(line, name, sizeof(name));

	sh->extra_ends = 0;
	if (sh->depth == 0) {
		if (be && begin_end_damage(line))
			return A_CALPROP; /* pass 1 names it; nothing begins or ends */
		if (be > 0) {
			if (!strcasecmp(name, "VCALENDAR"))
				return A_CALBEGIN;
			sh->depth = 1;
			sh->top = !strcasecmp(name, "VEVENT")	   ? TOP_VEVENT
				  : !strcasecmp(name, "VTIMEZONE") ? TOP_VTIMEZONE
								   : TOP_OTHER;
			return A_BEGIN;
		}
		if (be < 0)
			return strcasecmp(name, "VCALENDAR") ? A_STRAY : A_SKIP;
		return A_CALPROP;
	}
	if ((be > 0 && is_top_kind(name)) || (be < 0 && !strcasecmp(name, "VCALENDAR"))) {
		sh->depth = 0;
		return A_ABORT;
	}
	if (be > 0) {
		sh->depth++;
		return A_FEED;
	}
	if (be < 0) {
		bool top_name = (sh->top == TOP_VEVENT && !strcasecmp(name, "VEVENT")) ||
				(sh->top == TOP_VTIMEZONE && !strcasecmp(name, "VTIMEZONE"));

		if (top_name && sh->depth > 1) {
			sh->extra_ends = sh->depth - 1;
			sh->depth = 0;
			return A_END;
		}
		if (--sh->depth == 0)
			return A_END;
	}
	return A_FEED;
}

/* ---------------------------------------------------------------------------------------- */
/* Per-calendar context.                                                                     */

struct ov { /* an override VEVENT found by pass 1 */
	uint64_t hash;
	int64_t off;
	int32_t line;
	uint8_t flags;
};
#define OV_CANCEL  1 /* its VCALENDAR has METHOD:CANCEL */
#define OV_CLAIMED 2 /* a master took it */
#define OV_OUTSIDE 4 /* cannot start in the window, and shifts no other instance (no RANGE) */

struct dup { /* a master whose UID may already have been seen (Bloom hit) */
	uint64_t hash;
	int64_t off;
	int32_t line;
	int32_t seq;
	int64_t stamp; /* LAST-MODIFIED, else DTSTAMP (UTC seconds), else 0 */
	/* group data, valid in the first entry of a hash group */
	int32_t best; /* index of the entry with the highest (seq, stamp, off) */
	bool has_first;
	int32_t first_seq, first_line;
	int64_t first_off, first_stamp;
};

struct wskip { /* a VEVENT pass 2 does not parse (window.h) */
	uint64_t hash;
	int64_t off;
	int64_t end_off; /* the line after its END (pass 2 goes on there), or -1 */
	long end_line;
};

struct inst {
	int64_t key; /* UTC instant; for all-day series days*86400 */
	int64_t day; /* local civil day */
	int64_t dur;
	bool own_dur;
};

struct ivec {
	struct inst *v;
	size_t n, cap;
};

struct zentry {
	char *tzid;
	icaltimezone *zone;
	char *name;
	bool ok, fixed; /* fixed: an offset-only TZID */
	int warned;
	const char *unusable; /* the file's VTIMEZONE of this TZID cannot be used: why */
};

struct pending {
	long line;
	bool damage; /* an error: the calendar is not read in full (ctx_damage) */
	char *msg;
};

/* Reads top-level components (pass 2 and random access). */

/*
 * What libical read of a few short texts that come back on nearly every event (held_props):
 * whole lines (STATUS:CONFIRMED) and parameters (ATTENDEE;PARTSTAT=ACCEPTED). Open addressing
 * in LC_SLOTS slots; at most LC_MAX entries are learnt, so it stays small on any calendar.
 */
#define LC_SLOTS   1024
#define LC_MAX	   768
#define LC_KEY_MAX 120
struct lc_entry {
	uint64_t h;
	char *key; /* NULL: an empty slot */
	icalproperty *prop; /* a whole line's property, or NULL */
	icalparameter *param; /* a parameter's, or NULL */
};
struct lcache {
	struct lc_entry *slot; /* allocated when the first entry is learnt */
	size_t n;
	size_t ntext; /* LOCATION lines, at most LC_MAX / 2: room for the short ones */
};

struct creader {
	struct reader rd;
	struct shape sh;
	icalparser *cp;
	bool feeding;
	bool quiet; /* drop line-level warnings (re-reads) */
	bool sequential; /* the pass-2 reader: tracks METHOD, skips overrides */
	bool cancel_method;
	bool itip_method; /* METHOD lets a VEVENT go without DTSTART (RFC 5546) */
	struct lpos top;
	bool top_cancel, top_itip;
	struct pending *pend;
	size_t npend, cappend;
	char *early_end; /* the line libical took for the open VEVENT's END before ours (feed) */
	long early_line;
	/* The open VEVENT's lines held back from libical's parser (held_take) */
	struct sbuf hraw; /* their lines, each with its NUL */
	struct held *held;
	size_t nheld, capheld;
	bool hold_off; /* structure in doubt: every line goes to the parser */
	bool hold_never; /* ics_options' parse_every_line */
	icalparser *hp; /* reads a held line that is not plain (held_add) */
	struct sbuf trim; /* a line without the parameters nothing reads (feed_trim) */
	struct sbuf pack; /* the held X- properties of a VEVENT (held_add) */
	struct lcache *lc; /* what libical read of lines and parameters seen before (held_props) */
	struct sbuf strip; /* a held line without the parameters read before (held_props) */
	icalproperty **hprops; /* each held line's property, read by held_props */
	size_t caphprops;
	struct hparam *hpar; /* the parameters held_props took out of held lines, or learns */
	size_t nhpar, caphpar;
};

struct ctx {
	const char *path, *display, *source;
	const struct ics_options *opt;
	ics_occurrence_fn fn;
	void *data;
	struct ics_stats *st;
	bool stop;
	struct lcache lc; /* lines and parameters libical read before (held_props) */

	int fd;
	long printed;

	int64_t since, until; /* window */
	int64_t horizon; /* unbounded series stop here (until, or now + 2 years) */
	bool horizon_is_default;
	long horizon_series;
	long max_per_series;
	long budget; /* occurrences series may still give (ics_options.budget), or -1 */
	long size; /* bytes of the calendar */

	struct zone_table zt; /* VTIMEZONEs of the file, fixed-offset zones (zones.h) */
	bool tz_unsigned; /* pass 1: the VTIMEZONE being read has an unsigned UTC offset */
	char *xwr_tz, *calname;
	bool saw_calendar, saw_vevent;
	bool cal_open; /* pass 1: a BEGIN:VCALENDAR waits for its END */
	long cal_line; /* its line */
	bool damaged_begin; /* pass 1: a damaged BEGIN at calendar level, its END not yet seen */

	icaltimezone *fzone; /* zone for floating times */
	bool fzone_named; /* fzone is --default-tz's or X-WR-TIMEZONE's (not the UTC fallback) */
	char *fzone_name; /* "Europe/Berlin" / "UTC" */
	char *ftz_label; /* "floating:Europe/Berlin" */

	struct zentry zc[ICS_TZ_CACHE];
	size_t nzc, zc_next;

	uint8_t *bloom;
	uint64_t bloom_mask; /* in bits */

	struct ov *ovs;
	size_t novs, capovs;
	uint32_t *ov_by_hash;
	size_t ov_cursor;

	struct dup *dups;
	size_t ndups, capdups;

	struct wskip *wskips; /* masters that cannot start in the window, by offset */
	size_t nwskips, capwskips, wskip_cursor;

	struct creader seq, rnd;
	struct ivec scratch;
	bool itip_event; /* the VEVENT being expanded comes with an iTIP METHOD */
};

/* ---------------------------------------------------------------------------------------- */
/* Messages.                                                                                 */

/* One more message of this calendar: false once over the cap (said once, then only counted). */
static bool ctx_may_print(struct ctx *c)
{
	if (c->printed > ICS_MAX_WARNINGS)
		return false;
	if (c->printed++ == ICS_MAX_WARNINGS) {
		warning("%s: too many warnings, the rest are only counted", c->display);
		return false;
	}
	return true;
}

static void ctx_warn(struct ctx *c, long line, const char *uid, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
/* "FILE:LINE: [UID U: ]MESSAGE" as an error or a warning, within the print cap. */
static void ctx_vsay(struct ctx *c, bool is_error, long line, const char *uid, const char *fmt,
		     va_list ap) PRINTF_LIKE(5, 0);
static void ctx_vsay(struct ctx *c, bool is_error, long line, const char *uid, const char *fmt,
		     va_list ap)
{
	char *msg, *where;

	if (!ctx_may_print(c))
		return;
	msg = xvasprintf(fmt, ap);
	where = uid ? xasprintf("%s:%ld: UID %s", c->display, line, uid)
		    : xasprintf("%s:%ld", c->display, line);
	if (is_error)
		error("%s: %s", where, msg);
	else
		warning("%s: %s", where, msg);
	free(where);
	free(msg);
}

static void ctx_warn(struct ctx *c, long line, const char *uid, const char *fmt, ...)
{
	va_list ap;

	c->st->warnings++;
	va_start(ap, fmt);
	ctx_vsay(c, false, line, uid, fmt, ap);
	va_end(ap);
}

/*
 * The structure of the calendar is broken where an event may be (garbled BEGIN, stray
 * END, no END): an error naming file and line, counted in lost_events so that the
 * calendar counts as incomplete (import removes nothing of it).
 */
static void ctx_lost(struct ctx *c, long line, const char *text, const char *what)
{
	char *shown;

	c->st->lost_events++;
	c->st->warnings++;
	if (!ctx_may_print(c))
		return;
	utf8_sanitize(text, &shown);
	if (strlen(shown) > 60)
		strcpy(shown + 57, "...");
	error("%s:%ld: \"%s\" %s: an event may be lost", c->display, line, shown, what);
	free(shown);
}

/*
 * Damage that keeps the calendar from being read in full (a rule read only in part, a
 * series cut by a budget): an error naming file, line and UID, counted in lost_events
 * (import removes nothing of the calendar).
 */
static void ctx_damage(struct ctx *c, long line, const char *uid, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
static void ctx_damage(struct ctx *c, long line, const char *uid, const char *fmt, ...)
{
	va_list ap;

	c->st->lost_events++;
	c->st->warnings++;
	va_start(ap, fmt);
	ctx_vsay(c, true, line, uid, fmt, ap);
	va_end(ap);
}

static void note(struct ctx *c, long line, const char *uid, const char *what);

static void creader_pend(struct creader *cr, long line, bool damage, char *msg)
{
	if (cr->quiet) {
		free(msg);
		return;
	}
	XGROW(cr->pend, cr->cappend, cr->npend + 1);
	cr->pend[cr->npend].line = line;
	cr->pend[cr->npend].damage = damage;
	cr->pend[cr->npend].msg = msg;
	cr->npend++;
}

static void creader_flush(struct ctx *c, struct creader *cr, const char *uid)
{
	for (size_t i = 0; i < cr->npend; i++) {
		if (cr->pend[i].damage)
			ctx_damage(c, cr->pend[i].line, uid, "%s", cr->pend[i].msg);
		else
			ctx_warn(c, cr->pend[i].line, uid, "%s", cr->pend[i].msg);
		free(cr->pend[i].msg);
	}
	cr->npend = 0;
}

/* A printable UID: valid UTF-8, bounded. */
static char *uid_print(const char *uid)
{
	char *out;

	if (!uid)
		return NULL;
	utf8_sanitize(uid, &out);
	if (strlen(out) > 200)
		strcpy(out + 197, "...");
	return out;
}

/* ---------------------------------------------------------------------------------------- */
/* Time zones (zones.c resolves them; here the per-calendar cache and its warnings).        */

/*
 * Zone for a TZID parameter; cached per TZID. An unresolvable TZID is read in
 * the default zone with a warning naming file, line, UID and TZID.
 */
static icaltimezone *zone_for_tzid(struct ctx *c, const char *tzid, long line, const char *uid,
				   const char **name)
{
	struct zentry *e = NULL;

	for (size_t i = 0; i < c->nzc; i++)
		if (!strcmp(c->zc[i].tzid, tzid)) {
			e = &c->zc[i];
			break;
		}
	if (!e) {
		if (c->nzc < ICS_TZ_CACHE) {
			e = &c->zc[c->nzc++];
		} else {
			e = &c->zc[c->zc_next];
			c->zc_next = (c->zc_next + 1) % ICS_TZ_CACHE;
			free(e->tzid);
			free(e->name);
		}
		memset(e, 0, sizeof(*e));
		e->tzid = xstrdup(tzid);
		e->zone = zone_lookup(&c->zt, tzid, &e->name, &e->fixed, &e->unusable);
		e->ok = e->zone != NULL;
		if (!e->ok) {
			e->zone = c->fzone;
			e->name = xstrdup(c->fzone_name);
		}
	}
	if (e->unusable) { /* once per TZID: never UTC in silence (issue 25, class 3) */
		char *p = uid_print(uid), *z;

		utf8_sanitize(tzid, &z);
		if (e->unusable == zone_unsigned_kept)
			ctx_warn(
				c, line, p,
				"the file's VTIMEZONE \"%s\" has a UTC offset without its sign and "
				"names no zone we know: unsigned offsets are read as east of UTC",
				z);
		else if (e->ok)
			ctx_warn(
				c, line, p,
				"the file's VTIMEZONE \"%s\" cannot be used (%s): its times are read "
				"in the IANA zone %s",
				z, e->unusable, e->name);
		else
			ctx_warn(
				c, line, p,
				"the file's VTIMEZONE \"%s\" cannot be used (%s) and names no zone we "
				"know: its times are read in %s%s",
				z, e->unusable, c->fzone_name,
				c->fzone_named ? "" : " (no X-WR-TIMEZONE or --default-tz)");
		e->unusable = NULL;
		e->warned = ICS_TZ_WARN_PER_TZID + 1; /* not "unknown time zone" again */
		free(p);
		free(z);
	}
	if (e->fixed && !e->warned) {
		char *p = uid_print(uid), *z;

		utf8_sanitize(tzid, &z);
		ctx_warn(
			c, line, p,
			"TZID=\"%s\" is only a UTC offset: read as %s all year (no daylight-saving rules)",
			z, e->name);
		e->warned++;
		free(p);
		free(z);
	}
	if (!e->ok && e->warned <= ICS_TZ_WARN_PER_TZID) {
		char *p = uid_print(uid), *z;

		utf8_sanitize(tzid, &z);
		if (e->warned < ICS_TZ_WARN_PER_TZID)
			ctx_warn(c, line, p, "unknown time zone TZID=\"%s\": read in %s", z,
				 c->fzone_name);
		else
			ctx_warn(
				c, line, p,
				"unknown time zone TZID=\"%s\" (further events with it are also read in %s, without warning)",
				z, c->fzone_name);
		e->warned++;
		free(p);
		free(z);
	}
	*name = e->name;
	return e->zone;
}

/* ---------------------------------------------------------------------------------------- */
/* Times.                                                                                    */

/*
 * Local fields of t read in zone (NULL or UTC: as UTC) -> seconds since the
 * epoch, as RFC 5545 §3.3.5 says: a local time that occurs twice (the hour a
 * fall-back repeats) is its first occurrence, one that does not occur (the
 * spring-forward gap) is read with the UTC offset before the gap. *gap (may be
 * NULL) tells whether t was in a gap.
 */
static int64_t local_to_utc_gap(struct icaltimetype t, icaltimezone *zone, bool *gap)
{
	int64_t l = civil_secs(t.year, t.month, t.day, t.hour, t.minute, t.second);
	int64_t before, after;

	if (gap)
		*gap = false;
	if (!zone || zone == utc_zone())
		return l;
	/*
	 * transitions are days apart: the offsets a day either side are the
	 * candidates (the one after is looked up only when the one before fails)
	 */
	before = zone_offset_at(zone, l - 86400);
	if (zone_offset_at(zone, l - before) == before)
		return l - before; /* also the first of two occurrences */
	after = zone_offset_at(zone, l + 86400);
	if (zone_offset_at(zone, l - after) == after)
		return l - after;
	if (gap)
		*gap = true;
	return l - before;
}

static int64_t local_to_utc(struct icaltimetype t, icaltimezone *zone)
{
	return local_to_utc_gap(t, zone, NULL);
}

static struct icaltimetype utc_to_local(int64_t secs, icaltimezone *zone)
{
	struct icaltimetype t = civil_of(secs + zone_offset_at(zone, secs));

	t.zone = zone;
	return t;
}

static int64_t day_of(struct icaltimetype t)
{
	return days_from_civil(t.year, (unsigned)t.month, (unsigned)t.day);
}

/* A resolved DATE or DATE-TIME value. */
struct tval {
	struct icaltimetype t; /* local fields as written; is_date */
	icaltimezone *zone; /* zone of t; NULL for DATE */
	const char *zname; /* borrowed: "Europe/Berlin", "UTC", NULL for DATE */
	bool floating;
	bool gap; /* a local time the zone skips (spring forward) */
	int64_t key; /* DATE: days*86400; DATE-TIME: UTC seconds */
	int64_t day; /* local civil day of t */
};

/*
 * A date or time that exists. RFC 5545 §3.3.4: date-mday = 2DIGIT "01-28, 01-29, 01-30, 01-31
 * based on month/year" (30 February is no date: libical keeps it as written and the day count
 * would read it as 2 March); §3.3.12: time-hour = 2DIGIT "00-23", time-minute "00-59",
 * time-second "00-60" ("The "60" value is used to account for positive "leap" seconds").
 */
static bool time_sane(struct icaltimetype t)
{
	return !icaltime_is_null_time(t) && t.year >= 1 && t.year <= 9999 && t.month >= 1 &&
	       t.month <= 12 && t.day >= 1 && t.day <= icaltime_days_in_month(t.month, t.year) &&
	       t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0 &&
	       t.second <= 60;
}

/*
 * A value libical read but that names no date or time (time_sane): warned, naming the
 * property and the value as written, and ignored (issue 25, class 4).
 */
static void impossible_warn(struct ctx *c, long line, const char *uid, const char *prop,
			    struct icaltimetype t, const char *what)
{
	char *u;

	if (icaltime_is_null_time(t))
		return; /* libical refused the value: report_component() said so */
	u = uid_print(uid);
	if (t.is_date)
		ctx_warn(c, line, u, "%s %04d-%02d-%02d is not a date that exists: %s", prop,
			 t.year, t.month, t.day, what);
	else
		ctx_warn(c, line, u,
			 "%s %04d-%02d-%02dT%02d:%02d:%02d is not a time that exists: %s", prop,
			 t.year, t.month, t.day, t.hour, t.minute, t.second, what);
	free(u);
}

/*
 * Resolve a time value of property p: UTC ("Z"), TZID (resolved, warned), or
 * floating (read in fzone/fname). Returns -1 for a null or insane value.
 */
static int tval_resolve(struct ctx *c, icalproperty *p, struct icaltimetype t, icaltimezone *fzone,
			const char *fname, long line, const char *uid, struct tval *out)
{
	icalparameter *tzp;

	memset(out, 0, sizeof(*out));
	if (!time_sane(t))
		return -1;
	if (t.second == 60)
		t.second = 59;
	out->t = t;
	out->day = day_of(t);
	if (t.is_date) {
		out->key = out->day * 86400;
		return 0;
	}
	if (icaltime_is_utc(t)) {
		out->zone = utc_zone();
		out->zname = "UTC";
	} else if (p && (tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER)) &&
		   icalparameter_get_tzid(tzp)) {
		out->zone = zone_for_tzid(c, icalparameter_get_tzid(tzp), line, uid, &out->zname);
	} else {
		out->zone = fzone;
		out->zname = fname;
		out->floating = true;
	}
	out->t.zone = out->zone;
	out->key = local_to_utc_gap(t, out->zone, &out->gap);
	return 0;
}

/* A RECURRENCE-ID tval_resolve() refused: said, naming the value when it is an impossible one. */
static void rid_unreadable_warn(struct ctx *c, icalcomponent *comp, long line, const char *uid,
				const char *what)
{
	icalproperty *p = icalcomponent_get_first_property(comp, ICAL_RECURRENCEID_PROPERTY);
	struct icaltimetype t = p ? icalproperty_get_recurrenceid(p) : icaltime_null_time();
	char *u, *why;

	if (!icaltime_is_null_time(t)) {
		why = xasprintf("%s, not moved to another day", what);
		impossible_warn(c, line, uid, "RECURRENCE-ID", t, why);
		free(why);
		return;
	}
	u = uid_print(uid);
	ctx_warn(c, line, u, "unreadable RECURRENCE-ID: %s", what);
	free(u);
}

/* Exact seconds of an icaldurationtype (libical's own helper returns int). */
static int64_t dur_secs(struct icaldurationtype d)
{
	int64_t s = (int64_t)d.weeks * 7 * 86400 + (int64_t)d.days * 86400 +
		    (int64_t)d.hours * 3600 + (int64_t)d.minutes * 60 + (int64_t)d.seconds;

	return d.is_neg ? -s : s;
}

/* ---------------------------------------------------------------------------------------- */
/* RRULE repair (docs/ics-notes.md, Parsing): what libical 3.0.16 would otherwise drop.     */

/* The rule parts of RFC 5545 §3.3.10 (and RFC 7529's RSCALE, SKIP). */
static bool rule_part_known(const char *name)
{
	static const char *const parts[] = {"FREQ",	  "UNTIL",     "COUNT",	   "INTERVAL",
					    "BYSECOND",	  "BYMINUTE",  "BYHOUR",   "BYDAY",
					    "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH",
					    "BYSETPOS",	  "WKST",      "RSCALE",   "SKIP"};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!strcasecmp(name, parts[i]))
			return true;
	return false;
}

/* A weekday of BYDAY/WKST ("MO"), case-insensitive. */
static bool rule_weekday(const char *p, size_t n)
{
	static const char days[] = "SUMOTUWETHFRSA";

	if (n != 2)
		return false;
	for (size_t i = 0; i < sizeof(days) - 1; i += 2)
		if (!strncasecmp(p, days + i, 2))
			return true;
	return false;
}

/* [+-]digits in [lo, hi] (signed: -hi..-lo too, 0 never), over n bytes. */
static bool rule_int(const char *p, size_t n, bool sign, long lo, long hi)
{
	long v = 0;
	size_t i = 0;

	if (n && sign && (p[0] == '+' || p[0] == '-'))
		i++;
	if (i == n || n - i > 6)
		return false;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= lo && v <= hi;
}

/*
 * Is `val` (n bytes) a value RFC 5545 §3.3.10 allows for rule part `name`?
 * List items may have spaces around them (Exchange CDO writes "BYDAY=MO, TU").
 * COUNT and INTERVAL take any integer here: zero and negatives are repaired.
 */
static bool rule_value_ok(const char *name, const char *val, size_t n)
{
	static const char *const freqs[] = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY",
					    "WEEKLY",	"MONTHLY",  "YEARLY"};
	static const struct {
		const char *name;
		bool sign;
		long lo, hi;
	} lists[] = {{"BYSECOND", false, 0, 60},  {"BYMINUTE", false, 0, 59},
		     {"BYHOUR", false, 0, 23},	  {"BYMONTHDAY", true, 1, 31},
		     {"BYYEARDAY", true, 1, 366}, {"BYWEEKNO", true, 1, 53},
		     {"BYMONTH", false, 1, 12},	  {"BYSETPOS", true, 1, 366}};

	while (n && val[0] == ' ')
		val++, n--;
	while (n && val[n - 1] == ' ')
		n--;
	if (!strcasecmp(name, "FREQ")) {
		for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++)
			if (strlen(freqs[i]) == n && !strncasecmp(val, freqs[i], n))
				return true;
		return false;
	}
	if (!strcasecmp(name, "COUNT") || !strcasecmp(name, "INTERVAL")) {
		size_t i = n && (val[0] == '-' || val[0] == '+');

		if (i == n || n - i > 9)
			return false;
		return strspn(val + i, "0123456789") == n - i;
	}
	if (!strcasecmp(name, "UNTIL"))
		return (n == 8 ||
			((n == 15 || (n == 16 && (val[15] == 'Z' || val[15] == 'z'))) &&
			 (val[8] == 'T' || val[8] == 't') && strspn(val + 9, "0123456789") == 6)) &&
		       strspn(val, "0123456789") == 8;
	if (!strcasecmp(name, "WKST"))
		return rule_weekday(val, n);
	if (!strcasecmp(name, "RSCALE") || !strcasecmp(name, "SKIP"))
		return n > 0;
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]) + 1; k++) {
		bool byday = k == sizeof(lists) / sizeof(lists[0]);

		if (!byday && strcasecmp(name, lists[k].name))
			continue;
		if (byday && strcasecmp(name, "BYDAY"))
			return false;
		for (size_t i = 0; i <= n;) {
			size_t j = i, e;

			while (j < n && val[j] != ',')
				j++;
			e = j;
			while (i < e && val[i] == ' ')
				i++;
			while (e > i && val[e - 1] == ' ')
				e--;
			if (byday) {
				/* [+-][1-53]DAY */
				if (e - i < 2 || !rule_weekday(val + e - 2, 2) ||
				    (e - i > 2 && !rule_int(val + i, e - i - 2, true, 1, 53)))
					return false;
			} else if (!rule_int(val + i, e - i, lists[k].sign, lists[k].lo,
					     lists[k].hi)) {
				return false; /* RFC 7529's leap months ("5L") too: Gregorian only
					       */
			}
			i = j + 1;
		}
		return true;
	}
	return false;
}

/*
 * Returns a repaired copy of an RRULE/EXRULE line, or NULL when nothing needed
 * repair; *why describes the change. Repaired with a warning, the rule meaning what
 * it says: COUNT<=0 and COUNT with UNTIL (RFC 5545 §3.3.10 allows only one) dropped,
 * INTERVAL<=0 dropped, empty parts (";;") and x-name parts ("X-NAME=1") dropped,
 * which would make libical drop the whole rule or ignore the parts after them.
 *
 * A part we cannot read is damage (*bad says which, the caller makes it an error and
 * the calendar incomplete): a rule part with a value RFC 5545 does not allow
 * ("COUNT=1O", "BYDAY=MON") makes the whole rule unreadable (*drop: the event is read
 * without it; libical would read "COUNT=1O" as 1, and refuse "BYDAY=MON"); an unknown
 * part ("BYDAYS=MO", a Google export's `AnythingRandom`) or a repeated one is left out
 * of the rule as read (the first of a repeated part wins).
 */
static char *rrule_repair(const char *line, char **why, char **bad, bool *drop)
{
	const char *v = line_value(line);
	char *val, *save = NULL, *tok;
	char seen[16][16];
	size_t nseen = 0;
	bool changed = false, has_until;
	struct sbuf out = SBUF_INIT, reasons = SBUF_INIT, damage = SBUF_INIT;

	*why = *bad = NULL;
	*drop = false;
	if (!v)
		return NULL;
	val = xstrdup(v);
	has_until = false;
	for (const char *p = val; p && *p;) {
		while (*p == ';' || *p == ' ')
			p++;
		if (!strncasecmp(p, "UNTIL=", 6))
			has_until = true;
		p = strchr(p, ';');
	}
	/* strtok_r() below skips empty parts: say so */
	for (const char *p = val; *p; p++)
		if (*p == ';' && (p == val || p[1] == ';' || !p[1] || p[-1] == ';'))
			changed = true;
	sbuf_add(&out, line, (size_t)(v - line));
	for (tok = strtok_r(val, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char name[16];
		const char *eq = strchr(tok, '=');
		size_t n;
		bool dup = false, drop_part = false;
		char *t;

		while (*tok == ' ')
			tok++;
		if (!*tok) {
			changed = true;
			continue;
		}
		n = eq ? (size_t)(eq - tok) : strlen(tok);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, tok, n);
		name[n] = '\0';
		str_trim(name);
		for (size_t i = 0; i < nseen; i++)
			if (!strcasecmp(seen[i], name))
				dup = true;
		t = xstrndup(tok, strlen(tok) > 40 ? 40 : strlen(tok));
		if (eq && !strncasecmp(name, "X-", 2)) {
			sbuf_addf(&reasons, "%sunknown part %s ignored", reasons.len ? ", " : "",
				  t);
			changed = true;
			free(t);
			continue;
		}
		if (!eq || !rule_part_known(name)) {
			sbuf_addf(&damage, "%sunknown part %s left out", damage.len ? ", " : "", t);
			changed = true;
			free(t);
			continue;
		}
		if (!rule_value_ok(name, eq + 1, strlen(eq + 1))) {
			sbuf_addf(&damage, "%s%s unreadable", damage.len ? ", " : "", t);
			*drop = true;
		}
		free(t);
		if (dup) {
			sbuf_addf(&damage, "%srepeated %s left out", damage.len ? ", " : "", name);
			drop_part = true;
		} else if (!strcasecmp(name, "COUNT")) {
			long cnt = strtol(eq + 1, NULL, 10);

			if (cnt <= 0) {
				sbuf_addf(&reasons, "%s%s dropped", reasons.len ? ", " : "", tok);
				drop_part = true;
			} else if (has_until) {
				sbuf_addf(&reasons, "%s%s dropped because UNTIL is present",
					  reasons.len ? ", " : "", tok);
				drop_part = true;
			}
		} else if (!strcasecmp(name, "INTERVAL") && strtol(eq + 1, NULL, 10) <= 0) {
			sbuf_addf(&reasons, "%s%s dropped", reasons.len ? ", " : "", tok);
			drop_part = true;
		}
		if (nseen < 16) {
			snprintf(seen[nseen], sizeof(seen[nseen]), "%s", name);
			nseen++;
		}
		if (drop_part) {
			changed = true;
			continue;
		}
		if (out.buf[out.len - 1] != ':')
			sbuf_addc(&out, ';');
		sbuf_adds(&out, tok);
	}
	free(val);
	if (damage.len)
		*bad = sbuf_detach(&damage);
	sbuf_release(&damage);
	if (!changed || *drop) {
		sbuf_release(&out);
		sbuf_release(&reasons);
		return NULL;
	}
	if (!reasons.len && !*bad)
		sbuf_adds(&reasons, "empty parts dropped");
	*why = reasons.len ? sbuf_detach(&reasons) : NULL;
	sbuf_release(&reasons);
	return sbuf_detach(&out);
}

/* ---------------------------------------------------------------------------------------- */
/* Component reader (pass 2 and re-reads at an offset).                                      */

static bool is_override_offset(struct ctx *c, int64_t off)
{
	while (c->ov_cursor < c->novs && c->ovs[c->ov_cursor].off < off)
		c->ov_cursor++;
	return c->ov_cursor < c->novs && c->ovs[c->ov_cursor].off == off;
}

/* Sequential reader: is the VEVENT at `off` one that cannot start in the window? */
static bool is_window_skip(struct ctx *c, int64_t off)
{
	while (c->wskip_cursor < c->nwskips && c->wskips[c->wskip_cursor].off < off)
		c->wskip_cursor++;
	return c->wskip_cursor < c->nwskips && c->wskips[c->wskip_cursor].off == off;
}

static void held_drop(struct creader *cr);

static void creader_reset_parser(struct creader *cr)
{
	held_drop(cr);
	if (cr->cp)
		icalparser_free(cr->cp);
	cr->cp = icalparser_new();
	if (!cr->cp)
		die(EXIT_USAGE, "out of memory");
}

static void creader_init(struct creader *cr, int fd, bool sequential)
{
	memset(cr, 0, sizeof(*cr));
	reader_init(&cr->rd, fd);
	creader_reset_parser(cr);
	cr->sequential = sequential;
}

static void creader_drop_pending(struct creader *cr)
{
	for (size_t i = 0; i < cr->npend; i++)
		free(cr->pend[i].msg);
	cr->npend = 0;
}

static void creader_release(struct creader *cr)
{
	free(cr->early_end);
	sbuf_release(&cr->hraw);
	sbuf_release(&cr->trim);
	sbuf_release(&cr->pack);
	sbuf_release(&cr->strip);
	free(cr->hprops);
	free(cr->hpar);
	free(cr->held);
	if (cr->hp)
		icalparser_free(cr->hp);
	creader_drop_pending(cr);
	free(cr->pend);
	if (cr->cp)
		icalparser_free(cr->cp);
	reader_release(&cr->rd);
}

/*
 * libical reads some lines as an END that our structure does not ("END :VEVENT"): it then
 * hands the component back early. That component is freed (it would leak) and the line
 * kept, so that the VEVENT is reported lost when our END comes (creader_next).
 */
static void feed_add(struct creader *cr, char *line, long lineno)
{
	icalcomponent *early = icalparser_add_line(cr->cp, line);

	if (!early)
		return;
	icalcomponent_free(early);
	if (!cr->early_end) {
		cr->early_end = xstrdup(line);
		cr->early_line = lineno;
	}
}

/*
 * libical 3.0.16 reads at most 500 values of a multi-valued property
 * (MAXIMUM_ALLOWED_MULTIPLE_VALUES in icalparser.c) and ignores the rest without a
 * word: an EXDATE or RDATE with more is given to it as several lines of 500, with the
 * same name and parameters (the values themselves hold no comma). True when done so.
 */
#define LIBICAL_MAX_VALUES 500
static bool feed_split(struct creader *cr, const char *line, long lineno)
{
	const char *v, *p;
	size_t commas = 0;
	struct sbuf sb = SBUF_INIT;

	if (!prop_is(line, "EXDATE", NULL) && !prop_is(line, "RDATE", NULL))
		return false;
	if (!(v = line_value(line)))
		return false;
	for (p = v; (p = strchr(p, ',')); p++)
		commas++;
	if (commas < LIBICAL_MAX_VALUES)
		return false;
	for (p = v; *p;) {
		const char *q = p;

		for (size_t k = 0; k < LIBICAL_MAX_VALUES && q; k++) {
			q = strchr(q, ',');
			if (q && k + 1 < LIBICAL_MAX_VALUES)
				q++;
		}
		sb.len = 0;
		sbuf_add(&sb, line, (size_t)(v - line));
		sbuf_add(&sb, p, q ? (size_t)(q - p) : strlen(p));
		feed_add(cr, sb.buf, lineno);
		p = q ? q + 1 : p + strlen(p);
	}
	sbuf_release(&sb);
	return true;
}

/*
 * In place of an RRULE we could not read: a rule giving DTSTART alone. The event stays
 * a series (its first occurrence keeps the identity it had, UID#DTSTART), not a new
 * single event beside it.
 */
static void feed_unread_rule(struct creader *cr, long lineno)
{
	char rule[] = "RRULE:FREQ=YEARLY;COUNT=1";

	feed_add(cr, rule, lineno);
}

static const char *feed_trim(struct creader *cr, const char *line);

static void feed(struct creader *cr, const char *line, long lineno)
{
	char *fixed = NULL, *why = NULL, *bad = NULL;
	const char *trimmed;
	bool drop = false;

	if (feed_split(cr, line, lineno))
		return;

	if (prop_is(line, "RRULE", NULL) || prop_is(line, "EXRULE", NULL))
		fixed = rrule_repair(line, &why, &bad, &drop);
	if (why) {
		char *w;

		utf8_sanitize(why, &w);
		creader_pend(cr, lineno, false, xasprintf("RRULE repaired: %s", w));
		free(w);
		free(why);
	}
	if (bad) {
		char *w;

		utf8_sanitize(bad, &w);
		creader_pend(
			cr, lineno, true,
			xasprintf(drop ? "unreadable RRULE (%s): only the series' first "
					 "occurrence (DTSTART) is read; the calendar is incomplete"
				       : "RRULE read in part (%s); the calendar is incomplete",
				  w));
		free(w);
		free(bad);
	}
	if (drop) {
		if (prop_is(line, "RRULE", NULL))
			feed_unread_rule(cr, lineno);
		return;
	}
	if (fixed) {
		feed_add(cr, fixed, lineno);
		free(fixed);
		return;
	}
	trimmed = feed_trim(cr, line);
	feed_add(cr, (char *)(uintptr_t)(trimmed ? trimmed : line), lineno);
}

/*
 * Lines held back from libical's parser (issue #26). libical looks each property name up in
 * its table of ~120 names (an X- name only after all of them), reads the value a character at
 * a time, and reads every parameter the same way: on Outlook's exports, with 17 X-MICROSOFT-*
 * lines and an X-ALT-DESC of kilobytes, that was over a third of libical's parse. So, at the
 * VEVENT's own level:
 *  - X- lines (not X-LIC-, which libical knows), and DTSTAMP, LAST-MODIFIED, CREATED and
 *    PRIORITY, are held back while the parser reads the rest, then added to the component it
 *    returns, after its other properties. A plain X- line gives its name and the text
 *    libical's X value would give (x_value_text: unescaped, backslashes doubled; its
 *    parameters are not read: nothing reads them); a plain DTSTAMP or LAST-MODIFIED, the UTC
 *    DATE-TIME property; a plain CREATED or PRIORITY, nothing (nothing reads them). Any other
 *    line is read by libical, alone, in a VEVENT of its own: an X property it gives is taken
 *    as a plain one, anything else (libical's X-LIC-ERROR) is moved over. The X- properties
 *    travel together, in the order of the file, as one property (HELD_X_NAME).
 *  - ATTENDEE, ORGANIZER, SUMMARY, DESCRIPTION and LOCATION lose the parameters nothing reads
 *    (RSVP=TRUE/FALSE, LANGUAGE, X- parameters) before the parser gets them (feed_trim).
 *  - ATTENDEE, ORGANIZER, STATUS, TRANSP, CLASS, SEQUENCE and LOCATION lines are held too, so
 *    that what libical read of the same text before is not read again (held_props).
 * Plain parameters: NAME=value or NAME="value" (NAME of letters, digits and '-'; no control
 * character). A plain X- line: a name of letters, digits and '-' after "X-" (upper case:
 * libical reads "x-" as no name); plain parameters, not VALUE (it changes how the value is
 * read) nor ENCODING; a value that is not empty, does not begin with a blank, holds no control
 * character, and whose only backslashes escape ',', ';' or '\' (libical's dequoting). A plain
 * DTSTAMP, LAST-MODIFIED or CREATED: no parameter, YYYYMMDDTHHMMSSZ; PRIORITY: 1 to 9 digits.
 * t-ics test_held pins every kind against libical reading the same lines itself.
 */
static bool name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

/*
 * One plain parameter at p (its ';'): its name and value (quotes included); returns what
 * follows it (';' or ':'), or NULL when it is not plain.
 */
static const char *param_next(const char *p, const char **name, size_t *name_len, const char **val,
			      size_t *val_len)
{
	const char *v;

	*name = ++p;
	while (name_char(*p))
		p++;
	*name_len = (size_t)(p - *name);
	if (!*name_len || *p != '=')
		return NULL;
	v = ++p;
	if (*p == '"') {
		const char *q = strchr(p + 1, '"');

		if (!q)
			return NULL;
		for (const char *k = p + 1; k < q; k++)
			if ((unsigned char)*k < 0x20 || *k == 0x7f)
				return NULL;
		p = q + 1;
	} else {
		while (*p && *p != ';' && *p != ':' && *p != '"' && (unsigned char)*p >= 0x20 &&
		       *p != 0x7f)
			p++;
		if (p == v)
			return NULL;
	}
	if (*p != ';' && *p != ':')
		return NULL;
	*val = v;
	*val_len = (size_t)(p - v);
	return p;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(s, w, n);
}

/* What ends a run of plain value text: a backslash or a control character. */
#define VALUE_STOPS                                                                                  \
	"\\\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16" \
	"\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"

enum hkind { H_X, H_DTSTAMP, H_LASTMOD, H_DROP, H_PROP };

/* The X- properties of a VEVENT that were held, as one property (held_add). */
#define HELD_X_NAME "X-LIC-ICS2HUBSPOT-HELD"

struct held { /* a line held back from the parser (held_take) */
	size_t off; /* its line in creader's hraw */
	size_t name_len; /* its name: the line's first name_len bytes */
	size_t value_off; /* its value, from the line's start; 0: not plain, libical reads it */
	enum hkind kind;
	bool escaped; /* an X- value holds a backslash */
	icalproperty_kind pkind; /* H_PROP: the property its line gives */
	bool whole; /* H_PROP: a line read once whole (held_props); else its parameters are */
};

static bool x_plain(const char *line, struct held *h)
{
	const char *p = line + 2, *v, *pn, *pv;
	size_t pnl, pvl;

	if (line[0] != 'X')
		return false;
	while (name_char(*p))
		p++;
	if (p == line + 2)
		return false;
	h->name_len = (size_t)(p - line);
	while (*p == ';') {
		if (!(p = param_next(p, &pn, &pnl, &pv, &pvl)) || word_is(pn, pnl, "VALUE") ||
		    word_is(pn, pnl, "ENCODING"))
			return false;
	}
	if (*p != ':')
		return false;
	v = ++p;
	if (!*v || *v == ' ' || *v == '\t')
		return false;
	for (;;) {
		p += strcspn(p, VALUE_STOPS);
		if (*p != '\\')
			break;
		if (p[1] != ',' && p[1] != ';' && p[1] != '\\')
			return false;
		h->escaped = true;
		p += 2;
	}
	if (*p)
		return false; /* a control character */
	h->value_off = (size_t)(v - line);
	return true;
}

/* A UTC DATE-TIME as libical reads it without a word: YYYYMMDDTHHMMSSZ. */
static bool utc_stamp_plain(const char *v)
{
	for (int i = 0; i < 15; i++)
		if (i == 8 ? v[i] != 'T' : (v[i] < '0' || v[i] > '9'))
			return false;
	return v[15] == 'Z' && !v[16];
}

/* A plain UTC DATE-TIME (utc_stamp_plain) as icaltime_from_string() reads it, without sscanf. */
static struct icaltimetype utc_stamp_time(const char *v)
{
	struct icaltimetype t = icaltime_null_time();

	t.year = parse_digits(v, 4);
	t.month = parse_digits(v + 4, 2);
	t.day = parse_digits(v + 6, 2);
	t.hour = parse_digits(v + 9, 2);
	t.minute = parse_digits(v + 11, 2);
	t.second = parse_digits(v + 13, 2);
	t.zone = icaltimezone_get_utc_timezone();
	return t;
}

/*
 * Hold back an ATTENDEE or ORGANIZER line, or a STATUS, TRANSP, CLASS, SEQUENCE or LOCATION
 * line, for held_props: true when held.
 */
static bool held_take_prop(struct creader *cr, const char *line)
{
	static const struct {
		const char *name;
		icalproperty_kind kind;
		bool whole;
	} props[] = {
		{"ATTENDEE", ICAL_ATTENDEE_PROPERTY, false},
		{"ORGANIZER", ICAL_ORGANIZER_PROPERTY, false},
		{"STATUS", ICAL_STATUS_PROPERTY, true},
		{"SEQUENCE", ICAL_SEQUENCE_PROPERTY, true},
		{"TRANSP", ICAL_TRANSP_PROPERTY, true},
		{"CLASS", ICAL_CLASS_PROPERTY, true},
		{"LOCATION", ICAL_LOCATION_PROPERTY, true},
	};
	struct held h = {0};
	const char *t;

	switch (*line | 0x20) {
	case 'a':
	case 'o':
	case 's':
	case 't':
	case 'c':
	case 'l':
		break;
	default:
		return false;
	}
	if (!cr->lc || line[strlen(line) - 1] == ':')
		return false; /* no value: libical says so, and held_props would read each alone */
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		if (!prop_is(line, props[i].name, NULL))
			continue;
		h.kind = H_PROP;
		h.pkind = props[i].kind;
		h.whole = props[i].whole;
		h.name_len = strlen(props[i].name);
		h.off = cr->hraw.len;
		XGROW(cr->held, cr->capheld, cr->nheld + 1);
		cr->held[cr->nheld++] = h;
		/* a whole line as feed() gives it to the parser; the others are trimmed later */
		t = h.whole && h.pkind == ICAL_LOCATION_PROPERTY ? feed_trim(cr, line) : NULL;
		sbuf_add(&cr->hraw, t ? t : line, strlen(t ? t : line) + 1);
		return true;
	}
	return false;
}

/* What feed() gives the parser of held line h: an ATTENDEE or ORGANIZER is trimmed. */
static const char *held_text(struct creader *cr, const struct held *h, const char *line)
{
	const char *t = h->kind == H_PROP && !h->whole ? feed_trim(cr, line) : NULL;

	return t ? t : line;
}

/* Hold back a line of the open VEVENT (see above): true when held. */
static bool held_take(struct creader *cr, const char *line)
{
	struct held h = {0};
	const char *rest = NULL;
	bool plain = false;

	if (cr->hold_off || cr->hold_never || cr->sh.depth != 1 || cr->sh.top != TOP_VEVENT)
		return false;
	if (held_take_prop(cr, line))
		return true;
	switch (*line | 0x20) {
	case 'x':
		if (line[1] != '-')
			return false;
		if (!strncasecmp(line, "X-LIC-", 6)) {
			/* ours (held_add) in a calendar: unread, as every X-LIC- */
			return prop_is(line, HELD_X_NAME, NULL);
		}
		h.kind = H_X;
		plain = x_plain(line, &h);
		break;
	case 'd':
		if (!prop_is(line, "DTSTAMP", &rest))
			return false;
		h.kind = H_DTSTAMP;
		break;
	case 'l':
		if (!prop_is(line, "LAST-MODIFIED", &rest))
			return false;
		h.kind = H_LASTMOD;
		break;
	case 'c':
		if (!prop_is(line, "CREATED", &rest))
			return false;
		h.kind = H_DROP;
		break;
	case 'p':
		if (!prop_is(line, "PRIORITY", &rest))
			return false;
		h.kind = H_DROP;
		if (*rest == ':') {
			size_t n = strspn(rest + 1, "0123456789");

			plain = n >= 1 && n <= 9 && !rest[1 + n];
		}
		rest = NULL;
		break;
	default:
		return false;
	}
	if (rest) { /* DTSTAMP, LAST-MODIFIED, CREATED */
		plain = *rest == ':' && utc_stamp_plain(rest + 1);
		h.value_off = (size_t)(rest + 1 - line);
	}
	if (plain && h.kind == H_DROP)
		return true; /* nothing to add */
	if (!plain)
		h.value_off = 0;
	h.off = cr->hraw.len;
	XGROW(cr->held, cr->capheld, cr->nheld + 1);
	cr->held[cr->nheld++] = h;
	sbuf_add(&cr->hraw, line, strlen(line) + 1);
	return true;
}

static void held_drop(struct creader *cr)
{
	cr->nheld = 0;
	cr->hraw.len = 0;
	cr->hold_off = false;
}

/*
 * A line at the VEVENT's level that libical may read as a BEGIN or END although ours does not
 * ("BEGIN :VALARM"): the lines held so far go to the parser now, in their order, and the rest
 * of the VEVENT is read by the parser alone, as it was before lines were held.
 */
static void held_flush_if_doubt(struct creader *cr, const char *line)
{
	size_t n = strcspn(line, ";:");

	if (prop_is(line, "BEGIN", NULL) || prop_is(line, "END", NULL))
		return; /* a BEGIN or END to both */
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	if (!word_is(line, n, "BEGIN") && !word_is(line, n, "END"))
		return;
	for (size_t i = 0; i < cr->nheld; i++)
		feed_add(cr,
			 (char *)(uintptr_t)held_text(cr, &cr->held[i],
						      cr->hraw.buf + cr->held[i].off),
			 0);
	cr->nheld = 0;
	cr->hraw.len = 0;
	cr->hold_off = true;
}

/* A plain held X- line as the X property libical's parser makes of it (x_plain). */
static icalproperty *x_make(const char *line, const struct held *h)
{
	const char *v = line + h->value_off;
	char *val = NULL, name[256];
	icalproperty *p;

	if (h->escaped) {
		char *w = val = xmalloc(strlen(v) + 1);

		for (; *v; v++) {
			if (*v == '\\')
				v++;
			*w++ = *v;
		}
		*w = '\0';
	}
	p = icalproperty_new_x(val ? val : v);
	if (p) {
		if (h->name_len < sizeof(name)) {
			memcpy(name, line, h->name_len);
			name[h->name_len] = '\0';
			icalproperty_set_x_name(p, name);
		} else {
			char *n = xstrndup(line, h->name_len);

			icalproperty_set_x_name(p, n);
			free(n);
		}
	}
	free(val);
	return p;
}

/*
 * The X- properties of a VEVENT that were held (held_add) travel as one X property of this
 * name: its value "<length>:<name><length>:<text>"..., each text as x_value_text() gives it.
 * One property instead of one each (an Outlook event has 18) spares making, adding, reading
 * and freeing them all; the order of the file is kept (occ_fill, outlook_all_day: x_unpack).
 * Lines of this name in a calendar are dropped (held_take), as every X-LIC- one is unread.
 */
static char *x_value_text(icalproperty *p);

static void pack_len(struct sbuf *pk, size_t n)
{
	char d[24];
	size_t k = sizeof(d);

	d[--k] = ':';
	do
		d[--k] = (char)('0' + n % 10);
	while ((n /= 10));
	sbuf_add(pk, d + k, sizeof(d) - k);
}

/* An X property made or read by libical, into pk (what occ_fill reads of it), then freed. */
static void pack_prop(struct sbuf *pk, icalproperty *p)
{
	const char *n = icalproperty_get_x_name(p);
	char *v = x_value_text(p);

	pack_len(pk, strlen(n));
	sbuf_adds(pk, n);
	pack_len(pk, v ? strlen(v) : 0);
	if (v)
		sbuf_adds(pk, v);
	free(v);
	icalproperty_free(p);
}

/* A plain held X- line (x_plain) into pk: its text, as x_value_text() gives it. */
static void pack_plain(struct sbuf *pk, const char *line, const struct held *h)
{
	const char *v = line + h->value_off;
	size_t n = strlen(v), cut = 0;
	icalproperty *p;

	if (n >= ((size_t)1 << 20)) { /* as libical gives it (x_value_text) */
		if ((p = x_make(line, h)))
			pack_prop(pk, p);
		return;
	}
	pack_len(pk, h->name_len);
	sbuf_add(pk, line, h->name_len);
	if (!h->escaped) {
		pack_len(pk, n);
		sbuf_add(pk, v, n);
		return;
	}
	/* libical unescapes "\\," "\\;" and "\\\\"; x_value_text() doubles the backslashes again */
	for (const char *b = v; (b = strchr(b, '\\')); b += 2)
		cut += b[1] == ',' || b[1] == ';';
	pack_len(pk, n - cut);
	for (const char *b; (b = strchr(v, '\\')); v = b + 2) {
		sbuf_add(pk, v, (size_t)(b - v));
		if (b[1] == ',' || b[1] == ';')
			sbuf_add(pk, b + 1, 1);
		else
			sbuf_add(pk, b, 2); /* "\\\\" */
	}
	sbuf_adds(pk, v);
}

/*
 * The next X- property of a held one's value at *s: false at its end, or when the value is not
 * one we made (a line of that name fed to libical, held_take's hold_off).
 */
static bool x_unpack(const char **s, const char **name, size_t *nlen, const char **text,
		     size_t *tlen)
{
	const char *q = *s;
	size_t *len[2] = {nlen, tlen};
	const char **at[2] = {name, text};

	if (!*q)
		return false;
	for (int k = 0; k < 2; k++) {
		size_t n = 0;

		if (*q < '0' || *q > '9')
			return false;
		while (*q >= '0' && *q <= '9' && n < ((size_t)1 << 40))
			n = n * 10 + (size_t)(*q++ - '0');
		if (*q++ != ':' || strnlen(q, n) < n)
			return false;
		*at[k] = q;
		*len[k] = n;
		q += n;
	}
	*s = q;
	return true;
}

/* A line into the scratch parser's VEVENT (held_read, held_props); first: it begins one. */
static void scratch_add(struct creader *cr, const char *line, bool first)
{
	char begin[] = "BEGIN:VEVENT";

	if (!cr->hp && !(cr->hp = icalparser_new()))
		die(EXIT_USAGE, "out of memory");
	if (first)
		icalcomponent_free(icalparser_add_line(cr->hp, begin));
	icalcomponent_free(icalparser_add_line(cr->hp, (char *)(uintptr_t)line));
}

/* The scratch parser's VEVENT, or NULL (the parser is then read afresh from here on). */
static icalcomponent *scratch_end(struct creader *cr)
{
	char end[] = "END:VEVENT";
	icalcomponent *one = icalparser_add_line(cr->hp, end);

	if (one && icalcomponent_isa(one) == ICAL_VEVENT_COMPONENT)
		return one;
	/* not what lone properties give */
	if (one)
		icalcomponent_free(one);
	icalparser_free(cr->hp);
	cr->hp = NULL;
	return NULL;
}

/* What libical reads of one line alone, moved into comp; its X properties into pk. */
static void held_read(struct creader *cr, icalcomponent *comp, const char *line, struct sbuf *pk)
{
	icalcomponent *one;
	icalproperty *p;

	scratch_add(cr, line, true);
	if (!(one = scratch_end(cr)))
		return;
	while ((p = icalcomponent_get_first_property(one, ICAL_ANY_PROPERTY))) {
		const char *n =
			icalproperty_isa(p) == ICAL_X_PROPERTY ? icalproperty_get_x_name(p) : NULL;

		icalcomponent_remove_property(one, p);
		if (n && strncasecmp(n, "X-LIC-", 6))
			pack_prop(pk, p);
		else
			icalcomponent_add_property(comp, p);
	}
	icalcomponent_free(one);
}

/*
 * Lines read once (issue #26). On nearly every event, STATUS, TRANSP, CLASS, SEQUENCE and
 * often LOCATION are one of a few lines, and an ATTENDEE's ROLE, PARTSTAT and CUTYPE one of a few
 * parameters; libical reads each by comparing its name with every name it knows, and its value
 * with every value of its kind. Those lines of the VEVENT's own level are held (held_take_prop)
 * and read here, after the parser has read the rest:
 *  - a whole STATUS, TRANSP, CLASS, SEQUENCE or LOCATION line libical read before (the same
 *    text) is its property again, cloned;
 *  - ROLE=, PARTSTAT= and CUTYPE= parameters libical read before (the same text, unquoted,
 *    each at most once in its line) are taken out of the ATTENDEE or ORGANIZER line, and
 *    what libical made of them is cloned onto the property it makes of the rest;
 *  - what is left is read by libical, all the VEVENT's such lines in one VEVENT of their own.
 *    When that gives one property of the line's kind for each line, in order (no X-LIC-ERROR,
 *    no value read as several), each is the line's property, and the lines and parameters
 *    it read once are learnt; otherwise each line is read alone, as any held line that is
 *    not plain (held_read).
 * What is cloned is what libical made of the same text: libical stays the parser of what is
 * read. t-ics test_held compares every calendar of the tree read so and line by line.
 */
struct hparam { /* a parameter of held line i taken out (param), or to be learnt (NULL) */
	size_t i;
	icalparameter *param;
	icalparameter_kind kind;
	size_t at, len; /* its text, "ROLE=CHAIR", in the line */
};

static uint64_t lc_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The slot of key k (n bytes): its entry, or the empty slot it would take. */
static struct lc_entry *lc_slot(struct lcache *lc, const char *k, size_t n, uint64_t h)
{
	for (size_t i = h & (LC_SLOTS - 1);; i = (i + 1) & (LC_SLOTS - 1)) {
		struct lc_entry *e = &lc->slot[i];

		if (!e->key || (e->h == h && !strncmp(e->key, k, n) && !e->key[n]))
			return e;
	}
}

static struct lc_entry *lc_get(struct lcache *lc, const char *k, size_t n)
{
	struct lc_entry *e;

	if (!lc->slot || n > LC_KEY_MAX)
		return NULL;
	e = lc_slot(lc, k, n, lc_hash(k, n));
	return e->key ? e : NULL;
}

/* Learn what libical read of k: prop or param, the cache's own (freed when not kept). */
static void lc_put(struct lcache *lc, const char *k, size_t n, icalproperty *prop,
		   icalparameter *param)
{
	struct lc_entry *e;
	uint64_t h = lc_hash(k, n);
	bool text = prop && icalproperty_isa(prop) == ICAL_LOCATION_PROPERTY;

	if (n <= LC_KEY_MAX && lc->n < LC_MAX && !(text && lc->ntext >= LC_MAX / 2)) {
		if (!lc->slot)
			lc->slot = xcalloc(LC_SLOTS, sizeof(*lc->slot));
		e = lc_slot(lc, k, n, h);
		if (!e->key) {
			e->h = h;
			e->key = xstrndup(k, n);
			e->prop = prop;
			e->param = param;
			lc->n++;
			lc->ntext += text;
			return;
		}
	}
	if (prop)
		icalproperty_free(prop);
	if (param)
		icalparameter_free(param);
}

static void lc_release(struct lcache *lc)
{
	for (size_t i = 0; lc->slot && i < LC_SLOTS; i++) {
		struct lc_entry *e = &lc->slot[i];

		free(e->key);
		if (e->prop)
			icalproperty_free(e->prop);
		if (e->param)
			icalparameter_free(e->param);
	}
	free(lc->slot);
	memset(lc, 0, sizeof(*lc));
}

static bool trim_param(const char *pn, size_t pnl, const char *pv, size_t pvl);

static icalparameter_kind strip_kind(const char *n, size_t len)
{
	return word_is(n, len, "ROLE")	     ? ICAL_ROLE_PARAMETER
	       : word_is(n, len, "PARTSTAT") ? ICAL_PARTSTAT_PARAMETER
	       : word_is(n, len, "CUTYPE")   ? ICAL_CUTYPE_PARAMETER
					     : ICAL_NO_PARAMETER;
}

/* The parameter's key: "ATTENDEE;ROLE=CHAIR" (its line's name, then its text), or 0. */
static size_t hparam_key(const char *line, const struct held *h, size_t at, size_t len, char *k)
{
	if (h->name_len + 1 + len > LC_KEY_MAX)
		return 0;
	memcpy(k, line, h->name_len);
	k[h->name_len] = ';';
	memcpy(k + h->name_len + 1, line + at, len);
	return h->name_len + 1 + len;
}

/*
 * What decides, for each parameter of a line (params_without): 1 takes it out, 0 keeps it, -1
 * gives the line up. pn, pv: its name and value; end: what follows it.
 */
typedef int (*param_drop_fn)(void *arg, const char *pn, size_t pnl, const char *pv, size_t pvl,
			     const char *end);

/*
 * The line without the parameters drop() takes out, into out (p: where its parameters begin);
 * the line itself when none is; NULL when a parameter is not plain or drop() gives the line up.
 */
static const char *params_without(struct sbuf *out, const char *line, const char *p,
				  param_drop_fn drop, void *arg)
{
	const char *keep, *pn, *pv;
	size_t pnl, pvl;
	bool cut = false;

	out->len = 0;
	sbuf_add(out, line, (size_t)(p - line));
	while (*p == ';') {
		int d;

		keep = p;
		if (!(p = param_next(p, &pn, &pnl, &pv, &pvl)) ||
		    (d = drop(arg, pn, pnl, pv, pvl, p)) < 0)
			return NULL;
		if (d) {
			cut = true;
			continue;
		}
		sbuf_add(out, keep, (size_t)(p - keep));
	}
	if (!cut)
		return line;
	sbuf_adds(out, p);
	return out->buf;
}

struct strip { /* strip_params' state */
	struct creader *cr;
	size_t i, nparams;
	const char *line;
	unsigned seen;
};

/* A parameter of an ATTENDEE or ORGANIZER line (strip_params): out when nothing reads it or
 * libical read it before; to learn when it may be read once. */
static int strip_drop(void *arg, const char *pn, size_t pnl, const char *pv, size_t pvl,
		      const char *end)
{
	struct strip *st = arg;
	struct creader *cr = st->cr;
	icalparameter_kind kind;
	struct lc_entry *e;
	unsigned bit;
	size_t kl;
	char k[LC_KEY_MAX + 1];

	if (++st->nparams > 50)
		return -1;
	if (trim_param(pn, pnl, pv, pvl))
		return 1;
	if ((kind = strip_kind(pn, pnl)) == ICAL_NO_PARAMETER)
		return 0;
	bit = kind == ICAL_ROLE_PARAMETER ? 1u : kind == ICAL_PARTSTAT_PARAMETER ? 2u : 4u;
	if (st->seen & bit)
		return -1; /* a kind twice: libical's order of them is kept */
	st->seen |= bit;
	if (*pv == '"' || !(kl = hparam_key(st->line, &cr->held[st->i], (size_t)(pn - st->line),
					    (size_t)(end - pn), k)))
		return 0;
	XGROW(cr->hpar, cr->caphpar, cr->nhpar + 1);
	e = lc_get(cr->lc, k, kl);
	cr->hpar[cr->nhpar++] = (struct hparam){st->i, e ? e->param : NULL, kind,
						(size_t)(pn - st->line), (size_t)(end - pn)};
	return e != NULL;
}

/*
 * Held line i (ATTENDEE or ORGANIZER) without the parameters nothing reads (feed_trim) and
 * those libical read before, into cr->strip; the parameters to learn go to cr->hpar too. When
 * a parameter is not plain, or a kind comes twice: the line as feed() gives it to the parser.
 */
static const char *strip_params(struct creader *cr, size_t i, const char *line)
{
	struct strip st = {cr, i, 0, line, 0};
	size_t first = cr->nhpar;
	const char *t =
		params_without(&cr->strip, line, line + cr->held[i].name_len, strip_drop, &st);

	if (t)
		return t;
	cr->nhpar = first;
	t = feed_trim(cr, line);
	return t ? t : line;
}

static size_t param_count(icalproperty *p, icalparameter_kind kind)
{
	size_t n = 0;

	for (icalparameter *q = icalproperty_get_first_parameter(p, kind); q;
	     q = icalproperty_get_next_parameter(p, kind))
		n++;
	return n;
}

/*
 * Property p read from held line i: the parameters taken out put back, the new ones learnt.
 * *at: line i's first in cr->hpar (only lines read by the parser have some, in their order).
 */
static void held_prop_done(struct creader *cr, size_t i, icalproperty *p, size_t *at)
{
	const char *line = cr->hraw.buf + cr->held[i].off;
	char k[LC_KEY_MAX + 1];
	size_t kl;

	for (; *at < cr->nhpar && cr->hpar[*at].i == i; (*at)++) {
		const struct hparam *x = &cr->hpar[*at];

		if (x->param) {
			icalproperty_add_parameter(p, icalparameter_new_clone(x->param));
		} else if (param_count(p, x->kind) == 1 &&
			   (kl = hparam_key(line, &cr->held[i], x->at, x->len, k))) {
			icalparameter *c = icalparameter_new_clone(
				icalproperty_get_first_parameter(p, x->kind));

			icalparameter_set_parent(c, NULL);
			lc_put(cr->lc, k, kl, NULL, c);
		}
	}
	if (cr->held[i].whole)
		lc_put(cr->lc, line, strlen(line), icalproperty_new_clone(p), NULL);
}

/*
 * The properties of the VEVENT's H_PROP lines into cr->hprops (see above); NULL: held_read.
 * A line without one after the first loop is read by the scratch parser.
 */
static void held_props(struct creader *cr)
{
	icalcomponent *one;
	icalproperty *p;
	size_t nb = 0, at = 0;
	bool ok = true;

	XGROW(cr->hprops, cr->caphprops, cr->nheld);
	cr->nhpar = 0;
	for (size_t i = 0; i < cr->nheld; i++) {
		struct held *h = &cr->held[i];
		const char *line = cr->hraw.buf + h->off, *text = line;

		cr->hprops[i] = NULL;
		if (h->kind != H_PROP)
			continue;
		if (h->whole) {
			struct lc_entry *e = lc_get(cr->lc, line, strlen(line));

			if (e) {
				cr->hprops[i] = icalproperty_new_clone(e->prop);
				continue;
			}
		} else {
			text = strip_params(cr, i, line);
		}
		scratch_add(cr, text, !nb++);
	}
	if (!nb || !(one = scratch_end(cr)))
		return;
	p = icalcomponent_get_first_property(one, ICAL_ANY_PROPERTY);
	for (size_t i = 0; i < cr->nheld && ok; i++) {
		if (cr->held[i].kind != H_PROP || cr->hprops[i])
			continue;
		ok = p && icalproperty_isa(p) == cr->held[i].pkind;
		p = icalcomponent_get_next_property(one, ICAL_ANY_PROPERTY);
	}
	if (ok && !p && !icalcomponent_get_first_component(one, ICAL_ANY_COMPONENT)) {
		for (size_t i = 0; i < cr->nheld; i++) {
			if (cr->held[i].kind != H_PROP || cr->hprops[i])
				continue;
			p = icalcomponent_get_first_property(one, ICAL_ANY_PROPERTY);
			icalcomponent_remove_property(one, p);
			held_prop_done(cr, i, p, &at);
			cr->hprops[i] = p;
		}
	}
	icalcomponent_free(one);
}

/* The held lines of the VEVENT the parser just returned, in their order. */
static void held_add(struct creader *cr, icalcomponent *comp)
{
	struct sbuf *pk = &cr->pack;

	pk->len = 0;
	held_props(cr);
	for (size_t i = 0; i < cr->nheld; i++) {
		const struct held *h = &cr->held[i];
		const char *line = cr->hraw.buf + h->off;
		icalproperty *p = NULL;

		if (h->kind == H_PROP && cr->hprops[i]) {
			icalcomponent_add_property(comp, cr->hprops[i]);
			continue;
		}
		if (h->kind == H_PROP || !h->value_off) {
			held_read(cr, comp, held_text(cr, h, line), pk);
			continue;
		}
		switch (h->kind) {
		case H_X:
			pack_plain(pk, line, h);
			break;
		case H_DTSTAMP:
			p = icalproperty_new_dtstamp(utc_stamp_time(line + h->value_off));
			break;
		case H_LASTMOD:
			p = icalproperty_new_lastmodified(utc_stamp_time(line + h->value_off));
			break;
		case H_DROP: /* held only when not plain (held_take) */
		case H_PROP: /* read above */
			break;
		}
		if (p)
			icalcomponent_add_property(comp, p);
	}
	if (pk->len) {
		icalproperty *p = icalproperty_new_x(pk->buf);

		if (p) {
			icalproperty_set_x_name(p, HELD_X_NAME);
			icalcomponent_add_property(comp, p);
		}
	}
	held_drop(cr);
}

/* A parameter nothing reads: RSVP=TRUE/FALSE, LANGUAGE, X- (feed_trim, strip_params). */
static bool trim_param(const char *pn, size_t pnl, const char *pv, size_t pvl)
{
	return (word_is(pn, pnl, "RSVP") &&
		(word_is(pv, pvl, "TRUE") || word_is(pv, pvl, "FALSE"))) ||
	       word_is(pn, pnl, "LANGUAGE") || (pnl > 2 && !strncasecmp(pn, "X-", 2));
}

/*
 * The line without the parameters nothing reads (RSVP=TRUE/FALSE, LANGUAGE, X-), into
 * cr->trim, for a property that is read (ATTENDEE, ORGANIZER, SUMMARY, DESCRIPTION,
 * LOCATION); NULL when nothing is taken out or a parameter is not plain.
 */
static int trim_drop(void *arg, const char *pn, size_t pnl, const char *pv, size_t pvl,
		     const char *end)
{
	(void)arg;
	(void)end;
	return trim_param(pn, pnl, pv, pvl);
}

static const char *feed_trim(struct creader *cr, const char *line)
{
	const char *p = line, *t;

	switch (*line | 0x20) {
	case 'a':
	case 'o':
	case 's':
	case 'd':
	case 'l':
		break;
	default:
		return NULL;
	}
	if (cr->hold_never)
		return NULL;
	if (!prop_is(line, "ATTENDEE", &p) && !prop_is(line, "ORGANIZER", &p) &&
	    !prop_is(line, "SUMMARY", &p) && !prop_is(line, "DESCRIPTION", &p) &&
	    !prop_is(line, "LOCATION", &p))
		return NULL;
	if (*p != ';')
		return NULL;
	t = params_without(&cr->trim, line, p, trim_drop, NULL);
	return t == line ? NULL : t;
}

/*
 * The next top-level VEVENT, or NULL at the end of the file. *where is its
 * BEGIN:VEVENT line, *cancel whether its VCALENDAR has METHOD:CANCEL
 * (sequential reader only). Line-level warnings wait in cr->pend until the
 * caller knows the UID (creader_flush).
 */
static icalcomponent *creader_next(struct ctx *c, struct creader *cr, struct lpos *where,
				   bool *cancel)
{
	char *raw;
	struct lpos pos;

	while ((raw = reader_line(&cr->rd, &pos))) {
		char *line = skip_bom(raw);
		bool again;

		if (!*line)
			continue;
		if (pos.truncated) { /* named by pass 1 */
			if (cr->feeding && prop_is(line, "RRULE", NULL))
				feed_unread_rule(cr, pos.line);
			continue;
		}
		do {
			icalcomponent *comp;

			again = false;
			switch (shape_step(&cr->sh, line)) {
			case A_SKIP:
			case A_STRAY: /* named by pass 1 */
				break;
			case A_CALBEGIN:
				if (cr->sequential)
					cr->cancel_method = cr->itip_method = false;
				break;
			case A_CALPROP:
				if (cr->sequential && prop_is(line, "METHOD", NULL)) {
					const char *v = line_value(line);
					char *t = xstrdup(v ? v : "");

					str_trim(t);
					cr->cancel_method = !strcasecmp(t, "CANCEL");
					cr->itip_method = cr->cancel_method ||
							  !strcasecmp(t, "REPLY") ||
							  !strcasecmp(t, "REFRESH") ||
							  !strcasecmp(t, "DECLINECOUNTER");
					free(t);
				}
				break;
			case A_BEGIN:
				if (cr->sequential && cr->sh.top == TOP_VEVENT &&
				    is_window_skip(c, pos.off) &&
				    c->wskips[c->wskip_cursor].end_off >= 0) {
					/* not read at all: on after its END, as pass 1 found it */
					reader_seek(&cr->rd, c->wskips[c->wskip_cursor].end_off,
						    c->wskips[c->wskip_cursor].end_line);
					cr->sh.depth = 0;
					cr->feeding = false;
					creader_drop_pending(cr);
					held_drop(cr);
					break;
				}
				cr->feeding = cr->sh.top == TOP_VEVENT &&
					      !(cr->sequential && (is_override_offset(c, pos.off) ||
								   is_window_skip(c, pos.off)));
				cr->top = pos;
				cr->top_cancel = cr->cancel_method;
				cr->top_itip = cr->itip_method;
				creader_drop_pending(cr);
				held_drop(cr);
				free(cr->early_end);
				cr->early_end = NULL;
				if (cr->feeding)
					feed(cr, line, pos.line);
				break;
			case A_FEED:
				if (!cr->feeding)
					break;
				if (cr->sh.depth == 1 && !cr->hold_off &&
				    ((*line | 0x20) == 'b' || (*line | 0x20) == 'e'))
					held_flush_if_doubt(cr, line);
				if (!held_take(cr, line))
					feed(cr, line, pos.line);
				break;
			case A_END:
				if (!cr->feeding)
					break;
				for (int i = 0; i < cr->sh.extra_ends; i++) {
					char end[] = "END:X-UNTERMINATED";

					feed_add(cr, end, pos.line);
				}
				cr->feeding = false;
				if (cr->early_end) {
					if (!cr->quiet)
						ctx_lost(c, cr->early_line, cr->early_end,
							 "ends the VEVENT before its END:VEVENT");
					free(cr->early_end);
					cr->early_end = NULL;
					creader_drop_pending(cr);
					creader_reset_parser(cr);
					break;
				}
				comp = icalparser_add_line(cr->cp, line);
				if (comp && icalcomponent_isa(comp) == ICAL_VEVENT_COMPONENT) {
					held_add(cr, comp);
					*where = cr->top;
					*cancel = cr->top_cancel;
					return comp;
				}
				if (comp)
					icalcomponent_free(comp);
				creader_reset_parser(cr);
				break;
			case A_ABORT:
				if (cr->feeding) {
					if (!cr->quiet)
						ctx_warn(c, cr->top.line, NULL,
							 "VEVENT without END:VEVENT skipped");
					creader_drop_pending(cr);
					creader_reset_parser(cr);
					cr->feeding = false;
				}
				again = true;
				break;
			}
		} while (again);
	}
	if (cr->feeding) {
		if (!cr->quiet)
			ctx_warn(c, cr->top.line, NULL,
				 "VEVENT without END:VEVENT at end of file skipped");
		creader_drop_pending(cr);
		creader_reset_parser(cr);
		cr->feeding = false;
	}
	return NULL;
}

/* Re-read the VEVENT that begins at `off` (line `line`). */
static icalcomponent *read_at(struct ctx *c, struct creader *cr, int64_t off, long line, bool quiet)
{
	struct lpos where;
	bool cancel = false;
	icalcomponent *comp;

	reader_seek(&cr->rd, off, line);
	memset(&cr->sh, 0, sizeof(cr->sh));
	creader_reset_parser(cr);
	creader_drop_pending(cr);
	cr->feeding = false;
	cr->quiet = quiet;
	comp = creader_next(c, cr, &where, &cancel);
	if (comp && where.off != off) {
		icalcomponent_free(comp);
		return NULL;
	}
	return comp;
}

/* libical's parser message (X-LIC-ERROR) in our words. */
static int lic_error_kind(const char *m)
{
	if (strstr(m, "RRULE") || strstr(m, "EXRULE"))
		return 0;
	if (strstr(m, "could not find a property name"))
		return 1;
	if (strstr(m, "property name"))
		return 2;
	if (strstr(m, "parameter"))
		return 3;
	return 4;
}

/*
 * X-LIC-ERROR properties and pending line warnings of a freshly read VEVENT:
 * libical's parser messages become one warning per VEVENT, in our words.
 */
static void report_component(struct ctx *c, struct creader *cr, icalcomponent *comp, long line,
			     const char *uid)
{
	static const char *const what[] = {
		"", "with no property name (badly folded?)", "with an invalid property name",
		"with an unreadable parameter", "with an unreadable value"};
	long n[5] = {0, 0, 0, 0, 0}, total = 0;
	char *u = uid_print(uid), *rule = NULL;

	creader_flush(c, cr, u);
	if (!cr->quiet) {
		for (icalproperty *p =
			     icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
		     p; p = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY)) {
			const char *m = icalproperty_get_xlicerror(p);
			int k;

			if (!m)
				continue;
			if (strstr(m, "No value for ") && strstr(m, "Removing entire property")) {
				char *s;

				utf8_sanitize(m, &s);
				verbose("%s:%ld: UID %s: %s", c->display, line, u ? u : "(none)",
					s);
				free(s);
				continue;
			}
			k = lic_error_kind(m);
			if (k == 0 && !rule) {
				const char *v = strstr(m, "property: ");
				char *t = xstrndup(v ? v + 10 : m, 120);

				utf8_sanitize(t, &rule);
				free(t);
			}
			n[k]++;
			total++;
		}
	}
	if (total > n[0]) {
		struct sbuf sb = SBUF_INIT;

		sbuf_addf(&sb, "%ld unreadable line%s ignored: ", total - n[0],
			  total - n[0] > 1 ? "s" : "");
		for (int k = 1, first = 1; k < 5; k++)
			if (n[k]) {
				sbuf_addf(&sb, "%s%ld %s", first ? "" : ", ", n[k], what[k]);
				first = 0;
			}
		ctx_warn(c, line, u, "%s", sb.buf);
		sbuf_release(&sb);
	}
	if (n[0])
		ctx_damage(c, line, u,
			   "unreadable RRULE \"%s\": the event is read without it, the calendar "
			   "is not read in full",
			   rule ? rule : "");
	free(rule);
	free(u);
}

/* ---------------------------------------------------------------------------------------- */
/* Pass 1: the index.                                                                        */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Add h to the Bloom filter; true when it was (probably) there already. */
static bool bloom_add(struct ctx *c, uint64_t h)
{
	uint64_t h1 = mix64(h), h2 = mix64(h ^ 0x9e3779b97f4a7c15ULL) | 1;
	bool all = true;

	for (uint64_t i = 0; i < 3; i++) {
		uint64_t b = (h1 + i * h2) & c->bloom_mask;
		uint8_t bit = (uint8_t)(1u << (b & 7));

		if (!(c->bloom[b >> 3] & bit)) {
			all = false;
			c->bloom[b >> 3] |= bit;
		}
	}
	return all;
}

static uint64_t uid_hash(const char *uid)
{
	return hash64(uid, strlen(uid), HASH64_SEED);
}

struct p1ev {
	bool active, has_uid, has_recid, cancel;
	bool range; /* its RECURRENCE-ID has a RANGE (or we could not tell) */
	bool want_win; /* a window was asked for: feed win_event_line() */
	int64_t off;
	long line;
	uint64_t hash;
	int32_t seq;
	int64_t last_modified, dtstamp;
	struct win_event win; /* can it start in the window? (window.h) */
};

/* A UTC DATE-TIME value ("20240101T120000Z") as seconds; 0 when unreadable. */
static int64_t stamp_parse(const char *v)
{
	int y, mo, d, h, mi, se;

	if (!v)
		return 0;
	/* the usual form without sscanf(); other forms through it (the same fields) */
	if ((y = parse_digits(v, 4)) < 0 || (mo = parse_digits(v + 4, 2)) < 0 ||
	    (d = parse_digits(v + 6, 2)) < 0 || v[8] != 'T' || (h = parse_digits(v + 9, 2)) < 0 ||
	    (mi = parse_digits(v + 11, 2)) < 0 || (se = parse_digits(v + 13, 2)) < 0) {
		h = mi = se = 0;
		if (sscanf(v, "%4d%2d%2dT%2d%2d%2d", &y, &mo, &d, &h, &mi, &se) < 3)
			return 0;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    se < 0 || se > 60)
		return 0;
	return civil_secs(y, mo, d, h, mi, se);
}

/* What decides between two VEVENTs with one UID and SEQUENCE: LAST-MODIFIED, else DTSTAMP. */
static int64_t comp_stamp(icalcomponent *comp)
{
	icalproperty *p = icalcomponent_get_first_property(comp, ICAL_LASTMODIFIED_PROPERTY);
	char *v;
	int64_t t;

	if (!p)
		p = icalcomponent_get_first_property(comp, ICAL_DTSTAMP_PROPERTY);
	if (!p)
		return 0;
	v = icalproperty_get_value_as_string_r(p);
	t = stamp_parse(v);
	free(v);
	return t;
}

/* TEXT unescaping for calendar-level values we read from raw lines. */
static char *text_unescape(const char *v)
{
	struct sbuf sb = SBUF_INIT;

	for (; *v; v++) {
		if (*v == '\\' && v[1]) {
			v++;
			sbuf_addc(&sb, (*v == 'n' || *v == 'N') ? '\n' : *v);
		} else {
			sbuf_addc(&sb, *v);
		}
	}
	return sbuf_detach(&sb);
}

static void p1_calprop(struct ctx *c, const char *line, bool *cancel)
{
	const char *v = line_value(line);
	char *t;

	if (!v)
		return;
	if (prop_is(line, "X-WR-TIMEZONE", NULL) && !c->xwr_tz) {
		t = xstrdup(v);
		str_trim(t);
		if (*t)
			utf8_sanitize(t, &c->xwr_tz);
		free(t);
	} else if (prop_is(line, "X-WR-CALNAME", NULL) && !c->calname) {
		t = text_unescape(v);
		str_trim(t);
		if (*t)
			utf8_sanitize(t, &c->calname);
		free(t);
	} else if (prop_is(line, "METHOD", NULL)) {
		t = xstrdup(v);
		*cancel = !strcasecmp(str_trim(t), "CANCEL");
		free(t);
	}
}

static void p1_prop(struct p1ev *ev, const char *line)
{
	const char *v;

	if (!ev->active)
		return;
	if (ev->want_win)
		win_event_line(&ev->win, line);
	switch (line[0] | 0x20) { /* the first letters of the names below */
	case 'u':
	case 'r':
	case 'l':
	case 'd':
	case 's':
		break;
	default:
		return;
	}
	if (prop_is(line, "UID", NULL)) {
		if (ev->has_uid || !(v = line_value(line)) || !*v)
			return;
		if (strchr(v, '\\')) {
			/* escaped TEXT: let libical unescape it exactly as in pass 2 */
			icalproperty *p = icalproperty_new_from_string(line);
			const char *u = p ? icalproperty_get_uid(p) : NULL;

			if (u && *u) {
				ev->hash = uid_hash(u);
				ev->has_uid = true;
			}
			if (p)
				icalproperty_free(p);
			return;
		}
		ev->hash = uid_hash(v);
		ev->has_uid = true;
	} else if (prop_is(line, "RECURRENCE-ID", &v)) {
		const char *val = line_value(line);

		if (val && *val)
			ev->has_recid = true;
		/* any parameter but TZID or VALUE may be a RANGE: not outside then */
		while (*v == ';') {
			if (strncasecmp(v + 1, "TZID=", 5) && strncasecmp(v + 1, "VALUE=", 6))
				ev->range = true;
			v += 1 + strcspn(v + 1, ";:\"");
			if (*v == '"')
				ev->range = true; /* a quoted value: not looked into */
		}
	} else if (prop_is(line, "LAST-MODIFIED", NULL)) {
		ev->last_modified = stamp_parse(line_value(line));
	} else if (prop_is(line, "DTSTAMP", NULL)) {
		ev->dtstamp = stamp_parse(line_value(line));
	} else if (prop_is(line, "SEQUENCE", NULL)) {
		long s;

		v = line_value(line);
		s = v ? strtol(v, NULL, 10) : 0;
		ev->seq = (int32_t)(s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : s);
	}
}

static void p1_event(struct ctx *c, struct p1ev *ev)
{
	if (!ev->active)
		return;
	ev->active = false;
	c->st->events++;
	if (!ev->has_uid)
		return;
	if (!ev->has_recid && c->opt && (c->opt->has_since || c->opt->has_until) &&
	    win_event_outside(&ev->win, c->opt->has_since ? c->opt->since : T_MIN,
			      c->opt->has_until ? c->opt->until : T_MAX)) {
		XGROW(c->wskips, c->capwskips, c->nwskips + 1);
		c->wskips[c->nwskips].hash = ev->hash;
		c->wskips[c->nwskips].end_off = -1;
		c->wskips[c->nwskips].end_line = 0;
		c->wskips[c->nwskips++].off = ev->off;
	}
	if (ev->has_recid) {
		XGROW(c->ovs, c->capovs, c->novs + 1);
		c->ovs[c->novs].hash = ev->hash;
		c->ovs[c->novs].off = ev->off;
		c->ovs[c->novs].line = (int32_t)ev->line;
		c->ovs[c->novs].flags = ev->cancel ? OV_CANCEL : 0;
		if (!ev->range && c->opt && (c->opt->has_since || c->opt->has_until) &&
		    win_event_outside(&ev->win, c->opt->has_since ? c->opt->since : T_MIN,
				      c->opt->has_until ? c->opt->until : T_MAX))
			c->ovs[c->novs].flags |= OV_OUTSIDE;
		c->novs++;
	} else if (bloom_add(c, ev->hash)) {
		struct dup *d;

		XGROW(c->dups, c->capdups, c->ndups + 1);
		d = &c->dups[c->ndups++];
		memset(d, 0, sizeof(*d));
		d->hash = ev->hash;
		d->off = ev->off;
		d->line = (int32_t)ev->line;
		d->seq = ev->seq;
		d->stamp = ev->last_modified ? ev->last_modified : ev->dtstamp;
	}
}

/*
 * An observance rule stepping in days, hours, minutes or seconds is no time zone's
 * (real ones are YEARLY), and libical's own zone expansion steps it one unit at
 * a time from DTSTART to its last zone year, checking the BYxxx parts at every
 * step: a rule that never matches (FREQ=MINUTELY;BYMONTHDAY=31;BYMONTH=2) never
 * returns. Such rules are dropped, with a warning, before libical sees them;
 * the observance keeps its DTSTART (one change). Found by fuzz_ics.
 */
static void tz_drop_fast_rules(struct ctx *c, icalcomponent *vtz, long line)
{
	const char *tzid = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)
				   ? icalproperty_get_tzid(icalcomponent_get_first_property(
					     vtz, ICAL_TZID_PROPERTY))
				   : NULL;

	for (icalcomponent *o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); o;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(o, ICAL_RRULE_PROPERTY), *next;

		for (; p; p = next) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);

			next = icalcomponent_get_next_property(o, ICAL_RRULE_PROPERTY);
			if (r.freq == ICAL_NO_RECURRENCE || r.freq >= ICAL_WEEKLY_RECURRENCE)
				continue;
			ctx_warn(c, line, NULL,
				 "VTIMEZONE \"%s\": an observance rule with FREQ=%s ignored (time "
				 "zone rules repeat yearly)",
				 tzid ? tzid : "?", icalrecur_freq_to_string(r.freq));
			icalcomponent_remove_property(o, p);
			icalproperty_free(p);
		}
	}
}

/*
 * Keep a VTIMEZONE as a zone of its own. They used to be children of one holder
 * VCALENDAR, whose lookups libical makes in O(log n) but whose free is quadratic
 * (icalcomponent_remove_component() looks for each child's zone through the whole
 * array: 50,000 VTIMEZONEs took 7 s); tz_find() finds the zone the holder's lookup
 * (icalcomponent_get_timezone) found, duplicates included.
 */
/* A TZOFFSETTO/TZOFFSETFROM line whose value has no sign (Apple iCal 1.5: "0100"). */
static bool tz_offset_unsigned(const char *line)
{
	const char *v;

	if (!prop_is(line, "TZOFFSETTO", NULL) && !prop_is(line, "TZOFFSETFROM", NULL))
		return false;
	v = line_value(line);
	return v && *v != '+' && *v != '-';
}

static void p1_keep_tz(struct ctx *c, icalcomponent *comp, long line)
{
	if (icalcomponent_isa(comp) != ICAL_VTIMEZONE_COMPONENT ||
	    !icalcomponent_get_first_property(comp, ICAL_TZID_PROPERTY)) {
		icalcomponent_free(comp);
		return;
	}
	tz_drop_fast_rules(c, comp, line);
	zone_table_add(&c->zt, comp, c->tz_unsigned);
}

static const struct ov *ovs_base; /* for the qsort comparator */

static int ov_hash_cmp(const void *a, const void *b)
{
	const struct ov *x = &ovs_base[*(const uint32_t *)a], *y = &ovs_base[*(const uint32_t *)b];

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int dup_cmp(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Which of two VEVENTs with one UID wins: higher SEQUENCE, then more recent, then later. */
static bool key_gt(int32_t s1, int64_t t1, int64_t o1, int32_t s2, int64_t t2, int64_t o2)
{
	return s1 > s2 || (s1 == s2 && (t1 > t2 || (t1 == t2 && o1 > o2)));
}

static int pass1(struct ctx *c)
{
	struct reader r;
	struct shape sh = {0, TOP_NONE, 0};
	icalparser *tzp = NULL;
	long tz_line = 0;
	struct p1ev ev;
	bool cancel = false;
	char *raw;
	struct lpos pos;
	int ret = 0;

	long last_line = 0;
	bool skip_end = false;

	memset(&ev, 0, sizeof(ev));
	reader_init(&r, c->fd);
	while ((raw = reader_line(&r, &pos))) {
		char *line = skip_bom(raw);
		const char *why;
		bool again;

		if (skip_end) { /* where pass 2 goes on after the VEVENT it skips */
			c->wskips[c->nwskips - 1].end_off = pos.off;
			c->wskips[c->nwskips - 1].end_line = pos.line;
			skip_end = false;
		}
		last_line = pos.line;
		if (!*line)
			continue;
		if (pos.truncated) {
			char *msg = xasprintf("is longer than %ld bytes: dropped", ICS_MAX_LINE);

			ctx_lost(c, pos.line, line, msg);
			free(msg);
			continue;
		}
		if (sh.depth > 0 && (why = begin_end_damage(line)))
			ctx_lost(c, pos.line, line, why);
		do {
			icalcomponent *comp;

			again = false;
			switch (shape_step(&sh, line)) {
			case A_SKIP: /* END:VCALENDAR */
				c->cal_open = false;
				break;
			case A_CALBEGIN:
				c->saw_calendar = true;
				c->cal_open = true;
				c->cal_line = pos.line;
				cancel = false;
				break;
			case A_CALPROP:
				if ((why = begin_end_damage(line))) {
					ctx_lost(c, pos.line, line, why);
					c->damaged_begin = prop_is(line, "BEGIN", NULL);
				} else if (garbled_begin_end(line)) {
					ctx_lost(c, pos.line, line,
						 "is a damaged BEGIN/END at calendar level");
					c->damaged_begin = true;
				} else {
					p1_calprop(c, line, &cancel);
				}
				break;
			case A_STRAY:
				/* the END of a damaged BEGIN: one damage, named once */
				if (!c->damaged_begin)
					ctx_lost(c, pos.line, line, "has no BEGIN");
				c->damaged_begin = false;
				break;
			case A_BEGIN:
				if (sh.top != TOP_OTHER) /* a VALARM of the damaged VEVENT is not */
					c->damaged_begin = false;
				if (sh.top != TOP_OTHER)
					c->saw_calendar = true;
				if (sh.top == TOP_VEVENT) {
					memset(&ev, 0, sizeof(ev));
					ev.active = true;
					ev.off = pos.off;
					ev.line = pos.line;
					ev.cancel = cancel;
					ev.want_win =
						c->opt && (c->opt->has_since || c->opt->has_until);
					c->saw_vevent = true;
				} else if (sh.top == TOP_VTIMEZONE) {
					tz_line = pos.line;
					c->tz_unsigned = false;
					if (tzp)
						icalparser_free(tzp);
					tzp = icalparser_new();
					if (tzp)
						icalparser_add_line(tzp, line);
				}
				break;
			case A_FEED:
				if (sh.top == TOP_VTIMEZONE && tz_offset_unsigned(line))
					c->tz_unsigned = true; /* libical reads "0100" as +01:00 */
				if (sh.top == TOP_VEVENT && sh.depth == 1) {
					p1_prop(&ev, line);
				} else if (sh.top == TOP_VTIMEZONE && tzp &&
					   (comp = icalparser_add_line(tzp, line))) {
					/*
					 * A line libical reads as the END of the whole
					 * VTIMEZONE before ours ("END\t:VCALENDAR"): it hands
					 * the component back now (found by fuzz_ics).
					 */
					ctx_warn(
						c, pos.line, NULL,
						"a VTIMEZONE ends early at this line (a damaged END)");
					p1_keep_tz(c, comp, tz_line);
				}
				break;
			case A_END:
				if (sh.top == TOP_VEVENT) {
					size_t nw = c->nwskips;

					p1_event(c, &ev);
					skip_end = c->nwskips > nw && !sh.extra_ends;
				} else if (sh.top == TOP_VTIMEZONE && tzp) {
					comp = NULL;
					for (int i = 0; i < sh.extra_ends && !comp; i++) {
						char end[] = "END:X-UNTERMINATED";

						/* the VTIMEZONE itself when a damaged END
						 * ("END\t:X") already closed an inner one */
						comp = icalparser_add_line(tzp, end);
					}
					if (!comp)
						comp = icalparser_add_line(tzp, line);
					if (comp)
						p1_keep_tz(c, comp, tz_line);
					icalparser_free(tzp);
					tzp = NULL;
				}
				break;
			case A_ABORT:
				if (tzp) {
					icalparser_free(tzp);
					tzp = NULL;
				}
				if (ev.active)
					c->st->lost_events++; /* pass 2 names it */
				ev.active = false;
				again = true;
				break;
			}
		} while (again);
	}
	if (tzp)
		icalparser_free(tzp);
	if (ev.active && sh.depth > 0)
		c->st->lost_events++; /* no END:VEVENT before the end of the file */
	else if (c->cal_open && !r.rd_errno) {
		c->st->lost_events++;
		c->st->warnings++;
		if (ctx_may_print(c))
			error("%s:%ld: the file ends without the END:VCALENDAR of line %ld (cut "
			      "off?): events after this line may be lost",
			      c->display, last_line, c->cal_line);
	}
	if (r.rd_errno) {
		errno = r.rd_errno;
		ret = error_errno("cannot read %s", c->display);
	}
	reader_release(&r);

	/* Index overrides by hash, duplicate masters by (hash, offset). */
	if (c->novs) {
		c->ov_by_hash = xmalloc(c->novs * sizeof(*c->ov_by_hash));
		for (size_t i = 0; i < c->novs; i++)
			c->ov_by_hash[i] = (uint32_t)i;
		ovs_base = c->ovs;
		qsort(c->ov_by_hash, c->novs, sizeof(*c->ov_by_hash), ov_hash_cmp);
	}
	if (c->ndups) {
		qsort(c->dups, c->ndups, sizeof(*c->dups), dup_cmp);
		for (size_t a = 0, b; a < c->ndups; a = b) {
			size_t best = a;

			for (b = a; b < c->ndups && c->dups[b].hash == c->dups[a].hash; b++)
				if (key_gt(c->dups[b].seq, c->dups[b].stamp, c->dups[b].off,
					   c->dups[best].seq, c->dups[best].stamp,
					   c->dups[best].off))
					best = b;
			c->dups[a].best = (int32_t)best;
		}
	}
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* Occurrence fields.                                                                        */

/* The n bytes at s as a string of valid UTF-8 (repaired: *bad). */
static char *clean_n(const char *s, size_t n, bool *bad)
{
	size_t i = 0;
	char *out, *t;

	/* ASCII is valid UTF-8 as it is: eight bytes at a time, none with its high bit */
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & UINT64_C(0x8080808080808080))
			break;
	}
	while (i < n && !((unsigned char)s[i] & 0x80))
		i++;
	if (i == n)
		return xstrndup(s, n);
	t = xstrndup(s, n);
	if (!utf8_sanitize(t, &out))
		*bad = true;
	free(t);
	return out;
}

static char *clean(const char *s, bool *bad)
{
	return s ? clean_n(s, strlen(s), bad) : NULL;
}

static char *upper_n(const char *s, size_t n, bool *bad)
{
	char *o = clean_n(s, n, bad);

	for (char *p = o; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return o;
}

static char *upper_dup(const char *s, bool *bad)
{
	return s ? upper_n(s, strlen(s), bad) : NULL;
}

/* libical's name of a parameter's enum value e; NULL for an unknown (x) or no (none) value. */
static const char *enum_name(int e, int x, int none)
{
	return e != x && e != none ? icalparameter_enum_to_string(e) : NULL;
}

/*
 * The value of the first parameter `kind` (named `name`) of p, as
 * icalproperty_get_parameter_as_string_r() gives it. A value libical knows
 * (PARTSTAT=ACCEPTED) is its enum's name: that is what libical would print
 * (only an unknown value keeps its text), without printing the parameter.
 */
static char *param_str(icalproperty *p, icalparameter_kind kind, const char *name, bool upper,
		       bool *bad)
{
	icalparameter *pa = icalproperty_get_first_parameter(p, kind);
	const char *known = NULL;
	char *v, *o;

	if (!pa)
		return NULL;
	switch (kind) {
	case ICAL_PARTSTAT_PARAMETER:
		known = enum_name((int)icalparameter_get_partstat(pa), ICAL_PARTSTAT_X,
				  ICAL_PARTSTAT_NONE);
		break;
	case ICAL_ROLE_PARAMETER:
		known = enum_name((int)icalparameter_get_role(pa), ICAL_ROLE_X, ICAL_ROLE_NONE);
		break;
	case ICAL_CUTYPE_PARAMETER:
		known = enum_name((int)icalparameter_get_cutype(pa), ICAL_CUTYPE_X,
				  ICAL_CUTYPE_NONE);
		break;
	case ICAL_CN_PARAMETER:
		/*
		 * The value as libical keeps it, when it holds nothing its text form
		 * would quote-escape or encode (a control character, '"' or '^'; UTF-8
		 * is kept as it is): then it is what get_parameter_as_string_r() returns
		 * through that text form, which cost a third of reading an attendee.
		 */
		known = icalparameter_get_cn(pa);
		for (const char *k = known; k && *k; k++)
			if ((unsigned char)*k < 0x20 || *k == 0x7f || *k == '"' || *k == '^') {
				known = NULL;
				break;
			}
		break;
	default:
		break;
	}
	if (known && kind != ICAL_CN_PARAMETER)
		return xstrdup(known); /* libical's name of the value: upper-case ASCII */
	if (known)
		return upper ? upper_dup(known, bad) : clean(known, bad);
	v = icalproperty_get_parameter_as_string_r(p, name);
	if (!v)
		return NULL;
	o = upper ? upper_dup(v, bad) : clean(v, bad);
	free(v);
	return o;
}

static void attendee_from(icalproperty *p, const char *addr, struct attendee *a, bool *bad)
{
	char *e = clean(addr, bad);

	memset(a, 0, sizeof(*a));
	a->email = e ? email_normalize(e) : NULL;
	free(e);
	a->name = param_str(p, ICAL_CN_PARAMETER, "CN", false, bad);
	a->partstat = param_str(p, ICAL_PARTSTAT_PARAMETER, "PARTSTAT", true, bad);
	a->role = param_str(p, ICAL_ROLE_PARAMETER, "ROLE", true, bad);
	a->cutype = param_str(p, ICAL_CUTYPE_PARAMETER, "CUTYPE", true, bad);
}

/* First Teams / Meet / Zoom / Webex https link in text, or NULL. */
static char *find_meeting_link(const char *text)
{
	static const char *const hosts[] = {"teams.microsoft.com", "teams.live.com",
					    "meet.google.com",	   "zoom.us",
					    "webex.com",	   "gotomeeting.com"};

	for (const char *p = text ? strstr(text, "https://") : NULL; p;
	     p = strstr(p + 8, "https://")) {
		const char *h = p + 8, *e = h;
		size_t hl;

		while (*e && !strchr("/?#:\"'<> \t\r\n\\)]", *e))
			e++;
		hl = (size_t)(e - h);
		for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
			size_t n = strlen(hosts[i]);

			if (hl >= n && !strncasecmp(e - n, hosts[i], n) &&
			    (hl == n || e[-(long)n - 1] == '.')) {
				const char *end = e;

				while (*end && !strchr("\"'<> \t\r\n\\", *end))
					end++;
				return xstrndup(p, (size_t)(end - p));
			}
		}
	}
	return NULL;
}

static void add_x(struct occurrence *o, size_t *cap, char *name, char *value)
{
	XGROW(o->x, *cap, o->nx + 1);
	o->x[o->nx].name = name;
	o->x[o->nx].value = value;
	o->nx++;
}

/*
 * An X- property's value as icalproperty_get_value_as_string_r() gives it: libical keeps the
 * text unescaped (x_value) and quotes it again character by character, turning a newline
 * into "\\n", a backslash into two and dropping CR, BS and FF (',' and ';' of an X- value
 * stay as they are). The usual value holds no newline, CR, BS or FF: then it is copied here,
 * backslashes doubled, which had been a twentieth of expanding an Outlook calendar; any other
 * value (or kind of value) is still libical's.
 */
static char *x_value_text(icalproperty *p)
{
	icalvalue *val = icalproperty_get_value(p);
	const char *x = val && icalvalue_isa(val) == ICAL_X_VALUE ? icalvalue_get_x(val) : NULL;
	size_t n = 0, bs = 0;
	char *out, *w;

	if (!x)
		return icalproperty_get_value_as_string_r(p);
	for (;;) {
		n += strcspn(x + n, "\\\n\r\b\f");
		if (x[n] != '\\')
			break;
		bs++;
		n++;
	}
	if (x[n])
		return icalproperty_get_value_as_string_r(p);
	if (n >= (1u << 20))
		return icalproperty_get_value_as_string_r(p);
	w = out = xmalloc(n + bs + 1);
	if (!bs) {
		memcpy(out, x, n + 1);
		return out;
	}
	for (const char *q = x; *q; q++) {
		if (*q == '\\')
			*w++ = '\\';
		*w++ = *q;
	}
	*w = '\0';
	return out;
}

/* An X- property named n (nlen bytes), of text v (vlen bytes: x_value_text), into o. */
static void occ_x(struct occurrence *o, size_t *capx, const char *n, size_t nlen, const char *v,
		  size_t vlen, char **conf, char **alt_desc, bool *bad)
{
	char *name = upper_n(n, nlen, bad), *value = clean_n(v, vlen, bad);

	if (!strcmp(name, "X-MICROSOFT-CDO-BUSYSTATUS") && !o->busy_status)
		o->busy_status = upper_dup(value, bad);
	else if (!*conf &&
		 (!strcmp(name, "X-GOOGLE-CONFERENCE") ||
		  !strcmp(name, "X-MICROSOFT-SKYPETEAMSMEETINGURL") ||
		  !strcmp(name, "X-MICROSOFT-ONLINEMEETINGCONFLINK") ||
		  !strcmp(name, "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK")) &&
		 str_starts_with_ci(value, "https://"))
		*conf = xstrdup(value);
	else if (!strcmp(name, "X-ALT-DESC") && !*alt_desc)
		*alt_desc = xstrdup(value);
	add_x(o, capx, name, value);
}

/* Serial of occ_fill()'s fills (struct occurrence's fill), over all calendars read. */
static uint64_t fills;

/*
 * Everything of an occurrence except its times, from one VEVENT (a master, an
 * override or a single event). Strings are valid UTF-8 (repaired with a warning).
 */
static void occ_fill(struct ctx *c, icalcomponent *comp, const char *uid, long line, const char *tz,
		     bool cancelled, bool warn, struct occurrence *o)
{
	bool bad = false;
	size_t capatt = 0, capx = 0;
	struct sbuf cats = SBUF_INIT;
	char *alt_desc = NULL, *conf = NULL;

	memset(o, 0, sizeof(*o));
	o->fill = ++fills;
	o->uid = clean(uid, &bad);
	o->tz = xstrdup(tz);
	o->calendar_name = xstrdup(c->calname);
	o->source = xstrdup(c->source);
	o->file = xstrdup(c->display);
	o->line = (int)line;
	for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY); p;
	     p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
		switch (icalproperty_isa(p)) {
		case ICAL_SUMMARY_PROPERTY:
			if (!o->summary)
				o->summary = clean(icalproperty_get_summary(p), &bad);
			break;
		case ICAL_DESCRIPTION_PROPERTY:
			if (!o->description)
				o->description = clean(icalproperty_get_description(p), &bad);
			break;
		case ICAL_LOCATION_PROPERTY:
			if (!o->location)
				o->location = clean(icalproperty_get_location(p), &bad);
			break;
		case ICAL_URL_PROPERTY:
			if (!o->url)
				o->url = clean(icalproperty_get_url(p), &bad);
			break;
		case ICAL_STATUS_PROPERTY:
			if (!o->status) {
				enum icalproperty_status s = icalproperty_get_status(p);

				o->status = xstrdup(s == ICAL_STATUS_CANCELLED	 ? "CANCELLED"
						    : s == ICAL_STATUS_TENTATIVE ? "TENTATIVE"
										 : "CONFIRMED");
			}
			break;
		case ICAL_CLASS_PROPERTY:
		case ICAL_TRANSP_PROPERTY: {
			char **dst = icalproperty_isa(p) == ICAL_CLASS_PROPERTY ? &o->class_
										: &o->transp;
			char *v = icalproperty_get_value_as_string_r(p);

			if (!*dst && v)
				*dst = upper_dup(v, &bad);
			free(v);
			break;
		}
		case ICAL_CATEGORIES_PROPERTY: {
			const char *v = icalproperty_get_categories(p);

			if (v && *v) {
				if (cats.len)
					sbuf_addc(&cats, ',');
				sbuf_adds(&cats, v);
			}
			break;
		}
		case ICAL_SEQUENCE_PROPERTY:
			o->sequence = icalproperty_get_sequence(p);
			break;
		case ICAL_ORGANIZER_PROPERTY:
			if (!o->organizer.email && !o->organizer.name)
				attendee_from(p, icalproperty_get_organizer(p), &o->organizer,
					      &bad);
			break;
		case ICAL_ATTENDEE_PROPERTY:
			XGROW(o->attendees, capatt, o->nattendees + 1);
			attendee_from(p, icalproperty_get_attendee(p),
				      &o->attendees[o->nattendees++], &bad);
			break;
		case ICAL_X_PROPERTY: {
			const char *n = icalproperty_get_x_name(p);
			char *v;

			if (n && !strcmp(n, HELD_X_NAME)) {
				const char *q = icalproperty_get_x(p), *xn, *xt;
				size_t nl, tl;

				while (q && x_unpack(&q, &xn, &nl, &xt, &tl))
					occ_x(o, &capx, xn, nl, xt, tl, &conf, &alt_desc, &bad);
				break;
			}
			if (!n || !strncasecmp(n, "X-LIC-", 6))
				break;
			v = x_value_text(p);
			occ_x(o, &capx, n, strlen(n), v ? v : "", v ? strlen(v) : 0, &conf,
			      &alt_desc, &bad);
			free(v);
			break;
		}
		default:
			break;
		}
	}
	if (!conf)
		conf = find_meeting_link(o->description);
	if (!conf)
		conf = find_meeting_link(o->location);
	if (!conf)
		conf = find_meeting_link(alt_desc);
	if (!conf)
		conf = find_meeting_link(o->url);
	o->conference_url = conf;
	free(alt_desc);
	if (cats.len)
		o->categories = clean(cats.buf, &bad);
	sbuf_release(&cats);
	if (cancelled) {
		free(o->status);
		o->status = xstrdup("CANCELLED");
	}
	if (!o->status)
		o->status = xstrdup("CONFIRMED");
	if (!o->class_)
		o->class_ = xstrdup("PUBLIC");
	if (!o->transp)
		o->transp = xstrdup("OPAQUE");
	if (bad && warn) {
		char *u = uid_print(uid);

		ctx_warn(c, line, u, "invalid UTF-8 replaced by U+FFFD");
		free(u);
	}
}

static bool comp_cancelled(icalcomponent *comp)
{
	icalproperty *p = icalcomponent_get_first_property(comp, ICAL_STATUS_PROPERTY);

	return p && icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
}

/* ---------------------------------------------------------------------------------------- */
/* Event times.                                                                              */

/* X-MICROSOFT-CDO-ALLDAYEVENT:TRUE on the component. */
static bool outlook_all_day(icalcomponent *comp)
{
	icalproperty *p;

	for (p = icalcomponent_get_first_property(comp, ICAL_X_PROPERTY); p;
	     p = icalcomponent_get_next_property(comp, ICAL_X_PROPERTY)) {
		const char *n = icalproperty_get_x_name(p);
		const char *v = icalproperty_get_x(p), *xn, *xt;
		size_t nl, tl;

		if (n && v && !strcmp(n, HELD_X_NAME)) {
			/* the text, not libical's value: the same first four letters */
			while (x_unpack(&v, &xn, &nl, &xt, &tl))
				if (nl == 27 && !strncasecmp(xn, "X-MICROSOFT-CDO-ALLDAYEVENT", 27))
					return tl >= 4 && !strncasecmp(xt, "TRUE", 4);
			continue;
		}
		if (n && v && !strcasecmp(n, "X-MICROSOFT-CDO-ALLDAYEVENT"))
			return !strncasecmp(v, "TRUE", 4);
	}
	return false;
}

/*
 * Outlook/Exchange sometimes write an all-day event as local midnight to
 * midnight DATE-TIMEs plus X-MICROSOFT-CDO-ALLDAYEVENT:TRUE (docs/ics-notes.md):
 * read it as the all-day event it is, on its local dates, so that it is
 * never shifted to another day through a time zone.
 */
static void outlook_all_day_to_date(icalcomponent *comp, struct tval *start, int64_t *dur)
{
	if (start->t.is_date || start->t.hour || start->t.minute || start->t.second || *dur <= 0 ||
	    *dur % 86400 || !outlook_all_day(comp))
		return;
	start->t.is_date = 1;
	start->t.zone = NULL;
	start->zone = NULL;
	start->zname = NULL;
	start->floating = false;
	start->key = start->day * 86400;
}

/* A DTSTART/DTEND in a spring-forward gap: read as RFC 5545 §3.3.5 says, and said. */
static void gap_warn(struct ctx *c, const struct tval *t, const char *what, long line,
		     const char *uid)
{
	char *u = uid_print(uid), when[32];

	time_format_utc(t->key, when, sizeof(when));
	ctx_warn(
		c, line, u,
		"%s %04d-%02d-%02dT%02d:%02d does not exist in %s (daylight-saving gap): read with the offset before the gap, %s",
		what, t->t.year, t->t.month, t->t.day, t->t.hour, t->t.minute, t->zname, when);
	free(u);
}

/*
 * A floating DTSTART with a DTEND;TZID= (RFC 5545 §3.8.2.2 forbids the mix):
 * DTSTART is read in DTEND's zone, as floating EXDATE/RDATE/RECURRENCE-ID are
 * read in DTSTART's.
 */
static void start_in_end_zone(struct ctx *c, struct tval *start, const struct tval *e, long line,
			      const char *uid, bool warn)
{
	start->zone = e->zone;
	start->zname = e->zname;
	start->floating = false;
	start->t.zone = e->zone;
	start->key = local_to_utc_gap(start->t, e->zone, &start->gap);
	if (warn) {
		char *u = uid_print(uid);

		ctx_warn(c, line, u, "floating DTSTART with a DTEND in %s: DTSTART read in %s too",
			 e->zname, e->zname);
		free(u);
	}
}

/*
 * DTSTART and length of one VEVENT (RFC 5545 §3.6.1): DTEND - DTSTART, else
 * DURATION, else one day for a DATE and zero for a DATE-TIME. DTEND before
 * DTSTART gives zero length with a warning. Returns -1 without a usable DTSTART.
 */
static int event_times(struct ctx *c, icalcomponent *comp, const char *uid, long line, bool warn,
		       struct tval *start, int64_t *dur)
{
	icalproperty *ps = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	icalproperty *pe = icalcomponent_get_first_property(comp, ICAL_DTEND_PROPERTY);
	icalproperty *pd = icalcomponent_get_first_property(comp, ICAL_DURATION_PROPERTY);
	icaltimezone *vz;
	const char *vn;
	bool have = false;

	if (!ps || tval_resolve(c, ps, icalproperty_get_dtstart(ps), c->fzone, c->fzone_name, line,
				uid, start) < 0)
		return -1;
	vz = (start->t.is_date || start->floating) ? c->fzone : start->zone;
	vn = (start->t.is_date || start->floating) ? c->fzone_name : start->zname;
	if (pe) {
		struct tval e;

		if (tval_resolve(c, pe, icalproperty_get_dtend(pe), vz, vn, line, uid, &e) == 0) {
			if (start->floating && !e.floating && !e.t.is_date && e.zone != utc_zone())
				start_in_end_zone(c, start, &e, line, uid, warn);
			if (start->t.is_date)
				*dur = (e.day - start->day) * 86400;
			else if (e.t.is_date)
				*dur = local_to_utc(utc_to_local(e.day * 86400, NULL),
						    start->zone) -
				       start->key;
			else
				*dur = e.key - start->key;
			if ((start->gap || e.gap) && warn)
				gap_warn(c, start->gap ? start : &e,
					 start->gap ? "DTSTART" : "DTEND", line, uid);
			if ((start->gap || e.gap) && *dur <= 0 && !start->t.is_date &&
			    !e.t.is_date) {
				/* 02:30-03:30 on a spring-forward day: keep the length as written
				 */
				int64_t nominal =
					civil_secs(e.t.year, e.t.month, e.t.day, e.t.hour,
						   e.t.minute, e.t.second) -
					civil_secs(start->t.year, start->t.month, start->t.day,
						   start->t.hour, start->t.minute, start->t.second);

				if (nominal > 0)
					*dur = nominal;
			}
			have = true;
		}
	}
	if (!have && pd) {
		*dur = dur_secs(icalproperty_get_duration(pd));
		if (start->t.is_date && *dur > 0)
			*dur = (*dur + 86399) / 86400 * 86400;
		have = true;
	}
	if (!have)
		*dur = start->t.is_date ? 86400 : 0;
	if (*dur > ICS_MAX_DURATION) {
		if (warn) {
			char *u = uid_print(uid);

			ctx_warn(c, line, u, "event longer than 10 years: read as zero length");
			free(u);
		}
		*dur = 0;
	}
	if (*dur < 0) {
		if (warn) {
			char *u = uid_print(uid);

			ctx_warn(c, line, u, "DTEND is before DTSTART: read as zero length");
			free(u);
		}
		*dur = 0;
	}
	outlook_all_day_to_date(comp, start, dur);
	return 0;
}

static const char *tval_label(struct ctx *c, const struct tval *t)
{
	return (t->t.is_date || t->floating) ? c->ftz_label : t->zname;
}

/* ---------------------------------------------------------------------------------------- */
/* Series: the instance set of a master (docs/ics-notes.md, Expanding a series).           */

struct series {
	icalcomponent *comp;
	const char *uid;
	long line;
	struct tval start;
	bool all_day;
	icaltimezone *zone; /* zone of DTSTART (NULL for a DATE) */
	icaltimezone *vzone; /* floating EXDATE/RDATE/RECURRENCE-ID are read in it */
	const char *vname;
	char *tz;
	int64_t dur;
	struct icalrecurrencetype *rules;
	bool *unbounded;
	size_t nrules;
	bool recurring, dtstart_instance;
	struct inst *rdates;
	size_t nrdates, caprdates;
	int64_t *exkeys, *exdays;
	size_t nexkeys, capexkeys, nexdays, capexdays;
	int seq;
	bool cancelled;
	long emitted;
	bool capped;
	bool cut; /* a budget cut it: nothing more of it is emitted */
	bool rule_failed; /* libical could not iterate a rule it had read (RSCALE=FOO) */
	const char *cap_what; /* over max_per_series, said by series_cap_flush() */
	bool kept_any; /* an occurrence was emitted; kept_key: the latest instance emitted */
	bool kept_all_day;
	int64_t kept_key;
	int64_t day; /* day of the last occurrence emitted, and how many on it */
	long day_n;
};

static void series_release(struct series *s)
{
	free(s->tz);
	free(s->rules);
	free(s->unbounded);
	free(s->rdates);
	free(s->exkeys);
	free(s->exdays);
	memset(s, 0, sizeof(*s));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_inst(const void *a, const void *b)
{
	const struct inst *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (int)y->own_dur - (int)x->own_dur; /* an RDATE PERIOD's own length wins */
}

static bool in_sorted(const int64_t *v, size_t n, int64_t k)
{
	return n && bsearch(&k, v, n, sizeof(*v), cmp_i64);
}

/* Local day of an instant in the series' zone. */
static int64_t series_day(const struct series *s, int64_t key)
{
	return s->all_day ? key / 86400 : day_of(utc_to_local(key, s->zone));
}

static void series_add_rdate(struct ctx *c, struct series *s, icalproperty *p, long line)
{
	struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
	struct tval t, e;
	struct inst in;

	memset(&in, 0, sizeof(in));
	if (!icaltime_is_null_time(dp.period.start)) {
		if (tval_resolve(c, p, dp.period.start, s->vzone, s->vname, line, s->uid, &t) < 0) {
			impossible_warn(c, line, s->uid, "RDATE", dp.period.start,
					"that RDATE is ignored");
			return;
		}
		in.own_dur = true;
		if (!icaltime_is_null_time(dp.period.end) &&
		    tval_resolve(c, p, dp.period.end, s->vzone, s->vname, line, s->uid, &e) == 0)
			in.dur = e.key - t.key;
		else
			in.dur = dur_secs(dp.period.duration);
		if (in.dur < 0)
			in.dur = 0;
	} else if (tval_resolve(c, p, dp.time, s->vzone, s->vname, line, s->uid, &t) < 0) {
		impossible_warn(c, line, s->uid, "RDATE", dp.time, "that RDATE is ignored");
		return;
	}
	if (s->all_day) {
		in.key = t.day * 86400;
		if (in.own_dur)
			in.dur = (in.dur + 86399) / 86400 * 86400;
	} else if (t.t.is_date) {
		/* a DATE in a DATE-TIME series: that day at DTSTART's time of day */
		struct icaltimetype lt = s->start.t;

		lt.year = t.t.year;
		lt.month = t.t.month;
		lt.day = t.t.day;
		in.key = local_to_utc(lt, s->zone);
	} else {
		in.key = t.key;
	}
	in.day = series_day(s, in.key);
	XGROW(s->rdates, s->caprdates, s->nrdates + 1);
	s->rdates[s->nrdates++] = in;
}

/*
 * An EXDATE's value, as icalproperty_get_exdate() reads it but without the zone it looks for
 * (tval_resolve() finds the TZID's zone): libical looks for it in the parent components, then
 * tries the zoneinfo file of the name, and remembers no name it did not find: one failed
 * open() per EXDATE of an Outlook series (its Windows zone names).
 */
static struct icaltimetype exdate_value(icalproperty *p)
{
	icalvalue *v = icalproperty_get_value(p);
	struct icaltimetype t = v ? icalvalue_get_datetime(v) : icaltime_null_time();

	if (t.zone && !icaltime_is_utc(t))
		t.zone = NULL;
	return t;
}

static void series_add_exdate(struct ctx *c, struct series *s, icalproperty *p, long line)
{
	struct tval t;

	if (tval_resolve(c, p, exdate_value(p), s->vzone, s->vname, line, s->uid, &t) < 0) {
		impossible_warn(c, line, s->uid, "EXDATE", exdate_value(p),
				"that EXDATE is ignored");
		return;
	}
	if (s->all_day) {
		/* Exchange writes EXDATE;TZID=...:yyyymmddT000000 for all-day series */
		XGROW(s->exkeys, s->capexkeys, s->nexkeys + 1);
		s->exkeys[s->nexkeys++] = t.day * 86400;
	} else if (t.t.is_date) {
		XGROW(s->exdays, s->capexdays, s->nexdays + 1);
		s->exdays[s->nexdays++] = t.day;
	} else {
		XGROW(s->exkeys, s->capexkeys, s->nexkeys + 1);
		s->exkeys[s->nexkeys++] = t.key;
	}
}

/*
 * DTSTART for libical's iterator: its local fields without the zone. Each
 * instance's local time comes from DTSTART (RFC 5545 §3.3.10), whatever the
 * zone did to an earlier instance (libical would carry a gap day's shifted
 * hour into the following instances); local_to_utc() reads each in the zone.
 */
static bool iter_floating(const struct series *s)
{
	return !s->all_day && s->zone && s->zone != utc_zone();
}

static struct icaltimetype iter_start(const struct series *s)
{
	struct icaltimetype t = s->start.t;

	if (iter_floating(s))
		t.zone = NULL;
	return t;
}

/*
 * FREQ=YEARLY;BYWEEKNO=n without BYDAY (nor BYYEARDAY/BYMONTHDAY): the weekday
 * of DTSTART in week n, libical's own convention, which libical 3.0.16 gets
 * wrong (libical#794): it lands on other days. Giving the rule DTSTART's
 * weekday as BYDAY yields what was meant (docs/libical-upstream.md).
 */
static void byweekno_weekday(struct icalrecurrencetype *r, struct icaltimetype dtstart)
{
	if (r->freq != ICAL_YEARLY_RECURRENCE || r->by_week_no[0] == ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX)
		return;
	r->by_day[0] = (short)icaltime_day_of_week(dtstart); /* 1 = Sunday, as BYDAY */
	r->by_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
}

/*
 * An all-day series whose UNTIL is a UTC DATE-TIME (Exchange writes the local midnight of the
 * last day in UTC: DTSTART;VALUE=DATE:20200429 with UNTIL=20200428T220000Z in Stockholm).
 * RFC 5545 §3.3.10: "If the "DTSTART" property is specified as a date with local time, then
 * the UNTIL rule part MUST also be specified as a date with local time", and "The UNTIL rule
 * part defines a DATE or DATE-TIME value that bounds the recurrence rule in an inclusive
 * manner". An all-day instance starts at the local midnight of its day: it is in the set
 * when that midnight is not after UNTIL, so UNTIL becomes the local date of the instant in
 * the calendar's zone (--default-tz, X-WR-TIMEZONE, else the file's only VTIMEZONE). Without
 * one, the day the instant is the local midnight of in some real zone (offsets are whole
 * quarter hours from UTC-12 to UTC+14; the later day when two zones could say it): the last
 * day is kept rather than lost. Any other instant (Google's T235959Z) is read as its UTC date,
 * as before. Said either way.
 */
static void all_day_utc_until(struct ctx *c, const struct series *s, struct icalrecurrencetype *r,
			      bool warn)
{
	int64_t u = civil_t(r->until), day;
	icaltimezone *z = NULL;
	const char *zn = NULL;
	char was[32];
	int y;
	unsigned m, d;

	if (c->fzone_named) {
		z = c->fzone;
		zn = c->fzone_name;
	} else if (c->zt.ntzs == 1) {
		z = zone_for_tzid(c, c->zt.tzs[0].tzid, s->line, s->uid, &zn);
	}
	if (z) {
		u += zone_offset_at(z, u);
	} else {
		int64_t tod = u - (u >= 0 ? u / 86400 : -((-u + 86399) / 86400)) * 86400;

		if (tod && 86400 - tod <= 14 * 3600 && (86400 - tod) % 900 == 0)
			u += 86400 - tod; /* the next day's midnight east of UTC */
	}
	day = u >= 0 ? u / 86400 : -((-u + 86399) / 86400);
	civil_from_days(day, &y, &m, &d);
	snprintf(was, sizeof(was), "%04d%02d%02dT%02d%02d%02dZ", r->until.year, r->until.month,
		 r->until.day, r->until.hour, r->until.minute, r->until.second);
	r->until = icaltime_null_time();
	r->until.year = y;
	r->until.month = (int)m;
	r->until.day = (int)d;
	r->until.is_date = 1;
	if (warn) {
		char *uid = uid_print(s->uid);

		if (z)
			ctx_warn(
				c, s->line, uid,
				"all-day series with UNTIL=%s, a UTC time (RFC 5545 wants a date): "
				"read in the calendar's zone %s as UNTIL=%04d%02d%02d, that day "
				"included",
				was, zn, y, m, d);
		else
			ctx_warn(
				c, s->line, uid,
				"all-day series with UNTIL=%s, a UTC time (RFC 5545 wants a date), "
				"and no calendar zone (X-WR-TIMEZONE, --default-tz) to read it in: "
				"read as UNTIL=%04d%02d%02d, the day it can be the local midnight "
				"of; check the series' last day",
				was, y, m, d);
		free(uid);
	}
}

/*
 * Set up the instance set of a master. Returns -1 (warned, counted as bad)
 * when the event has no usable DTSTART.
 */
static int series_init(struct ctx *c, struct series *s, icalcomponent *comp, const char *uid,
		       long line, bool warn)
{
	bool marker = false;
	size_t caprules = 0;

	memset(s, 0, sizeof(*s));
	s->comp = comp;
	s->uid = uid;
	s->line = line;
	if (event_times(c, comp, uid, line, warn, &s->start, &s->dur) < 0) {
		if (warn && c->itip_event &&
		    !icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY)) {
			note(c, line, uid,
			     "iTIP message (METHOD:REPLY/CANCEL/...) without DTSTART: nothing to import, skipped");
		} else if (warn) {
			icalproperty *ps =
				icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
			struct icaltimetype t =
				ps ? icalproperty_get_dtstart(ps) : icaltime_null_time();

			if (!icaltime_is_null_time(t)) {
				impossible_warn(c, line, uid, "DTSTART", t,
						"VEVENT without a usable DTSTART skipped");
			} else {
				char *u = uid_print(uid);

				ctx_warn(c, line, u, "VEVENT without a usable DTSTART skipped");
				free(u);
			}
			c->st->bad_events++;
		}
		return -1;
	}
	s->all_day = s->start.t.is_date;
	s->zone = s->all_day ? NULL : s->start.zone;
	s->vzone = (s->all_day || s->start.floating) ? c->fzone : s->start.zone;
	s->vname = (s->all_day || s->start.floating) ? c->fzone_name : s->start.zname;
	s->tz = xstrdup(tval_label(c, &s->start));
	for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY); p;
	     p = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
		switch (icalproperty_isa(p)) {
		case ICAL_RRULE_PROPERTY: {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);

			if (r.freq == ICAL_NO_RECURRENCE)
				break;
			s->recurring = true;
			if (s->all_day && !icaltime_is_null_time(r.until) && !r.until.is_date &&
			    icaltime_is_utc(r.until))
				all_day_utc_until(c, s, &r, warn);
			if (!icaltime_is_null_time(r.until)) {
				bool before;

				if (r.until.is_date || s->all_day)
					before = day_of(r.until) < s->start.day;
				else
					before = local_to_utc(r.until, icaltime_is_utc(r.until)
									       ? utc_zone()
									       : s->vzone) <
						 s->start.key;
				if (before) {
					marker = true; /* UNTIL before DTSTART: deleted (Atlassian)
							*/
					break;
				}
			}
			if (s->nrules >= ICS_MAX_RRULES)
				break;
			if (s->nrules >= caprules) {
				size_t cap2 = caprules;

				XGROW(s->rules, caprules, s->nrules + 1);
				XGROW(s->unbounded, cap2, s->nrules + 1);
			}
			byweekno_weekday(&r, s->start.t);
			if (!icaltime_is_null_time(r.until) && !r.until.is_date &&
			    iter_floating(s)) {
				/* the iterator runs on floating local times (iter_start) */
				if (icaltime_is_utc(r.until))
					r.until =
						utc_to_local(local_to_utc(r.until, NULL), s->zone);
				r.until.zone = NULL;
			}
			s->rules[s->nrules] = r;
			s->unbounded[s->nrules] = r.count == 0 && icaltime_is_null_time(r.until);
			s->nrules++;
			break;
		}
		case ICAL_RDATE_PROPERTY:
			s->recurring = true;
			series_add_rdate(c, s, p, line);
			break;
		case ICAL_EXDATE_PROPERTY:
			series_add_exdate(c, s, p, line);
			break;
		case ICAL_SEQUENCE_PROPERTY:
			s->seq = icalproperty_get_sequence(p);
			break;
		case ICAL_STATUS_PROPERTY:
			s->cancelled = icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
			break;
		default:
			break;
		}
	}
	/*
	 * An RRULE libical refused (X-LIC-ERROR, an error in report_component): the event
	 * stays a series of its DTSTART, as for a rule we found unreadable (feed_unread_rule).
	 */
	for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
	     p && !s->recurring; p = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY))
		if (icalproperty_get_xlicerror(p) &&
		    !strstr(icalproperty_get_xlicerror(p), "No value for ") &&
		    lic_error_kind(icalproperty_get_xlicerror(p)) == 0)
			s->recurring = true; /* an empty "RRULE:" is no rule (report_component) */
	s->dtstart_instance = !marker;
	if (s->nexkeys)
		qsort(s->exkeys, s->nexkeys, sizeof(*s->exkeys), cmp_i64);
	if (s->nexdays)
		qsort(s->exdays, s->nexdays, sizeof(*s->exdays), cmp_i64);
	return 0;
}

static void ivec_push(struct ivec *v, const struct inst *in)
{
	XGROW(v->v, v->cap, v->n + 1);
	v->v[v->n++] = *in;
}

static bool series_excluded(const struct series *s, const struct inst *in)
{
	return in_sorted(s->exkeys, s->nexkeys, in->key) ||
	       in_sorted(s->exdays, s->nexdays, in->day);
}

/* The cap per series: said once the series is emitted (series_cap_flush), naming the last kept. */
static void series_cap_warn(struct ctx *c, struct series *s, const char *what)
{
	(void)c;
	if (s->capped)
		return;
	s->capped = true;
	s->cap_what = what;
}

/*
 * A series over its cap: a warning for expand, an error for import (the series is not whole,
 * unless a budget cut it: that error said it). It names the last instance kept: the
 * occurrences after it, and their overrides, are not read.
 */
static void series_cap_flush(struct ctx *c, struct series *s)
{
	char *u, last[80] = "";

	if (!s->cap_what || s->cut)
		return;
	if (s->kept_any) {
		char when[32];

		if (s->kept_all_day)
			time_format_date(s->kept_key, when, sizeof(when));
		else
			time_format_utc(s->kept_key, when, sizeof(when));
		snprintf(last, sizeof(last), "; the last occurrence kept is the one of %s", when);
	}
	u = uid_print(s->uid);
	if (c->budget >= 0)
		ctx_damage(
			c, s->line, u,
			"series cut after %s (cap %ld occurrences per series)%s; the calendar is "
			"incomplete",
			s->cap_what, c->max_per_series, last);
	else
		ctx_warn(c, s->line, u, "series cut after %s (cap %ld occurrences per series)%s",
			 s->cap_what, c->max_per_series, last);
	s->cap_what = NULL;
	free(u);
}

/*
 * libical's iterator steps one FREQ unit at a time inside icalrecur_iterator_next()
 * until a step matches the BYxxx parts, so a rule that never matches
 * (FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=31) never returns. UNTIL is checked at every
 * step, so the step budget (max_per_series * ICS_ITER_FACTOR steps of FREQ*INTERVAL)
 * becomes an UNTIL, and so does the window's end `rhi`, whichever comes first.
 * *rule gets the rule to iterate; returns true when the budget, not the rule or
 * the window, bounds the iteration.
 */
static bool series_step_budget(struct ctx *c, const struct series *s,
			       const struct icalrecurrencetype *r, int64_t lo, int64_t rhi,
			       struct icalrecurrencetype *rule)
{
	static const int64_t unit[] = {
		[ICAL_SECONDLY_RECURRENCE] = 1,		[ICAL_MINUTELY_RECURRENCE] = 60,
		[ICAL_HOURLY_RECURRENCE] = 3600,	[ICAL_DAILY_RECURRENCE] = 86400,
		[ICAL_WEEKLY_RECURRENCE] = 7 * 86400,	[ICAL_MONTHLY_RECURRENCE] = 28 * 86400,
		[ICAL_YEARLY_RECURRENCE] = 365 * 86400,
	};
	int64_t from = s->start.key, step, end;
	struct icaltimetype u;
	bool budget = false;

	*rule = *r;
	if ((unsigned)r->freq >= sizeof(unit) / sizeof(unit[0]) || !unit[r->freq])
		return false;
	if (r->count == 0 && lo - 2 * 86400 > from)
		from = lo - 2 * 86400; /* where icalrecur_iterator_set_start() puts it */
	step = unit[r->freq] * (r->interval > 1 ? r->interval : 1);
	if (step > (T_MAX - from) / ((int64_t)c->max_per_series * ICS_ITER_FACTOR))
		return false;
	end = from + step * (int64_t)c->max_per_series * ICS_ITER_FACTOR;
	if (end < rhi)
		budget = true;
	else if (rhi < civil_secs(9000, 1, 1, 0, 0, 0))
		end = rhi; /* the window's end bounds the search too */
	else
		return false;
	if (!icaltime_is_null_time(r->until) &&
	    (r->until.is_date
		     ? day_of(r->until) * 86400
		     : local_to_utc(r->until, icaltime_is_utc(r->until) ? utc_zone() : s->vzone)) <=
		    end)
		return false;
	if (s->all_day) {
		/* a DATE steps FREQ units within a day: only whole days inside the budget */
		int64_t day = end / 86400 - (r->freq <= ICAL_HOURLY_RECURRENCE ? 1 : 0);

		u = utc_to_local(day * 86400, NULL);
		u.is_date = 1;
		u.hour = u.minute = u.second = 0;
		u.zone = NULL;
	} else {
		/*
		 * Past libical's last zone year (raw_offset_at) the offset would cost
		 * the zone's whole expansion through that year, once per zone: a
		 * budget that far (a COUNT rule, ten times the cap in FREQ units) is
		 * read with the offset at DTSTART instead.
		 */
		if (end > civil_secs(ZONE_LAST_YEAR, 12, 31, 23, 59, 59))
			u = civil_of(end + zone_offset_at(s->zone, s->start.key));
		else
			u = utc_to_local(end, s->zone);
		u.zone = iter_start(s).zone; /* floating when the iterator is (iter_start) */
	}
	rule->until = u;
	return budget;
}

/*
 * Instances with key in [lo, hi), sorted and de-duplicated; EXDATEs removed
 * when apply_ex. With `horizon`, unbounded rules stop at c->horizon.
 */
static size_t series_enum(struct ctx *c, struct series *s, int64_t lo, int64_t hi, bool apply_ex,
			  bool horizon, struct ivec *out)
{
	long limit = c->max_per_series;
	long steps_limit = limit * ICS_ITER_FACTOR;
	struct inst in;
	size_t w;

	out->n = 0;
	if (lo >= hi)
		return 0;
	if (s->dtstart_instance && s->start.key >= lo && s->start.key < hi) {
		in.key = s->start.key;
		in.day = s->start.day;
		in.dur = s->dur;
		in.own_dur = false;
		ivec_push(out, &in);
	}
	for (size_t i = 0; i < s->nrdates; i++)
		if (s->rdates[i].key >= lo && s->rdates[i].key < hi)
			ivec_push(out, &s->rdates[i]);
	for (size_t i = 0; i < s->nrules; i++) {
		struct icalrecurrencetype *r = &s->rules[i], rule;
		int64_t rhi = hi;
		long pushed = 0, steps = 0;
		icalrecur_iterator *it;
		bool budget;

		if (horizon && s->unbounded[i] && c->horizon < rhi)
			rhi = c->horizon;
		budget = series_step_budget(c, s, r, lo, rhi, &rule);
		it = icalrecur_iterator_new(rule, iter_start(s));
		if (!it) {
			s->rule_failed = true; /* said by expand_master() */
			continue;
		}
		if (r->count == 0 && lo - 2 * 86400 > s->start.key) {
			struct icaltimetype st;

			if (s->all_day) {
				st = utc_to_local((lo / 86400 - 2) * 86400, NULL);
				st.is_date = 1;
				st.hour = st.minute = st.second = 0;
				st.zone = NULL;
			} else {
				st = utc_to_local(lo - 2 * 86400, s->zone);
				st.zone = NULL;
			}
			icalrecur_iterator_set_start(it, st);
		}
		for (;;) {
			struct icaltimetype t = icalrecur_iterator_next(it);

			if (icaltime_is_null_time(t)) {
				if (budget && (r->count == 0 || steps < r->count))
					series_cap_warn(c, s, "too many recurrence steps");
				break;
			}
			if (++steps > steps_limit) {
				series_cap_warn(c, s, "too many recurrence steps");
				break;
			}
			in.day = day_of(t);
			in.key = s->all_day ? in.day * 86400 : local_to_utc(t, s->zone);
			if (in.key >= rhi)
				break;
			if (in.key < lo)
				continue;
			in.dur = s->dur;
			in.own_dur = false;
			ivec_push(out, &in);
			if (++pushed > limit) {
				series_cap_warn(c, s, "too many instances");
				break;
			}
		}
		icalrecur_iterator_free(it);
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_inst);
	w = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (w && out->v[w - 1].key == out->v[i].key)
			continue;
		if (apply_ex && series_excluded(s, &out->v[i]))
			continue;
		out->v[w++] = out->v[i];
	}
	out->n = w;
	return w;
}

enum match { M_INSTANCE, M_EXCLUDED, M_NONE };

/*
 * Is the RECURRENCE-ID `rid` an instance of the series (docs/ics-notes.md)?
 * Matched by UTC instant, or by local date for an all-day series or a DATE
 * RECURRENCE-ID. *key gets the instance key (or the best key for M_NONE).
 */
static enum match series_match(struct ctx *c, struct series *s, const struct tval *rid,
			       int64_t *key)
{
	int64_t lo, hi;

	if (s->all_day) {
		lo = rid->day * 86400;
		hi = lo + 86400;
	} else if (rid->t.is_date) {
		lo = local_to_utc(utc_to_local(rid->day * 86400, NULL), s->zone);
		hi = local_to_utc(utc_to_local((rid->day + 1) * 86400, NULL), s->zone);
	} else {
		lo = rid->key;
		hi = lo + 1;
	}
	if (series_enum(c, s, lo, hi, true, false, &c->scratch)) {
		*key = c->scratch.v[0].key;
		return M_INSTANCE;
	}
	if (series_enum(c, s, lo, hi, false, false, &c->scratch)) {
		*key = c->scratch.v[0].key;
		return M_EXCLUDED;
	}
	*key = lo;
	return M_NONE;
}

/* ---------------------------------------------------------------------------------------- */
/* Emission.                                                                                 */

static bool in_window(const struct ctx *c, int64_t t)
{
	return t >= c->since && t < c->until;
}

static void emit(struct ctx *c, struct occurrence *o)
{
	if (c->stop)
		return;
	c->st->occurrences++;
	if (c->fn(o, c->data) != 0)
		c->stop = true;
}

/* The FREQ of the series' most frequent rule (libical's static name), or NULL. */
static const char *series_freq(const struct series *s)
{
	icalrecurrencetype_frequency f = ICAL_NO_RECURRENCE;

	for (size_t i = 0; i < s->nrules; i++)
		if (s->rules[i].freq < f)
			f = s->rules[i].freq;
	return f == ICAL_NO_RECURRENCE ? NULL : icalrecur_freq_to_string(f);
}

static int64_t floor_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/*
 * The budgets by outcome (ICS_MAX_PER_DAY): true when o may not be emitted; the
 * series is then cut, with one error naming it.
 */
static bool series_over_budget(struct ctx *c, struct series *s, const struct occurrence *o)
{
	int64_t day = floor_day(o->has_recurrence_id ? o->recurrence_id : o->start);
	char *u;

	if (c->budget < 0 || !s->recurring)
		return false;
	if (s->cut)
		return true;
	if (!s->day_n || day != s->day) {
		s->day = day;
		s->day_n = 0;
	}
	if (++s->day_n <= ICS_MAX_PER_DAY && c->budget > 0) {
		c->budget--;
		return false;
	}
	s->cut = true;
	u = uid_print(s->uid);
	if (s->day_n > ICS_MAX_PER_DAY)
		ctx_damage(c, s->line, u,
			   "series cut: more than %d occurrences on one day (%ld given); the "
			   "calendar is incomplete",
			   ICS_MAX_PER_DAY, s->emitted);
	else
		ctx_damage(c, s->line, u,
			   "series cut: the calendar's series gave the %ld occurrences its size "
			   "allows (%ld + %d per byte); the calendar is incomplete",
			   ICS_BUDGET_BASE + ICS_BUDGET_PER_BYTE * c->size, ICS_BUDGET_BASE,
			   ICS_BUDGET_PER_BYTE);
	free(u);
	return true;
}

/* Emit one occurrence of a series, honouring the per-series cap and the budgets. */
static void emit_series(struct ctx *c, struct series *s, struct occurrence *o)
{
	if (s->emitted >= c->max_per_series) {
		series_cap_warn(c, s, "too many occurrences");
		return;
	}
	if (series_over_budget(c, s, o))
		return;
	s->emitted++;
	o->freq = series_freq(s);
	{
		int64_t k = o->has_recurrence_id ? o->recurrence_id : o->start;

		if (!s->kept_any || k > s->kept_key) {
			s->kept_key = k;
			s->kept_all_day =
				o->has_recurrence_id ? o->recurrence_id_all_day : o->all_day;
		}
		s->kept_any = true;
	}
	emit(c, o);
}

/* An override of a series, as found in the index and re-read. */
struct ovi {
	size_t idx; /* into c->ovs */
	int64_t off;
	long line;
	int seq;
	bool range;
	struct tval rid;
	bool has_start;
	struct tval start;
	int64_t dur;
	enum match m;
	int64_t key; /* instance it replaces (or threshold for RANGE) */
	bool drop;
	icalcomponent *comp; /* THISANDFUTURE, and the first OV_KEEP of the others */
	struct occurrence tmpl;
	bool has_tmpl;
	int64_t shift;
};

/* The order of overrides of one instance: by instance, then SEQUENCE, then place in the file. */
static int key_seq_off_cmp(int64_t k1, int s1, int64_t o1, int64_t k2, int s2, int64_t o2)
{
	if (k1 != k2)
		return k1 < k2 ? -1 : 1;
	if (s1 != s2)
		return s1 < s2 ? -1 : 1;
	return o1 < o2 ? -1 : o1 > o2;
}

static int ovi_cmp(const void *a, const void *b)
{
	const struct ovi *x = a, *y = b;

	return key_seq_off_cmp(x->key, x->seq, x->off, y->key, y->seq, y->off);
}

static void ov_range(struct ctx *c, uint64_t h, size_t *a, size_t *b)
{
	size_t lo = 0, hi = c->novs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->ovs[c->ov_by_hash[mid]].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*a = lo;
	while (lo < c->novs && c->ovs[c->ov_by_hash[lo]].hash == h)
		lo++;
	*b = lo;
}

/* RECURRENCE-ID of an override, resolved; floating values read in zone vz. */
static int override_rid(struct ctx *c, icalcomponent *comp, icaltimezone *vz, const char *vn,
			long line, const char *uid, struct tval *rid, bool *range)
{
	icalproperty *p = icalcomponent_get_first_property(comp, ICAL_RECURRENCEID_PROPERTY);
	icalparameter *rp;

	*range = false;
	if (!p)
		return -1;
	rp = icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER);
	if (rp && icalparameter_get_range(rp) == ICAL_RANGE_THISANDFUTURE)
		*range = true;
	return tval_resolve(c, p, icalproperty_get_recurrenceid(p), vz, vn, line, uid, rid);
}

/* Re-read and verify the overrides of a master; they become claimed. */
/*
 * Overrides of one series whose component is kept from collect_overrides() to
 * emit_override(); those past it are read again when emitted (a series with thousands of
 * overrides keeps no more in memory). Reading each twice had been a twentieth of expanding an
 * Outlook calendar.
 */
#define OV_KEEP 64

static size_t collect_overrides(struct ctx *c, struct series *s, uint64_t h, struct ovi **out)
{
	size_t a, b, n = 0, cap = 0, kept = 0;
	struct ovi *v = NULL;

	*out = NULL;
	if (!c->novs)
		return 0;
	ov_range(c, h, &a, &b);
	for (size_t i = a; i < b; i++) {
		size_t idx = c->ov_by_hash[i];
		struct ov *o = &c->ovs[idx];
		icalcomponent *comp;
		const char *ouid;
		struct ovi *x;
		char *u;

		if (o->flags & OV_CLAIMED)
			continue;
		comp = read_at(c, &c->rnd, o->off, o->line, false);
		if (!comp)
			continue;
		ouid = icalcomponent_get_uid(comp);
		if (!ouid || strcmp(ouid, s->uid)) { /* hash collision: not ours */
			creader_drop_pending(&c->rnd);
			icalcomponent_free(comp);
			continue;
		}
		o->flags |= OV_CLAIMED;
		report_component(c, &c->rnd, comp, o->line, ouid);
		XGROW(v, cap, n + 1);
		x = &v[n];
		memset(x, 0, sizeof(*x));
		x->idx = idx;
		x->off = o->off;
		x->line = o->line;
		x->seq = icalcomponent_get_sequence(comp);
		if (override_rid(c, comp, s->vzone, s->vname, o->line, s->uid, &x->rid, &x->range) <
		    0) {
			rid_unreadable_warn(c, comp, o->line, s->uid, "override skipped");
			c->st->bad_events++;
			icalcomponent_free(comp);
			continue;
		}
		x->has_start = event_times(c, comp, s->uid, o->line, true, &x->start, &x->dur) == 0;
		if (!x->has_start) {
			u = uid_print(s->uid);
			ctx_warn(c, o->line, u,
				 "override without a usable DTSTART: the instance keeps its time");
			free(u);
		}
		x->m = series_match(c, s, &x->rid, &x->key);
		if (x->range) {
			bool cancelled =
				comp_cancelled(comp) || s->cancelled || (o->flags & OV_CANCEL);

			x->comp = comp;
			occ_fill(c, comp, s->uid, o->line,
				 x->has_start ? tval_label(c, &x->start) : s->tz, cancelled, true,
				 &x->tmpl);
			x->has_tmpl = true;
		} else if (kept < OV_KEEP) {
			x->comp = comp; /* emit_override() reads it */
			kept++;
		} else {
			icalcomponent_free(comp); /* read again to be emitted: memory stays flat */
		}
		n++;
	}
	*out = v;
	return n;
}

static void ovi_release(struct ovi *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].comp)
			icalcomponent_free(v[i].comp);
		if (v[i].has_tmpl)
			occurrence_release(&v[i].tmpl);
	}
	free(v);
}

static void note(struct ctx *c, long line, const char *uid, const char *what)
{
	char *u = uid_print(uid);

	verbose("%s:%ld: UID %s: %s", c->display, line, u ? u : "(none)", what);
	free(u);
}

/* Emit an exact override (or one kept although it matches no instance). */
static void emit_override(struct ctx *c, struct series *s, struct ovi *x, bool cancel_method)
{
	struct occurrence o;
	icalcomponent *comp = x->comp;
	int64_t start = x->has_start ? x->start.key : x->key;
	int64_t dur = x->has_start ? x->dur : s->dur;
	bool cancelled;

	if (!in_window(c, start) || c->stop)
		return;
	if (!comp && !(comp = read_at(c, &c->rnd, x->off, x->line, true)))
		return;
	cancelled = comp_cancelled(comp) || s->cancelled || cancel_method ||
		    (c->ovs[x->idx].flags & OV_CANCEL);
	occ_fill(c, comp, s->uid, x->line, x->has_start ? tval_label(c, &x->start) : s->tz,
		 cancelled, false, &o);
	if (comp != x->comp)
		icalcomponent_free(comp);
	o.has_recurrence_id = s->recurring || x->m == M_NONE;
	o.recurrence_id = x->key;
	o.recurrence_id_all_day = s->all_day;
	o.all_day = x->has_start ? x->start.t.is_date : s->all_day;
	o.start = start;
	o.end = start + dur;
	emit_series(c, s, &o);
	occurrence_release(&o);
}

/* Where an instance of the series starts: shifted by the THISANDFUTURE override over it. */
static int64_t inst_start(const struct inst *in, struct ovi **ranges, size_t nrange)
{
	struct ovi *r = NULL;

	for (size_t k = 0; k < nrange; k++)
		if (ranges[k]->key <= in->key)
			r = ranges[k]; /* ranges are sorted by key: the last one applies */
	return in->key + (r ? r->shift : 0);
}

/*
 * The per-series cap over the instances and their overrides together, in the order of the
 * instances (issue 25, class 5): the key of the last instance kept (an override counts for
 * the instance it replaces), or T_MAX when everything fits. Overrides of instances up to it
 * are emitted, those after it are cut with the series.
 */
static int64_t series_cap_key(struct ctx *c, const struct ivec *iv, const struct ovi *ov,
			      size_t nov, const int64_t *repl, size_t nrepl, struct ovi **ranges,
			      size_t nrange)
{
	long n = 0;
	int64_t last = T_MIN;
	size_t j = 0;

	for (size_t i = 0; i <= iv->n; i++) {
		int64_t k = i < iv->n ? iv->v[i].key : T_MAX;

		for (; j < nov && (ov[j].key <= k || i == iv->n); j++) {
			int64_t start = ov[j].has_start ? ov[j].start.key : ov[j].key;

			if (ov[j].drop || !in_window(c, start))
				continue;
			if (++n > c->max_per_series)
				return last;
			last = ov[j].key;
		}
		if (i == iv->n)
			break;
		if (in_sorted(repl, nrepl, k) ||
		    !in_window(c, inst_start(&iv->v[i], ranges, nrange)))
			continue;
		if (++n > c->max_per_series)
			return last;
		last = k;
	}
	return T_MAX;
}

/*
 * Expand one master with its overrides (docs/ics-notes.md) and emit the
 * occurrences that start in the window.
 */
static void expand_master(struct ctx *c, icalcomponent *comp, const char *uid, uint64_t h,
			  bool with_overrides, long line, bool cancel_method)
{
	struct series s;
	struct ovi *ov = NULL;
	size_t nov = 0, nrange = 0;
	struct occurrence mt;
	int64_t minshift = 0, maxshift = 0, lo, hi, cap_key;
	int64_t *repl = NULL;
	size_t nrepl = 0, caprepl = 0;
	struct ovi **ranges = NULL;
	struct ivec iv = {NULL, 0, 0};
	bool have_mt = false;

	if (series_init(c, &s, comp, uid, line, true) < 0)
		return;
	if (with_overrides)
		nov = collect_overrides(c, &s, h, &ov);
	if (nov > 1)
		qsort(ov, nov, sizeof(*ov), ovi_cmp);
	/* one override per instance: the highest (SEQUENCE, position) wins */
	for (size_t i = 0; i + 1 < nov; i++)
		if (ov[i].key == ov[i + 1].key) {
			ov[i].drop = true;
			note(c, ov[i].line, uid, "duplicate override of the same instance ignored");
		}
	for (size_t i = 0; i < nov; i++) {
		struct ovi *x = &ov[i];

		if (x->drop)
			continue;
		if (x->m == M_EXCLUDED && x->seq < s.seq) {
			x->drop = true; /* the newer master deleted it (upstream issue 163) */
			note(c, x->line, uid,
			     "override of an instance the master's EXDATE removes: dropped");
			continue;
		}
		if (x->m == M_NONE && x->seq < s.seq) {
			x->drop = true; /* the series was rewritten after (upstream issue 253) */
			note(c, x->line, uid,
			     "override of an instance a newer master no longer has: dropped");
			continue;
		}
		if (x->m == M_NONE && s.recurring) {
			char *u = uid_print(uid);

			ctx_warn(
				c, x->line, u,
				"RECURRENCE-ID matches no instance of the series: kept as an extra occurrence");
			free(u);
		}
		if (x->m == M_INSTANCE) {
			XGROW(repl, caprepl, nrepl + 1);
			repl[nrepl++] = x->key; /* ov is sorted by key: so is repl */
		}
		if (x->range && x->has_start && x->start.t.is_date == s.all_day) {
			x->shift = x->start.key - x->key;
			if (x->shift < minshift)
				minshift = x->shift;
			if (x->shift > maxshift)
				maxshift = x->shift;
			ranges = xrealloc(ranges, (nrange + 1) * sizeof(*ranges));
			ranges[nrange++] = x;
		} else if (x->range) {
			x->range = false;
		}
	}

	memset(&mt, 0, sizeof(mt));
	lo = c->since == T_MIN ? T_MIN : c->since - maxshift;
	hi = c->until == T_MAX ? T_MAX : c->until - minshift;
	series_enum(c, &s, lo, hi, true, true, &iv);
	if (s.rule_failed) {
		char *u = uid_print(uid);

		ctx_damage(
			c, line, u,
			"an RRULE libical cannot expand (an unknown RSCALE?): the series is read "
			"without it; the calendar is incomplete");
		free(u);
	}
	cap_key = series_cap_key(c, &iv, ov, nov, repl, nrepl, ranges, nrange);
	if (s.nrules && c->horizon_is_default) {
		for (size_t i = 0; i < s.nrules; i++)
			if (s.unbounded[i]) {
				c->horizon_series++;
				break;
			}
	}
	for (size_t i = 0; i < iv.n && !c->stop; i++) {
		const struct inst *in = &iv.v[i];
		struct ovi *r = NULL;
		struct occurrence *t = &mt;
		int64_t start, dur;

		if (in_sorted(repl, nrepl, in->key))
			continue;
		if (in->key > cap_key) {
			series_cap_warn(c, &s, "too many occurrences");
			break;
		}
		for (size_t k = 0; k < nrange; k++)
			if (ranges[k]->key <= in->key)
				r = ranges[k]; /* ranges are sorted by key: the last one applies */
		start = in->key + (r ? r->shift : 0);
		dur = r ? r->dur : in->own_dur ? in->dur : s.dur;
		if (!in_window(c, start))
			continue;
		if (r) {
			t = &r->tmpl;
		} else if (!have_mt) { /* filled only when something is emitted */
			occ_fill(c, comp, uid, line, s.tz, s.cancelled || cancel_method, true, &mt);
			have_mt = true;
		}
		t->has_recurrence_id = s.recurring;
		t->recurrence_id = in->key;
		t->recurrence_id_all_day = s.all_day;
		t->all_day = s.all_day;
		t->start = start;
		t->end = start + dur;
		emit_series(c, &s, t);
	}
	for (size_t i = 0; i < nov && !c->stop; i++) {
		if (ov[i].drop)
			continue;
		if (ov[i].key > cap_key) {
			series_cap_warn(c, &s, "too many occurrences");
			break; /* ov is sorted by key */
		}
		emit_override(c, &s, &ov[i], cancel_method);
	}
	series_cap_flush(c, &s);
	if (have_mt)
		occurrence_release(&mt);
	free(iv.v);
	free(repl);
	free(ranges);
	ovi_release(ov, nov);
	series_release(&s);
}

/* ---------------------------------------------------------------------------------------- */
/* Duplicate masters: the highest SEQUENCE wins (then the later one in the file).            */

static void dup_range(struct ctx *c, uint64_t h, size_t *a, size_t *b)
{
	size_t lo = 0, hi = c->ndups;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->dups[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*a = lo;
	hi = c->ndups; /* the end of the group: binary too (80,000 copies of one UID) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->dups[mid].hash <= h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*b = lo;
}

static bool uid_at(struct ctx *c, int64_t off, long line, const char *uid)
{
	icalcomponent *comp = read_at(c, &c->rnd, off, line, true);
	const char *u;
	bool same;

	if (!comp)
		return false;
	u = icalcomponent_get_uid(comp);
	same = u && !strcmp(u, uid);
	icalcomponent_free(comp);
	return same;
}

/*
 * Whether the master at `off` is the one to expand among the VEVENTs with its
 * UID; when not, *wline gets the winner's line and *tie whether both have the
 * same SEQUENCE.
 */
static bool master_wins(struct ctx *c, const char *uid, uint64_t h, int64_t off, long line, int seq,
			int64_t stamp, long *wline, bool *tie)
{
	size_t a, b;
	struct dup *g, *best;
	bool recorded = false;

	if (!c->ndups)
		return true;
	dup_range(c, h, &a, &b);
	if (a == b)
		return true;
	g = &c->dups[a];
	{
		size_t lo = a, hi = b;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (c->dups[mid].off < off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < b && c->dups[lo].off == off) {
			recorded = true;
			seq = c->dups[lo].seq; /* compare like with like */
			stamp = c->dups[lo].stamp;
		}
	}
	if (!recorded && !g->has_first) {
		g->has_first = true;
		g->first_off = off;
		g->first_line = (int32_t)line;
		g->first_seq = seq;
		g->first_stamp = stamp;
	}
	best = &c->dups[g->best];
	if (best->off != off && key_gt(best->seq, best->stamp, best->off, seq, stamp, off)) {
		if (uid_at(c, best->off, best->line, uid)) {
			*wline = best->line;
			*tie = best->seq == seq;
			return false;
		}
		/* a hash collision: check every stronger candidate */
		for (size_t i = a; i < b; i++)
			if (c->dups[i].off != off && c->dups[i].off != best->off &&
			    key_gt(c->dups[i].seq, c->dups[i].stamp, c->dups[i].off, seq, stamp,
				   off) &&
			    uid_at(c, c->dups[i].off, c->dups[i].line, uid)) {
				*wline = c->dups[i].line;
				*tie = c->dups[i].seq == seq;
				return false;
			}
	}
	if (g->has_first && g->first_off != off &&
	    key_gt(g->first_seq, g->first_stamp, g->first_off, seq, stamp, off) &&
	    uid_at(c, g->first_off, g->first_line, uid)) {
		*wline = g->first_line;
		*tie = g->first_seq == seq;
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Pass 2.                                                                                   */

static char *synth_uid(struct ctx *c, icalcomponent *comp, long line)
{
	icalproperty *p = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
	char *ds = p ? icalproperty_get_value_as_string_r(p) : NULL;
	const char *sum = icalcomponent_get_summary(comp);
	char num[32], hex[17];
	uint64_t h = HASH64_SEED;

	snprintf(num, sizeof(num), "%ld", line);
	h = hash64(c->display, strlen(c->display) + 1, h);
	h = hash64(num, strlen(num) + 1, h);
	h = hash64(ds ? ds : "", ds ? strlen(ds) + 1 : 1, h);
	h = hash64(sum ? sum : "", sum ? strlen(sum) : 0, h);
	free(ds);
	hash64_hex(h, hex, sizeof(hex));
	return xasprintf("nouid-%s", hex);
}

/*
 * Once per TZID: an instant outside what the file's VTIMEZONE covers was read
 * in the IANA zone of that name, and that changed its reading.
 */
static void cover_warn(struct ctx *c, long line, const char *uid)
{
	const char *tzid, *iana;
	int64_t clo, chi;

	while (covers_next_hit(&tzid, &clo, &chi, &iana)) {
		char lo[32], hi[32], *u, *t;

		time_format_date(clo, lo, sizeof(lo));
		if (chi == T_MAX)
			snprintf(hi, sizeof(hi), "on");
		else
			time_format_date(chi, hi, sizeof(hi));
		u = uid_print(uid);
		utf8_sanitize(tzid, &t);
		ctx_warn(
			c, line, u,
			"the file's VTIMEZONE \"%s\" covers only %s to %s: times outside are read in the IANA zone %s",
			t, lo, hi, iana ? iana : t);
		free(t);
		free(u);
	}
}

static void process_vevent(struct ctx *c, icalcomponent *comp, const struct lpos *where,
			   bool cancel_method)
{
	const char *uid = icalcomponent_get_uid(comp);
	uint64_t h;
	long wline = 0;
	bool tie = false;

	report_component(c, &c->seq, comp, where->line, uid);
	if (!uid || !*uid) {
		char *su = synth_uid(c, comp, where->line);

		expand_master(c, comp, su, 0, false, where->line, cancel_method);
		cover_warn(c, where->line, su);
		free(su);
		return;
	}
	h = uid_hash(uid);
	if (!master_wins(c, uid, h, where->off, where->line, icalcomponent_get_sequence(comp),
			 comp_stamp(comp), &wline, &tie)) {
		char *u = uid_print(uid);

		if (tie) /* RFC 5545 §3.8.4.7: a UID names one event; never silently */
			ctx_warn(
				c, where->line, u,
				"two VEVENTs with this UID and SEQUENCE, lines %ld and %ld: line %ld is kept (more recent LAST-MODIFIED/DTSTAMP, else later in the file), line %ld is ignored",
				where->line, wline, wline, where->line);
		else
			note(c, where->line, uid,
			     "superseded by another VEVENT with the same UID and a higher SEQUENCE");
		free(u);
		return;
	}
	expand_master(c, comp, uid, h, true, where->line, cancel_method);
	cover_warn(c, where->line, uid);
}

/* An override nobody claimed: emitted on its own (Google exports these). */
struct orphan {
	int64_t key;
	int64_t off;
	int32_t line;
	int32_t seq;
	uint32_t idx;
	bool drop;
	bool series; /* it has an RRULE or RDATE (emit_lone_series) */
};

static int orphan_cmp(const void *a, const void *b)
{
	const struct orphan *x = a, *y = b;

	return key_seq_off_cmp(x->key, x->seq, x->off, y->key, y->seq, y->off);
}

static void emit_orphan(struct ctx *c, const struct orphan *op)
{
	icalcomponent *comp = read_at(c, &c->rnd, op->off, op->line, true);
	struct tval start, rid;
	int64_t dur;
	bool range, has_start;
	const char *uid;
	struct occurrence o;

	if (!comp)
		return;
	uid = icalcomponent_get_uid(comp);
	has_start = event_times(c, comp, uid, op->line, false, &start, &dur) == 0;
	if (override_rid(c, comp,
			 has_start && !start.floating && !start.t.is_date ? start.zone : c->fzone,
			 has_start && !start.floating && !start.t.is_date ? start.zname
									  : c->fzone_name,
			 op->line, uid, &rid, &range) < 0) {
		icalcomponent_free(comp);
		return;
	}
	if (!has_start) {
		start = rid;
		dur = rid.t.is_date ? 86400 : 0;
	}
	if (in_window(c, start.key)) {
		occ_fill(c, comp, uid, op->line, tval_label(c, &start),
			 comp_cancelled(comp) || (c->ovs[op->idx].flags & OV_CANCEL), false, &o);
		o.has_recurrence_id = true;
		o.recurrence_id = rid.key;
		o.recurrence_id_all_day = rid.t.is_date;
		o.all_day = start.t.is_date;
		o.start = start.key;
		o.end = start.key + dur;
		emit(c, &o);
		occurrence_release(&o);
	}
	cover_warn(c, op->line, uid);
	icalcomponent_free(comp);
}

/*
 * An unclaimed VEVENT with a RECURRENCE-ID and an RRULE or RDATE, the only VEVENT of its UID
 * (Connect Daily 3.0 writes RECURRENCE-ID:19700102T010000Z, or DTSTART again, on its series).
 * RFC 5545 §3.8.5.3: "The recurrence set is the complete set of recurrence instances for a
 * calendar component. The recurrence set is generated by considering the initial "DTSTART"
 * property along with the "RRULE", "RDATE", and "EXDATE" properties contained within the
 * recurring component." With no other component of the UID, the RECURRENCE-ID names no
 * instance of anything: the component is the recurring one, expanded, with a warning.
 */
static void emit_lone_series(struct ctx *c, const struct orphan *op)
{
	icalcomponent *comp = read_at(c, &c->rnd, op->off, op->line, true);
	icalproperty *p;
	const char *uid;
	char *u, *v;

	if (!comp)
		return;
	uid = icalcomponent_get_uid(comp);
	p = icalcomponent_get_first_property(comp, ICAL_RECURRENCEID_PROPERTY);
	v = p ? icalproperty_get_value_as_string_r(p) : NULL;
	u = uid_print(uid);
	ctx_warn(c, op->line, u,
		 "RECURRENCE-ID %s on the only VEVENT of this UID, which has its own RRULE/RDATE: "
		 "read as the series itself (RFC 5545 §3.8.5.3), not as one moved occurrence",
		 v ? v : "?");
	free(v);
	free(u);
	expand_master(c, comp, uid, 0, false, op->line, c->ovs[op->idx].flags & OV_CANCEL);
	cover_warn(c, op->line, uid);
	icalcomponent_free(comp);
}

static void emit_orphans(struct ctx *c)
{
	struct orphan *g = NULL;
	size_t capg = 0;

	for (size_t a = 0, b; a < c->novs && !c->stop; a = b) {
		size_t n = 0;
		uint64_t h = c->ovs[c->ov_by_hash[a]].hash;

		for (b = a; b < c->novs && c->ovs[c->ov_by_hash[b]].hash == h; b++) {
			struct ov *o = &c->ovs[c->ov_by_hash[b]];
			icalcomponent *comp;
			struct tval start, rid;
			int64_t dur;
			bool range, has_start;
			const char *uid;

			if (o->flags & OV_CLAIMED)
				continue;
			comp = read_at(c, &c->rnd, o->off, o->line, false);
			if (!comp)
				continue;
			uid = icalcomponent_get_uid(comp);
			report_component(c, &c->rnd, comp, o->line, uid);
			has_start = event_times(c, comp, uid, o->line, true, &start, &dur) == 0;
			if (override_rid(c, comp,
					 has_start && !start.floating && !start.t.is_date
						 ? start.zone
						 : c->fzone,
					 has_start && !start.floating && !start.t.is_date
						 ? start.zname
						 : c->fzone_name,
					 o->line, uid, &rid, &range) < 0) {
				rid_unreadable_warn(c, comp, o->line, uid, "event skipped");
				c->st->bad_events++;
				icalcomponent_free(comp);
				continue;
			}
			XGROW(g, capg, n + 1);
			g[n].series = /* without a usable DTSTART it stays an override */
				uid && has_start &&
				(icalcomponent_get_first_property(comp, ICAL_RRULE_PROPERTY) ||
				 icalcomponent_get_first_property(comp, ICAL_RDATE_PROPERTY));
			icalcomponent_free(comp);
			g[n].key = rid.key;
			g[n].off = o->off;
			g[n].line = o->line;
			g[n].seq = 0;
			g[n].idx = c->ov_by_hash[b];
			g[n].drop = false;
			n++;
		}
		/* a series only when no other VEVENT has its UID (hash collisions aside) */
		for (size_t i = 0; i < n && n > 1; i++) {
			icalcomponent *x;
			const char *u;

			if (!g[i].series)
				continue;
			x = read_at(c, &c->rnd, g[i].off, g[i].line, true);
			u = x ? icalcomponent_get_uid(x) : NULL;
			for (size_t j = 0; j < n && g[i].series; j++)
				if (j != i && (!u || uid_at(c, g[j].off, g[j].line, u)))
					g[i].series = false;
			if (x)
				icalcomponent_free(x);
		}
		if (n > 1) {
			/* the same instance twice: keep the highest (SEQUENCE, position) */
			for (size_t i = 0; i < n; i++) {
				icalcomponent *comp =
					read_at(c, &c->rnd, g[i].off, g[i].line, true);

				g[i].seq = comp ? icalcomponent_get_sequence(comp) : 0;
				if (comp)
					icalcomponent_free(comp);
			}
			qsort(g, n, sizeof(*g), orphan_cmp);
			for (size_t i = 0; i + 1 < n; i++) {
				if (g[i].key != g[i + 1].key)
					continue;
				icalcomponent *x = read_at(c, &c->rnd, g[i].off, g[i].line, true);

				if (x) {
					const char *u = icalcomponent_get_uid(x);

					if (u && uid_at(c, g[i + 1].off, g[i + 1].line, u)) {
						g[i].drop = true;
						note(c, g[i].line, u, "duplicate override ignored");
					}
					icalcomponent_free(x);
				}
			}
		}
		for (size_t i = 0; i < n && !c->stop; i++)
			if (g[i].series)
				emit_lone_series(c, &g[i]);
			else if (!g[i].drop)
				emit_orphan(c, &g[i]);
	}
	free(g);
}

/*
 * Of the masters pass 1 found outside the window, keep those whose UID also has
 * duplicates, or overrides of which one may start in the window or shifts later
 * instances (RANGE): their instances interact with other VEVENTs. The rest is
 * skipped without parsing, with its overrides (claimed: no orphans).
 */
static void window_skips_settle(struct ctx *c)
{
	size_t n = 0, novs = 0;

	for (size_t i = 0; i < c->nwskips; i++) {
		size_t a, b, da, db, k;

		ov_range(c, c->wskips[i].hash, &a, &b);
		dup_range(c, c->wskips[i].hash, &da, &db);
		if (da != db)
			continue;
		for (k = a; k < b && (c->ovs[c->ov_by_hash[k]].flags & OV_OUTSIDE); k++)
			;
		if (k < b)
			continue;
		for (k = a; k < b; k++)
			c->ovs[c->ov_by_hash[k]].flags |= OV_CLAIMED;
		novs += b - a;
		c->wskips[n++] = c->wskips[i];
	}
	c->nwskips = n;
	c->wskip_cursor = 0;
	c->st->skipped_events = (long)(n + novs);
}

static int pass2(struct ctx *c)
{
	icalcomponent *comp;
	struct lpos where;
	bool cancel = false;

	window_skips_settle(c);
	c->ov_cursor = 0;
	while (!c->stop && (comp = creader_next(c, &c->seq, &where, &cancel))) {
		c->itip_event = c->seq.top_itip;
		process_vevent(c, comp, &where, cancel);
		c->itip_event = false;
		icalcomponent_free(comp);
	}
	if (c->seq.rd.rd_errno) {
		errno = c->seq.rd.rd_errno;
		return error_errno("cannot read %s", c->display);
	}
	if (!c->stop)
		emit_orphans(c);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Entry points.                                                                             */

/* Copy stdin to an unlinked 0600 temporary file; returns its descriptor or -1. */
static int spool_stdin(void)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl, *buf;
	int fd;
	ssize_t n;
	long total = 0;

	if (!dir || !*dir)
		dir = "/tmp";
	tmpl = xasprintf("%s/ics2hubspot-stdin-XXXXXX", dir);
	fd = mkstemp(tmpl);
	if (fd < 0) {
		error_errno("cannot create a temporary file in %s", dir);
		free(tmpl);
		return -1;
	}
	unlink(tmpl);
	free(tmpl);
	buf = xmalloc(READ_BUF);
	while ((n = read(STDIN_FILENO, buf, READ_BUF)) != 0) {
		ssize_t done = 0;

		if (n > 0 && (total += n) > ICS_MAX_STDIN) {
			error("standard input: larger than %ld MiB, the limit for a calendar",
			      ICS_MAX_STDIN >> 20);
			goto fail;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_errno("cannot read standard input");
			goto fail;
		}
		while (done < n) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				error_errno("cannot write the temporary copy of standard input");
				goto fail;
			}
			done += w;
		}
	}
	free(buf);
	return fd;
fail:
	free(buf);
	close(fd);
	return -1;
}

static void setup_floating(struct ctx *c)
{
	const char *want = c->opt && c->opt->default_tz ? c->opt->default_tz : c->xwr_tz;
	char *name = NULL;
	icaltimezone *z = NULL;

	if (want) {
		z = zone_lookup(&c->zt, want, &name, NULL, NULL);
		if (!z) {
			char *w;

			utf8_sanitize(want, &w);
			c->st->warnings++;
			warning("%s: unknown time zone \"%s\" (%s): floating times are read as UTC",
				c->display, w,
				c->opt && c->opt->default_tz ? "--default-tz" : "X-WR-TIMEZONE");
			free(w);
		}
	}
	if (!z) {
		free(name);
		z = utc_zone();
		name = xstrdup("UTC");
	} else {
		c->fzone_named = true;
	}
	c->fzone = z;
	c->fzone_name = name;
	c->ftz_label = xasprintf("floating:%s", name);
}

int ics_read(const char *path, const char *display, const char *source,
	     const struct ics_options *opt, ics_occurrence_fn fn, void *data, struct ics_stats *st)
{
	struct ctx c;
	struct stat sb;
	uint64_t bits;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.display = display ? display : path;
	c.source = source ? source : path;
	c.opt = opt;
	c.fn = fn;
	c.data = data;
	c.st = st;
	covers_release();
	icalerror_set_errors_are_fatal(0);

	if (!strcmp(path, "-")) {
		c.fd = spool_stdin();
		if (c.fd < 0)
			return -1;
	} else {
		/* O_NONBLOCK: a FIFO is refused below instead of waiting for a writer */
		c.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (c.fd < 0)
			return error_errno("cannot open %s", c.display);
	}
	if (fstat(c.fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		ret = S_ISDIR(sb.st_mode) ? error("%s is a directory", c.display)
					  : error("%s is not a regular file", c.display);
		close(c.fd);
		return ret;
	}
	c.size = (long)sb.st_size;
	c.budget = opt && opt->budget ? ICS_BUDGET_BASE + ICS_BUDGET_PER_BYTE * c.size : -1;
	/* Bloom filter: ~16 bits per possible VEVENT (>= 40 bytes each), 8 KB .. 8 MB */
	bits = 1ULL << 16;
	while (bits < (uint64_t)sb.st_size / 40 * 16 && bits < (1ULL << 26))
		bits <<= 1;
	c.bloom = xcalloc(bits / 8, 1);
	c.bloom_mask = bits - 1;
	c.max_per_series =
		opt && opt->max_per_series > 0 ? opt->max_per_series : ICS_DEFAULT_MAX_PER_SERIES;

	ret = pass1(&c);
	if (!ret && !c.saw_calendar && !c.saw_vevent)
		ret = error("%s: not an iCalendar file (no BEGIN:VCALENDAR or BEGIN:VEVENT)",
			    c.display);
	if (!ret) {
		setup_floating(&c);
		c.since = opt && opt->has_since ? opt->since : T_MIN;
		c.until = opt && opt->has_until ? opt->until : T_MAX;
		if (opt && opt->has_until) {
			c.horizon = opt->until;
		} else {
			int64_t base = time_now();

			if (opt && opt->has_since && opt->since > base)
				base = opt->since;
			c.horizon = base + (int64_t)ICS_HORIZON_DAYS * 86400;
			c.horizon_is_default = true;
		}
		st->calendar_name = xstrdup(c.calname);
		creader_init(&c.seq, c.fd, true);
		creader_init(&c.rnd, c.fd, false);
		c.seq.hold_never = c.rnd.hold_never = opt && opt->parse_every_line;
		c.seq.lc = c.rnd.lc = &c.lc;
		ret = pass2(&c);
		if (c.horizon_series) {
			char when[32];

			time_format_date(c.horizon, when, sizeof(when));
			verbose("%s: %ld series without an end were expanded up to %s (no --until given)",
				c.display, c.horizon_series, when);
		}
		creader_release(&c.seq);
		creader_release(&c.rnd);
		lc_release(&c.lc);
	}

	for (size_t i = 0; i < c.nzc; i++) {
		free(c.zc[i].tzid);
		free(c.zc[i].name);
	}
	free(c.fzone_name);
	free(c.ftz_label);
	free(c.xwr_tz);
	free(c.calname);
	free(c.bloom);
	free(c.ovs);
	free(c.ov_by_hash);
	free(c.wskips);
	free(c.dups);
	free(c.scratch.v);
	covers_release();
	zone_table_release(&c.zt);
	close(c.fd);
	return ret;
}

void ics_stats_release(struct ics_stats *st)
{
	if (!st)
		return;
	free(st->calendar_name);
	st->calendar_name = NULL;
}

void ics_global_cleanup(void)
{
	icaltimezone_free_builtin_timezones();
	icalmemory_free_ring();
}

bool ics_zone_known(const char *tzid)
{
	char *name = NULL;
	bool known = zone_lookup(NULL, tzid, &name, NULL, NULL) != NULL;

	free(name);
	return known;
}

const char *ics_libical_version(void)
{
	/* ICAL_VERSION says only "3.0"; the patch level matters for zone data fixes */
	static char v[32];

	snprintf(v, sizeof(v), "%d.%d.%d", ICAL_MAJOR_VERSION, ICAL_MINOR_VERSION,
		 ICAL_PATCH_VERSION);
	return v;
}

void ics_icu_version(char *buf, size_t n)
{
	zones_icu_version(buf, n);
}
