"""Shared test set-up: a private TUTOR_HOME for every test, the
`needs_root` marker (capture and namespaces), skipped with a reason when not
root, and turns between the two test processes of `make test`."""

from __future__ import annotations

import fcntl
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# A test run started in the background (`make test &`) ignores SIGINT, and
# every process it starts inherits that: the tests that press Ctrl-C on a
# lab would then wait in vain. Python installs its Ctrl-C handler only where
# SIGINT is not ignored, so give this process one (its children get the default).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# Under `pytest -n 2` (make test) the two test processes take turns around
# the tests marked `kills_runs`. Such a test kills a lab run with -9 and then
# looks for what the run left behind before cleaning it up itself; in the
# meantime a lab starting in the other process (which first removes what
# dead runs left) or its `doctor --cleanup` would remove it first. Other
# tests share the turn; a `kills_runs` test waits for it alone. The lock
# files live in the run's pytest directory, which both processes share.


@pytest.fixture(scope="session")
def _turn_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp().parent / "turn"


def _locked(path: str, how: int) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    fcntl.flock(fd, how)
    return fd


@contextmanager
def turn(base: str, alone: bool) -> Iterator[None]:
    """Hold the turn (shared, or `alone`) while the block runs."""
    # The turnstile: a test waiting to run alone holds it, so tests starting
    # in the other process queue behind it instead of starving it.
    gate = _locked(f"{base}.gate", fcntl.LOCK_EX)
    try:
        if not alone:
            os.close(gate)  # through the turnstile
        held = _locked(f"{base}.lock", fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
    finally:
        if alone:
            os.close(gate)
    try:
        yield
    finally:
        os.close(held)


@pytest.fixture(autouse=True)
def _turns(request: pytest.FixtureRequest) -> Iterator[None]:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    node = request.node
    alone = node.get_closest_marker("kills_runs")
    with turn(str(request.getfixturevalue("_turn_files")), alone is not None):
        yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (live capture or network namespaces)")
    for item in items:
        if "needs_root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def tutor_home(tmp_path, monkeypatch):
    """Every test gets its own progress database and settings."""
    home = tmp_path / "tutor-home"
    monkeypatch.setenv("TUTOR_HOME", str(home))
    # Text output honours COLUMNS (tutor.tracetext.text_width): a test sees
    # the width it sets, never the one of the shell that started pytest.
    monkeypatch.delenv("COLUMNS", raising=False)
    return home


@pytest.fixture(params=["reconstructed", pytest.param("live", marks=pytest.mark.needs_root)])
def mode(request, monkeypatch):
    """Run the test once per way of obtaining packets: recorded at the socket
    and reconstructed (always), and captured live (as root)."""
    monkeypatch.setenv("TUTOR_CAPTURE", request.param)
    return request.param


@pytest.fixture
def reconstructed(monkeypatch):
    """Packets recorded at the socket and reconstructed, even as root."""
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    return "reconstructed"
