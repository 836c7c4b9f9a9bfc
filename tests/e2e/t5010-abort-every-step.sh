#!/usr/bin/env bash
# Crash safety (issue #7 item 4), the mbsync way: for every step N, a run killed (SIGKILL) right
# after its N-th durable step, then a normal re-run, leaves exactly one meeting per occurrence.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
# Search has no lag in the sandbox: one look per pending row is enough.
export ICS2HUBSPOT_RESOLVE_TRIES=1 ICS2HUBSPOT_RESOLVE_DELAY_MS=100

# check_once N: the sandbox holds each of the N keys exactly once (live), nothing else.
check_once() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import collections, json, sys
n = int(sys.argv[1])
ms = [m for m in json.load(sys.stdin)["meetings"] if not m["archived"]]
c = collections.Counter(m["properties"]["ics2hubspot_key"] for m in ms)
dups = [k for k, v in c.items() if v > 1]
missing = n - len(c)
if dups or missing:
    sys.exit("%d keys, %d missing, duplicates: %s" % (len(c), missing, dups[:5]))' "$1"
}

"$PY" "$Y/gen.py" 250 cal.ics
# One scenario: abort after step $1, re-run, check. Prints "done" when the run was not aborted.
abort_then_rerun() {
	sandbox_post /_sandbox/reset "{}" >/dev/null || return 1
	rm -f st.db st.db-wal st.db-shm st.db.lock
	status=0
	ICS2HUBSPOT_ABORT_AFTER=$1 "$BIN" import -q -m "$Y/archive.yaml" --state st.db cal.ics \
		2>abort.err || status=$?
	cat abort.err >>aborts.log
	if [ "$status" = 0 ]; then echo done; return 0; fi
	if [ "$status" != 137 ]; then echo "step $1: exit $status"; cat abort.err; return 1; fi
	if ! "$BIN" import -q -m "$Y/archive.yaml" --state st.db cal.ics 2>rerun.err; then
		echo "step $1: the re-run failed:"; cat abort.err rerun.err; return 1
	fi
	if ! check_once 250; then echo "after: $(cat abort.err)"; return 1; fi
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"created\"")" = 250 ] &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status<>\"created\"")" = 0 ] ||
		{ echo "step $1: the state does not say 250 created"; return 1; }
}

test_expect_success 'abort after every step N, then re-run: one meeting per occurrence' '
	n=1 &&
	while [ $n -lt 200 ]; do
		out=$(abort_then_rerun $n) || { echo "$out"; exit 1; }
		[ "$out" = done ] && break
		n=$((n + 1))
	done &&
	echo "the run completed with $n steps allowed" &&
	[ "$n" -gt 6 ] && [ "$n" -lt 200 ] &&
	check_once 250
'
# check_exact CAL: the live meetings are exactly CAL's events (single events), once each, with
# CAL's titles; every other meeting is archived.
check_exact() {
	sandbox_get /_sandbox/meetings | "$PY" -c '
import collections, json, sys
want = {}
uid = None
for line in open(sys.argv[1]).read().splitlines():
    if line.startswith("UID:"):
        uid = line[4:]
    elif line.startswith("SUMMARY:"):
        want[uid] = line[8:]
ms = [m for m in json.load(sys.stdin)["meetings"] if not m["archived"]]
c = collections.Counter(m["properties"]["ics2hubspot_key"] for m in ms)
dups = [k for k, v in c.items() if v > 1]
missing = sorted(set(want) - set(c))
extra = sorted(set(c) - set(want))
wrong = [m["properties"]["ics2hubspot_key"] for m in ms
         if want.get(m["properties"]["ics2hubspot_key"], m["properties"]["hs_meeting_title"])
         != m["properties"]["hs_meeting_title"]]
if dups or missing or extra or wrong:
    sys.exit("duplicates %s, missing %s, not removed %s, not updated %s"
             % (dups[:3], missing[:3], extra[:3], wrong[:3]))' "$1"
}

# A sync run (creates, updates, removals) killed after step $1, then re-run.
sync_abort_then_rerun() {
	sandbox_post /_sandbox/reset "{}" >/dev/null || return 1
	rm -f sy.db sy.db-wal sy.db-shm sy.db.lock
	cp base.ics sync.ics
	"$BIN" import -q -m "$Y/archive.yaml" --state sy.db sync.ics 2>base.err ||
		{ echo "base import failed"; cat base.err; return 1; }
	cp changed.ics sync.ics
	status=0
	ICS2HUBSPOT_ABORT_AFTER=$1 "$BIN" import -q -m "$Y/archive.yaml" --state sy.db \
		sync.ics 2>abort.err || status=$?
	cat abort.err >>sync-aborts.log
	if [ "$status" = 0 ]; then echo done; return 0; fi
	if [ "$status" != 137 ]; then echo "step $1: exit $status"; cat abort.err; return 1; fi
	if ! "$BIN" import -q -m "$Y/archive.yaml" --state sy.db sync.ics 2>rerun.err; then
		echo "step $1: the re-run failed:"; cat abort.err rerun.err; return 1
	fi
	check_exact sync.ics || { echo "after: $(cat abort.err)"; return 1; }
}

test_expect_success 'a sync run (creates, updates, removals) aborted at every step, then re-run' '
	"$PY" "$Y/gen.py" 270 base.ics --uid-prefix s --drop "$(seq -s, 150 269)" &&
	"$PY" "$Y/gen.py" 270 changed.ics --uid-prefix s --drop 0,1,2,3,4 \
		--retitle "10=Edited 10" --retitle "11=Edited 11" --retitle "12=Edited 12" &&
	n=1 &&
	while [ $n -lt 200 ]; do
		out=$(sync_abort_then_rerun $n) || { echo "$out"; exit 1; }
		[ "$out" = done ] && break
		n=$((n + 1))
	done &&
	echo "the sync run completed with $n steps allowed" &&
	[ "$n" -gt 8 ] && [ "$n" -lt 200 ] &&
	check_exact sync.ics &&
	grep -q "abort after step .* (import: create answered)" sync-aborts.log
'

test_expect_success 'the kills landed before a create was sent, after it was answered, and after commits' '
	cat aborts.log &&
	[ "$(grep -c "abort after step .* (state: mark pending)" aborts.log)" = 3 ] &&
	[ "$(grep -c "abort after step .* (import: create answered)" aborts.log)" = 3 ] &&
	grep -q "abort after step .* (state: commit)" aborts.log
'

test_expect_success 'a stored batch answered 502, killed before the look-up: the re-run finds it' '
	sandbox_post /_sandbox/reset "{}" >/dev/null &&
	rm -f st.db* &&
	"$PY" "$Y/gen.py" 40 small.ics --uid-prefix f502 &&
	sandbox_post /_sandbox/faults "{\"faults\":[{\"method\":\"POST\",\"path\":\"/crm/objects/2026-09/meetings/batch/create\",\"action\":\"store_then_status\",\"status\":502,\"count\":1}]}" >/dev/null &&
	sandbox_post /_sandbox/config "{\"latency_ms\":1500}" >/dev/null &&
	{ "$BIN" import -q -m "$Y/archive.yaml" --state st.db small.ics 2>bg.err & pid=$!; } &&
	for _ in $(seq 1 100); do
		sandbox_get /_sandbox/requests | grep -q "\"status\": *502" && break
		sleep 0.05
	done &&
	kill -9 $pid && { wait $pid 2>/dev/null || :; } &&
	[ "$(sqlite3 st.db "select count(*) from occurrences where status=\"pending\"")" = 40 ] &&
	[ "$(sandbox_get /_sandbox/meetings | jget - "len(d[\"meetings\"])")" = 40 ] &&
	sandbox_post /_sandbox/config "{\"latency_ms\":0}" >/dev/null &&
	"$BIN" import -m "$Y/archive.yaml" --state st.db --report r.json small.ics 2>err &&
	check_once 40 &&
	[ "$(jget r.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(jget r.json "d[\"totals\"][\"unchanged\"]")" = 40 ] &&
	grep -q "40 found in HubSpot" err
'
test_done
