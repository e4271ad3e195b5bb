"""Runs one headless Chromium and talks the DevTools Protocol to it over --remote-debugging-pipe.

The pipe transport needs no websocket library and no free TCP port: Chromium reads NUL-terminated
JSON commands on its file descriptor 3 and writes NUL-terminated JSON replies and events on fd 4.
Standard library only (Python 3.11).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable

# Flags that keep the browser quiet and hermetic. The host-resolver rule is added per run because
# it names the hosts the caller allows (see Browser.__init__).
BASE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--no-proxy-server",
    "--no-pings",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
DEFAULT_CANDIDATES = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"]


class BrowserError(Exception):
    """Chromium could not be started, stopped answering, or exited."""


class CdpTimeout(Exception):
    """A DevTools command got no answer in time (the browser is still alive)."""


class CdpError(Exception):
    """A DevTools command was answered with an error."""


def find_chromium(explicit: str | None) -> str:
    """The browser executable: the one named, else the first of DEFAULT_CANDIDATES found."""
    for name in [explicit] if explicit else DEFAULT_CANDIDATES:
        path = shutil.which(name) if name else None
        if path:
            return path
    raise BrowserError(f"no Chromium executable found (tried {explicit or DEFAULT_CANDIDATES})")


class Browser:
    """One Chromium process with a fresh profile, driven over the debugging pipe.

    A reader thread hands each event to the listener registered for its sessionId (listeners run
    on that thread, so they may `send` but never `call`) and wakes the threads blocked in `call`
    or `wait_until`; several pages can thus be checked at once from several threads.
    `close()` always kills the whole process group and removes the profile.
    """

    def __init__(self, executable: str, extra_flags: list[str], startup_timeout: float) -> None:
        self.tmp = tempfile.mkdtemp(prefix="arkiv-chromium-")
        self.log_path = os.path.join(self.tmp, "chromium.log")
        self.listeners: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.replies: dict[int, dict[str, Any]] = {}
        self.awaited: set[int] = set()
        self.next_id = 0
        self.gone = False
        self.write_lock = threading.Lock()  # one command at a time on the pipe, ids in order
        self.arrived = threading.Condition()  # notified on every message and on EOF
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: threading.Thread | None = None

        cmd_r, self.cmd_w = os.pipe()
        self.evt_r, evt_w = os.pipe()

        def child_fds() -> None:
            # Lift both ends above 4 first so that placing one on 3 or 4 cannot close the other.
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(evt_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)  # dup2 makes the copy inheritable: it survives exec
            os.dup2(b, 4)
            os.close(a)
            os.close(b)
            # If we are killed outright (SIGKILL skips every cleanup), take Chromium with us.
            try:
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            except (OSError, AttributeError):
                pass  # not Linux: close() still kills it on every ordinary exit

        argv = [executable, *BASE_FLAGS, f"--user-data-dir={os.path.join(self.tmp, 'profile')}"]
        argv += extra_flags
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    preexec_fn=child_fds,
                    # Every other descriptor of ours is close-on-exec (PEP 446), so nothing else
                    # leaks; close_fds=True would close 3 and 4 after preexec_fn ran.
                    close_fds=False,
                    start_new_session=True,  # its own process group: close() kills all helpers
                )
        except OSError as err:
            self._close_fds(cmd_r, evt_w)
            self.close()
            raise BrowserError(f"cannot start {executable}: {err}") from err
        # Our copies of the child's ends must go, or we would never see EOF when it exits.
        self._close_fds(cmd_r, evt_w)
        self.reader = threading.Thread(target=self._read_loop, name="cdp-reader", daemon=True)
        self.reader.start()

        try:
            self.version = self.call("Browser.getVersion", timeout=startup_timeout)
        except (BrowserError, CdpTimeout, CdpError) as err:
            detail = self.log_tail()
            self.close()
            detail = f"\n{detail}" if detail else ""
            raise BrowserError(f"Chromium did not answer on the pipe: {err}{detail}") from err
        except BaseException:
            self.close()  # interrupted while starting: the caller has no object to close
            raise

    @staticmethod
    def _close_fds(*fds: int) -> None:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _read_loop(self) -> None:
        buf = bytearray()
        while True:
            try:
                chunk = os.read(self.evt_r, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                with self.arrived:
                    self.gone = True  # EOF: the browser exited
                    self.arrived.notify_all()
                return
            start = len(buf)
            buf += chunk
            while True:
                end = buf.find(b"\0", start)
                if end < 0:
                    break
                raw = bytes(buf[:end])
                del buf[: end + 1]
                start = 0
                try:
                    self._dispatch(json.loads(raw))
                except ValueError:
                    continue  # a garbled message is dropped, never fatal

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" not in msg:
            listener = self.listeners.get(msg.get("sessionId", ""))
            if listener:
                try:
                    listener(msg)
                except Exception as err:  # noqa: BLE001 - one bad event must not stop the reader
                    print(f"warning: event handler failed: {err!r}", file=sys.stderr)
        with self.arrived:
            if msg.get("id") in self.awaited:
                self.replies[msg["id"]] = msg
            self.arrived.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, awaited: bool = False) -> int:
        """Writes one command and returns its id without waiting for the reply."""
        with self.write_lock:
            if self.gone:
                raise BrowserError("Chromium has exited")
            self.next_id += 1
            ident = self.next_id
            if awaited:
                with self.arrived:
                    self.awaited.add(ident)
            msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            data = json.dumps(msg).encode() + b"\0"
            try:
                while data:
                    written = os.write(self.cmd_w, data)
                    data = data[written:]
            except OSError as err:
                self.gone = True
                raise BrowserError(f"Chromium closed its command pipe: {err}") from err
        return ident

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """Sends a command and waits up to `timeout` seconds for its reply."""
        ident = self.send(method, params, session, awaited=True)
        with self.arrived:
            try:
                self.arrived.wait_for(lambda: ident in self.replies or self.gone, timeout)
                if ident not in self.replies:
                    if self.gone:
                        raise BrowserError(f"Chromium exited during {method}")
                    raise CdpTimeout(f"{method}: no answer within {timeout:g} s")
                reply = self.replies.pop(ident)
            finally:
                self.awaited.discard(ident)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def wait_until(self, done: Callable[[], bool], deadline: float, step: float = 0.1) -> bool:
        """Waits until `done()` holds or the monotonic `deadline` passes; checks on every
        message and at least every `step` seconds (for conditions about quiet time)."""
        with self.arrived:
            while not done():
                if self.gone:
                    raise BrowserError("Chromium exited")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.arrived.wait(min(remaining, step))
        return True

    def close(self) -> None:
        """Asks Chromium to quit, then kills its process group whatever happened; idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if not self.gone:
                try:
                    self.send("Browser.close")
                    proc.wait(timeout=3)
                except (BrowserError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # helpers (renderers, zygote) too
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.gone = True
        if self.reader is not None:
            # The reader sees EOF once the browser is gone; join before closing its descriptor.
            self.reader.join(timeout=5)
        self._close_fds(self.cmd_w, self.evt_r)
        self.cmd_w = self.evt_r = -1
        shutil.rmtree(self.tmp, ignore_errors=True)
