#!/usr/bin/env bash
# Issue #11 item 4: a state belongs to one portal per row. One state file, two portals (two
# sandboxes with different portal ids), the same calendar: each portal gets its own meetings, a
# re-run on either writes nothing, and neither portal's rows skip, update or archive the other's.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
GEN="$Y/gen.py"

start_sandbox --portal-id 111 --rate 1000/10s
A=$SANDBOX_URL
A_PID=$SANDBOX_PID
SANDBOX_PID= # keep it running: start_sandbox would stop it
start_sandbox --portal-id 222 --rate 1000/10s
B=$SANDBOX_URL

# get BASE PATH / stat BASE KEY / live BASE: that sandbox's answers
get() { curl -sS --fail "$1$2"; }
stat_of() { get "$1" /_sandbox/stats | jget - "d[\"$2\"]"; }
live() { get "$1" /_sandbox/meetings | jget - 'len([m for m in d["meetings"] if not m["archived"]])'; }
titles() { get "$1" /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"].get(\"hs_meeting_title\") == \"$2\"])"; }
imp() { "$BIN" import -m "$Y/archive.yaml" --state st.db --api-base "$@"; }

test_expect_success 'the same calendar into two portals with one state: each gets one meeting per occurrence' '
	"$PY" "$GEN" 20 cal.ics --weekly 5 &&
	imp "$A" --report a1.json cal.ics 2>err &&
	[ "$(jget a1.json "d[\"totals\"][\"created\"]")" = 25 ] && [ "$(live "$A")" = 25 ] &&
	imp "$B" --report b1.json cal.ics 2>err &&
	[ "$(jget b1.json "d[\"totals\"][\"created\"]")" = 25 ] &&
	[ "$(jget b1.json "d[\"totals\"][\"unchanged\"]")" = 0 ] &&
	[ "$(live "$B")" = 25 ] && [ "$(live "$A")" = 25 ]
'
test_expect_success 'a re-run on either portal writes nothing (and asks nothing: the token is known)' '
	wa=$(stat_of "$A" writes) && wb=$(stat_of "$B" writes) &&
	ra=$(stat_of "$A" requests) && rb=$(stat_of "$B" requests) &&
	imp "$A" --report a2.json cal.ics 2>err && imp "$B" --report b2.json cal.ics 2>err &&
	[ "$(jget a2.json "d[\"totals\"][\"unchanged\"]")" = 25 ] &&
	[ "$(jget b2.json "d[\"totals\"][\"unchanged\"]")" = 25 ] &&
	[ "$(stat_of "$A" writes)" = "$wa" ] && [ "$(stat_of "$B" writes)" = "$wb" ] &&
	[ "$(stat_of "$A" requests)" = "$ra" ] && [ "$(stat_of "$B" requests)" = "$rb" ] &&
	[ "$(live "$A")" = 25 ] && [ "$(live "$B")" = 25 ]
'
test_expect_success 'state list shows each calendar once per portal, with the portal' '
	"$BIN" state list --state st.db >list &&
	[ "$(grep -c "^$TRASH/cal.ics\$" list)" = 2 ] &&
	grep -q "25 created; portal 111 at $A;" list && grep -q "25 created; portal 222 at $B;" list &&
	"$BIN" state list --state st.db --json >list.json &&
	[ "$(jget list.json "\" \".join(str(c[\"portal\"]) for c in d[\"calendars\"])")" = "111 222" ] &&
	"$BIN" state show --state st.db --json sync-0@example.test >show.json &&
	[ "$(jget show.json "\" \".join(str(r[\"portal\"]) for r in d)")" = "111 222" ]
'
test_expect_success 'an edit updates each portal once it runs there; a removal archives only there' '
	"$PY" "$GEN" 19 cal.ics --weekly 5 --retitle "3=Renamed" &&
	imp "$A" --report a3.json cal.ics 2>err &&
	[ "$(jget a3.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget a3.json "d[\"totals\"][\"archived\"]")" = 1 ] &&
	[ "$(titles "$A" Renamed)" = 1 ] && [ "$(titles "$B" Renamed)" = 0 ] &&
	[ "$(live "$A")" = 24 ] && [ "$(live "$B")" = 25 ] &&
	imp "$B" --report b3.json cal.ics 2>err &&
	[ "$(jget b3.json "d[\"totals\"][\"updated\"]")" = 1 ] &&
	[ "$(jget b3.json "d[\"totals\"][\"archived\"]")" = 1 ] &&
	[ "$(titles "$B" Renamed)" = 1 ] && [ "$(live "$B")" = 24 ] && [ "$(live "$A")" = 24 ]
'
test_expect_success 'the same portal id at another API base is another portal' '
	start_sandbox --portal-id 111 --rate 1000/10s &&
	C=$SANDBOX_URL &&
	imp "$C" --report c1.json cal.ics 2>err &&
	[ "$(jget c1.json "d[\"totals\"][\"created\"]")" = 24 ] && [ "$(live "$C")" = 24 ] &&
	[ "$(live "$A")" = 24 ]
'
test_expect_success 'a dry run plans against the portal last used at its API base' '
	imp "$A" -n cal.ics >plan 2>err &&
	! grep -q "^create" plan && grep -q "unchanged" plan
'
test_expect_success 'a dry run with a token plans against its token'"'"'s portal (another portal at the same API base)' '
	# Every real portal is at api.hubapi.com: a new portal behind the same API base, with its
	# own token, where portal 111 was. The state has only portal 111 rows for this base.
	port=${A##*:} &&
	kill "$A_PID" && wait "$A_PID" 2>/dev/null;
	"$PY" "$ROOT/tests/sandbox/sandbox.py" --port "$port" --portal-id 444 --token token-of-444 --rate 1000/10s \
		--log "$TRASH/sandbox-a2.log" >a2.out 2>&1 &
	echo $! >>"$TRASH/.pids" &&
	for _ in $(seq 1 100); do curl -sf "$A/_sandbox/health" >/dev/null && break; sleep 0.1; done &&
	HUBSPOT_ACCESS_TOKEN=token-of-444 "$BIN" setup --api-base "$A" >setup444 2>&1 &&
	w0=$(stat_of "$A" writes) &&
	HUBSPOT_ACCESS_TOKEN=token-of-444 imp "$A" -n --report p4.json cal.ics 2>err &&
	[ "$(jget p4.json "d[\"totals\"][\"created\"]")" = 24 ] &&
	[ "$(jget p4.json "d[\"totals\"][\"unchanged\"]")" = 0 ] &&
	[ "$(stat_of "$A" writes)" = "$w0" ] &&
	HUBSPOT_ACCESS_TOKEN=token-of-444 imp "$A" --report r4.json cal.ics 2>err &&
	[ "$(jget r4.json "d[\"totals\"][\"created\"]")" = 24 ] && [ "$(live "$A")" = 24 ] &&
	HUBSPOT_ACCESS_TOKEN=token-of-444 imp "$A" -n --report p5.json cal.ics 2>err &&
	[ "$(jget p5.json "d[\"totals\"][\"unchanged\"]")" = 24 ] &&
	[ "$(jget p5.json "d[\"totals\"][\"created\"]")" = 0 ]
'
test_done
