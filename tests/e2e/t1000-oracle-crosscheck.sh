#!/usr/bin/env bash
# expand vs. the independent oracle (shared/ics/oracle.py) over every corpus calendar it can
# expand; every difference must be listed, with its reason, in tests/ics/oracle-differences.md.
. "$(dirname "$0")/lib.sh"
CORPUS="$SHARED/ics/corpus"
ORACLE="$SHARED/ics/oracle.py"

test_expect_success 'the oracle and its corpus are available' '
	test -d "$CORPUS" && test -f "$ORACLE" &&
	"$PY" -c "import recurring_ical_events"
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
