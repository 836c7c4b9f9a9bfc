#!/usr/bin/env bash
# Benchmark `ics2hubspot expand` (figures, not pass/fail): 10k, 100k and 1M events.
# Reports wall time, occurrences/s and peak RSS (GNU time -v) for expand, and the oracle's
# time on 10k (and 100k with ORACLE_100K=1); the oracle's 1M time is extrapolated linearly.
# Usage: bench/expand.sh [SIZES...]   (env: BIN, BENCH_DIR, ORACLE)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/ics2hubspot}
BENCH_DIR=${BENCH_DIR:-$ROOT/bench/out}
ORACLE=${ORACLE:-$ROOT/tests/ics/oracle.py}
SINCE=2024-01-01
UNTIL=2026-01-01
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(10000 100000 1000000)
mkdir -p "$BENCH_DIR"

measure() { # measure LABEL CMD... -> prints "wall rss_kb lines"
	shift
	local tv="$BENCH_DIR/time.$$"
	local lines
	lines=$( { /usr/bin/time -v -o "$tv" "$@" 2>/dev/null || true; } | wc -l)
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tv" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
	rm -f "$tv"
	echo "$wall $rss $lines"
}

printf "%-9s %-10s %9s %12s %14s %10s\n" events file_MB wall_s occurrences occurrences/s peak_RSS_MB
oracle_rate=""
for n in "${SIZES[@]}"; do
	f="$BENCH_DIR/cal-$n.ics"
	[ -s "$f" ] || /usr/bin/python3 "$ROOT/bench/gen_calendar.py" "$n" "$f"
	mb=$(( $(stat -c %s "$f") / 1048576 ))
	read -r wall rss occ < <(measure expand "$BIN" expand --since $SINCE --until $UNTIL "$f")
	rate=$(awk -v o="$occ" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? o / w : 0) }')
	printf "%-9s %-10s %9s %12s %14s %10s\n" "$n" "$mb" "$wall" "$occ" "$rate" "$((rss / 1024))"
	echo "$n $wall $rss $occ" >>"$BENCH_DIR/expand.results"
	if [ "$n" = 10000 ] || { [ "$n" = 100000 ] && [ "${ORACLE_100K:-0}" = 1 ]; }; then
		read -r owall orss oocc < <(measure oracle /usr/bin/python3 "$ORACLE" "$f" $SINCE $UNTIL)
		printf "  oracle on %s events: %s s, %s occurrences, peak RSS %s MB -> expand is %sx faster\n" \
			"$n" "$owall" "$oocc" "$((orss / 1024))" \
			"$(awk -v a="$owall" -v b="$wall" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
		oracle_rate=$(awk -v a="$owall" -v n="$n" 'BEGIN { print a / n }')
	elif [ -n "$oracle_rate" ]; then
		printf "  oracle on %s events (extrapolated linearly from the 10k run): ~%.0f s -> expand ~%sx faster\n" \
			"$n" "$(awk -v r="$oracle_rate" -v n="$n" 'BEGIN { print r * n }')" \
			"$(awk -v r="$oracle_rate" -v n="$n" -v w="$wall" 'BEGIN { printf "%.1f", (w > 0 ? r * n / w : 0) }')"
	fi
done
