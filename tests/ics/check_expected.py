#!/usr/bin/python3
"""Check the 40 upstream assertions of tests/ics/corpus/expected.tsv against `expand`.

Usage: check_expected.py BIN CORPUS_DIR [ID...]

Each row gives a calendar, a UTC window [start, end) with *overlap* semantics
(an occurrence counts when start < end_w and end > start_w; a zero-length one
when start_w <= start < end_w) and the expected count / starts / ends /
includes / summaries / uid_present / status_all. `expand` selects by start,
so it is run with --since one year before the window and the overlap filter
is applied here. Dates and floating times compare as if UTC (as expected.md
says); a trailing "Z" is ignored when comparing texts.
Prints "ok"/"not ok" per row; exit 1 when any row fails.
"""
import datetime as dt
import json
import os
import subprocess
import sys


def parse(t):
    t = t.rstrip("Z")
    if len(t) == 10:
        return dt.datetime.strptime(t, "%Y-%m-%d")
    return dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S")


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def norm(t):
    return t.rstrip("Z")


def run_row(binary, corpus, row):
    path = os.path.join(corpus, "python-recurring-ical-events", row["file"])
    ws, we = parse(row["start_utc"]), parse(row["end_utc"])
    proc = subprocess.run([binary, "expand", "--since", fmt(ws - dt.timedelta(days=366)),
                           "--until", fmt(we), path], capture_output=True, timeout=300)
    if proc.returncode not in (0, 1):
        return [f"expand exit {proc.returncode}: {proc.stderr.decode()[:300]}"]
    occ = []
    for line in proc.stdout.decode("utf-8").splitlines():
        o = json.loads(line)
        s, e = parse(o["start"]), parse(o["end"])
        keep = (ws <= s < we) if s == e else (s < we and e > ws)
        if keep:
            occ.append(o)
    problems = []
    starts = sorted(norm(o["start"]) for o in occ)
    ends = sorted(norm(o["end"]) for o in occ)
    if row["count"] and len(occ) != int(row["count"]):
        problems.append(f"count {len(occ)} != {row['count']}")
    if row["starts"] and starts != sorted(norm(x) for x in row["starts"].split(",")):
        problems.append(f"starts {starts} != {row['starts']}")
    if row["ends"] and ends != sorted(norm(x) for x in row["ends"].split(",")):
        problems.append(f"ends {ends} != {row['ends']}")
    for inc in filter(None, row["includes"].split(",")):
        if norm(inc) not in starts:
            problems.append(f"missing start {inc} (have {starts[:10]})")
    if row["summaries"]:
        got = sorted((o["summary"] or "").strip() for o in occ)
        if got != sorted(row["summaries"].split("|")):
            problems.append(f"summaries {got} != {row['summaries']}")
    if row["uid_present"] and row["uid_present"] not in [o["uid"] for o in occ]:
        problems.append(f"UID {row['uid_present']} missing")
    if row["status_all"] and any(o["status"] != row["status_all"] for o in occ):
        problems.append(f"status {[o['status'] for o in occ]} != {row['status_all']}")
    return problems


def main(argv):
    binary, corpus = argv[1], argv[2]
    only = set(argv[3:])
    with open(os.path.join(corpus, "expected.tsv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].lstrip("# ").split("\t")
    failed = n = 0
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, line.split("\t")))
        if only and row["id"] not in only:
            continue
        n += 1
        problems = run_row(binary, corpus, row)
        if problems:
            failed += 1
            print(f"not ok {n} - {row['id']} ({row['file']}): " + "; ".join(problems))
        else:
            print(f"ok {n} - {row['id']} ({row['file']})"
                  + (" [the 2.0.1 oracle fails this one]" if row["oracle_note"] else ""))
    print(f"expected.tsv: {n - failed} passed, {failed} failed")
    return 1 if failed or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
