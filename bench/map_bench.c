/*
 * map_bench: how much mapping costs, next to expanding.
 *
 *   map_bench synthetic N [MAPPING]  map N occurrences built in C (no parsing)
 *   map_bench expand N [MAPPING]     expand a generated calendar of N occurrences
 *                                    with ics_read(), once counting only and
 *                                    once mapping each occurrence
 *
 * Prints one line per measure: "<what> <n> occurrences <seconds> s <ns>/occurrence".
 * Built by bench/mapping.sh against the importer objects.
 */
#include "ics.h"
#include "mapping.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void set_attendee(struct attendee *a, const char *email, const char *name,
			 const char *partstat)
{
	a->email = xstrdup(email);
	a->name = xstrdup(name);
	a->partstat = xstrdup(partstat);
	a->cutype = xstrdup("INDIVIDUAL");
}

static void report(const char *what, long n, int64_t ms)
{
	printf("%-28s %9ld occurrences %8.3f s %8.0f ns/occurrence\n", what, n, ms / 1000.0,
	       n ? ms * 1e6 / (double)n : 0.0);
	fflush(stdout);
}

static int synthetic(long n, const struct mapping *m)
{
	static char public_class[] = "PUBLIC", private_class[] = "PRIVATE";
	struct occurrence o;
	int64_t t0;
	long props = 0;

	memset(&o, 0, sizeof(o));
	o.uid = xstrdup("0123456789abcdef@bench.example");
	o.summary = xstrdup("Quarterly business review with the Globex account team");
	o.description = xstrdup(
		"Agenda:\n1. Q1 results & pipeline\n2. <Pricing> for EMEA\n3. Next steps\n");
	o.location = xstrdup("Berlin - Room Spree (8)");
	o.conference_url = xstrdup("https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc");
	o.status = xstrdup("CONFIRMED");
	o.class_ = public_class;
	o.transp = xstrdup("OPAQUE");
	o.has_recurrence_id = true;
	set_attendee(&o.organizer, "anna.berg@mycompany.example", "Berg, Anna", NULL);
	o.nattendees = 4;
	o.attendees = xcalloc(4, sizeof(*o.attendees));
	set_attendee(&o.attendees[0], "erik@globex.example", "Erik", "ACCEPTED");
	set_attendee(&o.attendees[1], "priya@globex.example", "Priya", "TENTATIVE");
	set_attendee(&o.attendees[2], "tom@mycompany.example", "Tom", "NEEDS-ACTION");
	set_attendee(&o.attendees[3], "dan@gmail.com", "Dan", "DECLINED");
	o.source = xstrdup("bench.ics");
	o.file = xstrdup("bench.ics");
	o.line = 1;
	t0 = time_mono_ms();
	for (long i = 0; i < n; i++) {
		struct meeting mt;

		o.start = 1577869200 + i * 3600; /* a new instance each time */
		o.end = o.start + 1800;
		o.recurrence_id = o.start;
		o.class_ = (i % 50 == 0) ? private_class : public_class; /* 2% private */
		if (mapping_apply(m, &o, &mt) == 0 && mt.properties)
			props += cJSON_GetArraySize(mt.properties);
		meeting_release(&mt);
	}
	report("map (synthetic)", n, time_mono_ms() - t0);
	o.class_ = NULL;
	occurrence_release(&o);
	return props > 0 ? 0 : 1;
}

struct counter {
	const struct mapping *m;
	long n;
};

static int count_cb(const struct occurrence *occ, void *data)
{
	struct counter *c = data;

	(void)occ;
	c->n++;
	return 0;
}

static int map_cb(const struct occurrence *occ, void *data)
{
	struct counter *c = data;
	struct meeting mt;

	mapping_apply(c->m, occ, &mt);
	meeting_release(&mt);
	c->n++;
	return 0;
}

static int expand(long n, const struct mapping *m)
{
	char path[] = "/tmp/map_bench-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	long per = 10000, series = (n + per - 1) / per;
	struct ics_options opt;
	struct counter c;
	int64_t t0, t_count, t_map;
	struct ics_stats st;

	/* like real exports: a VTIMEZONE and local times (Outlook and Google both do this) */
	fprintf(f,
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ics2hubspot//bench//EN\r\n"
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
		"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
		"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
		"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
		"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n");
	for (long s = 0; s < series; s++) {
		long count = (s == series - 1) ? n - per * (series - 1) : per;

		fprintf(f,
			"BEGIN:VEVENT\r\nUID:series-%ld@bench.example\r\nDTSTAMP:20200101T000000Z\r\n"
			"DTSTART;TZID=Europe/Berlin:20200101T090000\r\n"
			"DTEND;TZID=Europe/Berlin:20200101T093000\r\n"
			"RRULE:FREQ=HOURLY;COUNT=%ld\r\nSUMMARY:Bench meeting %ld\r\n"
			"DESCRIPTION:Agenda:\\n1. results & pipeline\\n2. next steps\r\n"
			"LOCATION:Room %ld\r\nORGANIZER;CN=Anna:mailto:anna@mycompany.example\r\n"
			"ATTENDEE;CN=Erik;PARTSTAT=ACCEPTED:mailto:erik@globex.example\r\n"
			"ATTENDEE;CN=Priya;PARTSTAT=TENTATIVE:mailto:priya@globex.example\r\n"
			"ATTENDEE;CN=Dan;PARTSTAT=DECLINED:mailto:dan@gmail.com\r\n"
			"END:VEVENT\r\n",
			s, count, s, s);
	}
	fprintf(f, "END:VCALENDAR\r\n");
	fclose(f);
	memset(&opt, 0, sizeof(opt));
	opt.max_per_series = per + 1;

	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	t0 = time_mono_ms();
	ics_read(path, path, path, &opt, count_cb, &c, &st);
	t_count = time_mono_ms() - t0;
	ics_stats_release(&st);
	report("expand only", c.n, t_count);

	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	c.m = m;
	t0 = time_mono_ms();
	ics_read(path, path, path, &opt, map_cb, &c, &st);
	t_map = time_mono_ms() - t0;
	ics_stats_release(&st);
	report("expand + map", c.n, t_map);
	report("map share (difference)", c.n, t_map - t_count);
	unlink(path);
	ics_global_cleanup();
	return c.n == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	struct mapping *m;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "synthetic") && strcmp(argv[1], "expand"))) {
		fprintf(stderr, "usage: map_bench synthetic|expand [N] [MAPPING]\n");
		return 2;
	}
	m = mapping_load(argc > 3 ? argv[3] : NULL);
	if (!m)
		return 2;
	rc = !strcmp(argv[1], "synthetic") ? synthetic(n, m) : expand(n, m);
	mapping_free(m);
	return rc;
}
