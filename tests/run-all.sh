#!/usr/bin/env bash
# Every suite for one build: unit binaries (given as arguments), the sandbox self-test, e2e scripts.
# Ends with one "N passed, N failed" line over the suites.
cd "$(dirname "$0")/.." || exit 2
: "${BIN:?BIN must name the binary under test}"
pass=0
fail=0
failed=()
run() {
	local name=$1
	shift
	if "$@"; then
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
[ $fail -eq 0 ]
