#!/usr/bin/env bash
# expand shows each rule: window, floating zone, unknown TZID, cancellation, stdin, overrides.
. "$(dirname "$0")/lib.sh"
ICS="$ROOT/tests/ics"

jq1() { "$PY" -c 'import json,sys; [print(eval(sys.argv[1], {}, {"o": json.loads(l)})) for l in sys.stdin]' "$1"; }

test_expect_success 'window [since, until) by start' '
	"$BIN" expand --since 2024-01-02T10:00:00Z --until 2024-01-04T10:00:00Z "$ICS/rrule-repair.ics" >w.ndjson 2>w.err &&
	jq1 "o[\"start\"]" <w.ndjson >starts &&
	printf "2024-01-02T10:00:00Z\n2024-01-03T10:00:00Z\n" | cmp - starts &&
	grep -q "rrule-repair.ics:8: UID count-and-until: RRULE repaired" w.err
'
test_expect_success 'floating times: X-WR-TIMEZONE, then --default-tz; shown in tz' '
	"$BIN" expand "$ICS/times.ics" >t1.ndjson 2>/dev/null || true
	grep "\"uid\":\"floating\"" t1.ndjson | jq1 "o[\"start\"] + \" \" + o[\"tz\"]" >f1 &&
	grep -qx "2024-06-15T19:00:00Z floating:Europe/Brussels" f1 &&
	"$BIN" expand --default-tz America/New_York "$ICS/times.ics" >t2.ndjson 2>/dev/null || true
	grep "\"uid\":\"floating\"" t2.ndjson | jq1 "o[\"start\"] + \" \" + o[\"tz\"]" >f2 &&
	grep -qx "2024-06-16T01:00:00Z floating:America/New_York" f2 &&
	grep "\"uid\":\"alldays\"" t2.ndjson | jq1 "o[\"start\"] + \" \" + o[\"end\"] + \" \" + str(o[\"all_day\"])" | grep -qx "2024-07-01 2024-07-04 True"
'
test_expect_success 'an unknown TZID is a warning with file, line, UID and TZID' '
	"$BIN" expand "$ICS/zones.ics" >z.ndjson 2>z.err &&
	grep -q "zones.ics:34: UID unknown: unknown time zone TZID=\"Atlantis/Lost City\"" z.err &&
	grep "\"uid\":\"windows\"" z.ndjson | grep -q "\"start\":\"2024-07-15T10:00:00Z\""
'
test_expect_success 'overrides, cancellation, orphans and stdin' '
	"$BIN" expand - <"$ICS/overrides.ics" >o.ndjson 2>o.err &&
	test "$(grep -c "\"uid\":\"weekly\"" o.ndjson)" = 5 &&
	grep "\"uid\":\"weekly\"" o.ndjson | grep "2024-01-15T09:00:00Z" | grep -q "\"status\":\"CANCELLED\"" &&
	grep -q "\"uid\":\"orphan@google.com\".*\"start\":\"2024-03-01T12:00:00Z\"" o.ndjson &&
	grep -q "\"source\":\"-:" o.ndjson
'
test_expect_success 'METHOD:CANCEL marks the occurrence cancelled' '
	"$BIN" expand "$ICS/fields.ics" >c.ndjson &&
	grep -q "\"status\":\"CANCELLED\"" c.ndjson &&
	grep -q "\"conference_url\":\"https://teams.microsoft.com/" c.ndjson
'
test_done
