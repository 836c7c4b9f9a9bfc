/*
 * zones: time-zone resolution of the calendar reader. ics.c, zones.c and reader.c are one
 * unit, the calendar reader (docs/ics-notes.md, "Calendar reading"): ics.h is the only
 * interface the rest of the program sees, and only ics.c and zones.c include this header,
 * hence libical's. zones.c is the only module that includes ICU's headers.
 */
#ifndef ZONES_H
#define ZONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libical/ical.h>

#define ICS_TZ_CACHE 64 /* zones remembered per calendar: TZIDs, offset-only zones, covers */

#define T_MIN (INT64_MIN / 4)
#define T_MAX (INT64_MAX / 4)

/*
 * libical expands a zone's transitions up to the year ZONE_LAST_YEAR (its
 * ICALTIMEZONE_MAX_YEAR with a 64-bit time_t) and, asked about any later
 * instant, expands them all again (every observance from its DTSTART through
 * ZONE_LAST_YEAR, with ICU: ~10^8 instructions) and answers with the offset
 * after the last of them. So a later instant is asked as the last second of
 * ZONE_LAST_YEAR: the same answer, expanded once.
 */
#define ZONE_LAST_YEAR 2582

struct tzent { /* a VTIMEZONE of the file (zone_table_add) */
	const char *tzid; /* the zone's own */
	icaltimezone *zone;
	size_t seq; /* file order */
	const char *unusable; /* why the VTIMEZONE cannot be used (zone_table_add), or NULL */
};

/* The VTIMEZONEs of one calendar and the fixed-offset zones made for it. */
struct zone_table {
	struct tzent *tzs; /* each its own zone (tz_find) */
	size_t ntzs, captzs;
	bool sorted;
	icaltimezone *fixed[ICS_TZ_CACHE]; /* zones made for offset-only TZIDs */
	int fixed_secs[ICS_TZ_CACHE];
	size_t nfixed;
};
bool zone_table_add(struct zone_table *zt, icalcomponent *vtz, bool unsigned_offsets);
void zone_table_release(struct zone_table *zt);

/*
 * A TZID (or --default-tz, X-WR-TIMEZONE) -> a zone, or NULL; *name gets a new string (see
 * zones.c). zt may be NULL (no file zones, no offset-only zones). *unusable (may be NULL):
 * why the file's VTIMEZONE of that TZID was passed over, or zone_unsigned_kept.
 */
icaltimezone *zone_lookup(struct zone_table *zt, const char *raw, char **name, bool *fixed,
			  const char **unusable);
extern const char zone_unsigned_kept[];
icaltimezone *utc_zone(void);

/* UTC offset in seconds of zone at the instant u (NULL or UTC: 0). */
int64_t zone_offset_at(icaltimezone *zone, int64_t u);
int64_t civil_secs(int y, int m, int d, int hh, int mm, int ss);
int64_t civil_t(struct icaltimetype t);
/* Civil fields of secs (as UTC), zone NULL. */
struct icaltimetype civil_of(int64_t secs);

/*
 * A file's VTIMEZONE with an IANA name is read in the IANA zone outside the instants its
 * observances cover. ics_read() is not reentrant: the covers are per call.
 * covers_next_hit(): the next one where that changed a reading, not said before (marked said).
 */
bool covers_next_hit(const char **tzid, int64_t *lo, int64_t *hi, const char **iana);
void covers_release(void);

void zones_icu_version(char *buf, size_t n);

#endif
