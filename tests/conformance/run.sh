#!/usr/bin/env bash
# make conformance HUBSPOT_SPECS=DIR: the project against HubSpot's official OpenAPI specs in DIR.
#  1. our request schemas vs the official ones (examples and their variants; the dated ones
#     against the *-2026-09.json specs),
#  2. the sandbox self-test and every end-to-end script with the sandbox in strict mode
#     (each body validated against both; a body ours accepts and the spec rejects is a 400),
#  3. the Prism contract test (t3900): every operation the client sends, at its 2026-09 path,
#     against the *-2026-09.json specs in DIR,
#  4. the strict-mode log: every body our schemas accepted must have passed the official spec.
# Ends with "conformance: N passed, N failed".
cd "$(dirname "$0")/../.." || exit 2
: "${BIN:?BIN must name the binary under test}"
if [ -z "${HUBSPOT_SPECS:-}" ] || [ ! -f "$HUBSPOT_SPECS/meetings-2026-09.json" ]; then
	echo "conformance: HUBSPOT_SPECS must name a folder with HubSpot's official OpenAPI specs" \
		"of the current date version (meetings-2026-09.json ...); see docs/building.md" >&2
	exit 2
fi
HUBSPOT_SPECS=$(cd "$HUBSPOT_SPECS" && pwd)
log=$(mktemp "${TMPDIR:-/tmp}/ics2hubspot-conformance.XXXXXX")
trap 'rm -f "$log"' EXIT
export BIN HUBSPOT_SPECS SANDBOX_SPECS_DIR=$HUBSPOT_SPECS SANDBOX_CONFORMANCE_LOG=$log
pass=0
fail=0
failed=()
run() {
	local name=$1
	shift
	echo "### $name"
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$name")
	fi
}
run "schemas vs official specs" /usr/bin/python3 tests/conformance/schemas_vs_specs.py "$HUBSPOT_SPECS"
run "sandbox self-test (strict)" /usr/bin/python3 tests/sandbox/test_sandbox.py
run "end-to-end (strict)" tests/e2e/run.sh
run "Prism contract" bash tests/conformance/t3900-prism-contract.sh
run "strict-mode log" /usr/bin/python3 tests/conformance/summary.py "$log"
[ $fail -gt 0 ] && echo "failed: ${failed[*]}"
echo "conformance: $pass passed, $fail failed"
[ $fail -eq 0 ]
