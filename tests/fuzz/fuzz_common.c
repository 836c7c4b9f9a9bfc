/* fuzz_common.c: helpers of the fuzz targets (memfd input file, a sample occurrence). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("ics2hubspot-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			die(EXIT_USAGE, "memfd_create failed");
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		die(EXIT_USAGE, "cannot write the fuzz input");
	return path;
}

static void person(struct attendee *a, const char *email, const char *name, const char *partstat,
		   const char *role, const char *cutype)
{
	a->email = xstrdup(email);
	a->name = xstrdup(name);
	a->partstat = xstrdup(partstat);
	a->role = xstrdup(role);
	a->cutype = xstrdup(cutype);
}

/* Built once and kept (reachable from a static: not a leak). */
const struct occurrence *fuzz_occurrence(void)
{
	static struct occurrence o;

	if (o.uid)
		return &o;
	o.uid = xstrdup("fuzz-1@example.test");
	o.has_recurrence_id = true;
	o.recurrence_id = 1709285400;
	o.start = 1709285400;
	o.end = 1709289000;
	o.tz = xstrdup("Europe/Berlin");
	o.summary = xstrdup("Quarterly review \xE2\x80\x94 caf\xC3\xA9 <b>&</b>");
	o.description = xstrdup("Line one\nLine two https://teams.microsoft.com/l/meetup-join/x "
				"aaaaaaaaaab");
	o.location = xstrdup("Room 1");
	o.url = xstrdup("https://example.test/m/1");
	o.conference_url = xstrdup("https://meet.google.com/abc-defg-hij");
	o.status = xstrdup("CONFIRMED");
	o.class_ = xstrdup("PUBLIC");
	o.transp = xstrdup("OPAQUE");
	o.busy_status = xstrdup("BUSY");
	o.categories = xstrdup("Customer,Review");
	o.sequence = 3;
	o.calendar_name = xstrdup("Team");
	person(&o.organizer, "me@mycompany.example", "Me", "ACCEPTED", "CHAIR", "INDIVIDUAL");
	o.nattendees = 3;
	o.attendees = xcalloc(3, sizeof(*o.attendees));
	person(&o.attendees[0], "ann@customer.example", "Ann Example", "ACCEPTED",
	       "REQ-PARTICIPANT", "INDIVIDUAL");
	person(&o.attendees[1], "me@mycompany.example", "Me", "DECLINED", "CHAIR", "INDIVIDUAL");
	person(&o.attendees[2], "room@mycompany.example", "Room 1", "ACCEPTED", "NON-PARTICIPANT",
	       "ROOM");
	o.nx = 2;
	o.x = xcalloc(2, sizeof(*o.x));
	o.x[0].name = xstrdup("X-ALT-DESC");
	o.x[0].value = xstrdup("<b>hi</b>");
	o.x[1].name = xstrdup("X-MICROSOFT-CDO-BUSYSTATUS");
	o.x[1].value = xstrdup("BUSY");
	o.source = xstrdup("fuzz.ics");
	o.file = xstrdup("fuzz.ics");
	o.line = 7;
	return &o;
}
