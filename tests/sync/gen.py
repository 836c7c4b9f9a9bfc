#!/usr/bin/python3
"""Write a test calendar for the sync tests (tests/e2e/t5*.sh).

gen.py N OUT [options]: N single events UID sync-<i>@example.test (i = 0..N-1),
one a day at 09:00Z from a week after today (so that they stay inside the default horizon of a
run without --until, whatever the date the tests run), titled "Sync meeting <i>".
  --drop I,J,...        leave these events out (removed from the calendar)
  --retitle I=TITLE     change the title of event I (repeatable)
  --attendees I=A,B     attendees (e-mails) of event I (repeatable)
  --stamp STAMP         DTSTAMP of every event (default 20300101T000000Z)
  --weekly K            also a weekly series of K occurrences, UID sync-series@example.test
                        (K = 0: none; K < 0: a series without end)
  --start YYYY-MM-DD    first day instead of a week after today
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
p.add_argument("--start", default="")
a = p.parse_args()

drop = {int(x) for x in a.drop.split(",") if x}
titles = {int(k): v for k, v in (x.split("=", 1) for x in a.retitle)}
atts = {int(k): [e for e in v.split(",") if e] for k, v in (x.split("=", 1) for x in a.attendees)}
if a.start:
    base = datetime.datetime.strptime(a.start, "%Y-%m-%d").replace(hour=9)
else:
    today = datetime.datetime.now(datetime.timezone.utc).date()
    base = datetime.datetime.combine(today + datetime.timedelta(days=7), datetime.time(9, 0))
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
    s = base + datetime.timedelta(days=4, hours=6)
    e = s + datetime.timedelta(minutes=30)
    rule = "RRULE:FREQ=WEEKLY" + (";COUNT=%d" % a.weekly if a.weekly > 0 else "")
    out += ["BEGIN:VEVENT", "UID:%s-series@example.test" % a.uid_prefix, "DTSTAMP:" + a.stamp,
            "DTSTART:" + s.strftime("%Y%m%dT%H%M%SZ"), "DTEND:" + e.strftime("%Y%m%dT%H%M%SZ"),
            rule, "SUMMARY:Weekly sync", "END:VEVENT"]
out.append("END:VCALENDAR")
with open(a.out, "w", newline="") as f:
    f.write("\r\n".join(out) + "\r\n")
