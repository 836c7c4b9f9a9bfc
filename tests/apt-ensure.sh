#!/bin/sh
# tests/apt-ensure.sh WHAT PACKAGE...: make sure the Debian packages are installed.
# As root: apt-get update + install the missing ones. Otherwise: print the exact command and fail.
#
# Another apt-get or dpkg at work (unattended-upgrades, a second `make test`) holds apt's locks:
# apt-get then fails at once. We wait for it instead, at most ICS2HUBSPOT_APT_LOCK_WAIT seconds
# (default 600): DPkg::Lock::Timeout makes apt-get wait for the dpkg lock itself; the lock of
# `apt-get update` (/var/lib/apt/lists/lock), which that option does not cover, is waited for by
# trying again every 2 s. ICS2HUBSPOT_APT_GET names the apt-get to run (a test hook: then root is
# not needed).
what=$1
shift
missing=""
for p in "$@"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] && [ -z "${ICS2HUBSPOT_APT_GET:-}" ]; then
	echo "missing $what; run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi

apt=${ICS2HUBSPOT_APT_GET:-apt-get}
deadline=$(($(date +%s) + ${ICS2HUBSPOT_APT_LOCK_WAIT:-600}))
err=$(mktemp "${TMPDIR:-/tmp}/apt-ensure.XXXXXX") || exit 1
trap 'rm -f "$err"' EXIT
said=

# apt_get ARGS...: apt-get ARGS (quiet), waiting for apt's locks until the deadline.
apt_get() {
	while :; do
		left=$((deadline - $(date +%s)))
		[ "$left" -gt 0 ] || left=0
		DEBIAN_FRONTEND=noninteractive "$apt" -o DPkg::Lock::Timeout="$left" "$@" >/dev/null 2>"$err" &&
			return 0
		if grep -q -e "Could not get lock" -e "Unable to lock" -e "Unable to acquire" "$err" &&
			[ "$(date +%s)" -lt "$deadline" ]; then
			[ -n "$said" ] || echo "apt is busy (another apt-get or dpkg holds its lock): waiting up to $((deadline - $(date +%s))) s"
			said=1
			sleep 2
			continue
		fi
		cat "$err" >&2
		grep -q -e "Could not get lock" -e "Unable to lock" -e "Unable to acquire" "$err" &&
			echo "apt was still busy after ${ICS2HUBSPOT_APT_LOCK_WAIT:-600} s" >&2
		return 1
	done
}

echo "installing $what:$missing"
# shellcheck disable=SC2086
if ! apt_get update -qq || ! apt_get install -y -qq $missing; then
	echo "apt-get install$missing failed" >&2
	exit 1
fi
