"""Turns the DevTools events of one page load into its entry of the report.

Standard library only (Python 3.11).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable
from urllib.parse import urlsplit

NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}
URL_LIMIT = 300


def short(url: str, limit: int = URL_LIMIT) -> str:
    """Keeps data: URLs and other monsters readable in the report."""
    return url if len(url) <= limit else url[:limit] + "…"


def host_port(url: str) -> tuple[str, str]:
    """The URL's host, and host:port with the scheme's default port filled in."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}.get(parts.scheme)
    return host, f"{host}:{port or default or ''}"


class PageRecord:
    """Everything observed while one page loads, fed by the events of all its sessions.

    Requests keep their DevTools requestId internally so that the browser's own favicon fetches
    can be told apart at the end (see `entry`). Events arrive on the browser's reader thread, the
    report is taken on the page's thread: `lock` keeps the two apart.
    """

    def __init__(self, url: str, allow_hosts: set[str], expected: list[re.Pattern[str]]) -> None:
        self.url = url
        self.lock = threading.Lock()
        self.expected = expected
        self.requests: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.browser_initiated: set[str] = set()
        self.failed: list[dict[str, Any]] = []
        self.canceled: list[dict[str, Any]] = []
        self.console: list[dict[str, Any]] = []
        self.inflight: set[str] = set()
        self.succeeded: set[str] = set()  # URLs that finished loading with a usable response
        self.last_activity = time.monotonic()
        self.loaded = False
        self.main_session = ""
        self.sessions: list[str] = []  # every session whose events land here
        self.allowed = set(allow_hosts)
        if urlsplit(url).scheme in ("http", "https"):
            self.allowed.add(host_port(url)[1])  # a served page may load from its own origin

    def is_external(self, url: str) -> bool:
        if urlsplit(url).scheme not in NETWORK_SCHEMES:
            return False
        host, with_port = host_port(url)
        return host not in self.allowed and with_port not in self.allowed

    def fail(self, url: str, kind: str, error: str, rid: str = "") -> None:
        self.failed.append({"url": url, "type": kind, "error": error, "_rid": rid})

    def on_event(self, session: str, msg: dict[str, Any],
                 send: Callable[[str, dict[str, Any] | None, str], Any],
                 attach: Callable[[str], None]) -> None:
        """Records one event; `send` fires a command, `attach` adopts a child session."""
        with self.lock:
            self._on_event(session, msg, send, attach)

    def _on_event(self, session: str, msg: dict[str, Any],
                  send: Callable[[str, dict[str, Any] | None, str], Any],
                  attach: Callable[[str], None]) -> None:
        method = msg.get("method", "")
        p = msg.get("params", {})
        if method.startswith("Network."):
            self.last_activity = time.monotonic()
        if method == "Network.requestWillBeSent":
            rid = p.get("requestId", "")
            if "redirectResponse" in p and rid in self.by_id:
                self.by_id[rid]["status"] = p["redirectResponse"].get("status")
            entry = {"url": p.get("request", {}).get("url", ""), "type": p.get("type", "Other"),
                     "status": None, "_rid": rid}
            if p.get("type") == "Other" and p.get("initiator", {}).get("type") == "other":
                self.browser_initiated.add(rid)
            self.requests.append(entry)
            self.by_id[rid] = entry
            self.inflight.add(rid)
        elif method == "Network.responseReceived":
            rid = p.get("requestId", "")
            resp = p.get("response", {})
            status = resp.get("status")
            url = resp.get("url", "")
            if rid in self.by_id:
                self.by_id[rid]["status"] = status
            if (urlsplit(url).scheme in ("http", "https") and isinstance(status, int)
                    and status >= 400):
                self.fail(url, p.get("type", "Other"), f"HTTP {status}", rid)
        elif method == "Network.loadingFinished":
            rid = p.get("requestId", "")
            self.inflight.discard(rid)
            entry = self.by_id.get(rid)
            # Only a real response counts (a failed navigation "finishes" with an error page).
            if entry and entry["status"] is not None and entry["status"] < 400:
                self.succeeded.add(entry["url"])
        elif method == "Network.loadingFailed":
            self.on_loading_failed(p)
        elif method == "Page.loadEventFired" and session == self.main_session:
            self.loaded = True
        elif method == "Page.javascriptDialogOpening":
            # An alert() would block the page forever; dismiss it and note it.
            send("Page.handleJavaScriptDialog", {"accept": True}, session)
            self.console.append({"source": "dialog", "text": short(p.get("message", ""))})
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = p.get("args", [])
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            self.console.append({"source": "console", "text": short(text)})
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            self.console.append({"source": "exception", "text": short(text)})
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            item = {"source": e.get("source", "log"), "text": short(e.get("text", ""))}
            if e.get("url"):
                item["url"] = short(e["url"])
            self.console.append(item)
        elif method == "Target.attachedToTarget":
            child = p.get("sessionId", "")
            self.sessions.append(child)
            attach(child)

    def on_loading_failed(self, p: dict[str, Any]) -> None:
        rid = p.get("requestId", "")
        self.inflight.discard(rid)
        url = self.by_id.get(rid, {}).get("url", "")
        kind = p.get("type", "Other")
        error = p.get("errorText", "")
        if p.get("blockedReason"):
            error += f" (blocked: {p['blockedReason']})"
        if p.get("corsErrorStatus"):
            error += f" (CORS: {p['corsErrorStatus'].get('corsError', '')})"
        if p.get("canceled"):
            # Aborted by the page or by a navigation, e.g. a media element that stops buffering.
            self.canceled.append({"url": url, "type": kind, "error": error, "_rid": rid})
        else:
            self.fail(url, kind, error, rid)

    def add_font_errors(self, fonts: list[str]) -> None:
        """A font that fails to decode is no network failure; `document.fonts` still says so.

        Only used when no font request failed, so that one broken font is not reported twice.
        """
        if any(f["type"] == "Font" for f in self.failed):
            return
        for font in fonts:
            family, _, status = font.rpartition(":")
            if status == "error":
                self.fail(f"font:{family}", "Font", "document.fonts status error")

    def entry(self, icon_urls: set[str], extra: dict[str, Any], fail_on_console: bool,
              ) -> dict[str, Any]:
        """The page's report entry.

        The browser fetches favicons by itself, after the load event and at a time of its own, so
        those requests come and go from run to run. They are left out; the page's declared icons
        are loaded by a probe instead (see check_pages.ICON_PROBE_JS), which is deterministic.
        """
        with self.lock:
            return self._entry(icon_urls, extra, fail_on_console)

    def _entry(self, icon_urls: set[str], extra: dict[str, Any], fail_on_console: bool,
               ) -> dict[str, Any]:
        ignored = {rid for rid in self.browser_initiated
                   if (rid in self.by_id and (self.by_id[rid]["url"] in icon_urls
                       or urlsplit(self.by_id[rid]["url"]).path == "/favicon.ico"))}

        def public(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: (short(v) if k == "url" else v) for k, v in item.items()
                     if not k.startswith("_")} for item in items if item["_rid"] not in ignored]

        def key(e: dict[str, Any]) -> tuple[str, str, str]:
            return (e["url"], e["type"], e.get("error", ""))

        # Sorted: the order in which parallel loads start varies from run to run.
        requests = sorted(public(self.requests), key=lambda r: (r["url"], r["type"],
                                                                str(r["status"])))
        external = sorted(({"url": r["url"], "type": r["type"]} for r in requests
                           if self.is_external(r["url"])), key=key)
        # A failed request is harmless when the same URL also loaded on the page: from file:// a
        # <link rel=preload as=font crossorigin> fails CORS, yet the @font-face load of it works.
        failed = sorted(({"url": short(f["url"]), "type": f["type"], "error": f["error"],
                          "expected": any(r.search(f["url"]) for r in self.expected),
                          "recovered": f["type"] != "Document" and f["url"] in self.succeeded}
                         for f in self.failed if f["_rid"] not in ignored), key=key)
        pending = sorted(short(self.by_id[r]["url"]) for r in self.inflight
                         if r in self.by_id and r not in ignored)
        ok = (extra.get("error") is None and not external and not pending
              and all(f["expected"] or f["recovered"] for f in failed)
              and not (fail_on_console and self.console))
        return {
            "url": self.url,
            "final_url": extra.get("final_url", self.url),
            "ok": ok,
            "error": extra.get("error"),
            "requests": requests,
            "failed": failed,
            "external": external,
            "canceled": sorted(public(self.canceled), key=key),
            "pending": pending,
            "console_errors": self.console,
            "fonts": extra.get("fonts", []),
            "screenshot": extra.get("screenshot"),
        }
