#!/usr/bin/env bash
# expand vs. the independent oracle (tests/ics/oracle.py) over every corpus calendar it can
# expand; every difference must be listed, with its reason, in tests/ics/oracle-differences.md.
. "$(dirname "$0")/lib.sh"
CORPUS="$ROOT/tests/ics/corpus"
ORACLE="$ROOT/tests/ics/oracle.py"

test_expect_success 'the oracle runs (Debian python3-recurring-ical-events, installed by make test)' '
	test -f "$CORPUS/expected.tsv" &&
	"$PY" "$ORACLE" "$CORPUS/python-recurring-ical-events/three_events.ics" 2019-01-01 2020-01-01 >o.out &&
	[ "$(wc -l <o.out)" = 3 ]
'
test_expect_success 'expand agrees with the oracle except for the listed differences' '
	"$PY" "$ROOT/tests/ics/crosscheck.py" "$BIN" "$ORACLE" "$CORPUS" \
		"$ROOT/tests/ics/oracle-differences.md" >cc.out 2>&1 || { cat cc.out; false; }
	tail -n 1 cc.out
	grep -q "files compared" cc.out
'
test_expect_success 'the cross-check notices an unlisted difference (empty list)' '
	: >empty.md &&
	! "$PY" "$ROOT/tests/ics/crosscheck.py" "$BIN" "$ORACLE" "$CORPUS" empty.md \
		python-recurring-ical-events/issue_117_until_before_dtstart.ics >cc2.out 2>&1 &&
	grep -q "unlisted difference" cc2.out
'
test_done
