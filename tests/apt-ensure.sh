#!/bin/sh
# tests/apt-ensure.sh WHAT PACKAGE...: make sure the Debian packages are installed.
# As root: apt-get update + install the missing ones. Otherwise: print the exact command and fail.
what=$1
shift
missing=""
for p in "$@"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing $what:$missing"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >/dev/null || {
		echo "apt-get install$missing failed" >&2
		exit 1
	}
else
	echo "missing $what; run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
