#!/usr/bin/env bash
# make install (issue 23 item 4): binary, presets found by -m NAME from any directory, man page,
# completions and the systemd user units ics2hubspot-sync.service/.timer, which
# `systemd-analyze --user verify` passes as installed (ExecStart names the installed binary).
# The tree is installed with its own build (BUILD, INSTALL_BIN) so the binary under test is not
# rebuilt; PREFIX is the scratch directory itself, so the units' ExecStart exists.
. "$(dirname "$0")/lib.sh"
P=$TRASH/prefix
U=$P/share/systemd/user
export XDG_CONFIG_HOME=$TRASH/config # the user's own presets (none unless a test makes them)
mkdir -p elsewhere
test_requires systemd-analyze command -v systemd-analyze || test_done
# systemd-analyze --user needs a runtime directory, and reads every user unit installed with it:
# gpg-agent's sockets live in it, and a UNIX socket's path must fit 108 bytes, so it is short,
# not under $TRASH (a clone in a deep directory, make distcheck's export, failed so).
RT=$(mktemp -d /tmp/ics2h-rt.XXXXXX) && track_dir "$RT" && chmod 700 "$RT" || exit 1
# Documentation=man: is looked up with man -w
verify() { XDG_RUNTIME_DIR=$RT MANPATH=$P/share/man systemd-analyze --user verify "$@"; }

test_expect_success 'make install PREFIX=DIR: every file in its place' '
	make -C "$ROOT" --no-print-directory -s BUILD="$TRASH/build" PREFIX="$P" \
		INSTALL_BIN="$TRASH/build/ics2hubspot" install >inst.out 2>&1 &&
	[ -x "$P/bin/ics2hubspot" ] &&
	for m in default outlook google; do cmp "$ROOT/mappings/$m.yaml" "$P/share/ics2hubspot/mappings/$m.yaml"; done &&
	[ -f "$P/share/man/man1/ics2hubspot.1" ] &&
	[ -f "$P/share/bash-completion/completions/ics2hubspot" ] &&
	[ -f "$P/share/zsh/site-functions/_ics2hubspot" ] &&
	[ -f "$P/share/doc/ics2hubspot/scheduling.md" ] &&
	[ -f "$P/share/doc/ics2hubspot/docs/real-portal.md" ] &&
	[ -f "$U/ics2hubspot-sync.service" ] && [ -f "$U/ics2hubspot-sync.timer" ] &&
	[ "$(stat -c %a "$U/ics2hubspot-sync.service")" = 644 ]
'
test_expect_success 'the service: oneshot sync of the config, token as a credential, exit 4 is no failure' '
	s=$U/ics2hubspot-sync.service &&
	grep -qx "Type=oneshot" "$s" &&
	grep -qx "ExecStart=$P/bin/ics2hubspot sync --config %E/ics2hubspot/config.yaml" "$s" &&
	grep -qx "LoadCredential=hubspot-token:%E/ics2hubspot/token" "$s" &&
	grep -qx "SuccessExitStatus=4" "$s" &&
	grep -qx "StateDirectory=ics2hubspot" "$s" && grep -qx "StateDirectoryMode=0700" "$s" &&
	! grep -q "^User=" "$s" && ! grep -q "@BINDIR@" "$s" &&
	t=$U/ics2hubspot-sync.timer &&
	grep -qx "OnCalendar=\*:0/15" "$t" && grep -q "^RandomizedDelaySec=" "$t" &&
	grep -qx "WantedBy=timers.target" "$t"
'
test_expect_success 'systemd-analyze --user verify: both units, not a word said' '
	verify "$U/ics2hubspot-sync.service" "$U/ics2hubspot-sync.timer" >out 2>&1 ||
		{ cat out; exit 1; }
	[ ! -s out ] || { cat out; exit 1; }
'
# The drop-in docs/scheduling.md gives for one calendar (import instead of sync).
dropin() {
	awk '/systemctl --user edit ics2hubspot-sync.service/ { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$ROOT/docs/scheduling.md"
}
test_expect_success 'with the import drop-in of docs/scheduling.md, systemd-analyze verify is clean' '
	D=$XDG_CONFIG_HOME/systemd/user && mkdir -p "$D/ics2hubspot-sync.service.d" &&
	cp "$U"/ics2hubspot-sync.* "$D/" &&
	dropin >dropin.conf && cat dropin.conf &&
	grep -qx "ExecStart=" dropin.conf && grep -q "^ExecStart=/usr/bin/ics2hubspot import -m outlook " dropin.conf &&
	sed "s|^ExecStart=/usr/bin/|ExecStart=$P/bin/|" dropin.conf >"$D/ics2hubspot-sync.service.d/override.conf" &&
	verify "$D/ics2hubspot-sync.service" >out 2>&1 || { cat out; exit 1; }
	[ ! -s out ] || { cat out; exit 1; }
	sed "s|^ExecStart=/usr/bin/|ExecStart=$TRASH/nowhere/|" dropin.conf >"$D/ics2hubspot-sync.service.d/override.conf" &&
	! verify "$D/ics2hubspot-sync.service" >out 2>&1 && grep -q "nowhere/ics2hubspot" out &&
	rm -r "$XDG_CONFIG_HOME/systemd"
'
test_expect_success 'the check can fail: a broken unit and a missing binary are reported' '
	mkdir -p bad && sed "s/^OnCalendar=.*/OnCalendar=every fortnight-ish/" "$U/ics2hubspot-sync.timer" >bad/x.timer &&
	sed "s|^ExecStart=$P/bin/|ExecStart=$TRASH/nowhere/|" "$U/ics2hubspot-sync.service" >bad/x.service &&
	! verify bad/x.timer >out 2>&1 && grep -q "calendar specification" out &&
	! verify bad/x.service >out 2>&1 && grep -q "nowhere/ics2hubspot" out
'
test_expect_success 'the installed binary finds the presets by name from any directory' '
	(cd elsewhere && "$P/bin/ics2hubspot" check -m outlook --limit 1 "$ROOT/samples/outlook-export.ics" >../check.out 2>&1) &&
	grep -q "^mapping $P/share/ics2hubspot/mappings/outlook.yaml: valid" check.out &&
	(cd elsewhere && "$P/bin/ics2hubspot" check -m google >../check.out 2>&1) &&
	grep -q "^mapping $P/share/ics2hubspot/mappings/google.yaml: valid" check.out &&
	(cd elsewhere && "$P/bin/ics2hubspot" expand "$ROOT/samples/recurring.ics" >../exp.out) &&
	[ "$(wc -l <exp.out)" -gt 1 ]
'
test_expect_success 'a preset of the user ($XDG_CONFIG_HOME/ics2hubspot/mappings) comes first' '
	mkdir -p "$XDG_CONFIG_HOME/ics2hubspot/mappings" &&
	sed "s/^# .*//" "$ROOT/mappings/outlook.yaml" >"$XDG_CONFIG_HOME/ics2hubspot/mappings/outlook.yaml" &&
	cp "$ROOT/mappings/google.yaml" "$XDG_CONFIG_HOME/ics2hubspot/mappings/team.yaml" &&
	(cd elsewhere && "$P/bin/ics2hubspot" check -m outlook >../check.out 2>&1) &&
	grep -q "^mapping $XDG_CONFIG_HOME/ics2hubspot/mappings/outlook.yaml: valid" check.out &&
	(cd elsewhere && "$P/bin/ics2hubspot" check -m team >../check.out 2>&1) &&
	grep -q "^mapping $XDG_CONFIG_HOME/ics2hubspot/mappings/team.yaml: valid" check.out &&
	rm -r "$XDG_CONFIG_HOME/ics2hubspot"
'
test_expect_success 'an unknown preset: usage error (2) listing the presets found; a path stays a path' '
	code=0 && (cd elsewhere && "$P/bin/ics2hubspot" import -m outlok x.ics 2>../err) || code=$? &&
	[ "$code" = 2 ] &&
	grep -q "no preset .outlok. (presets: default, google, outlook)" err &&
	grep -q "see .ics2hubspot import --help." err &&
	cp "$ROOT/mappings/google.yaml" elsewhere/outlook.yml &&
	(cd elsewhere && "$P/bin/ics2hubspot" check -m outlook.yml >../check.out 2>&1) &&
	grep -q "^mapping outlook.yml: valid" check.out &&
	code=0 && (cd elsewhere && "$P/bin/ics2hubspot" check -m ./outlook >/dev/null 2>../err) || code=$? &&
	[ "$code" = 2 ] && grep -q "cannot open .\./outlook." err
'
test_expect_success 'the installed bash completion offers the presets after -m' '
	comp() { bash -c ". \"$P/share/bash-completion/completions/ics2hubspot\"; COMP_WORDS=($1); COMP_CWORD=$2; _ics2hubspot; printf \"%s\n\" \"\${COMPREPLY[@]}\""; } &&
	(cd elsewhere && comp "ics2hubspot import -m ou" 3) >got && grep -qx outlook got &&
	(cd elsewhere && comp "ics2hubspot check -m g" 3) >got && grep -qx google got &&
	(cd elsewhere && comp "ics2hubspot check -m x" 3) >got && ! grep -q . got
'
# The service's ExecStart as systemd runs it (issue 23 item 2): the config in %E, the token only as
# the credential, -m outlook found from the installed presets, from another directory.
test_expect_success 'the service runs sync: the config, the credential, the outlook preset' '
	start_sandbox && setup_portal -m outlook &&
	mkdir -p "$XDG_CONFIG_HOME/ics2hubspot" creds st &&
	printf "version: 1\nportals:\n  - name: main\n    api_base: %s\ncalendars:\n  - name: team\n    source: %s\n    mapping: outlook\n" \
		"$SANDBOX_URL" "$ROOT/samples/outlook-export.ics" >"$XDG_CONFIG_HOME/ics2hubspot/config.yaml" &&
	echo "$HUBSPOT_ACCESS_TOKEN" >creds/hubspot-token &&
	sed -n "s/^ExecStart=//p" "$U/ics2hubspot-sync.service" | sed "s|%E|$XDG_CONFIG_HOME|g" >exec.line &&
	set -f && read -r -a argv <exec.line && set +f &&
	(cd elsewhere && env -i HOME="$TRASH" PATH=/usr/bin:/bin XDG_STATE_HOME="$TRASH/st" \
		CREDENTIALS_DIRECTORY="$TRASH/creds" "${argv[@]}") >run.out 2>run.err &&
	cat run.out run.err &&
	grep -q "Z team (main): [1-9][0-9]* created, 0 updated, 0 archived, 0 failed" run.out &&
	grep -q "Z total (1 calendar): [1-9]" run.out && [ -f st/ics2hubspot/main.db ] &&
	! grep -q "$HUBSPOT_ACCESS_TOKEN" run.out run.err
'
test_expect_success 'a moved install tree (BIN/../share) still finds its presets' '
	cp -a "$P" moved && rm -rf "$P/share/ics2hubspot" &&
	(cd elsewhere && ../moved/bin/ics2hubspot check -m outlook >../check.out 2>&1) &&
	grep -q "^mapping $TRASH/moved/share/ics2hubspot/mappings/outlook.yaml: valid" check.out
'
test_done
