#!/usr/bin/env bash
# import's pre-flight on a fresh portal, its cache, the daily reserve.
. "$(dirname "$0")/lib.sh"
start_sandbox --fresh --portal-id 5550001
CAL="$ROOT/tests/batch/daily150.ics"
CREATE="POST /crm/objects/2026-09/meetings/batch/create"
calls() { asked "$1"; } # what was asked for, not what a 429's retry added
live() { sandbox_get /_sandbox/meetings | jget - 'len([m for m in d["meetings"] if not m["archived"]])'; }

test_expect_success 'import without setup: exit 3, no create sent, a short message naming the property and setup' '
	rc=0; "$BIN" import --state st.db --report r0.json "$CAL" 2>err || rc=$?
	[ $rc = 3 ] &&
	[ "$(calls "$CREATE")" = 0 ] && [ "$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]")" = 0 ] &&
	[ "$(wc -l <err)" -le 4 ] &&
	grep -q ics2hubspot_key err && grep -q "ics2hubspot setup" err &&
	jget r0.json "d[\"notes\"]" | grep -q "pre-flight"
'
test_expect_success 'setup twice, then import: every occurrence created' '
	"$BIN" setup >s1 && "$BIN" setup >s2 &&
	"$BIN" import --state st.db --report r1.json "$CAL" 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 151 ] && [ "$(live)" = 151 ]
'
test_expect_success 'the pre-flight is cached per portal in the state: the next run does not read the properties again' '
	sed "s/^UID:/UID:again-/" "$CAL" >again.ics &&
	before=$(calls "GET /crm/properties/2026-09/meetings") &&
	"$BIN" import --state st.db --report r2.json again.ics 2>err &&
	[ "$(calls "GET /crm/properties/2026-09/meetings")" = "$before" ] &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 151 ] &&
	[ "$(sqlite3 st.db "select portal_id from portals")" = 5550001 ]
'
test_expect_success 'the last 5% of the daily budget is left alone: exit 3, a note, a re-run continues' '
	for i in $(seq 60); do
		curl -sS --fail -H "Authorization: Bearer test-token" "$SANDBOX_URL/crm/owners/2026-09" >/dev/null || return 1
	done &&
	used=$(sandbox_get /_sandbox/stats | jget - "d[\"daily_used\"]") &&
	sandbox_post /_sandbox/config "{\"daily\": $((used + 3))}" >/dev/null &&
	sed "s/^UID:/UID:third-/" "$CAL" >third.ics &&
	# st.db without the token it knows: the portal look-up (not a search: searches carry no
	# daily headers) is the first answer, and the pre-flight is cached
	cp st.db st4.db && sqlite3 st4.db "DELETE FROM tokens" &&
	rc=0; "$BIN" import --state st4.db --report r3.json third.ics 2>err || rc=$?
	[ $rc = 3 ] && grep -q "5%" err &&
	grep -q "error: 151 meetings: not sent" err && [ "$(grep -c third-standup err)" -le 1 ] &&
	jget r3.json "d[\"notes\"]" | grep -q "5%" &&
	[ "$(live)" = 302 ] &&
	sandbox_post /_sandbox/config "{\"daily\": 250000}" >/dev/null &&
	"$BIN" import --state st4.db --report r4.json third.ics 2>err &&
	[ "$(live)" = 453 ]
'
test_expect_success 'a property deleted after the cached check: the look-up fails before any create, one line, and the next run checks again' '
	sandbox_post /_sandbox/reset "{\"schema\": false}" >/dev/null &&
	sed "s/^UID:/UID:fourth-/" "$CAL" >fourth.ics &&
	rc=0; "$BIN" import --state st.db --report r5.json fourth.ics 2>err || rc=$?
	[ $rc != 0 ] && [ "$(jget r5.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	grep -q "ics2hubspot_key does not exist" err &&
	[ "$(grep -c "does not exist" err)" = 1 ] &&
	[ "$(grep -c "^ics2hubspot: warning: 151 occurrences" err)" = 1 ] &&
	rc=0; "$BIN" import --state st.db fourth.ics 2>err2 || rc=$?
	[ $rc = 3 ] && grep -q "ics2hubspot setup" err2 && [ "$(wc -l <err2)" -le 4 ]
'
test_done
