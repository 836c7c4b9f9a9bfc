#!/usr/bin/env bash
# ICS URL feeds (issue #7 item 5): ETag kept in the state, a 304 means nothing to do (nothing
# downloaded, nothing written); a feed that fails to load removes nothing.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s

"$PY" "$Y/gen.py" 20 feed.ics --uid-prefix url
"$PY" "$Y/feed_server.py" feed.ics feed.port >feed.out 2>&1 &
track_pid $!
for _ in $(seq 1 100); do [ -s feed.port ] && break; sleep 0.05; done
FEED="http://127.0.0.1:$(cat feed.port)/secret-calendar-path/basic.ics"
feed_count() { curl -sS "http://127.0.0.1:$(cat feed.port)/_count" | jget - "d[\"$1\"]"; }
writes() { sandbox_get /_sandbox/stats | jget - 'd["writes"]'; }
requests() { sandbox_get /_sandbox/stats | jget - 'd["requests"]'; }
exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }

test_expect_success 'first run downloads the feed and creates its meetings' '
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r1.json "$FEED" 2>err &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 20 ] &&
	[ "$(feed_count full)" = 1 ] &&
	[ -n "$(sqlite3 st.db "select etag from calendars")" ]
'
test_expect_success 'second run: the feed answers 304, nothing downloaded, nothing sent' '
	before=$(requests) &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r2.json "$FEED" 2>err &&
	[ "$(feed_count full)" = 1 ] && [ "$(feed_count not_modified)" = 1 ] &&
	[ "$(requests)" = "$before" ] &&
	[ "$(jget r2.json "d[\"totals\"][\"unchanged\"]")" = 20 ]
'
test_expect_success 'the secret path of the URL appears nowhere: output, report, state list' '
	"$BIN" state list --state st.db >list &&
	! grep -q secret-calendar-path err list r1.json r2.json &&
	grep -q "127.0.0.1" list
'
test_expect_success 'a changed feed is downloaded again and the change applied' '
	"$PY" "$Y/gen.py" 20 feed.ics --uid-prefix url --retitle "3=Moved to Thursday" &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r3.json "$FEED" 2>err &&
	[ "$(feed_count full)" = 2 ] &&
	[ "$(jget r3.json "d[\"totals\"][\"updated\"]")" = 1 ]
'
test_expect_success 'a mapping change is not hidden by a 304: the feed is fetched in full' '
	sed "s/default(.(no title).)/upper/" "$Y/archive.yaml" >upper.yaml &&
	"$BIN" import -m upper.yaml --state st.db --report r4.json "$FEED" 2>err &&
	[ "$(feed_count full)" = 3 ] &&
	[ "$(jget r4.json "d[\"totals\"][\"updated\"]")" = 20 ] &&
	"$BIN" import -m upper.yaml --state st.db "$FEED" 2>err &&
	[ "$(feed_count full)" = 3 ]
'
test_expect_success 'a feed that fails to load (404) removes nothing: exit 2, says why' '
	before=$(writes) &&
	MISSING="http://127.0.0.1:$(cat feed.port)/missing/basic.ics" &&
	[ "$(exit_code "$BIN" import -m upper.yaml --state st.db --force "$MISSING" 2>err)" = 2 ] &&
	[ "$(writes)" = "$before" ] && grep -qi "not found" err &&
	! grep -q "missing/basic" err
'
test_expect_success 'one feed failing among two: the other is synced, exit 1, nothing removed' '
	"$PY" "$Y/gen.py" 3 local.ics --uid-prefix local &&
	PRIVATE="http://127.0.0.1:$(cat feed.port)/private/basic.ics" &&
	[ "$(exit_code "$BIN" import -m upper.yaml --state st2.db --report r5.json "$PRIVATE" local.ics 2>err)" = 1 ] &&
	[ "$(jget r5.json "d[\"totals\"][\"created\"]")" = 3 ] &&
	grep -qi "denied\|401" err
'
test_expect_success 'webcal:// is accepted as a feed address (fetched over https)' '
	[ "$(exit_code "$BIN" import -n -m upper.yaml --state st3.db "webcal://127.0.0.1:1/cal.ics" 2>err)" = 2 ] &&
	grep -q "127.0.0.1" err && ! grep -q "cal.ics" err
'
test_done
