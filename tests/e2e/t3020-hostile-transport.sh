#!/usr/bin/env bash
# Issue #16 items 4 and 10: a hostile HubSpot or feed server and careless transport settings.
# Endless bodies and headers stop at a documented limit; a server trickling a byte a second
# cannot hold a request past the low-speed limit or the retry budget; the token never goes to a
# plain-http API base off this machine (exit 2 unless --allow-insecure-http); an https feed is
# never downgraded to http by a redirect; token files: size, type and permissions checked.
. "$(dirname "$0")/lib.sh"
HS="$ROOT/tests/e2e/hostile_server.py"
export HUBSPOT_ACCESS_TOKEN=secret-token-123
unset HUBSPOT_API_BASE

# hostile NAME MODE [options]: start a hostile server, its URL in $URL
hostile() {
	rm -f "$1.port"
	"$PY" "$HS" "$2" "$1.port" "${@:3}" >"$1.log" 2>&1 &
	track_pid $!
	for _ in $(seq 1 100); do [ -s "$1.port" ] && break; sleep 0.1; done
	URL="http://127.0.0.1:$(cat "$1.port")"
}
# took START: seconds since START (date +%s)
took() { echo $(($(date +%s) - $1)); }

test_expect_success 'a plain-http API base off this machine is a usage error (exit 2), nothing sent' '
	rc=0; "$BIN" check --remote --api-base http://api.example.com >/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "plain http and not on this machine" err &&
	rc=0; HUBSPOT_API_BASE=http://10.1.2.3 "$BIN" import --no-state "$ROOT/samples/allday.ics" \
		>/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "10.1.2.3" err &&
	rc=0; "$BIN" check --remote --api-base ftp://example.com >/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "not an http(s) URL" err &&
	! grep -q secret-token-123 err
'
test_expect_success '--allow-insecure-http lets it through, with a warning; loopback needs none' '
	rc=0; ICS2HUBSPOT_RETRY_BUDGET_MS=1000 timeout 10 "$BIN" check --remote --allow-insecure-http \
		--api-base http://192.0.2.1:9 >/dev/null 2>err || rc=$?
	[ "$rc" != 2 ] && grep -q "plain http: the access token travels in clear text" err &&
	hostile loop endless &&
	rc=0; timeout 10 "$BIN" check --remote --api-base "http://localhost:${URL##*:}" >/dev/null 2>err || rc=$?
	! grep -q "clear text" err && ! grep -q "not on this machine" err
'
test_expect_success 'an endless HubSpot body stops at 16 MiB: clear error, bounded memory, fast' '
	hostile endless endless && t0=$(date +%s) &&
	rc=0; /usr/bin/time -f "%M" -o mem timeout 10 "$BIN" check --remote --api-base "$URL" \
		>/dev/null 2>err || rc=$?
	[ "$rc" = 3 ] && grep -q "response larger than 16 MiB" err &&
	[ "$(tail -n 1 mem)" -lt 200000 ] && [ "$(took $t0)" -lt 10 ]
'
test_expect_success 'endless response headers stop too' '
	hostile headers headers &&
	rc=0; timeout 10 "$BIN" check --remote --api-base "$URL" >/dev/null 2>err || rc=$?
	[ "$rc" = 3 ] && grep -q "response headers past 200 lines" err
'
test_expect_success 'a trickling API server cannot hold a call past the retry budget; no core dump' '
	hostile trickle trickle && t0=$(date +%s) &&
	rc=0; ICS2HUBSPOT_RETRY_BUDGET_MS=3000 "$BIN" check --remote --api-base "$URL" \
		>/dev/null 2>err & pid=$! &&
	sleep 1 && grep "Max core file size" /proc/$pid/limits >limits &&
	wait $pid || rc=$?
	[ "$rc" = 3 ] && [ "$(took $t0)" -lt 8 ] && grep -q timeout err &&
	grep -q "Max core file size *0 *0 " limits
'
test_expect_success 'a trickling feed is dropped by the low-speed limit' '
	hostile feed trickle && t0=$(date +%s) &&
	rc=0; ICS2HUBSPOT_LOW_SPEED_TIME_S=2 timeout 10 "$BIN" import -n --no-state "$URL/cal.ics" \
		>/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && [ "$(took $t0)" -lt 8 ] && grep -q "too slow" err
'
test_expect_success 'an https feed redirected to http is refused' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 &&
	cp "$ROOT/samples/allday.ics" cal.ics &&
	# braces: a bare "a && b && server & track_pid $!" ran the whole && list in a background
	# subshell, whose pid was tracked: killing it left the feed server running after the test
	{ "$PY" "$ROOT/tests/sync/feed_server.py" cal.ics plain.port >plain.log 2>&1 & track_pid $!; } &&
	for _ in $(seq 1 100); do [ -s plain.port ] && break; sleep 0.1; done &&
	hostile tls redirect --location "http://127.0.0.1:$(cat plain.port)/cal.ics" --tls cert.pem key.pem &&
	TLS="https://127.0.0.1:${URL##*:}/cal.ics" &&
	# a dry run without a token: only the feed is fetched (with one, it would ask HubSpot too)
	rc=0; ICS2HUBSPOT_CA_FILE=cert.pem HUBSPOT_ACCESS_TOKEN= timeout 10 "$BIN" import -n --no-state "$TLS" \
		>/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "redirects to a plain http:// address, refused" err &&
	rc=0; HUBSPOT_ACCESS_TOKEN= timeout 10 "$BIN" import -n --no-state "http://127.0.0.1:$(cat plain.port)/cal.ics" \
		>/dev/null 2>err || rc=$?
	[ "$rc" = 0 ]
'
test_expect_success 'token files: readable by others warns, /dev/zero and huge files refused' '
	start_sandbox && export HUBSPOT_ACCESS_TOKEN= &&
	echo test-token >tok && chmod 644 tok &&
	"$BIN" check --remote --token-file tok >/dev/null 2>err &&
	grep -q "token file .tok. is accessible by others (mode 0644): chmod 600" err &&
	chmod 600 tok && "$BIN" check --remote --token-file tok >/dev/null 2>err &&
	! grep -q "accessible by others" err &&
	rc=0; timeout 10 "$BIN" check --remote --token-file /dev/zero >/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "not a regular file" err &&
	head -c 100000 /dev/zero | tr "\\0" x >big && chmod 600 big &&
	rc=0; "$BIN" check --remote --token-file big >/dev/null 2>err || rc=$?
	[ "$rc" = 2 ] && grep -q "larger than 65536 bytes" err
'
test_done
