"""Self-test of check_pages.py against small pages made on the fly (run: python3 -m unittest).

Needs /usr/bin/chromium (or $ARKIV_CHROMIUM); skipped without it. Servers bind 127.0.0.1:0;
nothing reaches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_pages.py"
CHROMIUM = os.environ.get("ARKIV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
RUN_TIMEOUT_S = 120  # a whole checker run; each page inside has its own smaller budget

# One tiny valid PNG (1x1), so that image loads succeed without any fixture file.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a0c6f1d60000000049454e44ae426082"
)

PAGES = {
    "clean.html": '<!doctype html><title>c</title><link rel=stylesheet href="s.css">'
                  '<img src="img/a.png"><p>clean</p>',
    "s.css": "body { background: url('img/a.png') }",
    "img/a.png": PNG,
    "rootrel.html": '<!doctype html><img src="/img/a.png"><img src="img/a.png">',
    "external.html": '<!doctype html><img src="http://example.invalid/x.png">',
    "missing404.html": '<!doctype html><img src="nope.png">',
    "lazy.html": '<!doctype html><div style="height:6000px"></div>'
                 '<img src="img/lazy.png" loading="lazy" width=10 height=10>',
    "img/lazy.png": PNG,
    "noisy.html": "<!doctype html><script>alert('hi'); console.error('boom-console');"
                  "null.x;</script><p>noisy</p>",
    "frame.html": '<!doctype html><iframe src="http://localhost:{port}/inner.html"></iframe>',
    "inner.html": '<!doctype html><img src="inner-missing.png">',
    "hang.html": '<!doctype html><script src="/hang"></script>',
}


class Handler(SimpleHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/hang":
            Handler.release.wait(timeout=30)  # never answers while the page is checked
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


def png_size(path: str) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


@unittest.skipUnless(os.path.exists(CHROMIUM), "Chromium is not installed")
class CheckPagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = Path(tempfile.mkdtemp(prefix="check-pages-test-"))
        cls.site = cls.tmp / "site"
        handler = lambda *a, **k: Handler(*a, directory=str(cls.site), **k)  # noqa: E731
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        cls.server.daemon_threads = True
        cls.port = cls.server.server_address[1]
        for name, body in PAGES.items():
            path = cls.site / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(body, str):
                body = body.replace("{port}", str(cls.port)).encode()
            path.write_bytes(body)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.http = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls) -> None:
        Handler.release.set()
        cls.server.shutdown()
        cls.server.server_close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, *args: str) -> tuple[int, dict]:
        proc = subprocess.run([sys.executable, str(CHECKER), "--chromium", CHROMIUM, *args],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            self.fail(f"not JSON on stdout: {proc.stdout!r}\nstderr: {proc.stderr}")
        return proc.returncode, report

    def file_url(self, name: str) -> str:
        return (self.site / name).as_uri()

    def test_many_pages_in_one_browser(self) -> None:
        shots = self.tmp / "shots"
        pages = self.tmp / "pages.txt"
        urls = [f"{self.http}/clean.html", self.file_url("clean.html"),
                self.file_url("rootrel.html"), self.file_url("external.html"),
                f"{self.http}/missing404.html", self.file_url("lazy.html"),
                self.file_url("noisy.html"), f"{self.http}/frame.html",
                self.file_url("does-not-exist.html")]
        pages.write_text("# a comment\n\n" + "\n".join(urls) + "\n")
        code, report = self.check("--pages-file", str(pages), "--screenshot", str(shots))
        self.assertEqual(code, 1)
        self.assertFalse(report["ok"])
        by_url = {p["url"]: p for p in report["pages"]}
        self.assertEqual(list(by_url), urls)

        for url in urls[:2]:
            clean = by_url[url]
            self.assertTrue(clean["ok"], clean)
            self.assertIn({"url": url, "type": "Document", "status": 200}, clean["requests"])
            self.assertIn("Image", {r["type"] for r in clean["requests"]})
            self.assertEqual(png_size(clean["screenshot"])[0], 1280)

        rootrel = by_url[self.file_url("rootrel.html")]
        self.assertFalse(rootrel["ok"])
        self.assertEqual([(f["url"], f["type"]) for f in rootrel["failed"]],
                         [("file:///img/a.png", "Image")])
        self.assertIn("ERR_FILE_NOT_FOUND", rootrel["failed"][0]["error"])

        external = by_url[self.file_url("external.html")]
        self.assertFalse(external["ok"])
        self.assertEqual(external["external"],
                         [{"url": "http://example.invalid/x.png", "type": "Image"}])

        missing = by_url[f"{self.http}/missing404.html"]
        self.assertEqual([(f["url"], f["error"]) for f in missing["failed"]],
                         [(f"{self.http}/nope.png", "HTTP 404")])

        lazy = by_url[self.file_url("lazy.html")]
        self.assertTrue(lazy["ok"], lazy)
        self.assertIn(self.file_url("img/lazy.png"), [r["url"] for r in lazy["requests"]])

        noisy = by_url[self.file_url("noisy.html")]
        self.assertTrue(noisy["ok"], "console errors alone do not fail a page by default")
        texts = " | ".join(c["text"] for c in noisy["console_errors"])
        for needle in ("boom-console", "TypeError", "hi"):
            self.assertIn(needle, texts)

        frame = by_url[f"{self.http}/frame.html"]
        self.assertIn(f"http://localhost:{self.port}/inner-missing.png",
                      [f["url"] for f in frame["failed"]], "requests of a cross-site iframe")
        self.assertIn(f"http://localhost:{self.port}/inner.html",
                      [e["url"] for e in frame["external"]])

        gone = by_url[self.file_url("does-not-exist.html")]
        self.assertFalse(gone["ok"])
        self.assertEqual(gone["error"], "navigation failed: net::ERR_FILE_NOT_FOUND")
        self.assertEqual([(f["type"], f["recovered"]) for f in gone["failed"]],
                         [("Document", False)])

    def test_expected_failures_and_allowed_hosts_pass(self) -> None:
        code, report = self.check(f"{self.http}/missing404.html", f"{self.http}/frame.html",
                                  "--expect-failures", r"/(nope|inner-missing)\.png$",
                                  "--allow-host", f"localhost:{self.port}")
        self.assertEqual(code, 0, report)
        self.assertTrue(all(f["expected"] for p in report["pages"] for f in p["failed"]))

    def test_font_preload_that_fails_cors_but_loads_via_font_face_is_recovered(self) -> None:
        fonts = HERE.parent.parent / "fixtures/sites/collective-impact/root/assets/fonts"
        font = fonts / "dejavu-sans-latin.woff2"
        if not font.exists():
            self.skipTest("fixture font missing")
        site = self.tmp / "fontsite"
        (site / "f").mkdir(parents=True)
        shutil.copy(font, site / "f/x.woff2")
        (site / "index.html").write_text(
            '<!doctype html><link rel=preload href="f/x.woff2" as=font type="font/woff2" '
            'crossorigin><style>@font-face{font-family:T;src:url("f/x.woff2")}'
            "body{font-family:T}</style><p>text</p>")
        code, report = self.check(str(site))
        self.assertEqual(code, 0, report)
        page = report["pages"][0]
        self.assertEqual(page["fonts"], ["T:loaded"])
        self.assertTrue(page["failed"] and all(f["recovered"] for f in page["failed"]), page)

    def test_a_page_that_never_loads_is_bounded_and_fails(self) -> None:
        code, report = self.check(f"{self.http}/hang.html", "--timeout", "3")
        self.assertEqual(code, 1)
        page = report["pages"][0]
        self.assertIn("load event not fired", page["error"])

    def test_missing_chromium_exits_2_with_a_report(self) -> None:
        proc = subprocess.run([sys.executable, str(CHECKER), "--chromium",
                               str(self.tmp / "no-such-browser"), self.file_url("clean.html")],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        self.assertEqual(proc.returncode, 2)
        report = json.loads(proc.stdout)
        self.assertFalse(report["ok"])
        self.assertIn("no Chromium", report["error"])


if __name__ == "__main__":
    unittest.main()
