#!/usr/bin/env bash
# check --remote: the mapping is checked against the portal's meeting properties.
. "$(dirname "$0")/lib.sh"
start_sandbox

test_expect_success 'the default mapping passes against the sandbox portal' '
	"$BIN" check --remote 2>err >out && grep -q "every mapped property exists" err
'
test_expect_success 'an enum value the portal does not offer: exit 1 (as import fails those meetings), named with its line' '
	cat >bad.yaml <<-\EOT &&
	version: 1
	properties:
	  hs_timestamp: "{{ start }}"
	  hs_meeting_outcome: "POSTPONED"
	EOT
	rc=0; "$BIN" check --remote -m bad.yaml 2>err || rc=$?
	[ $rc = 1 ] &&
	grep -q "error: bad.yaml:4: .POSTPONED. is not an option of hs_meeting_outcome in your portal (allowed: SCHEDULED, COMPLETED, RESCHEDULED, NO_SHOW, CANCELED); map it to one of them" err
'
test_expect_success 'check --remote --json carries the findings and still previews' '
	"$BIN" check --remote --json "$ROOT/samples/allday.ics" >ok.json 2>err &&
	[ "$(jget ok.json "d[\"remote\"][\"ok\"]")" = True ] &&
	jget ok.json "d[\"remote\"][\"messages\"][0][\"message\"]" | grep -q "every mapped property exists" &&
	rc=0; "$BIN" check --remote --json -m bad.yaml "$ROOT/samples/allday.ics" >bad.json 2>err || rc=$?
	[ $rc = 1 ] &&
	[ "$(jget bad.json "d[\"remote\"][\"ok\"]")" = False ] &&
	jget bad.json "[m[\"level\"] + \" \" + m[\"message\"] for m in d[\"remote\"][\"messages\"]]" | grep -q "error .*POSTPONED" &&
	[ "$(jget bad.json "d[\"occurrences\"] > 0")" = True ] &&
	rc=0; HUBSPOT_ACCESS_TOKEN=wrong-secret-123 "$BIN" check --remote --json >r.json 2>err || rc=$?
	[ $rc = 3 ] && [ "$(jget r.json "d[\"remote\"][\"ok\"]")" = False ] && ! grep -q wrong-secret-123 r.json
'
test_expect_success 'a wrong token: exit 3, and the token is not printed' '
	rc=0; HUBSPOT_ACCESS_TOKEN=wrong-secret-123 "$BIN" check --remote 2>err || rc=$?
	[ $rc = 3 ] && ! grep -q wrong-secret-123 err
'
test_expect_success 'the check reads only: no write request reached the portal' '
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]")" = 0 ]
'
test_done
