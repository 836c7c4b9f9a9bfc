#!/usr/bin/env bash
# Hostile and malformed calendars (tests/ics/corpus plus hand-made ones): no crash, valid NDJSON,
# warnings that name file and line, the good events still come through.
. "$(dirname "$0")/lib.sh"
CORPUS="$ROOT/tests/ics/corpus"

# run_expand FILE OUT: expand with a bounded window; fails on a crash (exit >= 3 or a signal).
run_expand() {
	rc=0
	timeout 120 "$BIN" expand --since 1990-01-01 --until 2030-01-01 "$1" >"$2" 2>"$2.err" || rc=$?
	if [ $rc -gt 2 ]; then
		echo "$1: exit $rc"; tail -n 20 "$2.err"; return 1
	fi
	"$PY" -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    o = json.loads(line.decode("utf-8"))  # strict UTF-8, strict JSON
    assert o["uid"] and o["start"] and o["end"], (sys.argv[1], n)
' "$2" || { echo "$1: invalid NDJSON"; return 1; }
}

test_expect_success 'the corpus hostile files run without a crash' '
	for f in libical/crash.ics libical/malloc.ics libical/zday.ics libical/caltime.ics \
		libical/issue339.ics libical/recur.txt \
		icalendar/calendars/broken_dtstart.ics icalendar/calendars/broken_ical.ics \
		icalendar/calendars/big_bad_calendar.ics icalendar/calendars/small_bad_calendar.ics \
		icalendar/calendars/fuzz_testcase_vtimezone_lone_cr.ics \
		icalendar/calendars/bom_calendar.ics icalendar/calendars/parsing_error.ics \
		icalendar/calendars/invalid_duration.ics; do
		run_expand "$CORPUS/$f" "out.$(basename "$f").ndjson"
	done
'
test_expect_success 'every corpus calendar runs without a crash' '
	find "$CORPUS" -name "*.ics" | sort >list &&
	n=0 && while read -r f; do n=$((n + 1)); run_expand "$f" "all.$n.ndjson"; done <list &&
	test "$n" -gt 100
'
test_expect_success 'large.ics (several VCALENDARs, bare VEVENTs): every VEVENT read' '
	rc=0; "$BIN" expand --since 1990-01-01 --until 2030-01-01 "$CORPUS/libical/large.ics" >large.ndjson 2>large.err || rc=$?
	[ $rc -le 1 ] && [ "$(wc -l <large.ndjson)" -ge 1000 ]
'

# Hand-made hostile inputs, small enough for the sanitizer build.
printf "\xEF\xBB\xBFBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:good-1\r\nDTSTART:20240101T100000Z\r\nSUMMARY:caf\xE9 \x00 \x01\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART:garbage\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:good-2\r\nDTSTART:20240102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" >bytes.ics
printf "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:deep\nDTSTART:20240101T100000Z\n" >nest.ics
for i in $(seq 1 500); do printf "BEGIN:VALARM\n" >>nest.ics; done
printf "END:VEVENT\nBEGIN:VEVENT\nUID:after-deep\nDTSTART:20240101T100000Z\nEND:VEVENT\nEND:VCALENDAR\n" >>nest.ics
{ printf "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:long\nDTSTART:20240101T100000Z\nDESCRIPTION:x"
  head -c 300000 /dev/zero | tr "\0" "y" | fold -w 74 | sed "s/^/ /"
  printf "\nEND:VEVENT\nEND:VCALENDAR\n"; } >long.ics
printf "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:sec\nDTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY;INTERVAL=1\nEND:VEVENT\nBEGIN:VEVENT\nUID:bad-rrule\nDTSTART:20240101T000000Z\nRRULE:FREQ=SOMETIMES;BYDAY=XX;INTERVAL=-5\nEND:VEVENT\nBEGIN:VEVENT\nUID:y9999\nDTSTART:99991231T235959Z\nRRULE:FREQ=DAILY\nEND:VEVENT\nEND:VCALENDAR\n" >absurd.ics
printf "END:VCALENDAR\nEND:VEVENT\nBEGIN:VEVENT\nBEGIN:VEVENT\nUID:x\nRECURRENCE-ID:20240101T000000Z\nDTSTART:20240101T000000Z\nEND:VEVENT\nUID:stray\n:\n;;;\nBEGIN:\nEND:\n" >garbage.ics

test_expect_success 'bad bytes: valid UTF-8 out, a warning, the good events through' '
	run_expand bytes.ics bytes.ndjson &&
	grep -q "\"uid\":\"good-1\"" bytes.ndjson && grep -q "\"uid\":\"good-2\"" bytes.ndjson &&
	grep -q "bytes.ics:2: UID good-1: invalid UTF-8" bytes.ndjson.err &&
	grep -q "bytes.ics:7: UID broken" bytes.ndjson.err
'
test_expect_success 'deep nesting, a 300 KB folded line, absurd rules, garbage: no crash' '
	run_expand nest.ics nest.ndjson && grep -q after-deep nest.ndjson &&
	run_expand long.ics long.ndjson && grep -q "\"uid\":\"long\"" long.ndjson &&
	run_expand absurd.ics absurd.ndjson && grep -q "UID sec: series cut" absurd.ndjson.err &&
	test "$(grep -c "\"uid\":\"sec\"" absurd.ndjson)" -le 100000 &&
	run_expand garbage.ics garbage.ndjson
'
test_expect_success 'expand exits 1 when an event is unusable, 2 when nothing is a calendar' '
	rc=0; "$BIN" expand bytes.ics >/dev/null 2>&1 || rc=$?; [ $rc = 1 ] &&
	printf "hello\n" >junk.txt &&
	rc=0; "$BIN" expand junk.txt >/dev/null 2>junk.err || rc=$?; [ $rc = 2 ] &&
	grep -q "junk.txt" junk.err
'
# #16 item 1: a rule that never yields an instance stops after its step budget (in steps,
# not results), with a warning naming the series; every command ends.
printf "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:never\r\nDTSTART:20240101T090000Z\r\nRRULE:FREQ=SECONDLY;BYMONTHDAY=31;BYMONTH=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" >never.ics
test_expect_success 'a SECONDLY rule that never matches ends with a warning (expand, check, import -n)' '
	timeout 30 "$BIN" expand never.ics >never.ndjson 2>never.err &&
	test "$(wc -l <never.ndjson)" = 1 &&
	grep -q "never.ics:2: UID never: series cut after too many recurrence steps" never.err &&
	timeout 30 "$BIN" check never.ics >/dev/null 2>&1 &&
	rc=0; timeout 30 "$BIN" import -n --no-state never.ics >/dev/null 2>imp.err || rc=$?
	# import skips FREQ=SECONDLY/MINUTELY rules with a warning (exit 1; #16 item 6)
	[ "$rc" -le 1 ] && grep -q "UID never: FREQ=SECONDLY repeats more often" imp.err
'
test_expect_success 'MINUTELY and HOURLY rules that never match end too' '
	timeout 30 "$BIN" expand --max-per-series 1000 "$ROOT/tests/ics/never.ics" >nv.ndjson 2>nv.err &&
	grep -q "UID never-minutely: series cut" nv.err && grep -q "UID never-count: series cut" nv.err
'
test_done
