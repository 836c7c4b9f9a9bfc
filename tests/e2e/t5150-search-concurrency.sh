#!/usr/bin/env bash
# Search before create at the search limit (issue #26 item 3): looked up per key, the requests
# (100 keys each) are kept in flight as the search rate allows, not one at a time; the results
# stay right in any order (duplicates: the oldest adopted; a key differing in case: not adopted);
# a 429 on a search is waited out, never a failure, and never counted as a request asked.
. "$(dirname "$0")/lib.sh"
Y="$ROOT/tests/sync"
M="$Y/archive.yaml"
start_sandbox --rate 1000/10s --search-rate 5
SEARCH=/crm/objects/2026-09/meetings/search
# 2,000 meetings of another calendar of ours (paging them would cost more requests than the
# keys: looked up per key), then three keys of the new calendars twice (duplicates made before,
# the first seeded is the oldest), and one differing only in case.
"$PY" - >held.json <<'EOF'
import json
ms = [{"properties": {"ics2hubspot_key": "held-%d@example.test" % i,
                      "hs_timestamp": "2030-01-01T09:00:00Z"}} for i in range(2000)]
for k in ("n-5", "n-250", "n-599", "n-5", "n-250", "n-599", "N-7"):
    ms.append({"properties": {"ics2hubspot_key": k + "@example.test", "hs_meeting_title": k,
                              "hs_timestamp": "2030-01-01T09:00:00Z"}})
print(json.dumps({"meetings": ms}))
EOF
curl -sS --fail -H 'Content-Type: application/json' --data-binary @held.json \
	"$SANDBOX_URL/_sandbox/seed" >/dev/null || exit 1
# Every answer 600 ms late: one search at a time would take 600 ms each.
sandbox_post /_sandbox/config '{"latency_ms": 600}' >/dev/null || exit 1
"$PY" "$Y/gen.py" 600 n.ics --uid-prefix n
"$PY" "$Y/gen.py" 600 m.ics --uid-prefix m

mark() { MARK=$(sandbox_get /_sandbox/requests | jget - 'len(d["requests"])'); }
# since KIND: search requests since the mark: in (per key, IN), all, throttled (answered 429:
# asked again by the client, not counted in the others), peak (the most per-key searches the
# sandbox had in flight at once, from arrival to answer).
since() {
	sandbox_get "/_sandbox/requests?bodies=1" | jget - "(lambda rs: {
		\"in\": len([r for r in rs if r[\"status\"] != 429 and \"IN\" in r[\"ops\"]]),
		\"all\": len([r for r in rs if r[\"status\"] != 429]),
		\"throttled\": len([r for r in rs if r[\"status\"] == 429]),
		\"peak\": max([sum(1 for q in rs if \"IN\" in q[\"ops\"] and q[\"at\"] <= r[\"at\"] < q[\"at\"] + q[\"ms\"]) for r in rs if \"IN\" in r[\"ops\"]] or [0]),
	}[\"$1\"])([dict(r, ops=[f[\"operator\"] for g in r[\"body\"][\"filterGroups\"] for f in g[\"filters\"]]) for r in d[\"requests\"][$MARK:] if r[\"path\"] == \"$SEARCH\"])"
}
keys() { # keys KEY: how many live meetings carry exactly KEY
	sandbox_get /_sandbox/meetings | jget - "len([m for m in d[\"meetings\"] if not m[\"archived\"] and m[\"properties\"].get(\"ics2hubspot_key\") == \"$1\"])"
}
oldest() { # oldest KEY: the smallest id of the meetings carrying KEY
	sandbox_get /_sandbox/meetings | jget - "min([m[\"id\"] for m in d[\"meetings\"] if m[\"properties\"].get(\"ics2hubspot_key\") == \"$1\"], key=lambda i: (len(i), i))"
}

test_expect_success 'per key: 6 requests for 600 keys, several in flight at once, no more than 5' '
	mark &&
	"$BIN" import -m "$M" --state s1.db -v --report r1.json n.ics 2>err &&
	grep -q "by ics2hubspot_key: per key (the portal has 2007)" err &&
	[ "$(since in)" = 6 ] && p=$(since peak) && [ "$p" -ge 2 ] && [ "$p" -le 5 ]
'
test_expect_success 'the results are right: duplicates resolved to the oldest, case compared exactly' '
	[ "$(jget r1.json "d[\"totals\"][\"created\"]")" = 597 ] &&
	[ "$(jget r1.json "d[\"totals\"][\"updated\"]")" = 3 ] &&
	for k in n-5 n-250 n-599; do
		[ "$(keys $k@example.test)" = 2 ] &&
		[ "$(sqlite3 s1.db "select hubspot_id from occurrences where key = \"$k@example.test\"")" = "$(oldest $k@example.test)" ] || return 1
	done &&
	[ "$(keys n-7@example.test)" = 1 ] && [ "$(keys N-7@example.test)" = 1 ] &&
	[ "$(keys n-0@example.test)" = 1 ] && [ "$(keys n-598@example.test)" = 1 ] &&
	[ "$(sqlite3 s1.db "select count(*) from occurrences where hubspot_id is not null")" = 600 ]
'
test_expect_success 'a 429 on searches is waited out: not a failure, not a request asked' '
	sandbox_post /_sandbox/faults "{\"faults\": [{\"method\": \"POST\", \"path\": \"$SEARCH\", \"action\": \"rate_limit\", \"policy\": \"SECONDLY\", \"skip\": 2, \"count\": 4}]}" >/dev/null &&
	mark &&
	"$BIN" import -m "$M" --state s2.db --report r2.json m.ics 2>err &&
	[ "$(since throttled)" = 4 ] && [ "$(since in)" = 6 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"created\"]")" = 600 ] &&
	[ "$(jget r2.json "d[\"totals\"][\"failed\"]")" = 0 ] &&
	[ "$(keys m-0@example.test)" = 1 ] && [ "$(keys m-599@example.test)" = 1 ] &&
	! grep -q "cannot look meetings up" err
'
test_done
