"""`tutor serve` in a real browser: Debian's headless Chromium, driven by Selenium
through Debian's chromedriver (no browser download), against a real `tutor serve`.

The screen is read from xterm.js itself (its buffer, what the page draws): a
script added before the page loads keeps a reference to textual-serve's
terminal object when it is built. Keys go to xterm.js's own input element, as
a learner's keyboard would. Chromium may resolve no name at all, so nothing
leaves 127.0.0.1. TUTOR_SHOTS=DIR keeps the screenshots (docs/browser-*.png).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="needs Debian's chromium and chromium-driver (`make test` installs them as root)",
    ),
    pytest.mark.slow,
]

#: Keeps textual-serve's terminal object (built in a closure) reachable as window.__textual.
HOOK = """
Object.defineProperty(Object.prototype, 'websocket_url', {configurable: true, set(v) {
  Object.defineProperty(this, 'websocket_url', {value: v, writable: true, configurable: true,
                                                enumerable: true});
  window.__textual = this;
}});
"""
SCREEN = """
const t = window.__textual && window.__textual.terminal;
if (!t) return '';
const b = t.buffer.active, rows = [];
for (let i = 0; i < t.rows; i++) rows.push(b.getLine(i).translateToString(true));
return rows.join('\\n');
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    port = free_port()
    data = tmp_path / "learners"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "serve", "--port", str(port), "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first and "this machine only" in first, first
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/", data, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def browser() -> Iterator[object]:
    # Selenium Manager must not look anything up: the driver is given.
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root, in a container
        "--disable-gpu",
        "--window-size=1400,1000",
        # No name resolves, so the page can reach nothing but 127.0.0.1.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-crash-reporter",
    ):
        options.add_argument(arg)
    # Chromium leaves its org.chromium.Chromium.* singleton directory in its
    # TMPDIR even on a clean exit: a short one of ours (its socket's path must
    # fit 107 bytes), removed afterwards.
    tmp = Path(tempfile.mkdtemp(prefix="chromium-"))
    try:
        service = Service(str(DRIVER), env={**os.environ, "TMPDIR": str(tmp)})
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
            yield driver
        finally:
            driver.quit()
        assert list(tmp.glob("org.chromium.Chromium.*")), "Chromium's temp files went elsewhere"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Page:
    """The course page as a learner sees it: wait for words, press keys."""

    def __init__(self, driver: object, shots: Path | None) -> None:
        self.d = driver
        self.shots = shots

    def screen(self) -> str:
        return str(self.d.execute_script(SCREEN))  # type: ignore[attr-defined]

    def wait(self, pattern: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if re.search(pattern, text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on screen:\n{text}")
            time.sleep(0.1)

    def press(self, *keys: str) -> None:
        from selenium.webdriver.common.by import By

        box = self.d.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")  # type: ignore[attr-defined]
        for key in keys:
            box.send_keys(key)
            time.sleep(0.15)

    def shot(self, name: str) -> None:
        if self.shots:
            time.sleep(0.5)  # let xterm.js paint the last frame
            self.d.save_screenshot(str(self.shots / name))  # type: ignore[attr-defined]


def _first_answer() -> int:
    """The key that answers the course's first quick check right (content changes)."""
    from tutor.content import load_course

    lesson = load_course().modules[0].lessons[0]
    return lesson.checks[0].answer + 1


def test_a_learner_in_the_browser(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, data, proc = server
    shots = Path(os.environ["TUTOR_SHOTS"]) if os.environ.get("TUTOR_SHOTS") else None
    page = Page(browser, shots)

    # The page asks who is learning; an id that could be a path is refused.
    # (The form's pattern stops it in the browser; the server refuses it too.)
    browser.get(url + "?learner=..%2Fana")
    assert "lowercase letters" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert not data.exists() or not any(data.iterdir())
    browser.get(url)
    box = browser.find_element(By.NAME, "learner")
    box.send_keys("../ana", Keys.ENTER)
    assert browser.current_url == url
    box.clear()
    box.send_keys("ana-7", Keys.ENTER)

    # The outline; a lesson; its quick check, answered right.
    page.wait(r"How the Internet is layered")
    assert browser.current_url.endswith("?learner=ana-7")
    page.shot("browser-course.png")
    page.press(Keys.ENTER)
    page.wait(r"After this lesson you can")
    page.press("c")
    page.wait(r"Question 1 of 4")
    page.press(str(_first_answer()))
    page.wait(r"✓ Right\.")

    # A lab from the list of labs: it runs, and its packets are on screen.
    page.press("L")
    text = page.wait(r"tcp-handshake")
    # The list grows as labs are added: count the rows above this one.
    labs = re.findall(r"^│ ([a-z0-9-]+) +module \d+ ", text, re.MULTILINE)
    page.press(*[Keys.ARROW_DOWN] * labs.index("tcp-handshake"), Keys.ENTER)
    page.wait(r"Lab: Open and close a TCP connection")
    page.press("r")
    text = page.wait(r"\d+ packets", timeout=30)
    assert re.search(r"TCP SYN\b", text) and "TCP SYN-ACK" in text, text
    page.shot("browser-lab.png")

    # One process for this session, with this learner's progress on the server.
    sessions = children(proc.pid)
    assert len(sessions) == 1
    env = Path(f"/proc/{sessions[0]}/environ").read_bytes().split(b"\0")
    assert f"TUTOR_HOME={data / 'ana-7'}".encode() in env
    assert (data / "ana-7" / "progress.db").is_file()
    assert (data / "ana-7").stat().st_mode & 0o077 == 0

    # A reload starts a new process, and the answer is still there.
    browser.refresh()
    text = page.wait(r"How the Internet is layered")
    assert "◐ Layers: how the Internet splits the work" in text, text
    deadline = time.monotonic() + 15
    while sessions[0] in children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sessions[0] not in children(proc.pid), "the first session's process outlived its page"
    assert len(children(proc.pid)) == 1

    # Another learner starts fresh: progress is per learner, not per server.
    browser.get(url + "?learner=bo")
    text = page.wait(r"How the Internet is layered")
    assert "○ Layers: how the Internet splits the work" in text, text

    # Ctrl-C on the server ends it and every session with it.
    last = children(proc.pid)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in last)
