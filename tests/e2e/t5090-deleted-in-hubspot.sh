#!/usr/bin/env bash
# Issue #11 item 5: a meeting deleted in HubSpot stays deleted. An update answered
# OBJECT_NOT_FOUND marks the row deleted_in_hubspot, reported once (its own outcome), not a
# failure; later runs send nothing for it and exit 0; --recreate-deleted creates it again.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
GEN="$Y/gen.py"
start_sandbox --rate 1000/10s

writes() { sandbox_get /_sandbox/stats | jget - 'd["writes"]'; }
live() { sandbox_get /_sandbox/meetings | jget - 'len([m for m in d["meetings"] if not m["archived"]])'; }
titled() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"].get(\"hs_meeting_title\") == \"$1\"])"; }
# ids sent in batch/update bodies so far
updated_ids() { sandbox_get "/_sandbox/requests?bodies=1" | jget - '" ".join(i["id"] for r in d["requests"] if r["path"].endswith("/batch/update") and r.get("body") for i in r["body"]["inputs"])'; }
imp() { rc=0; "$BIN" import -m "$Y/archive.yaml" --state st.db "$@" 2>err || rc=$?; echo "$rc" >rc; }
K=sync-3@example.test

test_expect_success 'setup: 10 meetings, then one deleted in HubSpot by a user' '
	"$PY" "$GEN" 10 cal.ics &&
	imp --report r0.json cal.ics && [ "$(cat rc)" = 0 ] && [ "$(live)" = 10 ] &&
	id=$(sqlite3 st.db "select hubspot_id from occurrences where key = \"$K\"") &&
	echo "$id" >deleted.id &&
	curl -sS --fail -X DELETE -H "Authorization: Bearer test-token" \
		"$SANDBOX_URL/crm/objects/2026-09/meetings/$id" &&
	[ "$(live)" = 9 ]
'
test_expect_success 'its event edited: the next run reports it deleted in HubSpot, once, and exits 0' '
	"$PY" "$GEN" 10 cal.ics --retitle "3=Renamed" --retitle "4=Other" &&
	imp --report r1.json cal.ics &&
	[ "$(cat rc)" = 0 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"deleted_in_hubspot\"]")" = 1 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"failed\"]")" = 0 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget r1.json "[o[\"outcome\"] for o in d[\"occurrences\"] if o[\"key\"] == \"$K\"][0]")" = deleted_in_hubspot ] &&
	[ "$(grep -c "1 deleted in HubSpot" err)" = 1 ] && ! grep -q "warning" err &&
	[ "$(sqlite3 st.db "select status from occurrences where key = \"$K\"")" = deleted_in_hubspot ] &&
	"$BIN" state list --state st.db | grep -q "1 deleted_in_hubspot" &&
	[ "$(live)" = 9 ] && [ "$(titled Renamed)" = 0 ]
'
test_expect_success 'every run after that exits 0 and sends nothing for it' '
	w=$(writes) &&
	imp --report r2.json cal.ics && [ "$(cat rc)" = 0 ] && [ "$(writes)" = "$w" ] &&
	sent=$(updated_ids | wc -w) && del=$(updated_ids | tr " " "\n" | grep -cx "$(cat deleted.id)") &&
	"$PY" "$GEN" 10 cal.ics --retitle "3=Again" --retitle "4=Other again" &&
	imp --report r3.json cal.ics && [ "$(cat rc)" = 0 ] &&
	[ "$(jget r3.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget r3.json "d[\"totals\"][\"deleted_in_hubspot\"]")" = 0 ] &&
	[ "$(jget r3.json "[o[\"outcome\"] for o in d[\"occurrences\"] if o[\"key\"] == \"$K\"][0]")" = skipped ] &&
	jget r3.json "[o[\"reason\"] for o in d[\"occurrences\"] if o[\"key\"] == \"$K\"][0]" | grep -q "deleted in HubSpot" &&
	[ "$(updated_ids | wc -w)" = $((sent + 1)) ] &&
	[ "$(updated_ids | tr " " "\n" | grep -cx "$(cat deleted.id)")" = "$del" ] &&
	[ "$(live)" = 9 ] && ! grep -q "deleted in HubSpot" err
'
test_expect_success 'a dry run shows it as a skip with the reason' '
	"$PY" "$GEN" 10 cal.ics --retitle "3=Again" --retitle "4=Dry" &&
	"$BIN" import -n -v -m "$Y/archive.yaml" --state st.db cal.ics >plan 2>/dev/null &&
	grep "$K" plan | grep -q "deleted in HubSpot"
'
test_expect_success '--recreate-deleted creates it again; then it is an ordinary meeting' '
	imp --recreate-deleted --report r4.json cal.ics && [ "$(cat rc)" = 0 ] &&
	[ "$(jget r4.json "d[\"totals\"][\"created\"]")" = 1 ] &&
	[ "$(live)" = 10 ] && [ "$(titled Again)" = 1 ] &&
	[ "$(sqlite3 st.db "select status from occurrences where key = \"$K\"")" = created ] &&
	w=$(writes) && imp --report r5.json cal.ics && [ "$(cat rc)" = 0 ] && [ "$(writes)" = "$w" ]
'
test_expect_success 'on_removed: cancel of a meeting deleted in HubSpot: deleted_in_hubspot, exit 0' '
	id=$(sqlite3 st.db "select hubspot_id from occurrences where key = \"sync-5@example.test\"") &&
	curl -sS --fail -X DELETE -H "Authorization: Bearer test-token" \
		"$SANDBOX_URL/crm/objects/2026-09/meetings/$id" &&
	"$PY" "$GEN" 10 cal.ics --retitle "3=Again" --retitle "4=Other again" --drop 5 &&
	rc=0; "$BIN" import -m "$Y/cancel.yaml" --state st.db --report r6.json cal.ics 2>err || rc=$?
	[ $rc = 0 ] &&
	[ "$(jget r6.json "d[\"totals\"][\"deleted_in_hubspot\"]")" = 1 ] &&
	[ "$(sqlite3 st.db "select status from occurrences where key = \"sync-5@example.test\"")" = deleted_in_hubspot ]
'
test_done
