"""Debian's headless Chromium, run for one page: started in its own process
group with a throwaway profile, reaching nothing but 127.0.0.1 (no name
resolves, background services off), stopped by its group id afterwards.
Its TMPDIR is the lab's own temporary directory (Chromium makes its
org.chromium.Chromium.* singleton directory there and leaves it behind even
on a clean exit), removed with everything else in it; named with this
process's id, so `tutor doctor --cleanup` removes it after a kill -9.

A live capture keeps only connections this process opened (so a learner's
other clients never show up as the lab's); the browser is another process,
so its connections to the API are read from the browser's own NetLog
(--log-net-log: each connection's local and remote address) and handed to
the capture as the lab's. Watching /proc instead misses a connection the
server closes within a millisecond.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from labs.kit import LabContext, LabError, signals_held

FLAGS = (
    "--headless=new",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    # No crash reports (a page stopped by the lab is not a crash).
    "--disable-crash-reporter",
    # Straight to the servers, whatever proxy the environment names; and no
    # name resolves, so nothing but 127.0.0.1 can be reached.
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # Console messages (the browser's own CORS errors) go to stderr.
    "--enable-logging=stderr",
    "--v=0",
)
_CONNECTED = re.compile(
    r'"local_address":"(?:127\.0\.0\.1|\[::1\]):(\d+)","remote_address":"[^"]*:(\d+)"'
)
#: Chromium's singleton socket inside its TMPDIR: the whole path must fit
#: a Unix socket's 107 bytes, or Chromium aborts at start.
_SOCKET = "/org.chromium.Chromium.XXXXXX/SingletonSocket"
#: The browser's log read at most (its CORS lines come first and are short).
_LOG_MAX = 4 << 20
_CORS_ERROR = re.compile(r'"(Access to fetch at .*? blocked by CORS policy: .*?)"')


def find() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "Chromium"
    return out.stdout.strip() or "Chromium"


def browser_ports(netlog: Path, server_port: int) -> set[int]:
    """The local ports of the browser's connections to `server_port`, from
    its own NetLog (read as text: a browser stopped mid-write leaves the
    JSON unfinished, and the entries needed are whole lines before that)."""
    try:
        text = netlog.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return {int(local) for local, remote in _CONNECTED.findall(text) if int(remote) == server_port}


class _Ends:
    """A stand-in socket that names a browser connection's local port, for
    the capture's record of which connections are the lab's."""

    def __init__(self, port: int, server_port: int) -> None:
        self.port = port
        self.server_port = server_port

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def getpeername(self) -> tuple[str, int]:
        return ("127.0.0.1", self.server_port)


def open_page(
    stack: ExitStack,
    url: str,
    ctx: LabContext,
    timeout: float,
    done: threading.Event,
    cap: Any,
    server_port: int,
    blocked: Callable[[], int] = lambda: 0,
) -> list[str]:
    """Load `url` in headless Chromium until `done` is set; the browser's
    own CORS error messages (`blocked`: how many the page's report says it
    met, waited for). The browser is stopped when `stack` closes."""
    binary = find()
    if binary is None:
        raise LabError("Chromium is not installed here.", "Run with --no-browser.")
    # The pid in the name: `tutor doctor --cleanup` removes it if this run is killed.
    with signals_held():  # made and owned at once
        home = tempfile.mkdtemp(prefix=f"tutor-cors-{os.getpid()}-")
        stack.callback(shutil.rmtree, home, ignore_errors=True)
    if len(os.fsencode(home + _SOCKET)) > 107:
        raise LabError(
            f"Chromium cannot start under the temporary directory {tempfile.gettempdir()}: "
            "its path is too long for Chromium's socket.",
            "Set TMPDIR to a shorter path (for example /tmp), or run with --no-browser.",
        )
    netlog = Path(home) / "netlog.json"
    log = open(os.path.join(home, "stderr.log"), "w+b")  # noqa: SIM115 (closed by the stack)
    stack.callback(log.close)
    # Chromium's sandbox refuses to start as root; for anyone else it stays on.
    root = ("--no-sandbox",) if os.geteuid() == 0 else ()
    args = [binary, *FLAGS, *root, f"--user-data-dir={home}/profile", f"--log-net-log={netlog}"]
    proc = subprocess.Popen(
        [*args, url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        # Its temporary, configuration and cache files (crash database
        # included) in the run's folder, not the learner's ~/.config.
        env={**os.environ, "TMPDIR": home, "XDG_CONFIG_HOME": home, "XDG_CACHE_HOME": home},
    )
    stack.callback(_stop, proc)
    deadline = time.monotonic() + timeout
    ports: set[int] = set()
    while not done.wait(0.02):
        ctx.check()
        if proc.poll() is not None:
            raise LabError(f"Chromium stopped early (exit {proc.returncode}).")
        if time.monotonic() > deadline:
            raise LabError(
                f"The page did not finish its calls within {timeout:g} s.",
                "--timeout S waits longer; --no-browser runs without Chromium.",
            )
    # The console line of the last blocked call can reach the log after the
    # page has reported (a loaded CI run stopped the browser first): wait for
    # as many as the page met, a second at most.
    wanted, until = blocked(), time.monotonic() + 1.0
    while len(_errors(log)) < wanted and time.monotonic() < until:
        time.sleep(0.02)
    if cap.kind == "live":
        # Read now and again once stopped: a browser killed after a slow
        # shutdown may not have flushed its last entries.
        ports = browser_ports(netlog, server_port)
    _stop(proc)  # closes its connections now, so the capture sees them end
    if cap.kind == "live":
        for port in ports | browser_ports(netlog, server_port):
            cap.wrap(_Ends(port, server_port))
    return _errors(log)


def _errors(log: IO[bytes]) -> list[str]:
    """The distinct CORS error messages in the browser's log so far, read
    through a file of its own: the browser writes at `log`'s shared offset."""
    with open(log.name, "rb") as again:
        text = again.read(_LOG_MAX).decode("utf-8", "replace")
    return list(dict.fromkeys(_CORS_ERROR.findall(text)))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the browser and every process it started (its group, by id)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # the whole group is gone
        try:
            proc.wait(timeout=3)
            break
        except subprocess.TimeoutExpired:
            continue
