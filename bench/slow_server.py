#!/usr/bin/env python3
"""Serve a generated site on 127.0.0.1 with a fixed delay before every response (stdlib only).

The latency scenario of the benchmark: on loopback nginx answers in microseconds, so a crawler's
concurrency hardly matters there; a real server an ocean away answers in tens of milliseconds,
where fetching in parallel is what saves time. HTTP/1.1 with keep-alive, a thread per
connection, the site's redirects from redirects.json, 404 with the site's 404.html. Each request
is appended to --log as one line, so the bench can count what each crawler asked for.

Usage: slow_server.py --site DIR --port N --delay-ms MS --log FILE
"""

import argparse
import http.server
import json
import os
import threading
import time


def make_handler(site, delay, log, lock, redirects):
    root = os.path.join(site, "root")

    class Handler(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle's algorithm on, the body then
        # waits for the client's delayed ACK (40 ms on Linux), which would swamp the delay we set.
        disable_nagle_algorithm = True
        extensions_map = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".woff2": "font/woff2",
            ".woff": "font/woff",
            ".webp": "image/webp",
            ".svg": "image/svg+xml",
            ".js": "text/javascript",
            ".xml": "application/xml",
        }

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root, **kwargs)

        def log_message(self, fmt, *args):
            # One line per request to --log (not stderr): the bench counts them.
            with lock:
                log.write(f"{self.command} {self.path} {self.headers.get('User-Agent', '-')}\n")
                log.flush()

        def send_head(self):
            time.sleep(delay)
            path = self.path.split("?", 1)[0]
            if path in redirects:
                status, target = redirects[path]
                self.send_response(status)
                self.send_header("Location", f"http://{self.headers.get('Host', '')}{target}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return super().send_head()

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            try:
                with open(os.path.join(root, "404.html"), "rb") as fh:
                    body = fh.read()
            except OSError:
                return super().send_error(code, message, explain)
            self.log_request(code)
            self.send_response_only(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return None

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.site, "redirects.json")) as fh:
        redirects = {src: (status, dst) for src, status, dst in json.load(fh)}
    log = open(args.log, "a", buffering=1)
    handler = make_handler(args.site, args.delay_ms / 1000.0, log, threading.Lock(), redirects)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
