#!/usr/bin/env bash
# The cron recipe of README.md and docs/scheduling.md (issue 23 item 4), run as cron runs it:
# the line as written, its five time fields dropped and its % escapes undone (crontab(5)), by
# /bin/sh with cron's environment (HOME, LOGNAME, SHELL, PATH=/usr/bin:/bin) and nothing else.
# Only three things are pointed at the test: the binary (/usr/bin/ics2hubspot -> $BIN), the
# calendar URL (-> a feed on 127.0.0.1) and HubSpot (HUBSPOT_API_BASE -> the sandbox). The
# recipe is `sync -q` with the config docs/scheduling.md shows (issue 23 items 2-3).
. "$(dirname "$0")/lib.sh"
start_sandbox
H=$TRASH/home
mkdir -p "$H"
cp "$ROOT/samples/outlook-export.ics" feed.ics
"$PY" "$ROOT/tests/sync/feed_server.py" feed.ics feed.port >feed.out 2>&1 &
track_pid $!
for _ in $(seq 1 100); do [ -s feed.port ] && break; sleep 0.05; done
FEED="http://127.0.0.1:$(cat feed.port)/team/basic.ics"

# The crontab line of a file: the one that starts with the five fields of */15.
recipe() { grep -m1 '^\*/15 \* \* \* \* ' "$1"; }
# What cron's shell gets (crontab(5): "\%" is a %, an unescaped % ends the command).
cron_command() {
	"$PY" -c '
import re, sys
line = sys.stdin.read().rstrip("\n")
cmd = line.split(None, 5)[5]
out, i = "", 0
while i < len(cmd):
    if cmd.startswith("\\%", i):
        out += "%"; i += 2
    elif cmd[i] == "%":
        break
    else:
        out += cmd[i]; i += 1
print(out)'
}
cron_run() {
	env -i HOME="$H" LOGNAME=cron-test SHELL=/bin/sh PATH=/usr/bin:/bin \
		HUBSPOT_API_BASE="$HUBSPOT_API_BASE" /bin/sh -c "$1"
}

test_expect_success 'README and docs/scheduling.md give the same cron line, with full paths' '
	recipe "$ROOT/README.md" >readme.line && recipe "$ROOT/docs/scheduling.md" >docs.line &&
	[ -s readme.line ] && cmp readme.line docs.line &&
	cron_command <readme.line >cmd &&
	grep -q "^/usr/bin/ics2hubspot sync -q " cmd && ! grep -q "%" cmd
'
test_expect_success 'the token file, made as the docs say' '
	grep -q "^install -D -m 600 /dev/stdin ~/.config/ics2hubspot/token " "$ROOT/docs/scheduling.md" &&
	echo "$HUBSPOT_ACCESS_TOKEN" | (cd "$H" && HOME=$H sh -c "install -D -m 600 /dev/stdin ~/.config/ics2hubspot/token") &&
	[ "$(stat -c %a "$H/.config/ics2hubspot/token")" = 600 ]
'
test_expect_success 'the portal made ready for the outlook preset, by the docs'"'"' setup line' '
	grep -o "^ics2hubspot setup -m outlook --token-file ~/.config/ics2hubspot/token" "$ROOT/docs/scheduling.md" >setup.line &&
	grep -qF "$(cat setup.line)" "$ROOT/README.md" &&
	env -u HUBSPOT_ACCESS_TOKEN HOME="$H" sh -c "$BIN $(sed "s/^ics2hubspot //" setup.line)" >setup2.out 2>&1 &&
	grep -q "outlook.yaml" setup2.out
'
sed -e "s|^/usr/bin/ics2hubspot |$BIN |" cmd >cmd.test
# The config of docs/scheduling.md's cron section (the yaml block there), as written.
test_expect_success 'the config, made as the docs say' '
	awk "/^## cron/ { c = 1 } c && /^\\\`\\\`\\\`yaml/ { y = 1; next } y && /^\\\`\\\`\\\`/ { exit } y" \
		"$ROOT/docs/scheduling.md" >config.yaml &&
	grep -q "token_file: token" config.yaml && grep -q "mapping: outlook" config.yaml &&
	sed "s|https://calendar.example.com/team/basic.ics|$FEED|" config.yaml >"$H/.config/ics2hubspot/config.yaml"
'
test_expect_success 'first run from cron: meetings created, one time-stamped summary line' '
	cron_run "$(cat cmd.test)" &&
	log=$H/ics2hubspot.log && cat "$log" && cp "$log" first.log &&
	[ "$(grep -c . "$log")" = 1 ] &&
	grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z total \(1 calendar\): [1-9][0-9]* created, 0 updated, 0 archived, 0 failed in [0-9.]+ s$" "$log" &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"meetings_created\"]")" -gt 0 ] &&
	[ -f "$H/.local/state/ics2hubspot/main.db" ]
'
test_expect_success 'second run: nothing to do, one more line, appended' '
	log=$H/ics2hubspot.log && before=$(grep -c . "$log") &&
	cron_run "$(cat cmd.test)" && cat "$log" &&
	[ "$(grep -c . "$log")" = $((before + 1)) ] &&
	tail -n1 "$log" | grep -E "^[0-9T:-]+Z total \(1 calendar\): 0 created, 0 updated, 0 archived, 0 failed "
'
# The drop-in docs/scheduling.md gives for one calendar, its ExecStart run as systemd runs it:
# split into words (no shell), %S = ~/.local/state, the token only in $CREDENTIALS_DIRECTORY.
dropin_exec() {
	awk '/systemctl --user edit ics2hubspot-sync.service/ { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside && /^ExecStart=./ { sub(/^ExecStart=/, ""); print }' "$ROOT/docs/scheduling.md"
}
test_expect_success 'the systemd import drop-in: the token by credential, the report in %S' '
	dropin_exec >exec.line && grep -q "^/usr/bin/ics2hubspot import -m outlook " exec.line &&
	mkdir -p creds && cp "$H/.config/ics2hubspot/token" creds/hubspot-token &&
	sed -e "s|^/usr/bin/ics2hubspot |$BIN |" -e "s|https://calendar.example.com/team/basic.ics|$FEED|" \
		-e "s|%S|$H/.local/state|g" exec.line >exec.test &&
	set -f && read -r -a argv <exec.test && set +f &&
	env -i HOME="$H" PATH=/usr/bin:/bin CREDENTIALS_DIRECTORY="$TRASH/creds" \
		HUBSPOT_API_BASE="$HUBSPOT_API_BASE" "${argv[@]}" 2>unit.err &&
	cat unit.err &&
	grep -E "^ics2hubspot: 0 created, 0 updated, [1-9][0-9]* unchanged, " unit.err &&
	[ "$(jget "$H/.local/state/ics2hubspot/last-report.json" "d[\"totals\"][\"unchanged\"]")" -gt 0 ]
'
test_expect_success 'the token is nowhere in the log' '
	! grep -q "$HUBSPOT_ACCESS_TOKEN" "$H/ics2hubspot.log"
'
test_done
