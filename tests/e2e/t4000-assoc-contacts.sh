#!/usr/bin/env bash
# Associations (issue #6): attendees → contacts, organizer → owner, domains → companies, each
# looked up once per run; excluded domains, rooms, declined and unknown attendees as configured.
. "$(dirname "$0")/lib.sh"
A="$ROOT/tests/assoc"
start_sandbox --seed "$A/seed.json"

# assocs TITLE KIND: the sorted ids of KIND (contacts, companies, deals) of the meeting TITLE.
assocs() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import json, sys
ms = [m for m in json.load(sys.stdin)["meetings"]
      if m["properties"].get("hs_meeting_title") == sys.argv[1] and not m["archived"]]
assert len(ms) == 1, "%d meetings titled %s" % (len(ms), sys.argv[1])
print(" ".join(sorted(ms[0]["associations"].get(sys.argv[2], []))))' "$1" "$2"
}
# owner TITLE: the meeting's hubspot_owner_id, or "none".
owner() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import json, sys
ms = [m for m in json.load(sys.stdin)["meetings"] if m["properties"].get("hs_meeting_title") == sys.argv[1]]
print(ms[0]["properties"].get("hubspot_owner_id") or "none")' "$1"
}
# calls PATH: requests the sandbox counted for "METHOD /path" (lib.sh asked).
calls() { asked "$1"; } # not counting those answered 429 (asked again)

test_expect_success 'import with unmatched attendees succeeds' '
	"$BIN" import --no-state -m "$A/mapping.yaml" --report report.json "$A/attendees.ics" 2>err ||
		{ cat err; false; }
	[ "$(jget report.json "d[\"totals\"][\"created\"]")" = 3 ]
'
test_expect_success 'attendees land on the right meetings, matched case-insensitively' '
	[ "$(assocs "Globex kickoff" contacts)" = "5101 5102" ] &&
	[ "$(assocs "Initech review" contacts)" = "5101 5103" ]
'
test_expect_success 'excluded domains, rooms and declined attendees are not associated' '
	# lena.fischer@mycompany.example (excluded domain) is a contact but stays off
	[ "$(assocs "Hooli demo" contacts)" = "5104" ]
'
test_expect_success 'attendee domains become companies (excluded domain and unknown ones left out)' '
	[ "$(assocs "Globex kickoff" companies)" = "8201" ] &&
	[ "$(assocs "Initech review" companies)" = "8201 8202" ] &&
	[ "$(assocs "Hooli demo" companies)" = "8203" ]
'
test_expect_success 'the organizer becomes the owner (e-mail case ignored)' '
	[ "$(owner "Globex kickoff")" = 71000001 ] &&
	[ "$(owner "Initech review")" = 71000002 ] &&
	[ "$(owner "Hooli demo")" = none ]
'
test_expect_success 'unmatched attendees and unmapped organizers are reported' '
	jget report.json "sorted(d[\"unmatched_attendees\"])" >unmatched &&
	printf "%s\n" jane.doe@globex.example sam.newman@initech.example someone@gmail.example >want &&
	diff want unmatched &&
	jget report.json "d[\"unmapped_organizers\"]" >unmapped &&
	echo guest.organizer@mycompany.example >want2 &&
	diff want2 unmapped
'
test_expect_success 'one request per kind of look-up, nothing created' '
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/read")" = 1 ] &&
	[ "$(calls "GET /crm/owners/2026-09")" = 1 ] &&
	[ "$(calls "POST /crm/objects/2026-09/companies/search")" = 1 ] &&
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/upsert")" = 0 ] &&
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/create")" = 0 ] &&
	[ "$(sandbox_get /_sandbox/contacts | jget - "len(d[\"contacts\"])")" = 7 ]
'
test_expect_success '--associate adds a static association to every meeting' '
	start_sandbox --seed "$A/seed.json" &&
	"$BIN" import --no-state -m "$A/mapping.yaml" --associate deal:1234 "$A/attendees.ics" 2>err &&
	[ "$(assocs "Globex kickoff" deals)" = 1234 ] &&
	[ "$(assocs "Hooli demo" deals)" = 1234 ] &&
	[ "$(assocs "Globex kickoff" contacts)" = "5101 5102" ]
'
test_done
