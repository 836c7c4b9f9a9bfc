#!/usr/bin/python3
"""Cross-check `ics2hubspot expand` against the oracle (tests/ics/oracle.py).

Usage: crosscheck.py BIN ORACLE CORPUS_DIR DIFFERENCES_MD [FILE...]

For every .ics file under CORPUS_DIR (or the FILEs given), run both over the
same window ([1990-01-01, 2030-01-01), "start" semantics: an occurrence is in
the window when it starts in it) and compare the multisets of
(UID, start, end, SUMMARY). Files the oracle cannot expand (exit 2) are
skipped and counted.

Every difference must be listed in DIFFERENCES_MD as a table row
`| file | UID | ... |` (file relative to CORPUS_DIR, UID exact or `*` for
every UID of the file, `(none)` for VEVENTs without UID). Unlisted
differences are printed and make the exit status 1. A listed (file, UID) that
no longer differs is reported as stale (exit 1 too, so the list stays honest).
"""
import collections
import json
import os
import re
import subprocess
import sys

SINCE, UNTIL = "1990-01-01", "2030-01-01"


def norm_time(t):
    return t[:-1] if t.endswith("Z") else t


def norm_summary(s):
    # libical drops trailing white space of every content line (icalparser_get_line),
    # icalendar keeps it: not a difference worth listing.
    return (s or "").replace("\t", " ").replace("\n", "\\n").rstrip()


def ours(binary, path):
    proc = subprocess.run([binary, "expand", "--since", SINCE, "--until", UNTIL, path],
                          capture_output=True, timeout=300)
    if proc.returncode not in (0, 1):
        return None, proc.stderr.decode("utf-8", "replace")
    rows = collections.Counter()
    for line in proc.stdout.decode("utf-8").splitlines():
        o = json.loads(line)
        uid = o["uid"]
        if uid.startswith("nouid-"):
            uid = ""
        rows[(uid, norm_time(o["start"]), norm_time(o["end"]), norm_summary(o["summary"]))] += 1
    return rows, None


def oracle(oracle_py, path):
    proc = subprocess.run(["/usr/bin/python3", oracle_py, path, SINCE, UNTIL],
                          capture_output=True, timeout=600)
    if proc.returncode != 0:
        return None
    rows = collections.Counter()
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) < 5:
            continue
        uid, _rid, start, end, summary = parts[0], parts[1], parts[2], parts[3], "\t".join(parts[4:])
        rows[(uid, norm_time(start), norm_time(end), summary.rstrip())] += 1
    return rows


def listed(md_path):
    allowed = set()
    row = re.compile(r"^\|\s*`?([^|`]+?)`?\s*\|\s*`?([^|`]*?)`?\s*\|")
    with open(md_path, encoding="utf-8") as f:
        for line in f:
            m = row.match(line)
            if not m or m.group(1).strip() in ("file", "---", ":---") or set(m.group(1)) <= set("-: "):
                continue
            uid = m.group(2).strip()
            allowed.add((m.group(1).strip(), "" if uid == "(none)" else uid))
    return allowed


def main(argv):
    binary, oracle_py, corpus, md = argv[1:5]
    files = argv[5:]
    if not files:
        for dirpath, _dirs, names in os.walk(corpus):
            for n in names:
                if n.endswith(".ics"):
                    files.append(os.path.relpath(os.path.join(dirpath, n), corpus))
    files.sort()
    allowed = listed(md)
    used = set()
    compared = skipped = same = 0
    failures = []
    for rel in files:
        path = os.path.join(corpus, rel)
        orc = oracle(oracle_py, path)
        if orc is None:
            skipped += 1
            continue
        mine, err = ours(binary, path)
        if mine is None:
            failures.append(f"{rel}: expand failed: {err.strip()[:300]}")
            continue
        compared += 1
        only_ours = mine - orc
        only_oracle = orc - mine
        if not only_ours and not only_oracle:
            same += 1
            continue
        uids = {r[0] for r in only_ours} | {r[0] for r in only_oracle}
        for uid in sorted(uids):
            key = (rel, uid)
            if key in allowed or (rel, "*") in allowed:
                used.add(key if key in allowed else (rel, "*"))
                continue
            rows = [("ours  ", r, n) for r, n in only_ours.items() if r[0] == uid]
            rows += [("oracle", r, n) for r, n in only_oracle.items() if r[0] == uid]
            msg = [f"{rel}: UID {uid or '(none)'}: unlisted difference"]
            for who, r, n in sorted(rows, key=lambda x: (x[1][1], x[0]))[:12]:
                msg.append(f"    only {who} x{n}: start={r[1]} end={r[2]} summary={r[3][:60]}")
            failures.append("\n".join(msg))
    for key in sorted(allowed - used):
        if key[0] in files:
            failures.append(f"{key[0]}: UID {key[1] or '(none)'}: listed in {os.path.basename(md)} "
                            "but no longer differs (stale entry)")
    for f in failures:
        print(f)
    print(f"crosscheck: {compared} files compared ({same} identical, {compared - same} with listed "
          f"differences), {skipped} skipped (oracle cannot expand), {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
