#!/usr/bin/env bash
# Run every end-to-end script (or those given); print "N passed, N failed" over scripts.
cd "$(dirname "$0")" || exit 2
: "${BIN:?BIN must name the binary under test}"
export BIN
pass=0
fail=0
failed=()
scripts=("$@")
[ ${#scripts[@]} -eq 0 ] && scripts=(t[0-9]*.sh)
for t in "${scripts[@]}"; do
	[ -e "$t" ] || continue
	echo "== $t"
	if bash "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$t")
	fi
done
[ $fail -gt 0 ] && echo "failed scripts: ${failed[*]}"
echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
