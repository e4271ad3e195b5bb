#!/usr/bin/env python3
"""Opens a ReplayWeb.page host page in headless Chromium and reports what the replay shows.

Waits until a frame whose URL contains --frame-path (ReplayWeb.page shows the archived page in a
frame below `<replaybase>w/`) has a body whose text contains --expect-text, then reads that
frame's title, images and style sheets, takes a screenshot of the whole window, and lists every
URL the browser requested (from Chromium's own NetLog, which sees the page, its frames, its
service worker and the browser itself alike). Every host name but 127.0.0.1 is made unresolvable.

Requests are seen twice: over the DevTools Protocol in every target the browser attaches to (the
page, its frames, workers and ReplayWeb.page's service worker: `requests`, `external`), and in
Chromium's NetLog, which also holds the browser's own background requests (`browser_requests`,
informative: every host name but 127.0.0.1 is unresolvable, so they cannot connect), every TCP
connection it attempted (`tcp`) and every UDP socket that sent data (`udp_sent`); any of those
not to loopback is in `connected_outside`.

Prints one JSON document. `ok` is true when the text was found, every image of the frame that is
not lazy-loaded loaded, no request of the page went to a host other than 127.0.0.1 and no socket
connected anywhere else. Exit status: 0 ok, 1 not ok, 2 Chromium could not run. Standard library
only (Python 3.11).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.dont_write_bytecode = True  # run from the source tree by tests: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp_pipe import Browser, BrowserError, CdpError, CdpTimeout, find_chromium  # noqa: E402
from check_pages import launch  # noqa: E402  (retries a start that does not answer)

ALLOWED_HOST = "127.0.0.1"

FRAME_STATE_JS = """
(() => ({
  title: document.title,
  text: document.body ? document.body.innerText : "",
  images: [...document.images].map(i => ({src: i.currentSrc || i.src,
                                          lazy: i.loading === "lazy",
                                          loaded: i.complete && i.naturalWidth > 0})),
  styleSheets: [...document.styleSheets].map(s => s.href || "inline"),
  ready: document.readyState,
}))()
"""


def frames(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Every frame of a Page.getFrameTree answer, depth first."""
    found = [tree["frame"]]
    for child in tree.get("childFrames", []):
        found += frames(child)
    return found


def frame_state(browser: Browser, session: str, frame_id: str) -> dict[str, Any] | None:
    """Evaluates FRAME_STATE_JS in an isolated world of the frame (the page's own scripts
    cannot interfere with it)."""
    try:
        world = browser.call("Page.createIsolatedWorld", {"frameId": frame_id,
                                                          "worldName": "arkiv-check"}, session)
        res = browser.call("Runtime.evaluate", {"expression": FRAME_STATE_JS,
                                                "contextId": world["executionContextId"],
                                                "returnByValue": True}, session)
    except (CdpError, CdpTimeout):
        return None  # the frame navigated away meanwhile: ask again
    return res.get("result", {}).get("value")


def netlog(path: Path) -> tuple[list[str], list[str], list[str]]:
    """From a NetLog file: every http(s)/ws(s) URL the browser asked for, the address of every
    TCP connection it attempted, and the address of every UDP socket that sent data. (A UDP
    socket that only connects sends nothing: Chromium "connects" one to a public address to learn
    whether IPv6 is routable.) A log cut short by a crash is read as far as it goes."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return [], [], []
    urls = sorted(set(re.findall(r'"url":"((?:https?|wss?)://[^"]*)"', text)))
    try:
        log = json.loads(text)
    except ValueError:
        try:
            log = json.loads(text.rstrip().rstrip(",") + "]}")
        except ValueError:
            return urls, ["<the NetLog does not parse>"], []
    names = {v: k for k, v in log.get("constants", {}).get("logEventTypes", {}).items()}
    tcp: set[str] = set()
    udp_peer: dict[int, str] = {}
    udp_sent: set[str] = set()
    for event in log.get("events", []):
        name = names.get(event.get("type"), "")
        params = event.get("params", {})
        source = event.get("source", {}).get("id", -1)
        if name in ("TCP_CONNECT_ATTEMPT", "TCP_CONNECT"):
            address = params.get("address") or params.get("remote_address")
            if address:
                tcp.add(address)
        elif name == "UDP_CONNECT" and params.get("address"):
            udp_peer[source] = params["address"]
        elif name == "UDP_BYTES_SENT":
            udp_sent.add(params.get("address") or udp_peer.get(source, "<unknown>"))
    return urls, sorted(tcp), sorted(udp_sent)


def loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
    return host in ("127.0.0.1", "::1")


class Requests:
    """The URLs that the page, its frames, its workers and its service worker request, seen over
    the DevTools Protocol in every target the browser attaches to."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.urls: set[str] = set()
        browser.listeners[""] = self.on_event

    def watch(self, session: str) -> None:
        self.browser.listeners[session] = self.on_event
        for method, params in (("Network.enable", None),
                               ("Target.setAutoAttach", {"autoAttach": True,
                                                         "waitForDebuggerOnStart": True,
                                                         "flatten": True})):
            self.browser.send(method, params, session)
        self.browser.send("Runtime.runIfWaitingForDebugger", None, session)

    def on_event(self, msg: dict[str, Any]) -> None:
        method = msg.get("method", "")
        params = msg.get("params", {})
        if method == "Network.requestWillBeSent":
            self.urls.add(params.get("request", {}).get("url", ""))
        elif method == "Target.attachedToTarget":
            self.watch(params.get("sessionId", ""))


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss", "ftp"):
        return False  # chrome://, data:, blob: never leave the machine
    return (parts.hostname or "") != ALLOWED_HOST


def run(args: argparse.Namespace) -> int:
    report: dict[str, Any] = {"ok": False, "error": None, "frame_url": None, "title": None,
                              "text": "", "images": [], "style_sheets": [], "requests": [],
                              "external": [], "screenshot": None}
    tmp = Path(tempfile.mkdtemp(prefix="arkiv-replay-check-"))
    netlog_path = tmp / "netlog.json"
    flags = [
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {ALLOWED_HOST}",
        f"--log-net-log={netlog_path}",
        "--net-log-capture-mode=Default",
        "--window-size=1280,900",
    ]
    browser = None
    code = 2
    try:
        browser = launch(find_chromium(args.chromium), flags)
        requests = Requests(browser)
        # At the browser's level, so that the service worker's session is seen too.
        browser.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                              "flatten": True})
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target,
                                                         "flatten": True})["sessionId"]
        browser.call("Network.enable", None, session)
        browser.listeners[session] = requests.on_event
        browser.call("Page.enable", None, session)
        browser.call("Runtime.enable", None, session)
        browser.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900,
                                                            "deviceScaleFactor": 1,
                                                            "mobile": False}, session)
        browser.call("Page.navigate", {"url": args.url}, session, timeout=args.timeout)
        deadline = time.monotonic() + args.timeout
        state = None
        while time.monotonic() < deadline:
            tree = browser.call("Page.getFrameTree", None, session)["frameTree"]
            for frame in frames(tree):
                if args.frame_path not in frame.get("url", ""):
                    continue
                seen = frame_state(browser, session, frame["id"])
                if not seen:
                    continue
                report["frame_url"] = frame["url"]
                state = seen
                done = args.expect_text in seen.get("text", "") and seen.get("ready") == "complete"
                if done and all(i["loaded"] for i in seen.get("images", []) if not i["lazy"]):
                    break
            else:
                time.sleep(0.5)
                continue
            break
        if state:
            report["title"] = state.get("title")
            report["text"] = state.get("text", "")[:4000]
            report["images"] = state.get("images", [])
            report["style_sheets"] = state.get("styleSheets", [])
        if args.screenshot:
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session, timeout=30)
            Path(args.screenshot).write_bytes(base64.b64decode(shot["data"]))
            report["screenshot"] = args.screenshot
        found = bool(state) and args.expect_text in report["text"]
        if not state:
            report["error"] = f"no frame below {args.frame_path} within {args.timeout:g} s"
        elif not found:
            report["error"] = f"the frame does not show {args.expect_text!r}"
        report["found"] = found
        code = 1
    except (BrowserError, CdpTimeout, CdpError, OSError) as err:
        report["error"] = f"Chromium could not run: {err}"
    finally:
        if browser is not None:
            browser.close()  # closing flushes the NetLog
    if browser is not None:
        report["requests"] = sorted(u for u in requests.urls
                                    if urlsplit(u).scheme in ("http", "https", "ws", "wss"))
    report["external"] = [u for u in report["requests"] if is_external(u)]
    report["browser_requests"], report["tcp"], report["udp_sent"] = netlog(netlog_path)
    report["connected_outside"] = [a for a in report["tcp"] + report["udp_sent"]
                                   if not loopback(a)]
    if args.netlog:
        Path(args.netlog).write_bytes(netlog_path.read_bytes() if netlog_path.exists() else b"")
    if code == 1:
        eager = [i for i in report["images"] if not i["lazy"]]
        images_ok = bool(eager) and all(i["loaded"] for i in eager)
        report["ok"] = (bool(report.get("found")) and images_ok and not report["external"]
                        and not report["connected_outside"] and bool(report["requests"]))
        if not report["ok"] and not report["error"]:
            report["error"] = "an image did not load, or a request left 127.0.0.1"
        code = 0 if report["ok"] else 1
    for leftover in tmp.iterdir():
        leftover.unlink()
    tmp.rmdir()
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url", help="the host page, http://127.0.0.1:PORT/replay/")
    ap.add_argument("--expect-text", required=True, help="text the replayed page must show")
    ap.add_argument("--frame-path", default="/replay/w/",
                    help="what the replay frame's URL contains [default: /replay/w/]")
    ap.add_argument("--screenshot", metavar="FILE", help="save a PNG of the window here")
    ap.add_argument("--netlog", metavar="FILE", help="keep Chromium's NetLog here")
    ap.add_argument("--timeout", type=float, default=90.0, metavar="SECONDS",
                    help="how long the replay may take to show the page [default: 90]")
    ap.add_argument("--chromium", metavar="PATH", default=os.environ.get("ARKIV_CHROMIUM"),
                    help="browser executable [default: $ARKIV_CHROMIUM, else /usr/bin/chromium]")
    return run(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
