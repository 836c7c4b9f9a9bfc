#!/usr/bin/python3
"""jget FILE EXPR [EXPR...]: print eval(EXPR) with d = the JSON in FILE ('-' for stdin).

Also: FILE ending in .ndjson (or --lines) reads one JSON value per line into a list.
Lists print one element per line; dicts and other values print as JSON / str.
"""
import json
import sys


def main():
    args = sys.argv[1:]
    lines = False
    if args and args[0] == "--lines":
        lines = True
        args = args[1:]
    path, exprs = args[0], args[1:]
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    if lines or path.endswith(".ndjson"):
        d = [json.loads(l) for l in text.splitlines() if l.strip()]
    else:
        d = json.loads(text)
    env = {"d": d, "len": len, "sorted": sorted, "set": set, "any": any, "all": all}
    for e in exprs:
        v = eval(e, env)
        if isinstance(v, (list, tuple, set)):
            for x in v:
                print(json.dumps(x) if isinstance(x, (dict, list)) else x)
        elif isinstance(v, (dict,)):
            print(json.dumps(v, sort_keys=True))
        else:
            print(v)


main()
