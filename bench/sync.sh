#!/usr/bin/env bash
# bench/sync.sh — the cost of a quiet sync (issue #7): a 10,000-occurrence calendar imported into
# the sandbox, then re-run (1) unchanged: the content hash skips parsing, and (2) with every
# DTSTAMP changed: parsed, mapped and planned again, nothing to send. Figures, not pass/fail:
# wall times, the ratio to the first run (target: quiet re-run < 5% of it) and the write requests
# each run sent (target: 0 for both re-runs). The runs are timed as cron runs them (no --report);
# one more quiet run with --report (every occurrence written to the JSON report) for comparison.
# Usage: bench/sync.sh [OCCURRENCES]   (BIN=... to use another binary)
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
N=${1:-10000}
OUT=$ROOT/bench/out/sync
rm -rf "$OUT"
mkdir -p "$OUT"
start_sandbox "$OUT" --seed tests/sync/seed.json --rate 1000/10s --search-rate 50
setup_sandbox
# run LABEL [OPTIONS]: import the calendar, print wall time and requests/writes it sent.
run() {
	local w0 r0 t0 t1 rc label=$1
	shift
	w0=$(sandbox_stat 'd["writes"]')
	r0=$(sandbox_stat 'd["requests"]')
	t0=$(date +%s.%N)
	"$BIN" import -q -m tests/sync/archive.yaml --rate 1000/10s --state "$OUT/state.db" \
		"$@" "$OUT/cal.ics" 2>"$OUT/$label.err"
	rc=$?
	t1=$(date +%s.%N)
	echo "$label $(echo "$t1 - $t0" | bc) $(( $(sandbox_stat 'd["requests"]') - r0 )) $(( $(sandbox_stat 'd["writes"]') - w0 )) $rc"
}

"$PY" tests/sync/gen.py "$N" "$OUT/cal.ics" || exit 2
echo "workload: $N single events ($(wc -c <"$OUT/cal.ics") bytes), mapping tests/sync/archive.yaml"
first=$(run first)
quiet=$(run quiet)
quiet_report=$(run quiet+report --report "$OUT/report.json")
"$PY" tests/sync/gen.py "$N" "$OUT/cal.ics" --stamp 20310101T000000Z || exit 2
reparse=$(run reparse)
printf '%-34s %10s %9s %7s %5s\n' run seconds requests writes exit
for line in "$first" "$quiet" "$quiet_report" "$reparse"; do
	set -- $line
	printf '%-34s %10.3f %9s %7s %5s\n' "$1" "$2" "$3" "$4" "$5"
done
set -- $first
t_first=$2
set -- $quiet
echo "quiet re-run (calendar unchanged): $(echo "scale=2; 100 * $2 / $t_first" | bc)% of the first run, $4 write request(s)"
set -- $quiet_report
echo "quiet re-run with --report (10,000 entries written): $(echo "scale=2; 100 * $2 / $t_first" | bc)% of the first run, $4 write request(s)"
set -- $reparse
echo "re-run with every DTSTAMP changed (parsed, planned, nothing to send): $(echo "scale=2; 100 * $2 / $t_first" | bc)% of the first run, $4 write request(s)"
