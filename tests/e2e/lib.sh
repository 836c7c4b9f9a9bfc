# lib.sh — shared by every tests/e2e/t*.sh (git's test-lib, condensed).
# Provides: $BIN $ROOT $TRASH $PY, start_sandbox, setup_portal, sandbox_get, sandbox_post, asked, jget, track_pid,
# test_expect_success, test_done.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${BIN:=$ROOT/ics2hubspot}"
PY=/usr/bin/python3
export BIN ROOT PY

TEST_NAME=$(basename "$0" .sh)
TRASH="$ROOT/tests/tmp/$TEST_NAME.$$"
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1
# A test that forgets --state must never touch the user's real state.
export XDG_STATE_HOME="$TRASH/xdg-state"

test_count=0
test_failures=0
SANDBOX_PID=

# Every background server is listed in $TRASH/.pids (also when started inside a
# test's subshell), and stopped at exit, with its children: a pid that is a
# subshell ("a && server & track_pid $!" backgrounds the whole list) must not
# leave its server running after the test.
children() { cat /proc/"$1"/task/*/children 2>/dev/null; } # Linux; procps may be absent
cleanup() {
	local kids=
	if [ -f "$TRASH/.pids" ]; then
		while read -r p; do
			kids="$kids $(children "$p")"
			kill "$p" 2>/dev/null
		done <"$TRASH/.pids"
		# shellcheck disable=SC2086
		[ -n "${kids// /}" ] && kill $kids 2>/dev/null
		sleep 0.1
		while read -r p; do
			kill -9 "$p" 2>/dev/null
		done <"$TRASH/.pids"
	fi
	wait 2>/dev/null
	if [ -f "$TRASH/.dirs" ]; then
		while read -r d; do rm -rf "$d"; done <"$TRASH/.dirs"
	fi
	if [ "$test_failures" = 0 ]; then
		cd "$ROOT" && rm -rf "$TRASH"
	else
		echo "# scratch directory kept: $TRASH" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_sandbox [--fresh] [sandbox.py options...]: a HubSpot stand-in on 127.0.0.1 that
# behaves like a fresh portal, made ready with `ics2hubspot setup` as a user would
# (setup_portal); --fresh leaves it as it starts (no identity property).
start_sandbox() {
	local fresh=
	if [ "${1:-}" = --fresh ]; then
		fresh=1
		shift
	fi
	if [ -n "$SANDBOX_PID" ]; then
		kill "$SANDBOX_PID" 2>/dev/null
		wait "$SANDBOX_PID" 2>/dev/null
	fi
	rm -f "$TRASH/sandbox.port"
	"$PY" "$ROOT/tests/sandbox/sandbox.py" --port 0 --port-file "$TRASH/sandbox.port" \
		--log "$TRASH/sandbox.log" "$@" >"$TRASH/sandbox.out" 2>&1 &
	SANDBOX_PID=$!
	echo "$SANDBOX_PID" >>"$TRASH/.pids"
	for _ in $(seq 1 100); do
		[ -s "$TRASH/sandbox.port" ] && break
		sleep 0.1
	done
	if [ ! -s "$TRASH/sandbox.port" ]; then
		echo "sandbox did not start:" >&2
		cat "$TRASH/sandbox.out" >&2
		exit 1
	fi
	SANDBOX_PORT=$(cat "$TRASH/sandbox.port")
	SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
	HUBSPOT_API_BASE=$SANDBOX_URL
	HUBSPOT_ACCESS_TOKEN=test-token
	export SANDBOX_PORT SANDBOX_URL HUBSPOT_API_BASE HUBSPOT_ACCESS_TOKEN
	if [ -z "$fresh" ]; then
		setup_portal
		# counters, logs and rate windows start at zero; the portal keeps its properties
		sandbox_post /_sandbox/reset '{}' >/dev/null
	fi
}

# setup_portal [setup options...]: run `ics2hubspot setup` against the sandbox (its
# answers are kept in $TRASH/setup.out); the test stops when it fails.
setup_portal() {
	if ! "$BIN" setup "$@" >"$TRASH/setup.out" 2>&1; then
		echo "ics2hubspot setup failed:" >&2
		cat "$TRASH/setup.out" >&2
		exit 1
	fi
}

# test_requires WHAT COMMAND...: a test that cannot run without COMMAND (installed by make test)
# says so and fails, unless WHAT is listed in ICS2HUBSPOT_TEST_OPT_OUT (space-separated), an
# explicit opt-out for a platform that cannot have it. Returns 1 (skip the test) when opted out.
test_requires() {
	local what=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	case " ${ICS2HUBSPOT_TEST_OPT_OUT:-} " in
	*" $what "*)
		echo "# not run: $what is missing here (ICS2HUBSPOT_TEST_OPT_OUT=$ICS2HUBSPOT_TEST_OPT_OUT)" >&2
		return 1
		;;
	esac
	test_count=$((test_count + 1))
	test_failures=$((test_failures + 1))
	echo "not ok $test_count - cannot run: $what is missing ($*); install it, or opt out with ICS2HUBSPOT_TEST_OPT_OUT=$what"
	return 1
}

# Track a background helper (a feed server, Prism...) so it is stopped at exit.
# A scratch directory outside $TRASH (a short path), removed at exit like $TRASH.
track_dir() { echo "$1" >>"$TRASH/.dirs"; }
track_pid() {
	echo "$1" >>"$TRASH/.pids"
}

sandbox_get() {
	curl -sS --fail "$SANDBOX_URL$1"
}

sandbox_post() {
	curl -sS --fail -H 'Content-Type: application/json' -d "$2" "$SANDBOX_URL$1"
}

# asked "METHOD /path" [FROM]: the requests for METHOD /path the sandbox logged (from its FROM-th
# logged request on), not counting those it answered 429. A 429 makes the client ask again (on a
# loaded machine a burst trips the 5 searches/s limit), so a test counts what it asked for, never
# what a retry added; /_sandbox/stats' by_path counts both.
asked() {
	sandbox_get /_sandbox/requests | jget - "len([r for r in d[\"requests\"][${2:-0}:] if r[\"method\"] + \" \" + r[\"path\"] == \"$1\" and r[\"status\"] != 429])"
}

# jget FILE EXPR — evaluate a Python expression over the JSON in FILE ('-' = stdin) bound to `d`.
jget() {
	"$PY" "$ROOT/tests/e2e/jget.py" "$@"
}

# test_expect_success 'description' 'commands' — the commands run with set -e.
test_expect_success() {
	test_count=$((test_count + 1))
	if (set -e; eval "$2") >"$TRASH/test.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/test.out" | tail -n 40
	fi
}

# Every request the test's sandboxes answered (their --log, kept across restarts) went to a
# date-versioned path (docs/hubspot-api.md): one more check, run by test_done. A test that sends
# legacy requests on purpose sets LEGACY_EXPECTED to how many.
check_api_versions() {
	local got
	[ -s "$TRASH/sandbox.log" ] || return 0
	got=$("$PY" - "$TRASH/sandbox.log" <<-'PYEOF'
	import collections, json, sys
	n, legacy = collections.Counter(), collections.Counter()
	for line in open(sys.argv[1], encoding="utf-8"):
	    try:
	        rec = json.loads(line)
	    except ValueError:
	        continue
	    v = rec.get("version", "none")
	    n[v] += 1
	    if v in ("legacy", "none"):
	        legacy["%s %s" % (rec.get("method"), rec.get("path"))] += 1
	print(sum(legacy.values()), dict(n), dict(legacy))
	PYEOF
	)
	test_count=$((test_count + 1))
	if [ "${got%% *}" = "${LEGACY_EXPECTED:-0}" ]; then
		echo "ok $test_count - requests by API version: ${got#* }"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - legacy API requests: ${got%% *}, want ${LEGACY_EXPECTED:-0} (${got#* })"
	fi
}

test_done() {
	check_api_versions
	echo "# $TEST_NAME: $((test_count - test_failures)) passed, $test_failures failed"
	[ "$test_failures" = 0 ]
	exit $?
}
