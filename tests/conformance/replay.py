#!/usr/bin/python3
"""Replay the client's requests at their date-versioned paths, through the Prism front, and check
that Prism judged every operation the client sent (t3900-prism-contract.sh).

replay.py --sandbox URL --front URL --front-log FILE [--version 2026-09]

The sandbox's request log (/_sandbox/requests?bodies=1) holds what ics2hubspot sent, bodies
included. Each request it sent at a legacy path (/crm/v3, /crm/v4, /account-info/v3) is sent
again, with the same method, query and body, at the dated path of the same operation
(/crm/objects/2026-09/..., see tests/sandbox/README.md) through the front, whose Prisms judge it
against HubSpot's 2026-09 specs. So the bodies are the client's own, whichever paths the client
uses today. Requests the sandbox refused as malformed (400) or that were never handled (401, 403,
429, 5xx, reset) are not replayed; legacy-only operations (private-app token-info) are skipped.

Then every operation the client sent (at either form) must have been accepted at its dated path
by a Prism of that version (front log: route "NAME-VERSION", prism < 300), and no request may have
been refused by a Prism. Prints one line per operation; exit 1 on a failure.
"""
import argparse
import http.client
import json
import os
import re
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sandbox"))
import sandbox  # noqa: E402

SKIP_STATUS = {0, 400, 401, 403, 429}


def http_call(base, method, path, body=None, token=None):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                     headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def operation(method, path):
    """An operation's key: the path with its record ids (digits) as {id}."""
    return "%s %s" % (method, re.sub(r"/\d+(?=/|$)", "/{id}", path))


def dated(path, version):
    """-> the dated path of the client's path (already dated or legacy), or None (legacy only)."""
    v, legacy = sandbox.path_version(path)
    if v != sandbox.LEGACY:
        return path if v == version else None
    d = sandbox.dated_path(sandbox.norm_path(legacy), version)
    return None if d == sandbox.norm_path(legacy) else d


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sandbox", required=True)
    p.add_argument("--front", required=True)
    p.add_argument("--front-log", required=True)
    p.add_argument("--version", default=sandbox.V2026_09)
    a = p.parse_args(argv[1:])
    token = os.environ.get("HUBSPOT_ACCESS_TOKEN")
    st, raw = http_call(a.sandbox, "GET", "/_sandbox/requests?bodies=1")
    if st != 200:
        print("replay: cannot read the sandbox's request log (%d)" % st)
        return 1
    sent = set()
    replayed = 0
    for rec in json.loads(raw)["requests"]:
        if rec.get("status") in SKIP_STATUS or rec.get("status", 0) >= 500:
            continue
        target = dated(rec["path"], a.version)
        if rec["method"] == "GET" and re.match(r"^/crm/v4/objects/[^/]+/[^/]+/associations/[^/]+$",
                                               rec["path"]):
            target = None  # legacy only (not in associations-2026-09.json)
        if target is None:
            if rec["version"] == sandbox.LEGACY and not rec["path"].startswith("/oauth/"):
                print("replay: no %s form for %s %s" % (a.version, rec["method"], rec["path"]))
            continue
        sent.add(operation(rec["method"], sandbox.norm_path(target)))
        if rec["version"] != sandbox.LEGACY:
            continue  # the client sent it at the dated path itself: Prism judged it then
        query = urllib.parse.urlencode(rec.get("query") or {}, doseq=True)
        http_call(a.front, rec["method"], target + ("?" + query if query else ""),
                  rec.get("body"), token)
        replayed += 1
    with open(a.front_log, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    judged = {}
    refused = []
    for e in entries:
        if e.get("route") is None:
            continue
        if e["prism"] >= 300:
            refused.append(e)
        elif e["route"].endswith("-" + a.version):
            key = operation(e["method"], sandbox.norm_path(e["path"]))
            judged[key] = judged.get(key, 0) + 1
    failed = 0
    for op in sorted(sent):
        ok = judged.get(op, 0) > 0
        failed += not ok
        print("%-4s %s (%d accepted by the %s Prism)" % ("ok" if ok else "FAIL", op,
                                                        judged.get(op, 0), a.version))
    for e in refused:
        print("REFUSED by Prism %s: %s %s -> %d" % (e["route"], e["method"], e["path"], e["prism"]))
    print("replay: %d requests replayed at %s paths; %d operations, %d not judged, %d refused"
          % (replayed, a.version, len(sent), failed, len(refused)))
    return 1 if failed or refused or not sent else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
