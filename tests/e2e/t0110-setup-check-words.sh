#!/usr/bin/env bash
# One way forward from every stop (issue 24 items 1, 2, 6, 7): setup creates the mapping's custom
# properties (or prints the exact steps), a property the mapping writes that is missing is exit 3
# from setup, check --remote and import alike, check --remote names the values that are not
# options (exit 1, as import fails those meetings), setup -q is quiet, and check --remote previews
# what import sends: no colleague as a contact, not your own domain as a company.
. "$(dirname "$0")/lib.sh"
start_sandbox --fresh --seed "$ROOT/samples/hubspot-seed.json"
exit_code() { if "$@" >/dev/null 2>>"$TRASH/exit.err"; then echo 0; else echo $?; fi; }
writes() { sandbox_get /_sandbox/stats | jget - "d[\"writes\"]"; }
prop() { curl -sS --fail -H "Authorization: Bearer test-token" "$SANDBOX_URL/crm/properties/2026-09/meetings/$1"; }

cat >team.ics <<'EOT'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//t0110//EN
BEGIN:VEVENT
UID:review@customer.example
DTSTAMP:20260101T000000Z
DTSTART:20300105T100000Z
DTEND:20300105T110000Z
SUMMARY:Review
X-OUTCOME:PERHAPS
X-BUDGET:1200
ORGANIZER:mailto:anna.berg@mycompany.example
ATTENDEE:mailto:ravi.patel@mycompany.example
ATTENDEE:mailto:client@customer.example
END:VEVENT
BEGIN:VEVENT
UID:offsite-2030@mycompany.example
DTSTAMP:20260101T000000Z
DTSTART:20300106T100000Z
DTEND:20300106T110000Z
SUMMARY:Offsite
X-OUTCOME:PERHAPS
END:VEVENT
BEGIN:VEVENT
UID:done@customer.example
DTSTAMP:20260101T000000Z
DTSTART:20300107T100000Z
DTEND:20300107T110000Z
SUMMARY:Done
X-OUTCOME:completed
END:VEVENT
END:VCALENDAR
EOT
cat >my.yaml <<'EOT'
version: 1
custom_properties: [my_custom_prop, {my_budget: number}]
properties:
  hs_timestamp: "{{ start }}"
  hs_meeting_title: "{{ summary }}"
  my_custom_prop: "{{ summary | upper }}"
  my_budget: "{{ x['X-BUDGET'] }}"
EOT

test_expect_success 'setup --dry-run says which custom properties it would create, and creates nothing' '
	"$BIN" setup -n -m my.yaml >out 2>err &&
	[ ! -s out ] &&
	grep -q "meeting property .my_custom_prop. (Single-line text, from my.yaml:2): would be created" err &&
	grep -q "meeting property .my_budget. (Number, from my.yaml:2): would be created" err &&
	grep -q "every property it writes exists or would be created" err &&
	grep -q "dry run: nothing was created; next: ics2hubspot setup -m my.yaml$" err &&
	[ "$(writes)" = 0 ]
'
test_expect_success 'setup creates them (text unless the mapping says a type); -q prints nothing' '
	"$BIN" setup -q -m my.yaml >out 2>err &&
	[ ! -s out ] && [ ! -s err ] &&
	prop my_custom_prop >p1.json && prop my_budget >p2.json &&
	[ "$(jget p1.json "d[\"type\"] + \",\" + d[\"fieldType\"] + \",\" + d[\"groupName\"]")" = string,text,ics2hubspot ] &&
	[ "$(jget p2.json "d[\"type\"] + \",\" + d[\"fieldType\"]")" = number,number ] &&
	"$BIN" setup -m my.yaml 2>err &&
	grep -q "next: ics2hubspot import -m my.yaml CALENDAR" err && ! grep -q "created" err
'
test_expect_success 'import after setup: the custom properties are written' '
	"$BIN" import -q -m my.yaml --no-state team.ics 2>err &&
	sandbox_get /_sandbox/meetings >m.json &&
	[ "$(jget m.json "sorted(m[\"properties\"].get(\"my_custom_prop\", \"\") for m in d[\"meetings\"])")" = "$(printf "DONE\nOFFSITE\nREVIEW")" ]
'
test_expect_success 'a property setup cannot create: exact steps, and exit 3 from setup, check --remote and import' '
	cat >drop.yaml <<-\EOT &&
	version: 1
	custom_properties: [{deal_stage_pick: select}]
	properties:
	  hs_timestamp: "{{ start }}"
	  deal_stage_pick: "{{ x[\"X-STAGE\"] }}"
	EOT
	rc=0; "$BIN" setup -m drop.yaml >out 2>err || rc=$?
	[ $rc = 3 ] && [ ! -s out ] &&
	grep -q "error: drop.yaml:2: setup cannot create the meeting property .deal_stage_pick. (a dropdown needs its options); create it in HubSpot: Settings > Properties > Meeting properties > Create property, internal name .deal_stage_pick., field type .Dropdown select., with the options the mapping sends; then run: ics2hubspot setup -m drop.yaml$" err &&
	[ "$(grep -c deal_stage_pick err)" = 1 ] &&
	rc=0; "$BIN" check --remote -m drop.yaml >out 2>err || rc=$?
	[ $rc = 3 ] &&
	grep -q "error: drop.yaml:5: the meeting property .deal_stage_pick. does not exist in your portal; to create it: ics2hubspot setup -m drop.yaml$" err &&
	rc=0; "$BIN" import -m drop.yaml --no-state team.ics >out 2>err || rc=$?
	[ $rc = 3 ] && grep -q "ics2hubspot setup" err
'
test_expect_success 'check --remote: a value the calendar brings that is not an option is exit 1, named with the options and the line' '
	cat >outcome.yaml <<-\EOT &&
	version: 1
	properties:
	  hs_timestamp: "{{ start }}"
	  hs_meeting_title: "{{ summary }}"
	  hs_meeting_outcome: "{{ x[\"X-OUTCOME\"] }}"
	EOT
	rc=0; "$BIN" check --remote -m outcome.yaml team.ics >out 2>err || rc=$?
	[ $rc = 1 ] &&
	grep -q "error: 2 meetings: .PERHAPS. is not an option of hs_meeting_outcome in your portal (allowed: SCHEDULED, COMPLETED, RESCHEDULED, NO_SHOW, CANCELED); map it in outcome.yaml:5$" err &&
	! grep -q "completed" err &&
	grep -q "3 occurrences: 3 to import" out &&
	rc=0; "$BIN" check --remote --json -m outcome.yaml team.ics >c.json 2>err || rc=$?
	[ $rc = 1 ] &&
	[ "$(jget c.json "[\"%s %d %s\" % (v[\"value\"], v[\"meetings\"], v[\"mapping\"]) for v in d[\"invalid_values\"]]")" = "PERHAPS 2 outcome.yaml:5" ] &&
	rc=0; "$BIN" check -m outcome.yaml team.ics >out 2>err || rc=$?
	[ $rc = 0 ]
'
test_expect_success 'check --remote: a value the mapping maps to is checked too, with its line' '
	cat >mapped.yaml <<-\EOT &&
	version: 1
	properties:
	  hs_timestamp: "{{ start }}"
	  hs_meeting_outcome:
	    value: "{{ x[\"X-OUTCOME\"] }}"
	    map: { PERHAPS: MAYBE, COMPLETED: COMPLETED }
	    default: SCHEDULED
	EOT
	rc=0; "$BIN" check --remote -m mapped.yaml team.ics >out 2>err || rc=$?
	[ $rc = 1 ] &&
	[ "$(grep -c "MAYBE" err)" = 2 ] &&
	grep -q "error: mapped.yaml:6: .MAYBE. is not an option of hs_meeting_outcome in your portal (allowed: SCHEDULED, COMPLETED, RESCHEDULED, NO_SHOW, CANCELED); map it to one of them" err
'
test_expect_success 'check previews what import sends: --remote leaves out colleagues and your own domain' '
	cat >assoc.yaml <<-\EOT &&
	version: 1
	properties:
	  hs_timestamp: "{{ start }}"
	associations:
	  contacts: { from: attendees }
	  companies: { from: attendee_domains }
	EOT
	"$BIN" check --remote -m assoc.yaml --json team.ics >a.json 2>err &&
	[ "$(jget a.json "d[\"preview\"][0][\"contacts\"]")" = client@customer.example ] &&
	[ "$(jget a.json "d[\"preview\"][0][\"companies\"]")" = customer.example ] &&
	[ "$(jget a.json "d[\"owners_excluded\"]")" = True ] &&
	"$BIN" check --remote -m assoc.yaml team.ics >a.txt 2>err &&
	grep -q "^      contacts  *client@customer.example$" a.txt &&
	grep -q "^      companies  *customer.example$" a.txt &&
	! grep -q "^      \(contacts\|companies\) .*mycompany.example" a.txt &&
	"$BIN" check -m assoc.yaml team.ics >b.txt 2>err &&
	grep -q "import also leaves out the portal.s users (colleagues) and your own company.s domain (exclude_domains: \[owners\]); .check --remote. applies it to this preview" err &&
	"$BIN" check -m assoc.yaml --json team.ics >b.json 2>err &&
	[ "$(jget b.json "d[\"owners_excluded\"]")" = False ] &&
	[ "$(jget b.json "sorted(d[\"preview\"][0][\"companies\"])")" = "$(printf "customer.example\nmycompany.example")" ]
'
test_done
