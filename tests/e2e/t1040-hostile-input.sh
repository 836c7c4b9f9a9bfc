#!/usr/bin/env bash
# Hostile input in the reader (issue #16, items 2, 8, 9): a garbled BEGIN:VEVENT is an error
# naming file and line and a calendar read with it removes nothing; inputs that never end
# (devices, FIFOs, endless standard input) are refused or capped and leave nothing in $TMPDIR;
# quadratic corners (80,000 copies of one UID, 100,000 X- properties) stay fast.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
meetings_py() { sandbox_get /_sandbox/meetings | "$PY" -c "import json,sys; ms=json.load(sys.stdin)['meetings']; $1"; }

# cal3 [GARBLE]: three one-off events; GARBLE replaces the BEGIN:VEVENT of the second.
cal3() {
	printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\n'
	for i in 1 2 3; do
		if [ $i = 2 ] && [ -n "${1:-}" ]; then printf '%s\r\n' "$1"; else printf 'BEGIN:VEVENT\r\n'; fi
		printf 'UID:ev-%s@example.test\r\nDTSTART:2030010%sT090000Z\r\nDTEND:2030010%sT100000Z\r\nSUMMARY:Meeting %s\r\nEND:VEVENT\r\n' $i $i $i $i
	done
	printf 'END:VCALENDAR\r\n'
}

test_expect_success 'a garbled BEGIN:VEVENT is one error naming file and line (exit 1); its END is not another' '
	cal3 XBEGIN:VEVENT >x.ics &&
	rc=0; timeout 10 "$BIN" expand x.ics >x.ndjson 2>x.err || rc=$? &&
	[ $rc = 1 ] && [ "$(wc -l <x.ndjson)" = 2 ] &&
	grep -q "error: x.ics:9: \"XBEGIN:VEVENT\" is a damaged BEGIN/END at calendar level" x.err &&
	[ "$(grep -c error: x.err)" = 1 ] &&
	{ cal3 | sed "s/^BEGIN:VEVENT\r\$/\x00BEGIN:VEVENT\r/" >nul.ics; } &&
	rc=0; "$BIN" expand nul.ics >/dev/null 2>nul.err || rc=$? &&
	[ $rc = 1 ] && grep -q "nul.ics:3: .*damaged BEGIN/END" nul.err
'
test_expect_success 'a sync of a calendar with a garbled BEGIN:VEVENT removes nothing (exit 1)' '
	start_sandbox --seed "$Y/seed.json" --rate 1000/10s &&
	cal3 >c.ics &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db c.ics 2>err1 &&
	cal3 "$(printf "\x01BEGIN:VEVENT")" >c.ics &&
	rc=0; "$BIN" import -m "$Y/archive.yaml" --state st.db --report r.json c.ics 2>err2 || rc=$? &&
	[ $rc = 1 ] &&
	[ "$(jget r.json "d[\"totals\"][\"archived\"]")" = 0 ] &&
	grep -q "nothing of it is removed" err2 &&
	meetings_py "print(sum(1 for m in ms if not m[\"archived\"]))" >n && [ "$(cat n)" = 3 ]
'
test_expect_success 'a device or a FIFO is refused at once (exit 2), without being read' '
	rc=0; timeout 10 "$BIN" expand /dev/zero >/dev/null 2>z.err || rc=$? &&
	[ $rc = 2 ] && grep -q "/dev/zero. is not a regular file" z.err &&
	mkfifo fifo && rc=0; timeout 10 "$BIN" expand fifo >/dev/null 2>f.err || rc=$? &&
	[ $rc = 2 ] && grep -q "fifo. is not a regular file" f.err
'
test_expect_success 'standard input that never ends stops at 64 MiB (exit 2); $TMPDIR is left empty' '
	mkdir spool && rc=0 &&
	TMPDIR=$PWD/spool timeout 20 "$BIN" expand - </dev/zero >/dev/null 2>s.err || rc=$? &&
	[ $rc = 2 ] && grep -q "standard input: larger than 64 MiB" s.err &&
	[ -z "$(ls -A spool)" ]
'
test_expect_success 'the spool of standard input is unlinked while it is read (a kill leaves nothing)' '
	mkdir spool2 &&
	{ sleep 3 | TMPDIR=$PWD/spool2 "$BIN" expand - >/dev/null 2>&1 & } &&
	sleep 1 && [ -z "$(ls -A spool2)" ] && wait
'
test_expect_success '80,000 copies of one UID and 100,000 X- properties: done, one occurrence each' '
	"$PY" -c "
import sys
out = [\"BEGIN:VCALENDAR\"]
for i in range(80000):
    out += [\"BEGIN:VEVENT\", \"UID:same\", \"DTSTART:20240101T090000Z\", \"SEQUENCE:%d\" % (i % 7), \"END:VEVENT\"]
out.append(\"END:VCALENDAR\")
open(\"dup.ics\", \"w\").write(\"\\r\\n\".join(out) + \"\\r\\n\")
out = [\"BEGIN:VCALENDAR\", \"BEGIN:VEVENT\", \"UID:x\", \"DTSTART:20240101T090000Z\"]
out += [\"X-P%d:v\" % i for i in range(100000)] + [\"X-P5:second\", \"END:VEVENT\", \"END:VCALENDAR\"]
open(\"xprops.ics\", \"w\").write(\"\\r\\n\".join(out) + \"\\r\\n\")
" &&
	timeout 60 "$BIN" expand dup.ics >dup.ndjson 2>/dev/null && [ "$(wc -l <dup.ndjson)" = 1 ] &&
	timeout 60 "$BIN" expand xprops.ics >x.ndjson &&
	"$PY" -c "import json; o = json.loads(open(\"x.ndjson\").read()); assert len(o[\"x\"]) == 100000 and o[\"x\"][\"X-P5\"] == \"v\""
'
# #16 items 7 and 9: regular expressions have a budget (PCRE2 match limits), YAML a depth limit.
"$PY" - <<'PYEOF'
d = "a" * 100000
ev = "BEGIN:VEVENT\r\nUID:%s\r\nDTSTART:%s\r\nDESCRIPTION:%s\r\nEND:VEVENT\r\n"
open("long.ics", "w").write("BEGIN:VCALENDAR\r\n" + ev % ("long-1", "20300101T090000Z", d + "b")
                            + ev % ("long-2", "20300102T090000Z", "abcx") + "END:VCALENDAR\r\n")
for n, regex in ((1, "a.*b.*c.*x"), (2, "(a+)+$")):
    open("re%d.yaml" % n, "w").write('version: 1\nproperties:\n  hs_timestamp: "{{ start }}"\n'
                                     'filters:\n  skip_matching:\n'
                                     '    - { field: description, regex: "%s" }\n' % regex)
PYEOF
test_expect_success 'skip_matching regexes over a 100 KB description end; over budget means skipped' '
	timeout 10 "$BIN" import -n --no-state -m re1.yaml --report r1.json long.ics >/dev/null 2>&1 &&
	timeout 10 "$BIN" import -n --no-state -m re2.yaml --report r2.json long.ics >/dev/null 2>&1 &&
	jget r1.json "[o[\"outcome\"] for o in d[\"occurrences\"]]" >o1 && grep -qx created o1 && grep -qx skipped o1 &&
	jget r2.json "[o[\"reason\"] for o in d[\"occurrences\"] if o[\"uid\"] == \"long-1\"][0]" >o2 &&
	grep -q "over its budget: match limit); skipped to be safe" o2
'
test_expect_success 'a mapping nested 100,000 deep is refused at once with FILE:LINE:COL (exit 2)' '
	"$PY" -c "open(\"deep.yaml\", \"w\").write(\"version: 1\\nproperties: \" + \"[\" * 100000 + \"]\" * 100000 + \"\\n\")" &&
	rc=0; timeout 10 "$BIN" check -m deep.yaml >/dev/null 2>deep.err || rc=$? &&
	[ $rc = 2 ] && grep -q "deep.yaml:2:44: nested deeper than 32 levels" deep.err
'
test_done
