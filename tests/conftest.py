"""Shared test set-up: a private TUTOR_HOME for every test, and the
`needs_root` marker (capture and namespaces), skipped with a reason when not root."""

from __future__ import annotations

import os
import signal

import pytest

# A test run started in the background (`make test &`) ignores SIGINT, and
# every process it starts inherits that: the tests that press Ctrl-C on a
# lab would then wait in vain. Python installs its Ctrl-C handler only where
# SIGINT is not ignored, so give this process one (its children get the default).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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
