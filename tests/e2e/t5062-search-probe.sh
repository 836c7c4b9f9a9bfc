#!/usr/bin/env bash
# Search before create costs one probe on a fresh portal (issue #11 item 6): the first look-up of
# a run asks HubSpot how many meetings carry the identity property (HAS_PROPERTY, `total`); none
# → no per-key search for the rest of the run; a few → paged once into a map that answers every
# chunk; many → per key (IN, 100 keys a request) as before. The same for hs_i_cal_uid.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
start_sandbox --rate 1000/10s
M="$Y/archive.yaml"
live() { sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"].get(\"ics2hubspot_key\", \"\").startswith(\"$1\")])"; }
dups() { sandbox_get /_sandbox/meetings | jget - "(lambda ks: len(ks) - len(set(ks)))([m[\"properties\"].get(\"ics2hubspot_key\") for m in d[\"meetings\"] if not m[\"archived\"]])"; }
# mark: remember how many requests the sandbox logged; since KIND: search requests after the
# mark: probe (HAS_PROPERTY, after 0), page (HAS_PROPERTY, later page), in (per key), all. A search
# answered 429 (HubSpot allows 5 a second; a loaded machine sends bursts) is asked again: it is
# not counted, so the counts are what the run asked for, never what a retry added (issue 27).
mark() { MARK=$(sandbox_get /_sandbox/requests | jget - 'len(d["requests"])'); }
since() {
	sandbox_get "/_sandbox/requests?bodies=1" | jget - "(lambda rs: len([r for r in rs if r[\"path\"].endswith(\"/meetings/search\") and r[\"status\"] != 429 and (lambda ops, after: {\"probe\": \"HAS_PROPERTY\" in ops and after == \"0\", \"page\": \"HAS_PROPERTY\" in ops and after != \"0\", \"in\": \"IN\" in ops, \"all\": True}[\"$1\"])([f[\"operator\"] for g in r[\"body\"][\"filterGroups\"] for f in g[\"filters\"]], str(r[\"body\"].get(\"after\", \"0\")))]))(d[\"requests\"][$MARK:])"
}
"$PY" "$Y/gen.py" 300 a.ics --uid-prefix a
"$PY" "$Y/gen.py" 600 b.ics --uid-prefix b
"$PY" "$Y/gen.py" 150 c.ics --uid-prefix c

test_expect_success 'fresh portal, fresh state: one probe, no per-key search, each created once' '
	mark &&
	"$BIN" import -m "$M" --state s1.db -v --report r1.json a.ics 2>err &&
	[ "$(since all)" = 1 ] && [ "$(since probe)" = 1 ] && [ "$(since in)" = 0 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 300 ] &&
	[ "$(live a-)" = 300 ] && [ "$(dups)" = 0 ] &&
	grep -q "by ics2hubspot_key: none in the portal" err &&
	grep -q "by hs_i_cal_uid: none in the portal" err
'
test_expect_success 'lost state (the portal has them all): paged once, all adopted, none created' '
	mark && c=$(sandbox_get /_sandbox/stats | jget - "d[\"meetings_created\"]") &&
	"$BIN" import -m "$M" --state s2.db -v --report r2.json a.ics 2>err &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"unchanged\"]")" = 300 ] &&
	[ "$(sandbox_get /_sandbox/stats | jget - "d[\"meetings_created\"]")" = "$c" ] &&
	[ "$(since in)" = 0 ] && [ "$(since page)" = 1 ] &&
	grep -q "by ics2hubspot_key: from the portal.s 300 meeting(s), paged once" err &&
	[ "$(live a-)" = 300 ] && [ "$(dups)" = 0 ]
'
test_expect_success 'a portal holding a few of them, a bigger calendar: the few adopted, the rest created' '
	"$BIN" import -m "$M" --no-state --until "$(date -u -d "+257 days" +%Y-%m-%d)" b.ics 2>err &&
	few=$(live b-) && [ "$few" -gt 200 ] && [ "$few" -lt 300 ] &&
	mark &&
	"$BIN" import -m "$M" --state s3.db -v --report r3.json b.ics 2>err &&
	[ "$(since in)" = 0 ] && [ "$(since page)" -ge 1 ] &&
	[ "$(jget r3.json "d[\"totals\"][\"unchanged\"]")" = "$few" ] &&
	[ "$(jget r3.json "d[\"totals\"][\"created\"]")" = "$((600 - few))" ] &&
	[ "$(live b-)" = 600 ] && [ "$(dups)" = 0 ]
'
start_sandbox --rate 1000/10s
test_expect_success '--no-state: one probe into a fresh portal, then adopted from the map' '
	mark &&
	"$BIN" import -m "$M" --no-state --report r4.json c.ics 2>err &&
	[ "$(since all)" = 1 ] && [ "$(since in)" = 0 ] &&
	[ "$(jget r4.json "d[\"totals\"][\"created\"]")" = 150 ] && mark &&
	"$BIN" import -m "$M" --no-state --report r4b.json c.ics 2>err &&
	[ "$(since all)" = 1 ] && [ "$(since in)" = 0 ] &&
	[ "$(jget r4b.json "d[\"totals\"][\"created\"]")" = 0 ] &&
	[ "$(jget r4b.json "d[\"totals\"][\"unchanged\"]")" = 150 ] &&
	[ "$(live c-)" = 150 ] && [ "$(dups)" = 0 ]
'
test_expect_success 'a portal with many of ours (paging would cost more): per key, 100 keys a request' '
	"$PY" -c "import json; print(json.dumps({\"meetings\": [{\"properties\": {\"ics2hubspot_key\": \"other-%d@example.test\" % i, \"hs_timestamp\": \"2030-01-01T09:00:00Z\"}} for i in range(700)]}))" >many.json &&
	sandbox_post /_sandbox/seed "$(cat many.json)" >/dev/null &&
	"$PY" "$Y/gen.py" 150 d.ics --uid-prefix d && mark &&
	"$BIN" import -m "$M" --state s5.db -v --report r5.json d.ics 2>err &&
	[ "$(since in)" = 2 ] && [ "$(since page)" = 0 ] &&
	grep -q "by ics2hubspot_key: per key (the portal has 850)" err &&
	[ "$(jget r5.json "d[\"totals\"][\"created\"]")" = 150 ] && [ "$(dups)" = 0 ]
'
test_done
