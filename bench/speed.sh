#!/usr/bin/env bash
# bench/speed.sh — issue #14's figures: `expand` against a bare libical parse, a sync window of a
# long calendar, the oracle, and the peak memory of `import`. Figures, not pass/fail.
#
#   dense 10k / 100k   expand (no window) of 10,000 / 100,000 events in one year, against
#                      bench/bare_parse (icalparser_parse of the whole file, count the VEVENTs)
#   window 90 days     expand --since/--until of 90 days of a 10-year, 100,000-event calendar,
#                      against the bare parse of the same file
#   oracle 10k         the Python reference expander on the 10k calendar, against expand
#   import 30k / 300k  import into the sandbox (no rate limit, with a state): peak RSS
#
# Each timing is the median of REPEAT alternating runs (ours, bare, ours, bare, ...), wall clock
# from GNU time; memory is the largest peak RSS. On a shared machine wall clock is noisy: compare
# ratios, and use callgrind instruction counts for decisions (see docs/speed.md).
# Usage: bench/speed.sh [dense10k dense100k window oracle import30k import300k]
#   env: BIN (binary), REPEAT (default 3), ORACLE (default tests/ics/oracle.py when present)
set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
REPEAT=${REPEAT:-3}
OUT=$ROOT/bench/out/speed
mkdir -p "$OUT"
: "${ORACLE:=$ROOT/tests/ics/oracle.py}"
WHAT=("$@")
[ ${#WHAT[@]} -eq 0 ] && WHAT=(dense10k dense100k window oracle import30k import300k)

BARE=$OUT/bare_parse
build_bare

# calendar NAME EVENTS YEARS -> path (generated once, deterministic)
calendar() {
	local f="$OUT/$1.ics"
	[ -s "$f" ] || "$PY" bench/gen_calendar.py "$2" "$f" 42 "$3" || exit 2
	echo "$f"
}


# versus LABEL OCC_CMD -- BASE_CMD: alternating runs, medians, one line of the table.
versus() {
	local label=$1 a=() b=() wa=() wb=() ra=0 rb=0 w r
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	for _ in $(seq 1 "$REPEAT"); do
		read -r w r < <(once "${a[@]}")
		wa+=("$w")
		[ "$r" -gt "$ra" ] && ra=$r
		read -r w r < <(once "${b[@]}")
		wb+=("$w")
		[ "$r" -gt "$rb" ] && rb=$r
	done
	local ma mb
	ma=$(printf '%s\n' "${wa[@]}" | median)
	mb=$(printf '%s\n' "${wb[@]}" | median)
	printf '%-22s %9.2f %7d %9.2f %7d %7.2fx\n' "$label" "$ma" $((ra / 1024)) "$mb" $((rb / 1024)) \
		"$(awk -v a="$ma" -v b="$mb" 'BEGIN { print (b > 0 ? a / b : 0) }')"
}

# import_rss LABEL OCCURRENCES: import into a fresh sandbox with a fresh state; peak RSS.
import_calendar() { # N -> hourly series of 1,000 occurrences each
	local n=$1 s
	printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ics2hubspot bench//EN\r\n'
	for ((s = 0; s < n / 1000; s++)); do
		printf 'BEGIN:VEVENT\r\nUID:bench-import-%d@bench.test\r\nDTSTAMP:20240101T000000Z\r\n' "$s"
		printf 'DTSTART:20200101T080000Z\r\nDTEND:20200101T083000Z\r\nRRULE:FREQ=HOURLY;COUNT=1000\r\n'
		printf 'SUMMARY:Benchmark meeting %d\r\nLOCATION:Room %d\r\n' "$s" $((s % 40))
		printf 'DESCRIPTION:Agenda for series %d\\nJoin: https://teams.microsoft.com/l/meetup-join/%d\r\n' "$s" "$s"
		printf 'ORGANIZER;CN=Ann:mailto:ann@mycompany.example\r\n'
		printf 'ATTENDEE;CN=Erik;PARTSTAT=ACCEPTED:mailto:erik%d@globex.example\r\n' $((s % 50))
		printf 'END:VEVENT\r\n'
	done
	printf 'END:VCALENDAR\r\n'
}
import_rss() {
	local label=$1 n=$2 f="$OUT/import-$2.ics" w r t0 t1 rc
	[ -s "$f" ] || import_calendar "$n" >"$f"
	rm -f "$OUT/state.db"
	start_sandbox "$OUT" --rate 1000000/10s --daily 100000000
	setup_sandbox
	read -r w r < <(once "$BIN" import -q --rate 1000000/10s --state "$OUT/state.db" \
		--report "$OUT/import.json" "$f")
	stop_sandbox
	t0=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["created"])' \
		"$OUT/import.json" 2>/dev/null)
	if [ "$t0" != "$n" ]; then
		echo "$label: import created ${t0:-nothing}, not $n (see $OUT/last.err)" >&2
		return
	fi
	printf '%-22s %9.2f %7d   peak RSS %d MB (target <= 64 MB)\n' "$label" "$w" $((r / 1024)) $((r / 1024))
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); median of $REPEAT alternating runs"
printf '%-22s %9s %7s %9s %7s %8s\n' work ours_s MB base_s MB ratio
for w in "${WHAT[@]}"; do
	case $w in
	dense10k)
		f=$(calendar dense-10k 10000 1)
		versus "expand dense 10k" "$BIN" expand "$f" -- "$BARE" "$f" ;;
	dense100k)
		f=$(calendar dense-100k 100000 1)
		versus "expand dense 100k" "$BIN" expand "$f" -- "$BARE" "$f" ;;
	window)
		f=$(calendar long-100k 100000 10)
		versus "expand 90d of 10y" "$BIN" expand --since 2028-01-01 --until 2028-03-31 "$f" -- \
			"$BARE" "$f" ;;
	oracle)
		f=$(calendar dense-10k 10000 1)
		if [ -f "$ORACLE" ]; then
			versus "oracle/expand 10k" "$PY" "$ORACLE" "$f" 2024-01-01 2025-01-01 -- \
				"$BIN" expand --since 2024-01-01 --until 2025-01-01 "$f"
		else
			echo "oracle 10k: no oracle at $ORACLE (set ORACLE=)"
		fi ;;
	import30k) import_rss "import 30k" 30000 ;;
	import300k) import_rss "import 300k" 300000 ;;
	*) echo "bench/speed.sh: unknown work '$w'" >&2; exit 2 ;;
	esac
done
echo "targets: dense ratio <= 1.3 (aim 1.0); window ratio <= 0.3; import peak RSS <= 64 MB"
