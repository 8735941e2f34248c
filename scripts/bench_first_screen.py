"""The first-screen section of `make bench`: how long until the course is on
screen, next to a minimal Textual app (one Static) measured the same way.

Each app starts in a detached tmux session (a real terminal, 120x36, on a
private tmux socket in a temporary directory, removed with it) that is polled every 10 ms until the app's text appears;
after one warm-up run each, the two are run in turn and the median of 5
runs of each is reported. Goal (issue 14): tutor within 1.5x the
minimal app.

Beside the wall time, the CPU time the app's process had used when its
text was found (utime + stime from /proc): on a busy machine the wall
times stretch with everyone else's work, the CPU times much less.

Both run with their bytecode cached, as after an install (pip compiles it):
the warm-up run writes it to a temporary PYTHONPYCACHEPREFIX, also where
PYTHONDONTWRITEBYTECODE is set, which would otherwise have tutor's own
modules compiled from source on every run while Textual's come compiled.
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
        ["tmux", "-S", sock, "-f", "/dev/null", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_screen(
    command: list[str], ready: str, env: dict[str, str], timeout: float = 20.0
) -> tuple[float, float]:
    """Seconds from starting `command` in a terminal until `ready` is on it,
    and the CPU seconds the command had used by then."""
    folder = tempfile.mkdtemp(prefix="tutor-bench-")
    sock = os.path.join(folder, "tmux")  # a fresh server each run
    line = "exec " + shlex.join(command)  # the pane's process is the app itself
    try:
        start = time.perf_counter()
        # The tmux server it starts passes this environment to the app.
        _tmux(sock, "new-session", "-d", "-s", "b", "-x", "120", "-y", "36", line, env=env)
        pid = int(_tmux(sock, "display-message", "-p", "-t", "b", "#{pane_pid}").stdout)
        while time.perf_counter() - start < timeout:
            if ready in _tmux(sock, "capture-pane", "-p", "-t", "b").stdout:
                return time.perf_counter() - start, _cpu_seconds(pid)
            time.sleep(0.01)
        raise TimeoutError(f"{ready!r} never appeared")
    finally:
        _tmux(sock, "kill-server")
        shutil.rmtree(folder, ignore_errors=True)


def first_screen_rows(runs: int = 5) -> list[tuple[str, str, str]]:
    """(measure, time, note) rows for bench.py's table."""
    if shutil.which("tmux") is None:
        return [("first screen", "-", "tmux is not installed")]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TUTOR_HOME": home, "PYTHONPYCACHEPREFIX": f"{home}/pycache"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        apps = {
            "minimal": ([PY, "-c", MINIMAL], "minimal app ready"),
            "tutor": ([PY, "-m", "tutor"], TUTOR_READY),
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        cpus: dict[str, list[float]] = {name: [] for name in apps}
        load = os.getloadavg()[0]
        # One run each first (tutor's first run parses the course and caches it,
        # and writes both apps' bytecode, as after an install), then the two in
        # turn, so a busy machine slows both alike.
        for n in range(runs + 1):
            for name, (command, ready) in apps.items():
                took, cpu = first_screen(command, ready, env)
                if n:
                    times[name].append(took)
                    cpus[name].append(cpu)
        load = max(load, os.getloadavg()[0])
        minimal, tutor = (statistics.median(times[name]) for name in apps)
        cpu_minimal, cpu_tutor = (statistics.median(cpus[name]) for name in apps)
    ratio = tutor / minimal
    return [
        (
            "first screen: minimal Textual app",
            f"{minimal * 1000:.0f} ms",
            f"median of {runs}, tmux 120x36; CPU {cpu_minimal * 1000:.0f} ms",
        ),
        (
            "first screen: tutor (the outline)",
            f"{tutor * 1000:.0f} ms",
            f"median of {runs}; CPU {cpu_tutor * 1000:.0f} ms",
        ),
        (
            "ratio tutor / minimal app",
            f"{ratio:.2f}",
            f"goal: at most 1.50; CPU ratio {cpu_tutor / cpu_minimal:.2f}; load average {load:.1f}",
        ),
    ]


if __name__ == "__main__":
    os.chdir(ROOT)
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for name, value, note in first_screen_rows(runs):
        print(f"{name:<36} {value:>8}  {note}")
