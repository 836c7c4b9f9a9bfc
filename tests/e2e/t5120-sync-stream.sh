#!/usr/bin/env bash
# Flat memory in import (issue #14): a run with one calendar plans and sends its occurrences in
# chunks (ICS2HUBSPOT_CHUNK sets the size; 5,000 by default) and keeps only the keys it saw for
# the removals at the end. Same outcomes as a run that holds everything: creates, unchanged,
# updates, removals, the safety valve.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
GEN="$Y/gen.py"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
export ICS2HUBSPOT_CHUNK=4

exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }
meetings_py() { sandbox_get /_sandbox/meetings | "$PY" -c "import json,sys; ms=json.load(sys.stdin)['meetings']; $1"; }
writes() { sandbox_get /_sandbox/stats | jget - 'd["meetings_created"] + d["meetings_updated"] + d["meetings_archived"]'; }
live() { meetings_py "print(len([m for m in ms if not m[\"archived\"]]))"; }

test_expect_success 'a run with one calendar is planned and sent in chunks' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 &&
	"$BIN" import -v -m "$Y/archive.yaml" --state st.db --report r1.json cal.ics 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 35 ] &&
	[ "$(live)" = 35 ] &&
	[ "$(grep -c "planned and applied" err)" -ge 8 ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"created\"")" = 35 ]
'
test_expect_success 'without a state, every chunk looks its meetings up first: all adopted, none created' '
	w=$(writes) &&
	"$BIN" import -v -m "$Y/archive.yaml" --no-state --report rn.json cal.ics 2>err &&
	[ "$(jget rn.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(jget rn.json "d[\"totals\"][\"unchanged\"]")" = 35 ] &&
	[ "$(live)" = 35 ] && [ "$(writes)" = "$w" ] &&
	[ "$(grep -c "found in HubSpot by ics2hubspot_key and adopted" err)" -ge 8 ]
'
test_expect_success 'the pre-flight runs before the first chunk is sent: exit 3, nothing created' '
	{ sed "s/^  hs_meeting_outcome: SCHEDULED/  no_such_meeting_property: x/" "$Y/archive.yaml" &&
	  echo "custom_properties: [no_such_meeting_property]"; } >bad.yaml &&
	"$PY" "$GEN" 30 other.ics --uid-prefix other --weekly 5 &&
	w=$(writes) &&
	[ "$(exit_code "$BIN" import -m bad.yaml --state st2.db other.ics 2>err)" = 3 ] &&
	grep -q no_such_meeting_property err && grep -q "ics2hubspot setup" err &&
	[ "$(writes)" = "$w" ] && [ "$(live)" = 35 ]
'
test_expect_success 'a re-run: unchanged in every chunk, an edit updated, a removal archived at the end' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --stamp 20310101T000000Z --retitle "7=Renamed" --drop 3 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r2.json cal.ics 2>err &&
	[ "$(jget r2.json "d[\"totals\"][\"unchanged\"]")" = 33 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"archived\"]")" = 1 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(live)" = 34 ] &&
	sqlite3 st.db "select status from occurrences where key=\"sync-3@example.test\"" | grep -qx archived
'
test_expect_success 'the safety valve counts the whole calendar, not a chunk' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --stamp 20310101T000000Z --retitle "7=Renamed" \
		--drop 0,1,2,3,4,5,6,8,9,10,11,12 &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err)" = 1 ] &&
	grep -q "would lose 11 of its 34" err &&
	[ "$(live)" = 34 ] &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --force --report rf.json cal.ics 2>err &&
	[ "$(jget rf.json "d[\"totals\"][\"archived\"]")" = 11 ] &&
	[ "$(live)" = 23 ]
'
test_expect_success 'an empty calendar removes nothing without --force' '
	"$PY" "$GEN" 0 cal.ics &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err)" = 1 ] &&
	grep -q "came back empty" err &&
	[ "$(live)" = 23 ]
'
test_done
