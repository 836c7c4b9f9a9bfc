/*
 * zones: time-zone resolution for the calendar reader (zones.h): a TZID -> a zone (the file's
 * VTIMEZONEs, IANA names, Windows ids and Outlook display names, offset-only names) and UTC
 * offsets in zones, with the IANA zone outside what a file's VTIMEZONE covers.
 *
 * With ics.c, the only module that includes <libical/ical.h> (through zones.h); the only
 * one that includes ICU's headers.
 */
#include "zones.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

static const struct {
	const char *display, *windows_id, *iana;
} winzones[] = {
#include "winzones.h"
};

icaltimezone *utc_zone(void)
{
	return icaltimezone_get_utc_timezone();
}

/* Only names that look like IANA ids reach libical's file-based lookup. */
static bool iana_like(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '/' || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' || *p == '-' || *p == '+'))
			return false;
	return true;
}

static bool is_utc_name(const char *s)
{
	static const char *const names[] = {"UTC",
					    "GMT",
					    "Z",
					    "Etc/UTC",
					    "Etc/GMT",
					    "UCT",
					    "Universal",
					    "Zulu",
					    "Etc/Universal",
					    "Etc/Zulu",
					    "Coordinated Universal Time",
					    "UTC+00:00",
					    "GMT+00:00"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i]))
			return true;
	return false;
}

static icaltimezone *builtin_zone(const char *name)
{
	if (is_utc_name(name))
		return utc_zone();
	if (!iana_like(name))
		return NULL;
	return icaltimezone_get_builtin_timezone(name);
}

/*
 * A VTIMEZONE of the file whose TZID (or X-LIC-LOCATION) is an IANA name, and
 * the instants its observances cover: outside [lo, hi] the IANA zone is used
 * (producers truncate VTIMEZONEs to the years around the export). ics_read()
 * is not reentrant, so the table is per call, like ovs_base.
 */
struct cover {
	icaltimezone *zone, *iana;
	int64_t lo, hi;
	char *tzid;
	bool hit, warned; /* an instant outside [lo, hi] read differently */
	int64_t hit_at;
};
static struct cover covers[ICS_TZ_CACHE];
static size_t ncovers;
static struct { /* zones (named so) cover_add() found without a cover */
	icaltimezone *zone;
	char *tzid;
} uncovered[ICS_TZ_CACHE];
static size_t nuncovered;

int64_t civil_t(struct icaltimetype t)
{
	return civil_secs(t.year, t.month, t.day, t.is_date ? 0 : t.hour, t.is_date ? 0 : t.minute,
			  t.is_date ? 0 : t.second);
}

/* The instants the observances of an embedded VTIMEZONE cover (RFC 5545 §3.6.5). */
static bool vtimezone_range(icalcomponent *vtz, int64_t *lo, int64_t *hi)
{
	*lo = T_MAX;
	*hi = T_MIN;
	for (icalcomponent *o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); o;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		icalproperty *p = icalcomponent_get_first_property(o, ICAL_DTSTART_PROPERTY);
		icalproperty *pf = icalcomponent_get_first_property(o, ICAL_TZOFFSETFROM_PROPERTY);
		struct icaltimetype t;
		int64_t from, on;

		if ((icalcomponent_isa(o) != ICAL_XSTANDARD_COMPONENT &&
		     icalcomponent_isa(o) != ICAL_XDAYLIGHT_COMPONENT) ||
		    !p)
			continue;
		t = icalproperty_get_dtstart(p);
		if (icaltime_is_null_time(t))
			continue;
		from = pf ? icalproperty_get_tzoffsetfrom(pf) : 0;
		on = civil_t(t) - from;
		if (on < *lo)
			*lo = on;
		if (on > *hi)
			*hi = on;
		for (p = icalcomponent_get_first_property(o, ICAL_RRULE_PROPERTY); p;
		     p = icalcomponent_get_next_property(o, ICAL_RRULE_PROPERTY)) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);
			int64_t end = on;

			if (r.freq == ICAL_NO_RECURRENCE)
				continue;
			if (icaltime_is_null_time(r.until) && r.count <= 0) {
				end = T_MAX;
			} else if (!icaltime_is_null_time(r.until)) {
				end = civil_t(r.until) - (icaltime_is_utc(r.until) ? 0 : from);
			} else {
				icalrecur_iterator *it;
				struct icaltimetype x;

				/* no further than libical expands zones: a COUNT never met stops */
				r.until = icaltime_null_time();
				r.until.year = ZONE_LAST_YEAR;
				r.until.month = 12;
				r.until.day = 31;
				it = icalrecur_iterator_new(r, t);

				for (int n = 0; it && n < r.count && n < 1000; n++) {
					x = icalrecur_iterator_next(it);
					if (icaltime_is_null_time(x))
						break;
					end = civil_t(x) - from;
				}
				if (it)
					icalrecur_iterator_free(it);
			}
			if (end > *hi)
				*hi = end;
		}
		for (p = icalcomponent_get_first_property(o, ICAL_RDATE_PROPERTY); p;
		     p = icalcomponent_get_next_property(o, ICAL_RDATE_PROPERTY)) {
			struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
			struct icaltimetype x =
				icaltime_is_null_time(dp.time) ? dp.period.start : dp.time;

			if (!icaltime_is_null_time(x) &&
			    civil_t(x) - (icaltime_is_utc(x) ? 0 : from) > *hi)
				*hi = civil_t(x) - (icaltime_is_utc(x) ? 0 : from);
		}
	}
	return *lo <= *hi;
}

/*
 * Remember an embedded VTIMEZONE whose TZID or X-LIC-LOCATION names an IANA
 * zone: outside the instants it covers, that zone is used (zone_offset_at).
 */
static void cover_add(icaltimezone *z, const char *tzid)
{
	icaltimezone *iana;
	const char *loc;
	struct cover *cv;
	int64_t lo, hi;
	bool added = false;

	if (ncovers >= ICS_TZ_CACHE || !icaltimezone_get_component(z))
		return;
	for (size_t i = 0; i < ncovers; i++)
		if (covers[i].zone == z)
			return;
	/*
	 * Asked once per zone: libical tries the zoneinfo file of every name it is asked for
	 * ("/usr/share/zoneinfo/W. Europe Standard Time"), found or not, and remembers none
	 * it did not find; that was a failed open() per event of an Outlook calendar.
	 */
	for (size_t i = 0; i < nuncovered; i++)
		if (uncovered[i].zone == z && !strcmp(uncovered[i].tzid, tzid))
			return;
	if (nuncovered < ICS_TZ_CACHE) {
		uncovered[nuncovered].zone = z;
		uncovered[nuncovered++].tzid = xstrdup(tzid);
		added = true;
	}
	iana = builtin_zone(tzid);
	if (!iana && (loc = icaltimezone_get_location(z)))
		iana = builtin_zone(loc);
	if (!iana || iana == utc_zone() || iana == z)
		return;
	if (!vtimezone_range(icaltimezone_get_component(z), &lo, &hi) ||
	    (lo == T_MIN && hi == T_MAX))
		return;
	if (added) /* it is covered */
		free(uncovered[--nuncovered].tzid);
	cv = &covers[ncovers++];
	memset(cv, 0, sizeof(*cv));
	cv->zone = z;
	cv->iana = iana;
	cv->lo = lo;
	cv->hi = hi;
	cv->tzid = xstrdup(tzid);
}

void covers_release(void)
{
	for (size_t i = 0; i < nuncovered; i++)
		free(uncovered[i].tzid);
	nuncovered = 0;
	for (size_t i = 0; i < ncovers; i++)
		free(covers[i].tzid);
	ncovers = 0;
}

/* Windows zone id -> IANA through ICU; returns a new string or NULL. */
static char *icu_windows_to_iana(const char *winid)
{
	UChar uwin[128], uid[128];
	char out[128];
	int32_t ulen = 0, n;
	UErrorCode status = U_ZERO_ERROR;

	if (strlen(winid) >= 100)
		return NULL;
	u_strFromUTF8(uwin, 128, &ulen, winid, -1, &status);
	if (U_FAILURE(status))
		return NULL;
	n = ucal_getTimeZoneIDForWindowsID(uwin, ulen, NULL, uid, 128, &status);
	if (U_FAILURE(status) || n <= 0)
		return NULL;
	u_strToUTF8(out, (int32_t)sizeof(out), NULL, uid, n, &status);
	if (U_FAILURE(status))
		return NULL;
	out[sizeof(out) - 1] = '\0';
	return xstrdup(out);
}

/* "(UTC+01:00) Amsterdam, Berlin" -> "Amsterdam, Berlin"; other strings unchanged. */
static const char *strip_utc_prefix(const char *s)
{
	if (s[0] == '(' && (!strncasecmp(s + 1, "UTC", 3) || !strncasecmp(s + 1, "GMT", 3))) {
		const char *p = strchr(s, ')');

		if (p) {
			p++;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return s;
}

/*
 * A display name reduced for comparison: no (UTC±hh:mm) prefix, "&" read as
 * "and", runs of spaces as one, a space after each comma, lower case.
 */
static void display_norm(const char *s, char *out, size_t n)
{
	size_t w = 0;
	bool space = false;

	s = strip_utc_prefix(s);
	for (; *s && w + 5 < n; s++) {
		if (*s == ' ' || *s == '\t' || *s == ',') {
			if (*s == ',') {
				if (w && out[w - 1] == ' ')
					w--;
				out[w++] = ',';
			}
			space = true;
			continue;
		}
		if (space && w)
			out[w++] = ' ';
		space = false;
		if (*s == '&') {
			memcpy(out + w, "and", 3);
			w += 3;
		} else {
			out[w++] = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
		}
	}
	out[w] = '\0';
}

/* Outlook display names and Windows ids from CLDR's table (importer/winzones.tsv). */
static const char *table_lookup(const char *tzid)
{
	char want[256], have[256];

	for (size_t i = 0; i < sizeof(winzones) / sizeof(winzones[0]); i++)
		if (!strcasecmp(tzid, winzones[i].display) ||
		    !strcasecmp(tzid, winzones[i].windows_id))
			return winzones[i].iana;
	if (strlen(tzid) >= sizeof(want) - 8)
		return NULL;
	display_norm(tzid, want, sizeof(want));
	if (!want[0])
		return NULL;
	for (size_t i = 0; i < sizeof(winzones) / sizeof(winzones[0]); i++) {
		display_norm(winzones[i].display, have, sizeof(have));
		if (!strcmp(want, have))
			return winzones[i].iana;
	}
	return NULL;
}

/*
 * A TZID that is only a UTC offset: "(GMT +01:00)", "UTC+01", "GMT+05:30",
 * "UTC-0800". *secs gets the offset (east positive).
 */
static bool offset_only_name(const char *s, int *secs)
{
	int h = 0, m = 0, nd = 0, sign;
	bool paren = false;

	while (*s == ' ')
		s++;
	if (*s == '(') {
		paren = true;
		s++;
	}
	while (*s == ' ')
		s++;
	if (strncasecmp(s, "UTC", 3) && strncasecmp(s, "GMT", 3))
		return false;
	s += 3;
	while (*s == ' ')
		s++;
	if (*s != '+' && *s != '-')
		return false;
	sign = *s++ == '-' ? -1 : 1;
	while (s[nd] >= '0' && s[nd] <= '9' && nd < 5)
		nd++;
	if (nd >= 1 && nd <= 2 && s[nd] == ':' && s[nd + 1] >= '0' && s[nd + 1] <= '9' &&
	    s[nd + 2] >= '0' && s[nd + 2] <= '9') {
		h = nd == 2 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
		m = (s[nd + 1] - '0') * 10 + (s[nd + 2] - '0');
		s += nd + 3;
	} else if (nd >= 1 && nd <= 2) {
		h = nd == 2 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
		s += nd;
	} else if (nd == 4) {
		h = (s[0] - '0') * 10 + (s[1] - '0');
		m = (s[2] - '0') * 10 + (s[3] - '0');
		s += 4;
	} else {
		return false;
	}
	if (nd == 0 || h > 14 || m > 59)
		return false;
	while (*s == ' ')
		s++;
	if (paren && *s == ')')
		s++;
	while (*s == ' ')
		s++;
	if (*s)
		return false;
	*secs = sign * (h * 3600 + m * 60);
	return true;
}

/* A zone with one fixed UTC offset (east positive), made once per calendar. */
static icaltimezone *fixed_zone(struct zone_table *zt, int secs, char **name)
{
	icalcomponent *vtz, *std;
	icaltimezone *z;
	char id[32];

	snprintf(id, sizeof(id), "UTC%c%02d:%02d", secs < 0 ? '-' : '+', abs(secs) / 3600,
		 abs(secs) / 60 % 60);
	*name = xstrdup(id);
	for (size_t i = 0; i < zt->nfixed; i++)
		if (zt->fixed_secs[i] == secs)
			return zt->fixed[i];
	if (zt->nfixed >= ICS_TZ_CACHE)
		return NULL;
	vtz = icalcomponent_new(ICAL_VTIMEZONE_COMPONENT);
	std = icalcomponent_new(ICAL_XSTANDARD_COMPONENT);
	icalcomponent_add_property(vtz, icalproperty_new_tzid(id));
	icalcomponent_add_property(
		std, icalproperty_new_dtstart(icaltime_from_string("16010101T000000")));
	icalcomponent_add_property(std, icalproperty_new_tzoffsetfrom(secs));
	icalcomponent_add_property(std, icalproperty_new_tzoffsetto(secs));
	icalcomponent_add_component(vtz, std);
	z = icaltimezone_new();
	if (!z || !icaltimezone_set_component(z, vtz)) {
		if (z)
			icaltimezone_free(z, 1);
		icalcomponent_free(vtz);
		return NULL;
	}
	zt->fixed[zt->nfixed] = z;
	zt->fixed_secs[zt->nfixed++] = secs;
	return z;
}

/* tzs: by TZID, then in file order (the stable sort libical's qsort gives). */
static int tzent_cmp(const void *a, const void *b)
{
	const struct tzent *x = a, *y = b;
	int d = strcmp(x->tzid, y->tzid);

	return d ? d : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Why a VTIMEZONE cannot be used (vtimezone_unusable), when it is only the sign of an offset. */
static const char tz_unsigned_why[] = "a UTC offset without its sign";
/* ... and no other zone has its name: it is used anyway, "0100" read as +01:00 (zone_lookup) */
const char zone_unsigned_kept[] = "kept";

/* The file's VTIMEZONE of that TZID: libical's own binary search over the sorted zones. */
static const struct tzent *tz_find(struct zone_table *zt, const char *tzid)
{
	size_t lower = 0, upper = zt->ntzs;

	if (!zt->sorted) {
		if (zt->ntzs > 1)
			qsort(zt->tzs, zt->ntzs, sizeof(*zt->tzs), tzent_cmp);
		zt->sorted = true;
	}
	while (lower < upper) {
		size_t middle = (lower + upper) >> 1;
		int cmp = strcmp(tzid, zt->tzs[middle].tzid);

		if (!cmp)
			return &zt->tzs[middle];
		if (cmp < 0)
			upper = middle;
		else
			lower = middle + 1;
	}
	return NULL;
}

/*
 * The resolution chain (docs/ics-notes.md, "Time zones"): in-file VTIMEZONE -> libical built-in by
 * IANA name -> known prefixes stripped -> Windows id via ICU -> Outlook display
 * name table. Returns NULL when nothing matches; *name gets a new string. A VTIMEZONE of
 * the file that cannot be used (no observance, one without DTSTART or TZOFFSETTO, an unsigned
 * offset: libical reads its times as UTC) is passed over for the rest of the chain, then for
 * its X-LIC-LOCATION; *unusable (may be NULL) gets why.
 */
icaltimezone *zone_lookup(struct zone_table *zt, const char *raw, char **name, bool *fixed,
			  const char **unusable)
{
	char *t = xstrdup(raw);
	char *s = str_trim(t);
	icaltimezone *z = NULL;
	const struct tzent *te = NULL;
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s = str_trim(s + 1);
	}
	*name = NULL;
	if (fixed)
		*fixed = false;
	if (unusable)
		*unusable = NULL;
	if (!*s)
		goto out;
	if (zt && (te = tz_find(zt, s)) && !te->unusable) {
		z = te->zone;
		*name = xstrdup(s);
		cover_add(z, s);
		goto out;
	}
	if (te && unusable)
		*unusable = te->unusable;
	if ((z = builtin_zone(s))) {
		*name = xstrdup(z == utc_zone() ? "UTC" : s);
		goto out;
	}
	if (s[0] == '/') {
		/* /mozilla.org/20050126_1/Europe/Berlin,
		 * /freeassociation.sourceforge.net/Tzfile/... */
		for (const char *p = strchr(s + 1, '/'); p; p = strchr(p + 1, '/')) {
			if ((z = builtin_zone(p + 1))) {
				*name = xstrdup(z == utc_zone() ? "UTC" : p + 1);
				goto out;
			}
		}
	}
	{
		char *iana = icu_windows_to_iana(s);
		const char *tab;

		if (iana && (z = builtin_zone(iana))) {
			*name = iana;
			goto out;
		}
		free(iana);
		tab = table_lookup(s);
		if (tab && (z = builtin_zone(tab))) {
			*name = xstrdup(tab);
			goto out;
		}
	}
	{
		int secs;

		if (zt && offset_only_name(s, &secs)) {
			z = fixed_zone(zt, secs, name);
			if (z && fixed)
				*fixed = true;
		}
	}
	if (!z && te) {
		const char *loc = icaltimezone_get_location(te->zone);

		if (loc && (z = builtin_zone(loc)))
			*name = xstrdup(z == utc_zone() ? "UTC" : loc);
		else if (te->unusable == tz_unsigned_why) {
			z = te->zone;
			*name = xstrdup(s);
			if (unusable)
				*unusable = zone_unsigned_kept;
		}
	}
out:
	free(t);
	return z;
}

int64_t civil_secs(int y, int m, int d, int hh, int mm, int ss)
{
	return days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* Civil fields of secs (as UTC), zone NULL. */
struct icaltimetype civil_of(int64_t secs)
{
	struct icaltimetype t = icaltime_null_time();
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;
	int y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	t.year = y;
	t.month = (int)m;
	t.day = (int)d;
	t.hour = (int)(rem / 3600);
	t.minute = (int)(rem / 60 % 60);
	t.second = (int)(rem % 60);
	return t;
}

/*
 * Twin zones (issue #26 item 2). Asked for an offset, libical expands every
 * observance of a zone from its DTSTART: Outlook and Exchange write
 * DTSTART:16010101T030000 with a yearly RRULE, so each of their zones costs
 * ~430 years of ICU-backed recurrence steps. So a zone of the file
 * (zone_table_add) gets, at its first offset query, a private twin: a clone of
 * its VTIMEZONE in which each observance with a DTSTART year < Y0 and exactly
 * one plain yearly RRULE (FREQ=YEARLY, INTERVAL 1, no COUNT, UNTIL, RSCALE, no
 * RDATE) starts in Y0 instead (same month, day and time), Y0 = min(year of the
 * first queried instant, 2000) - 2. The twin answers for every instant from
 * January 1 of Y0 + 2, 00:00 UTC (twin_cut); earlier instants ask the zone
 * itself (libical expands it in full then: correct, only slower).
 *
 * Why the answers are equal from Y0 + 2 on. libical answers with the last of
 * its sorted changes (each observance's DTSTART and rule instances, in UTC:
 * local - TZOFFSETFROM) at or before the instant. Observances not rewritten are
 * the same in both zones. A plain yearly rule has the same instances in every
 * year after its DTSTART's year whatever that year is (they depend on the year
 * and on DTSTART's month, day and time only), so the two change lists differ
 * only by changes of rewritten observances at local times before January 1 of
 * Y0 + 1: the original's from 1601 on and the twin's fake DTSTART change in Y0,
 * all before M = max over rewritten observances of (Y0+1-01-01 - TZOFFSETFROM).
 * twin_build() keeps the twin only if a rewritten observance has a rule instance
 * of local year Y0 + 1 (so in both lists) in [M, Y0+2-01-01 00:00 UTC]: for
 * every instant from then on, the last change at or before it is then one of the
 * common ones, and both zones answer with it (Windows zones: the fake Y0-01-01
 * changes are superseded by the genuine March/October ones within Y0 already,
 * and those of Y0 + 1 are common). The lists end in the same year too: libical
 * expands a zone up to max(queried year, this year) + 5 at its first query and
 * again only when asked beyond that; the first query of a zone goes to its twin
 * (it is made in a year >= Y0 + 2), the original is asked only before Y0 + 2 <=
 * 2000, never beyond its list, so the twin's list grows exactly as the zone's
 * own would have. t-zones compares both, instant by instant.
 */
struct twin {
	icaltimezone *zone; /* a zone of zone_table_add */
	icaltimezone *twin; /* answers from cut on; NULL: none */
	int64_t cut;
	bool built; /* the zone had its first query */
	bool dead; /* its zone table is being released */
};
static struct twin *twins; /* by zone pointer once sorted */
static size_t ntwins, captwins, twin_last;
static bool twins_sorted;

static int twin_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct twin *)a)->zone;
	uintptr_t y = (uintptr_t)((const struct twin *)b)->zone;

	return (x > y) - (x < y);
}

/* The twin entry of a zone of zone_table_add, or NULL (builtin and fixed zones). */
static struct twin *twin_of(const icaltimezone *zone)
{
	size_t lower = 0, upper;

	if (twin_last < ntwins && twins[twin_last].zone == zone)
		return &twins[twin_last];
	if (!twins_sorted) {
		if (ntwins > 1)
			qsort(twins, ntwins, sizeof(*twins), twin_cmp);
		twins_sorted = true;
	}
	upper = ntwins;
	while (lower < upper) {
		size_t middle = (lower + upper) >> 1;

		if (twins[middle].zone == zone) {
			twin_last = middle;
			return &twins[middle];
		}
		if ((uintptr_t)zone < (uintptr_t)twins[middle].zone)
			upper = middle;
		else
			lower = middle + 1;
	}
	return NULL;
}

/* The one property of that kind of c, or NULL (none, or more than one). */
static icalproperty *only_property(icalcomponent *c, icalproperty_kind kind)
{
	icalproperty *p = icalcomponent_get_first_property(c, kind);

	return p && !icalcomponent_get_next_property(c, kind) ? p : NULL;
}

/*
 * Moves the DTSTART of an observance with a plain yearly rule from before y0 into y0; false
 * (o unchanged) for any other. *from: its TZOFFSETFROM (libical: TZOFFSETTO without one).
 */
static bool twin_rewrite(icalcomponent *o, int y0, int *from)
{
	icalproperty *ps = only_property(o, ICAL_DTSTART_PROPERTY);
	icalproperty *pr = only_property(o, ICAL_RRULE_PROPERTY);
	icalproperty *pt = only_property(o, ICAL_TZOFFSETTO_PROPERTY);
	icalproperty *pf = icalcomponent_get_first_property(o, ICAL_TZOFFSETFROM_PROPERTY);
	struct icalrecurrencetype r;
	struct icaltimetype t;

	if ((icalcomponent_isa(o) != ICAL_XSTANDARD_COMPONENT &&
	     icalcomponent_isa(o) != ICAL_XDAYLIGHT_COMPONENT) ||
	    !ps || !pr || !pt ||
	    (pf && icalcomponent_get_next_property(o, ICAL_TZOFFSETFROM_PROPERTY)) ||
	    icalcomponent_get_first_property(o, ICAL_RDATE_PROPERTY))
		return false;
	t = icalproperty_get_dtstart(ps);
	r = icalproperty_get_rrule(pr);
	if (icaltime_is_null_time(t) || t.is_date || t.year >= y0 || t.month < 1 || t.month > 12 ||
	    t.day < 1 || t.day > icaltime_days_in_month(t.month, y0) ||
	    r.freq != ICAL_YEARLY_RECURRENCE || r.interval != 1 || r.count != 0 ||
	    !icaltime_is_null_time(r.until) || (r.rscale && r.rscale[0]))
		return false;
	t.year = y0;
	icalproperty_set_dtstart(ps, t);
	*from = pf ? icalproperty_get_tzoffsetfrom(pf) : icalproperty_get_tzoffsetto(pt);
	return true;
}

/* The first query of a zone of the file, at the instant u: its twin, if one is exact. */
static void twin_build(struct twin *tw, int64_t u)
{
	icalcomponent *vtz = icaltimezone_get_component(tw->zone), *o;
	icalcomponent **rew = NULL;
	int *from = NULL;
	size_t nrew = 0, caprew = 0, capfrom = 0;
	int y0 = civil_of(u).year;
	int64_t m = T_MIN, w;
	bool common = false;

	tw->built = true;
	if (!vtz)
		return;
	y0 = (y0 < 2000 ? y0 : 2000) - 2;
	w = civil_secs(y0 + 2, 1, 1, 0, 0, 0);
	vtz = icalcomponent_new_clone(vtz);
	for (o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); o;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		int f;

		if (!twin_rewrite(o, y0, &f))
			continue;
		XGROW(rew, caprew, nrew + 1);
		XGROW(from, capfrom, nrew + 1);
		rew[nrew] = o;
		from[nrew++] = f;
		if (civil_secs(y0 + 1, 1, 1, 0, 0, 0) - f > m)
			m = civil_secs(y0 + 1, 1, 1, 0, 0, 0) - f;
	}
	/* a rule instance of local year y0 + 1 in [m, w]: it supersedes every change that differs
	 */
	for (size_t i = 0; i < nrew && !common; i++) {
		struct icaltimetype s = icalproperty_get_dtstart(
			icalcomponent_get_first_property(rew[i], ICAL_DTSTART_PROPERTY));
		icalrecur_iterator *it = icalrecur_iterator_new(
			icalproperty_get_rrule(
				icalcomponent_get_first_property(rew[i], ICAL_RRULE_PROPERTY)),
			s);

		for (int n = 0; it && n < 4096; n++) {
			struct icaltimetype x = icalrecur_iterator_next(it);
			int64_t c;

			if (icaltime_is_null_time(x) || x.year > y0 + 1)
				break;
			c = civil_t(x) - from[i];
			if (x.year == y0 + 1 && c >= m && c <= w) {
				common = true;
				break;
			}
		}
		if (it)
			icalrecur_iterator_free(it);
	}
	free(rew);
	free(from);
	if (common) {
		tw->twin = icaltimezone_new();
		if (tw->twin && icaltimezone_set_component(tw->twin, vtz)) {
			tw->cut = w;
			return;
		}
		if (tw->twin)
			icaltimezone_free(tw->twin, 1);
		tw->twin = NULL;
	}
	icalcomponent_free(vtz);
}

static int64_t raw_offset_at(icaltimezone *zone, int64_t u)
{
	static int64_t last = INT64_MIN;
	struct icaltimetype t;
	struct twin *tw;
	int dst = 0;

	if (last == INT64_MIN)
		last = civil_secs(ZONE_LAST_YEAR, 12, 31, 23, 59, 59);
	if (u > last)
		u = last;
	if ((tw = twin_of(zone))) {
		if (!tw->built)
			twin_build(tw, u);
		if (tw->twin && u >= tw->cut)
			zone = tw->twin;
	}
	t = civil_of(u);
	return icaltimezone_get_utc_offset_of_utc_time(zone, &t, &dst);
}

/* UTC offset in seconds of zone at the instant u (NULL or UTC: 0). */
int64_t zone_offset_at(icaltimezone *zone, int64_t u)
{
	if (!zone || zone == utc_zone())
		return 0;
	for (size_t i = 0; i < ncovers; i++) {
		struct cover *cv = &covers[i];
		int64_t a;

		if (cv->zone != zone)
			continue;
		if (u >= cv->lo && u <= cv->hi)
			break;
		a = raw_offset_at(cv->iana, u);
		if (!cv->hit && a != raw_offset_at(zone, u)) {
			cv->hit = true;
			cv->hit_at = u;
		}
		return a;
	}
	return raw_offset_at(zone, u);
}

/*
 * Why libical cannot read times in this VTIMEZONE (it reads them as UTC), or NULL. RFC 5545
 * §3.6.5: a VTIMEZONE has "one or more" STANDARD or DAYLIGHT observances, each with DTSTART,
 * TZOFFSETTO and TZOFFSETFROM ("REQUIRED, MUST NOT occur more than once"); §3.3.14: utc-offset
 * = time-numzone = ("+" / "-") time-hour time-minute [time-second]: the sign is required.
 */
static const char *vtimezone_unusable(icalcomponent *vtz, bool unsigned_offsets)
{
	size_t n = 0;

	for (icalcomponent *o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); o;
	     o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		icalproperty *p;

		if (icalcomponent_isa(o) != ICAL_XSTANDARD_COMPONENT &&
		    icalcomponent_isa(o) != ICAL_XDAYLIGHT_COMPONENT)
			continue;
		n++;
		p = icalcomponent_get_first_property(o, ICAL_DTSTART_PROPERTY);
		if (!p || icaltime_is_null_time(icalproperty_get_dtstart(p)))
			return "an observance without DTSTART";
		if (!icalcomponent_get_first_property(o, ICAL_TZOFFSETTO_PROPERTY))
			return "an observance without TZOFFSETTO";
	}
	if (!n)
		return "no STANDARD or DAYLIGHT observance";
	if (unsigned_offsets)
		return tz_unsigned_why;
	return NULL;
}

/*
 * Keep a VTIMEZONE of the file as a zone of its own (the table takes `vtz`); false when
 * libical cannot make a zone of it (vtz is then freed). unsigned_offsets: the raw lines had
 * a TZOFFSETTO/TZOFFSETFROM without its sign, which libical reads as east of UTC.
 */
bool zone_table_add(struct zone_table *zt, icalcomponent *vtz, bool unsigned_offsets)
{
	const char *unusable = vtimezone_unusable(vtz, unsigned_offsets);
	icaltimezone *z = icaltimezone_new();

	if (!z || !icaltimezone_set_component(z, vtz) || !icaltimezone_get_tzid(z)) {
		if (z)
			icaltimezone_free(z, 1);
		icalcomponent_free(vtz);
		return false;
	}
	XGROW(zt->tzs, zt->captzs, zt->ntzs + 1);
	zt->tzs[zt->ntzs].tzid = icaltimezone_get_tzid(z);
	zt->tzs[zt->ntzs].zone = z;
	zt->tzs[zt->ntzs].seq = zt->ntzs;
	zt->tzs[zt->ntzs].unusable = unusable;
	zt->ntzs++;
	zt->sorted = false;
	XGROW(twins, captwins, ntwins + 1);
	memset(&twins[ntwins++], 0, sizeof(*twins));
	twins[ntwins - 1].zone = z;
	twins_sorted = false;
	return true;
}

void zone_table_release(struct zone_table *zt)
{
	for (size_t i = 0; i < zt->nfixed; i++)
		icaltimezone_free(zt->fixed[i], 1);
	for (size_t i = 0; i < zt->ntzs; i++) {
		struct twin *tw = twin_of(zt->tzs[i].zone);

		if (tw) {
			if (tw->twin)
				icaltimezone_free(tw->twin, 1);
			tw->twin = NULL;
			tw->dead = true; /* dropped below, the order kept */
		}
		icaltimezone_free(zt->tzs[i].zone, 1);
	}
	{
		size_t w = 0;

		for (size_t i = 0; i < ntwins; i++)
			if (!twins[i].dead)
				twins[w++] = twins[i];
		ntwins = w;
		if (!ntwins) {
			FREE_NULL(twins);
			captwins = 0;
		}
	}
	free(zt->tzs);
	memset(zt, 0, sizeof(*zt));
}

bool covers_next_hit(const char **tzid, int64_t *lo, int64_t *hi, const char **iana)
{
	for (size_t i = 0; i < ncovers; i++) {
		struct cover *cv = &covers[i];

		if (!cv->hit || cv->warned)
			continue;
		cv->warned = true;
		*tzid = cv->tzid;
		*lo = cv->lo;
		*hi = cv->hi;
		*iana = icaltimezone_get_location(cv->iana);
		return true;
	}
	return false;
}

void zones_icu_version(char *buf, size_t n)
{
	UVersionInfo v;
	char s[U_MAX_VERSION_STRING_LENGTH];

	u_getVersion(v);
	u_versionToString(v, s);
	snprintf(buf, n, "%s", s);
}
