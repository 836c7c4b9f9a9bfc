#!/bin/sh
# Install Prism (the OpenAPI mock used by the contract test) into tests/contract/node_modules.
# Idempotent and quiet: does nothing when it is already there; says why when npm is missing.
cd "$(dirname "$0")" || exit 1
PRISM=node_modules/.bin/prism
if [ -x "$PRISM" ] && "$PRISM" --version 2>/dev/null | grep -qx '5.16.0'; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "tests/contract/setup.sh: npm not found; the Prism contract test will be skipped" >&2
	exit 0
fi
if [ -f package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1
else
	npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1
fi
rc=$?
if [ $rc -ne 0 ]; then
	echo "tests/contract/setup.sh: npm failed (see tests/contract/npm.log)" >&2
	exit $rc
fi
rm -f npm.log
