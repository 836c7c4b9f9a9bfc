#!/usr/bin/env bash
# The pre-flight is cached per portal in the state and checked again, within the run, when
# HubSpot answers with a configuration error (issue #11 item 2): a property deleted in the
# portal since the cached check gets the pre-flight's message naming it and `ics2hubspot setup`,
# exit 3, no more batches, and the cache forgets the pass.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --rate 1000/10s
api() { curl -sS -H "Authorization: Bearer test-token" -H "Content-Type: application/json" "$@"; }
mark() { MARK=$(sandbox_get /_sandbox/requests | jget - 'len(d["requests"])'); }
# since WHAT: requests after the mark: batches (batch create/update/archive), props (GET properties);
# not those answered 429 (asked again: a test counts what was asked for)
since() {
	sandbox_get /_sandbox/requests | jget - "len([r for r in d[\"requests\"][$MARK:] if r[\"status\"] != 429 and {\"batches\": \"/batch/\" in r[\"path\"] and r[\"path\"].startswith(\"/crm/objects/2026-09/meetings/\") and not r[\"path\"].endswith(\"/batch/read\"), \"props\": r[\"method\"] == \"GET\" and r[\"path\"] == \"/crm/properties/2026-09/meetings\"}[\"$1\"]])"
}
cached() { sqlite3 "$1" "select count(*) from portals where coalesce(check_hash, '') != ''"; }
{
	echo "custom_properties: [x_room]"
	sed -n '1,/^properties:/p' "$Y/archive.yaml"
	echo '  x_room: "{{ location | default('"'"'none'"'"') }}"'
	sed -n '/^properties:/,$p' "$Y/archive.yaml" | sed 1d
} >room.yaml
"$PY" "$Y/gen.py" 150 a.ics --uid-prefix a
"$PY" "$Y/gen.py" 151 a2.ics --uid-prefix a --retitle 3=Renamed --retitle 4=Renamed
"$PY" "$Y/gen.py" 150 b2.ics --uid-prefix b $(for i in $(seq 10 29); do printf -- "--retitle %s=Renamed " "$i"; done)
"$PY" "$Y/gen.py" 150 b.ics --uid-prefix b

test_expect_success 'the identity property deleted since the cached check: the message, exit 3' '
	"$BIN" import -m "$Y/archive.yaml" --state st.db a.ics 2>err &&
	[ "$(cached st.db)" = 1 ] &&
	api -X DELETE "$SANDBOX_URL/crm/properties/2026-09/meetings/ics2hubspot_key" -o /dev/null -w "%{http_code}" | grep -qx 204 &&
	mark && rc=0 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r1.json a2.ics 2>err || rc=$? &&
	cat err && [ "$rc" = 3 ] &&
	grep -q "error: the meeting property .ics2hubspot_key. (the identity property) does not exist in this portal; nothing more was sent" err &&
	grep -q "error: run .ics2hubspot setup -m .*archive.yaml. to make portal 12345678 ready" err &&
	[ "$(since props)" = 1 ] && [ "$(since batches)" -le 1 ] &&
	[ "$(cached st.db)" = 0 ] &&
	jget r1.json "any(\"pre-flight: the meeting property\" in n for n in d[\"notes\"])" | grep -qx True
'
test_expect_success 'the next run stops at the pre-flight, nothing sent; setup, then all is well' '
	mark && rc=0 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db a2.ics 2>err || rc=$? &&
	[ "$rc" = 3 ] && grep -q "ics2hubspot_key.*nothing was sent" err && [ "$(since batches)" = 0 ] &&
	"$BIN" setup -m "$Y/archive.yaml" >/dev/null 2>&1 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r2.json a2.ics 2>err &&
	[ "$(cached st.db)" = 1 ]
'
test_expect_success 'a mapped property deleted: the updates refused, the message names it, exit 3' '
	api -X POST "$SANDBOX_URL/crm/properties/2026-09/meetings" -d "{\"name\":\"x_room\",\"label\":\"Room\",\"type\":\"string\",\"fieldType\":\"text\",\"groupName\":\"ics2hubspot\"}" -o /dev/null &&
	"$BIN" import -m room.yaml --state st3.db b.ics 2>err &&
	[ "$(cached st3.db)" = 1 ] &&
	api -X DELETE "$SANDBOX_URL/crm/properties/2026-09/meetings/x_room" -o /dev/null &&
	mark && rc=0 &&
	ICS2HUBSPOT_BATCH_SIZE=5 "$BIN" import -m room.yaml --state st3.db --report r3.json b2.ics 2>err || rc=$? &&
	cat err && [ "$rc" = 3 ] &&
	grep -q "error: the meeting property .x_room. .*does not exist in this portal; nothing more was sent" err &&
	grep -q "run .ics2hubspot setup -m room.yaml. to make portal 12345678 ready" err &&
	[ "$(since props)" = 1 ] && [ "$(since batches)" = 1 ] && [ "$(cached st3.db)" = 0 ] &&
	[ "$(jget r3.json "len(d[\"occurrences\"])")" -ge 20 ]
'
test_expect_success 'the portal right again: a cached pre-flight sends every batch (the first alone)' '
	"$PY" "$Y/gen.py" 150 b4.ics --uid-prefix b $(for i in $(seq 30 49); do printf -- "--retitle %s=Again " "$i"; done) &&
	api -X POST "$SANDBOX_URL/crm/properties/2026-09/meetings" -d "{\"name\":\"x_room\",\"label\":\"Room\",\"type\":\"string\",\"fieldType\":\"text\",\"groupName\":\"ics2hubspot\"}" -o /dev/null &&
	"$BIN" import -m room.yaml --state st3.db b2.ics 2>err && [ "$(cached st3.db)" = 1 ] && mark &&
	ICS2HUBSPOT_BATCH_SIZE=5 "$BIN" import -m room.yaml --state st3.db --report r4.json b4.ics 2>err &&
	[ "$(since batches)" = 4 ] && [ "$(since props)" = 0 ] &&
	[ "$(jget r4.json "d[\"totals\"][\"updated\"]")" = 20 ]
'
test_expect_success 'a refusal the portal check does not explain keeps the cache (checked once)' '
	{ sed "s/hs_meeting_outcome: SCHEDULED/hs_meeting_outcome: NOT_AN_OUTCOME/" "$Y/archive.yaml"; } >bad.yaml &&
	"$BIN" import -m "$Y/archive.yaml" --state st4.db b.ics 2>err &&
	"$PY" "$Y/gen.py" 150 b3.ics --uid-prefix b --retitle 7=Renamed --retitle 8=Renamed &&
	mark && rc=0 && "$BIN" import -m bad.yaml --state st4.db b3.ics 2>err || rc=$? &&
	cat err && [ "$rc" = 3 ] && ! grep -q "ics2hubspot setup.*to make portal" err &&
	grep -q "NOT_AN_OUTCOME was not one of the allowed options" err && [ "$(since props)" = 1 ] &&
	[ "$(cached st4.db)" = 1 ]
'
test_done
