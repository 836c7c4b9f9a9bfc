#!/usr/bin/env bash
# The command line: help, version, usage errors and their exit codes.
. "$(dirname "$0")/lib.sh"

test_expect_success '--help lists the commands and exit codes' '
	"$BIN" --help >out &&
	grep -q "^  import " out && grep -q "^  expand " out &&
	grep -q "^  check " out && grep -q "exit codes" out
'
test_expect_success '--version' '
	"$BIN" --version | grep -q "^ics2hubspot [0-9]"
'
test_expect_success 'no command is a usage error (exit 2) with a hint' '
	rc=0; "$BIN" 2>err || rc=$?; [ $rc = 2 ] && grep -q "^ics2hubspot: see .ics2hubspot --help.$" err
'
test_expect_success 'unknown command: exit 2' '
	rc=0; "$BIN" frobnicate x 2>err || rc=$?; [ $rc = 2 ] && grep -q "not an ics2hubspot command" err
'
test_expect_success 'bad --since: exit 2, names the value' '
	rc=0; "$BIN" expand --since yesterday "$ROOT/samples/allday.ics" 2>err || rc=$?
	[ $rc = 2 ] && grep -q "yesterday" err
'
test_expect_success 'import without a token: exit 2 and says how to give one' '
	rc=0; env -u HUBSPOT_ACCESS_TOKEN "$BIN" import "$ROOT/samples/allday.ics" 2>err || rc=$?
	[ $rc = 2 ] && grep -q "HUBSPOT_ACCESS_TOKEN" err
'
test_expect_success 'a missing calendar: exit 2, named' '
	rc=0; "$BIN" expand nosuch.ics 2>err || rc=$?; [ $rc = 2 ] && grep -q "nosuch.ics" err
'
test_expect_success 'bad --rate: exit 2' '
	rc=0; "$BIN" import --rate fast "$ROOT/samples/allday.ics" 2>err || rc=$?; [ $rc = 2 ]
'
test_expect_success '--max-per-series cuts an absurd series with a warning naming file, line and UID' '
	printf "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:every-second@x\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nSUMMARY:absurd\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" >sec.ics &&
	"$BIN" expand --max-per-series 7 --until 2027-01-01 sec.ics >o 2>err &&
	[ "$(wc -l <o)" = 7 ] && grep -q "sec.ics:2: UID every-second@x: series cut" err &&
	rc=0; "$BIN" expand --max-per-series 0 sec.ics 2>/dev/null || rc=$?; [ $rc = 2 ]
'
test_requires script command -v script &&
test_expect_success 'colour only on a terminal, never with NO_COLOR' '
	"$BIN" expand 2>err; ! grep -q "$(printf "\033")" err &&
	env -u NO_COLOR TERM=xterm script -qec "\"$BIN\" expand" /dev/null >tty.out 2>&1
	grep -q "$(printf "\033")\[1;31merror: " tty.out &&
	NO_COLOR=1 TERM=xterm script -qec "\"$BIN\" expand" /dev/null >tty.out 2>&1
	grep -q "ics2hubspot: error: no calendar" tty.out
'
test_done
