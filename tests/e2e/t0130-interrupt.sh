#!/usr/bin/env bash
# Ctrl-C and kill during an import (issue 24 item 4): the request in flight is answered, nothing
# more is sent, the run is recorded as interrupted with its real counts, the user is told to run
# the same command again (exit 130 for SIGINT, 143 for SIGTERM), and the re-run creates each
# meeting once.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s --latency-ms 400
export ICS2HUBSPOT_RESOLVE_TRIES=1 ICS2HUBSPOT_RESOLVE_DELAY_MS=100
# 20 create requests of 10 meetings, each answered after 400 ms: the run takes seconds.
export ICS2HUBSPOT_BATCH_SIZE=10

"$PY" "$Y/gen.py" 200 cal.ics

live() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import json, sys
print(sum(1 for m in json.load(sys.stdin)["meetings"] if not m["archived"]))'
}
# check_once N: each of the N keys exactly once among the live meetings.
check_once() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import collections, json, sys
n = int(sys.argv[1])
c = collections.Counter(m["properties"]["ics2hubspot_key"]
                        for m in json.load(sys.stdin)["meetings"] if not m["archived"])
dups = [k for k, v in c.items() if v > 1]
if dups or len(c) != n:
    sys.exit("%d keys (want %d), duplicates: %s" % (len(c), n, dups[:5]))' "$1"
}
# interrupt SIG: start an import, send SIG once some meetings exist, print its exit code.
interrupt() {
	"$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics >out 2>err &
	pid=$!
	track_pid $pid
	for _ in $(seq 1 300); do
		[ "$(live)" -ge 10 ] && break
		sleep 0.1
	done
	kill -"$1" $pid
	status=0
	wait $pid || status=$?
	echo "$status"
}

test_expect_success 'SIGINT: exit 130, the sentence, the run recorded as interrupted' '
	[ "$(interrupt INT)" = 130 ] &&
	n=$(live) && [ "$n" -ge 10 ] && [ "$n" -lt 200 ] &&
	grep -q "^ics2hubspot: error: interrupted: $n created, [0-9]* not sent; run the same command again to finish$" err &&
	m=$(sed -n "s/.*interrupted: [0-9]* created, \([0-9]*\) not sent.*/\1/p" err) &&
	[ "$m" -gt 0 ] && [ $((n + m)) -le 200 ] &&
	! grep -q "^ics2hubspot: warning:" err && grep -q " 0 failed, $m not sent (interrupted)$" err &&
	[ "$(sqlite3 st.db "select status || \" \" || created || \" \" || exit_code from runs")" = "interrupted $n 130" ] &&
	"$BIN" state list --state st.db >list &&
	grep -q "interrupted.* $n created" list && ! grep -q "killed?" list &&
	check_once "$n" &&
	cp err int.err && cp list int.list
'

test_expect_success 'the re-run finishes: each meeting once' '
	"$BIN" import -q -m "$Y/archive.yaml" --state st.db cal.ics &&
	check_once 200 &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"created\"")" = 200 ]
'

test_expect_success 'SIGTERM while streaming in chunks of 50: exit 143, same sentence' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	rm -f st.db st.db-wal st.db-shm st.db.lock &&
	[ "$(ICS2HUBSPOT_CHUNK=50 interrupt TERM)" = 143 ] &&
	grep -q "interrupted: [0-9]* created, [0-9]* not sent; run the same command again to finish" err &&
	n=$(live) && [ "$n" -lt 200 ] &&
	[ "$(sqlite3 st.db "select status || \" \" || created || \" \" || exit_code from runs")" = "interrupted $n 143" ] &&
	"$BIN" import -q -m "$Y/archive.yaml" --state st.db cal.ics &&
	check_once 200
'

test_expect_success 'off a terminal: no progress line in a run shorter than 30 s, one a period after' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	rm -f st.db st.db-wal st.db-shm st.db.lock &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err &&
	! grep -q "sent [0-9]*/" err &&
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	rm -f st.db st.db-wal st.db-shm st.db.lock &&
	ICS2HUBSPOT_PROGRESS_EVERY_MS=1000 "$BIN" import -m "$Y/archive.yaml" --state st.db cal.ics 2>err &&
	grep -q "^ics2hubspot: read 200, sent [0-9]*/200, created [0-9]*" err &&
	check_once 200
'

test_done
