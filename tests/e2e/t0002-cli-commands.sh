#!/usr/bin/env bash
# Every command: a foreign option, a bad value and --help, with exit code and message shape;
# then the things the option tables promise (did you mean, values checked before anything
# runs, --report -, --version, User-Agent) and that the man page, docs and completions
# name every command, option and environment variable the program has.
. "$(dirname "$0")/lib.sh"

CAL="$ROOT/samples/allday.ics"

# usage_shape CMD WANT ARGS...: exit 2, and exactly two lines on stderr:
# "ics2hubspot: error: ...WANT..." and "ics2hubspot: see 'ics2hubspot CMD --help'".
usage_shape() {
	local cmd=$1 want=$2 rc=0
	shift 2
	"$BIN" "$@" >out 2>err </dev/null || rc=$?
	if [ "$rc" != 2 ]; then echo "exit $rc, want 2: $*"; cat err; return 1; fi
	if [ "$(wc -l <err)" != 2 ]; then echo "want 2 lines: $*"; cat err; return 1; fi
	if ! head -n1 err | grep -q "^ics2hubspot: error: .*$want"; then
		echo "line 1 lacks '$want': $*"; cat err; return 1
	fi
	if [ "$(sed -n 2p err)" != "ics2hubspot: see 'ics2hubspot${cmd:+ $cmd} --help'" ]; then
		echo "line 2 is not the hint for '$cmd': $*"; cat err; return 1
	fi
	if [ -s out ]; then echo "stdout not empty: $*"; cat out; return 1; fi
}

# help_shape CMD ARGS...: exit 0, the synopsis on stdout, nothing on stderr.
help_shape() {
	local cmd=$1
	shift
	"$BIN" "$@" >out 2>err || { echo "help failed: $*"; return 1; }
	[ ! -s err ] || { echo "stderr not empty: $*"; cat err; return 1; }
	head -n1 out | grep -q "^usage: ics2hubspot $cmd " || { echo "no synopsis: $*"; head -n3 out; return 1; }
	grep -q "^options:" out && grep -q "^examples:" out && grep -q -- "--help" out
}

# command | a foreign option | bad arguments | what the error names
while IFS='|' read -r cmd foreign bad want; do
	[ -n "$cmd" ] || continue
	test_expect_success "$cmd: a foreign option, a bad value, --help, help $cmd" "
		usage_shape '$cmd' \"'$cmd' does not take $foreign\" $cmd $foreign &&
		usage_shape '$cmd' \"$want\" $cmd $bad &&
		help_shape '$cmd' $cmd --help && cp out h1 &&
		help_shape '$cmd' $cmd -h &&
		help_shape '$cmd' help $cmd && cmp h1 out
	"
done <<'EOF'
import|--json|--since 2024-02-30|--since: '2024-02-30' is not a date
expand|--force|--default-tz Mars/Olympus|--default-tz: unknown time zone 'Mars/Olympus'
check|--report|--limit -1|--limit: '-1' is not a positive integer
state list|--remote|--json=1|--json takes no value
state show|--dry-run|--state|--state needs a value (FILE)
state forget|--json|--state|--state needs a value (FILE)
state undo|--remote|--run 0|--run: '0' is not a positive integer
EOF

test_expect_success 'state list: a value where none is taken, and a missing value' '
	usage_shape "state list" "--json takes no value" state list --json=yes &&
	usage_shape "state list" "--state needs a value (FILE)" state list --state
'
test_expect_success 'unknown command: did you mean, before any option value' '
	usage_shape "" "'"'"'imprt'"'"' is not an ics2hubspot command; did you mean '"'"'import'"'"'?" imprt --since bad &&
	usage_shape "state" "'"'"'lst'"'"' is not a '"'"'state'"'"' command; did you mean '"'"'list'"'"'?" state lst --run x &&
	usage_shape "" "a command is needed" &&
	usage_shape "state" "which command? list, runs, show, forget, rename, undo" state --state x.db &&
	usage_shape "import" "did you mean '"'"'--since'"'"'" import --sinc 2024-01-01 x.ics
'
test_expect_success 'values: real dates, known zones, positive integers, until after since' '
	usage_shape expand "is not a date" expand --until 2023-02-29 "$CAL" &&
	usage_shape expand "is not a positive integer" expand --max-per-series 0 "$CAL" &&
	usage_shape expand "is not a positive integer" expand --max-per-series 12abc "$CAL" &&
	usage_shape import "is not N/SECONDSs" import --rate fast "$CAL" &&
	usage_shape expand "--until must be after --since" expand --since 2026-02-01 --until 2026-01-01 "$CAL" &&
	"$BIN" expand --default-tz Europe/Berlin --since 2024-02-29 "$CAL" >/dev/null &&
	"$BIN" expand --default-tz "W. Europe Standard Time" "$CAL" >/dev/null
'
test_expect_success '--report: an unwritable path fails before any request; - is stdout' '
	start_sandbox &&
	usage_shape import "the directory '"'"'nodir'"'"' does not exist" import --report nodir/r.json "$CAL" &&
	usage_shape import "is a directory" import --report . "$CAL" &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"requests\"]")" = 0 ] &&
	"$BIN" import -q --no-state --report - "$CAL" >stdout.json &&
	jget stdout.json "d[\"totals\"][\"created\"]" >created && [ "$(cat created)" -ge 1 ] &&
	[ ! -e ./- ] &&
	"$BIN" import --dry-run --no-state --report - "$CAL" >dry.json 2>dry.err &&
	jget dry.json "d[\"dry_run\"]" | grep -q True
'
test_expect_success 'a refused token: one error, exit 3, no per-occurrence lines, no attendee claims, not a last success' '
	start_sandbox &&
	rc=0; HUBSPOT_ACCESS_TOKEN=wrong "$BIN" import --state g.db --report rr.json \
		"$ROOT/samples/google-export.ics" 2>err || rc=$?
	[ $rc = 3 ] && cat err && [ "$(wc -l <err)" = 1 ] &&
	grep -q "^ics2hubspot: error: HubSpot refused the access token (HTTP 401" err &&
	[ "$(jget rr.json "len(d[\"unmatched_attendees\"])")" = 0 ] &&
	rc=0; HUBSPOT_ACCESS_TOKEN=wrong "$BIN" import --state ls.db "$CAL" 2>err || rc=$?
	[ $rc = 3 ] && [ "$(wc -l <err)" = 1 ] &&
	"$BIN" state list --state ls.db --json >l.json &&
	[ "$(jget l.json "all(c[\"last_success\"] is None for c in d[\"calendars\"])")" = True ] &&
	"$BIN" import -q --state ls.db "$CAL" &&
	"$BIN" state list --state ls.db --json >l.json &&
	[ "$(jget l.json "d[\"calendars\"][0][\"last_success\"]")" != None ]
'
test_expect_success '--version names each library and its version' '
	"$BIN" --version >v &&
	head -n1 v | grep -q "^ics2hubspot [0-9][0-9.]*$" &&
	for lib in libical ICU libcurl cJSON libyaml SQLite; do
		grep -q "^$lib [0-9][0-9.]*" v || { echo "no $lib"; cat v; exit 1; }
	done
'
test_expect_success 'User-Agent is ics2hubspot/<version>' '
	version=$("$BIN" --version | head -n1 | cut -d" " -f2) &&
	cat >ua.py <<-\PY &&
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_GET(self):
	        open("ua.txt", "w").write(self.headers.get("User-Agent", ""))
	        body = open(sys.argv[1], "rb").read()
	        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
	        self.wfile.write(body)
	    def log_message(self, *a): pass
	s = http.server.HTTPServer(("127.0.0.1", 0), H)
	open("ua.port", "w").write(str(s.server_address[1]))
	s.serve_forever()
	PY
	{ "$PY" ua.py "$CAL" & track_pid $!; } &&
	for _ in $(seq 50); do [ -s ua.port ] && break; sleep 0.1; done &&
	"$BIN" expand "http://127.0.0.1:$(cat ua.port)/cal.ics" >/dev/null 2>&1 || true
	[ "$(cat ua.txt)" = "ics2hubspot/$version" ]
'

# The commands and options the program has, read from its own help.
commands() {
	"$BIN" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z]*\)\( [a-z]*\)\? .*/\1\2/p' |
		sed 's/ \[.*//; s/ --run.*//'
}
options_of() {
	"$BIN" $1 --help | sed -n '/^options:/,/^$/p' | sed -n 's/^  .*\(--[a-z-]*\).*/\1/p' | cut -d' ' -f1
}
man_text() { sed 's/\\-/-/g' "$ROOT/docs/ics2hubspot.1"; }

test_expect_success 'the man page names every command and option, and renders' '
	commands >cmds && [ "$(wc -l <cmds)" -ge 7 ] &&
	man_text >man.txt &&
	while read -r c; do
		grep -q "^\.SS $c" man.txt || { echo "man: no section for $c"; exit 1; }
		for o in $(options_of "$c"); do
			grep -q -- "$o" man.txt || { echo "man: no $o ($c)"; exit 1; }
		done
	done <cmds &&
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$ROOT/docs/ics2hubspot.1" 2>manerr >rendered && [ ! -s manerr ] &&
		grep -q "ics2hubspot state undo --run N" rendered
	fi
'
test_expect_success 'every environment variable the program reads is in the docs'"'"' Environment section and the man page' '
	grep -oh "getenv(\"[A-Z_]*\")\|env_positive(\"[A-Z_]*\"\|\"ICS2HUBSPOT_[A-Z0-9_]*\"" "$ROOT"/importer/*.c |
		grep -o "[A-Z][A-Z0-9_]*" | sort -u >vars && [ "$(wc -l <vars)" -ge 8 ] &&
	man_text >man.txt &&
	sed -n "/^## Environment\$/,/^## /p" "$ROOT/docs/usage.md" >env.md && grep -q "^| variable | meaning |" env.md &&
	while read -r v; do
		grep -q "^| \`[^|]*$v" env.md || { echo "docs/usage.md, Environment: no $v"; exit 1; }
		grep -q "$v" man.txt || { echo "man: no $v"; exit 1; }
	done <vars
'
test_expect_success 'bash completion: commands, state sub-commands, per-command options, mappings' '
	comp() { bash -c ". \"$ROOT/completions/ics2hubspot.bash\"; COMP_WORDS=($1); COMP_CWORD=$2; _ics2hubspot; printf \"%s\n\" \"\${COMPREPLY[@]}\""; } &&
	comp "ics2hubspot im" 1 | grep -qx import &&
	comp "ics2hubspot state u" 2 | grep -qx undo &&
	comp "ics2hubspot state --state x.db f" 4 | grep -qx forget &&
	commands >cmds &&
	while read -r c; do
		n=$(echo "$c" | wc -w)
		options_of "$c" | sort >want
		comp "ics2hubspot $c --" $((n + 1)) | sort >got
		cmp want got || { echo "bash completion of $c options:"; diff want got; exit 1; }
	done <cmds &&
	mkdir -p mp && touch mp/a.yaml mp/b.txt &&
	comp "ics2hubspot import -m mp/" 3 >got && grep -qx "mp/a.yaml" got && ! grep -q b.txt got
'
test_expect_success 'zsh completion names every command and option' '
	z=$ROOT/completions/_ics2hubspot && head -n1 "$z" | grep -q "^#compdef ics2hubspot" &&
	commands >cmds &&
	while read -r c; do
		for o in $(options_of "$c"); do
			grep -q -- "$o" "$z" || { echo "zsh: no $o ($c)"; exit 1; }
		done
	done <cmds &&
	if command -v zsh >/dev/null; then zsh -n "$z"; fi
'
test_expect_success 'make install DESTDIR: binary, mappings, man page, both completions' '
	make -C "$ROOT" --no-print-directory -s install DESTDIR="$TRASH/inst" PREFIX=/usr/local >inst.out 2>&1 &&
	p=$TRASH/inst/usr/local &&
	[ -x "$p/bin/ics2hubspot" ] && ls "$p/share/ics2hubspot/mappings/default.yaml" &&
	[ -f "$p/share/man/man1/ics2hubspot.1" ] &&
	[ -f "$p/share/bash-completion/completions/ics2hubspot" ] &&
	[ -f "$p/share/zsh/site-functions/_ics2hubspot" ] &&
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l "$p/share/man/man1/ics2hubspot.1" >rendered 2>&1 &&
		grep -q "EXIT STATUS" rendered
	fi
'
test_done
