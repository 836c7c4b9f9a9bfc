/*
 * Unit tests for importer/zones.c: the twin zones (issue #26 item 2). A zone made from a
 * VTIMEZONE of the file answers through a twin whose 1601 observances start shortly before
 * the first queried year; its offsets must be libical's for the untouched VTIMEZONE at every
 * instant, whichever year is asked first.
 */
#include "test.h"
#include "zones.h"

#include <stdlib.h>

#define OBS(kind, dtstart, from, to, rule)                                                 \
	"BEGIN:" kind "\r\nDTSTART:" dtstart "\r\nTZOFFSETFROM:" from "\r\nTZOFFSETTO:" to \
	"\r\n" rule "END:" kind "\r\n"
#define VTZ(tzid, obs) "BEGIN:VTIMEZONE\r\nTZID:" tzid "\r\n" obs "END:VTIMEZONE\r\n"

static const struct {
	const char *tzid, *text;
} zones[] = {
	/* Outlook's, northern hemisphere: both changes at the same UTC instant on 1601-01-01 */
	{"W. Europe Standard Time",
	 VTZ("W. Europe Standard Time", OBS("STANDARD", "16010101T030000", "+0200", "+0100",
					    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n")
						OBS("DAYLIGHT", "16010101T020000", "+0100", "+0200",
						    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"))},
	{"Eastern Standard Time",
	 VTZ("Eastern Standard Time",
	     OBS("STANDARD", "16010101T020000", "-0400", "-0500",
		 "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\n")
		     OBS("DAYLIGHT", "16010101T020000", "-0500", "-0400",
			 "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\n"))},
	/* southern hemisphere: daylight time on January 1 */
	{"AUS Eastern Standard Time",
	 VTZ("AUS Eastern Standard Time",
	     OBS("STANDARD", "16010101T030000", "+1100", "+1000",
		 "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\r\n")
		     OBS("DAYLIGHT", "16010101T020000", "+1000", "+1100",
			 "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10\r\n"))},
	{"E. South America Standard Time",
	 VTZ("E. South America Standard Time",
	     OBS("STANDARD", "16010101T000000", "-0200", "-0300",
		 "RRULE:FREQ=YEARLY;BYDAY=3SU;BYMONTH=2\r\n")
		     OBS("DAYLIGHT", "16010101T000000", "-0300", "-0200",
			 "RRULE:FREQ=YEARLY;BYDAY=3SU;BYMONTH=10\r\n"))},
	/*
	 * A rewritable STANDARD next to observances that are not: a rule with COUNT (daylight
	 * time in April until 2006), one from 2007, and an RDATE (summer hours in 1996 and 2010).
	 */
	{"Mixed Standard Time",
	 VTZ("Mixed Standard Time",
	     OBS("STANDARD", "16011028T020000", "-0400", "-0500",
		 "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n")
		     OBS("DAYLIGHT", "16010401T020000", "-0500", "-0400",
			 "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4;COUNT=406\r\n")
			     OBS("DAYLIGHT", "20070311T020000", "-0500", "-0400",
				 "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\n")
				     OBS("DAYLIGHT", "19960615T000000", "-0400", "-0300",
					 "RDATE:19960615T000000,20100615T000000\r\n")
					     OBS("STANDARD", "19960701T000000", "-0300", "-0400",
						 "RDATE:19960701T000000,20100701T000000\r\n"))},
	/* a plain yearly rule in a leap day's DTSTART: left alone when Y0 is no leap year */
	{"Leap Standard Time",
	 VTZ("Leap Standard Time", OBS("STANDARD", "16040229T020000", "+0300", "+0200",
				       "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=9\r\n")
					   OBS("DAYLIGHT", "16010101T020000", "+0200", "+0300",
					       "RRULE:FREQ=YEARLY;BYDAY=-1FR;BYMONTH=3\r\n"))},
	/*
	 * A rule of leap days only, then a one-off change in 1997: a twin whose fake January 1
	 * change came after that one would answer +01:00 until 2000-02-29 (no twin then).
	 */
	{"Leap Rule Time",
	 VTZ("Leap Rule Time", OBS("STANDARD", "16010101T000000", "+0000", "+0100",
				   "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29\r\n")
				       OBS("STANDARD", "19970601T000000", "+0100", "+0000", ""))},
};

static int64_t ref_offset(icaltimezone *ref, int64_t u)
{
	struct icaltimetype t = civil_of(u);
	int dst = 0;

	return icaltimezone_get_utc_offset_of_utc_time(ref, &t, &dst);
}

static int64_t Y(int y)
{
	return civil_secs(y, 1, 1, 0, 0, 0);
}

/* the zone through the table against the reference at u; counts and prints the first few */
static int differs;

static void check_at(icaltimezone *z, icaltimezone *ref, const char *tzid, int first, int64_t u)
{
	int64_t got = zone_offset_at(z, u), want = ref_offset(ref, u);

	if (got == want) {
		test_passed++;
		return;
	}
	test_failed++;
	if (differs++ < 5) {
		struct icaltimetype t = civil_of(u);

		fprintf(stderr, "%s, %d first: at %04d-%02d-%02dT%02d:%02d:%02dZ %lld, want %lld\n",
			tzid, first, t.year, t.month, t.day, t.hour, t.minute, t.second,
			(long long)got, (long long)want);
	}
}

/* The instants of the reference's changes in [lo, hi): by day, then to the second. */
static size_t transitions(icaltimezone *ref, int64_t lo, int64_t hi, int64_t *out, size_t max)
{
	size_t n = 0;
	int64_t prev = ref_offset(ref, lo);

	for (int64_t d = lo + 21600; d < hi && n < max; d += 21600) {
		int64_t cur = ref_offset(ref, d), a = d - 21600, b = d;

		if (cur == prev)
			continue;
		while (b - a > 1) { /* offset(a) == prev, offset(b) != prev */
			int64_t m = a + (b - a) / 2;

			if (ref_offset(ref, m) == prev)
				a = m;
			else
				b = m;
		}
		out[n++] = b;
		prev = cur;
	}
	return n;
}

static void test_twin(size_t zi, const int *firsts, size_t nfirsts)
{
	icalcomponent *vtz = icalcomponent_new_from_string(zones[zi].text);
	icaltimezone *ref = icaltimezone_new();
	struct zone_table zt = {0};
	icaltimezone *z;
	char *name = NULL;
	static int64_t tr[1024];
	size_t ntr;

	CHECK(vtz != NULL);
	if (!vtz)
		return;
	CHECK(icaltimezone_set_component(ref, icalcomponent_new_clone(vtz)));
	CHECK(zone_table_add(&zt, vtz, false));
	z = zone_lookup(&zt, zones[zi].tzid, &name, NULL, NULL);
	CHECK(z != NULL && z == zt.tzs[0].zone);
	CHECK_STR(name, zones[zi].tzid);
	free(name);
	ntr = transitions(ref, Y(1970), Y(2046), tr, sizeof(tr) / sizeof(tr[0]));
	CHECK(ntr >= 2);
	differs = 0;
	/* the queries in this order, the first ones deciding the twin's first year */
	for (size_t i = 0; i < nfirsts; i++)
		check_at(z, ref, zones[zi].tzid, firsts[0], civil_secs(firsts[i], 6, 15, 12, 0, 0));
	/* every hour boundary and a second either side of it, around each change */
	for (size_t i = 0; i < ntr; i++)
		for (int h = -3; h <= 3; h++)
			for (int s = -1; s <= 1; s++)
				check_at(z, ref, zones[zi].tzid, firsts[0],
					 tr[i] - tr[i] % 3600 + h * 3600 + s);
	/* hour by hour around each New Year (the twin's observances start on January 1) */
	for (int y = 1971; y <= 2045; y++)
		for (int64_t u = Y(y) - 2 * 86400; u <= Y(y) + 3 * 86400; u += 3600)
			for (int s = -1; s <= 1; s++)
				check_at(z, ref, zones[zi].tzid, firsts[0], u + s);
	/* and many instants from 1990 to 2040 */
	for (int64_t u = Y(1990); u < Y(2040); u += 7 * 3600 + 13 * 60 + 17)
		check_at(z, ref, zones[zi].tzid, firsts[0], u);
	zone_table_release(&zt);
	icaltimezone_free(ref, 1);
}

int main(void)
{
	static const int a[] = {2024, 1995}, b[] = {1980}, c[] = {1999, 2060}, d[] = {1601},
			 e[] = {1998, 1992}, f[] = {2590};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		test_twin(i, a, 2); /* Y0 1998, 1995 asked of the zone itself */
		test_twin(i, b, 1); /* Y0 1978 */
		test_twin(i, c, 2); /* Y0 1997 */
		test_twin(i, d, 1); /* no observance before Y0 1599: no twin */
		test_twin(i, e, 2); /* Y0 1996, a leap year */
		test_twin(i, f, 1); /* beyond libical's last year */
	}
	icaltimezone_free_builtin_timezones();
	return TEST_DONE();
}
