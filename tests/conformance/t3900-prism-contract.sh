#!/usr/bin/env bash
# Contract test (make conformance): every request `import` sends validates against HubSpot's
# official OpenAPI spec of meetings, as judged by Prism 5.16.0 (tests/contract/setup.sh installs
# it). Prism answers a valid batch/create with 201 and a null body, which ics2hubspot rightly treats
# as failed (exit 1 or 3): the pass condition is zero "Violation: request" lines in Prism's log.
# Needs HUBSPOT_SPECS=DIR (the official specs, not part of the project); fails without it.
. "$(dirname "$0")/../e2e/lib.sh"
PRISM="$ROOT/tests/contract/node_modules/.bin/prism"
SPEC="${HUBSPOT_SPECS:-}/meetings-v3.json"

test_expect_success 'HUBSPOT_SPECS names the official specs and Prism is installed' '
	{ [ -n "${HUBSPOT_SPECS:-}" ] || { echo "HUBSPOT_SPECS is not set"; false; }; } &&
	{ [ -f "$SPEC" ] || { echo "no $SPEC"; false; }; } &&
	{ [ -x "$PRISM" ] || { echo "Prism is missing: run tests/contract/setup.sh"; false; }; }
'
[ "$test_failures" = 0 ] || test_done

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PRISM" mock -h 127.0.0.1 -p "$PORT" "$SPEC" >prism.log 2>&1 &
track_pid $!
for _ in $(seq 1 150); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
	sleep 0.2
done

export HUBSPOT_ACCESS_TOKEN=test-token ICS2HUBSPOT_RESOLVE_TRIES=1 ICS2HUBSPOT_BATCH_SIZE=50

test_expect_success 'Prism is up' '
	curl -s -o /dev/null "http://127.0.0.1:$PORT/"
'

test_expect_success 'import against Prism: exit 1 or 3 (null bodies are not results)' '
	{ "$BIN" import --no-state --api-base "http://127.0.0.1:$PORT" --report report.json \
		"$ROOT/tests/batch/daily150.ics" 2>err.txt; rc=$?; } &&
	{ [ $rc = 1 ] || [ $rc = 3 ]; } &&
	[ "$(jget report.json "d[\"totals\"][\"created\"]")" = 0 ]
'

# Prism mocks the meetings spec only: it cannot answer the portal look-up of import's
# pre-flight (#11), so import stops there (exit 3) before any batch/create. KNOWN GAP: the
# batch/create bodies are then checked by the strict-mode e2e run, not by Prism.
test_expect_success 'Prism received the batch/create and search requests (or the pre-flight stopped first)' '
	if grep -q "cannot learn which HubSpot portal" err.txt; then grep -q "account-info/v3/details" prism.log; exit $?; fi &&
	grep -c "post /crm/v3/objects/meetings/batch/create" prism.log >creates &&
	[ "$(cat creates)" -ge 4 ] &&
	grep -q "post /crm/v3/objects/meetings/search" prism.log
'

test_expect_success 'no request violated the spec' '
	! grep "Violation: request" prism.log
'
test_done
