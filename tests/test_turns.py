"""The turns the two test processes of `make test` take (tests/conftest.py):
a `kills_runs` test runs alone, after the tests already running, and tests
that start while it waits queue behind it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from conftest import turn


def test_a_test_alone_waits_for_the_running_ones_and_the_next_wait_for_it(tmp_path: Path):
    base = str(tmp_path / "turn")
    order: list[str] = []
    alone_waiting = threading.Event()

    def alone() -> None:
        alone_waiting.set()
        with turn(base, alone=True):
            order.append("alone starts")
            time.sleep(0.2)
            order.append("alone ends")

    def later() -> None:
        with turn(base, alone=False):
            order.append("later starts")

    with turn(base, alone=False):  # a test already running in the other process
        first = threading.Thread(target=alone)
        first.start()
        alone_waiting.wait(5)
        time.sleep(0.2)  # the one alone is now waiting at the lock, holding the gate
        second = threading.Thread(target=later)
        second.start()
        time.sleep(0.2)
        assert order == []  # neither ran beside the running test
        order.append("running ends")
    first.join(5)
    second.join(5)
    assert order == ["running ends", "alone starts", "alone ends", "later starts"]
