#!/usr/bin/env bash
# HubSpot's date-based API (issue #22): every request at 2026-09 (or 2026-03 when asked), the
# 2026-09 answers (201 with errors, association archives with a body), its write validation
# (required properties, normalized values), today's tokens (service keys, systemd credentials).
. "$(dirname "$0")/lib.sh"
A="$ROOT/tests/assoc"

# stat EXPR: a Python expression over the sandbox's /_sandbox/stats bound to d.
stat() { sandbox_get /_sandbox/stats | jget - "$1"; }
# live: meetings in the portal, not archived.
live() { sandbox_get /_sandbox/meetings | jget - 'len([m for m in d["meetings"] if not m["archived"]])'; }

# cal100 FILE BAD: 100 single events; event BAD (or none) carries X-OUTCOME:PERHAPS.
cal100() {
	"$PY" - "$1" "$2" <<-'EOF'
	import sys
	out, bad = sys.argv[1], sys.argv[2]
	lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t0080//EN"]
	for i in range(100):
	    lines += ["BEGIN:VEVENT", "UID:v26-%d@example.test" % i, "DTSTAMP:20260101T000000Z",
	              "DTSTART:20270104T%02d%02d00Z" % (8 + i // 60, i % 60),
	              "DTEND:20270104T%02d%02d00Z" % (9 + i // 60, i % 60), "SUMMARY:Call %d" % i]
	    if str(i) == bad:
	        lines.append("X-OUTCOME:PERHAPS")
	    lines.append("END:VEVENT")
	lines.append("END:VCALENDAR")
	open(out, "w").write("\r\n".join(lines) + "\r\n")
	EOF
}
cat >outcome.yaml <<'EOF'
version: 1
properties:
  hs_timestamp: "{{ start }}"
  hs_meeting_title: "{{ summary }}"
  hs_meeting_outcome: "{{ x['X-OUTCOME'] | default('SCHEDULED') }}"
EOF

start_sandbox --seed "$A/seed.json"

test_expect_success 'setup, import with attendees, an edit, a removal, state undo: only 2026-09 paths' '
	"$BIN" import -m "$A/mapping.yaml" --state st.db "$A/attendees.ics" 2>err || { cat err; false; }
	sed "s/^SUMMARY:Globex kickoff/SUMMARY:Globex kickoff (moved)/" "$A/attendees.ics" >cal.ics
	"$BIN" import -m "$A/mapping.yaml" --state st.db --name team cal.ics 2>err || { cat err; false; }
	"$BIN" state rename --state st.db "$A/attendees.ics" team 2>err || { cat err; false; }
	"$BIN" import -m "$A/mapping.yaml" --state st.db --name team cal.ics --report r2.json 2>err ||
		{ cat err; false; }
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 1 ]
	awk "/^BEGIN:VEVENT/{buf=\$0; keep=1; next} buf!=\"\"{buf=buf\"\\n\"\$0; if (\$0 ~ /^UID:assoc-hooli/) keep=0; if (\$0 ~ /^END:VEVENT/) {if (keep) print buf; buf=\"\"}; next} {print}" cal.ics >cal2.ics
	! grep -q assoc-hooli cal2.ics
	"$BIN" import -m "$A/mapping.yaml" --state st.db --name team cal2.ics --report r3.json 2>err ||
		{ cat err; false; }
	[ "$(jget r3.json "d[\"totals\"][\"archived\"]")" = 1 ]
	"$BIN" state undo --run 1 --yes --state st.db 2>err || { cat err; false; }
	[ "$(live)" = 0 ]
	stat "d[\"by_version\"]" >versions
	[ "$(stat "d[\"by_version\"][\"legacy\"]")" = 0 ] && [ "$(stat "d[\"by_version\"][\"2026-03\"]")" = 0 ]
	[ "$(stat "d[\"by_version\"][\"2026-09\"]")" -gt 10 ]
	for op in "POST /crm/objects/2026-09/meetings/batch/create" "POST /crm/objects/2026-09/meetings/batch/update" \
		"POST /crm/objects/2026-09/meetings/batch/archive" "POST /crm/objects/2026-09/contacts/batch/read" \
		"GET /crm/owners/2026-09" "POST /crm/objects/2026-09/companies/search"; do
		[ "$(stat "d[\"by_path\"].get(\"$op\", 0)")" -ge 1 ] || { echo "never: $op"; false; }
	done
'

test_expect_success 'a 201 that refuses one input of 100: it fails (exit 1), 99 created once, the next run creates it' '
	sandbox_post /_sandbox/reset "{}" >/dev/null
	cal100 c100.ics 42
	rc=0; "$BIN" import -m outcome.yaml --state s100.db --name hundred c100.ics --report r.json 2>err || rc=$?
	[ $rc = 1 ] || { cat err; echo "rc=$rc"; false; }
	[ "$(jget r.json "d[\"totals\"][\"created\"]")" = 99 ] && [ "$(jget r.json "d[\"totals\"][\"failed\"]")" = 1 ]
	grep -q "PERHAPS" err
	[ "$(live)" = 99 ]
	[ "$(sandbox_get /_sandbox/requests | jget - "[r[\"status\"] for r in d[\"requests\"] if r[\"path\"].endswith(\"/meetings/batch/create\")]")" = "[201]" ]
	cal100 c100.ics none
	"$BIN" import -m outcome.yaml --state s100.db --name hundred c100.ics --report r.json 2>err || { cat err; false; }
	[ "$(jget r.json "d[\"totals\"][\"created\"]")" = 1 ] && [ "$(live)" = 100 ]
	[ "$(sandbox_get /_sandbox/meetings | jget - "len(set(m[\"properties\"][\"ics2hubspot_key\"] for m in d[\"meetings\"]))")" = 100 ]
'

test_expect_success '--api-version 2026-03: every request at 2026-03, its 207 handled the same way' '
	sandbox_post /_sandbox/reset "{}" >/dev/null
	cal100 c03.ics 7
	rc=0; "$BIN" import --api-version 2026-03 -m outcome.yaml --state s03.db c03.ics --report r.json 2>err || rc=$?
	[ $rc = 1 ] || { cat err; false; }
	[ "$(jget r.json "d[\"totals\"][\"created\"]")" = 99 ]
	[ "$(sandbox_get /_sandbox/requests | jget - "[r[\"status\"] for r in d[\"requests\"] if r[\"path\"].endswith(\"/meetings/batch/create\")]")" = "[207]" ]
	[ "$(stat "d[\"by_version\"][\"2026-09\"]")" = 0 ] && [ "$(stat "d[\"by_version\"][\"legacy\"]")" = 0 ]
	[ "$(stat "d[\"by_version\"][\"2026-03\"]")" -ge 3 ]
	HUBSPOT_API_VERSION=2026-03 "$BIN" import -m outcome.yaml --state s03.db c03.ics 2>err; [ $? = 1 ]
	[ "$(stat "d[\"by_version\"][\"2026-09\"]")" = 0 ]
'

test_expect_success 'an unknown API version is a usage error naming the ones spoken' '
	rc=0; "$BIN" import --api-version 2025-09 c03.ics 2>err || rc=$?
	[ $rc = 2 ] && grep -q "2025-09.*2026-09, 2026-03" err
	rc=0; HUBSPOT_API_VERSION=v3 "$BIN" setup 2>err || rc=$?
	[ $rc = 2 ] && grep -q "HUBSPOT_API_VERSION: .v3. is not" err
'

test_expect_success 'a property the portal requires and the mapping does not set: exit 3, one message naming it' '
	sandbox_post /_sandbox/reset "{}" >/dev/null
	sandbox_post /_sandbox/config "{\"required_properties\":[\"hs_meeting_location\"]}" >/dev/null
	cal100 creq.ics none
	rc=0; "$BIN" import -m outcome.yaml --state sreq.db creq.ics 2>err || rc=$?
	[ $rc = 3 ] || { cat err; false; }
	[ "$(grep -c "requires the meeting property .hs_meeting_location." err)" = 1 ]
	[ "$(live)" = 0 ]
	printf "  hs_meeting_location: \"{{ location | default(\x27-\x27) }}\"\n" >>outcome.yaml
	"$BIN" import -m outcome.yaml --state sreq.db creq.ics 2>err || { cat err; false; }
	[ "$(live)" = 100 ]
	sandbox_post /_sandbox/config "{\"required_properties\":[]}" >/dev/null
'

test_expect_success 'a value HubSpot normalizes: one warning per property, counted in the report' '
	sandbox_post /_sandbox/reset "{}" >/dev/null
	sed "s/default(.SCHEDULED.)/default(\x27scheduled\x27)/" outcome.yaml >lower.yaml
	grep -q "default(.scheduled.)" lower.yaml
	"$BIN" import -m lower.yaml --no-state creq.ics --report rn.json 2>err || { cat err; false; }
	[ "$(grep -c "PROPERTY_VALUE_NORMALIZED" err)" = 1 ] && grep -q "hs_meeting_outcome" err
	[ "$(jget rn.json "any(\"100 value(s)\" in n and \"hs_meeting_outcome\" in n for n in d[\"notes\"])")" = True ]
'

test_expect_success 'the token from a systemd credential; one with a line break is refused, never printed' '
	mkdir -p creds && printf "%s\n" "$HUBSPOT_ACCESS_TOKEN" >creds/hubspot-token
	env -u HUBSPOT_ACCESS_TOKEN CREDENTIALS_DIRECTORY="$PWD/creds" "$BIN" setup >out 2>err || { cat err; false; }
	grep -q "^ics2hubspot: portal " err && [ ! -s out ]
	rc=0; HUBSPOT_ACCESS_TOKEN="$(printf "secret-abc\r\nX-Evil: 1")" "$BIN" setup >out 2>err || rc=$?
	[ $rc = 2 ] && grep -q "control character" err && ! grep -q secret-abc out err
	rc=0; env -u HUBSPOT_ACCESS_TOKEN CREDENTIALS_DIRECTORY="$PWD/none" "$BIN" setup 2>err || rc=$?
	[ $rc = 2 ] && grep -q "LoadCredential=hubspot-token" err
'

test_expect_success 'setup names the read scopes the token lacks for what the mapping uses' '
	sandbox_post /_sandbox/config "{\"scopes\":[\"oauth\",\"crm.objects.contacts.read\",\"crm.objects.contacts.write\",\"crm.objects.companies.read\",\"crm.schemas.contacts.read\",\"crm.schemas.contacts.write\"]}" >/dev/null
	rc=0; "$BIN" setup -m "$A/mapping.yaml" >out 2>err || rc=$?
	[ $rc = 3 ] || { cat out err; false; }
	grep -q "lacks scopes" err && grep -q "the organizer as owner" err && ! grep -q "attendee contacts:" err
	"$BIN" setup -m outcome.yaml >out 2>err || { cat err; false; }
	grep -q "^ics2hubspot: scopes: reading meetings: granted" err
'

test_expect_success 'account details refused: one clear error, no legacy token-info fall-back (for any kind of token)' '
	start_sandbox
	sandbox_post /_sandbox/config "{\"account_info\":false}" >/dev/null
	rc=0; "$BIN" setup >out 2>err || rc=$?
	[ $rc = 3 ] && grep -q "cannot learn" err
	sandbox_post /_sandbox/config "{\"token_kind\":\"private-app\"}" >/dev/null
	rc=0; "$BIN" setup >out 2>err || rc=$?
	[ $rc = 3 ] && grep -q "cannot learn" err
	[ "$(stat "sum(d[\"legacy_paths\"].values())")" = 0 ]
'

test_done
