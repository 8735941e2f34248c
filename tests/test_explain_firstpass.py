"""The first pass over a large capture runs in a forked child of its own
(labs.files.firstpass), so the survey's tables never fragment the heap of
the process that then reads the capture: the JSON must be the serial JSON
byte for byte, a child that fails leaves the pass to its parent, and no
child may outlive the call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from explain_runs import children, serial
from explain_runs import parallel as parallel_json

from labs.files import batches, explain, firstpass

HERE = Path(__file__).parent
CAPTURES = [
    *sorted((HERE / "data" / "pcaps").iterdir()),
    *(HERE / "data" / "programs" / n for n in ("ftp.pcapng", "tftp.pcapng", "scan.pcapng")),
]


@pytest.fixture(autouse=True)
def apart(monkeypatch):
    """Fork for every capture (even with pytest's threads), and check that
    every child is reaped."""
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    monkeypatch.setattr(firstpass, "APART_FROM", 0)
    before = children()
    yield
    assert children() == before


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_a_first_pass_in_its_own_process_reads_the_same(path):
    assert parallel_json(path) == serial(path)
    assert parallel_json(path, limit=7) == serial(path, limit=7)


def test_the_first_pass_runs_in_the_child(monkeypatch):
    """Nothing of the pass runs in this process (a child's record of it stays in the child)."""
    ran: list[int] = []
    real = firstpass.first_pass

    def recorded(*args, **kw):
        ran.append(os.getpid())
        return real(*args, **kw)

    monkeypatch.setattr(firstpass, "first_pass", recorded)
    path = HERE / "data" / "pcaps" / "http.pcap"
    assert parallel_json(path) == serial(path)
    assert ran == []


def test_a_failed_first_pass_child_leaves_the_pass_to_its_parent(monkeypatch):
    monkeypatch.setattr(firstpass, "_child", lambda *args: os._exit(3))
    for path in CAPTURES[:4]:
        assert parallel_json(path) == serial(path)


def test_step_names_kept_in_a_file_read_the_same(monkeypatch):
    """Each packet's step goes to a file a few at a time; a reset still renames
    an earlier SYN's step once it is in the file."""
    monkeypatch.setattr(batches, "_CODES_CHUNK", 2)
    for path in CAPTURES:
        assert parallel_json(path) == serial(path)
