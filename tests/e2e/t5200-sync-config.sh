#!/usr/bin/env bash
# Issue #23 items 1-2: one configuration, five calendars over two portals (two sandboxes).
# `sync` creates every occurrence once in the right portal, a re-run sends nothing, a calendar
# whose source is missing fails alone (its line, exit 2), a second sync of a portal being
# synced exits 4 at once and duplicates nothing; the token never shows.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
GEN="$Y/gen.py"

start_sandbox --portal-id 111 --rate 1000/10s
A=$SANDBOX_URL
SANDBOX_PID= # keep it running: start_sandbox would stop it
start_sandbox --portal-id 222 --rate 1000/10s --latency-ms 150
B=$SANDBOX_URL
unset HUBSPOT_ACCESS_TOKEN HUBSPOT_API_BASE
export XDG_STATE_HOME="$TRASH/xdg-state" XDG_CONFIG_HOME="$TRASH/xdg-config"

get() { curl -sS --fail "$1$2"; }
stat_of() { get "$1" /_sandbox/stats | jget - "d[\"$2\"]"; }
live() { get "$1" /_sandbox/meetings | jget - 'len([m for m in d["meetings"] if not m["archived"]])'; }
# uid: how many live meetings of that portal have titles from calendar PREFIX (gen.py --uid-prefix)
uids() { get "$1" /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"].get(\"ics2hubspot_key\", \"\").startswith(\"$2-\")])"; }

mkdir -p cals "$XDG_CONFIG_HOME/ics2hubspot"
for c in sales:10 support:6 ops:4 east:8 west:5; do
	"$PY" "$GEN" "${c#*:}" "cals/${c%%:*}.ics" --uid-prefix "${c%%:*}" >/dev/null
done
printf 'test-token\n' >beta.token && chmod 600 beta.token
cat >"$XDG_CONFIG_HOME/ics2hubspot/config.yaml" <<YAML
version: 1
portals:
  - name: acme
    token_env: ACME_TOKEN
    api_base: $A
  - name: beta
    token_command: "cat $TRASH/beta.token"
    api_base: $B
calendars:
  - {name: sales, source: $TRASH/cals/sales.ics, portal: acme, mapping: $Y/archive.yaml}
  - {name: support, source: $TRASH/cals/support.ics, portal: acme, mapping: $Y/archive.yaml}
  - {name: ops, source: $TRASH/cals/ops.ics, portal: acme, mapping: $Y/archive.yaml}
  - {name: east, source: $TRASH/cals/east.ics, portal: beta, mapping: $Y/archive.yaml}
  - {name: west, source: $TRASH/cals/west.ics, portal: beta, mapping: $Y/archive.yaml, since: -3650d}
YAML
export ACME_TOKEN=test-token

test_expect_success 'sync: every calendar once, into its own portal; one line each and a total' '
	"$BIN" sync >out 2>err &&
	[ "$(grep -c " created, " out)" = 6 ] && grep -q "^[0-9-]*T[0-9:]*Z sales (acme): 10 created" out &&
	grep -q "Z west (beta): 5 created" out && grep -q "Z total (5 calendars): 33 created" out &&
	[ "$(live "$A")" = 20 ] && [ "$(live "$B")" = 13 ] &&
	[ "$(uids "$A" east)" = 0 ] && [ "$(uids "$B" east)" = 8 ] && [ "$(uids "$A" ops)" = 4 ] &&
	[ -f "$XDG_STATE_HOME/ics2hubspot/acme.db" ] && [ -f "$XDG_STATE_HOME/ics2hubspot/beta.db" ] &&
	! grep -q test-token out err
'
test_expect_success 'a re-run sends nothing' '
	wa=$(stat_of "$A" writes) && wb=$(stat_of "$B" writes) &&
	"$BIN" sync >out2 2>err2 &&
	grep -q "Z total (5 calendars): 0 created, 0 updated, 0 archived, 0 failed" out2 &&
	[ "$(stat_of "$A" writes)" = "$wa" ] && [ "$(stat_of "$B" writes)" = "$wb" ]
'
test_expect_success 'a calendar whose source is missing fails alone: its line, exit 2' '
	mv cals/support.ics cals/support.gone &&
	"$PY" "$GEN" 12 cals/sales.ics --uid-prefix sales >/dev/null &&
	{ "$BIN" sync >out3 2>err3; rc=$?; } ; [ "$rc" = 2 ] &&
	grep -q "Z support (acme): 0 created, 0 updated, 0 archived, 0 failed in .* s, exit 2: .*support.ics" out3 &&
	grep -q "Z sales (acme): 2 created" out3 && grep -q "exit 2" out3 &&
	grep -q "ics2hubspot: support: error: .*support.ics" err3 &&
	[ "$(live "$A")" = 22 ] && mv cals/support.gone cals/support.ics
'
test_expect_success 'state runs: calendar, portal, start, duration, counts, exit code, why' '
	"$BIN" state runs --config "$XDG_CONFIG_HOME/ics2hubspot/config.yaml" >runs &&
	grep -q "^[0-9]* [0-9T:-]*Z [0-9]*s support (acme): 0 created, 0 updated, 0 archived, 0 failed, exit 2: .*support.ics" runs &&
	grep -q " sales (acme): 2 created, 0 updated, 0 archived, 0 failed, exit 0\$" runs &&
	grep -q " east (beta): 8 created" runs &&
	"$BIN" state runs --config "$XDG_CONFIG_HOME/ics2hubspot/config.yaml" --portal beta --json >runs.json &&
	[ "$(jget runs.json "len(d)")" = 6 ] && [ "$(jget runs.json "d[0][\"portal\"]")" = beta ]
'
test_expect_success '-q: one time-stamped line unless something failed; --log-format json: one object a line' '
	"$BIN" sync -q >q.out 2>q.err && [ "$(wc -l <q.out)" = 1 ] && [ ! -s q.err ] &&
	grep -q "^[0-9-]*T[0-9:]*Z total (5 calendars): 0 created" q.out &&
	"$BIN" sync --log-format json >j.out 2>j.err && [ ! -s j.out ] && [ "$(wc -l <j.err)" = 6 ] &&
	"$PY" -c "import json,sys; l=[json.loads(x) for x in open(\"j.err\")]; assert all(set(\"time level calendar message counts exit\".split()) <= set(o) for o in l), l; assert l[-1][\"calendar\"] == \"total\"" &&
	"$BIN" import -q --config "$XDG_CONFIG_HOME/ics2hubspot/config.yaml" sales 2>iq.err &&
	[ "$(wc -l <iq.err)" = 1 ] && grep -q "^[0-9-]*T[0-9:]*Z sales (acme): 0 created" iq.err
'
test_expect_success 'NAMEs choose calendars or portals; an unknown one is a usage error' '
	"$BIN" sync beta >out4 2>err4 && grep -q "Z total (2 calendars)" out4 &&
	! grep -q "(acme)" out4 &&
	{ "$BIN" sync sales westt 2>err5; [ $? = 2 ]; } && grep -q "did you mean .west." err5
'
test_expect_success 'a second sync of a portal being synced exits 4 at once; nothing duplicated' '
	"$PY" "$GEN" 40 cals/east.ics --uid-prefix east >/dev/null &&
	{ "$BIN" sync beta >bg.out 2>bg.err & pid=$!; } && track_pid $pid &&
	for _ in $(seq 1 100); do grep -q "\"POST\"" "$TRASH/sandbox.log" 2>/dev/null && break; sleep 0.05; done &&
	sleep 0.3 && { "$BIN" sync east >lock.out 2>lock.err; rc=$?; } &&
	[ "$rc" = 4 ] && grep -q "portal .beta. is being synced by another run" lock.err &&
	wait $pid && [ "$(uids "$B" east)" = 40 ] &&
	"$BIN" sync --wait beta >w.out 2>w.err && grep -q "Z total (2 calendars): 0 created" w.out
'
test_expect_success 'import --config NAME runs one calendar of the file; check --config too' '
	"$PY" "$GEN" 11 cals/ops.ics --uid-prefix ops >/dev/null &&
	"$BIN" import --config "$XDG_CONFIG_HOME/ics2hubspot/config.yaml" --report r.json ops 2>ierr &&
	[ "$(jget r.json "d[\"totals\"][\"created\"]")" = 7 ] && [ "$(uids "$A" ops)" = 11 ] &&
	"$BIN" check --config "$XDG_CONFIG_HOME/ics2hubspot/config.yaml" --limit 1 west >chk 2>&1
'
test_expect_success 'setup --config --portal; state list --config --portal; --portal needs --config' '
	C=$XDG_CONFIG_HOME/ics2hubspot/config.yaml &&
	"$BIN" setup --config "$C" --portal beta --dry-run >setup.out 2>&1 &&
	"$BIN" state list --config "$C" --portal acme >list.out &&
	grep -q "^sales$" list.out && ! grep -q "^east$" list.out &&
	{ "$BIN" state list --config "$C" 2>list.err; [ $? = 2 ]; } && grep -q "which portal? --portal NAME" list.err &&
	{ "$BIN" state list --portal acme 2>p.err; [ $? = 2 ]; } && grep -q "names a portal of a --config file" p.err
'
test_expect_success 'config errors name file:line:col' '
	printf "version: 1\nportals:\n  - name: x\n    tokn_env: X\ncalendars:\n  - {name: a, source: a.ics}\n" >bad.yaml &&
	{ "$BIN" sync --config bad.yaml 2>bad.err; [ $? = 2 ]; } &&
	grep -q "bad.yaml:4:5: unknown key .tokn_env. in a portal (did you mean .token_env.?)" bad.err
'
test_expect_success 'a failing token_command: exit 2 per calendar, its output never shown' '
	printf "version: 1\nportals:\n  - {name: z, token_command: \"echo secret-zz; exit 3\", api_base: %s}\ncalendars:\n  - {name: a, source: %s/cals/ops.ics}\n" "$A" "$TRASH" >z.yaml &&
	{ "$BIN" sync --config z.yaml >z.out 2>z.err; [ $? = 2 ]; } &&
	grep -q "token_command failed (exit status 3)" z.err && ! grep -q secret-zz z.out z.err
'
test_done
