#!/usr/bin/env bash
# make bench: every benchmark, figures to stdout and to bench/out/. Not pass/fail tests.
cd "$(dirname "$0")/.." || exit 2
mkdir -p bench/out
status=0
for b in speed shapes expand mapping batch assoc sync adopt lookup portals; do
	[ -x "bench/$b.sh" ] || continue
	echo "##### bench/$b.sh"
	"bench/$b.sh" 2>&1 | tee "bench/out/$b.txt" || status=1
	echo
done
exit $status
