#!/usr/bin/env bash
# A server or proxy that echoes the Authorization header in its errors (issue #27 item 6): the
# token never reaches stderr, the report or the state, at any verbosity.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --fresh --token pat-na1-s3cr3t-token
export HUBSPOT_ACCESS_TOKEN=pat-na1-s3cr3t-token
setup_portal

test_expect_success 'a batch error echoing "Authorization: Bearer <token>": failed, the token nowhere' '
	sandbox_post /_sandbox/faults "{\"faults\":[{\"method\":\"POST\",\"path\":\"/crm/objects/2026-09/meetings/batch/create\",\"action\":\"echo_auth\",\"status\":400,\"count\":-1}]}" >/dev/null
	"$PY" "$Y/gen.py" 3 cal.ics
	rc=0; "$BIN" import -vv -m "$Y/archive.yaml" --state st.db --report r.json cal.ics >out 2>err || rc=$?
	[ $rc = 1 ] || { cat err; echo "rc=$rc"; false; }
	[ "$(jget r.json "d[\"totals\"][\"failed\"]")" = 3 ]
	grep -q "Bearer \[REDACTED\]" r.json
	! grep -q "s3cr3t" out err r.json
	! grep -aq "s3cr3t" st.db
	sqlite3 st.db .dump | grep -q "REDACTED"
	! sqlite3 st.db .dump | grep -q "s3cr3t"
'
test_done
