#!/usr/bin/env bash
# bench/shapes.sh — `expand` against the bare libical parse on calendars of three shapes (issue
# #26 item 1). Figures, not pass/fail:
#
#   dense     bench/gen_calendar.py: short events, 1-4 attendees, few parameters
#   outlook   bench/gen_shaped.py outlook: Windows zones with their VTIMEZONEs, 6-12 attendees
#             with CN/ROLE/PARTSTAT/RSVP/CUTYPE, long folded descriptions full of escapes,
#             X-MICROSOFT-* properties, a fifth recurring with overrides and EXDATEs
#   google    bench/gen_shaped.py google: IANA zones, X-GOOGLE-CONFERENCE, fewer parameters
#
# For each, two works: `expand FILE` of EVENTS events in one year (full), and `expand --since
# 2028-01-01 --until 2028-03-31` of EVENTS events over ten years (90d/10y), each against
# bench/bare_parse FILE: wall clock (median of REPEAT alternating pairs), peak RSS (the largest),
# and instructions (callgrind, on CG_EVENTS events: the count does not depend on the machine's
# load). The ratio is ours / the bare parse.
# Usage: bench/shapes.sh [dense outlook google]   env: BIN, REPEAT (5), EVENTS (10000),
#   CG_EVENTS (EVENTS; 0: no callgrind)
set -u
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
REPEAT=${REPEAT:-5}
EVENTS=${EVENTS:-10000}
CG_EVENTS=${CG_EVENTS:-$EVENTS}
OUT=$ROOT/bench/out/shapes
mkdir -p "$OUT"
SHAPES=("$@")
[ ${#SHAPES[@]} -eq 0 ] && SHAPES=(dense outlook google)

BARE=$OUT/bare_parse
build_bare

# calendar SHAPE EVENTS [YEARS] -> path (generated once, deterministic: seed 42)
calendar() {
	local years=${3:-1} f="$OUT/$1-$2.ics"
	[ "$years" = 1 ] || f="$OUT/$1-$2-${years}y.ics"
	if [ ! -s "$f" ]; then
		case $1 in
		dense) "$PY" bench/gen_calendar.py "$2" "$f" 42 "$years" ;;
		*) "$PY" bench/gen_shaped.py "$1" "$2" "$f" 42 "$years" ;;
		esac || exit 2
	fi
	echo "$f"
}
instructions() { # CMD... -> instructions executed (callgrind's total Ir)
	local cg
	cg=$(mktemp "$OUT/cg.XXXXXX") || exit 2
	valgrind --tool=callgrind --callgrind-out-file="$cg" "$@" >/dev/null 2>"$OUT/last.err"
	awk '/^(summary|totals):/ { print $2; exit }' "$cg"
	rm -f "$cg"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }

have_cg=1
if [ "$CG_EVENTS" = 0 ] || ! command -v valgrind >/dev/null; then
	have_cg=0
	[ "$CG_EVENTS" = 0 ] || echo "(no valgrind: no instruction counts; apt-get install valgrind)"
fi
WINDOW=(--since 2028-01-01 --until 2028-03-31)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
	"wall: median of $REPEAT alternating pairs on $EVENTS events (full: one year;" \
	"90d/10y: ${WINDOW[*]} of ten years); peak RSS: the largest; instructions: callgrind on" \
	"$CG_EVENTS events"
printf '%-8s %-7s %7s %11s %7s %7s %7s %7s %7s %9s %9s %7s\n' shape work file_MB occurrences \
	ours_s bare_s ratio ours_MB bare_MB ours_Minst bare_Minst ratio
for shape in "${SHAPES[@]}"; do
	case $shape in dense | outlook | google) ;; *)
		echo "bench/shapes.sh: unknown shape '$shape'" >&2
		exit 2
		;;
	esac
	for work in full 90d/10y; do
		years=1 win=()
		[ "$work" = full ] || { years=10 win=("${WINDOW[@]}"); }
		f=$(calendar "$shape" "$EVENTS" "$years")
		occ=$("$BIN" expand "${win[@]}" "$f" 2>/dev/null | wc -l)
		wa=() wb=() ra=0 rb=0
		for _ in $(seq 1 "$REPEAT"); do
			read -r t m < <(once "$BIN" expand "${win[@]}" "$f")
			wa+=("$t")
			[ "$m" -gt "$ra" ] && ra=$m
			read -r t m < <(once "$BARE" "$f")
			wb+=("$t")
			[ "$m" -gt "$rb" ] && rb=$m
		done
		ma=$(printf '%s\n' "${wa[@]}" | median)
		mb=$(printf '%s\n' "${wb[@]}" | median)
		ia=- ib=- ir=-
		if [ "$have_cg" = 1 ]; then
			g=$(calendar "$shape" "$CG_EVENTS" "$years")
			ia=$(instructions "$BIN" expand "${win[@]}" "$g")
			ib=$(instructions "$BARE" "$g")
			ir=$(ratio "$ia" "$ib")
			ia=$(awk -v a="$ia" 'BEGIN { printf "%.0f", a / 1e6 }')
			ib=$(awk -v a="$ib" 'BEGIN { printf "%.0f", a / 1e6 }')
		fi
		printf '%-8s %-7s %7.1f %11d %7.2f %7.2f %7s %7d %7d %9s %9s %7s\n' "$shape" "$work" \
			"$(awk -v s="$(stat -c %s "$f")" 'BEGIN { print s / 1048576 }')" "$occ" "$ma" \
			"$mb" "$(ratio "$ma" "$mb")" $((ra / 1024)) $((rb / 1024)) "$ia" "$ib" "$ir"
	done
done
