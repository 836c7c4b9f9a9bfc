#!/usr/bin/env bash
# check --remote: the mapping is checked against the portal's meeting properties.
. "$(dirname "$0")/lib.sh"
start_sandbox

test_expect_success 'the default mapping passes against the sandbox portal' '
	"$BIN" check --remote 2>err >out && grep -q "every mapped property exists" err
'
test_expect_success 'an enum value the portal does not offer is refused before anything is sent' '
	cat >bad.yaml <<-\EOT &&
	version: 1
	properties:
	  hs_timestamp: "{{ start }}"
	  hs_meeting_outcome: "POSTPONED"
	EOT
	rc=0; "$BIN" check --remote -m bad.yaml 2>err || rc=$?
	[ $rc = 2 ] && grep -q "POSTPONED" err
'
test_expect_success 'a wrong token: exit 3, and the token is not printed' '
	rc=0; HUBSPOT_ACCESS_TOKEN=wrong-secret-123 "$BIN" check --remote 2>err || rc=$?
	[ $rc = 3 ] && ! grep -q wrong-secret-123 err
'
test_expect_success 'the check reads only: no write request reached the portal' '
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]")" = 0 ]
'
test_done
