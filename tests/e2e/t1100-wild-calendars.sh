#!/usr/bin/env bash
# Issue 25: calendars from the wild. Each reading expand used to get silently wrong is read as
# RFC 5545 says, and its warning names the file, the line, the UID and what was assumed.
. "$(dirname "$0")/lib.sh"
ICS="$ROOT/tests/ics"

starts() { # starts UID < ndjson: the start of each occurrence of UID, sorted
	"$PY" -c 'import json,sys; print("\n".join(sorted(o["start"] for o in map(json.loads, sys.stdin) if o["uid"] == sys.argv[1])))' "$1"
}

test_expect_success 'a RECURRENCE-ID on the only VEVENT, the one with the RRULE, is the series' '
	"$BIN" expand "$ICS/rid-master.ics" >r.ndjson 2>r.err &&
	starts cd-weekly <r.ndjson >got &&
	printf "2020-01-06T09:00:00Z\n2020-01-13T09:00:00Z\n2020-01-20T09:00:00Z\n2020-01-27T09:00:00Z\n" | cmp - got &&
	grep -q "rid-master.ics:4: UID cd-weekly: RECURRENCE-ID 19700102T010000Z on the only VEVENT of this UID" r.err &&
	[ "$(starts moved-alone <r.ndjson)" = 2020-01-08T11:00:00Z ]
'
test_expect_success 'an all-day series keeps the last day of its UTC UNTIL, in the calendar zone' '
	"$BIN" expand "$ICS/exchange-until.ics" >e.ndjson 2>e.err &&
	[ "$(starts one-day <e.ndjson)" = 2020-04-29 ] &&
	[ "$(starts five-days <e.ndjson | tail -n 1)" = 2020-05-01 ] &&
	grep -q "exchange-until.ics:5: UID one-day: all-day series with UNTIL=20200428T220000Z.*Europe/Stockholm as UNTIL=20200429" e.err &&
	"$BIN" expand "$ICS/exchange-until-nozone.ics" >n.ndjson 2>n.err &&
	[ "$(starts one-day <n.ndjson)" = 2020-04-29 ] &&
	grep -q "exchange-until-nozone.ics:4: UID one-day: .*no calendar zone" n.err
'
test_expect_success 'a VTIMEZONE that cannot be used: the IANA zone of its name, warned once' '
	"$BIN" expand "$ICS/vtimezone-unusable.ics" >v.ndjson 2>v.err &&
	[ "$(starts berlin <v.ndjson)" = 2020-06-01T08:00:00Z ] &&
	[ "$(starts new-york <v.ndjson)" = 2020-06-01T14:00:00Z ] &&
	test "$(grep -c "VTIMEZONE \"Europe/Berlin\" cannot be used" v.err)" = 1 &&
	grep -q "vtimezone-unusable.ics:63: UID office: .*read in UTC (no X-WR-TIMEZONE or --default-tz)" v.err
'
test_expect_success '30 February is no date: skipped or ignored, never 2 March' '
	"$BIN" expand "$ICS/impossible-dates.ics" >i.ndjson 2>i.err # exit 1: events skipped
	test -s i.ndjson &&
	[ -z "$(starts feb30 <i.ndjson)" ] &&
	starts daily <i.ndjson | grep -qx 2014-03-02T14:00:00Z &&
	grep -q "impossible-dates.ics:4: UID feb30: DTSTART 2014-02-30T15:00:00 is not a time that exists" i.err &&
	grep -q "impossible-dates.ics:17: UID daily: EXDATE 2014-02-30T15:00:00 is not a time that exists: that EXDATE is ignored" i.err
'
test_expect_success 'the per-series cap keeps the override of an instance before the cut' '
	"$BIN" expand --max-per-series 5 --until 2021-01-01 "$ICS/cap-overrides.ics" >c.ndjson 2>c.err &&
	test "$(wc -l <c.ndjson)" = 5 &&
	starts daily <c.ndjson | grep -qx 2020-06-02T15:00:00Z &&
	grep -q "cap-overrides.ics:4: UID daily: series cut after .*; the last occurrence kept is the one of 2020-06-05T09:00:00Z" c.err
'
test_done
