#!/bin/sh
# bench/mapping.sh [N]: what mapping costs next to expanding (figures, not pass/fail).
#   1. map N synthetic occurrences built in C with each shipped mapping (no parsing)
#   2. expand a generated calendar of N occurrences with libical, then expand + map it
# N defaults to 1,000,000. Run from anywhere; builds bench/map_bench against build/default.
cd "$(dirname "$0")/.." || exit 2
N=${1:-1000000}
make -s all >/dev/null || exit 2
B=build/default
FLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g $(pkg-config --cflags libcjson) -Iimporter -I$B"
OBJS=$(ls $B/*.o | grep -v '/main\.o$')
LIBS="$(pkg-config --libs libical libcurl libcjson yaml-0.1 sqlite3 icu-i18n) -lm"
mkdir -p bench/out
# shellcheck disable=SC2086
cc $FLAGS -o bench/out/map_bench bench/map_bench.c $OBJS $LIBS || exit 2
echo "machine: $(nproc) cores, $(uname -sm)"
for m in default outlook google; do
	echo "mapping: mappings/$m.yaml"
	bench/out/map_bench synthetic "$N" "mappings/$m.yaml" || exit 1
done
echo "mapping: built-in default, real occurrences from libical"
bench/out/map_bench expand "$N" || exit 1
