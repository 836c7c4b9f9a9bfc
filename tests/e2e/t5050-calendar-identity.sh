#!/usr/bin/env bash
# Calendar identity (issue #12 item 1): stdin, canonical paths, --name, state rename,
# unreadable sources.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --seed "$Y/seed.json" --rate 1000/10s
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"][\"ics2hubspot_key\"].startswith(\"$1\")])"; }
created() { sandbox_get /_sandbox/stats | jget - "d[\"meetings_created\"]"; }
calendars() { "$BIN" state list --state "$1" --json | jget - "len(d[\"calendars\"])"; }

"$PY" "$Y/gen.py" 5 a.ics --uid-prefix a
"$PY" "$Y/gen.py" 4 b.ics --uid-prefix b
"$PY" "$Y/gen.py" 3 c.ics --uid-prefix c
"$PY" "$Y/gen.py" 2 d.ics --uid-prefix d
"$PY" "$Y/gen.py" 4 e.ics --uid-prefix e
"$PY" "$Y/gen.py" 5 f.ics --uid-prefix f

test_expect_success 'two calendars piped through stdin both keep all their meetings' '
	"$BIN" import -m "$Y/archive.yaml" --state st1.db - <a.ics 2>err1 &&
	grep -q "never removed (give --name NAME" err1 &&
	"$BIN" import -m "$Y/archive.yaml" --state st1.db - <b.ics 2>err2 &&
	[ "$(live a-)" = 5 ] && [ "$(live b-)" = 4 ]
'
test_expect_success 'stdin with --name is a calendar: removals are synced' '
	"$BIN" import -m "$Y/archive.yaml" --state st1.db --name piped - <c.ics 2>err &&
	"$PY" "$Y/gen.py" 3 c2.ics --uid-prefix c --drop 0 &&
	"$BIN" import -m "$Y/archive.yaml" --state st1.db --name piped - <c2.ics 2>err &&
	[ "$(live c-)" = 2 ]
'
test_expect_success 'one file by a relative path, an absolute path and a symlink is one calendar' '
	mkdir -p sub && cp e.ics sub/cal.ics && ln -s sub/cal.ics link.ics &&
	"$BIN" import -m "$Y/archive.yaml" --state st2.db sub/cal.ics 2>err &&
	"$BIN" import -m "$Y/archive.yaml" --state st2.db "$PWD/sub/cal.ics" 2>err &&
	(cd sub && "$BIN" import -m "$Y/archive.yaml" --state ../st2.db ./cal.ics 2>err) &&
	"$BIN" import -m "$Y/archive.yaml" --state st2.db link.ics 2>err &&
	[ "$(calendars st2.db)" = 1 ] &&
	"$BIN" state list --state st2.db | grep -q "^$(realpath sub/cal.ics)\$" &&
	[ "$(live e-)" = 4 ]
'
test_expect_success 'the same file twice in one run is read once' '
	"$BIN" import -m "$Y/archive.yaml" --state st2.db sub/cal.ics link.ics 2>err &&
	grep -q "the same calendar given twice" err
'
test_expect_success '--name: a moved file keeps its meetings' '
	"$BIN" import -m "$Y/archive.yaml" --state st3.db --name team d.ics 2>err &&
	n=$(created) && mv d.ics moved.ics &&
	"$BIN" import -m "$Y/archive.yaml" --state st3.db --name team moved.ics 2>err &&
	[ "$(created)" = "$n" ] && [ "$(live d-)" = 2 ] &&
	"$BIN" state list --state st3.db | grep -q "^team\$" &&
	! "$BIN" import --state st3.db --name team a.ics b.ics 2>err && grep -q "exactly one" err
'
test_expect_success 'state rename OLD NEW: the meetings follow the calendar' '
	"$BIN" import -m "$Y/archive.yaml" --state st3.db f.ics 2>err &&
	n=$(created) && mv f.ics renamed.ics &&
	"$BIN" state rename --state st3.db f.ics renamed.ics 2>out &&
	grep -q "renamed .*/f.ics to .*/renamed.ics (5 occurrences)" out &&
	"$BIN" import -m "$Y/archive.yaml" --state st3.db renamed.ics 2>err &&
	[ "$(created)" = "$n" ] && [ "$(live f-)" = 5 ] &&
	"$BIN" state rename --state st3.db renamed.ics sales >out &&
	"$BIN" state list --state st3.db | grep -q "^sales\$" &&
	! "$BIN" state rename --state st3.db sales team 2>err && grep -q "already a calendar" err &&
	! "$BIN" state rename --state st3.db nothing.ics x 2>err && grep -q "no calendar" err
'
test_expect_success 'a source that could not be read is not recorded as a calendar' '
	before=$(calendars st3.db) &&
	! "$BIN" import -m "$Y/archive.yaml" --state st3.db missing.ics 2>err &&
	[ "$(calendars st3.db)" = "$before" ]
'
test_done
