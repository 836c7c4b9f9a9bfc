#!/usr/bin/env bash
# Issue #16 item 5: any error after the first write makes the exit code non-zero. A damaged
# state page, an empty state file, a full disk under standard output: a clear message, the right
# exit code, nothing created twice — never exit 0, never a crash.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s

writes() { sandbox_get /_sandbox/stats | jget - 'd["writes"]'; }
requests() { sandbox_get /_sandbox/stats | jget - 'd["requests"]'; }
# damage DB TABLE: overwrite the root page of TABLE (a b-tree page) with garbage
damage() {
	page=$(sqlite3 "$1" "select rootpage from sqlite_master where name=\"$2\"") &&
	size=$(sqlite3 "$1" "pragma page_size") &&
	"$PY" -c '
import sys
f = open(sys.argv[1], "r+b"); f.seek((int(sys.argv[2]) - 1) * int(sys.argv[3]) + 8)
f.write(b"\xff" * 200); f.close()' "$1" "$page" "$size"
}
run() { rc=0; timeout 10 "$BIN" import -m "$Y/archive.yaml" "$@" 2>err || rc=$?; echo "$rc" >rc; }

test_expect_success 'setup: a state with 40 meetings' '
	"$PY" "$Y/gen.py" 40 cal.ics --weekly 0 &&
	"$BIN" import -m "$Y/archive.yaml" --state good.db cal.ics 2>err &&
	[ "$(sqlite3 good.db "select count(*) from occurrences")" = 40 ]
'
test_expect_success 'a damaged calendars page: state errors after the writes exit 1, not 0' '
	cp good.db cal-page.db && damage cal-page.db calendars &&
	"$PY" "$Y/gen.py" 40 cal.ics --weekly 0 --retitle "7=Renamed" &&
	run --state cal-page.db cal.ics &&
	[ "$(cat rc)" = 1 ] &&
	grep -q "malformed" err && grep -q "state update(s) failed" err
'
test_expect_success 'a damaged occurrences page: exit 2, no crash, nothing created again' '
	cp good.db occ-page.db && damage occ-page.db occurrences &&
	before=$(writes) &&
	run --state occ-page.db cal.ics &&
	[ "$(cat rc)" = 2 ] &&
	grep -q "malformed" err &&
	[ "$(writes)" = "$before" ]
'
test_expect_success 'a zero-byte state file is refused (exit 2), not silently a new state' '
	: >empty.db &&
	before=$(requests) &&
	run --state empty.db cal.ics &&
	[ "$(cat rc)" = 2 ] &&
	grep -q "empty (0 bytes)" err &&
	[ "$(requests)" = "$before" ] &&
	[ ! -s empty.db ] &&
	rc=0; "$BIN" import -n -m "$Y/archive.yaml" --state empty.db cal.ics >/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "empty (0 bytes)" err
'
test_expect_success 'a new state is created 0600 with nothing left beside it' '
	mkdir fresh && "$BIN" import -m "$Y/archive.yaml" --state fresh/st.db cal.ics 2>err &&
	[ "$(stat -c %a fresh/st.db)" = 600 ] && [ -z "$(ls fresh | grep -vx -e st.db -e st.db.lock -e st.db-wal -e st.db-shm)" ]
'
test_expect_success 'output lost on a full disk: exit 1 with a message' '
	rc=0; "$BIN" expand "$ROOT/samples/recurring.ics" >/dev/full 2>err || rc=$?
	[ "$rc" = 1 ] && grep -q "cannot write to standard output" err
'
test_done
