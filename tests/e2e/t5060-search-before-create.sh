#!/usr/bin/env bash
# The portal is the truth, the state a cache (issue #12 item 2): without a state row, a
# meeting is looked up by its identity property before it is created, and adopted.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
stat() { sandbox_get /_sandbox/stats | jget - "$1"; }
writes() { stat "d[\"meetings_created\"] + d[\"meetings_updated\"] + d[\"meetings_archived\"]"; }
# searches asked for: a search answered 429 (5/s) is asked again, and not counted twice
searches() { asked "POST /crm/objects/2026-09/meetings/search"; }
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"].get(\"ics2hubspot_key\", \"\").startswith(\"$1\")])"; }

"$PY" "$Y/gen.py" 150 a.ics --uid-prefix a --weekly 3
"$PY" "$Y/gen.py" 150 a2.ics --uid-prefix a --weekly 3 --retitle 7=Renamed

test_expect_success '--no-state twice: no duplicate, the second run writes nothing' '
	"$BIN" import -m "$Y/archive.yaml" --no-state a.ics 2>err &&
	[ "$(live a-)" = 153 ] && w=$(writes) && s=$(searches) &&
	"$BIN" import -m "$Y/archive.yaml" --no-state --report rep.json a.ics 2>err &&
	[ "$(live a-)" = 153 ] && [ "$(writes)" = "$w" ] &&
	[ "$(jget rep.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(jget rep.json "d[\"totals\"][\"unchanged\"]")" = 153 ] &&
	grep -q "found in HubSpot by ics2hubspot_key and adopted" err
'
test_expect_success '153 keys, a portal holding them: one probe answers them all (1 request)' '
	s=$(searches) &&
	"$BIN" import -m "$Y/archive.yaml" --no-state a.ics 2>err &&
	[ "$(( $(searches) - s ))" = 1 ]
'
test_expect_success 'a lost state file: the re-run adopts, writes nothing, and fills the state' '
	"$BIN" import -m "$Y/archive.yaml" --state st.db a.ics 2>err &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"created\"")" = 153 ] &&
	rm st.db && w=$(writes) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db a.ics 2>err &&
	[ "$(writes)" = "$w" ] && [ "$(live a-)" = 153 ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"created\" and hubspot_id is not null")" = 153 ] &&
	s=$(searches) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db a.ics 2>err &&
	[ "$(searches)" = "$s" ]
'
# a2.ics is another calendar (another path): adopting the 153 meetings adds its claim to each
# (docs/state.md, "Shared meetings"), 153 updates of their claims beside the one of the content.
test_expect_success 'an adopted meeting that differs is updated, not created' '
	rm st.db && c=$(stat "d[\"meetings_created\"]") && u=$(stat "d[\"meetings_updated\"]") &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report rep2.json a2.ics 2>err &&
	[ "$(stat "d[\"meetings_created\"]")" = "$c" ] &&
	[ "$(stat "d[\"meetings_updated\"]")" = "$((u + 1 + 153))" ] &&
	[ "$(jget rep2.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	sandbox_get /_sandbox/meetings | grep -q "Renamed"
'
test_expect_success 'keys are searched lower-cased but compared exactly (UIDs are case-sensitive)' '
	curl -sS --fail -H "Authorization: Bearer test-token" -H "Content-Type: application/json" "$SANDBOX_URL/crm/objects/2026-09/meetings/batch/create" -d "{\"inputs\":[{\"properties\":{\"hs_timestamp\":\"2030-01-01T09:00:00Z\",\"ics2hubspot_key\":\"up-0@example.test\"},\"associations\":[]}]}" >/dev/null &&
	"$PY" "$Y/gen.py" 1 up.ics --uid-prefix UP &&
	"$BIN" import -m "$Y/archive.yaml" --no-state up.ics 2>err &&
	[ "$(live UP-)" = 1 ] && [ "$(live up-)" = 1 ] &&
	"$BIN" import -m "$Y/archive.yaml" --no-state up.ics 2>err &&
	[ "$(live UP-)" = 1 ] && [ "$(live up-)" = 1 ]
'
test_done
