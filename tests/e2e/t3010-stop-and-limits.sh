#!/usr/bin/env bash
# Runs HubSpot stops (401, 403 MISSING_SCOPES, 429 DAILY) and the client-side rate limiter.
. "$(dirname "$0")/lib.sh"
start_sandbox
CAL="$ROOT/tests/batch/daily150.ics"
CREATE=/crm/objects/2026-09/meetings/batch/create
export ICS2HUBSPOT_BATCH_SIZE=20 ICS2HUBSPOT_RESOLVE_DELAY_MS=200 ICS2HUBSPOT_RESOLVE_TRIES=3

test_expect_success 'a wrong token stops the run: exit 3, a clear message, nothing created, no token shown' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	{ HUBSPOT_ACCESS_TOKEN=not-the-token "$BIN" import --no-state --report report.json "$CAL" 2>err.txt; rc=$?; } &&
	[ $rc = 3 ] &&
	grep -q "refused the access token (HTTP 401" err.txt &&
	grep -q "HUBSPOT_ACCESS_TOKEN or --token-file" err.txt &&
	! grep -q "not-the-token" err.txt report.json &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"meetings\"]")" = 0 ] &&
	[ "$(jget report.json "d[\"totals\"][\"created\"]")" = 0 ]
'

test_expect_success '403 stops the run with exit 3 and says HubSpot denied access' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	sandbox_post /_sandbox/faults "{\"faults\":[{\"path\":\"$CREATE\",\"action\":\"status\",\"status\":403,\"count\":-1}]}" >/dev/null &&
	{ "$BIN" import --no-state --report report.json "$CAL" 2>err.txt; rc=$?; } &&
	[ $rc = 3 ] &&
	grep -q "HTTP 403" err.txt && grep -q "stopping" err.txt &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"meetings\"]")" = 0 ]
'

test_expect_success '429 DAILY stops cleanly: exit 3, what was done is kept, a re-run continues' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	sandbox_post /_sandbox/faults "{\"faults\":[{\"path\":\"$CREATE\",\"action\":\"rate_limit\",\"policy\":\"DAILY\",\"skip\":2,\"count\":-1}]}" >/dev/null &&
	{ "$BIN" import --no-state --report report.json "$CAL" 2>err.txt; rc=$?; } &&
	[ $rc = 3 ] &&
	grep -q "daily API limit" err.txt &&
	grep -q "next run" err.txt &&
	created=$(jget report.json "d[\"totals\"][\"created\"]") &&
	[ "$created" -ge 31 ] && [ "$created" -le 40 ] &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"meetings\"]")" = "$created" ] &&
	jget report.json "sum(1 for o in d[\"occurrences\"] if o[\"outcome\"] == \"failed\" and \"not sent\" in (o[\"reason\"] or \"\"))" >notsent &&
	[ "$(cat notsent)" = $((151 - created)) ]
'

test_expect_success 'the limiter keeps under a small server limit (adapts from the headers)' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	sandbox_post /_sandbox/config "{\"rate\":\"3/1s\"}" >/dev/null &&
	"$BIN" import --no-state --report report.json "$CAL" 2>err.txt &&
	sandbox_post /_sandbox/config "{\"rate\":\"100/10s\"}" >/dev/null &&
	[ "$(jget report.json "d[\"totals\"][\"created\"]")" = 151 ] &&
	throttled=$(sandbox_get /_sandbox/stats | jget - "d[\"status\"].get(\"429\", 0)") &&
	[ "$throttled" -le 1 ]
'

test_expect_success '-q prints one time-stamped summary line on success (issue #23)' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	"$BIN" import -q --no-state "$CAL" 2>err.txt &&
	[ "$(wc -l <err.txt)" = 1 ] &&
	grep -q "^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z .*: [0-9]* created, [0-9]* updated, [0-9]* archived, 0 failed in [0-9.]* s\$" err.txt
'
test_done
