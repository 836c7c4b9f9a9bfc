#!/usr/bin/env bash
# A calendar's messages are capped (1000 printed, then one line saying the rest are only
# counted): a calendar with a warning in every event does not flood the log, and a broken
# structure still makes the calendar incomplete (exit 1).
. "$(dirname "$0")/lib.sh"

# cap.ics N [stray]: N events, each with an RRULE x-name part (repaired: one warning
# each); "stray" adds an END:VEVENT with no BEGIN (an error: an event may be lost).
cap_ics() {
	"$PY" - "$@" <<'PY'
import sys
n, stray = int(sys.argv[1]), sys.argv[2:] == ["stray"]
out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ics2hubspot//t1050//EN"]
for i in range(n):
    out += ["BEGIN:VEVENT", "UID:cap-%d@example.test" % i, "DTSTAMP:20260101T000000Z",
            "DTSTART:20260301T090000Z", "RRULE:FREQ=DAILY;COUNT=1;X-BOGUS=1", "SUMMARY:x",
            "END:VEVENT"]
if stray:
    out.append("END:VEVENT")
out.append("END:VCALENDAR")
sys.stdout.write("\r\n".join(out) + "\r\n")
PY
}

test_expect_success '1005 warnings: 1000 printed, then one line saying the rest are only counted' '
	cap_ics 1005 >cap.ics &&
	"$BIN" expand cap.ics >out 2>err &&
	[ "$(wc -l <out)" = 1005 ] &&
	[ "$(wc -l <err)" = 1001 ] &&
	[ "$(grep -c "BOGUS=1 ignored" err)" = 1000 ] &&
	[ "$(grep -c "too many warnings, the rest are only counted" err)" = 1 ] &&
	tail -n 1 err | grep -q "cap.ics: too many warnings"
'
test_expect_success 'a broken structure among them: printed within the cap, the calendar is incomplete (exit 1)' '
	cap_ics 1005 stray >stray.ics &&
	rc=0; "$BIN" expand stray.ics >out 2>err || rc=$?
	[ $rc = 1 ] && [ "$(wc -l <err)" = 1001 ] &&
	grep -q "\"END:VEVENT\" has no BEGIN: an event may be lost" err &&
	[ "$(grep -c "too many warnings" err)" = 1 ]
'
test_done
