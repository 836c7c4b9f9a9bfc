#!/usr/bin/env bash
# Contract test (make conformance): every request ics2hubspot sends validates against HubSpot's
# official OpenAPI specs of the current date version, 2026-09, as judged by Prism 5.16.0
# (tests/contract/setup.sh installs it). One Prism mocks one spec, so one runs per spec the client
# needs (meetings, contacts, companies, owners, properties, associations, account-info; plus the
# legacy meetings-v3.json when DIR has it, for a client still on the legacy paths), and the client
# talks to a loopback front (tests/conformance/front.py) that routes each request by its path to
# the Prism of its spec and, once Prism accepted it, to the sandbox, whose answer the client gets.
# The portal setup and two imports are thus real runs whose requests Prism judged. Whatever the
# client sent at a legacy path is then sent again, same method, query and body, at its 2026-09
# path (tests/conformance/replay.py), so every operation the client uses is judged by a 2026-09
# spec whichever paths it calls. The pass condition: no Prism refused a request ("Violation:
# request" in no Prism log) and every operation was accepted at its 2026-09 path.
# Needs HUBSPOT_SPECS=DIR (the official specs, not part of the project); fails without it.
. "$(dirname "$0")/../e2e/lib.sh"
PRISM="$ROOT/tests/contract/node_modules/.bin/prism"
SPECS="${HUBSPOT_SPECS:-}"
V=2026-09
Y="$ROOT/tests/sync"
# NAME (spec file NAME.json) and the paths it judges (front.py --route; the first match wins, so
# the object-association form comes before the objects)
ROUTES="associations-$V ^/crm/(objects/$V/[^/]+/[^/]+/associations/|associations/$V/)
meetings-$V ^/crm/objects/$V/meetings(/|\$)
contacts-$V ^/crm/objects/$V/contacts(/|\$)
companies-$V ^/crm/objects/$V/companies(/|\$)
properties-$V ^/crm/properties/$V/
owners-$V ^/crm/owners/$V(/|\$)
account-info-$V ^/account-info/$V/
meetings-v3 ^/crm/v3/objects/meetings(/|\$)"

test_expect_success 'HUBSPOT_SPECS names the official 2026-09 specs and Prism is installed' '
	{ [ -n "$SPECS" ] || { echo "HUBSPOT_SPECS is not set"; false; }; } &&
	for n in meetings contacts companies owners properties associations account-info; do
		[ -f "$SPECS/$n-$V.json" ] || { echo "no $SPECS/$n-$V.json"; false; } || exit 1
	done &&
	{ [ -x "$PRISM" ] || { echo "Prism is missing: run tests/contract/setup.sh"; false; }; }
'
[ "$test_failures" = 0 ] || test_done

# A fresh portal (the setup below makes it ready through the front).
start_sandbox --fresh --seed "$Y/seed.json" --rate 1000/10s
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
front_args=()
prisms=()
while read -r name rx; do
	[ -f "$SPECS/$name.json" ] || continue # meetings-v3.json is optional
	port=$(free_port)
	"$PRISM" mock -h 127.0.0.1 -p "$port" "$SPECS/$name.json" >"prism-$name.log" 2>&1 &
	track_pid $!
	prisms+=("$port")
	front_args+=(--route "$name" "$rx" "http://127.0.0.1:$port")
done <<EOF
$ROUTES
EOF
for port in "${prisms[@]}"; do
	for _ in $(seq 1 300); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.2
	done
done
"$PY" "$ROOT/tests/conformance/front.py" --port-file front.port "${front_args[@]}" \
	--sandbox "$SANDBOX_URL" --log front.ndjson >front.out 2>&1 &
track_pid $!
for _ in $(seq 1 100); do
	[ -s front.port ] && break
	sleep 0.1
done
FRONT="http://127.0.0.1:$(cat front.port 2>/dev/null)"
export ICS2HUBSPOT_BATCH_SIZE=20

# prism_saw METHOD PATH...: how many requests to one of the PATHs a Prism accepted (then
# answered by the sandbox); refused: the requests a Prism refused.
prism_saw() {
	local m=$1
	shift
	jget front.ndjson "len([e for e in d if e[\"method\"] == \"$m\" and e[\"path\"] in \"$*\".split() and e[\"route\"] and e[\"prism\"] < 300 and e[\"sandbox\"] is not None])"
}
refused() { jget front.ndjson "[e for e in d if e[\"route\"] and e[\"prism\"] >= 300]"; }
CREATE="/crm/v3/objects/meetings/batch/create /crm/objects/$V/meetings/batch/create"

test_expect_success 'every Prism and the front are up' '
	for port in "${prisms[@]}"; do curl -s -o /dev/null "http://127.0.0.1:$port/" || exit 1; done &&
	[ "${#prisms[@]}" -ge 7 ] && [ -s front.port ]
'
test_expect_success 'setup through the front makes the fresh portal ready' '
	HUBSPOT_API_BASE=$FRONT "$BIN" setup >setup.out 2>&1 &&
	[ -z "$(refused)" ]
'
test_expect_success 'import through the front: pre-flight passes, every occurrence created, each batch/create accepted by Prism' '
	"$PY" "$Y/gen.py" 50 cal.ics --weekly 5 --attendees 1=ada@globex.example,bob@globex.example \
		--attendees 2=cy@initech.example &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --api-base "$FRONT" --report r1.json cal.ics 2>err1 &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 55 ] &&
	[ "$(prism_saw POST $CREATE)" -ge 3 ] &&
	[ -z "$(refused)" ]
'
# two events retitled, two whose attendees changed; two dropped (on_removed: archive)
test_expect_success 'a changed calendar: updated and archived, no request refused' '
	"$PY" "$Y/gen.py" 50 cal.ics --weekly 5 --attendees 1=ada@globex.example \
		--retitle 3=Moved --retitle 4=Renamed --drop 7,8 &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --api-base "$FRONT" --report r2.json cal.ics 2>err2 &&
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 4 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"archived\"]")" = 2 ] &&
	[ -z "$(refused)" ]
'
# The rest of what the client can send: the organizer's owner (owners), contacts created when
# missing (batch/upsert), companies by attendee domain (search), and an attendee added to an
# existing meeting (association batch/create).
sandbox_post /_sandbox/seed '{"owners": [{"id": "71000001", "email": "anna@mycompany.example", "firstName": "Anna", "lastName": "Berg"}],
	"companies": [{"id": "8201", "domain": "globex.example", "name": "Globex"}, {"id": "8202", "domain": "initech.example", "name": "Initech"}]}' >/dev/null
cat >full.yaml <<-\EOT
	version: 1
	identity_property: ics2hubspot_key
	on_removed: archive
	properties:
	  hs_timestamp: "{{ start }}"
	  hs_meeting_title: "{{ summary | default('(no title)') }}"
	  hubspot_owner_id: "{{ organizer.owner_id }}"
	associations:
	  contacts: { from: attendees, exclude_domains: [owners], create_missing: true }
	  companies: { from: attendee_domains, exclude_domains: [owners] }
EOT
full_ics() {
	cat <<-EOT
	BEGIN:VCALENDAR
	VERSION:2.0
	PRODID:-//ics2hubspot//t3900//EN
	BEGIN:VEVENT
	UID:full-1@t3900
	DTSTAMP:20240501T080000Z
	DTSTART:20240506T090000Z
	DTEND:20240506T100000Z
	SUMMARY:Globex kickoff
	ORGANIZER;CN=Anna Berg:mailto:anna@mycompany.example
	ATTENDEE;CN=Ada Lovelace:mailto:ada@globex.example
	$1
	END:VEVENT
	END:VCALENDAR
	EOT
}
test_expect_success 'owners, new contacts, companies and an added attendee: no request refused' '
	full_ics "" >full.ics &&
	"$BIN" import -m full.yaml --state st3.db --api-base "$FRONT" --report r3.json full.ics 2>err3 &&
	[ "$(jget r3.json "d[\"totals\"][\"created\"]")" = 1 ] &&
	full_ics "ATTENDEE;CN=Dee New:mailto:dee@initech.example" >full.ics &&
	"$BIN" import -m full.yaml --state st3.db --api-base "$FRONT" --report r4.json full.ics 2>err4 &&
	[ "$(jget r4.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ -z "$(refused)" ]
'
# What the client used, by version (information: the client moves to the dated paths).
sandbox_get /_sandbox/stats >stats.json &&
	echo "# requests by version: $(jget stats.json "d[\"by_version\"]")" &&
	echo "# legacy paths used: $(jget stats.json "sorted(d[\"legacy_paths\"])")"
test_expect_success "every operation the client sent is accepted at its $V path by the $V specs" '
	"$PY" "$ROOT/tests/conformance/replay.py" --sandbox "$SANDBOX_URL" --front "$FRONT" \
		--front-log front.ndjson --version "$V" >replay.out 2>&1 ||
		{ cat replay.out; false; }
'
cat replay.out 2>/dev/null | sed "s/^/# /"
test_expect_success "the operations of setup and import were among them" '
	for op in "GET /account-info/$V/details" "GET /crm/properties/$V/meetings" \
		"POST /crm/properties/$V/meetings/groups" "POST /crm/properties/$V/meetings" \
		"POST /crm/objects/$V/meetings/batch/create" "POST /crm/objects/$V/meetings/batch/update" \
		"POST /crm/objects/$V/meetings/batch/archive" "POST /crm/objects/$V/meetings/search" \
		"POST /crm/objects/$V/contacts/batch/read" "POST /crm/objects/$V/contacts/batch/upsert" \
		"POST /crm/objects/$V/companies/search" "GET /crm/owners/$V" \
		"POST /crm/associations/$V/meetings/contacts/batch/create" \
		"POST /crm/associations/$V/meetings/companies/batch/create" \
		"POST /crm/associations/$V/meetings/contacts/batch/archive"; do
		grep -q "^ok   $op (" replay.out || { echo "not judged: $op"; exit 1; }
	done
'
test_expect_success 'no request violated a spec' '
	grep -q "batch/create" "prism-meetings-$V.log" &&
	! grep "Violation: request" prism-*.log
'
test_done
