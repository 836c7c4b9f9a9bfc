#!/usr/bin/env bash
# make distcheck: export HEAD with `git archive` into a fresh temporary directory with nothing
# beside it, then run `make demo` and `make test` there, as a new user with a clone would.
# Prints the checks that passed there next to the work tree's (build/*/checks.txt, written by the
# last make test here) and fails when they differ or either command fails.
# DISTCHECK_KEEP=1 keeps the directory.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
top=$(mktemp -d "${TMPDIR:-/tmp}/ics2hubspot-distcheck.XXXXXX") || exit 2
export_dir=$top/ics2hubspot
cleanup() {
	if [ "${DISTCHECK_KEEP:-0}" = 1 ]; then echo "distcheck: kept $top"; else rm -rf "$top"; fi
}
trap cleanup EXIT
mkdir "$export_dir" || exit 2
git archive --format=tar HEAD | tar -x -C "$export_dir" || exit 2
echo "distcheck: HEAD $(git rev-parse --short HEAD) exported to $export_dir (nothing beside it: $(ls -A "$top" | tr '\n' ' '))"
# Nothing from this environment may point back at the work tree or at reference material.
unset SANDBOX_SPECS_DIR SANDBOX_CONFORMANCE_LOG HUBSPOT_SPECS BIN BUILD MAKEFLAGS MFLAGS
rc=0
echo "== make demo (in the export)"
(cd "$export_dir" && make demo) >"$top/demo.log" 2>&1 || rc=1
tail -n 25 "$top/demo.log"
grep -q "meetings$" "$top/demo.log" || { echo "distcheck: make demo printed no meetings"; rc=1; }
echo "== make test (in the export)"
(cd "$export_dir" && make test) >"$top/test.log" 2>&1 || rc=1
grep -E '^(### |suites: |checks: |failed suites: |failed scripts: |not ok )' "$top/test.log"
compared=0
for b in default sanitize; do
	there=$(cat "$export_dir/build/$b/checks.txt" 2>/dev/null || echo "none")
	case $there in *" passed, 0 failed") ;; *) rc=1 ;; esac
	if [ -f "$ROOT/build/$b/checks.txt" ]; then
		here=$(cat "$ROOT/build/$b/checks.txt")
		compared=$((compared + 1))
		[ "$there" = "$here" ] || rc=1
	else
		here="none (no make test here yet)"
	fi
	echo "distcheck: checks, build/$b: export: $there; work tree: $here"
done
[ $compared -gt 0 ] || { echo "distcheck: run make test in the work tree first, to compare"; rc=1; }
[ $rc = 0 ] && echo "distcheck: OK" || { echo "distcheck: FAILED (logs: $top; DISTCHECK_KEEP=1 keeps them)"; }
exit $rc
