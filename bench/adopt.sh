#!/usr/bin/env bash
# bench/adopt.sh — the cost of search before create (issue #12): N occurrences imported with an
# empty state (1) into an empty portal: every key is looked up first, then created; (2) into a
# portal that already holds them (a lost state file): looked up and adopted, nothing written;
# (3) the same with --no-state. The sandbox keeps HubSpot's search limit of 5 requests per second,
# so the wall time shows what the look-up costs against a real portal.
# Usage: bench/adopt.sh [OCCURRENCES]   (BIN=... to use another binary)
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
PY=/usr/bin/python3
BIN=${BIN:-$ROOT/ics2hubspot}
N=${1:-10000}
OUT=$ROOT/bench/out/adopt
rm -rf "$OUT"
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "bench/adopt.sh: no binary $BIN (run make)" >&2; exit 2; }

SANDBOX_PID=
stop_sandbox() {
	if [ -n "$SANDBOX_PID" ]; then
		kill "$SANDBOX_PID" 2>/dev/null
		wait "$SANDBOX_PID" 2>/dev/null
	fi
	SANDBOX_PID=
}
trap stop_sandbox EXIT
"$PY" tests/sandbox/sandbox.py --port 0 --port-file "$OUT/port" --seed tests/sync/seed.json \
	--rate 1000/10s --search-rate 5 >"$OUT/sandbox.out" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 100); do
	[ -s "$OUT/port" ] && break
	sleep 0.1
done
[ -s "$OUT/port" ] || { cat "$OUT/sandbox.out" >&2; exit 2; }
export HUBSPOT_API_BASE="http://127.0.0.1:$(cat "$OUT/port")"
export HUBSPOT_ACCESS_TOKEN=test-token

stat_of() {
	curl -sS "$HUBSPOT_API_BASE/_sandbox/stats" | "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
SEARCHES='d["by_path"].get("POST /crm/v3/objects/meetings/search", 0)'
# run LABEL [OPTIONS]: import with an empty state; wall time, requests, searches, writes, exit.
run() {
	local w0 r0 s0 t0 t1 rc label=$1
	shift
	rm -f "$OUT/state.db"
	w0=$(stat_of 'd["writes"]')
	r0=$(stat_of 'd["requests"]')
	s0=$(stat_of "$SEARCHES")
	t0=$(date +%s.%N)
	"$BIN" import -q -m tests/sync/archive.yaml --rate 1000/10s "$@" "$OUT/cal.ics" \
		2>"$OUT/$label.err"
	rc=$?
	t1=$(date +%s.%N)
	echo "$label $(echo "$t1 - $t0" | bc) $(( $(stat_of 'd["requests"]') - r0 )) $(( $(stat_of "$SEARCHES") - s0 )) $(( $(stat_of 'd["writes"]') - w0 )) $rc"
}

"$PY" tests/sync/gen.py "$N" "$OUT/cal.ics" || exit 2
echo "workload: $N single events, mapping tests/sync/archive.yaml, sandbox search limit 5/s"
empty=$(run empty-portal --state "$OUT/state.db")
full=$(run lost-state --state "$OUT/state.db")
nostate=$(run no-state --no-state)
printf '%-28s %10s %9s %9s %7s %5s\n' run seconds requests searches writes exit
for line in "$empty" "$full" "$nostate"; do
	set -- $line
	printf '%-28s %10.3f %9s %9s %7s %5s\n' "$1" "$2" "$3" "$4" "$5" "$6"
done
