"""When the system cannot fork (no memory, no process slot), `tutor
explain --json` still writes the same bytes, and Ctrl-C still works: the
signals held while forking are let go and the pipe is closed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from explain_runs import serial

from labs.files import explain, forked, parallel
from labs.files.explain import write_explain_json

PCAPS = Path(__file__).parent / "data" / "pcaps"


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_failed_fork_lets_the_signals_go_and_closes_the_pipe(monkeypatch):
    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    before, fds = signal.pthread_sigmask(signal.SIG_BLOCK, set()), _fds()
    with pytest.raises(OSError):
        forked.fork(lambda fd: None)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
    assert signal.SIGINT not in before and _fds() == fds


def test_the_waterfall_is_worked_out_here_when_its_fork_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    real = parallel.fork
    calls: list[int] = []

    def second_fails(work):  # the dissecting child forks; the waterfall's does not
        calls.append(1)
        if len(calls) > 1:
            raise OSError(11, "Resource temporarily unavailable")
        return real(work)

    monkeypatch.setattr(parallel, "fork", second_fails)
    for name in ("http.pcap", "dns.pcap"):
        calls.clear()
        out = tmp_path / f"{name}.json"
        with open(out, "w", encoding="utf-8") as f:
            write_explain_json(PCAPS / name, f, parallel_from=1)
        assert len(calls) == 2
        assert out.read_text(encoding="utf-8") == serial(PCAPS / name)
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
