#!/usr/bin/env bash
# Issue 24 item 8: every shell command of README.md (its ```sh blocks, the quick start), of
# samples/README.md and of the man page's EXAMPLES, in order and as written, run by /bin/sh in a
# home of its own against a fresh sandbox portal. Only what a test must point elsewhere is: HubSpot (HUBSPOT_API_BASE -> the
# sandbox), the token pasted on stdin (the sandbox's), the user's calendar (calendar.ics,
# team.ics: samples/outlook-export.ics; my.yaml: a copy of the outlook preset) and the config's
# feed URL (-> a feed on 127.0.0.1). `make install` installs the binary under test
# (INSTALL_BIN=$BIN) instead of rebuilding the tree. Not run here, each said as it comes:
# make demo / make test (the build and test targets themselves: make distcheck runs both from a
# clean export) and systemctl / journalctl (no systemd user session here: t0090 verifies the
# installed units with systemd-analyze). The cron line is t0092's (run as cron runs it). Commands
# the README names in its prose, not in a block, are not run here: `make install` as root and
# `make deb && sudo apt install ./build/deb/...` (t0090 and t0091 install into scratch roots, never
# this machine's), `loginctl enable-linger` and `crontab -e` (they change the machine's set-up).
# A command this test does not know fails it: a new README command needs its case here.
. "$(dirname "$0")/lib.sh"
start_sandbox --fresh
H=$TRASH/home
mkdir -p "$H"
cp "$ROOT/samples/outlook-export.ics" "$H/calendar.ics"
cp "$ROOT/samples/outlook-export.ics" "$H/team.ics"
cp "$ROOT/mappings/outlook.yaml" "$H/my.yaml"
cp "$ROOT/samples/google-export.ics" feed.ics
"$PY" "$ROOT/tests/sync/feed_server.py" feed.ics feed.port >feed.out 2>&1 &
track_pid $!
for _ in $(seq 1 100); do [ -s feed.port ] && break; sleep 0.05; done
FEED="http://127.0.0.1:$(cat feed.port)/team/basic.ics"
TOKEN=$HUBSPOT_ACCESS_TOKEN

# The commands of a markdown file: "sh<TAB>LINE" for each line of a ```sh block, "yaml" where a
# ```yaml block stands (its text in $2.yaml).
md_commands() {
	awk -v y="$2.yaml" '
		/^```sh$/ { b = "sh"; next }
		/^```yaml$/ { b = "yaml"; print "yaml"; next }
		/^```/ { b = ""; next }
		b == "sh" && NF && $1 !~ /^#/ { print "sh\t" $0 }
		b == "yaml" { print >y }' "$1"
}
# The man page's EXAMPLES, unescaped as man(7) prints them.
man_commands() {
	sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$1" |
		awk '/^\.nf/ { b = 1; next } /^\.fi/ { b = 0; next } b && NF { print "sh\t" $0 }' |
		sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\e/\\/g'
}

# Run one command line as the user would, in their home: sh, HOME, a PATH with ~/.local/bin
# first (Debian's ~/.profile adds it once it exists), nothing else of this test's environment.
as_user() {
	(cd "$H" && env -i HOME="$H" PATH="$H/.local/bin:/usr/bin:/bin" TMPDIR="$TRASH" \
		HUBSPOT_API_BASE="$HUBSPOT_API_BASE" /bin/sh -c "$1")
}

# run_doc FILE-LABEL: read the lines of md_commands/man_commands, run each, check what it did.
run_doc() {
	local kind line n=0 rc
	while IFS=$'\t' read -r kind line; do
		n=$((n + 1))
		case "$kind" in
		yaml)
			echo "-- $1 $n: the config.yaml shown"
			mkdir -p "$H/.config/ics2hubspot" &&
				sed "s|https://calendar.example.com/team/basic.ics|$FEED|" "$1.yaml" >"$H/.config/ics2hubspot/config.yaml" &&
				grep -q "source: $FEED" "$H/.config/ics2hubspot/config.yaml" || return 1
			continue
			;;
		esac
		echo "-- $1 $n: $line"
		case "$line" in
		"make demo"* | "make test"*)
			echo "   not run: a build/test target itself (make distcheck runs it from a clean export)"
			;;
		"make install PREFIX=\$HOME/.local"*)
			(cd "$ROOT" && env HOME="$H" sh -c "${line%%#*} BUILD=$TRASH/build INSTALL_BIN=$BIN") >install.out 2>&1 ||
				{ cat install.out; return 1; }
			[ -x "$H/.local/bin/ics2hubspot" ] && [ -f "$H/.local/share/ics2hubspot/mappings/outlook.yaml" ] &&
				[ -f "$H/.local/share/man/man1/ics2hubspot.1" ] || return 1
			;;
		"install -D -m 600 /dev/stdin ~/.config/ics2hubspot/token"*)
			echo "$TOKEN" | as_user "$line" && [ "$(stat -c %a "$H/.config/ics2hubspot/token")" = 600 ] || return 1
			;;
		"ics2hubspot "*)
			rc=0
			as_user "$line" </dev/null >out 2>err || rc=$?
			cat out err | head -n 20
			[ "$rc" = 0 ] || { echo "   exit $rc"; return 1; }
			! grep -F "$TOKEN" out err || { echo "   the token was printed"; return 1; }
			case "$line" in
			"ics2hubspot setup"*) grep -q "ics2hubspot_key" err || return 1 ;;
			"ics2hubspot check"*) grep -q "Initech pipeline review" out || return 1 ;;
			*"--report report.json"*) [ "$(jget "$H/report.json" 'd["totals"]["created"]')" -gt 0 ] || return 1 ;;
			*"--report run.json"*) [ "$(jget "$H/run.json" 'd["totals"]["created"]')" -gt 0 ] || return 1 ;;
			"ics2hubspot sync"*)
				grep -h "total (1 calendar): [1-9][0-9]* created, 0 updated, 0 archived, 0 failed" out err >"$1.sync" || return 1 ;;
			"ics2hubspot state undo --run 1 --dry-run"*) grep -q "9 meetings of run 1 would be archived (nothing sent)" err || return 1 ;;
			"ics2hubspot state list"*) grep -q "team.ics" out && grep -q "9 created" out || return 1 ;;
			esac
			;;
		"*/15 * * * *  /usr/bin/ics2hubspot "*)
			echo "   not run here: t0092 runs the README's cron line as cron runs it; this is that line"
			grep -qxF "$line" "$ROOT/README.md" || return 1
			;;
		"systemctl --user "* | "journalctl --user "*)
			echo "   not run: no systemd user session here (t0090 verifies the installed units)"
			;;
		*)
			echo "   a command t0160 does not know: give it a case here"
			return 1
			;;
		esac
	done
	[ "$n" -ge 5 ] # the extraction found the commands
}

test_expect_success 'README: every command of the quick start, in order, as written' '
	md_commands "$ROOT/README.md" readme >readme.cmds && cat readme.cmds &&
	run_doc readme <readme.cmds &&
	grep -q "^sh.ics2hubspot setup" readme.cmds && grep -q "^sh.ics2hubspot import" readme.cmds &&
	grep -q "^sh.ics2hubspot sync" readme.cmds && grep -q "^yaml" readme.cmds
'
test_expect_success 'the README quick start made a meeting in the portal per occurrence, each once' '
	sandbox_get /_sandbox/meetings >m.json &&
	imported=$(jget home/report.json "d[\"totals\"][\"created\"]") &&
	synced=$(sed -n "s/.*total (1 calendar): \([0-9]*\) created.*/\1/p" readme.sync) &&
	[ "$imported" -gt 0 ] && [ "$synced" -gt 0 ] &&
	[ "$(jget m.json "len(d[\"meetings\"])")" = $((imported + synced)) ]
'
test_expect_success 'samples/README.md: its commands, as written, from the clone' '
	md_commands "$ROOT/samples/README.md" samples >samples.cmds && [ "$(wc -l <samples.cmds)" = 2 ] &&
	while IFS="	" read -r kind line; do
		[ "$kind" = sh ] && echo "-- $line" &&
		(cd "$ROOT" && env -i HOME="$H" PATH="$H/.local/bin:/usr/bin:/bin" TMPDIR="$TRASH" sh -c "$line") >out 2>err &&
		case "$line" in
		"ics2hubspot expand samples/recurring.ics"*) [ "$(grep -c "\"uid\"" out)" -gt 1 ] ;;
		"ics2hubspot check -m outlook --limit 5 samples/outlook-export.ics"*) grep -q "Initech pipeline review" out ;;
		*) echo "a command t0160 does not know"; false ;;
		esac || exit 1
	done <samples.cmds
'
# The man page's examples into a fresh portal of their own, so that they create what they show.
start_sandbox --fresh
test_expect_success 'man page EXAMPLES: every command, in order, as written (a home of its own)' '
	H=$TRASH/home2 && mkdir -p "$H/.config/ics2hubspot" "$H/.local/bin" &&
	cp "$TRASH/home/team.ics" "$TRASH/home/my.yaml" "$H/" && ln -s "$BIN" "$H/.local/bin/ics2hubspot" &&
	cp "$TRASH/home/.config/ics2hubspot/config.yaml" "$H/.config/ics2hubspot/" &&
	man_commands "$ROOT/docs/ics2hubspot.1" >man.cmds && cat man.cmds &&
	grep -q "^sh.ics2hubspot setup" man.cmds && grep -q "^sh.ics2hubspot sync" man.cmds &&
	run_doc man <man.cmds
'
test_done
