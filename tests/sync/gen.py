#!/usr/bin/python3
"""Write a test calendar for the sync tests (tests/e2e/t5*.sh).

gen.py N OUT [options]: N single events UID sync-<i>@example.test (i = 0..N-1),
one a day from 2030-01-01 09:00Z, titled "Sync meeting <i>".
  --drop I,J,...        leave these events out (removed from the calendar)
  --retitle I=TITLE     change the title of event I (repeatable)
  --attendees I=A,B     attendees (e-mails) of event I (repeatable)
  --stamp STAMP         DTSTAMP of every event (default 20300101T000000Z)
  --weekly K            also a weekly series of K occurrences, UID sync-series@example.test
  --uid-prefix P        UIDs P-<i>@example.test instead of sync-<i>
"""
import argparse
import datetime

p = argparse.ArgumentParser()
p.add_argument("n", type=int)
p.add_argument("out")
p.add_argument("--drop", default="")
p.add_argument("--retitle", action="append", default=[])
p.add_argument("--attendees", action="append", default=[])
p.add_argument("--stamp", default="20300101T000000Z")
p.add_argument("--weekly", type=int, default=0)
p.add_argument("--uid-prefix", default="sync")
a = p.parse_args()

drop = {int(x) for x in a.drop.split(",") if x}
titles = {int(k): v for k, v in (x.split("=", 1) for x in a.retitle)}
atts = {int(k): [e for e in v.split(",") if e] for k, v in (x.split("=", 1) for x in a.attendees)}
base = datetime.datetime(2030, 1, 1, 9, 0)
out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ics2hubspot tests//sync//EN"]
for i in range(a.n):
    if i in drop:
        continue
    s = base + datetime.timedelta(days=i)
    e = s + datetime.timedelta(minutes=30)
    out += ["BEGIN:VEVENT",
            "UID:%s-%d@example.test" % (a.uid_prefix, i),
            "DTSTAMP:" + a.stamp,
            "DTSTART:" + s.strftime("%Y%m%dT%H%M%SZ"),
            "DTEND:" + e.strftime("%Y%m%dT%H%M%SZ"),
            "SUMMARY:" + titles.get(i, "Sync meeting %d" % i),
            "ORGANIZER;CN=Anna Berg:mailto:anna.berg@mycompany.example"]
    for m in atts.get(i, []):
        out.append("ATTENDEE;PARTSTAT=ACCEPTED:mailto:" + m)
    out.append("END:VEVENT")
if a.weekly:
    out += ["BEGIN:VEVENT", "UID:sync-series@example.test", "DTSTAMP:" + a.stamp,
            "DTSTART:20300105T150000Z", "DTEND:20300105T153000Z",
            "RRULE:FREQ=WEEKLY;COUNT=%d" % a.weekly, "SUMMARY:Weekly sync", "END:VEVENT"]
out.append("END:VCALENDAR")
with open(a.out, "w", newline="") as f:
    f.write("\r\n".join(out) + "\r\n")
