#!/usr/bin/env bash
# An exact plan (issue #12 item 4): with a token, --dry-run makes every look-up a real run makes
# (contacts, owners, companies, identity and hs_i_cal_uid searches) and no write; its report has a
# real run's totals and each occurrence's planned outcome. Each scenario runs as a dry run, then
# as the real run: equal totals, equal outcomes, equal exit codes, and no write in the dry run.
. "$(dirname "$0")/lib.sh"

cat >seed.json <<-\EOT
{"owners": [{"id": "71000001", "email": "anna@mycompany.example", "firstName": "Anna", "lastName": "B", "type": "PERSON"}],
 "contacts": [
  {"id": "5101", "email": "erik@globex.example", "firstname": "Erik", "lastname": "L"},
  {"id": "5102", "email": "priya@globex.example", "firstname": "Priya", "lastname": "N"},
  {"id": "5103", "email": "lena@mycompany.example", "firstname": "Lena", "lastname": "F"}],
 "companies": [{"id": "8201", "domain": "globex.example", "name": "Globex"}]}
EOT
start_sandbox --seed seed.json

# cal FILE N [EXTRA]: N weekly meetings (E1..EN) organised by an owner with a colleague and a
# contact; EXTRA is sed applied to the result.
cal() {
	{
		printf "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t5110//EN\r\n"
		for i in $(seq 1 "$2"); do
			printf "BEGIN:VEVENT\r\nUID:e%s@t5110\r\nDTSTAMP:20240101T000000Z\r\n" "$i"
			printf "DTSTART:202406%02dT090000Z\r\nDTEND:202406%02dT100000Z\r\nSUMMARY:E%s\r\n" "$i" "$i" "$i"
			printf "ORGANIZER:mailto:anna@mycompany.example\r\n"
			printf "ATTENDEE;PARTSTAT=ACCEPTED:mailto:lena@mycompany.example\r\n"
			printf "ATTENDEE;PARTSTAT=ACCEPTED:mailto:erik@globex.example\r\nEND:VEVENT\r\n"
		done
		printf "END:VCALENDAR\r\n"
	} | sed "${3:-}" >"$1"
}
writes() {
	sandbox_get /_sandbox/stats | jget - "d[\"writes\"]"
}
# pair NAME ARGS...: `import -n` then `import` with ARGS.
pair() {
	local name=$1 w0 rc1=0 rc2=0
	shift
	w0=$(writes)
	"$BIN" import -n --state st.db --since 2024-06-01 --until 2024-07-01 --report "$name-dry.json" "$@" \
		>"$name.plan" 2>"$name-dry.err" || rc1=$?
	[ "$(writes)" = "$w0" ] || { echo "$name: the dry run wrote"; return 1; }
	! grep -q "dry run without a token" "$name-dry.err" || { echo "$name: no token?"; return 1; }
	"$BIN" import --state st.db --since 2024-06-01 --until 2024-07-01 --report "$name-real.json" "$@" \
		2>"$name-real.err" || rc2=$?
	[ "$rc1" = "$rc2" ] || { echo "$name: exit $rc1 (dry) vs $rc2"; cat "$name-dry.err" "$name-real.err"; return 1; }
	jget "$name-dry.json" "{k: v for k, v in d[\"totals\"].items() if k != \"planned\"}" >"$name-dry.totals"
	jget "$name-real.json" "d[\"totals\"]" >"$name-real.totals"
	diff "$name-dry.totals" "$name-real.totals" || return 1
	jget "$name-dry.json" "sorted(o[\"key\"] + \" \" + o[\"outcome\"] for o in d[\"occurrences\"])" >"$name-dry.out"
	jget "$name-real.json" "sorted(o[\"key\"] + \" \" + o[\"outcome\"] for o in d[\"occurrences\"])" >"$name-real.out"
	diff "$name-dry.out" "$name-real.out"
}
total() {
	jget "$1-real.json" "d[\"totals\"][\"$2\"]"
}

test_expect_success 'first run: 15 to create, created' '
	cal c.ics 15 && pair first c.ics &&
	[ "$(total first created)" = 15 ] &&
	[ "$(jget first-dry.json "d[\"totals\"][\"planned\"]")" = 15 ]
'
test_expect_success 'the dry run looked up what the real run looked up (contacts, owners, companies)' '
	grep -q "^create " first.plan &&
	[ "$(asked "GET /crm/owners/2026-09")" = 2 ] &&
	[ "$(asked "POST /crm/objects/2026-09/contacts/batch/read")" = 2 ]
'
test_expect_success 'unchanged: nothing planned, nothing done' '
	pair same c.ics && [ "$(total same unchanged)" = 15 ] &&
	[ "$(jget same-dry.json "d[\"totals\"][\"planned\"]")" = 0 ]
'
test_expect_success 'an edit: one update' '
	cal c.ics 15 "s/SUMMARY:E3\r/SUMMARY:E3 renamed\r/" && pair edit c.ics &&
	[ "$(total edit updated)" = 1 ] && [ "$(total edit unchanged)" = 14 ]
'
test_expect_success 'an attendee change: one update (associations looked up in the dry run)' '
	cal c.ics 15 "s/SUMMARY:E3\r/SUMMARY:E3 renamed\r/; /UID:e2@/a ATTENDEE;PARTSTAT=ACCEPTED:mailto:priya@globex.example\r" &&
	grep -c priya c.ics | grep -qx 1 && pair attendee c.ics &&
	[ "$(total attendee updated)" = 1 ] && [ "$(total attendee unchanged)" = 14 ]
'
test_expect_success 'a colleague added (owners'"'"' domain): no change, in the plan too' '
	sed "/UID:e5@/a ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone.else@mycompany.example\r" c.ics >c2.ics &&
	mv c2.ics c.ics && pair colleague c.ics && [ "$(total colleague unchanged)" = 15 ]
'
test_expect_success 'a removal: one archived' '
	"$PY" - c.ics c2.ics <<-\EOP &&
	import re, sys
	t = open(sys.argv[1], newline="").read()
	t = re.sub(r"BEGIN:VEVENT\r\nUID:e4@t5110\r\n.*?END:VEVENT\r\n", "", t, flags=re.S)
	open(sys.argv[2], "w", newline="").write(t)
	EOP
	mv c2.ics c.ics && pair removal c.ics &&
	[ "$(total removal archived)" = 1 ] && [ "$(total removal unchanged)" = 14 ]
'
test_expect_success 'the safety valve: 11 of 14 removed is held back, in the plan too' '
	"$PY" - c.ics c2.ics <<-\EOP &&
	import re, sys
	t = open(sys.argv[1], newline="").read()
	for i in range(5, 16):
	    t = re.sub(r"BEGIN:VEVENT\r\nUID:e%d@t5110\r\n.*?END:VEVENT\r\n" % i, "", t, flags=re.S)
	open(sys.argv[2], "w", newline="").write(t)
	EOP
	cp c.ics keep.ics && mv c2.ics c.ics && pair valve c.ics &&
	[ "$(total valve archived)" = 0 ] && [ "$(total valve unchanged)" = 3 ] &&
	grep -q "safety valve" valve-dry.err
'
test_expect_success 'adopt: a lost state; the dry run finds the meetings in HubSpot as the real run does' '
	mv keep.ics c.ics && rm -f st.db && pair adopt c.ics &&
	[ "$(total adopt created)" = 0 ] && [ "$(total adopt unchanged)" = 14 ]
'
test_expect_success 'without a token the dry run says what it could not know' '
	rc=0; env -u HUBSPOT_ACCESS_TOKEN "$BIN" import -n --state st.db c.ics >plan 2>err || rc=$?
	[ $rc = 0 ] && grep -q "dry run without a token: not looked up in HubSpot" err
'
test_done
