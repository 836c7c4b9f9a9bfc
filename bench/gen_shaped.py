#!/usr/bin/python3
"""Write a calendar shaped like a real export, for the expand benchmark (bench/shapes.sh).

Usage: gen_shaped.py SHAPE N OUT.ics [SEED] [YEARS]

SHAPE outlook: as Outlook / Exchange publish a calendar. Windows zone names as TZIDs, each with
  its VTIMEZONE (STANDARD/DAYLIGHT with yearly rules); X-WR-TIMEZONE a Windows name; 6-12
  attendees per event, each with CN (quoted "Last, First", some non-ASCII), ROLE, PARTSTAT, RSVP
  and CUTYPE (folded at 75 octets); a long DESCRIPTION (a meeting invitation: commas,
  semicolons, backslashes and newlines escaped, folded) and its X-ALT-DESC HTML twin; 17
  X-MICROSOFT-* / X-MS-OLK-* properties; Outlook's hex UIDs; a VALARM on a third. A fifth of the
  events are series (weekly on some weekdays, every other week, monthly by day; UNTIL or COUNT)
  with EXDATEs and overrides (RECURRENCE-ID, moved an hour later, after their master).
SHAPE google: as Google Calendar exports. IANA zones (TZID=Europe/Berlin and friends, one
  VTIMEZONE with X-LIC-LOCATION for the calendar's zone, others by name only) and UTC times;
  X-WR-TIMEZONE, X-WR-CALDESC; 1-5 attendees with fewer parameters (CUTYPE, ROLE, PARTSTAT, CN
  the address, X-NUM-GUESTS); X-GOOGLE-CONFERENCE and a shorter description with the Meet link;
  a fifth series (RRULE with WKST, EXDATE), overrides written before or after their master.

N VEVENTs (overrides count) starting in YEARS years from 2024 (default 1). Every series is
bounded (COUNT or UNTIL), so `expand` without a window prints a finite, comparable set.
Deterministic for a SEED (default 42); streams its output (constant memory).
"""
import datetime as dt
import random
import sys
import unicodedata

CRLF = "\r\n"


def fold(line):
    """RFC 5545 folding: at most 75 octets a line, never inside a UTF-8 sequence."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + CRLF
    out, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines start with one space
    return (CRLF + " ").join(out) + CRLF


def esc(text):
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def local(t):
    return t.strftime("%Y%m%dT%H%M%S")


def utc(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


FIRST = ["Anna", "Björn", "Chloé", "David", "Emre", "Fatima", "Grzegorz", "Hana", "Igor", "Jürgen",
         "Kateřina", "Liam", "María", "Nils", "Olivia", "Pål", "Quentin", "Rosa", "Søren", "Tanja"]
LAST = ["Müller", "Smith", "O'Brien", "García", "Nowak", "Dubois", "Rossi", "Larsen", "Kowalski",
        "Yılmaz", "Schmidt", "Brown", "Nguyen", "Novák", "Fischer", "Andersson"]
WORDS = ("budget review roadmap quarterly planning customer onboarding pipeline renewal forecast "
         "migration security architecture hiring retrospective sprint demo contract pricing "
         "partner launch").split()

# Windows zones as Outlook writes them: (TZID, standard offset, daylight offset or None,
# daylight start (month, week, weekday), standard start)
WIN_ZONES = [
    ("W. Europe Standard Time", "+0100", "+0200", (3, -1), (10, -1)),
    ("GMT Standard Time", "+0000", "+0100", (3, -1), (10, -1)),
    ("Eastern Standard Time", "-0500", "-0400", (3, 2), (11, 1)),
    ("Pacific Standard Time", "-0800", "-0700", (3, 2), (11, 1)),
    ("India Standard Time", "+0530", None, None, None),
    ("Tokyo Standard Time", "+0900", None, None, None),
]
IANA_ZONES = ["Europe/Berlin", "America/New_York", "Europe/London", "Asia/Tokyo",
              "America/Los_Angeles", "Australia/Sydney"]
GOOGLE_VTZ = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
""".replace("\n", CRLF)


def win_vtimezone(z):
    name, std, dst, dstart, sstart = z
    out = ["BEGIN:VTIMEZONE", "TZID:" + name]
    if dst is None:
        out += ["BEGIN:STANDARD", "DTSTART:16010101T000000", "TZOFFSETFROM:" + std,
                "TZOFFSETTO:" + std, "END:STANDARD"]
    else:
        out += ["BEGIN:STANDARD", "DTSTART:16010101T%s" % ("030000" if sstart[1] < 0 else "020000"),
                "RRULE:FREQ=YEARLY;BYDAY=%dSU;BYMONTH=%d" % (sstart[1], sstart[0]),
                "TZOFFSETFROM:" + dst, "TZOFFSETTO:" + std, "END:STANDARD",
                "BEGIN:DAYLIGHT", "DTSTART:16010101T020000",
                "RRULE:FREQ=YEARLY;BYDAY=%dSU;BYMONTH=%d" % (dstart[1], dstart[0]),
                "TZOFFSETFROM:" + std, "TZOFFSETTO:" + dst, "END:DAYLIGHT"]
    out.append("END:VTIMEZONE")
    return CRLF.join(out) + CRLF


def person(rnd):
    f, l = rnd.choice(FIRST), rnd.choice(LAST)
    mail = "%s.%s@%s" % (f.lower(), l.lower().replace("'", ""),
                         rnd.choice(["contoso.com", "fabrikam.example", "client%d.example.org"
                                     % rnd.randrange(300)]))
    mail = unicodedata.normalize("NFKD", mail.replace("ø", "o").replace("ı", "i"))
    mail = mail.encode("ascii", "ignore").decode()
    return f, l, mail


def start_of(rnd, years):
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(365 * years))
    return dt.datetime(day.year, day.month, day.day, 7 + rnd.randrange(11),
                       rnd.choice((0, 15, 30, 45)))


def topic(rnd):
    return " ".join(rnd.choice(WORDS) for _ in range(2 + rnd.randrange(3))).capitalize()


# ---- Outlook / Exchange

def outlook_description(rnd, title, org):
    lines = ["Hi all,", "",
             "as discussed, let's meet about %s; agenda below, comments welcome." % title.lower(),
             "", "Agenda:"]
    for k in range(3 + rnd.randrange(5)):
        lines.append("%d. %s (owner: %s, %s)" % (k + 1, topic(rnd), org[1], org[0]))
    lines += ["", "Path: \\\\fileserver\\projects\\%s\\minutes.docx" % rnd.choice(WORDS), "",
              "_" * 80, "Microsoft Teams meeting",
              "Join on your computer, mobile app or room device",
              "Click here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%%3ameet"
              "ing_%032x%%40thread.v2/0?context=%%7b%%22Tid%%22%%3a%%22%s%%22%%7d>"
              % (rnd.getrandbits(128), "%08x" % rnd.getrandbits(32)),
              "Meeting ID: %d %d %d" % (rnd.randrange(100, 999), rnd.randrange(100, 999),
                                        rnd.randrange(100, 999)),
              "Passcode: %s" % "".join(rnd.choice("abcdefghjkmnpqrstuvwxyz23456789")
                                       for _ in range(6)),
              "Learn More<https://aka.ms/JoinTeamsMeeting> | Meeting options<https://teams.micro"
              "soft.com/meetingOptions/>", "_" * 80]
    return "\n".join(lines)


def outlook_event(rnd, i, zone, start, minutes, extra, title, uid, seq):
    tz = zone[0]
    end = start + dt.timedelta(minutes=minutes)
    org = person(rnd)
    desc = outlook_description(rnd, title, org)
    out = ["BEGIN:VEVENT",
           'ORGANIZER;CN="%s, %s":mailto:%s' % (org[1], org[0], org[2])]
    for _ in range(6 + rnd.randrange(7)):
        f, l, mail = person(rnd)
        out.append('ATTENDEE;ROLE=%s;PARTSTAT=%s;RSVP=%s;CUTYPE=%s;CN="%s, %s":mailto:%s'
                   % (rnd.choice(["REQ-PARTICIPANT"] * 4 + ["OPT-PARTICIPANT"]),
                      rnd.choice(["NEEDS-ACTION", "ACCEPTED", "TENTATIVE", "DECLINED"]),
                      rnd.choice(["TRUE", "FALSE"]),
                      rnd.choice(["INDIVIDUAL"] * 6 + ["ROOM", "GROUP"]), l, f, mail))
    out += ["DESCRIPTION;LANGUAGE=en-US:" + esc(desc),
            "UID:" + uid,
            "SUMMARY;LANGUAGE=en-US:" + esc(title),
            "DTSTART;TZID=%s:%s" % (tz, local(start)),
            "DTEND;TZID=%s:%s" % (tz, local(end))]
    out += extra
    out += ["CLASS:PUBLIC", "PRIORITY:5", "DTSTAMP:20240101T120000Z", "TRANSP:OPAQUE",
            "STATUS:CONFIRMED", "SEQUENCE:%d" % seq,
            "LOCATION;LANGUAGE=en-US:" + esc("Room %d, Building %s; Microsoft Teams Meeting"
                                             % (i % 40, "ABC"[i % 3])),
            "X-MICROSOFT-CDO-APPT-SEQUENCE:%d" % seq,
            "X-MICROSOFT-CDO-OWNERAPPTID:%d" % (rnd.getrandbits(31) - 2 ** 30),
            "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
            "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE", "X-MICROSOFT-CDO-IMPORTANCE:1",
            "X-MICROSOFT-CDO-INSTTYPE:%d" % (1 if extra else 0),
            "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK:",
            "X-MICROSOFT-ONLINEMEETINGCONFLINK:conf:sip:%s\\;gruu\\;opaque=app:conf:focus:id:%x"
            % (org[2], rnd.getrandbits(40)),
            "X-MICROSOFT-DONOTFORWARDMEETING:FALSE", "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
            "X-MICROSOFT-REQUESTEDATTENDANCEMODE:DEFAULT",
            "X-MICROSOFT-ISRESPONSEREQUESTED:TRUE",
            "X-MICROSOFT-LOCATIONDISPLAYNAME:Room %d" % (i % 40),
            "X-MICROSOFT-LOCATIONSOURCE:None",
            "X-MS-OLK-AUTOFILLLOCATION:FALSE", "X-MS-OLK-CONFTYPE:0",
            "X-ALT-DESC;FMTTYPE=text/html:" + esc(
                "<html><head><meta name=\"Generator\" content=\"Microsoft Exchange Server\">"
                "</head><body><div>" + desc.replace("\n", "<br>") + "</div></body></html>")]
    if rnd.random() < 0.33:
        out += ["BEGIN:VALARM", "DESCRIPTION:REMINDER", "TRIGGER;RELATED=START:-PT15M",
                "ACTION:DISPLAY", "END:VALARM"]
    out.append("END:VEVENT")
    return "".join(fold(x) for x in out)


def outlook(rnd, n, years, w):
    w("BEGIN:VCALENDAR" + CRLF + "METHOD:PUBLISH" + CRLF +
      "PRODID:Microsoft Exchange Server 2010" + CRLF + "VERSION:2.0" + CRLF +
      "X-WR-CALNAME:Calendar" + CRLF + "X-WR-TIMEZONE:W. Europe Standard Time" + CRLF)
    for z in WIN_ZONES:
        w(win_vtimezone(z))
    written, i = 0, 0
    while written < n:
        i += 1
        zone = WIN_ZONES[0] if rnd.random() < 0.5 else rnd.choice(WIN_ZONES)
        start = start_of(rnd, years)
        minutes = rnd.choice((30, 30, 60, 60, 45, 90))
        uid = "040000008200E00074C5B7101A82E00800000000%016X0000000000000000100000%018X" % (
            rnd.getrandbits(64), i)
        title = topic(rnd)
        if rnd.random() >= 0.2 or n - written < 4:
            w(outlook_event(rnd, i, zone, start, minutes, [], title, uid, 0))
            written += 1
            continue
        kind = rnd.random()
        if kind < 0.6:
            days = sorted(rnd.sample(range(5), 1 + rnd.randrange(2)))
            byday = ",".join(["MO", "TU", "WE", "TH", "FR"][d] for d in days)
            start = start + dt.timedelta(days=(days[0] - start.weekday()) % 7)
            interval = rnd.choice((1, 1, 2))
            rule = "RRULE:FREQ=WEEKLY;%sBYDAY=%s;WKST=SU" % (
                "INTERVAL=%d;" % interval if interval > 1 else "", byday)
            per = len(days)

            def nth(k, start=start, interval=interval):  # the k-th instance on the first BYDAY
                return start + dt.timedelta(days=7 * interval * k)
        else:
            start = start.replace(day=min(start.day, 28))
            rule = "RRULE:FREQ=MONTHLY;BYMONTHDAY=%d" % start.day
            per = 1

            def nth(k, start=start):
                m = start.month - 1 + k
                return start.replace(year=start.year + m // 12, month=m % 12 + 1)
        if rnd.random() < 0.5:
            count = 6 + rnd.randrange(30)
            rule += ";COUNT=%d" % count
            last = nth(count // per - 1)
        else:
            last = start + dt.timedelta(days=60 + rnd.randrange(200))
            rule += ";UNTIL=%s" % utc(last.replace(hour=23, minute=59))
        extra = [rule]
        if rnd.random() < 0.6:  # instances 1, 3, 5 excluded
            ex = [local(nth(1 + 2 * k)) for k in range(1 + rnd.randrange(3))
                  if nth(1 + 2 * k) <= last]
            if ex:
                extra.append("EXDATE;TZID=%s:%s" % (zone[0], ",".join(ex)))
        w(outlook_event(rnd, i, zone, start, minutes, extra, title, uid, 1))
        written += 1
        if rnd.random() < 0.5 and n - written >= 2:  # instances 2, 4 moved an hour later
            for k in range(1 + rnd.randrange(2)):
                rid = nth(2 + 2 * k)
                if rid > last:
                    break
                w(outlook_event(rnd, i, zone, rid + dt.timedelta(hours=1), minutes,
                                ["RECURRENCE-ID;TZID=%s:%s" % (zone[0], local(rid))],
                                title + " (moved)", uid, 2))
                written += 1
    w("END:VCALENDAR" + CRLF)


# ---- Google Calendar

def google_event(rnd, i, zone, start, minutes, extra, title, uid):
    end = start + dt.timedelta(minutes=minutes)
    if zone == "UTC":
        ds, de = "DTSTART:" + utc(start), "DTEND:" + utc(end)
    else:
        ds, de = ("DTSTART;TZID=%s:%s" % (zone, local(start)),
                  "DTEND;TZID=%s:%s" % (zone, local(end)))
    org = person(rnd)
    meet = "https://meet.google.com/%s-%s-%s" % tuple(
        "".join(rnd.choice("abcdefghijkmnopqrstuvwxyz") for _ in range(k)) for k in (3, 4, 3))
    out = ["BEGIN:VEVENT", ds, de] + extra + [
        "DTSTAMP:20240101T120000Z", "ORGANIZER;CN=%s:mailto:%s" % (org[2], org[2]),
        "UID:" + uid]
    for _ in range(1 + rnd.randrange(5)):
        mail = person(rnd)[2]
        out.append("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=%s;CN=%s;"
                   "X-NUM-GUESTS=0:mailto:%s"
                   % (rnd.choice(["ACCEPTED", "NEEDS-ACTION", "TENTATIVE"]), mail, mail))
    out += ["X-GOOGLE-CONFERENCE:" + meet,
            "CREATED:20231201T100000Z",
            "DESCRIPTION:" + esc("%s\n\nJoin with Google Meet: %s\nOr dial: (US) +1 %03d-%03d-%04d "
                                 "PIN: %d#\n\nLearn more about Meet at: "
                                 "https://support.google.com/a/users/answer/9282720"
                                 % (topic(rnd), meet, rnd.randrange(200, 999),
                                    rnd.randrange(200, 999), rnd.randrange(10000),
                                    rnd.randrange(10 ** 8))),
            "LAST-MODIFIED:20240102T100000Z",
            "LOCATION:" + esc(rnd.choice(["", "Room %d" % (i % 40), "Café Central, Vienna"])),
            "SEQUENCE:0", "STATUS:CONFIRMED", "SUMMARY:" + esc(title), "TRANSP:OPAQUE",
            "END:VEVENT"]
    return "".join(fold(x) for x in out)


def google(rnd, n, years, w):
    w("BEGIN:VCALENDAR" + CRLF + "PRODID:-//Google Inc//Google Calendar 70.9054//EN" + CRLF +
      "VERSION:2.0" + CRLF + "CALSCALE:GREGORIAN" + CRLF + "METHOD:PUBLISH" + CRLF +
      "X-WR-CALNAME:Team" + CRLF + "X-WR-TIMEZONE:Europe/Berlin" + CRLF +
      "X-WR-CALDESC:Benchmark calendar" + CRLF + GOOGLE_VTZ)
    written, i = 0, 0
    while written < n:
        i += 1
        r = rnd.random()
        zone = "Europe/Berlin" if r < 0.5 else "UTC" if r < 0.75 else rnd.choice(IANA_ZONES)
        start = start_of(rnd, years)
        minutes = rnd.choice((30, 30, 60, 45))
        uid = "%026x@google.com" % rnd.getrandbits(104)
        title = topic(rnd)
        if rnd.random() >= 0.2 or n - written < 4:
            w(google_event(rnd, i, zone, start, minutes, [], title, uid))
            written += 1
            continue
        step = dt.timedelta(days=7)
        rule = "RRULE:FREQ=WEEKLY;WKST=MO;BYDAY=%s" % ["MO", "TU", "WE", "TH", "FR", "SA",
                                                        "SU"][start.weekday()]
        if rnd.random() < 0.5:
            rule += ";COUNT=%d" % (4 + rnd.randrange(30))
        else:
            rule += ";UNTIL=%s" % utc(start + dt.timedelta(days=30 + rnd.randrange(200)))
        extra = [rule]
        if rnd.random() < 0.4:
            ex = start + step * 2
            extra.append("EXDATE:" + utc(ex) if zone == "UTC"
                         else "EXDATE;TZID=%s:%s" % (zone, local(ex)))
        master = google_event(rnd, i, zone, start, minutes, extra, title, uid)
        overrides = []
        if rnd.random() < 0.4 and n - written >= 2:
            rid = start + step
            overrides.append(google_event(
                rnd, i, zone, rid + dt.timedelta(hours=1), minutes,
                ["RECURRENCE-ID:" + utc(rid) if zone == "UTC"
                 else "RECURRENCE-ID;TZID=%s:%s" % (zone, local(rid))], title, uid))
        # Google writes an override before or after its master
        w("".join(overrides) + master if rnd.random() < 0.5 else master + "".join(overrides))
        written += 1 + len(overrides)
    w("END:VCALENDAR" + CRLF)


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("outlook", "google"):
        sys.exit(__doc__)
    shape, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    years = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    with open(sys.argv[3], "w", newline="", encoding="utf-8") as out:
        (outlook if shape == "outlook" else google)(rnd, n, years, out.write)


if __name__ == "__main__":
    main()
