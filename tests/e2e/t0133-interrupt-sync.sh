#!/usr/bin/env bash
# Ctrl-C during sync (issue 24 item 4): the terminal sends SIGINT to the whole process group, so
# sync and its portal's run both get it; the run stops between requests and says so, sync waits
# for it and exits 130, and the next sync finishes with each meeting once.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --portal-id 111 --rate 1000/10s --latency-ms 400
export ICS2HUBSPOT_BATCH_SIZE=10 ICS2HUBSPOT_RESOLVE_TRIES=1 ICS2HUBSPOT_RESOLVE_DELAY_MS=100
export ACME_TOKEN=$HUBSPOT_ACCESS_TOKEN
A=$SANDBOX_URL
unset HUBSPOT_ACCESS_TOKEN HUBSPOT_API_BASE
export XDG_CONFIG_HOME="$TRASH/xdg-config"
mkdir -p cals "$XDG_CONFIG_HOME/ics2hubspot"
"$PY" "$Y/gen.py" 120 cals/sales.ics --uid-prefix sales >/dev/null
"$PY" "$Y/gen.py" 60 cals/ops.ics --uid-prefix ops >/dev/null
cat >"$XDG_CONFIG_HOME/ics2hubspot/config.yaml" <<YAML
version: 1
portals:
  - name: acme
    token_env: ACME_TOKEN
    api_base: $A
calendars:
  - {name: sales, source: $TRASH/cals/sales.ics, portal: acme, mapping: $Y/archive.yaml}
  - {name: ops, source: $TRASH/cals/ops.ics, portal: acme, mapping: $Y/archive.yaml}
YAML
live() {
	curl -sS --fail "$A/_sandbox/meetings" | "$PY" -c '
import collections, json, sys
c = collections.Counter(m["properties"]["ics2hubspot_key"]
                        for m in json.load(sys.stdin)["meetings"] if not m["archived"])
print(len(c) if all(v == 1 for v in c.values()) else -1)'
}

test_expect_success 'Ctrl-C (SIGINT to the process group): exit 130, the sentence, nothing twice' '
	setsid "$BIN" sync >out 2>err &
	pid=$!
	track_pid $pid
	for _ in $(seq 1 300); do
		[ "$(live)" -ge 10 ] && break
		sleep 0.1
	done
	kill -INT -- -$pid
	rc=0; wait $pid || rc=$?
	[ $rc = 130 ] &&
	grep -q "error: interrupted: [0-9]* created, [0-9]* not sent; run the same command again to finish" err &&
	[ "$(grep -c "interrupted: " err)" -le 1 ] &&
	n=$(live) && [ "$n" -ge 10 ] && [ "$n" -lt 180 ]
'
test_expect_success 'the next sync finishes: each meeting once' '
	cp err int.err; cp out int.out; "$BIN" sync -q >out 2>err &&
	[ "$(live)" = 180 ]
'

test_done
