#!/usr/bin/python3
"""A hostile HTTP server on 127.0.0.1 for the transport tests (tests/e2e/t3020-*.sh).

hostile_server.py MODE PORT_FILE [options]: listens on a free port (written to PORT_FILE) and
answers every request according to MODE:
  trickle    200 with a Content-Length, then the body at one byte a second
  endless    200 with a chunked JSON body that never ends, as fast as it can
  headers    200 whose header lines never end
  redirect   302 to --location URL (with --tls CERT KEY: an https server)
Each connection counts; GET /_count is not special (every request is hostile).
"""
import argparse
import socket
import socketserver
import ssl
import sys
import threading
import time


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(30)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            mode = self.server.mode
            if mode == "trickle":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100000\r\n\r\n")
                while True:
                    sock.sendall(b" ")
                    time.sleep(1)
            elif mode == "endless":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                piece = b"[" * 65536
                frame = b"%x\r\n" % len(piece) + piece + b"\r\n"
                while True:
                    sock.sendall(frame)
            elif mode == "headers":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                n = 0
                while True:
                    sock.sendall(b"X-Junk-%d: %s\r\n" % (n, b"x" * 100))
                    n += 1
            elif mode == "redirect":
                loc = self.server.location.encode()
                sock.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + loc +
                             b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except (OSError, ssl.SSLError):
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["trickle", "endless", "headers", "redirect"])
    ap.add_argument("port_file")
    ap.add_argument("--location", default="")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.mode = a.mode
    srv.location = a.location
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
