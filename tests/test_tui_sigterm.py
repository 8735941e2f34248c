"""SIGTERM to the full-screen app (issue 16, item 9): it stops a running lab
and cleans up exactly as quitting does (servers stopped, namespaces and
their agents gone, temporary directories removed, the terminal given back),
then exits 143, as every `tutor` command does after SIGTERM.

The app runs as a learner runs it: `python -m tutor` in a pseudo-terminal
(120x36) fed with key presses; the lab is opened from the lab list (L) and
started with r.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from labs.api import specs

T = TypeVar("T")

_ESCAPES = re.compile(
    r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)"
)
DOWN, ENTER = "\x1b[B", "\r"


def _wait_for(what: Callable[[], T], timeout: float = 30.0, why: str = "") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {why or what}")


class Tui:
    """`python -m tutor` in a pseudo-terminal of its own."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        env = {**os.environ, "TMPDIR": str(tmp), "TUTOR_HOME": str(tmp / "home")}
        env.update(TERM="xterm-256color", COLUMNS="120", LINES="36")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tutor"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.raw = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        """Read all the time: a terminal nobody reads would block the app's writes."""
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the app is gone (EIO)
                return
            if not data:
                return
            self.raw += data

    def text(self) -> str:
        return _ESCAPES.sub("", self.raw.decode("utf-8", "replace"))

    def wait_text(self, words: str, timeout: float = 30.0) -> None:
        _wait_for(lambda: words in self.text(), timeout, repr(words))

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            time.sleep(0.05)

    def open_lab(self, lab: str) -> None:
        self.wait_text("How the Internet is layered")
        ids = [s.id for s in specs()]
        self.press("L")
        self.wait_text(ids[0])
        time.sleep(0.5)  # on a busy machine the list takes focus a little after it shows
        self.press(*[DOWN] * ids.index(lab), ENTER)
        self.wait_text("Run the lab")
        self.raw.clear()
        # A key pressed while the screen is still being mounted can go unseen:
        # press r again until the run shows (a run in progress ignores r).
        deadline = time.monotonic() + 60
        while f"Running {lab}" not in self.text():
            assert time.monotonic() < deadline, f"timed out waiting for 'Running {lab}'"
            self.press("r")
            end = time.monotonic() + 10
            while f"Running {lab}" not in self.text() and time.monotonic() < end:
                time.sleep(0.05)

    def terminate(self, timeout: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._reader.join(5)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.master)


@pytest.fixture
def tui(tmp_path):
    app = Tui(tmp_path)
    yield app
    app.close()


def _namespaces(pid: int) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(f"tutor-{pid}-")]


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (children of children too)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def _agents(pid: int) -> list[int]:
    """Namespace agents started by `pid` (their command line names their parent)."""
    mark = f"os.getppid() == {pid} ".encode()
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if mark in Path(f"/proc/{entry}/cmdline").read_bytes():
                pids.append(int(entry))
        except OSError:
            continue
    return pids


def _left_in(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.glob("tutor-*"))


def _assert_exited_clean(tui: Tui, code: int) -> None:
    pid = tui.proc.pid
    assert code == 143, f"exit {code}: {tui.text()[-600:]}"
    assert "Traceback" not in tui.text()
    assert b"\x1b[?1049l" in tui.raw  # the terminal given back (the main screen again)
    assert _namespaces(pid) == []
    assert _agents(pid) == []
    assert _left_in(tui.tmp) == []


def test_sigterm_on_the_outline_exits_143_and_gives_the_terminal_back(tui):
    tui.wait_text("How the Internet is layered")
    code = tui.terminate()
    _assert_exited_clean(tui, code)


@pytest.mark.needs_root
def test_sigterm_during_a_namespace_lab_removes_its_network(tui):
    tui.open_lab("traceroute")
    pid = tui.proc.pid
    _wait_for(lambda: _namespaces(pid), why="the lab's namespaces")
    _wait_for(lambda: _agents(pid), why="an agent in a namespace")
    code = tui.terminate()
    _assert_exited_clean(tui, code)


@pytest.mark.needs_root
def test_sigterm_during_the_ftp_lab_stops_its_server(tui):
    tui.open_lab("ftp")
    _wait_for(lambda: _left_in(tui.tmp), why="the FTP server's root")
    children = _descendants(tui.proc.pid)
    code = tui.terminate()
    _assert_exited_clean(tui, code)
    assert not [c for c in children if Path(f"/proc/{c}").exists()]


@pytest.mark.needs_root
def test_sigterm_during_the_database_lab_stops_postgresql(tui):
    from labs.catalog.web_app_db.pg import binaries

    if binaries() is None:
        pytest.skip("pgserver is not installed")
    tui.open_lab("web-app-db")
    # As root PostgreSQL runs as nobody, who cannot pass through pytest's
    # private temporary directory: the lab puts its directory in /tmp then.
    folder = _wait_for(lambda: _pg_dir_of(tui.proc.pid, tui.tmp), why="PostgreSQL's directory")
    # PostgreSQL runs in a session of its own: find it by its directory.
    postgres = _wait_for(lambda: _processes_mentioning(str(folder)), why="postgres running")
    code = tui.terminate()
    _assert_exited_clean(tui, code)
    assert [p for p in postgres if Path(f"/proc/{p}").exists()] == []
    assert not folder.exists()


def _pg_dir_of(pid: int, tmp: Path) -> Path | None:
    for base in (tmp, Path("/tmp")):
        for folder in base.glob("tutor-pg-*"):
            try:
                if (folder / "owner").read_text().strip() == str(pid):
                    return folder
            except OSError:
                continue
    return None


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if text.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                pids.append(int(entry))
        except OSError:
            continue
    return pids


@pytest.mark.parametrize("how", ["sigterm", "quit"])
async def test_sigterm_and_quit_tell_a_running_lab_to_stop(monkeypatch, how):
    """What the terminal cannot show (a lab that ends by itself cleans up as
    well): SIGTERM and q both cancel the running lab, as x does, rather than
    leave it to run on; SIGTERM's exit code is 143."""
    from testserver import silent_server

    from tutor.app import make_app
    from tutor.progress import Store
    from tutor.screens.lab import LabScreen

    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    with silent_server() as port:  # the TLS lab waits on it for an answer
        app = make_app(store=Store.memory())
        async with app.run_test(size=(120, 36)) as pilot:
            screen = LabScreen("tls", target=f"https://127.0.0.1:{port}/")
            await app.push_screen(screen)
            screen.action_run()
            for _ in range(200):
                await pilot.pause(0.02)
                if any(w.group == "lab" and w.is_running for w in screen.workers):
                    break
            assert not screen._cancel.is_set()
            if how == "sigterm":
                app.on_sigterm()
            else:
                await pilot.press("q")
            await pilot.pause()
        assert screen._cancel.is_set()
        assert app.return_code == (143 if how == "sigterm" else 0)
