"""After kill -9 of a drill's keeper: a keeper that is a zombie (killed, not
yet reaped) counts as gone, so `tutor doctor --cleanup` removes its world
at once; and doctor also clears the dead drill's state file, so the drill
is no longer "in progress" (nothing to stop by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labs import api
from labs.capture.leftovers import gone, started
from labs.drills import session

_PARENT = (
    "import subprocess, sys, time; "
    "child = subprocess.Popen([sys.executable, '-I', '-c', 'pass']); "
    "print(child.pid, flush=True); time.sleep(60)"
)


def _state_and_start(pid: int) -> tuple[str, float]:
    """A process's state letter and start time, read from /proc (a zombie's too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    btime = next(float(x.split()[1]) for x in open("/proc/stat") if x.startswith("btime "))
    return fields[0], btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def zombie():
    """A process that has exited and that its parent (not this test) has not
    reaped: what kill -9 of a keeper leaves until init gets to it."""
    parent = subprocess.Popen([sys.executable, "-I", "-c", _PARENT], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        while _state_and_start(pid)[0] != "Z":
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.01)
        yield pid
    finally:
        parent.kill()
        parent.wait()


def test_a_zombie_counts_as_gone(zombie):
    made = _state_and_start(zombie)[1] + 5  # its namespaces were made after it started
    assert started(zombie) is None
    assert gone(zombie, made)


def _dead_live_drill(home: Path, pid: int, since: float) -> None:
    session._save(home, {
        "drill": "dns-nxdomain", "seed": 1, "mode": "live", "started": time.time(),
        "probes": [], "hints": 0, "finished": False, "grade": None,
        "keeper": {"pid": pid, "since": since, "socket": str(home / "gone.sock")},
    })  # fmt: skip


def test_a_zombie_keeper_is_not_alive(tutor_home, zombie):
    _dead_live_drill(tutor_home, zombie, _state_and_start(zombie)[1])
    st = api.drill_state(tutor_home)
    assert st is not None and not st.alive


@pytest.fixture
def no_system_leftovers(monkeypatch):
    """Doctor's machine-wide part (namespaces, agents, temp files) is not this test's."""
    monkeypatch.setattr(api, "cleanup_leftovers", lambda: [])


def test_doctor_cleanup_clears_a_dead_keepers_drill(tutor_home, no_system_leftovers):
    from tutor.commands.doctor import cleanup

    proc = subprocess.Popen([sys.executable, "-I", "-c", "pass"])
    since = started(proc.pid) or time.time()
    proc.wait()  # the keeper is gone (kill -9, then reaped)
    _dead_live_drill(tutor_home, proc.pid, since)
    before = api.drill_state(tutor_home)
    assert before is not None and not before.alive and not before.finished
    ok, removed, problem = cleanup()
    assert ok and not problem
    assert any("dns-nxdomain" in line for line in removed), removed
    assert api.drill_state(tutor_home) is None
    assert not (tutor_home / "drill" / "state.json").exists()


def test_doctor_cleanup_leaves_a_running_or_finished_drill(tutor_home, no_system_leftovers):
    from tutor.commands.doctor import cleanup

    _dead_live_drill(tutor_home, 1, started(1) or 0.0)  # pid 1 never dies: a drill still going
    assert cleanup() == (True, [], "")
    assert api.drill_state(tutor_home) is not None
    session._save(tutor_home, session._load(tutor_home) | {"keeper": None, "finished": True})
    assert cleanup() == (True, [], "")  # an answered drill keeps its report
    assert api.drill_state(tutor_home) is not None
