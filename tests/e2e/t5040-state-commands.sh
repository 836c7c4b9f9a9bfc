#!/usr/bin/env bash
# `ics2hubspot state list | show KEY | forget SOURCE | undo --run N`, and one run per state.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"][\"ics2hubspot_key\"].startswith(\"$1\")])"; }

"$PY" "$Y/gen.py" 5 a.ics --uid-prefix a
"$PY" "$Y/gen.py" 3 b.ics --uid-prefix b

test_expect_success 'setup: run 1 imports a.ics, run 2 imports b.ics' '
	"$BIN" import -m "$Y/archive.yaml" --state st.db a.ics 2>err &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db b.ics 2>err &&
	[ "$(live a-)" = 5 ] && [ "$(live b-)" = 3 ]
'
test_expect_success 'state list: calendars with counts, and the runs' '
	"$BIN" state list --state st.db >list &&
	grep -A1 "^$TRASH/a.ics" list | grep -q "5 created" &&
	grep -A1 "^$TRASH/b.ics" list | grep -q "3 created" &&
	grep -q "^ *1 .*done .*5 created" list &&
	"$BIN" state list --state st.db --json >list.json &&
	[ "$(jget list.json "sum(c[\"counts\"][\"created\"] for c in d[\"calendars\"])")" = 8 ] &&
	[ "$(jget list.json "len(d[\"runs\"])")" = 2 ]
'
test_expect_success 'state show KEY: the row, its HubSpot id and runs' '
	"$BIN" state show --state st.db a-2@example.test >show &&
	grep -q "a-2@example.test in $TRASH/a.ics" show && grep -q "status created" show &&
	"$BIN" state show --state st.db --json a-2@example.test >show.json &&
	id=$(jget show.json "d[0][\"hubspot_id\"]") &&
	sandbox_get /_sandbox/meetings | grep -q "\"$id\"" &&
	[ "$(exit_code "$BIN" state show --state st.db no-such-key 2>err)" = 2 ]
'
test_expect_success 'state undo --run N --dry-run lists what would be archived, sends nothing' '
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]") &&
	"$BIN" state undo --run 2 --dry-run --state st.db >undo.plan &&
	[ "$(grep -c "^archive " undo.plan)" = 3 ] && grep -q "b-0@example.test" undo.plan &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]")" = "$before" ]
'
test_requires script command -v script &&
test_expect_success 'state undo asks: refused off a terminal without --yes; "n" at the prompt archives nothing' '
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]") &&
	[ "$(exit_code "$BIN" state undo --run 2 --state st.db </dev/null 2>err)" = 2 ] &&
	grep -q "pass --yes" err && grep -q "^ics2hubspot: see .ics2hubspot state undo --help.$" err &&
	printf "n\n" | script -qec "\"$BIN\" state undo --run 2 --state st.db" /dev/null >tty.out 2>&1 &&
	grep -q "^archive .*b-0@example.test" tty.out &&
	grep -q "archive these 3 meetings in HubSpot? \[y/N\]" tty.out &&
	grep -q "nothing archived" tty.out &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]")" = "$before" ] && [ "$(live b-)" = 3 ]
'
test_expect_success 'state undo --run N archives what run N created and marks it' '
	"$BIN" state undo --run 2 --yes --state st.db 2>err &&
	[ "$(live b-)" = 0 ] && [ "$(live a-)" = 5 ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where source=\"$TRASH/b.ics\" and status=\"archived\"")" = 3 ] &&
	grep -q "3 archived" err &&
	"$BIN" state undo --run 2 --yes --state st.db >again 2>err && grep -q "nothing to undo" err &&
	[ ! -s again ] &&
	[ "$(exit_code "$BIN" state undo --run 99 --yes --state st.db 2>err)" = 2 ]
'
test_expect_success 'state forget SOURCE drops its rows and leaves HubSpot alone' '
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]") &&
	"$BIN" state forget --state st.db a.ics >out 2>err &&
	grep -q "forgot 5 occurrences of $TRASH/a.ics; HubSpot is not touched: the next import of it finds its meetings there" err &&
	[ ! -s out ] &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]")" = "$before" ] &&
	[ "$(live a-)" = 5 ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where source=\"$TRASH/a.ics\"")" = 0 ] &&
	[ "$(exit_code "$BIN" state forget --state st.db a.ics 2>err)" = 2 ]
'
test_expect_success 'state: usage errors exit 2 (a state not made yet is an empty list)' '
	[ "$(exit_code "$BIN" state --state st.db 2>err)" = 2 ] &&
	[ "$(exit_code "$BIN" state frobnicate --state st.db 2>err)" = 2 ] &&
	[ "$(exit_code "$BIN" state undo --state st.db 2>err)" = 2 ] &&
	[ "$(exit_code "$BIN" state show --state nowhere.db x 2>err)" = 2 ] &&
	[ "$(exit_code "$BIN" state list --state nowhere.db 2>err)" = 0 ] && [ ! -e nowhere.db ]
'
test_expect_success 'a second run while one holds the state exits 4 (and state list still reads)' '
	"$PY" "$Y/gen.py" 20 slow.ics --uid-prefix slow &&
	sandbox_post /_sandbox/config "{\"latency_ms\":2000}" >/dev/null &&
	{ "$BIN" import -q -m "$Y/archive.yaml" --state st.db slow.ics 2>bg.err & pid=$!; } &&
	sleep 0.5 &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state st.db a.ics 2>err)" = 4 ] &&
	grep -q "in use by another run" err &&
	[ "$(exit_code "$BIN" state forget --state st.db b.ics 2>err)" = 4 ] &&
	"$BIN" state list --state st.db >/dev/null &&
	wait $pid &&
	sandbox_post /_sandbox/config "{\"latency_ms\":0}" >/dev/null &&
	[ "$(live slow-)" = 20 ]
'
test_done
