#!/usr/bin/env bash
# The whole pipeline against the sandbox: one meeting per occurrence, every occurrence reported.
. "$(dirname "$0")/lib.sh"
start_sandbox --seed "$ROOT/samples/hubspot-seed.json"
S="$ROOT/samples"

test_expect_success 'import creates one meeting per sent occurrence' '
	"$BIN" import --no-state --report report.json "$S/recurring.ics" "$S/allday.ics" 2>err &&
	sandbox_get /_sandbox/meetings >meetings.json &&
	created=$(jget report.json "d[\"totals\"][\"created\"]") &&
	n=$(jget meetings.json "len(d[\"meetings\"])") &&
	[ "$created" -gt 0 ] && [ "$n" = "$created" ]
'
test_expect_success 'the report accounts for every occurrence expand gives' '
	"$BIN" expand "$S/recurring.ics" "$S/allday.ics" >occ.ndjson &&
	total=$(wc -l <occ.ndjson) &&
	accounted=$(jget report.json "len(d[\"occurrences\"])") &&
	[ "$total" = "$accounted" ] &&
	sum=$(jget report.json "sum(d[\"totals\"][k] for k in (\"created\",\"skipped\",\"failed\"))") &&
	[ "$sum" = "$total" ]
'
test_expect_success 'each created meeting carries its occurrence key and its HubSpot id in the report' '
	jget report.json "sorted(o[\"key\"] for o in d[\"occurrences\"] if o[\"outcome\"]==\"created\")" >keys.report &&
	jget meetings.json "sorted(m[\"properties\"][\"ics2hubspot_key\"] for m in d[\"meetings\"])" >keys.sandbox &&
	diff keys.report keys.sandbox &&
	jget report.json "all(o[\"hubspot_id\"] for o in d[\"occurrences\"] if o[\"outcome\"]==\"created\")" | grep -qx True
'
test_expect_success 'times are sent as HubSpot expects (UTC ISO-8601 strings), titles from SUMMARY' '
	sandbox_get "/_sandbox/requests?bodies=1" >reqs.json &&
	jget reqs.json "[i[\"properties\"][\"hs_timestamp\"] for r in d[\"requests\"] if r[\"path\"].endswith(\"/batch/create\") and r.get(\"body\") for i in r[\"body\"][\"inputs\"]]" >ts &&
	[ -s ts ] &&
	! grep -qv "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$" ts &&
	jget meetings.json "[m[\"properties\"].get(\"hs_meeting_title\") for m in d[\"meetings\"]]" | grep -q "Partner summit"
'
test_expect_success 'the report file is readable by its owner only' '
	[ "$(stat -c %a report.json)" = 600 ]
'
test_expect_success 'the token appears nowhere: output, report, sandbox log' '
	! grep -r "test-token" err report.json &&
	! grep -q "test-token" "$TRASH/sandbox.log"
'
test_expect_success 'dry run writes nothing and prints the plan (without a token: no request at all)' '
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]") &&
	"$BIN" import --dry-run --no-state "$S/google-export.ics" >plan 2>err &&
	after=$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]") &&
	[ "$before" = "$after" ] && grep -q "create" plan && grep -q "Hooli implementation sync" plan &&
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]") &&
	HUBSPOT_ACCESS_TOKEN= "$BIN" import --dry-run --no-state "$S/google-export.ics" >plan2 2>err &&
	after=$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]") &&
	[ "$before" = "$after" ] && grep -q "Hooli implementation sync" plan2
'
test_expect_success 'demo samples: Outlook and Google exports import without failures' '
	"$BIN" import --no-state --report r2.json "$S/outlook-export.ics" "$S/google-export.ics" 2>err2 &&
	[ "$(jget r2.json "d[\"totals\"][\"failed\"]")" = 0 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" -gt 5 ]
'
test_done
