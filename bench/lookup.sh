#!/usr/bin/env bash
# bench/lookup.sh — search before create at the search limit (issue #26 item 3): N new occurrences
# (none in the portal yet) imported with an empty state into a sandbox portal that already holds
# M meetings of ours, every response delayed by LATENCY ms, searches limited to HubSpot's 5 per
# second. More than 10,000 of ours: the probe says "per key", so every key is looked up (100 a
# request). Figures, not pass/fail: the look-ups' span (from the first search the sandbox received
# to the last one it answered, read from its request log), the number of search requests the run
# asked for (a 429 is not counted: a retry is not a request asked), the ideal at the search limit
# (that number at 5 per second), the ratio (target: <= 1.2), how many searches were in flight at
# once at most, the 429s, and the whole run's wall time.
# Usage: bench/lookup.sh [NEW [HELD [LATENCY_MS]]]   (default 5000 20000 400; BIN=... another binary)
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
N=${1:-5000}
HELD=${2:-20000}
LATENCY=${3:-400}
RATE=5
OUT=$ROOT/bench/out/lookup
rm -rf "$OUT"
mkdir -p "$OUT"
start_sandbox "$OUT" --seed tests/sync/seed.json --rate 1000/10s --search-rate "$RATE"
setup_sandbox -m tests/sync/archive.yaml
# The meetings of ours the portal holds (another calendar's, imported before), then the latency.
"$PY" - "$HELD" >"$OUT/held.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"meetings": [{"properties": {
    "ics2hubspot_key": "held-%d@example.test" % i, "hs_meeting_title": "Held %d" % i,
    "hs_timestamp": "2030-01-01T09:00:00Z"}} for i in range(n)]}))
EOF
curl -sS -X POST --data-binary @"$OUT/held.json" "$HUBSPOT_API_BASE/_sandbox/seed" >/dev/null ||
	exit 2
curl -sS -X POST -d "{\"latency_ms\": $LATENCY}" "$HUBSPOT_API_BASE/_sandbox/config" >/dev/null ||
	exit 2
"$PY" tests/sync/gen.py "$N" "$OUT/cal.ics" --uid-prefix new || exit 2
UNTIL=$(date -u -d "+$((N + 30)) days" +%Y-%m-%d)
MARK=$(curl -sS "$HUBSPOT_API_BASE/_sandbox/requests" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')

t0=$(date +%s.%N)
"$BIN" import -v -m tests/sync/archive.yaml --rate 1000/10s --until "$UNTIL" \
	--state "$OUT/state.db" --report "$OUT/report.json" "$OUT/cal.ics" 2>"$OUT/import.err"
rc=$?
t1=$(date +%s.%N)

curl -sS "$HUBSPOT_API_BASE/_sandbox/requests" >"$OUT/requests.json"
echo "workload: $N new occurrences, a portal holding $HELD of ours, latency $LATENCY ms," \
	"search limit $RATE/s (mapping tests/sync/archive.yaml, empty state)"
"$PY" - "$OUT/requests.json" "$MARK" "$RATE" "$(echo "$t1 - $t0" | bc)" "$rc" <<'EOF'
import json, sys
reqs = json.load(open(sys.argv[1]))["requests"][int(sys.argv[2]):]
rate, wall, rc = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
s = [r for r in reqs if r["path"].endswith("/meetings/search")]
asked = [r for r in s if r["status"] != 429]
throttled = len(s) - len(asked)
if not asked:
    sys.exit("no search request: nothing to measure")
start = min(r["at"] for r in s)
end = max(r["at"] + r.get("ms", 0) for r in s)
span = (end - start) / 1000.0
ideal = len(asked) / float(rate)
# the most searches in flight at once (between arrival and answer, as the sandbox saw them)
ev = sorted([(r["at"], 1) for r in s] + [(r["at"] + r.get("ms", 0), -1) for r in s],
            key=lambda e: (e[0], e[1]))
cur = peak = 0
for _, d in ev:
    cur += d
    peak = max(peak, cur)
print("%-34s %10s" % ("figure", "value"))
print("%-34s %10.2f" % ("look-ups: span (s)", span))
print("%-34s %10d" % ("look-ups: search requests asked", len(asked)))
print("%-34s %10.2f" % ("ideal at %d searches/s (s)" % rate, ideal))
print("%-34s %10.2f" % ("span / ideal (target <= 1.2)", span / ideal))
print("%-34s %10.2f" % ("searches answered per second", len(asked) / span if span else 0))
print("%-34s %10d" % ("searches in flight at most", peak))
print("%-34s %10d" % ("search answers 429", throttled))
print("%-34s %10d" % ("requests in all", len(reqs)))
print("%-34s %10.2f" % ("whole import, wall (s)", wall))
print("%-34s %10s" % ("exit status", rc))
EOF
grep -E "looking meetings up in HubSpot by" "$OUT/import.err" | sed 's/^/  -v: /'
"$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print("  report totals:", {k: v for k, v in sorted(t.items()) if v})' "$OUT/report.json"
