#!/usr/bin/python3
"""Write a synthetic Outlook/Google-like calendar for the expand benchmark.

Usage: gen_calendar.py N OUT.ics [SEED] [YEARS]

N VEVENTs in YEARS years from 2024 (default 2: 2024-2025): 80% single events, 12% weekly series (COUNT or UNTIL, EXDATEs),
8% monthly series; 30% of the series get 1-2 overrides (RECURRENCE-ID; half written before
their master, like Google). Time zones: an in-file VTIMEZONE (Europe/Berlin), IANA names
without VTIMEZONE, Windows ids and UTC. 1-4 attendees per event. Deterministic for a SEED.
Streams its output (constant memory).
"""
import random
import sys

ZONES = ["Europe/Berlin", "America/New_York", "W. Europe Standard Time",
         "Pacific Standard Time", "UTC"]
VTZ = """BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
"""


def when(rnd, years):
    return (2024 + rnd.randrange(years), 1 + rnd.randrange(12), 1 + rnd.randrange(28),
            7 + rnd.randrange(11), rnd.choice((0, 15, 30, 45)))


def fmt(t, zone):
    s = "%04d%02d%02dT%02d%02d00" % t
    if zone == "UTC":
        return ":" + s + "Z"
    return ";TZID=%s:%s" % (zone, s)


def attendees(rnd, i):
    out = ["ORGANIZER;CN=\"Owner, Ann\":mailto:ann%d@example.com\r\n" % (i % 97)]
    for k in range(1 + rnd.randrange(4)):
        out.append("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;"
                   "CN=Person %d:mailto:p%d@client%d.example.org\r\n" % (k, (i + k) % 5000, i % 300))
    return "".join(out)


def event(uid, dtstart, dtend, extra, summary, rnd, i):
    return ("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20240101T000000Z\r\nDTSTART%s\r\nDTEND%s\r\n"
            "SUMMARY:%s\r\nDESCRIPTION:Agenda for %s\\nJoin: https://teams.microsoft.com/l/me"
            "etup-join/%d\r\nLOCATION:Room %d\r\n%s%sSEQUENCE:0\r\nEND:VEVENT\r\n"
            % (uid, dtstart, dtend, summary, summary, i, i % 40, attendees(rnd, i), extra))


def main():
    n = int(sys.argv[1])
    out = open(sys.argv[2], "w", newline="")
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    years = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    out.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ics2hubspot//bench//EN\r\n"
              "X-WR-CALNAME:Benchmark\r\nX-WR-TIMEZONE:Europe/Berlin\r\n" + VTZ)
    written = 0
    i = 0
    while written < n:
        i += 1
        zone = rnd.choice(ZONES)
        y, mo, d, h, mi = when(rnd, years)
        start = (y, mo, d, h, mi)
        end = (y, mo, d, h + 1, mi)
        uid = "bench-%d@example.com" % i
        kind = rnd.random()
        if kind < 0.80 or n - written < 4:
            out.write(event(uid, fmt(start, zone), fmt(end, zone), "", "Meeting %d" % i, rnd, i))
            written += 1
            continue
        weekly = kind < 0.92
        if weekly:
            count = 5 + rnd.randrange(48)
            rule = "RRULE:FREQ=WEEKLY;COUNT=%d\r\n" % count if rnd.random() < 0.5 else \
                "RRULE:FREQ=WEEKLY;UNTIL=%04d1231T235959Z\r\n" % y
            step = 7
        else:
            count = 3 + rnd.randrange(10)
            rule = "RRULE:FREQ=MONTHLY;COUNT=%d\r\n" % count
            step = 28
        exd = ""
        if weekly and rnd.random() < 0.3:
            exd = "EXDATE%s\r\n" % fmt((y, mo, d, h, mi), zone).replace(
                "%04d%02d%02d" % (y, mo, d), "%04d%02d%02d" % (y, mo, d))  # the first instance
        master = event(uid, fmt(start, zone), fmt(end, zone), rule + exd, "Series %d" % i, rnd, i)
        overrides = []
        if rnd.random() < 0.3 and written + 3 <= n:
            for k in range(1 + rnd.randrange(2)):
                # the (k+1)-th instance (same local time): moved one hour later
                import datetime as dt
                base = dt.datetime(y, mo, d, h, mi) + dt.timedelta(days=step * (k + 1))
                if not weekly:
                    continue
                rid = (base.year, base.month, base.day, base.hour, base.minute)
                ns = (base.year, base.month, base.day, base.hour + 1, base.minute)
                ne = (base.year, base.month, base.day, base.hour + 2, base.minute)
                overrides.append(event(uid, fmt(ns, zone), fmt(ne, zone),
                                       "RECURRENCE-ID%s\r\n" % fmt(rid, zone),
                                       "Series %d (moved)" % i, rnd, i))
        if overrides and rnd.random() < 0.5:
            out.write("".join(overrides) + master)
        else:
            out.write(master + "".join(overrides))
        written += 1 + len(overrides)
    out.write("END:VCALENDAR\r\n")
    out.close()


if __name__ == "__main__":
    main()
