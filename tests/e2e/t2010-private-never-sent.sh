#!/usr/bin/env bash
# With the default mapping, private and confidential events never reach HubSpot (against the sandbox).
. "$(dirname "$0")/lib.sh"
start_sandbox --seed "$ROOT/samples/hubspot-seed.json"
S="$ROOT/samples"

# A calendar of our own, with a private series, a confidential event and a public one.
cat >private.ics <<'ICS'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//ics2hubspot//e2e//EN
BEGIN:VEVENT
UID:private-series@e2e.example
DTSTAMP:20260101T000000Z
DTSTART:20260105T090000Z
DTEND:20260105T093000Z
RRULE:FREQ=WEEKLY;COUNT=4
CLASS:PRIVATE
SUMMARY:Doctor appointment SECRET-TITLE-1
DESCRIPTION:SECRET-BODY-1
ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone@client.example
END:VEVENT
BEGIN:VEVENT
UID:confidential@e2e.example
DTSTAMP:20260101T000000Z
DTSTART:20260107T140000Z
DTEND:20260107T150000Z
CLASS:CONFIDENTIAL
SUMMARY:Salary talk SECRET-TITLE-2
END:VEVENT
BEGIN:VEVENT
UID:public@e2e.example
DTSTAMP:20260101T000000Z
DTSTART:20260108T140000Z
DTEND:20260108T150000Z
CLASS:PUBLIC
SUMMARY:Customer demo PUBLIC-TITLE
ATTENDEE;PARTSTAT=ACCEPTED:mailto:buyer@client.example
END:VEVENT
END:VCALENDAR
ICS

test_expect_success 'import with the default mapping: the public events are created' '
	"$BIN" import --no-state --report report.json private.ics "$S"/outlook-export.ics "$S"/google-export.ics >out 2>err &&
	sandbox_get /_sandbox/meetings >meetings.json &&
	jget meetings.json "[m[\"properties\"].get(\"hs_meeting_title\") for m in d[\"meetings\"]]" >titles &&
	grep -q "PUBLIC-TITLE" titles
'
test_expect_success 'no private or confidential title, body or key is in HubSpot' '
	[ -s titles ] && grep -q "PUBLIC-TITLE" titles &&
	! grep -q "SECRET" titles &&
	! jget meetings.json "d" | grep -q "SECRET" &&
	! jget meetings.json "[m[\"properties\"].get(\"ics2hubspot_key\") for m in d[\"meetings\"]]" | grep -q "private-series\|confidential@"
'
test_expect_success 'the private events of the sample exports are not in HubSpot either' '
	"$BIN" expand "$S"/outlook-export.ics "$S"/google-export.ics >occ.ndjson 2>/dev/null || true
	[ -s occ.ndjson ] && [ -s meetings.json ] &&
	/usr/bin/python3 - occ.ndjson meetings.json <<-PY
	import json, sys
	occ = [json.loads(l) for l in open(sys.argv[1])]
	private = {o["summary"] for o in occ if o.get("class") in ("PRIVATE", "CONFIDENTIAL")}
	sent = {m["properties"].get("hs_meeting_title") for m in json.load(open(sys.argv[2]))["meetings"]}
	assert private, "the samples should hold private events"
	assert not (private & sent), private & sent
	PY
'
test_expect_success 'nothing private was even in a request body sent to HubSpot' '
	sandbox_get "/_sandbox/requests?bodies=1" >reqs.json &&
	grep -q "PUBLIC-TITLE" reqs.json &&
	! grep -q "SECRET" reqs.json
'
test_expect_success 'the report lists each private occurrence as skipped by filters.skip_private' '
	jget report.json "sorted(o[\"reason\"] for o in d[\"occurrences\"] if o[\"key\"].startswith((\"private-series\", \"confidential@\")))" >reasons &&
	[ "$(grep -o "filters.skip_private" reasons | wc -l)" = 5 ] &&
	grep -q "CLASS:PRIVATE" reasons && grep -q "CLASS:CONFIDENTIAL" reasons
'
test_expect_success 'the report does not leak the private titles either' '
	[ -s report.json ] &&
	! grep -q "SECRET-BODY" report.json
'
test_done
