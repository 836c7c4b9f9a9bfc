#!/usr/bin/env bash
# HubSpot's refusals in our words (issue 24 item 2): a meeting HubSpot refused is an error (it was
# not done), identical refusals are grouped with a count, a value that is not an option is named
# with the allowed options and the mapping's file:line, and HubSpot's raw JSON shows only under -v.
. "$(dirname "$0")/lib.sh"
start_sandbox --rate 1000/10s

ev() { printf 'BEGIN:VEVENT\nUID:%s\nDTSTAMP:20260101T000000Z\nDTSTART:%s\nDTEND:%s\nSUMMARY:%s\nX-OUTCOME:%s\nEND:VEVENT\n' "$@"; }
{
	printf 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t0131//EN\n'
	ev review@x.example 20300105T100000Z 20300105T110000Z Review PERHAPS
	ev offsite@x.example 20300106T100000Z 20300106T110000Z Offsite PERHAPS
	ev later@x.example 20300108T100000Z 20300108T110000Z Later PERHAPS
	ev done@x.example 20300107T100000Z 20300107T110000Z Done COMPLETED
	printf 'END:VCALENDAR\n'
} >team.ics
cat >my.yaml <<'EOT'
version: 1
properties:
  hs_timestamp: "{{ start }}"
  hs_meeting_title: "{{ summary }}"
  hs_meeting_outcome: "{{ x[\"X-OUTCOME\"] }}"
EOT
WORDS="'PERHAPS' is not an option of hs_meeting_outcome in your portal (allowed: SCHEDULED, COMPLETED, RESCHEDULED, NO_SHOW, CANCELED); map it in my.yaml:5"

test_expect_success 'refused meetings: one error with a count, in our words, no raw JSON' '
	rc=0; "$BIN" import -m my.yaml --state st.db team.ics >out 2>err || rc=$?
	[ $rc = 1 ] &&
	grep -qF "ics2hubspot: error: 3 meetings: $WORDS (the first: " err &&
	[ "$(grep -c PERHAPS err)" = 1 ] &&
	! grep -q "isValid\|INVALID_OPTION\|^ics2hubspot: warning:" err &&
	grep -q "1 created, .* 3 failed" err
'
test_expect_success 'one refused meeting: its place and key, the same words' '
	sed -i "0,/PERHAPS/s//COMPLETED/" team.ics && sed -i "0,/PERHAPS/s//COMPLETED/" team.ics &&
	[ "$(grep -c PERHAPS team.ics)" = 1 ] &&
	rc=0; "$BIN" import -m my.yaml --state st.db team.ics >out 2>err || rc=$?
	[ $rc = 1 ] &&
	grep -qF "ics2hubspot: error: team.ics:" err &&
	grep -qF "later@x.example" err && grep -qF ": $WORDS" err &&
	! grep -q "meetings:" err && ! grep -q "isValid" err
'
test_expect_success '-v: each refused meeting at once, and HubSpot'"'"'s own answer' '
	rc=0; "$BIN" import -v -m my.yaml --state st.db team.ics >out 2>err || rc=$?
	[ $rc = 1 ] &&
	grep -qF ": $WORDS" err &&
	grep -q "HubSpot.s answer: Property values were not valid: \[{.*INVALID_OPTION" err
'
test_expect_success 'a calendar that cannot be read: its error once, no all-zero totals, no note repeating it' '
	rc=0; "$BIN" import -m my.yaml --state st.db nosuch.ics >out 2>err || rc=$?
	[ $rc = 2 ] && [ ! -s out ] &&
	[ "$(cat err)" = "ics2hubspot: error: cannot open nosuch.ics: No such file or directory" ] &&
	rc=0; "$BIN" import -n -m my.yaml --state st.db nosuch.ics >out 2>err || rc=$?
	[ $rc = 2 ] && [ ! -s out ] && [ "$(wc -l <err)" = 1 ]
'

test_done
