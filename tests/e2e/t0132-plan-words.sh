#!/usr/bin/env bash
# A plan a person reads (issue 24 item 3): import --dry-run names what changed (start, attendees,
# or the other properties), never hashes; its rows are in time order with the event's file:line;
# the report's entries too; and the dry run exits as the real run would (the safety valve: 1).
. "$(dirname "$0")/lib.sh"
start_sandbox --rate 1000/10s

# ev UID DAY TITLE: one event on 2030-01-DAY.
ev() { printf 'BEGIN:VEVENT\nUID:%s\nDTSTAMP:20260101T000000Z\nDTSTART:203001%02dT100000Z\nDTEND:203001%02dT110000Z\nSUMMARY:%s\nEND:VEVENT\n' "$1" "$2" "$2" "$3"; }
# cal FILE (UID DAY TITLE)...: the events in the order given.
cal() {
	local f=$1
	shift
	{
		printf 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t0132//EN\n'
		while [ $# -gt 0 ]; do ev "$1" "$2" "$3"; shift 3; done
		printf 'END:VCALENDAR\n'
	} >"$f"
}
keys() { awk 'NR > 1 && $1 != "" && $2 ~ /@/ {print $2}' "$1" | tr '\n' ' '; }

test_expect_success 'the first plan: rows in time order with file:line, the report too' '
	cal c.ics late@t 20 Late early@t 5 Early mid@t 12 Mid &&
	"$BIN" import -n --state st.db --report dry.json c.ics >plan 2>err &&
	[ "$(keys plan)" = "early@t mid@t late@t " ] &&
	grep -q "^create  *early@t  *2030-01-05T10:00:00Z  *c.ics:11 " plan &&
	grep -q "^create  *late@t  *2030-01-20T10:00:00Z  *c.ics:4 " plan &&
	[ "$(jget dry.json "\" \".join(o[\"key\"] for o in d[\"occurrences\"])")" = "early@t mid@t late@t" ]
'
test_expect_success 'a moved event and a renamed one: the plan says what changed, no hash' '
	"$BIN" import -q --state st.db c.ics &&
	cal c.ics late@t 20 "Late, renamed" early@t 6 Early mid@t 12 Mid &&
	"$BIN" import -n --state st.db c.ics >plan 2>err &&
	[ "$(keys plan)" = "early@t late@t " ] &&
	grep -q "^update  *early@t .*changed: start$" plan &&
	grep -q "^update  *late@t .*changed: title, description, location or another property$" plan &&
	! grep -q "→\|[0-9a-f]\{16\}" plan &&
	"$BIN" import -n -v --state st.db c.ics >vplan 2>err &&
	grep -q "changed: start (hash [0-9a-f]\{16\} → [0-9a-f]\{16\})" vplan
'
test_expect_success 'the safety valve: the dry run exits 1 as the real run does' '
	W="--since 2030-01-01 --until 2030-02-01" &&
	args= && for i in $(seq 1 12); do args="$args e$i@t $((i + 1)) E$i"; done &&
	cal v.ics $args && "$BIN" import -q --state v.db $W v.ics &&
	cal v.ics e1@t 2 E1 &&
	rc=0; "$BIN" import -n --state v.db $W v.ics >plan 2>err || rc=$?
	[ $rc = 1 ] && grep -q "safety valve" plan &&
	rc=0; "$BIN" import --state v.db $W v.ics 2>err || rc=$?
	[ $rc = 1 ] && grep -q "held back by a safety valve" err
'

test_done
