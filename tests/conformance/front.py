#!/usr/bin/python3
"""Loopback front for the Prism contract test (t3900-prism-contract.sh).

front.py --port-file FILE --route NAME REGEX URL [--route ...] --sandbox URL --log FILE

One Prism mocks one OpenAPI document, and HubSpot publishes one per API (meetings, contacts,
companies, owners, properties, associations, account-info), so the test runs one Prism per spec
and this front routes each request by its path: the first --route whose REGEX matches the path
(without the query) names the Prism that judges it. The front sends

  - a routed request to its Prism first: Prism validates it against the official spec; when Prism
    refuses it (any answer >= 300) that answer goes back to the client; when Prism accepts it, the
    same request goes to the sandbox and the sandbox's answer goes back (Prism's mock answers carry
    no ids, so a run could not go on from them);
  - every other request to the sandbox alone (tests/sandbox, which answers as HubSpot does).

So a run against the front is a normal run (created, updated, archived for real in the sandbox)
in which Prism judged every routed request. Each request is logged as one JSON line
{"method", "path", "route": NAME or null, "prism": status or null, "sandbox": status or null}.
"""
import argparse
import http.client
import json
import os
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "expect"}


def forward(base, method, path, headers, body):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        hdrs = {k: v for k, v in headers.items() if k.lower() not in HOP}
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return r.status, [(k, v) for k, v in r.getheaders() if k.lower() not in HOP], r.read()
    finally:
        conn.close()


class Front(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        headers = dict(self.headers.items())
        path = self.path
        plain = urllib.parse.urlsplit(path).path
        route = next((r for r in self.server.routes if r[1].search(plain)), None)
        entry = {"method": self.command, "path": plain, "route": None, "prism": None,
                 "sandbox": None}
        if route is not None:
            status, hdrs, data = forward(route[2], self.command, path, headers, body)
            entry["route"], entry["prism"] = route[0], status
            if status < 300:
                status, hdrs, data = forward(self.server.sandbox, self.command, path, headers,
                                             body)
                entry["sandbox"] = status
        else:
            status, hdrs, data = forward(self.server.sandbox, self.command, path, headers, body)
            entry["sandbox"] = status
        with self.server.lock:
            self.server.log.write(json.dumps(entry) + "\n")
            self.server.log.flush()
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--route", nargs=3, action="append", default=[],
                   metavar=("NAME", "REGEX", "URL"),
                   help="requests whose path matches REGEX go to the Prism at URL (first match)")
    p.add_argument("--sandbox", required=True)
    p.add_argument("--log", required=True)
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    srv.daemon_threads = True
    srv.routes = [(name, re.compile(rx), url) for name, rx, url in a.route]
    srv.sandbox = a.sandbox
    srv.lock = threading.Lock()
    srv.log = open(a.log, "a", encoding="utf-8")
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
