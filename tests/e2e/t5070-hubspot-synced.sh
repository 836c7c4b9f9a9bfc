#!/usr/bin/env bash
# Coexistence with HubSpot's own calendar sync (issue #12 item 3): meetings it logged carry the
# event's iCal UID in hs_i_cal_uid; an occurrence with that UID and the same start is not created
# again (hubspot_synced: skip, the default), adopted (adopt), or ignored (ignore: old behaviour).
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
cat >seed.json <<'JSON'
{"meetings": [
 {"id": "7001", "properties": {"hs_i_cal_uid": "g-0@example.test", "hs_meeting_source": "BIDIRECTIONAL_SYNC",
  "hs_timestamp": "2030-01-07T09:00:00Z", "hs_meeting_start_time": "2030-01-07T09:00:00Z", "hs_meeting_title": "From Google"}},
 {"id": "7002", "properties": {"hs_i_cal_uid": "g-1@example.test", "hs_meeting_source": "BIDIRECTIONAL_SYNC",
  "hs_timestamp": "2030-01-08T10:00:00Z", "hs_meeting_start_time": "2030-01-08T10:00:00Z", "hs_meeting_title": "Moved in Google"}},
 {"id": "7003", "properties": {"hs_i_cal_uid": "G-2@EXAMPLE.TEST", "hs_meeting_source": "BIDIRECTIONAL_SYNC",
  "hs_timestamp": "2030-01-09T09:00:00Z", "hs_meeting_title": "Another UID (case differs)"}},
 {"id": "7004", "properties": {"hs_i_cal_uid": "g-series@example.test", "hs_meeting_source": "BIDIRECTIONAL_SYNC",
  "hs_timestamp": "2030-01-25T15:00:00Z", "hs_meeting_title": "Weekly, third"}}
]}
JSON
"$PY" "$Y/gen.py" 5 g.ics --uid-prefix g --weekly 3 --start 2030-01-07
cp "$Y/archive.yaml" skip.yaml
{ cat "$Y/archive.yaml"; echo "hubspot_synced: adopt"; } >adopt.yaml
{ cat "$Y/archive.yaml"; echo "hubspot_synced: ignore"; } >ignore.yaml
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"]])"; }
prop() { sandbox_get /_sandbox/meetings | jget - "[m[\"properties\"].get(\"$2\") for m in d[\"meetings\"] if m[\"id\"] == \"$1\"][0]"; }

test_expect_success 'skip (default): meetings HubSpot logged itself are not created again' '
	start_sandbox --seed seed.json --rate 1000/10s &&
	"$BIN" import -m skip.yaml --state s1.db --until 2030-03-01 --report r1.json g.ics 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"already_in_hubspot\"]")" = 2 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 6 ] &&
	[ "$(jget r1.json "sorted(o[\"hubspot_id\"] for o in d[\"occurrences\"] if o[\"outcome\"] == \"already_in_hubspot\") == [\"7001\", \"7004\"]")" = True ] &&
	[ "$(live)" = 10 ] && [ "$(prop 7001 hs_meeting_title)" = "From Google" ] &&
	grep -q "2 already in HubSpot" err &&
	"$BIN" import -m skip.yaml --state s1.db --until 2030-03-01 --report r1b.json g.ics 2>err &&
	[ "$(live)" = 10 ]
'
test_expect_success 'adopt: they are updated from the calendar and become ours' '
	start_sandbox --seed seed.json --rate 1000/10s &&
	"$BIN" import -m adopt.yaml --state s2.db --until 2030-03-01 --report r2.json g.ics 2>err &&
	[ "$(jget r2.json "d[\"totals\"][\"updated\"]")" = 2 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 6 ] &&
	[ "$(live)" = 10 ] && [ "$(prop 7001 hs_meeting_title)" = "Sync meeting 0" ] &&
	[ "$(prop 7001 ics2hubspot_key)" = "g-0@example.test" ] &&
	rm s2.db && "$BIN" import -m adopt.yaml --no-state --until 2030-03-01 --report r2b.json g.ics 2>err &&
	[ "$(jget r2b.json "d[\"totals\"][\"created\"]")" = 0 ] && [ "$(live)" = 10 ]
'
test_expect_success 'ignore: HubSpot is not asked, everything is created (the old behaviour)' '
	start_sandbox --seed seed.json --rate 1000/10s &&
	"$BIN" import -m ignore.yaml --state s3.db --until 2030-03-01 --report r3.json g.ics 2>err &&
	[ "$(jget r3.json "d[\"totals\"][\"created\"]")" = 8 ] && [ "$(live)" = 12 ]
'
test_expect_success 'hubspot_synced: a wrong value is refused with the line' '
	{ cat "$Y/archive.yaml"; echo "hubspot_synced: maybe"; } >bad.yaml &&
	! "$BIN" check -m bad.yaml g.ics >out 2>err && grep -q "bad.yaml:.*hubspot_synced must be skip, adopt or ignore" err
'
test_done
