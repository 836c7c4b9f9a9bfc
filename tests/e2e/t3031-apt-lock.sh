#!/usr/bin/env bash
# Issue 27 item 8: `make test` (make, make demo, make fuzz) failed at once when another apt-get
# held the dpkg lock. tests/apt-ensure.sh waits for apt's locks, bounded. A fake apt-get
# (ICS2HUBSPOT_APT_GET) plays the busy apt: this machine's real apt locks are never touched.
. "$(dirname "$0")/lib.sh"
ENSURE="$ROOT/tests/apt-ensure.sh"
PKG=ics2hubspot-test-no-such-package
# fake apt-get: logs its arguments; answers "lock held" while the file busy.N counts down
cat >fake-apt <<-\SH
	#!/bin/sh
	echo "$*" >>"$FAKE_DIR/calls"
	n=$(cat "$FAKE_DIR/busy" 2>/dev/null || echo 0)
	if [ "$n" -gt 0 ]; then
		echo $((n - 1)) >"$FAKE_DIR/busy"
		echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
		echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
		exit 100
	fi
	case "$*" in *"install"*) echo "installed" >>"$FAKE_DIR/installed" ;; esac
	exit 0
SH
chmod +x fake-apt
export FAKE_DIR=$TRASH ICS2HUBSPOT_APT_GET=$TRASH/fake-apt

test_expect_success 'apt busy for two tries: apt-ensure waits, then installs (exit 0)' '
	rm -f calls installed && echo 2 >busy &&
	"$ENSURE" "test things" "$PKG" >out 2>err &&
	grep -q "apt is busy" out && [ "$(grep -c "apt is busy" out)" = 1 ] &&
	[ "$(grep -c " update " calls)" = 3 ] && [ "$(grep -c " install " calls)" = 1 ] &&
	[ -s installed ] &&
	# every call lets apt-get wait for the dpkg lock itself too
	[ "$(grep -c "^-o DPkg::Lock::Timeout=[0-9]* " calls)" = 4 ]
'
test_expect_success 'apt busy past the bound: fails with apt'"'"'s message and says it waited' '
	rm -f calls installed && echo 1000 >busy &&
	rc=0; ICS2HUBSPOT_APT_LOCK_WAIT=3 timeout 30 "$ENSURE" "test things" "$PKG" >out 2>err || rc=$?
	[ "$rc" = 1 ] && grep -q "Could not get lock" err && grep -q "still busy after 3 s" err &&
	grep -q "apt-get install $PKG failed" err && [ ! -e installed ] &&
	[ "$(wc -l <calls)" -ge 2 ] && [ "$(wc -l <calls)" -le 4 ]
'
test_expect_success 'another apt-get failure is not waited for: fails at once' '
	rm -f calls busy && printf "#!/bin/sh\necho \"E: Unable to locate package x\" >&2\nexit 100\n" >bad-apt &&
	chmod +x bad-apt &&
	rc=0; ICS2HUBSPOT_APT_GET=$TRASH/bad-apt "$ENSURE" "test things" "$PKG" >out 2>err || rc=$?
	[ "$rc" = 1 ] && grep -q "Unable to locate package" err && ! grep -q "busy" out
'
test_expect_success 'nothing missing: apt-get is never run' '
	rm -f calls && "$ENSURE" "test things" dpkg >out 2>err && [ ! -e calls ] && [ ! -s out ]
'
test_done
