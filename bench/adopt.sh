#!/usr/bin/env bash
# bench/adopt.sh — the cost of search before create (issue #12): N occurrences imported with an
# empty state (1) into an empty portal: every key is looked up first, then created; (2) into a
# portal that already holds them (a lost state file): looked up and adopted, nothing written;
# (3) the same with --no-state. The sandbox keeps HubSpot's search limit of 5 requests per second,
# so the wall time shows what the look-up costs against a real portal.
# Usage: bench/adopt.sh [OCCURRENCES]   (BIN=... to use another binary)
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
N=${1:-10000}
OUT=$ROOT/bench/out/adopt
rm -rf "$OUT"
mkdir -p "$OUT"
start_sandbox "$OUT" --seed tests/sync/seed.json --rate 1000/10s --search-rate 5
setup_sandbox -m tests/sync/archive.yaml

SEARCHES='d["by_path"].get("POST /crm/objects/2026-09/meetings/search", 0)'
# run LABEL [OPTIONS]: import with an empty state; wall time, requests, searches, writes, exit.
run() {
	local w0 r0 s0 t0 t1 rc label=$1
	shift
	rm -f "$OUT/state.db"
	w0=$(sandbox_stat 'd["writes"]')
	r0=$(sandbox_stat 'd["requests"]')
	s0=$(sandbox_stat "$SEARCHES")
	t0=$(date +%s.%N)
	"$BIN" import -q -m tests/sync/archive.yaml --rate 1000/10s "$@" "$OUT/cal.ics" \
		2>"$OUT/$label.err"
	rc=$?
	t1=$(date +%s.%N)
	echo "$label $(echo "$t1 - $t0" | bc) $(( $(sandbox_stat 'd["requests"]') - r0 )) $(( $(sandbox_stat "$SEARCHES") - s0 )) $(( $(sandbox_stat 'd["writes"]') - w0 )) $rc"
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
