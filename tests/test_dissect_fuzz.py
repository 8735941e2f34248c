"""Damaged packets (bytes flipped, captures cut short) never raise, and every
field still points inside its packet: a malformed packet shows what could
be read."""

from __future__ import annotations

import io
import random
from pathlib import Path

from labs.core.base import RawPacket
from labs.dissect.core import build_trace
from labs.files.pcapio import read_capture
from labs.files.tracejson import write_json
from labs.model.trace import loads
from tutor.tracetext import render

PCAPS = Path(__file__).parent / "data" / "pcaps"


def _damaged(rng: random.Random, base: list[RawPacket], n: int) -> list[RawPacket]:
    out = []
    for r in rng.sample(base, n):
        d = bytearray(r.data)
        for _ in range(rng.randint(1, 6)):
            d[rng.randrange(len(d))] = rng.randrange(256)
        if rng.random() < 0.3:
            d = d[: rng.randrange(len(d) + 1)]
        out.append(RawPacket(r.time, bytes(d), r.link))
    return out


def test_damaged_packets_dissect_render_and_round_trip():
    base = [p for path in sorted(PCAPS.iterdir()) for p in read_capture(path)[0]]
    rng = random.Random(20261128)
    for _ in range(150):
        trace = build_trace(lab="fuzz", target="", capture="file", raws=_damaged(rng, base, 8))
        render(trace, verbose=True)
        out = io.StringIO()
        write_json(trace, out)
        assert loads(out.getvalue()) == trace
        for p in trace.packets:
            assert p.summary and p.explain
            for layer in p.layers:
                for f in layer.fields:
                    assert 0 <= f.offset <= f.offset + f.length <= len(p.data), (p.summary, f)


def test_damaged_packets_read_the_same_without_the_fast_path(monkeypatch):
    from labs.dissect import core as dissect
    from labs.dissect.proto import fast

    base = [p for path in sorted(PCAPS.iterdir()) for p in read_capture(path)[0]]
    raws = _damaged(random.Random(11), base, 60) + _damaged(random.Random(12), base, 60)
    quick = [dissect.dissect_all([r]) for r in raws]
    monkeypatch.setattr(fast, "parse", lambda data, link: None)
    assert [dissect.dissect_all([r]) for r in raws] == quick
