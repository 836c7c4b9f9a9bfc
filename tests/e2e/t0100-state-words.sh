#!/usr/bin/env bash
# The state commands tell the truth (issue 24 item 5): forget says what the next import really
# does (adopts), show UID lists a series' occurrences, undo without --run asks for --run (also
# off a terminal), list before any import prints nothing and exits 0, runs are named by calendar.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --rate 1000/10s
exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }
writes() { sandbox_get /_sandbox/stats | jget - "d[\"writes\"]"; }

"$PY" "$Y/gen.py" 2 team.ics --weekly 9

test_expect_success 'state list before any import: nothing on either stream, exit 0' '
	"$BIN" state list --state none.db >out 2>err &&
	[ ! -s out ] && [ ! -s err ] && [ ! -e none.db ] &&
	"$BIN" state list >out 2>err && [ ! -s out ] && [ ! -s err ] &&
	"$BIN" state list --json --state none.db >out.json 2>err &&
	[ "$(jget out.json "len(d[\"calendars\"]) + len(d[\"runs\"])")" = 0 ]
'
test_expect_success 'an import, then state list names the run by its calendar' '
	"$BIN" import -q -m "$Y/archive.yaml" --state st.db team.ics 2>err &&
	"$BIN" state list --state st.db >list 2>err &&
	grep -q "^ *1 .*done .*11 created.*  import -m $Y/archive.yaml team.ics$" list &&
	! grep -q "(1 calendar)" list &&
	"$BIN" state list --state st.db --json >list.json &&
	[ "$(jget list.json "d[\"runs\"][0][\"calendars\"]")" = team.ics ]
'

test_expect_success 'state show UID of a series lists its 9 occurrences in time order' '
	"$BIN" state show --state st.db sync-series@example.test >show 2>err &&
	grep -q "^series sync-series@example.test: 9 occurrences in the state" show &&
	[ "$(grep -c "^  sync-series@example.test#" show)" = 9 ] &&
	grep "^  sync-series@example.test#" show | awk "{print \$2}" >starts &&
	sort -c starts &&
	"$BIN" state show --state st.db --json sync-series@example.test >show.json &&
	[ "$(jget show.json "len(d)")" = 9 ] &&
	first=$(grep -m1 -o "sync-series@example.test#[^ ]*" show) &&
	"$BIN" state show --state st.db "$first" >one &&
	grep -q "^$first in $TRASH/team.ics" one && grep -q "status created" one &&
	[ "$(exit_code "$BIN" state show --state st.db sync-series 2>err)" = 2 ] &&
	grep -q "no occurrence .sync-series. in the state" err
'
test_expect_success 'state undo without --run, off a terminal: it asks for --run N, not --yes' '
	rc=0; "$BIN" state undo --state st.db </dev/null >out 2>err || rc=$? &&
	[ $rc = 2 ] && grep -q "which run? --run N is needed" err && ! grep -q -- "--yes" err &&
	[ ! -s out ]
'
test_expect_success 'state undo --dry-run: the plan on stdout, the summary and next step on stderr' '
	"$BIN" state undo --run 1 --dry-run --state st.db >plan 2>err &&
	[ "$(grep -c "^archive " plan)" = 11 ] && ! grep -q "dry run" plan &&
	grep -q "dry run: 11 meetings of run 1 would be archived (nothing sent); to archive them: ics2hubspot state undo --run 1" err &&
	"$BIN" state undo -q --run 1 --dry-run --state st.db >plan 2>err && [ ! -s err ]
'
test_expect_success 'state forget says the next import adopts, and the next import does adopt' '
	"$BIN" state forget --state st.db team.ics >out 2>err &&
	[ ! -s out ] &&
	grep -q "forgot 11 occurrences of $TRASH/team.ics; HubSpot is not touched: the next import of it finds its meetings there (by the identity property) and adopts them instead of creating them again" err &&
	! grep -q "creates its meetings again" err &&
	before=$(sandbox_get /_sandbox/meetings | jget - "len(d[\"meetings\"])") &&
	"$BIN" import -q -m "$Y/archive.yaml" --state st.db team.ics 2>err &&
	[ "$(sandbox_get /_sandbox/meetings | jget - "len(d[\"meetings\"])")" = "$before" ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"created\"")" = 11 ]
'
test_expect_success 'state rename: the message on stderr, -q silences it' '
	"$BIN" state rename --state st.db team.ics team >out 2>err &&
	[ ! -s out ] && grep -q "renamed $TRASH/team.ics to team (11 occurrences)" err &&
	"$BIN" state rename -q --state st.db team team2 >out 2>err && [ ! -s out ] && [ ! -s err ]
'
test_done
