#!/usr/bin/python3
"""Our request schemas against HubSpot's official OpenAPI specs (make conformance).

Usage: schemas_vs_specs.py SPECS_DIR

For every example body in tests/sandbox/schemas/*.json, and for every variant of it made by
removing one member or replacing one value with another JSON type: whenever our schema accepts the
body, the official spec of the same operation must accept it too. Also every example must be
accepted by both. An operation the specs in DIR do not describe is listed as not covered.
A date-versioned example (/crm/objects/2026-09/...) is judged by the spec of its version
(*-2026-09.json), and every 2026-09 operation of our schemas must have an example so judged.
Prints one line per schema and a total; exit 1 on any disagreement.
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sandbox"))
import sandbox  # noqa: E402

REPLACEMENTS = ["x", 7, 1.5, True, None, [], {}]


def variants(value):
    """Every body with one member removed or one value replaced (recursively)."""
    if isinstance(value, dict):
        for k in value:
            v = dict(value)
            del v[k]
            yield v
            for sub in variants(value[k]):
                v = dict(value)
                v[k] = sub
                yield v
    elif isinstance(value, list):
        if value:
            yield []
        for i, item in enumerate(value):
            for sub in variants(item):
                v = list(value)
                v[i] = sub
                yield v
    for r in REPLACEMENTS:
        if type(r) is not type(value):
            yield copy.deepcopy(r)


def accepts(op, body):
    return sandbox.first_error(op.validator, body) is None


def main(argv):
    ours = sandbox.load_schemas()
    official = sandbox.load_official_specs(argv[1])
    total = agree = stricter = 0
    problems = []
    uncovered = []
    judged = set()  # (schema file, our template) of the dated examples judged by their version's spec
    has_2026_09 = any(n.endswith("-2026-09.json") for n in os.listdir(argv[1]))
    for fname in sorted(os.listdir(sandbox.SCHEMAS_DIR)):
        if not fname.endswith(".json") or fname == "common.json":
            continue
        with open(os.path.join(sandbox.SCHEMAS_DIR, fname), encoding="utf-8") as f:
            doc = json.load(f)
        n_here = 0
        if "request" in doc and not doc.get("examples"):
            problems.append("%s: no examples" % fname)
        for ex in doc.get("examples", []):
            method = doc["operations"][0][0]
            mine = ours.find(method, ex["path"])
            theirs = official.find(method, ex["path"], prefer=sandbox.spec_preference(ex["path"]))
            version = sandbox.path_version(ex["path"])[0]
            if mine is None or mine.source != fname:
                problems.append("%s: example path %s is not one of its operations" % (fname, ex["path"]))
                continue
            if theirs is None or theirs.validator is None:
                uncovered.append("%s: %s %s" % (fname, method, ex["path"]))
                continue
            if version != sandbox.LEGACY:
                if not theirs.source.endswith("-%s.json" % version):
                    problems.append("%s: %s is judged by %s, not a %s spec"
                                    % (fname, ex["path"], theirs.source, version))
                    continue
                judged.add((fname, mine.template))
            for body in [ex["body"]] + list(variants(ex["body"])):
                n_here += 1
                a, b = accepts(mine, body), accepts(theirs, body)
                if body is ex["body"] and not (a and b):
                    problems.append("%s: the example for %s is rejected (ours %s, official %s)"
                                    % (fname, ex["path"], a, b))
                if a and not b:
                    problems.append("%s: %s: ours accepts, %s rejects: %s\n    body: %s"
                                    % (fname, ex["path"], theirs.source,
                                       sandbox.schema_error_message(sandbox.first_error(theirs.validator, body)),
                                       json.dumps(body)[:300]))
                elif a == b:
                    agree += 1
                else:
                    stricter += 1
        total += n_here
        print("%-45s %5d bodies checked" % (fname, n_here))
        if has_2026_09:
            for m, template in doc["operations"]:
                if "/2026-09/" in template and (fname, template) not in judged:
                    problems.append("%s: %s %s has no example judged by a 2026-09 spec"
                                    % (fname, m, template))
    print("2026-09 operations of our schemas judged by a 2026-09 spec: %d%s"
          % (len({t for (_f, t) in judged if "/2026-09/" in t}),
             "" if has_2026_09 else " (no *-2026-09.json in %s)" % argv[1]))
    for u in uncovered:
        print("NOT COVERED by the specs given (not checked): " + u)
    for p in problems:
        print("PROBLEM: " + p)
    print("schemas vs official specs: %d bodies (examples and their variants): %d same verdict, "
          "%d rejected only by ours (stricter), %d examples not covered, %d problems"
          % (total, agree, stricter, len(uncovered), len(problems)))
    return 1 if problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
