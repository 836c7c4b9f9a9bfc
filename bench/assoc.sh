#!/usr/bin/env bash
# bench/assoc.sh — requests spent on associations (issue #6): 1,000 meetings over 3,000 distinct
# attendees, against the sandbox seeded with those contacts (every 10th missing), 250 owners
# (3 pages; one organizer on the last), companies for half of the 300 domains.
# Figures, not pass/fail: prints the request count per path and against the minimum
#   ceil(emails/100) look-ups + ceil(meetings/100) creates + owner pages
# (+ ceil(missing/100) upserts and ceil(domains/100) searches when those are on).
# Usage: bench/assoc.sh [MEETINGS ATTENDEES]   (BIN=... to use another binary)
cd "$(dirname "$0")/.." || exit 2
. bench/lib.sh
MEETINGS=${1:-1000}
ATTENDEES=${2:-3000}
OUT=$ROOT/bench/out/assoc
rm -rf "$OUT"
mkdir -p "$OUT"

figures=$("$PY" bench/gen_attendees.py "$OUT" "$MEETINGS" "$ATTENDEES" 10 250 300) || exit 2
echo "workload: $figures"

# mapping FILE CREATE_MISSING COMPANIES
mapping() {
	{
		printf '%s\n' 'version: 1' 'properties:' \
			'  hs_timestamp: "{{ start }}"' '  hs_meeting_end_time: "{{ end }}"' \
			'  hs_meeting_title: "{{ summary }}"' '  hubspot_owner_id: "{{ organizer.owner_id }}"' \
			'associations:' '  contacts:' '    from: attendees' \
			'    exclude_domains: [mycompany.example]' "    create_missing: $2"
		if [ "$3" = true ]; then
			printf '%s\n' '  companies:' '    from: attendee_domains' \
				'    exclude_domains: [mycompany.example]'
		fi
	} >"$1"
}

# run NAME CREATE_MISSING COMPANIES
run() {
	local name=$1 t0 t1
	mapping "$OUT/$name.yaml" "$2" "$3"
	start_sandbox "$OUT" --seed "$OUT/seed.json" --rate 1000/10s
	setup_sandbox -m "$OUT/$name.yaml"
	t0=$(date +%s.%N)
	"$BIN" import --no-state -q -m "$OUT/$name.yaml" --rate 1000/10s --report "$OUT/$name.report.json" \
		"$OUT/attendees.ics" 2>"$OUT/$name.err"
	echo "exit=$? seconds=$(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?')" >"$OUT/$name.run"
	curl -sS "$HUBSPOT_API_BASE/_sandbox/stats" >"$OUT/$name.stats.json"
	curl -sS "$HUBSPOT_API_BASE/_sandbox/meetings" >"$OUT/$name.meetings.json"
	"$PY" - "$name" "$2" "$3" "$OUT" "$figures" <<'PYEOF'
import json, math, sys
name, create, companies, out, fig = sys.argv[1], sys.argv[2] == "true", sys.argv[3] == "true", sys.argv[4], json.loads(sys.argv[5])
stats = json.load(open("%s/%s.stats.json" % (out, name)))
ms = json.load(open("%s/%s.meetings.json" % (out, name)))["meetings"]
run = open("%s/%s.run" % (out, name)).read().strip()
by = stats["by_path"]
c = lambda p: by.get(p, 0)
owner_pages = math.ceil(fig["owners"] / 100)
minimum = {
    "contacts batch/read": math.ceil(fig["emails"] / 100),
    "meetings batch/create": math.ceil(fig["meetings"] / 100),
    "owner pages": owner_pages,
}
got = {
    "contacts batch/read": c("POST /crm/objects/2026-09/contacts/batch/read"),
    "meetings batch/create": c("POST /crm/objects/2026-09/meetings/batch/create"),
    "owner pages": c("GET /crm/owners/2026-09"),
}
if create:
    minimum["contacts batch/upsert"] = math.ceil(fig["missing"] / 100)
    got["contacts batch/upsert"] = c("POST /crm/objects/2026-09/contacts/batch/upsert")
if companies:
    minimum["companies search"] = math.ceil(fig["domains"] / 100)
    got["companies search"] = c("POST /crm/objects/2026-09/companies/search")
total, mintotal = stats["requests"], sum(minimum.values())
contacts = sum(len(m["associations"].get("contacts", [])) for m in ms)
owned = sum(1 for m in ms if m["properties"].get("hubspot_owner_id"))
comp = sum(len(m["associations"].get("companies", [])) for m in ms)
print("== %s (create_missing: %s, companies: %s) %s" % (name, create, companies, run))
for k in minimum:
    print("  %-24s %5d   minimum %5d" % (k, got[k], minimum[k]))
other = {k: v for k, v in by.items() if k not in (
    "POST /crm/objects/2026-09/contacts/batch/read", "POST /crm/objects/2026-09/meetings/batch/create",
    "GET /crm/owners/2026-09", "POST /crm/objects/2026-09/contacts/batch/upsert",
    "POST /crm/objects/2026-09/companies/search")}
for k, v in sorted(other.items()):
    print("  other: %-40s %d" % (k, v))
print("  total requests %d, minimum %d: %+.1f%% (target within 10%%)" % (
    total, mintotal, 100.0 * (total - mintotal) / mintotal))
print("  naive client (one look-up per distinct attendee): %d look-ups alone" % fig["emails"])
print("  meetings %d, contact associations %d, with owner %d, company associations %d, status %s" % (
    len(ms), contacts, owned, comp, json.dumps(stats.get("status"))))
PYEOF
}

run lookup false false
run create_missing true true
