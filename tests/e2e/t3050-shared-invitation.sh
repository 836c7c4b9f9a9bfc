#!/usr/bin/env bash
# Alice and Bob sync their own calendars, each with a state of their own, into one portal; an
# invitation they share is one meeting (issue #27 item 7). A calendar that drops it detaches
# itself; the meeting is archived only when no calendar claims it (docs/state.md).
. "$(dirname "$0")/lib.sh"
start_sandbox

# cal FILE UID...: one event per UID, on the same day, at the same time for the same UID.
cal() {
	local f=$1
	shift
	{
		printf "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t3050//EN\r\n"
		for u in "$@"; do
			printf "BEGIN:VEVENT\r\nUID:%s@example.test\r\nDTSTAMP:20260101T000000Z\r\n" "$u"
			printf "DTSTART:20270301T100000Z\r\nDTEND:20270301T110000Z\r\nSUMMARY:%s\r\nEND:VEVENT\r\n" "$u"
		done
		printf "END:VCALENDAR\r\n"
	} >"$f"
}
# meeting UID EXPR: EXPR over the live meeting of UID (m), or "none".
meeting() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import json, sys
ms = [m for m in json.load(sys.stdin)["meetings"]
      if m["properties"].get("ics2hubspot_key") == sys.argv[1] + "@example.test" and not m["archived"]]
print(eval(sys.argv[2], {"m": ms[0]}) if ms else "none")' "$1" "$2"
}
claims() { meeting "$1" 'len([c for c in (m["properties"].get("ics2hubspot_claims") or "").split(";") if c])'; }

test_expect_success 'setup creates the claims property beside the identity property' '
	grep -q "meeting property .ics2hubspot_claims.: created" "$TRASH/setup.out"
'
test_expect_success 'Alice creates the shared meeting (her claim), Bob adopts it (his claim added)' '
	cal alice.ics shared alice-only && cal bob.ics shared bob-only &&
	"$BIN" import --state alice.db alice.ics 2>err || { cat err; false; }
	[ "$(claims shared)" = 1 ]
	"$BIN" import --state bob.db --report rb.json bob.ics 2>err || { cat err; false; }
	[ "$(jget rb.json "d[\"totals\"][\"created\"]")" = 1 ]
	[ "$(claims shared)" = 2 ] && [ "$(claims bob-only)" = 1 ] && [ "$(claims alice-only)" = 1 ]
	[ "$(sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"]])")" = 3 ]
'
test_expect_success 'Bob declines (his calendar drops it): detached, not archived; Alice keeps it' '
	cal bob.ics bob-only &&
	"$BIN" import --state bob.db --report rb2.json bob.ics 2>err || { cat err; false; }
	[ "$(jget rb2.json "d[\"totals\"][\"archived\"]")" = 0 ]
	grep -q "still claimed by another calendar: detached" err
	[ "$(meeting shared "m[\"id\"]")" != none ] && [ "$(claims shared)" = 1 ]
	"$BIN" import --state alice.db --report ra.json alice.ics 2>err || { cat err; false; }
	[ "$(meeting shared "m[\"id\"]")" != none ]
'
test_expect_success 'Alice drops it too: no calendar claims it any more, it is archived' '
	cal alice.ics alice-only &&
	"$BIN" import --state alice.db --report ra2.json alice.ics 2>err || { cat err; false; }
	[ "$(jget ra2.json "d[\"totals\"][\"archived\"]")" = 1 ]
	[ "$(meeting shared "m[\"id\"]")" = none ]
'
test_expect_success 'a lost state keeps its calendar'"'"'s claim: re-adopted, nothing written, then archived alone' '
	rm alice.db && w=$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]") &&
	"$BIN" import --state alice.db alice.ics 2>err || { cat err; false; }
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]")" = "$w" ]
	cal alice.ics &&
	"$BIN" import --state alice.db --force --report ra3.json alice.ics 2>err || { cat err; false; }
	[ "$(meeting alice-only "m[\"id\"]")" = none ]
'
test_expect_success 'state undo of the run that created a meeting Bob still claims: detached, not archived' '
	cal carol.ics party && cal dave.ics party &&
	"$BIN" import --state carol.db carol.ics 2>err || { cat err; false; }
	"$BIN" import --state dave.db dave.ics 2>err || { cat err; false; }
	[ "$(claims party)" = 2 ]
	run=$(sqlite3 carol.db "select max(id) from runs")
	"$BIN" state undo --run "$run" --yes --state carol.db 2>err || { cat err; false; }
	grep -q "1 meeting(s) still claimed by another calendar were detached" err
	[ "$(meeting party "m[\"id\"]")" != none ] && [ "$(claims party)" = 1 ]
'
test_done
