#!/usr/bin/env bash
# create_missing: true — unknown attendees become contacts by batch/upsert (by e-mail), named
# from their CN, never twice: not within a run, not across runs.
. "$(dirname "$0")/lib.sh"
A="$ROOT/tests/assoc"
start_sandbox --seed "$A/seed.json"

contacts_json() {
	sandbox_get /_sandbox/contacts >contacts.json
}
# prop EMAIL PROPERTY: a contact's property, "none" when unset.
prop() {
	"$PY" -c '
import json, sys
cs = [c for c in json.load(open("contacts.json"))["contacts"]
      if (c["properties"].get("email") or "").lower() == sys.argv[1]]
assert len(cs) == 1, "%d contacts with %s" % (len(cs), sys.argv[1])
c = cs[0]
print(c["id"] if sys.argv[2] == "id" else (c["properties"].get(sys.argv[2]) or "none"))' "$1" "$2"
}
calls() { asked "$1"; } # not counting those answered 429 (asked again)

test_expect_success 'missing attendees are created as contacts and associated' '
	"$BIN" import --state st.db -m "$A/create-missing.yaml" --report r1.json "$A/attendees.ics" 2>err ||
		{ cat err; false; }
	contacts_json &&
	[ "$(jget contacts.json "len(d[\"contacts\"])")" = 10 ] &&
	id=$(prop jane.doe@globex.example id) &&
	sandbox_get /_sandbox/meetings >meetings.json &&
	jget meetings.json "[m for m in d[\"meetings\"] if m[\"properties\"][\"hs_meeting_title\"]==\"Globex kickoff\"][0][\"associations\"][\"contacts\"]" >globex &&
	grep -qx "$id" globex && grep -qx 5101 globex && [ "$(wc -l <globex)" = 3 ]
'
test_expect_success 'names come from the CN ("Doe, Jane", "Sam Newman", an address: none)' '
	[ "$(prop jane.doe@globex.example firstname)" = Jane ] &&
	[ "$(prop jane.doe@globex.example lastname)" = Doe ] &&
	[ "$(prop sam.newman@initech.example firstname)" = Sam ] &&
	[ "$(prop sam.newman@initech.example lastname)" = Newman ] &&
	[ "$(prop someone@gmail.example firstname)" = none ]
'
test_expect_success 'nothing is reported unmatched; created by upsert, never by create' '
	[ "$(jget r1.json "len(d[\"unmatched_attendees\"])")" = 0 ] &&
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/upsert")" = 1 ] &&
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/create")" = 0 ]
'
test_expect_success 'a second run creates no contact again' '
	"$BIN" import --state st.db -m "$A/create-missing.yaml" "$A/attendees.ics" 2>err2 ||
		{ cat err2; false; }
	contacts_json &&
	[ "$(jget contacts.json "len(d[\"contacts\"])")" = 10 ] &&
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/upsert")" = 1 ]
'
test_expect_success 'a lost upsert answer is retried without a duplicate' '
	start_sandbox --seed "$A/seed.json" &&
	sandbox_post /_sandbox/faults "{\"faults\":[{\"method\":\"POST\",\"path\":\"/crm/objects/2026-09/contacts/batch/upsert\",\"action\":\"store_then_status\",\"status\":502,\"count\":1}]}" &&
	ICS2HUBSPOT_RETRY_BUDGET_MS=20000 "$BIN" import --no-state -m "$A/create-missing.yaml" "$A/attendees.ics" 2>err3 ||
		{ cat err3; false; }
	contacts_json &&
	[ "$(jget contacts.json "len(d[\"contacts\"])")" = 10 ] &&
	[ "$(calls "POST /crm/objects/2026-09/contacts/batch/upsert")" = 2 ]
'
test_done
