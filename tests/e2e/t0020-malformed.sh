#!/usr/bin/env bash
# Bad input: clear errors naming file and line; what can be read still goes through.
. "$(dirname "$0")/lib.sh"
start_sandbox
S="$ROOT/samples"

test_expect_success 'malformed calendar: exit 1, warnings name file:line and UID' '
	rc=0; "$BIN" import --no-state --report r.json "$S/malformed.ics" 2>err || rc=$?
	[ $rc = 1 ] &&
	grep -q "malformed.ics:[0-9]" err &&
	grep -q "no-dtstart@example.net" err
'
test_expect_success 'the good events around the broken ones were created' '
	sandbox_get /_sandbox/meetings >m.json &&
	jget m.json "sorted(m[\"properties\"][\"hs_meeting_title\"] for m in d[\"meetings\"])" >titles &&
	grep -q "Good event before" titles && grep -q "Good event after" titles
'
test_expect_success 'an unknown time zone is a warning naming the TZID, not silently floating' '
	grep -q "Atlantis/Lost City" err
'
test_expect_success 'a file that is not a calendar at all: exit 2' '
	printf "this is not a calendar\n" >junk.ics &&
	rc=0; "$BIN" import --no-state junk.ics 2>err2 || rc=$?
	[ $rc = 2 ] && grep -q "junk.ics" err2
'
test_expect_success 'one unreadable calendar among readable ones: exit 1, the others imported' '
	rc=0; "$BIN" import --no-state --report r3.json nosuch.ics "$S/allday.ics" 2>err3 || rc=$?
	[ $rc = 1 ] && [ "$(jget r3.json "d[\"totals\"][\"failed\"] + d[\"totals\"][\"created\"]")" -gt 0 ]
'
test_expect_success 'expand on the malformed file prints valid NDJSON for the good events' '
	rc=0; "$BIN" expand "$S/malformed.ics" >o.ndjson 2>/dev/null || rc=$?
	[ $rc = 1 ] && jget o.ndjson "[o[\"uid\"] for o in d]" | grep -q good-after@example.net
'
test_done
