#!/usr/bin/env python3
"""Loads pages in headless Chromium and reports failed loads, network escapes and console errors.

Usage and output: see README.md beside this file. Exit status: 0 every page loaded cleanly,
1 some page had a failed load or an external request, 2 Chromium could not run (or bad usage).
Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.dont_write_bytecode = True  # run from the source tree by tests: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp_pipe import Browser, BrowserError, CdpError, CdpTimeout, find_chromium  # noqa: E402
from page_record import PageRecord, host_port  # noqa: E402

DEFAULT_TIMEOUT_S = 15.0
DEFAULT_IDLE_MS = 500
DEFAULT_WIDTH = 1280
DEFAULT_JOBS = 4
VIEWPORT_HEIGHT = 800
# Chromium cannot paint a texture much taller than this; taller pages are cut off in the PNG.
MAX_SHOT_HEIGHT = 16384
# A loaded 2-core CI machine has been seen to take more than 30 s before Chromium answered its
# first command; a start that does not answer at all is retried with a fresh process and profile.
STARTUP_TIMEOUT_S = 60.0
STARTUP_ATTEMPTS = 3
# Bounded inside the page as well, so that a stuck promise cannot eat the page's whole budget.
FONT_STATUS_JS = """
Promise.race([
  document.fonts.ready.then(() => [...document.fonts].map(f => f.family + ':' + f.status)),
  new Promise(r => setTimeout(() => r(['document.fonts:timeout']), 3000)),
])
"""
# Loads each declared icon the way any image loads, so that it is checked on every run (the
# browser's own favicon fetch happens at a time of its choosing and is left out of the report).
ICON_PROBE_JS = """
Promise.all([...document.querySelectorAll('link[rel~="icon" i]')].filter(l => l.href).map(l =>
  new Promise(done => {
    const img = new Image();
    img.onload = img.onerror = () => done(l.href);
    setTimeout(() => done(l.href), 3000);
    img.src = l.href;
  })))
"""


class Options:
    """Resolved settings for one run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.allow_hosts = {h.lower() for h in args.allow_host}
        self.expected: list[re.Pattern[str]] = args.expect_failures
        self.screenshot_dir = Path(args.screenshot) if args.screenshot else None
        self.timeout = args.timeout
        self.idle = args.idle_ms / 1000
        self.width = args.width
        self.fail_on_console = args.fail_on_console_errors
        self.verbose = args.verbose
        self.jobs = max(1, args.jobs)


def prepare_session(browser: Browser, session: str, wait: bool) -> None:
    """Enables the domains we listen to; for child sessions without waiting for replies."""
    commands: list[tuple[str, dict[str, Any] | None]] = [
        ("Network.enable", None),
        # Without this a repeated asset could come from the memory cache and go unseen.
        ("Network.setCacheDisabled", {"cacheDisabled": True}),
        ("Page.enable", None),
        ("Runtime.enable", None),
        ("Log.enable", None),
        # Out-of-process iframes and workers get sessions of their own; hold them until their
        # network is watched too.
        ("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                  "flatten": True}),
    ]
    for method, params in commands:
        if wait:
            try:
                browser.call(method, params, session)
            except CdpError:
                pass  # e.g. a worker has no Page domain
        else:
            browser.send(method, params, session)
    if not wait:
        browser.send("Runtime.runIfWaitingForDebugger", None, session)


def listen(browser: Browser, rec: PageRecord, session: str) -> None:
    """Routes the events of `session` (the page or one of its children) into `rec`."""
    def attach(child: str) -> None:
        listen(browser, rec, child)
        prepare_session(browser, child, wait=False)

    browser.listeners[session] = lambda msg: rec.on_event(session, msg, browser.send, attach)


def settle(browser: Browser, rec: PageRecord, deadline: float, idle: float) -> bool:
    """Waits until no request is in flight and nothing happened for `idle` seconds."""
    def quiet() -> bool:
        return not rec.inflight and time.monotonic() - rec.last_activity >= idle
    return browser.wait_until(quiet, deadline, step=min(idle / 2, 0.1))


def evaluate(browser: Browser, session: str, expr: str, timeout: float) -> Any:
    res = browser.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                            "returnByValue": True}, session, timeout=timeout)
    return res.get("result", {}).get("value")


NAVIGATED = "navigated or closed"


def evaluate_settled(browser: Browser, rec: PageRecord, session: str, expr: str,
                     deadline: float, opts: "Options") -> Any:
    """`evaluate`, following a page that navigates itself away (a meta refresh, as redirect
    stubs do): the next document is waited for, and the expression asked of it."""
    for _ in range(3):
        try:
            return evaluate(browser, session, expr, opts.timeout)
        except CdpError as err:
            if NAVIGATED not in str(err):
                raise
            settle(browser, rec, deadline, opts.idle)
    return evaluate(browser, session, expr, opts.timeout)


def grow_viewport(browser: Browser, rec: PageRecord, session: str, metrics: dict[str, Any],
                  deadline: float, opts: Options) -> None:
    """Shows the whole page at once so that loading="lazy" images load too, then waits for quiet.

    The page is measured again after each quiet period because late content can make it taller.
    The viewport goes back to its normal height afterwards so that the screenshot does not show
    100vh boxes stretched to the page height.
    """
    current = metrics["height"]
    settled = False
    for _ in range(3):
        height = evaluate_settled(browser, rec, session, "document.documentElement.scrollHeight", deadline, opts)
        height = min(int(height or 0), MAX_SHOT_HEIGHT)
        if height > current:
            browser.call("Emulation.setDeviceMetricsOverride", {**metrics, "height": height},
                         session)
            current = height
            rec.last_activity = time.monotonic()
        elif settled:
            break
        settle(browser, rec, deadline, opts.idle)
        settled = True
    if current != metrics["height"]:
        browser.call("Emulation.setDeviceMetricsOverride", metrics, session)


def screenshot_name(index: int, url: str) -> str:
    parts = urlsplit(url)
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", parts.netloc + parts.path).strip("-.")
    return f"{index:03d}-{tail[-80:] or 'page'}.png"


def take_screenshot(browser: Browser, session: str, path: Path, width: int,
                    timeout: float) -> str:
    size = browser.call("Page.getLayoutMetrics", None, session).get("cssContentSize", {})
    height = min(max(int(size.get("height", VIEWPORT_HEIGHT)), 1), MAX_SHOT_HEIGHT)
    shot = browser.call("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    }, session, timeout=timeout + 15)
    path.write_bytes(base64.b64decode(shot["data"]))
    return str(path)


def inspect(browser: Browser, rec: PageRecord, session: str, index: int, opts: Options,
            extra: dict[str, Any]) -> set[str]:
    """Loads the page and fills `extra`; returns the URLs of its declared icons."""
    deadline = time.monotonic() + opts.timeout
    metrics = {"width": opts.width, "height": VIEWPORT_HEIGHT, "deviceScaleFactor": 1,
               "mobile": False}
    browser.call("Emulation.setDeviceMetricsOverride", metrics, session)
    nav = browser.call("Page.navigate", {"url": rec.url}, session, timeout=opts.timeout)
    if nav.get("errorText"):
        extra["error"] = f"navigation failed: {nav['errorText']}"
        with rec.lock:
            if not any(f["url"] == rec.url for f in rec.failed):
                rec.fail(rec.url, "Document", nav["errorText"])
    if not browser.wait_until(lambda: rec.loaded, deadline):
        extra.setdefault("error", f"load event not fired within {opts.timeout:g} s")
        return set()
    grow_viewport(browser, rec, session, metrics, deadline, opts)
    icons = set(evaluate_settled(browser, rec, session, ICON_PROBE_JS, deadline, opts) or [])
    if icons:
        settle(browser, rec, deadline, min(opts.idle, 0.2))
    extra["fonts"] = sorted(evaluate_settled(browser, rec, session, FONT_STATUS_JS, deadline, opts) or [])
    with rec.lock:
        rec.add_font_errors(extra["fonts"])
    settle(browser, rec, deadline, opts.idle)
    extra["final_url"] = evaluate_settled(browser, rec, session, "location.href", deadline, opts) or rec.url
    if opts.screenshot_dir is not None:
        path = opts.screenshot_dir / screenshot_name(index, rec.url)
        extra["screenshot"] = take_screenshot(browser, session, path, opts.width, opts.timeout)
    return icons


def check_page(browser: Browser, index: int, url: str, opts: Options) -> dict[str, Any]:
    """Opens `url` in a fresh browser context (no shared cache or storage) and reports on it."""
    rec = PageRecord(url, opts.allow_hosts, opts.expected)
    extra: dict[str, Any] = {}
    icons: set[str] = set()
    ctx = browser.call("Target.createBrowserContext", {"disposeOnDetach": True})[
        "browserContextId"]
    target_id = browser.call("Target.createTarget", {"url": "about:blank",
                                                     "browserContextId": ctx})["targetId"]
    try:
        session = browser.call("Target.attachToTarget", {"targetId": target_id, "flatten": True})[
            "sessionId"]
        rec.main_session = session
        rec.sessions.append(session)
        listen(browser, rec, session)
        prepare_session(browser, session, wait=True)
        icons = inspect(browser, rec, session, index, opts, extra)
    except CdpTimeout as err:
        extra.setdefault("error", f"browser did not answer: {err}")
    except CdpError as err:
        extra.setdefault("error", str(err))
    finally:
        for s in rec.sessions:
            browser.listeners.pop(s, None)
        try:
            browser.call("Target.closeTarget", {"targetId": target_id})
            browser.call("Target.disposeBrowserContext", {"browserContextId": ctx})
        except (CdpTimeout, CdpError):
            pass
    return rec.entry(icons, extra, opts.fail_on_console)


def page_url(arg: str) -> str:
    """Accepts URLs, and paths to files or folders (a folder means its index.html)."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", arg):
        return arg
    path = Path(arg)
    if path.is_dir():
        path = path / "index.html"
    return path.resolve().as_uri()


def read_pages(args: argparse.Namespace) -> list[str]:
    pages = list(args.urls)
    for name in args.pages_file:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        pages += [line.strip() for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")]
    return [page_url(p) for p in pages]


def resolver_rule(allowed: set[str]) -> str:
    """Makes every host name unresolvable except the allowed ones, so nothing reaches the net."""
    excludes = "".join(f", EXCLUDE {h}" for h in sorted(allowed))
    return f"--host-resolver-rules=MAP * ~NOTFOUND{excludes}"


def url_regex(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as err:
        raise argparse.ArgumentTypeError(f"not a regular expression: {err}") from err


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("urls", nargs="*",
                    help="page URLs (file://, http://127.0.0.1:PORT/...) or paths")
    ap.add_argument("--pages-file", action="append", default=[], metavar="FILE",
                    help="read more page URLs from FILE, one per line ('-' for stdin)")
    ap.add_argument("--allow-host", action="append", default=[], metavar="HOST[:PORT]",
                    help="requests to this host are not external (a served page's own origin "
                         "always is allowed)")
    ap.add_argument("--expect-failures", action="append", default=[], metavar="REGEX",
                    type=url_regex,
                    help="failed loads whose URL matches are reported but accepted")
    ap.add_argument("--screenshot", metavar="DIR", help="save a full-page PNG per page here")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                    help=f"per-page load budget [default: {DEFAULT_TIMEOUT_S:g}]")
    ap.add_argument("--idle-ms", type=int, default=DEFAULT_IDLE_MS,
                    help=f"network quiet period that ends a page [default: {DEFAULT_IDLE_MS}]")
    ap.add_argument("--width", type=int, default=DEFAULT_WIDTH,
                    help=f"viewport width in CSS pixels [default: {DEFAULT_WIDTH}]")
    ap.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                    help=f"pages loaded at the same time [default: {DEFAULT_JOBS}]")
    ap.add_argument("--chromium", metavar="PATH", default=os.environ.get("ARKIV_CHROMIUM"),
                    help="browser executable [default: $ARKIV_CHROMIUM, else /usr/bin/chromium]")
    ap.add_argument("--fail-on-console-errors", action="store_true",
                    help="a console error or uncaught exception also fails the page")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="one progress line per page on stderr")
    args = ap.parse_args(argv)
    if not args.urls and not args.pages_file:
        ap.error("no pages given (hint: pass URLs or --pages-file FILE)")
    return args


def launch(executable: str, flags: list[str]) -> Browser:
    """Starts Chromium, trying again with a new process when one does not answer in time."""
    failures: list[str] = []
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        try:
            return Browser(executable, flags, STARTUP_TIMEOUT_S)
        except BrowserError as err:
            failures.append(f"attempt {attempt}: {err}")
            print(f"warning: Chromium start {attempt}/{STARTUP_ATTEMPTS} failed: "
                  f"{str(err).splitlines()[0]}", file=sys.stderr)
    raise BrowserError("\n".join(failures))


class Interrupted(Exception):
    """SIGTERM or Ctrl-C: stop, kill Chromium, still print what was found."""


def check_all(browser: Browser, pages: list[str], opts: Options) -> list[dict[str, Any]]:
    started = time.monotonic()

    def one(i: int, url: str) -> dict[str, Any]:
        entry = check_page(browser, i, url, opts)
        if opts.verbose:
            print(f"[{i}/{len(pages)}] {'ok  ' if entry['ok'] else 'FAIL'} "
                  f"{time.monotonic() - started:6.2f}s {url}", file=sys.stderr)
        return entry

    # Pages are independent (one browser context each), so a few load at once: most of a page's
    # time is spent waiting for the network to be quiet, not computing.
    pool = ThreadPoolExecutor(max_workers=opts.jobs, thread_name_prefix="page")
    try:
        futures = [pool.submit(one, i, url) for i, url in enumerate(pages, 1)]
        return [f.result() for f in futures]
    finally:
        # On an error the caller closes the browser, which ends the pages still running.
        pool.shutdown(wait=False, cancel_futures=True)


def run(args: argparse.Namespace) -> int:
    opts = Options(args)
    report: dict[str, Any] = {"pages": [], "ok": False}
    browser = None
    code = 2
    try:
        pages = read_pages(args)
        if opts.screenshot_dir is not None:
            opts.screenshot_dir.mkdir(parents=True, exist_ok=True)
        allowed = set(opts.allow_hosts) | {"127.0.0.1", "localhost", "[::1]"}
        allowed |= {host_port(p)[0] for p in pages if urlsplit(p).scheme in ("http", "https")}
        allowed = {h.rsplit(":", 1)[0] if h.count(":") == 1 else h for h in allowed}
        browser = launch(find_chromium(args.chromium), [resolver_rule(allowed)])
        report["chromium"] = browser.version.get("product", "")
        report["pages"] = check_all(browser, pages, opts)
        report["ok"] = all(p["ok"] for p in report["pages"])
        code = 0 if report["ok"] else 1
    except (BrowserError, CdpTimeout, CdpError) as err:
        report["error"] = str(err)
        print(f"error: Chromium could not run: {err}", file=sys.stderr)
    except OSError as err:
        report["error"] = str(err)
        print(f"error: {err}", file=sys.stderr)
    except (Interrupted, KeyboardInterrupt):
        report["error"] = "interrupted"
        print("error: interrupted", file=sys.stderr)
    finally:
        if browser is not None:
            browser.close()
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return code


def main() -> int:
    # A test harness stops us with SIGTERM on its timeout: unwind so that Chromium dies too.
    def on_term(*_: object) -> None:
        raise Interrupted()

    signal.signal(signal.SIGTERM, on_term)
    return run(parse_args(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
