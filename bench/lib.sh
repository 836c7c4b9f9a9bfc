# bench/lib.sh — sourced by the benchmarks that import into the sandbox (tests/sandbox/sandbox.py),
# from the tree's root: cd "$(dirname "$0")/.." || exit 2; . bench/lib.sh
# Provides: $ROOT $PY $BIN (BIN=... to use another binary; the bench stops when it is missing),
#   start_sandbox DIR [sandbox.py options...]  a fresh sandbox (a running one is stopped first) on
#       a port the kernel picks, written to DIR/port, its output in DIR/sandbox.out; exports
#       HUBSPOT_API_BASE and HUBSPOT_ACCESS_TOKEN; the bench stops when it does not come up
#   setup_sandbox [setup options...]  `ics2hubspot setup` on it (a fresh portal made ready, as a
#       user does once), then its counters reset: setup is not measured
#   sandbox_stat EXPR  a Python expression over the sandbox's /_sandbox/stats, bound to `d`
#   stop_sandbox  stops it; also run at exit (a bench with its own EXIT trap calls it there)
#   build_bare     bench/bare_parse.c (the yardstick: libical's parse alone) into $OUT/bare_parse
#   once CMD...    runs CMD once: "wall_seconds peak_KB" (its stdout discarded, stderr in
#       $OUT/last.err)
#   median         the median of the numbers on stdin, one a line
ROOT=$PWD
PY=/usr/bin/python3
BIN=${BIN:-$ROOT/ics2hubspot}
[ -x "$BIN" ] || { echo "bench/$(basename "$0"): no binary $BIN (run make)" >&2; exit 2; }

SANDBOX_PID=

build_bare() {
	# shellcheck disable=SC2046
	cc -std=c11 -O2 $(pkg-config --cflags libical) -o "$OUT/bare_parse" bench/bare_parse.c \
		$(pkg-config --libs libical) || exit 2
}
once() {
	# a file of its own: the caller reads our line before we remove it, and the next once()
	# may already be running (a shared name lost a figure now and then)
	local tv
	tv=$(mktemp "$OUT/time.XXXXXX") || exit 2
	/usr/bin/time -f '%e %M' -o "$tv" "$@" >/dev/null 2>"$OUT/last.err"
	tail -n 1 "$tv"
	rm -f "$tv"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
stop_sandbox() {
	if [ -n "$SANDBOX_PID" ]; then
		kill "$SANDBOX_PID" 2>/dev/null
		wait "$SANDBOX_PID" 2>/dev/null
	fi
	SANDBOX_PID=
}
trap stop_sandbox EXIT

start_sandbox() {
	local dir=$1
	shift
	stop_sandbox
	rm -f "$dir/port"
	"$PY" "$ROOT/tests/sandbox/sandbox.py" --port 0 --port-file "$dir/port" "$@" \
		>"$dir/sandbox.out" 2>&1 &
	SANDBOX_PID=$!
	for _ in $(seq 1 300); do
		[ -s "$dir/port" ] && break
		sleep 0.1
	done
	if [ ! -s "$dir/port" ]; then
		echo "bench/$(basename "$0"): the sandbox did not start:" >&2
		cat "$dir/sandbox.out" >&2
		exit 2
	fi
	HUBSPOT_API_BASE="http://127.0.0.1:$(cat "$dir/port")"
	HUBSPOT_ACCESS_TOKEN=test-token
	export HUBSPOT_API_BASE HUBSPOT_ACCESS_TOKEN
}

setup_sandbox() {
	local err
	if ! err=$("$BIN" setup -q "$@" 2>&1 >/dev/null); then
		echo "bench/$(basename "$0"): ics2hubspot setup failed: $err" >&2
		exit 2
	fi
	curl -sS -X POST "$HUBSPOT_API_BASE/_sandbox/reset" >/dev/null
}

sandbox_stat() {
	curl -sS "$HUBSPOT_API_BASE/_sandbox/stats" |
		"$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
