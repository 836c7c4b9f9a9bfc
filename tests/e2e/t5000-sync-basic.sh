#!/usr/bin/env bash
# Sync (issue #7): first run creates, a quiet re-run sends no write, an edit updates, a removal
# follows on_removed (archive | cancel | keep), safety valves hold without --force.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
GEN="$Y/gen.py"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s

writes() { sandbox_get /_sandbox/stats | jget - 'd["writes"]'; }
requests() { sandbox_get /_sandbox/stats | jget - 'd["requests"]'; }
calls() { asked "$1"; } # what was asked for, not what a 429's retry added
# live TITLE_PREFIX: number of live (not archived) meetings whose title starts with it
# exit_code CMD...: the exit status of CMD (inside a test's set -e).
exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }
meetings_py() { sandbox_get /_sandbox/meetings | "$PY" -c "import json,sys; ms=json.load(sys.stdin)['meetings']; $1"; }

test_expect_success 'first run creates one meeting per occurrence and records it' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r1.json cal.ics 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 35 ] &&
	meetings_py "print(len([m for m in ms if not m[\"archived\"]]))" >n && [ "$(cat n)" = 35 ] &&
	[ "$(stat -c %a st.db)" = 600 ] &&
	grep -q "35 created" err
'
test_expect_success 'a quiet re-run sends nothing at all and reports every occurrence unchanged' '
	before=$(requests) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r2.json cal.ics 2>err &&
	[ "$(requests)" = "$before" ] &&
	[ "$(jget r2.json "d[\"totals\"][\"unchanged\"]")" = 35 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	grep -q "0 created, 0 updated, 35 unchanged" err
'
test_expect_success 'a DTSTAMP-only change is parsed again but writes nothing' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --stamp 20310101T000000Z &&
	before=$(writes) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r3.json cal.ics 2>err &&
	[ "$(writes)" = "$before" ] &&
	[ "$(jget r3.json "d[\"totals\"][\"unchanged\"]")" = 35 ]
'
test_expect_success 'an edited event is updated with one batch/update' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --retitle "7=Renamed meeting" &&
	before=$(calls "POST /crm/objects/2026-09/meetings/batch/update") &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r4.json cal.ics 2>err &&
	[ "$(calls "POST /crm/objects/2026-09/meetings/batch/update")" = $((before + 1)) ] &&
	[ "$(jget r4.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget r4.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	meetings_py "print([m[\"properties\"][\"hs_meeting_title\"] for m in ms if m[\"properties\"][\"ics2hubspot_key\"]==\"sync-7@example.test\"])" >t &&
	grep -q "Renamed meeting" t
'
test_expect_success 'dry run prints the plan, writes nothing, and puts it in --report' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --retitle "7=Renamed meeting" --retitle "8=Another" --drop 9 &&
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]") &&
	"$BIN" import -n -m "$Y/archive.yaml" --state st.db --report plan.json cal.ics >plan 2>err &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]")" = "$before" ] &&
	grep -q "^update .*sync-8@example.test" plan &&
	grep -q "^remove:archive .*sync-9@example.test" plan &&
	[ "$(jget plan.json "d[\"dry_run\"]")" = True ] &&
	jget plan.json "sorted(o[\"action\"] + \" \" + o[\"outcome\"] for o in d[\"occurrences\"] if o[\"outcome\"] in (\"created\", \"updated\", \"archived\"))" >acts &&
	grep -qx "remove:archive archived" acts && grep -qx "update updated" acts && [ "$(wc -l <acts)" = 2 ] &&
	[ "$(jget plan.json "d[\"totals\"][\"planned\"]")" = 2 ] && [ "$(jget plan.json "d[\"totals\"][\"archived\"]")" = 1 ]
'
test_expect_success 'a removed event is archived (on_removed: archive)' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --retitle "7=Renamed meeting" --drop 3 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r5.json cal.ics 2>err &&
	[ "$(jget r5.json "d[\"totals\"][\"archived\"]")" = 1 ] &&
	meetings_py "print([m[\"archived\"] for m in ms if m[\"properties\"][\"ics2hubspot_key\"]==\"sync-3@example.test\"])" >a &&
	grep -qx "\[True\]" a &&
	before=$(writes) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err &&
	[ "$(writes)" = "$before" ]
'
test_expect_success 'an event back in the calendar is created again' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --retitle "7=Renamed meeting" &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r6.json cal.ics 2>err &&
	[ "$(jget r6.json "d[\"totals\"][\"created\"]")" = 1 ] &&
	meetings_py "print(len([m for m in ms if not m[\"archived\"]]))" >n && [ "$(cat n)" = 35 ]
'
test_expect_success 'a removed event is cancelled (on_removed: cancel)' '
	"$PY" "$GEN" 12 c.ics --uid-prefix cancel &&
	"$BIN" import -m "$Y/cancel.yaml" --state cancel.db c.ics 2>err &&
	"$PY" "$GEN" 12 c.ics --uid-prefix cancel --drop 4 &&
	"$BIN" import -m "$Y/cancel.yaml" --state cancel.db --report rc.json c.ics 2>err &&
	meetings_py "print([(m[\"archived\"], m[\"properties\"][\"hs_meeting_outcome\"]) for m in ms if m[\"properties\"][\"ics2hubspot_key\"]==\"cancel-4@example.test\"])" >o &&
	grep -q "(False, .CANCELED.)" o &&
	jget rc.json "[o[\"action\"] for o in d[\"occurrences\"] if o[\"key\"]==\"cancel-4@example.test\"]" | grep -q "remove:cancel" &&
	sqlite3 cancel.db "select status from occurrences where key=\"cancel-4@example.test\"" | grep -qx cancelled
'
test_expect_success 'a removed event is kept (on_removed: keep): nothing sent' '
	"$PY" "$GEN" 12 k.ics --uid-prefix keep &&
	"$BIN" import -m "$Y/keep.yaml" --state keep.db k.ics 2>err &&
	"$PY" "$GEN" 12 k.ics --uid-prefix keep --drop 5 &&
	before=$(writes) &&
	"$BIN" import -m "$Y/keep.yaml" --state keep.db k.ics 2>err &&
	[ "$(writes)" = "$before" ] &&
	meetings_py "print([m[\"archived\"] for m in ms if m[\"properties\"][\"ics2hubspot_key\"]==\"keep-5@example.test\"])" | grep -qx "\[False\]" &&
	sqlite3 keep.db "select status from occurrences where key=\"keep-5@example.test\"" | grep -qx kept
'
test_expect_success 'an empty feed removes nothing without --force (exit 1, says why)' '
	"$PY" "$GEN" 0 cal.ics &&
	before=$(writes) &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err)" = 1 ] &&
	[ "$(writes)" = "$before" ] &&
	grep -q "came back empty" err && grep -q -- "--force" err
'
test_expect_success 'the threshold (more than 20% and more than 10) refuses without --force' '
	"$PY" "$GEN" 30 cal.ics --weekly 5 --retitle "7=Renamed meeting" --drop 0,1,2,3,4,5,6,8,9,10,11 &&
	before=$(writes) &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err)" = 1 ] &&
	[ "$(writes)" = "$before" ] &&
	grep -q "would lose 11 of its 35" err &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --force --report rf.json cal.ics 2>err &&
	[ "$(jget rf.json "d[\"totals\"][\"archived\"]")" = 11 ] &&
	meetings_py "print(len([m for m in ms if not m[\"archived\"] and m[\"properties\"][\"ics2hubspot_key\"].startswith(\"sync-\")]))" >n &&
	[ "$(cat n)" = 24 ]
'
test_expect_success 'an empty feed with --force removes everything' '
	"$PY" "$GEN" 0 cal.ics &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --force --report re.json cal.ics 2>err &&
	[ "$(jget re.json "d[\"totals\"][\"archived\"]")" = 24 ] &&
	meetings_py "print(len([m for m in ms if not m[\"archived\"] and m[\"properties\"][\"ics2hubspot_key\"].startswith(\"sync-\")]))" >n &&
	[ "$(cat n)" = 0 ]
'
test_expect_success 'a calendar that cannot be read removes nothing; exit 1, or 2 when none could be read' '
	"$PY" "$GEN" 12 u.ics --uid-prefix unread &&
	"$PY" "$GEN" 3 v.ics --uid-prefix other &&
	"$BIN" import -m "$Y/archive.yaml" --state unread.db u.ics v.ics 2>err &&
	mv u.ics u.ics.away &&
	"$PY" "$GEN" 3 v.ics --uid-prefix other --retitle "1=Changed" &&
	before=$(writes) &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state unread.db --report ru.json u.ics v.ics 2>err)" = 1 ] &&
	[ "$(jget ru.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget ru.json "d[\"totals\"][\"archived\"]")" = 0 ] &&
	grep -q "u.ics.*nothing of it is removed" err &&
	mid=$(writes) && [ "$mid" = $((before + 1)) ] &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state unread.db --force u.ics 2>err)" = 2 ] &&
	[ "$(writes)" = "$mid" ] &&
	[ "$(sqlite3 unread.db "select count(*) from occurrences where status=\"created\"")" = 15 ]
'
test_expect_success 'a mapping change updates every meeting (the payload hash changed)' '
	"$PY" "$GEN" 12 m.ics --uid-prefix map &&
	"$BIN" import -m "$Y/archive.yaml" --state map.db m.ics 2>err &&
	sed "s/default(.(no title).)/upper/" "$Y/archive.yaml" >upper.yaml &&
	"$BIN" import -m upper.yaml --state map.db --report rm.json m.ics 2>err &&
	[ "$(jget rm.json "d[\"totals\"][\"updated\"]")" = 12 ] &&
	meetings_py "print([m[\"properties\"][\"hs_meeting_title\"] for m in ms if m[\"properties\"][\"ics2hubspot_key\"]==\"map-1@example.test\"])" | grep -q "SYNC MEETING 1"
'
test_expect_success '--no-state: a one-off import; a re-run finds its meetings in HubSpot (issue #12)' '
	"$PY" "$GEN" 3 n.ics --uid-prefix nostate &&
	"$BIN" import -m "$Y/archive.yaml" --no-state n.ics 2>err &&
	"$BIN" import -m "$Y/archive.yaml" --no-state n.ics 2>err &&
	meetings_py "print(len([m for m in ms if m[\"properties\"][\"ics2hubspot_key\"].startswith(\"nostate-\")]))" >n &&
	[ "$(cat n)" = 3 ]
'
test_expect_success 'a series without end: rows past the default horizon are not judged removed' '
	"$PY" "$GEN" 2 h.ics --uid-prefix horizon --weekly -1 &&
	"$BIN" import -m "$Y/archive.yaml" --state horizon.db --until "$(date -u -d "+5 years" +%F)" \
		--report rh1.json h.ics 2>err &&
	[ "$(jget rh1.json "d[\"totals\"][\"created\"]")" -gt 250 ] &&
	before=$(writes) &&
	"$BIN" import -m "$Y/archive.yaml" --state horizon.db --report rh2.json h.ics 2>err &&
	[ "$(jget rh2.json "d[\"totals\"][\"archived\"]")" = 0 ] &&
	[ "$(writes)" = "$before" ] &&
	[ "$(jget rh2.json "d[\"totals\"][\"unchanged\"]")" -gt 100 ]
'
test_expect_success 'the token appears nowhere: state, report, output' '
	! grep -a -q "test-token" st.db r1.json r5.json err
'
test_done
