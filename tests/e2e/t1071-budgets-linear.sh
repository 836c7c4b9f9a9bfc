#!/usr/bin/env bash
# Issue 27 items 2 and 3: budgets by outcome, not by FREQ, and linear time. A DAILY rule
# with BYHOUR/BYMINUTE/BYSECOND lists (561 bytes) planned 10,000 meetings one second
# apart; 200 FREQ=HOURLY series (16 KB) planned 500,000 in 750 MB; 50,000 VTIMEZONEs,
# 40,000 attendees and a mapping sharing a 10,000-entry map through an alias took minutes
# (growing with the square). Each now ends with one clear message per series or file, in
# bounded memory (asserted: under 256 MB; the time limits are generous guards only).
. "$(dirname "$0")/lib.sh"

# mem_ok FILE: the peak (KB, from /usr/bin/time) under 256 MB; four times that for a build
# with AddressSanitizer, whose shadow memory and redzones are not the program's.
mem_limit=262144
ldd "$BIN" 2>/dev/null | grep -q libasan && mem_limit=$((4 * mem_limit))
mem_ok() { [ "$(tail -n 1 "$1")" -lt $mem_limit ]; }

"$PY" - <<'PY'
import datetime
hdr = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t1071//EN\r\n"
end = "END:VCALENDAR\r\n"
start = (datetime.date.today() + datetime.timedelta(30)).strftime("%Y%m%d")
lists = "BYHOUR=%s;BYMINUTE=%s;BYSECOND=%s" % tuple(",".join(map(str, range(n))) for n in (24, 60, 60))
open("byhour.ics", "w").write(hdr + "BEGIN:VEVENT\r\nUID:flood\r\nDTSTART:%sT000000Z\r\n"
                              "RRULE:FREQ=DAILY;%s\r\nEND:VEVENT\r\n" % (start, lists) + end)
open("hourly.ics", "w").write(hdr + "".join(
    "BEGIN:VEVENT\r\nUID:h%d\r\nDTSTART:%sT000000Z\r\nRRULE:FREQ=HOURLY\r\nEND:VEVENT\r\n"
    % (i, start) for i in range(200)) + end)
tz = "".join("BEGIN:VTIMEZONE\r\nTZID:Z%d\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
             "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" % i
             for i in range(50000))
open("tz.ics", "w").write(hdr + tz + "BEGIN:VEVENT\r\nUID:tz\r\n"
                          "DTSTART;TZID=Z49999:%sT090000\r\nEND:VEVENT\r\n" % start + end)
att = "".join("ATTENDEE;CN=P %d:mailto:p%d@d%d.example\r\n" % (i, i, i % 500) for i in range(40000))
open("att.ics", "w").write(hdr + "BEGIN:VEVENT\r\nUID:att\r\nDTSTART:%sT090000Z\r\n" % start
                           + att + "END:VEVENT\r\n" + end)
y = ["version: 1", "custom_properties: [%s]" % ", ".join("p%d" % i for i in range(1000)),
     "properties:", '  hs_timestamp: "{{ start }}"', "  p0:", '    value: "{{ summary }}"', "    map: &m"]
y += ["      k%d: v%d" % (i, i) for i in range(10000)]
y += ['  p%d: { value: "{{ summary }}", map: *m }' % i for i in range(1, 1000)]
open("alias.yaml", "w").write("\n".join(y) + "\n")
PY

test_expect_success 'a DAILY rule with BYHOUR/BYMINUTE/BYSECOND lists: cut at 24 a day, one error, exit 1' '
	[ "$(wc -c <byhour.ics)" -lt 700 ] &&
	rc=0; timeout 60 "$BIN" import -n --no-state --report r.json byhour.ics >/dev/null 2>err || rc=$?
	[ $rc = 1 ] && [ "$(jget r.json "d[\"totals\"][\"planned\"]")" = 24 ] &&
	[ "$(grep -c "error:" err)" = 1 ] &&
	grep -q "error: byhour.ics:4: UID flood: series cut: more than 24 occurrences on one day" err &&
	grep -q "byhour.ics: not read in full .*nothing of it is removed this run" err
'
test_expect_success '200 FREQ=HOURLY series in a dry run: the calendar budget, bounded memory, one error per series' '
	bytes=$(wc -c <hourly.ics) &&
	rc=0; /usr/bin/time -f "%M" -o mem timeout 120 "$BIN" import -n --no-state --report r.json hourly.ics \
		>/dev/null 2>err || rc=$?
	[ $rc = 1 ] && mem_ok mem &&
	[ "$(jget r.json "d[\"totals\"][\"planned\"]")" = $((20000 + 4 * bytes)) ] &&
	[ "$(grep -c "error: hourly.ics:[0-9]*: UID h[0-9]*: series cut" err)" = 200 ] &&
	grep -q "UID h199: series cut: the calendar.s series gave the $((20000 + 4 * bytes)) occurrences its size allows" err
'
test_expect_success 'expand keeps the per-series cap only (a warning, exit 0)' '
	timeout 60 "$BIN" expand byhour.ics >out 2>err &&
	[ "$(wc -l <out)" = 10000 ] && grep -q "warning: byhour.ics:4: UID flood: series cut after" err
'
test_expect_success '50,000 VTIMEZONEs: expand and import -n in bounded memory' '
	/usr/bin/time -f "%M" -o mem timeout 60 "$BIN" expand tz.ics >out &&
	mem_ok mem && [ "$(wc -l <out)" = 1 ] && grep -q "\"tz\":\"Z49999\"" out &&
	/usr/bin/time -f "%M" -o mem timeout 60 "$BIN" import -n --no-state tz.ics >/dev/null 2>&1 &&
	mem_ok mem
'
test_expect_success '40,000 attendees on one event: check and import -n plan all contacts' '
	/usr/bin/time -f "%M" -o mem timeout 60 "$BIN" check att.ics >/dev/null 2>&1 && mem_ok mem &&
	/usr/bin/time -f "%M" -o mem timeout 60 "$BIN" import -n --no-state --report r.json att.ics \
		>/dev/null 2>&1 &&
	mem_ok mem && [ "$(jget r.json "d[\"totals\"][\"planned\"]")" = 1 ]
'
test_expect_success 'a mapping sharing a 10,000-entry map through an alias 1,000 times: refused with FILE:LINE:COL (exit 2)' '
	rc=0; /usr/bin/time -f "%M" -o mem timeout 60 "$BIN" check -m alias.yaml >/dev/null 2>err || rc=$?
	[ $rc = 2 ] && mem_ok mem &&
	grep -q "alias.yaml:[0-9]*:3: aliases make the mapping read more than" err
'
test_done
