#!/usr/bin/python3
"""An independent expander of .ics recurrences, to cross-check `ics2hubspot expand`.

A thin wrapper around Debian's python3-recurring-ical-events (bookworm: 2.0.1, on icalendar 4.0.3,
dateutil and pytz): `apt-get install python3-recurring-ical-events`, then run it with
/usr/bin/python3 (another interpreter does not see Debian's packages).

    oracle.py FILE.ics START END [--mode start|overlap] [--floating-tz ZONE] [--drop-cancelled]

START and END are UTC, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS][Z]`; the window is [START, END).
  --mode start    (default) an occurrence is in the window when it starts in it
  --mode overlap  when it overlaps it (start < END and end > START; a zero-length occurrence when
                  START <= start < END)
  --floating-tz   read floating times and all-day dates in ZONE (default: as if UTC)
  --drop-cancelled  leave out occurrences whose STATUS is CANCELLED

Output: one line per occurrence, TAB-separated, sorted by start, then UID, then recurrence id:
    UID  RECURRENCE-ID (or the start)  start  end  SUMMARY
Zoned times are printed in UTC (`YYYY-MM-DDTHH:MM:SSZ`); without --floating-tz a date is printed
`YYYY-MM-DD` and a floating time without `Z`. A missing DTEND gives end = start. Tabs and newlines
in SUMMARY are printed as a space and `\\n`.

Exit status: 0, or 2 when the library cannot expand the file (the message is on stderr).

What 2.0.1 gets wrong (tests/ics/oracle-differences.md lists every disagreement with us): it ignores
RECURRENCE-ID;RANGE=THISANDFUTURE; it keeps STATUS:CANCELLED instances (hence --drop-cancelled); it
matches an override to its instance by UID and *date*; it merges masters of different SEQUENCE; it
cannot expand RDATE;VALUE=PERIOD or two RRULEs (exit 2); icalendar 4.0.3 drops a property it cannot
parse (reported on stderr) and prefers an Olson TZID name over the file's VTIMEZONE.
"""
import argparse
import datetime
import sys

import icalendar
import pytz
import recurring_ical_events

PAD = datetime.timedelta(days=2)  # a date or floating time can sit up to ~1 day off UTC


def utc_bound(text):
    """A window bound, always UTC."""
    text = text.strip().rstrip("Z")
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            return pytz.utc.localize(datetime.datetime.strptime(text, fmt))
        except ValueError:
            pass
    raise ValueError("bad time %r (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z])" % text)


def instant(value, zone):
    """(aware UTC datetime to compare, text to print) for a DTSTART/DTEND/RECURRENCE-ID value."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        u = value.astimezone(pytz.utc)
        return u, u.strftime("%Y-%m-%dT%H:%M:%SZ")
    is_date = not isinstance(value, datetime.datetime)
    naive = datetime.datetime(value.year, value.month, value.day) if is_date else value
    aware = (zone or pytz.utc).localize(naive).astimezone(pytz.utc)
    if zone is not None:
        return aware, aware.strftime("%Y-%m-%dT%H:%M:%SZ")
    return aware, naive.strftime("%Y-%m-%d" if is_date else "%Y-%m-%dT%H:%M:%S")


def occurrences(path, start, end, mode, zone, drop_cancelled):
    with open(path, "rb") as f:
        calendar = icalendar.Calendar.from_ical(f.read())
    for component in calendar.walk():
        for name, problem in getattr(component, "errors", []):
            print("oracle: %s UID=%s: dropped %s: %s" % (component.name, component.get("UID", "?"),
                                                         name, problem), file=sys.stderr)
    rows = []
    for event in recurring_ical_events.of(calendar).between(start - PAD, end + PAD):
        if drop_cancelled and str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        s_cmp, s_txt = instant(event["DTSTART"].dt, zone)
        e_cmp, e_txt = instant(event["DTEND"].dt, zone) if "DTEND" in event else (s_cmp, s_txt)
        if mode == "overlap" and s_cmp != e_cmp:
            inside = s_cmp < end and e_cmp > start
        else:
            inside = start <= s_cmp < end
        if not inside:
            continue
        rid = event.get("RECURRENCE-ID")
        rid_txt = instant(rid.dt, zone)[1] if rid is not None else s_txt
        summary = str(event.get("SUMMARY", "")).replace("\t", " ").replace("\n", "\\n")
        rows.append((s_cmp, str(event.get("UID", "")), rid_txt, s_txt, e_txt, summary))
    rows.sort(key=lambda r: r[:3])
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ics")
    ap.add_argument("start")
    ap.add_argument("end")
    ap.add_argument("--mode", choices=("start", "overlap"), default="start")
    ap.add_argument("--floating-tz")
    ap.add_argument("--drop-cancelled", action="store_true")
    args = ap.parse_args(argv)
    zone = pytz.timezone(args.floating_tz) if args.floating_tz else None
    try:
        rows = occurrences(args.ics, utc_bound(args.start), utc_bound(args.end), args.mode, zone,
                           args.drop_cancelled)
    except Exception as e:  # noqa: BLE001 - the library's failure is an answer, not a crash
        print("oracle: cannot expand %s: %s: %s" % (args.ics, type(e).__name__, e), file=sys.stderr)
        return 2
    out = sys.stdout
    for row in rows:
        out.write("\t".join(row[1:]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
