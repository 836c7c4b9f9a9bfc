#!/usr/bin/env bash
# exclude_domains: [owners] (issue #12): the domains of the portal's own users are not contacts or
# companies by default; subdomains too, free-mail domains never; a list without it turns it off.
. "$(dirname "$0")/lib.sh"

cat >seed.json <<-\EOT
{"owners": [
  {"id": "71000001", "email": "anna.berg@mycompany.example", "firstName": "Anna", "lastName": "Berg", "type": "PERSON"},
  {"id": "71000002", "email": "ravi.patel@mycompany.example", "firstName": "Ravi", "lastName": "Patel", "type": "PERSON"},
  {"id": "71000003", "email": "freelancer@gmail.com", "firstName": "Fre", "lastName": "Lancer", "type": "PERSON"}],
 "contacts": [
  {"id": "5101", "email": "erik@globex.example", "firstname": "Erik", "lastname": "L"},
  {"id": "5102", "email": "lena.fischer@mycompany.example", "firstname": "Lena", "lastname": "F"},
  {"id": "5103", "email": "ole@eu.mycompany.example", "firstname": "Ole", "lastname": "N"},
  {"id": "5104", "email": "pat@gmail.com", "firstname": "Pat", "lastname": "G"}],
 "companies": [
  {"id": "8201", "domain": "globex.example", "name": "Globex"},
  {"id": "8209", "domain": "mycompany.example", "name": "Us"},
  {"id": "8210", "domain": "eu.mycompany.example", "name": "Us EU"}]}
EOT
cat >cal.ics <<-\EOT
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//ics2hubspot//t4050//EN
BEGIN:VEVENT
UID:owners-1@test
DTSTAMP:20240501T080000Z
DTSTART:20240506T090000Z
DTEND:20240506T100000Z
SUMMARY:Globex kickoff
ORGANIZER;CN=Anna Berg:mailto:anna.berg@mycompany.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:lena.fischer@mycompany.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ole@eu.mycompany.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:erik@globex.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:pat@gmail.com
END:VEVENT
END:VCALENDAR
EOT
# mapping EXCLUDE: the shipped default's associations with contacts/companies exclude_domains EXCLUDE
# ("-" leaves the key out: the default).
mapping() {
	{
		printf 'version: 1\nidentity_property: ics2hubspot_key\nproperties:\n'
		printf '  hs_timestamp: "{{ start }}"\n  hs_meeting_title: "{{ summary }}"\n'
		printf '  hubspot_owner_id: "{{ organizer.owner_id }}"\nassociations:\n'
		if [ "$1" = - ]; then
			printf '  contacts: { from: attendees }\n  companies: { from: attendee_domains }\n'
		else
			printf '  contacts: { from: attendees, exclude_domains: %s }\n' "$1"
			printf '  companies: { from: attendee_domains, exclude_domains: %s }\n' "$1"
		fi
	} >map.yaml
}
# assocs KIND: the sorted ids of KIND of the one meeting.
assocs() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import json, sys
ms = [m for m in json.load(sys.stdin)["meetings"] if not m["archived"]]
assert len(ms) == 1, "%d meetings" % len(ms)
print(" ".join(sorted(ms[0]["associations"].get(sys.argv[1], []))))' "$1"
}
calls() { asked "$1"; } # not counting those answered 429 (asked again)

start_sandbox --seed seed.json
test_expect_success 'by default the owners'"'"' domains (and subdomains) are neither contacts nor companies' '
	mapping - &&
	"$BIN" import --no-state -m map.yaml --report r.json cal.ics 2>err || { cat err; false; }
	[ "$(assocs contacts)" = "5101 5104" ] &&
	[ "$(assocs companies)" = "8201" ] &&
	[ "$(calls "GET /crm/owners/2026-09")" = 1 ] &&
	[ "$(jget r.json "len(d[\"unmatched_attendees\"])")" = 0 ]
'
start_sandbox --seed seed.json
test_expect_success 'the shipped default mapping says [owners] and does the same' '
	grep -q "exclude_domains: \[owners\]" "$ROOT/mappings/default.yaml" &&
	"$BIN" import --no-state -m "$ROOT/mappings/default.yaml" cal.ics 2>err || { cat err; false; }
	[ "$(assocs contacts)" = "5101 5104" ] && [ "$(assocs companies)" = "8201" ]
'
start_sandbox --seed seed.json
test_expect_success '[owners, more] combines; an owner with a free-mail address does not exclude free mail' '
	mapping "[owners, globex.example]" &&
	"$BIN" import --no-state -m map.yaml cal.ics 2>err || { cat err; false; }
	[ "$(assocs contacts)" = "5104" ] && [ "$(assocs companies)" = "" ]
'
start_sandbox --seed seed.json
test_expect_success 'exclude_domains: [] turns it off: colleagues are associated again' '
	mapping "[]" &&
	"$BIN" import --state st.db -m map.yaml cal.ics 2>err || { cat err; false; }
	[ "$(assocs contacts)" = "5101 5102 5103 5104" ] &&
	[ "$(assocs companies)" = "8201 8209 8210" ]
'
test_expect_success 'an existing meeting loses its colleague associations when [owners] is switched on' '
	mapping "[owners]" &&
	"$BIN" import --state st.db -m map.yaml --report r2.json cal.ics 2>err || { cat err; false; }
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(assocs contacts)" = "5101 5104" ] && [ "$(assocs companies)" = "8201" ]
'
"$PY" -c "
import json
d = json.load(open('seed.json'))
d['owners'] = [{'id': str(72000000 + i), 'email': 'user%d@bigcorp%d.example' % (i, i), 'type': 'PERSON'}
               for i in range(250)] + d['owners']
json.dump(d, open('seed-big.json', 'w'))"
start_sandbox --seed seed-big.json
test_expect_success 'the owners are read in full (every page) when they are excluded' '
	mapping - &&
	"$BIN" import --no-state -m map.yaml cal.ics 2>err || { cat err; false; }
	[ "$(calls "GET /crm/owners/2026-09")" = 3 ] &&
	[ "$(assocs contacts)" = "5101 5104" ]
'
test_expect_success 'check accepts the keyword; a bad domain is still refused' '
	mapping "[owners]" && "$BIN" check -m map.yaml >out 2>err &&
	mapping "[owners, nodot]" &&
	! "$BIN" check -m map.yaml >out 2>err &&
	grep -q "map.yaml:.*'"'"'nodot'"'"' in '"'"'associations.contacts.exclude_domains'"'"' is not a domain name" err
'
test_done
