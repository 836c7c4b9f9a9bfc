#!/usr/bin/env bash
# Issue #16 item 6: amplification. A 2 KB calendar of 20 FREQ=SECONDLY events planned 2,000,000
# meetings (24 s, 2.9 GB). Now: FREQ=SECONDLY/MINUTELY rules are skipped by import with a warning
# (expand keeps them), a series stops at 10,000 occurrences, a run at 500,000 — in bounded time
# and memory, exit 1, and a calendar read with lost occurrences removes nothing.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"

# cal FILE N FREQ [START]: N events that repeat forever
cal() {
	{ printf "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
	  for i in $(seq 1 "$2"); do
		printf "BEGIN:VEVENT\r\nUID:%s-%d\r\nDTSTART:%s\r\nRRULE:FREQ=%s\r\nSUMMARY:x\r\nEND:VEVENT\r\n" \
			"$3" "$i" "${4:-20240101T090000Z}" "$3"
	  done
	  printf "END:VCALENDAR\r\n"; } >"$1"
}

test_expect_success 'import: 20 FREQ=SECONDLY events end fast, in bounded memory, exit 1, nothing planned' '
	cal sec.ics 20 SECONDLY && [ "$(wc -c <sec.ics)" -lt 2500 ] &&
	rc=0; /usr/bin/time -f "%M" -o mem timeout 10 "$BIN" import -n --no-state sec.ics >plan 2>err || rc=$?
	[ "$rc" = 1 ] &&
	[ "$(tail -n 1 mem)" -lt 300000 ] &&
	grep -q "sec.ics:4: UID SECONDLY-1: FREQ=SECONDLY repeats more often than any meeting: not imported" err &&
	[ "$(grep -c "FREQ=SECONDLY repeats" err)" = 20 ] &&
	grep -q "0 planned" err && grep -q "^0 create" plan
'
test_expect_success 'MINUTELY too; expand keeps them (per-series cap 10,000)' '
	cal min.ics 1 MINUTELY &&
	rc=0; timeout 10 "$BIN" import -n --no-state min.ics >/dev/null 2>err || rc=$?
	[ "$rc" = 1 ] && grep -q "FREQ=MINUTELY repeats more often" err &&
	timeout 10 "$BIN" expand min.ics >out 2>err &&
	[ "$(wc -l <out)" = 10000 ] && grep -q "UID MINUTELY-1: series cut" err
'
test_expect_success 'the per-series default is 10,000: a daily series since 1990 is cut with a warning' '
	cal daily.ics 1 DAILY 19900101T090000Z &&
	timeout 10 "$BIN" expand --until 2030-01-01 daily.ics >out 2>err &&
	[ "$(wc -l <out)" = 10000 ] && grep -q "cap 10000 occurrences per series" err
'
test_expect_success 'the per-run total: reading stops at the limit, the rest is not read, exit 1' '
	cal hourly.ics 3 HOURLY && cal other.ics 1 DAILY &&
	rc=0; ICS2HUBSPOT_MAX_OCCURRENCES=500 timeout 10 "$BIN" import -n --no-state --until 2025-01-01 \
		--report plan.json hourly.ics other.ics >/dev/null 2>err || rc=$?
	[ "$rc" = 1 ] &&
	[ "$(jget plan.json "d[\"totals\"][\"planned\"]")" = 500 ] &&
	grep -q "hourly.ics: reading stopped at 500 occurrences, the limit of one run" err &&
	grep -q "other.ics: not read (the run reached its limit of 500 occurrences)" err
'
test_expect_success 'a calendar whose occurrences were not imported removes nothing' '
	start_sandbox --seed "$Y/seed.json" --rate 1000/10s &&
	"$PY" "$Y/gen.py" 12 feed.ics --weekly 0 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db feed.ics 2>err &&
	"$PY" "$Y/gen.py" 12 feed.ics --weekly 0 --drop 3 &&
	sed -i "s/^END:VCALENDAR/BEGIN:VEVENT\r\nUID:spam\r\nDTSTART:20300101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR/" feed.ics &&
	rc=0; "$BIN" import -m "$Y/archive.yaml" --state st.db --report r.json feed.ics 2>err || rc=$?
	[ "$rc" = 1 ] && [ "$(jget r.json "d[\"totals\"][\"archived\"]")" = 0 ] &&
	grep -q "UID spam: FREQ=SECONDLY" err
'
test_done
