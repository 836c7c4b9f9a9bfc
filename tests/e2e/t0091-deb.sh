#!/usr/bin/env bash
# make deb (issue 23 item 4): a Debian package of `make install PREFIX=/usr`, its Depends from the
# libraries the binary links, installed by dpkg into a scratch root (with this machine's package
# database, so its Depends are checked), then run from another directory with -m outlook.
# Never installed on this machine's real root.
. "$(dirname "$0")/lib.sh"
export XDG_CONFIG_HOME=$TRASH/config
mkdir -p elsewhere
# systemd-analyze --user's runtime directory: a short path (gpg-agent's sockets in it must fit
# a UNIX socket's 108 bytes; t0090 says why)
RT=$(mktemp -d /tmp/ics2h-rt.XXXXXX) && track_dir "$RT" && chmod 700 "$RT" || exit 1
test_requires systemd-analyze command -v systemd-analyze || test_done
test_requires dpkg-dev command -v dpkg-shlibdeps || test_done
VERSION=$(sed -n 's/^#define PROGRAM_VERSION "\(.*\)"/\1/p' "$ROOT/importer/util.h")
ARCH=$(dpkg --print-architecture)
DEB=$ROOT/build/deb/ics2hubspot_${VERSION}_$ARCH.deb
R=$TRASH/root
# a scratch dpkg root whose database is this machine's, less the packages named
scratch_root() {
	rm -rf "$R" && mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" &&
	touch "$R/var/lib/dpkg/available" &&
	"$PY" -c '
import sys
drop = set(sys.argv[1:])
for stanza in sys.stdin.read().split("\n\n"):
    name = [l[9:] for l in stanza.splitlines() if l.startswith("Package: ")]
    if stanza.strip() and not (name and name[0] in drop):
        print(stanza.strip() + "\n")' "$@" </var/lib/dpkg/status >"$R/var/lib/dpkg/status"
}

test_expect_success 'make deb builds the package' '
	make -C "$ROOT" --no-print-directory deb >deb.out 2>&1 || { cat deb.out; exit 1; }
	[ -s "$DEB" ] && grep -q "DEB  build/deb/ics2hubspot_${VERSION}_$ARCH.deb" deb.out
'
test_expect_success 'dpkg-deb -I: name, version, architecture, and Depends of every library it links' '
	dpkg-deb -f "$DEB" Package Version Architecture >fields &&
	printf "Package: ics2hubspot\nVersion: %s\nArchitecture: %s\n" "$VERSION" "$ARCH" | cmp - fields &&
	dpkg-deb -f "$DEB" Depends | tr "," "\n" | sed "s/^ *//; s/ .*//" | sort >depends &&
	cat depends &&
	objdump -p "$ROOT/build/deb/ics2hubspot" | awk "/NEEDED/ { print \$2 }" >needed &&
	[ "$(wc -l <needed)" -ge 7 ] &&
	while read -r lib; do
		path=$(ldd "$ROOT/build/deb/ics2hubspot" | awk -v l="$lib" "\$1 == l { print \$3 }") &&
		[ -n "$path" ] &&
		pkg= &&
		for f in "$path" "$(readlink -f "$path")" "$(dirname "$path")/$(basename "$(readlink -f "$path")")"; do
			[ -n "$pkg" ] || pkg=$(dpkg -S "$f" 2>/dev/null | head -n1 | cut -d: -f1)
		done &&
		echo "$lib -> $pkg" &&
		grep -qx "$pkg" depends || { echo "Depends lacks $pkg (for $lib)"; exit 1; }
	done <needed &&
	for p in libical3 libcurl4 libcjson1 libyaml-0-2 libsqlite3-0 libc6; do grep -qx "$p" depends; done
'
test_expect_success 'dpkg-deb -c: binary, presets, man page, completions, user units, docs; owned by root' '
	dpkg-deb -c "$DEB" >contents &&
	for f in ./usr/bin/ics2hubspot ./usr/share/ics2hubspot/mappings/outlook.yaml \
		./usr/share/ics2hubspot/mappings/google.yaml ./usr/share/ics2hubspot/mappings/default.yaml \
		./usr/share/man/man1/ics2hubspot.1.gz ./usr/share/bash-completion/completions/ics2hubspot \
		./usr/share/zsh/site-functions/_ics2hubspot ./usr/lib/systemd/user/ics2hubspot-sync.service \
		./usr/lib/systemd/user/ics2hubspot-sync.timer ./usr/share/doc/ics2hubspot/scheduling.md; do
		grep -q " $f\$" contents || { echo "missing $f"; exit 1; }
	done &&
	! grep -v " root/root " contents && ! grep -q "/usr/local" contents
'
test_expect_success 'dpkg installs it where its Depends are met (this machine'"'"'s packages)' '
	scratch_root &&
	dpkg --root="$R" --log=/dev/null -i "$DEB" >inst.out 2>inst.err &&
	dpkg --root="$R" -s ics2hubspot 2>/dev/null | grep -qx "Status: install ok installed" &&
	[ -x "$R/usr/bin/ics2hubspot" ]
'
test_expect_success 'and refuses it where libical3 is missing (Depends is real)' '
	scratch_root libical3 &&
	! dpkg --root="$R" --log=/dev/null -i "$DEB" >inst.out 2>inst.err &&
	grep -q "depends on libical3" inst.err
'
test_expect_success 'the installed binary works from any directory, -m outlook included' '
	rm -rf "$R" && dpkg-deb -x "$DEB" "$R" &&
	(cd elsewhere && "$R/usr/bin/ics2hubspot" --version) >ver && grep -q "^ics2hubspot $VERSION" ver &&
	(cd elsewhere && "$R/usr/bin/ics2hubspot" check -m outlook --limit 2 "$ROOT/samples/outlook-export.ics" >../check.out 2>&1) &&
	cat check.out &&
	grep -Eq "^mapping ($R)?/usr/share/ics2hubspot/mappings/outlook.yaml: valid" check.out &&
	(cd elsewhere && "$R/usr/bin/ics2hubspot" expand "$ROOT/samples/recurring.ics" >../exp.out) &&
	[ "$(wc -l <exp.out)" -gt 1 ] &&
	code=0 && (cd elsewhere && "$R/usr/bin/ics2hubspot" check -m nosuch 2>../err) || code=$? &&
	[ "$code" = 2 ] && grep -q "presets: default, google, outlook" err
'
test_expect_success 'its units pass systemd-analyze verify (ExecStart pointed at the unpacked binary)' '
	U=$R/usr/lib/systemd/user && mkdir -p units &&
	grep -qx "ExecStart=/usr/bin/ics2hubspot sync --config %E/ics2hubspot/config.yaml" "$U/ics2hubspot-sync.service" &&
	sed "s|^ExecStart=/usr/bin/|ExecStart=$R/usr/bin/|" "$U/ics2hubspot-sync.service" >units/ics2hubspot-sync.service &&
	[ "$(diff "$U/ics2hubspot-sync.service" units/ics2hubspot-sync.service | grep -c "^[<>]")" = 2 ] &&
	cp "$U/ics2hubspot-sync.timer" units/ &&
	XDG_RUNTIME_DIR=$RT MANPATH=$R/usr/share/man systemd-analyze --user verify \
		units/ics2hubspot-sync.service units/ics2hubspot-sync.timer >out 2>&1 ||
		{ cat out; exit 1; }
	[ ! -s out ] || { cat out; exit 1; }
'
test_done
