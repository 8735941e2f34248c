"""HTTP/2's GOAWAY ("no more streams on this connection", RFC 9113 §6.8)
belongs to the closing: the waterfall never draws the record that carries
it as one more request with no answer. The http2 lab's stored run holds
the plaintext (recorded inside TLS) beside the wire's encrypted records."""

from __future__ import annotations

import importlib
from pathlib import Path

from labs import registry
from labs.kit import load_recording

RUN = Path(__file__).parent / "data" / "golden" / "http2" / "default"


def test_the_goaway_record_is_no_request():
    spec = registry.get("http2")
    run = importlib.import_module(f"{spec.package}.run")
    trace = run.explain(load_recording(RUN / "recording.json", run.RESULT))
    goaway = next(p for p in trace.packets if "GOAWAY" in p.summary)
    record = trace.packets[goaway.index + 1]  # its encrypted record on the wire
    assert record.origin == "wire" and record.src == goaway.src
    drawn = {i for phase in trace.waterfall for i in phase.packets}
    assert record.index not in drawn
    requests = [p for p in trace.waterfall if p.name == "request"]
    # Every request drawn is answered: a download follows it in its exchange.
    for r in requests:
        assert any(p.exchange == r.exchange and p.name == "download" for p in trace.waterfall)
    # The lab's own steps already say it: GOAWAY is the close.
    close = next(s for s in trace.steps if goaway.index in s.packets)
    assert "GOAWAY" in close.title
