#!/usr/bin/env bash
# Same meeting in several calendars (issue #7 item 6): one meeting with the union of the
# attendees; associations follow attendee changes on update.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s

# contacts KEY: sorted contact ids of the live meeting with that key (exactly one)
contacts() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import json, sys
ms = [m for m in json.load(sys.stdin)["meetings"]
      if m["properties"]["ics2hubspot_key"] == sys.argv[1] and not m["archived"]]
assert len(ms) == 1, "%d meetings for %s" % (len(ms), sys.argv[1])
print(" ".join(sorted(ms[0]["associations"].get("contacts", []))))' "$1"
}
writes() { sandbox_get /_sandbox/stats | jget - 'd["writes"]'; }

test_expect_success 'the same UID in two calendars is one meeting with both attendees' '
	"$PY" "$Y/gen.py" 4 ada.ics --attendees "2=ada@globex.example" &&
	"$PY" "$Y/gen.py" 4 bob.ics --attendees "2=bob@globex.example" --drop 0 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r1.json ada.ics bob.ics 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 4 ] &&
	[ "$(sandbox_get /_sandbox/meetings | jget - "len(d[\"meetings\"])")" = 4 ] &&
	[ "$(contacts sync-2@example.test)" = "6101 6102" ] &&
	[ "$(sqlite3 st.db "select count(distinct hubspot_id) from occurrences where key=\"sync-2@example.test\"")" = 1 ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where key=\"sync-2@example.test\"")" = 2 ]
'
test_expect_success 'a re-run of both calendars writes nothing' '
	before=$(writes) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db ada.ics bob.ics 2>err &&
	[ "$(writes)" = "$before" ]
'
test_expect_success 'an event gone from one calendar but still in the other is kept' '
	"$PY" "$Y/gen.py" 4 bob.ics --attendees "2=bob@globex.example" --drop 0,1 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r2.json ada.ics bob.ics 2>err &&
	[ "$(jget r2.json "d[\"totals\"][\"archived\"]")" = 0 ] &&
	[ "$(sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"]])")" = 4 ]
'
test_expect_success 'an attendee added on update gets associated (v4 associations)' '
	"$PY" "$Y/gen.py" 4 ada.ics --attendees "2=ada@globex.example,cy@initech.example" &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r3.json ada.ics bob.ics 2>err &&
	[ "$(jget r3.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(contacts sync-2@example.test)" = "6101 6102 6103" ]
'
test_expect_success 'an attendee removed on update loses the association' '
	"$PY" "$Y/gen.py" 4 ada.ics --attendees "2=cy@initech.example" &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db ada.ics bob.ics 2>err &&
	[ "$(contacts sync-2@example.test)" = "6102 6103" ] &&
	before=$(writes) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db ada.ics bob.ics 2>err &&
	[ "$(writes)" = "$before" ]
'
test_done
