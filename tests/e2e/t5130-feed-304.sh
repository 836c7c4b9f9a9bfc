#!/usr/bin/env bash
# Issue 27 items 4 and 6: a feed server answering 304 Not Modified to a request without validators
# made expand, check, import --no-state and import -n (new state) segfault (exit 139): now one
# clear message, exit 2, the other calendars still done. 304 with validators (ETag, or
# Last-Modified alone) still means "nothing to do". A feed's path, query and user:password and the
# API base's user:password appear nowhere, -vv (libcurl's trace) included.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s

"$PY" "$Y/gen.py" 4 feed.ics --uid-prefix f304
"$PY" "$Y/gen.py" 2 local.ics --uid-prefix l304
"$PY" "$Y/feed_server.py" feed.ics feed.port >feed.out 2>&1 &
track_pid $!
for _ in $(seq 1 100); do [ -s feed.port ] && break; sleep 0.05; done
BASE="http://127.0.0.1:$(cat feed.port)"
BROKEN="$BASE/always304/secret-cal-path/basic.ics?token=SECRETTOKEN"
exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"][\"ics2hubspot_key\"].startswith(\"$1\")])"; }
# no_secret FILE...: none of the secrets of this script is in FILE
no_secret() { ! grep -q -e SECRET -e secret-cal-path -e always304 "$@"; }
# one_message FILE: the 304 error, said once
one_message() {
	[ "$(grep -c "304 Not Modified to a request without If-None-Match or If-Modified-Since" "$1")" = 1 ]
}

test_expect_success 'expand: a 304 to a request without validators is an error (exit 2), no crash' '
	[ "$(exit_code "$BIN" expand "$BROKEN" 2>err)" = 2 ] && one_message err && no_secret err &&
	grep -q "cannot fetch .http://127.0.0.1:[0-9]*/…#" err
'
test_expect_success 'check: the same, exit 2' '
	[ "$(exit_code "$BIN" check "$BROKEN" 2>err)" = 2 ] && one_message err && no_secret err
'
test_expect_success 'import --no-state and import -n with a new state: exit 2, nothing sent, no state made' '
	w0=$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]") &&
	[ "$(exit_code "$BIN" import --no-state -m "$Y/archive.yaml" "$BROKEN" 2>err)" = 2 ] &&
	one_message err && no_secret err &&
	[ "$(exit_code "$BIN" import -n -m "$Y/archive.yaml" --state new.db "$BROKEN" 2>err)" = 2 ] &&
	one_message err && no_secret err && [ ! -e new.db ] &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"writes\"]")" = "$w0" ]
'
test_expect_success 'import with a state: the broken feed fails alone (exit 1), the other calendar is imported' '
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state st.db --report r.json "$BROKEN" local.ics 2>err)" = 1 ] &&
	one_message err && no_secret err r.json && [ "$(live l304-)" = 2 ] &&
	[ -z "$(sqlite3 st.db "select etag from calendars where source like \"%always304%\" and etag is not null")" ]
'
test_expect_success 'a broken feed that sends an ETag with its 304: the same error (it was asked nothing)' '
	[ "$(exit_code "$BIN" expand "$BASE/always304-etag/secret-cal-path/x.ics" 2>err)" = 2 ] &&
	one_message err && no_secret err
'
test_expect_success '304 with an ETag: the second run sends If-None-Match and has nothing to do' '
	"$BIN" import -q -m "$Y/archive.yaml" --state v.db "$BASE/etag/cal.ics" 2>err &&
	"$BIN" import -m "$Y/archive.yaml" --state v.db --report r2.json "$BASE/etag/cal.ics" 2>err &&
	[ "$(jget r2.json "d[\"totals\"][\"unchanged\"]")" = 4 ] &&
	tail -n1 feed.port.log | jget - "d[\"if_none_match\"] is not None" | grep -qx True &&
	[ "$(live f304-)" = 4 ]
'
test_expect_success '304 to If-Modified-Since alone (a feed without ETag): nothing to do either' '
	"$BIN" import -q -m "$Y/archive.yaml" --state lm.db "$BASE/no-etag/cal.ics" 2>err &&
	[ -n "$(sqlite3 lm.db "select last_modified from calendars where last_modified is not null")" ] &&
	"$BIN" import -m "$Y/archive.yaml" --state lm.db --report r3.json "$BASE/no-etag/cal.ics" 2>err &&
	[ "$(jget r3.json "d[\"totals\"][\"unchanged\"]")" = 4 ] &&
	tail -n1 feed.port.log | jget - "d[\"if_none_match\"] is None and d[\"if_modified_since\"] is not None" | grep -qx True &&
	[ "$(curl -sS "$BASE/_count" | jget - "d[\"not_modified\"]")" -ge 2 ]
'
test_expect_success '-vv: the feed'"'"'s path, query and user:password are not in libcurl'"'"'s trace' '
	"$BIN" expand -vv "http://someone:SECRETPW@127.0.0.1:$(cat feed.port)/secret-cal-path/cal.ics?token=SECRETTOKEN" >out 2>err &&
	[ "$(wc -l <out)" -ge 4 ] && grep -q "^> GET /… HTTP/1.1" err && grep -q "^< HTTP/1.1 200" err &&
	no_secret out err && ! grep -q someone err
'
test_expect_success '-vv: a redirect'"'"'s Location and libcurl'"'"'s "another request to this URL" are redacted' '
	{ "$PY" "$ROOT/tests/e2e/hostile_server.py" redirect redir.port \
		--location "$BASE/secret-cal-path/cal.ics?token=SECRETTOKEN" >redir.log 2>&1 &
	  track_pid $!; } &&
	for _ in $(seq 1 100); do [ -s redir.port ] && break; sleep 0.05; done &&
	"$BIN" expand -vv "http://127.0.0.1:$(cat redir.port)/secret-cal-path/start.ics" >out 2>err &&
	[ "$(wc -l <out)" -ge 4 ] && grep -q "^< Location: <redacted>" err && no_secret out err
'
test_expect_success 'an API base with user:password is never printed raw (-vv, errors, state list)' '
	AUTHBASE="http://apiuser:SECRETAPIPW@127.0.0.1:$SANDBOX_PORT" &&
	"$BIN" check --remote -vv --api-base "$AUTHBASE" >out 2>err &&
	no_secret out err && ! grep -q apiuser out err &&
	"$BIN" import -v -m "$Y/archive.yaml" --api-base "$AUTHBASE" --state ab.db local.ics >out 2>err &&
	"$BIN" state list --state ab.db >list && "$BIN" state list --json --state ab.db >list.json &&
	grep -q "at http://127.0.0.1:$SANDBOX_PORT" list &&
	no_secret out err list list.json && ! grep -q apiuser out err list list.json &&
	rc=0; "$BIN" check --remote --api-base "http://apiuser:SECRETAPIPW@192.0.2.1/" >out 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "API base .http://192.0.2.1/. is plain http" err && no_secret err &&
	! grep -q apiuser err
'
test_done
