"""The first-screen section of `make bench`: how long until the course is on
screen, next to a minimal Textual app (one Static) measured the same way.

Each app starts in a detached tmux session (a real terminal, 120x36, on a
private tmux socket) that is polled every 10 ms until the app's text appears;
after one warm-up run each, the two are run in turn and the median of 5
runs of each is reported. Goal (issue 14): tutor within 1.5x the
minimal app.
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

MINIMAL = (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Minimal(App):\n"
    "    def compose(self):\n"
    "        yield Static('minimal app ready')\n"
    "Minimal().run()\n"
)
#: Text that is on the outline only once the course has loaded.
TUTOR_READY = "How the Internet is layered"


def _tmux(
    sock: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-L", sock, "-f", "/dev/null", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


def first_screen(
    command: list[str], ready: str, env: dict[str, str], timeout: float = 20.0
) -> float:
    """Seconds from starting `command` in a terminal until `ready` is on it."""
    sock = f"bench-{os.getpid()}-{time.monotonic_ns()}"  # a fresh server each run
    line = shlex.join(command)
    try:
        start = time.perf_counter()
        # The tmux server it starts passes this environment to the app.
        _tmux(sock, "new-session", "-d", "-s", "b", "-x", "120", "-y", "36", line, env=env)
        while time.perf_counter() - start < timeout:
            if ready in _tmux(sock, "capture-pane", "-p", "-t", "b").stdout:
                return time.perf_counter() - start
            time.sleep(0.01)
        raise TimeoutError(f"{ready!r} never appeared")
    finally:
        _tmux(sock, "kill-server")


def first_screen_rows(runs: int = 5) -> list[tuple[str, str, str]]:
    """(measure, time, note) rows for bench.py's table."""
    if shutil.which("tmux") is None:
        return [("first screen", "-", "tmux is not installed")]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TUTOR_HOME": home}
        apps = {
            "minimal": ([PY, "-c", MINIMAL], "minimal app ready"),
            "tutor": ([PY, "-m", "tutor"], TUTOR_READY),
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        # One run each first (tutor's first run parses the course and caches it,
        # as after an install), then the two in turn, so a busy machine
        # slows both alike.
        for n in range(runs + 1):
            for name, (command, ready) in apps.items():
                took = first_screen(command, ready, env)
                if n:
                    times[name].append(took)
        minimal, tutor = (statistics.median(times[name]) for name in apps)
    ratio = tutor / minimal
    return [
        (
            "first screen: minimal Textual app",
            f"{minimal * 1000:.0f} ms",
            f"median of {runs}, tmux 120x36",
        ),
        ("first screen: tutor (the outline)", f"{tutor * 1000:.0f} ms", f"median of {runs}"),
        ("ratio tutor / minimal app", f"{ratio:.2f}", "goal: at most 1.50"),
    ]


if __name__ == "__main__":
    os.chdir(ROOT)
    for name, value, note in first_screen_rows():
        print(f"{name:<36} {value:>8}  {note}")
