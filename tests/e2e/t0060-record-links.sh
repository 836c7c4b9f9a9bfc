#!/usr/bin/env bash
# Record links (issue #13 item 7): with the portal known (account-info's portalId and uiDomain),
# every report entry with a HubSpot id carries the meeting's page in HubSpot, and -v prints it;
# with the portal not known (dry run, account details refused, an implausible uiDomain), no link and
# no error.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s --portal-id 4242001 --ui-domain app-eu1.hubspot.com
PREFIX=https://app-eu1.hubspot.com/contacts/4242001/record/0-47/

# links FILE OUTCOME: "ok" when every entry of that outcome (at least one) has hubspot_url =
# PREFIX + hubspot_id, else what is wrong.
links() {
	jget "$1" "(lambda es: \"ok\" if es and all(e[\"hubspot_url\"] == \"$PREFIX\" + e[\"hubspot_id\"] for e in es) else es)([e for e in d[\"occurrences\"] if e[\"outcome\"] == \"$2\"])"
}
no_links() {
	jget "$1" "all(e[\"hubspot_url\"] is None for e in d[\"occurrences\"]) and len(d[\"occurrences\"]) > 0"
}

test_expect_success 'created meetings: the report and -v carry each record URL (uiDomain and portal id from account-info)' '
	"$PY" "$Y/gen.py" 6 cal.ics --weekly 3 &&
	"$BIN" import -v -m "$Y/archive.yaml" --state st.db --report r1.json cal.ics 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 9 ] &&
	[ "$(links r1.json created)" = ok ] &&
	[ "$(grep -c "^ics2hubspot: created [^ ]*: ${PREFIX}[0-9][0-9]*$" err)" = 9 ] &&
	id=$(jget r1.json "[e[\"hubspot_id\"] for e in d[\"occurrences\"] if e[\"key\"] == \"sync-0@example.test\"][0]") &&
	grep -qx "ics2hubspot: created sync-0@example.test: $PREFIX$id" err &&
	[ "$(sandbox_get /_sandbox/meetings | jget - "[m[\"id\"] for m in d[\"meetings\"] if m[\"properties\"].get(\"ics2hubspot_key\") == \"sync-0@example.test\"]")" = "$id" ]
'
test_expect_success 'updated meetings link to their page; an archived one has no link (its page is gone)' '
	"$PY" "$Y/gen.py" 6 cal.ics --weekly 3 --retitle 1=Renamed --drop 2 &&
	"$BIN" import -v -m "$Y/archive.yaml" --state st.db --report r2.json cal.ics 2>err &&
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"archived\"]")" = 1 ] &&
	[ "$(links r2.json updated)" = ok ] && [ "$(links r2.json unchanged)" = ok ] &&
	[ "$(jget r2.json "[e[\"hubspot_url\"] for e in d[\"occurrences\"] if e[\"outcome\"] == \"archived\"]")" = None ] &&
	grep -q "^ics2hubspot: updated sync-1@example.test: $PREFIX" err &&
	! grep -q "^ics2hubspot: archived" err
'
test_expect_success 'without -v no link is printed (the report still has them)' '
	"$PY" "$Y/gen.py" 6 cal.ics --weekly 3 --retitle 1=Again --drop 2 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r3.json cal.ics 2>err &&
	! grep -q "record/0-47" err && [ "$(links r3.json updated)" = ok ]
'
test_expect_success 'a quiet re-run (nothing sent) links too: the portal is remembered in the state' '
	before=$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]") &&
	"$BIN" import -v -m "$Y/archive.yaml" --state st.db --report r3q.json cal.ics 2>err &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]")" = "$before" ] &&
	[ "$(links r3q.json unchanged)" = ok ] &&
	[ "$(grep -c "^ics2hubspot: unchanged [^ ]*: ${PREFIX}[0-9][0-9]*$" err)" = 8 ]
'
test_expect_success 'a dry run without a token: no link, no error' '
	"$PY" "$Y/gen.py" 6 cal.ics --weekly 3 --retitle 1=Dry &&
	env -u HUBSPOT_ACCESS_TOKEN "$BIN" import -n -v -m "$Y/archive.yaml" --state st.db --report r4.json cal.ics >out 2>err &&
	[ "$(no_links r4.json)" = True ] &&
	! grep -q "record/0-47" err out && ! grep -q "error" err
'
test_expect_success 'account details refused: exit 3, one error, nothing created, no link' '
	sandbox_post /_sandbox/config "{\"account_info\": false}" >/dev/null &&
	"$PY" "$Y/gen.py" 4 other.ics --uid-prefix other &&
	rc=0; "$BIN" import -v -m "$Y/archive.yaml" --state st2.db --report r5.json other.ics 2>err || rc=$?
	[ $rc = 3 ] && grep -q "cannot learn" err &&
	[ "$(jget r5.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	! grep -q "record/0-47" err &&
	sandbox_post /_sandbox/config "{\"account_info\": true}" >/dev/null
'
test_expect_success 'a uiDomain that is not a host name is never put in a link' '
	sandbox_post /_sandbox/config "{\"ui_domain\": \"evil.example/x?\"}" >/dev/null &&
	"$PY" "$Y/gen.py" 3 third.ics --uid-prefix third &&
	"$BIN" import -v -m "$Y/archive.yaml" --state st3.db --report r6.json third.ics 2>err &&
	[ "$(jget r6.json "d[\"totals\"][\"created\"]")" = 3 ] &&
	[ "$(no_links r6.json)" = True ] && ! grep -q "evil" err r6.json &&
	sandbox_post /_sandbox/config "{\"ui_domain\": \"app-eu1.hubspot.com\"}" >/dev/null
'
test_done
