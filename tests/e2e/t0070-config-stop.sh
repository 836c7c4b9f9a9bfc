#!/usr/bin/env bash
# Issue #11 item 3: a configuration error every batch would share stops the run. A mapping
# that writes a value not among an enumeration's options (the pre-flight passes: the property
# exists and is writable) fails the first batch whole: exit 3, no more batches sent, the report
# keeps every occurrence (the later ones "not sent"), the identical errors printed once.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --rate 1000/10s

calls() { asked "$1"; } # what was asked for, not what a 429's retry added
CREATE="POST /crm/objects/2026-09/meetings/batch/create"
live() { sandbox_get /_sandbox/meetings | jget - 'len([m for m in d["meetings"] if not m["archived"]])'; }

test_expect_success 'a value from the mapping that is not an option: the first batch fails, the run stops (exit 3)' '
	sed "s/^  hs_meeting_outcome: SCHEDULED/&\n  hs_meeting_location_type: ONLINE/" "$Y/archive.yaml" >bad.yaml &&
	grep -q "hs_meeting_location_type: ONLINE" bad.yaml &&
	"$PY" "$Y/gen.py" 60 cal.ics &&
	rc=0; ICS2HUBSPOT_BATCH_SIZE=5 "$BIN" import -m bad.yaml --state st.db --report r1.json cal.ics 2>err || rc=$?
	[ $rc = 3 ] &&
	[ "$(calls "$CREATE")" -lt 12 ] && [ "$(live)" = 0 ] &&
	[ "$(jget r1.json "len(d[\"occurrences\"])")" = 60 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"failed\"]")" = 60 ] &&
	[ "$(jget r1.json "len([o for o in d[\"occurrences\"] if \"INVALID_OPTION\" in (o[\"reason\"] or \"\")])")" -ge 5 ] &&
	[ "$(jget r1.json "len([o for o in d[\"occurrences\"] if (o[\"reason\"] or \"\").startswith(\"not sent\")])")" -ge 40 ] &&
	jget r1.json "d[\"notes\"]" | grep -q "configuration" &&
	[ "$(grep -c "INVALID_OPTION" err)" -le 2 ] && [ "$(wc -l <err)" -le 8 ] &&
	cp err config-stop.err &&
	grep -q "error: HubSpot refused a whole batch .*: hs_meeting_location_type: .*ONLINE.* was not one of the allowed options" err &&
	grep -q "error: [0-9]* meetings: .ONLINE. is not an option of hs_meeting_location_type in your portal (allowed: .*); map it in bad.yaml:[0-9]* (the first: " err &&
	! grep -q "isValid" err
'
test_expect_success 'the mapping fixed, the next run creates everything' '
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r2.json cal.ics 2>err &&
	[ "$(live)" = 60 ]
'
test_expect_success 'a value from the calendar that is not an option fails only its own occurrences' '
	sed "s/^  hs_meeting_outcome: SCHEDULED/&\n  hs_meeting_location_type: \"{{ summary | upper }}\"/" "$Y/archive.yaml" >cal.yaml &&
	"$PY" "$Y/gen.py" 20 c2.ics --uid-prefix c2 &&
	before=$(calls "$CREATE") &&
	rc=0; ICS2HUBSPOT_BATCH_SIZE=5 "$BIN" import -m cal.yaml --state st2.db --report r3.json c2.ics 2>err || rc=$?
	[ $rc = 1 ] && [ $(( $(calls "$CREATE") - before )) = 4 ] &&
	[ "$(jget r3.json "d[\"totals\"][\"failed\"]")" = 20 ]
'
test_expect_success 'an --associate record that does not exist: the first batch fails whole, the run stops (exit 3)' '
	"$PY" "$Y/gen.py" 30 c3.ics --uid-prefix c3 &&
	before=$(calls "$CREATE") &&
	rc=0; ICS2HUBSPOT_BATCH_SIZE=5 "$BIN" import -m "$Y/archive.yaml" --associate deal:999999 --state st3.db --report r4.json c3.ics 2>err || rc=$?
	[ $rc = 3 ] && [ $(( $(calls "$CREATE") - before )) -lt 6 ] &&
	[ "$(jget r4.json "len(d[\"occurrences\"])")" = 30 ] &&
	[ "$(jget r4.json "d[\"totals\"][\"created\"]")" = 0 ]
'
test_done
