#!/usr/bin/python3
"""A calendar feed on 127.0.0.1 for the sync tests (tests/e2e/t5*.sh).

feed_server.py FILE PORT_FILE: serves FILE (read at every request, so tests can edit it) at any
path, with an ETag (the SHA-1 of its bytes) and Last-Modified; answers 304 to a matching
If-None-Match. /missing... answers 404, /private... 401. A broken server: /always304... answers
304 to every request, also one without validators (with no ETag; /always304-etag... with one).
/no-etag... sends no ETag, only Last-Modified, and answers 304 to a matching If-Modified-Since.
GET /_count gives the counts as JSON:
{"requests": n, "full": n, "not_modified": n, "conditional": n}.
The request log (path, If-None-Match, If-Modified-Since; one JSON line each) is in PORT_FILE.log.
"""
import email.utils
import hashlib
import http.server
import json
import os
import sys
import threading

FILE, PORT_FILE = sys.argv[1], sys.argv[2]
counts = {"requests": 0, "full": 0, "not_modified": 0, "conditional": 0}
lock = threading.Lock()


class Feed(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_count":
            with lock:
                body = json.dumps(counts).encode()
            return self.reply(200, body, [("Content-Type", "application/json")])
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        with lock:
            counts["requests"] += 1
            with open(PORT_FILE + ".log", "a") as log:
                log.write(json.dumps({"path": self.path, "if_none_match": inm,
                                      "if_modified_since": ims}) + "\n")
        if self.path.startswith("/always304"):
            with lock:
                counts["not_modified"] += 1
            etag = [("ETag", '"stale"')] if self.path.startswith("/always304-etag") else []
            return self.reply(304, b"", etag)
        if self.path.startswith("/missing"):
            return self.reply(404, b"not found")
        if self.path.startswith("/private"):
            return self.reply(401, b"unauthorized")
        with open(FILE, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha1(data).hexdigest()
        mtime = email.utils.formatdate(os.stat(FILE).st_mtime, usegmt=True)
        if inm or ims:
            with lock:
                counts["conditional"] += 1
        no_etag = self.path.startswith("/no-etag")
        if (inm and inm == etag and not no_etag) or (no_etag and not inm and ims == mtime):
            with lock:
                counts["not_modified"] += 1
            return self.reply(304, b"", [] if no_etag else [("ETag", etag)])
        with lock:
            counts["full"] += 1
        self.reply(200, data, [("Content-Type", "text/calendar; charset=utf-8"), ("Last-Modified", mtime)] +
                   ([] if no_etag else [("ETag", etag)]))


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    pass
