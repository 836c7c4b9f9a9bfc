#!/usr/bin/env bash
# check -m: the shipped mappings load and preview samples/; broken mappings are refused with file:line:col.
. "$(dirname "$0")/lib.sh"
S="$ROOT/samples"

test_expect_success 'check with no calendar validates the built-in default mapping' '
	"$BIN" check >out 2>err &&
	grep -q "^mapping <built-in default.yaml>: valid$" out
'
for m in default outlook google; do
	test_expect_success "mappings/$m.yaml loads and previews every sample (table)" '
		rc=0; "$BIN" check -m "$ROOT/mappings/'$m'.yaml" --limit 5 "$S"/*.ics >out 2>err || rc=$?
		[ "$rc" = 1 ] && # the gate: malformed.ics has events that could not be used
		grep -q "^mapping .*mappings/'$m'.yaml: valid$" out &&
		grep -q "^      hs_timestamp  *20[0-9-]*T[0-9:]*Z$" out &&
		grep -q "^      ics2hubspot_key " out &&
		grep -q "^[0-9]* occurrences: [0-9]* to import, [0-9]* skipped, 0 with errors" out
	'
	test_expect_success "mappings/$m.yaml: --json accounts for every occurrence expand gives" '
		"$BIN" check -m "$ROOT/mappings/'$m'.yaml" --json --limit 1000 "$S"/*.ics >out.json 2>err
		rc=0; "$BIN" expand "$S"/*.ics >occ.ndjson 2>/dev/null || rc=$?
		[ "$rc" -le 1 ] # 1: malformed.ics has broken events
		total=$(wc -l <occ.ndjson) && [ "$total" -gt 20 ] &&
		[ "$(jget out.json "d[\"occurrences\"]")" = "$total" ] &&
		[ "$(jget out.json "d[\"to_import\"] + d[\"skipped\"] + d[\"errors\"]")" = "$total" ] &&
		[ "$(jget out.json "len(d[\"preview\"])")" = "$total" ] &&
		[ "$(jget out.json "d[\"errors\"]")" = 0 ] &&
		jget out.json "all(p[\"action\"] != \"import\" or p[\"properties\"][\"hs_timestamp\"].endswith(\"Z\") for p in d[\"preview\"])" | grep -qx True &&
		jget out.json "all(len(p[\"properties\"].get(\"hs_meeting_title\", \"\")) <= 255 for p in d[\"preview\"] if p[\"action\"] == \"import\")" | grep -qx True
	'
done
test_expect_success 'the default mapping skips private and confidential events, naming the rule' '
	rc=0; "$BIN" check --json --limit 1000 "$S"/*.ics >d.json 2>/dev/null || rc=$?
	[ "$rc" = 1 ] &&
	jget d.json "sorted(set(p[\"skip_reason\"] for p in d[\"preview\"] if p[\"action\"] == \"skip\"))" >reasons &&
	grep -q "filters.skip_private (CLASS:PRIVATE)" reasons &&
	grep -q "filters.skip_private (CLASS:CONFIDENTIAL)" reasons &&
	[ "$(jget d.json "d[\"skipped_by_rule\"][\"filters.skip_private\"]")" = "$(jget d.json "d[\"skipped\"]")" ]
'
test_expect_success 'the outlook mapping also skips Free items and says so' '
	"$BIN" check -m "$ROOT/mappings/outlook.yaml" --json --limit 1000 "$S/outlook-export.ics" >o.json 2>/dev/null &&
	jget o.json "[p[\"skip_reason\"] for p in d[\"preview\"] if p[\"action\"] == \"skip\"]" | grep -q "filters.skip_free"
'
test_expect_success 'the google mapping puts the calendar name into the body and the Meet link in the URL' '
	"$BIN" check -m "$ROOT/mappings/google.yaml" --json --limit 1000 "$S/google-export.ics" >g.json 2>/dev/null &&
	jget g.json "[p[\"properties\"][\"hs_meeting_body\"] for p in d[\"preview\"] if p[\"action\"] == \"import\"][0]" | grep -q "Calendar: Sales" &&
	jget g.json "[p[\"properties\"].get(\"hs_meeting_external_url\") for p in d[\"preview\"] if p[\"action\"] == \"import\"]" | grep -q "meet.google.com"
'
test_expect_success 'every broken mapping in tests/mapping/ is refused with exit 2 and FILE:LINE:COL (or FILE:)' '
	for f in "$ROOT"/tests/mapping/err-*.yaml; do
		rc=0; "$BIN" check -m "$f" "$S/allday.ics" >out 2>err || rc=$?
		[ "$rc" = 2 ] || { echo "$f: exit $rc"; exit 1; }
		grep -q "^ics2hubspot: error: $f:" err || { echo "$f:"; cat err; exit 1; }
		[ ! -s out ] || { echo "$f: printed a preview"; exit 1; }
	done
'
test_expect_success 'a typo in a filter name is caught with its position and a suggestion' '
	! "$BIN" check -m "$ROOT/tests/mapping/err-unknown-filter.yaml" 2>err &&
	grep -qx "ics2hubspot: error: $ROOT/tests/mapping/err-unknown-filter.yaml:7:55: unknown filter '"'"'trunc'"'"' (did you mean '"'"'truncate'"'"'?)" err
'
test_expect_success 'check is a gate: 0 clean, 1 when an event or a calendar could not be used' '
	"$BIN" check "$S/allday.ics" >out 2>err &&
	rc=0; "$BIN" check "$S/malformed.ics" >out 2>err || rc=$?; [ "$rc" = 1 ] &&
	rc=0; "$BIN" check "$S/allday.ics" nosuch.ics >out 2>err || rc=$?; [ "$rc" = 1 ]
'
test_expect_success 'the preview shows the earliest occurrences, in start-time order' '
	printf "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" >late.ics &&
	for d in 20300305 20300303 20300301; do
		printf "BEGIN:VEVENT\r\nUID:late-$d@x\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:${d}T090000Z\r\nSUMMARY:L$d\r\nEND:VEVENT\r\n" >>late.ics
	done &&
	printf "END:VCALENDAR\r\n" >>late.ics &&
	sed "s/late-/early-/; s/203003/203002/; s/SUMMARY:L/SUMMARY:E/" late.ics >early.ics &&
	"$BIN" check --json --limit 4 late.ics early.ics >p.json 2>err &&
	[ "$(jget p.json "[p[\"start\"][:10] for p in d[\"preview\"]] == [\"2030-02-01\", \"2030-02-03\", \"2030-02-05\", \"2030-03-01\"]")" = True ]
'
test_expect_success 'check --json carries the warnings printed while reading, per calendar' '
	rc=0; "$BIN" check --json "$S/malformed.ics" nosuch.ics >w.json 2>err || rc=$?
	[ "$rc" = 1 ] &&
	[ "$(jget w.json "len(d[\"warnings\"])")" = "$(grep -c "^ics2hubspot: \(warning\|error\): " err)" ] &&
	jget w.json "[w[\"message\"] for w in d[\"warnings\"] if w[\"calendar\"].endswith(\"malformed.ics\") and w[\"level\"] == \"warning\"]" | grep -q "no-dtstart@example.net: VEVENT without a usable DTSTART" &&
	jget w.json "[w[\"level\"] + \" \" + w[\"message\"] for w in d[\"warnings\"] if w[\"calendar\"] == \"nosuch.ics\"]" | grep -q "error cannot open nosuch.ics" &&
	"$BIN" check --json "$S/allday.ics" >c.json 2>err &&
	[ "$(jget c.json "len(d[\"warnings\"])")" = 0 ] && [ "$(jget c.json "\"remote\" in d")" = False ]
'
test_expect_success 'an unreadable calendar makes check exit 2' '
	rc=0; "$BIN" check nosuch.ics >out 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "nosuch.ics" err
'
test_done
