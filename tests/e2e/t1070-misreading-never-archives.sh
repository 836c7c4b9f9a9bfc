#!/usr/bin/env bash
# Issue 27 item 1: a misreading never removes. Each damage the issue found (a BEGIN that is
# not exactly BEGIN:VEVENT, a file cut off after an END:VEVENT, a line dropped for its
# length, an RRULE part we cannot read) is one error naming file and line; the events that
# were read are synced, nothing is archived, exit 1. The repairs that keep a rule's meaning
# (";;") and EXDATE/RDATE lines past libical's 500 values are read in full.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
meetings_py() { sandbox_get /_sandbox/meetings | "$PY" -c "import json,sys; ms=json.load(sys.stdin)['meetings']; $1"; }

# variant NAME > FILE: three one-off events and a weekly series of 10 (13 meetings), NAME
# damaging it as the issue's reproductions did ("clean": none).
variant() {
	"$PY" - "$1" <<'PY'
import sys
name = sys.argv[1]
ev = lambda uid, day, extra="": ("BEGIN:VEVENT\r\nUID:%s@t1070\r\nDTSTART:%sT090000Z\r\n"
                                 "DTEND:%sT100000Z\r\nSUMMARY:%s\r\n%sEND:VEVENT\r\n" % (uid, day, day, uid, extra))
begin = {"semi": "BEGIN;X=1:VEVENT", "tab": "BEGIN:\tVEVENT", "colon": "BEGIN::VEVENT",
         "cr": "BEGIN:VE\rVENT", "nul": "BEGIN:VEVENT\0"}.get(name, "BEGIN:VEVENT")
rule = {"byday": "FREQ=WEEKLY;BYDAY=MON;COUNT=10", "count": "FREQ=WEEKLY;BYDAY=MO;COUNT=1O",
        "long": "FREQ=WEEKLY;BYDAY=MO;COUNT=10;X-PAD=" + "a" * (4 << 20)}.get(name, "FREQ=WEEKLY;BYDAY=MO;COUNT=10")
body = (ev("e1", "20270105") + ev("e2", "20270106").replace("BEGIN:VEVENT", begin, 1) +
        ev("wk", "20270104", "RRULE:%s\r\n" % rule) + ev("e3", "20270107"))
if name == "cut":   # the feed ends right after e2's END:VEVENT
    body = body[:body.index("BEGIN:VEVENT\r\nUID:wk")]
out = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t1070//EN\r\n" + body
if name != "cut":
    out += "END:VCALENDAR\r\n"
sys.stdout.buffer.write(out.encode("latin-1"))
PY
}

test_expect_success 'each damage: one error naming file and line, nothing archived, exit 1' '
	start_sandbox --seed "$Y/seed.json" --rate 1000/10s &&
	variant clean >c.ics &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db c.ics 2>err0 &&
	meetings_py "print(sum(1 for m in ms if not m[\"archived\"]))" >n && [ "$(cat n)" = 13 ] &&
	for v in semi:10 tab:10 colon:10 cr:10 nul:10 cut:15 long:21 byday:21 count:21; do
		name=${v%%:*} line=${v#*:}
		variant $name >c.ics &&
		rc=0 && "$BIN" import -m "$Y/archive.yaml" --state st.db --report r.json c.ics 2>err || rc=$?
		echo "$name: rc=$rc" &&
		[ $rc = 1 ] &&
		[ "$(jget r.json "d[\"totals\"][\"archived\"]")" = 0 ] &&
		[ "$(grep -c "error:" err)" = 1 ] && grep -q "error: c.ics:$line: " err &&
		grep -q "c.ics: not read in full .*nothing of it is removed this run" err &&
		meetings_py "print(sum(1 for m in ms if not m[\"archived\"]))" >n && [ "$(cat n)" = 13 ] ||
		{ cat err; return 1; }
	done &&
	variant clean >c.ics &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r.json c.ics 2>err &&
	[ "$(jget r.json "d[\"totals\"][\"archived\"]")" = 0 ]
'

test_expect_success 'the events read beside the damage are synced (e3 added in a damaged run)' '
	start_sandbox --seed "$Y/seed.json" --rate 1000/10s &&
	variant semi | "$PY" -c "import sys; sys.stdout.write(sys.stdin.read().replace(\"e3\", \"e3-new\"))" >d.ics &&
	rc=0; "$BIN" import -m "$Y/archive.yaml" --state st2.db d.ics 2>err || rc=$?
	[ $rc = 1 ] &&
	meetings_py "print(sorted(m[\"properties\"][\"hs_meeting_title\"] for m in ms if not m[\"archived\"]))" >t &&
	grep -q "e3-new" t && grep -q "e1" t && ! grep -q "e2" t
'

test_expect_success 'RRULE: ";;" keeps COUNT (a warning); 600 EXDATE and RDATE values are all read' '
	"$PY" - <<-PY &&
	import datetime
	days = [datetime.date(2027, 1, 1) + datetime.timedelta(k) for k in range(700)]
	vals = ",".join(d.strftime("%Y%m%dT090000Z") for d in days[1:601])
	ev = "BEGIN:VEVENT\r\nUID:%s\r\nDTSTART:20270101T090000Z\r\n%s\r\nEND:VEVENT\r\n"
	cal = lambda b: "BEGIN:VCALENDAR\r\n" + b + "END:VCALENDAR\r\n"
	open("semis.ics", "w").write(cal(ev % ("s", "RRULE:FREQ=DAILY;;COUNT=10")))
	open("exdate.ics", "w").write(cal(ev % ("x", "RRULE:FREQ=DAILY;COUNT=700\r\nEXDATE:" + vals)))
	open("rdate.ics", "w").write(cal(ev % ("r", "RDATE:" + vals)))
	PY
	"$BIN" expand semis.ics >o 2>err && [ "$(wc -l <o)" = 10 ] && grep -q "RRULE repaired: empty parts dropped" err &&
	"$BIN" expand exdate.ics >o && [ "$(wc -l <o)" = 100 ] &&
	"$BIN" expand rdate.ics >o && [ "$(wc -l <o)" = 601 ]
'
test_done
