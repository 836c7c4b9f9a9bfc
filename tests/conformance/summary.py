#!/usr/bin/python3
"""Read the sandbox's conformance log (strict mode, SANDBOX_CONFORMANCE_LOG) and show, per
operation of our schemas, how many request bodies each side accepted.

Usage: summary.py LOG
Fails (exit 1) when a body our schema accepted was rejected by the official spec, or when the log
is empty. Bodies of operations that the specs in DIR do not describe are counted and listed as
"not covered" (they cannot be checked), without failing.
"""
import collections
import json
import sys


def main(argv):
    rows = collections.defaultdict(collections.Counter)
    problems = []
    uncovered = set()
    n = 0
    with open(argv[1], encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            n += 1
            c = rows[e["op"]]
            c["bodies"] += 1
            c["ours ok"] += e["ours"]
            if e["official"] is None:
                c["no official op"] += 1
                uncovered.add("%s (%s)" % (e["op"], e["path"]))
            else:
                c["official ok"] += e["official"]
                if e["ours"] and not e["official"]:
                    c["MISMATCH"] += 1
                    problems.append("%s %s: accepted by %s, rejected by %s: %s"
                                    % (e["op"], e["path"], e["schema"], e["official_op"],
                                       e.get("official_error")))
                if not e["ours"] and e["official"]:
                    c["ours stricter"] += 1
    print("%-75s %7s %8s %11s %8s" % ("operation (our schema)", "bodies", "ours ok", "official ok",
                                         "mismatch"))
    for op in sorted(rows):
        c = rows[op]
        print("%-75s %7d %8d %11d %8d" % (op, c["bodies"], c["ours ok"], c["official ok"],
                                          c["MISMATCH"]))
    accepted = sum(c["ours ok"] for c in rows.values())
    both = sum(c["ours ok"] - c["MISMATCH"] - c["no official op"] for c in rows.values())
    for u in sorted(uncovered):
        print("NOT COVERED by the specs given (not checked): " + u)
    for p in problems[:50]:
        print("PROBLEM: " + p)
    print("conformance log: %d request bodies; %d accepted by our schemas, %d of them also by the "
          "official specs; %d not covered; %d problems"
          % (n, accepted, both, sum(c["no official op"] for c in rows.values()), len(problems)))
    return 1 if problems or n == 0 or accepted == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
