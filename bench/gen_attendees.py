#!/usr/bin/python3
"""gen_attendees.py OUTDIR [MEETINGS] [ATTENDEES] [MISSING_EVERY] [OWNERS] [DOMAINS]

Writes OUTDIR/attendees.ics (MEETINGS single events, 5 attendees each drawn so that all
ATTENDEES distinct addresses appear, organizers among the owners) and OUTDIR/seed.json
(the sandbox seed: every attendee as a contact except every MISSING_EVERY-th, OWNERS owners,
a company for every other domain), then prints the figures as JSON on stdout.
"""
import json
import os
import sys


def main():
    out = sys.argv[1]
    meetings = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    attendees = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    missing_every = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    owners = int(sys.argv[5]) if len(sys.argv) > 5 else 250
    domains = int(sys.argv[6]) if len(sys.argv) > 6 else 300
    per = 5
    os.makedirs(out, exist_ok=True)

    def email(k):
        return "person%d@d%d.example" % (k, k % domains)

    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ics2hubspot//bench assoc//EN"]
    organizers = set()
    for i in range(meetings):
        day, slot = divmod(i, 8)
        # organizers: a few reps, one of them on the last owner page
        org = (i % 4) * 7 if i % 4 else owners - 1
        organizers.add(org)
        lines += ["BEGIN:VEVENT", "UID:bench-assoc-%d@test" % i,
                  "DTSTAMP:20240101T000000Z",
                  "DTSTART:2024%02d%02dT%02d0000Z" % (1 + day // 28 % 12, 1 + day % 28, 8 + slot),
                  "DURATION:PT45M", "SUMMARY:Bench meeting %d" % i,
                  "ORGANIZER;CN=Rep %d:mailto:rep%d@mycompany.example" % (org, org)]
        for j in range(per):
            k = (i * 3 + j) % attendees  # overlapping windows: every address is used
            lines.append("ATTENDEE;CN=\"Last%d, First%d\";PARTSTAT=ACCEPTED:mailto:%s"
                         % (k, k, email(k)))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    with open(os.path.join(out, "attendees.ics"), "w", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")

    used = sorted({(i * 3 + j) % attendees for i in range(meetings) for j in range(per)})
    seed = {
        "contacts": [{"id": str(100000 + k), "email": email(k), "firstname": "First%d" % k,
                      "lastname": "Last%d" % k} for k in used if k % missing_every],
        "owners": [{"id": str(700000 + o), "email": "rep%d@mycompany.example" % o,
                    "firstName": "Rep", "lastName": str(o), "type": "PERSON"}
                   for o in range(owners)],
        "companies": [{"id": str(800000 + d), "domain": "d%d.example" % d, "name": "D%d" % d}
                      for d in range(0, domains, 2)],
        "deals": [], "tickets": [],
    }
    with open(os.path.join(out, "seed.json"), "w") as f:
        json.dump(seed, f)
    print(json.dumps({"meetings": meetings, "emails": len(used),
                      "missing": sum(1 for k in used if k % missing_every == 0),
                      "owners": owners, "organizers": len(organizers),
                      "domains": len({k % domains for k in used})}))


if __name__ == "__main__":
    main()
