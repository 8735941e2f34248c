"""Every lab that opens its own connections calls the learner's side "your
computer" (QA found only some did), and step texts do not end in ".."."""

from __future__ import annotations

import pytest

from labs.registry import get, run_lab


@pytest.mark.parametrize("lab", ["http-api", "tls", "ftp", "tcp-handshake", "dns"])
def test_the_learners_side_is_your_computer(lab, monkeypatch):
    monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    trace = run_lab(get(lab).request())
    first = trace.packets[0]
    assert first.explain.startswith("your computer ("), first.explain
    assert not any(s.explain.endswith("..") for s in trace.steps)
