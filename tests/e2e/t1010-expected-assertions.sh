#!/usr/bin/env bash
# The 40 upstream assertions of tests/ics/corpus/expected.tsv, checked against expand
# (including the 9 that Debian's 2.0.1 oracle fails).
. "$(dirname "$0")/lib.sh"
CORPUS="$ROOT/tests/ics/corpus"

test_expect_success 'all 40 expected.tsv assertions hold for expand' '
	"$PY" "$ROOT/tests/ics/check_expected.py" "$BIN" "$CORPUS" >exp.out 2>&1 || { grep -v "^ok" exp.out; false; }
	grep -q "expected.tsv: 40 passed, 0 failed" exp.out
'
test_done
