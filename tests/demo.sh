#!/usr/bin/env bash
# make demo: import samples/ into a local HubSpot sandbox and show what HubSpot now holds.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT

export HUBSPOT_ACCESS_TOKEN=demo-token-not-secret
"$PY" tests/sandbox/sandbox.py --port 0 --port-file "$work/port" --token "$HUBSPOT_ACCESS_TOKEN" \
	--seed samples/hubspot-seed.json >"$work/sandbox.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "demo: the sandbox did not start" >&2; cat "$work/sandbox.log" >&2; exit 1; }
export HUBSPOT_API_BASE="http://127.0.0.1:$(cat "$work/port")"

echo "== ics2hubspot setup (a fresh portal: the identity property is created once)"
./ics2hubspot setup || exit 1
echo
echo "== ics2hubspot import samples/*.ics (sandbox at $HUBSPOT_API_BASE)"
./ics2hubspot import --state "$work/state.db" --report "$work/report.json" \
	samples/outlook-export.ics samples/google-export.ics samples/recurring.ics samples/allday.ics
rc=$?
echo "== exit code $rc"
echo
echo "== meetings now in the sandbox"
curl -sS "$HUBSPOT_API_BASE/_sandbox/meetings" | "$PY" -c '
import json, sys
ms = json.load(sys.stdin)["meetings"]
ms.sort(key=lambda m: m["properties"].get("hs_meeting_start_time") or m["properties"].get("hs_timestamp", ""))
print("%-12s %-25s %-10s %-9s %s" % ("id", "start (UTC)", "outcome", "contacts", "title"))
for m in ms:
    p = m["properties"]
    print("%-12s %-25s %-10s %-9d %s" % (m["id"], p.get("hs_meeting_start_time", p.get("hs_timestamp", "")),
          p.get("hs_meeting_outcome", ""), len(m.get("associations", {}).get("contacts", [])),
          p.get("hs_meeting_title", "")))
print("%d meetings" % len(ms))
'
echo
echo "== run it again: nothing to do"
./ics2hubspot import --state "$work/state.db" \
	samples/outlook-export.ics samples/google-export.ics samples/recurring.ics samples/allday.ics
exit $rc
