#!/usr/bin/env bash
# Contract test (make conformance): every meetings request `import` sends validates against
# HubSpot's official OpenAPI spec of meetings, as judged by Prism 5.16.0 (tests/contract/setup.sh
# installs it). Prism mocks that one spec, so the import talks to a loopback front
# (tests/conformance/front.py): requests under /crm/v3/objects/meetings go to Prism, and when
# Prism accepts one, to the sandbox too, whose answer the import gets; the pre-flight (portal,
# properties), contacts, owners and associations go to the sandbox alone. The import is thus a
# real run (pre-flight included) whose creates, updates, archives and searches Prism all judged.
# Needs HUBSPOT_SPECS=DIR (the official specs, not part of the project); fails without it.
. "$(dirname "$0")/../e2e/lib.sh"
PRISM="$ROOT/tests/contract/node_modules/.bin/prism"
SPEC="${HUBSPOT_SPECS:-}/meetings-v3.json"
Y="$ROOT/tests/sync"

test_expect_success 'HUBSPOT_SPECS names the official specs and Prism is installed' '
	{ [ -n "${HUBSPOT_SPECS:-}" ] || { echo "HUBSPOT_SPECS is not set"; false; }; } &&
	{ [ -f "$SPEC" ] || { echo "no $SPEC"; false; }; } &&
	{ [ -x "$PRISM" ] || { echo "Prism is missing: run tests/contract/setup.sh"; false; }; }
'
[ "$test_failures" = 0 ] || test_done

# The sandbox, made ready by `ics2hubspot setup` (start_sandbox), answers all but the meetings.
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PRISM" mock -h 127.0.0.1 -p "$PORT" "$SPEC" >prism.log 2>&1 &
track_pid $!
for _ in $(seq 1 150); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
	sleep 0.2
done
"$PY" "$ROOT/tests/conformance/front.py" --port-file front.port --prism "http://127.0.0.1:$PORT" \
	--sandbox "$SANDBOX_URL" --log front.ndjson >front.out 2>&1 &
track_pid $!
for _ in $(seq 1 100); do
	[ -s front.port ] && break
	sleep 0.1
done
FRONT="http://127.0.0.1:$(cat front.port 2>/dev/null)"
export ICS2HUBSPOT_BATCH_SIZE=20

# prism_saw METHOD PATH: how many such requests reached Prism and were accepted (then answered by
# the sandbox); refused: how many Prism refused.
prism_saw() { jget front.ndjson "len([e for e in d if e[\"method\"] == \"$1\" and e[\"path\"] == \"$2\" and e[\"prism\"] < 300 and e[\"sandbox\"] is not None])"; }
refused() { jget front.ndjson "[e for e in d if e[\"prism\"] >= 300]"; }

test_expect_success 'Prism and the front are up' '
	curl -s -o /dev/null "http://127.0.0.1:$PORT/" && [ -s front.port ]
'
test_expect_success 'import through the front: pre-flight passes, every occurrence created, each batch/create accepted by Prism' '
	"$PY" "$Y/gen.py" 50 cal.ics --weekly 5 --attendees 1=ada@globex.example,bob@globex.example \
		--attendees 2=cy@initech.example &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --api-base "$FRONT" --report r1.json cal.ics 2>err1 &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 55 ] &&
	[ "$(prism_saw POST /crm/v3/objects/meetings/batch/create)" -ge 3 ] &&
	[ "$(prism_saw POST /crm/v3/objects/meetings/search)" -ge 1 ] &&
	[ -z "$(refused)" ]
'
# two events retitled, two whose attendees changed; two dropped (on_removed: archive)
test_expect_success 'a changed calendar: batch/update and batch/archive accepted by Prism' '
	"$PY" "$Y/gen.py" 50 cal.ics --weekly 5 --attendees 1=ada@globex.example \
		--retitle 3=Moved --retitle 4=Renamed --drop 7,8 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --api-base "$FRONT" --report r2.json cal.ics 2>err2 &&
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 4 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"archived\"]")" = 2 ] &&
	[ "$(prism_saw POST /crm/v3/objects/meetings/batch/update)" -ge 1 ] &&
	[ "$(prism_saw POST /crm/v3/objects/meetings/batch/archive)" -ge 1 ] &&
	[ -z "$(refused)" ]
'
test_expect_success 'no request violated the spec' '
	grep -q "meetings/batch/create" prism.log &&
	! grep "Violation: request" prism.log
'
test_done
