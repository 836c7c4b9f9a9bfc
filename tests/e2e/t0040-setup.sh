#!/usr/bin/env bash
# setup: a fresh portal made ready (token, portal id, property group, identity property, mapping).
. "$(dirname "$0")/lib.sh"
start_sandbox --fresh --portal-id 31337
READS='"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.companies.read", "crm.objects.owners.read"'

writes() { sandbox_get /_sandbox/stats | jget - 'd["writes"]'; }

test_expect_success 'setup --dry-run says what it would create and creates nothing' '
	"$BIN" setup --dry-run >out 2>err &&
	[ ! -s out ] &&
	grep -qx "ics2hubspot: portal 31337 (app.hubspot.com, US/Eastern)" err &&
	[ "$(grep -c "property group .ics2hubspot.: would be created" err)" = 1 ] &&
	grep -q "meeting property .ics2hubspot_key.: would be created" err &&
	grep -q "dry run: nothing was created; next: ics2hubspot setup$" err &&
	[ "$(writes)" = 0 ] &&
	! curl -sS --fail -H "Authorization: Bearer test-token" \
		"$SANDBOX_URL/crm/properties/2026-09/meetings/ics2hubspot_key" 2>/dev/null
'
test_expect_success 'setup creates the group and the identity property, then finds them' '
	"$BIN" setup >out 2>err &&
	[ ! -s out ] &&
	grep -q "property group .ics2hubspot.: created" err &&
	grep -q "meeting property .ics2hubspot_key.: created" err &&
	grep -q "every property it writes exists" err &&
	grep -q "next: ics2hubspot import CALENDAR" err &&
	curl -sS --fail -H "Authorization: Bearer test-token" \
		"$SANDBOX_URL/crm/properties/2026-09/meetings/ics2hubspot_key" >prop.json &&
	[ "$(jget prop.json "d[\"type\"]+\",\"+d[\"fieldType\"]+\",\"+d[\"groupName\"]")" = string,text,ics2hubspot ] &&
	"$BIN" setup 2>out2 &&
	grep -q "meeting property .ics2hubspot_key.: found" out2 &&
	! grep -q created out2 &&
	"$BIN" setup -q >out 2>err && [ ! -s out ] && [ ! -s err ]
'
test_expect_success 'a wrong token: exit 3, one message about the token, never the token' '
	rc=0; HUBSPOT_ACCESS_TOKEN=wrong-secret-456 "$BIN" setup >out 2>err || rc=$?
	[ $rc = 3 ] && [ "$(wc -l <err)" = 1 ] && grep -q "access token" err &&
	! grep -q wrong-secret-456 out err
'
test_expect_success 'a missing scope: exit 3, the scope is named' '
	sandbox_post /_sandbox/reset "{\"schema\": false}" >/dev/null &&
	sandbox_post /_sandbox/config "{\"scopes\": [$READS]}" >/dev/null &&
	rc=0; "$BIN" setup >out 2>err || rc=$?
	[ $rc = 3 ] && grep -q "crm.schemas.contacts.write" err &&
	grep -q "then run: ics2hubspot setup$" err &&
	grep -q "^ics2hubspot: scopes: reading meetings, attendee contacts, attendee companies, the organizer as owner: granted" err
'
test_expect_success 'a token without the oauth scope: exit 3, the account details refused, the scope named, no legacy fall-back' '
	sandbox_post /_sandbox/config "{\"token_kind\": \"private-app\", \"scopes\": [\"crm.objects.contacts.read\", \"crm.objects.contacts.write\", \"crm.objects.companies.read\", \"crm.objects.owners.read\", \"crm.schemas.contacts.write\"]}" >/dev/null &&
	rc=0; "$BIN" setup 2>err || rc=$?
	{ [ $rc = 3 ] && grep -q "cannot learn" err && grep -q "oauth" err; } || { echo rc=$rc; cat err; false; }
	sandbox_post /_sandbox/config "{\"scopes\": [$READS, \"crm.schemas.contacts.write\"]}" >/dev/null &&
	"$BIN" setup 2>err &&
	{ grep -q "^ics2hubspot: portal 31337 " err && grep -q "meeting property .ics2hubspot_key.: created" err; } || { cat err; false; }
'
test_expect_success 'a mapping property the portal lacks: exit 2, named' '
	cat >m.yaml <<-\EOT &&
	version: 1
	properties:
	  hs_timestamp: "{{ start }}"
	  my_custom_thing: "{{ summary }}"
	EOT
	rc=0; "$BIN" setup -m m.yaml >out 2>err || rc=$?
	[ $rc = 2 ] && grep -q my_custom_thing err
'
test_done
