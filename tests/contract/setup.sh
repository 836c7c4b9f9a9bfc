#!/bin/sh
# Install Prism (the OpenAPI mock of the contract test, make conformance) into
# tests/contract/node_modules, at the version pinned in package-lock.json. Idempotent and quiet.
# npm comes from Debian (installed as root, else the exact apt-get line is printed and this fails).
cd "$(dirname "$0")" || exit 1
PRISM=node_modules/.bin/prism
if [ -x "$PRISM" ] && "$PRISM" --version 2>/dev/null | grep -qx '5.16.0'; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	../apt-ensure.sh "npm (for Prism)" npm || exit 1
fi
echo "installing Prism 5.16.0 into tests/contract/node_modules (npm ci)"
if ! npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1; then
	echo "tests/contract/setup.sh: npm ci failed (see tests/contract/npm.log)" >&2
	exit 1
fi
rm -f npm.log
if ! "$PRISM" --version 2>/dev/null | grep -qx '5.16.0'; then
	echo "tests/contract/setup.sh: Prism 5.16.0 is not runnable after npm ci" >&2
	exit 1
fi
