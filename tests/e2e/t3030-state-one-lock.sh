#!/usr/bin/env bash
# Issue 27 item 5: one lock per state file, whatever path names it. Two imports on one state, one
# through a symlink to it, used to take two lock files, run at once and create every meeting
# twice. The lock file is opened O_NOFOLLOW: a symlink planted there is refused, never followed.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
exit_code() { if "$@" >/dev/null; then echo 0; else echo $?; fi; }
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"][\"ics2hubspot_key\"].startswith(\"$1\")])"; }
# held LOCKFILE: true while some process holds an fcntl lock on it. Asked with F_GETLK, which
# takes no lock: a probe that took it (lockf) held it for an instant, and a run starting then
# found the state "in use by another run" (exit 4; seen under load).
held() {
	"$PY" -c 'import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
# struct flock: l_type, l_whence, l_start, l_len, l_pid (and room to spare)
got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0) + bytes(16))
sys.exit(0 if struct.unpack_from("h", got)[0] != fcntl.F_UNLCK else 1)' "$1" 2>/dev/null
}
# wait_held LOCKFILE PID: until the lock is held (by PID's run), or PID ended (then false)
wait_held() {
	while kill -0 "$2" 2>/dev/null; do
		held "$1" && return 0
		sleep 0.05
	done
	return 1
}

"$PY" "$Y/gen.py" 6 cal.ics --uid-prefix one
"$PY" "$Y/gen.py" 2 pre.ics --uid-prefix pre
mkdir -p real
ln -s real/st.db link.db
ln -s real linkdir
# the state exists (made through its real path) before the two runs meet
"$BIN" import -q -m "$Y/archive.yaml" --state real/st.db pre.ics || exit 1

test_expect_success 'a run through a symlink to the state holds the lock of the state itself' '
	# every answer is slow: the first run holds the lock for seconds (several requests)
	sandbox_post /_sandbox/config "{\"latency_ms\":1500}" >/dev/null &&
	{ "$BIN" import -q -m "$Y/archive.yaml" --state link.db cal.ics 2>bg.err & pid=$!; } &&
	wait_held real/st.db.lock $pid &&
	[ ! -e link.db.lock ] &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state real/st.db cal.ics 2>err)" = 4 ] &&
	grep -q "in use by another run" err && grep -q "real/st.db.lock" err &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state linkdir/st.db cal.ics 2>err2)" = 4 ] &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state real/../real/st.db cal.ics 2>err3)" = 4 ] &&
	[ "$(exit_code "$BIN" state forget --state "$TRASH/link.db" cal.ics 2>err4)" = 4 ] &&
	wait $pid &&
	sandbox_post /_sandbox/config "{\"latency_ms\":0}" >/dev/null &&
	[ "$(live one-)" = 6 ]
'
test_expect_success 'the symlink is still a symlink, the state is its target' '
	[ -L link.db ] && [ -f real/st.db ] &&
	"$BIN" import -m "$Y/archive.yaml" --state link.db --report r.json cal.ics 2>err &&
	[ "$(jget r.json "d[\"totals\"][\"unchanged\"]")" = 6 ] && [ "$(live one-)" = 6 ]
'
test_expect_success 'a new state through a symlinked directory is created (and locked) at its target' '
	"$BIN" import -q -m "$Y/archive.yaml" --state linkdir/new.db cal.ics 2>err &&
	[ -f real/new.db ] && [ -f real/new.db.lock ] && [ "$(live one-)" = 6 ]
'
test_expect_success 'a symlink to a state not created yet: the state is created at its target' '
	ln -s real/later.db dangling.db &&
	"$BIN" import -q -m "$Y/archive.yaml" --state dangling.db cal.ics 2>err &&
	[ -L dangling.db ] && [ -f real/later.db ] && [ -f real/later.db.lock ] &&
	[ ! -e dangling.db.lock ] && [ "$(live one-)" = 6 ]
'
test_expect_success 'a lock file that is a symlink is refused (O_NOFOLLOW), its target untouched' '
	ln -s victim evil.db.lock &&
	[ "$(exit_code "$BIN" import -m "$Y/archive.yaml" --state evil.db cal.ics 2>err)" = 2 ] &&
	grep -q "lock file .*evil.db.lock.* is a symbolic link: refused" err &&
	[ ! -e victim ] && [ ! -e evil.db ]
'
test_done
