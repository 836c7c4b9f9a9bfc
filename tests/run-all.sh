#!/usr/bin/env bash
# Every suite for one build: unit binaries (given as arguments), the sandbox self-test, e2e scripts.
# Ends with one "N passed, N failed" line over the suites, then the number of checks over all of
# them ("checks: ..."), which is also written to $BUILD/checks.txt (make distcheck compares it).
cd "$(dirname "$0")/.." || exit 2
: "${BIN:?BIN must name the binary under test}"
pass=0
fail=0
failed=()
out=$(mktemp "${TMPDIR:-/tmp}/ics2hubspot-run-all.XXXXXX")
trap 'rm -f "$out"' EXIT
run() {
	local name=$1
	shift
	"$@" 2>&1 | tee -a "$out"
	if [ "${PIPESTATUS[0]}" = 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$name")
	fi
}
echo "### unit tests ($BUILD)"
for t in "$@"; do
	run "$(basename "$t")" "$t"
done
if [ -f tests/sandbox/test_sandbox.py ] && [ "$BUILD" = build/default ]; then
	echo "### sandbox self-test"
	run sandbox /usr/bin/python3 tests/sandbox/test_sandbox.py
fi
echo "### end-to-end tests ($BIN)"
run e2e env BIN="$BIN" tests/e2e/run.sh
[ $fail -gt 0 ] && echo "failed suites: ${failed[*]}"
echo "suites: $pass passed, $fail failed"
# "tests/unit/t-x.c: N passed, M failed", "# t1000-x: N passed, M failed", sandbox "N passed, M failed"
checks=$(awk '/^(tests\/unit\/t-[^:]*|# t[0-9][^:]*|)(: )?[0-9]+ passed, [0-9]+ failed$/ {
	n = split($0, w, " "); for (i = 1; i < n; i++) { if (w[i+1] ~ /^passed/) p += w[i]; if (w[i+1] ~ /^failed/) f += w[i] } }
	END { printf "%d passed, %d failed", p, f }' "$out")
echo "checks: $checks ($BUILD)"
mkdir -p "$BUILD" && echo "$checks" >"$BUILD/checks.txt"
[ $fail -eq 0 ]
