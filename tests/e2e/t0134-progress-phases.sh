#!/usr/bin/env bash
# Progress on a terminal (issue 24 item 4): from the first request, the phase the run is in —
# the look-ups before the creates (counted in keys and searches), then sending, then removing —
# drawn in place; nothing of it off a terminal for a run shorter than 30 s.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
# A portal holding more than 10,000 meetings of ours: the new ones are looked up key by key.
"$PY" - >held.json <<'PYEOF'
import json
print(json.dumps({"meetings": [{"properties": {
    "ics2hubspot_key": "held-%d@example.test" % i, "hs_meeting_title": "Held %d" % i,
    "hs_timestamp": "2030-01-01T09:00:00Z"}} for i in range(10050)]}))
PYEOF
start_sandbox --seed held.json --rate 1000/10s --latency-ms 300
"$PY" "$Y/gen.py" 250 cal.ics
"$PY" "$Y/gen.py" 200 fewer.ics

test_requires script command -v script &&
test_expect_success 'on a terminal: the look-ups, then sending, then removing, each named' '
	TERM=xterm script -qec "\"$BIN\" import -m \"$Y/archive.yaml\" --state st.db --name team cal.ics" /dev/null >tty.out 2>&1
	grep -q "looking up in HubSpot by ics2hubspot_key: [0-9]*/250 keys" tty.out
	grep -q "sending: read 250, sent [0-9]*/250" tty.out
	TERM=xterm script -qec "\"$BIN\" import -m \"$Y/archive.yaml\" --state st.db --name team --force fewer.ics" /dev/null >tty2.out 2>&1
	grep -q "removing: .*archived 50" tty2.out
'
test_expect_success 'off a terminal, a run shorter than 30 s prints no progress line' '
	"$PY" "$Y/gen.py" 120 other.ics --uid-prefix other &&
	"$BIN" import -m "$Y/archive.yaml" --state st2.db other.ics 2>err &&
	! grep -q "looking up in HubSpot by\|sent [0-9]*/" err
'
test_done
