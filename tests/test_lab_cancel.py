"""Cancel, for every lab: pressed while the lab runs, the lab stops with
`Cancelled` and leaves nothing open behind it: every socket it opened (its
servers, its capture, its connections) is closed and its threads are gone.
Labs with their own leftovers (a key log, a temp dir, namespaces) test those
beside their other tests."""

from __future__ import annotations

import os
import threading
import time

import pytest
from labrun import run

from labs.api import Cancelled, specs

CAPTURE_LABS = [s.id for s in specs() if s.needs == "capture"]
#: The namespace labs, in their real version (their simulation is a
#: computation with nothing to leave open).
NETNS_LABS = [
    pytest.param(s.id, marks=pytest.mark.needs_root) for s in specs() if s.needs == "netns"
]


def open_sockets() -> set[str]:
    """This process's open sockets, by inode."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


@pytest.mark.parametrize("lab", CAPTURE_LABS)
def test_cancel_while_running_leaves_nothing_open(lab, mode):
    cancel_and_check(lab)


@pytest.mark.parametrize("lab", NETNS_LABS)
def test_cancel_while_building_the_network_leaves_nothing_open(lab):
    cancel_and_check(lab)


def cancel_and_check(lab: str) -> None:
    before_sockets, before_threads = open_sockets(), set(threading.enumerate())
    cancel = threading.Event()
    said: list[str] = []

    def progress(message: str) -> None:
        said.append(message)
        if len(said) == 2:  # the lab is up (its server started) and under way
            cancel.set()

    with pytest.raises(Cancelled):
        run(lab, progress=progress, cancel=cancel)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        threads = set(threading.enumerate()) - before_threads
        if open_sockets() <= before_sockets and not [t for t in threads if t.is_alive()]:
            break
        time.sleep(0.05)
    assert open_sockets() <= before_sockets, f"{lab} left sockets open after {said}"
    assert not [t.name for t in set(threading.enumerate()) - before_threads if t.is_alive()]
