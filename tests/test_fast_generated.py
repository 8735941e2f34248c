"""The generated code of the fast path reads exactly what the loops it
replaces read: a header's generated reader (`labs.dissect.proto.fastread`)
against the plan's loop, and a plan's generated field maker
(`labs.dissect.proto.planread`) against `Planned`'s loop, on every packet
of tests/data/pcaps, whole and damaged."""

from __future__ import annotations

import random
from pathlib import Path

from labs.dissect import proto
from labs.dissect.proto import fast, fastread
from labs.dissect.proto.base import Planned, _one
from labs.dissect.proto.transport import _tcp_fields
from labs.files.pcapio import read_capture

PCAPS = Path(__file__).parent / "data" / "pcaps"


def _datas() -> list[bytes]:
    rng = random.Random(3)
    out = []
    for path in sorted(PCAPS.iterdir()):
        for raw in read_capture(path)[0]:
            out.append(raw.data)
            damaged = bytearray(raw.data)
            for _ in range(3):
                if damaged:
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            out.append(bytes(damaged[: rng.randrange(len(damaged) + 1)]))
    return out


def _read(layer: fast.Light | None) -> tuple[object, ...] | None:
    return None if layer is None else (list(layer.fields.items()), layer.raw_packet_cache)


def test_generated_readers_read_what_the_loop_reads():
    readers = fast._readers()
    datas = _datas()
    compared = 0
    for name, read in readers.items():
        cls = fast._CLASSES[name]
        assert read.__name__ == "read"  # every common header has its generated reader
        for data in datas:
            for start in (0, 14, 20):
                for end in (len(data), len(data) - 3):
                    try:
                        looped = _read(fastread.rest(cls(), data, start, start, end, cls.plan))
                    except Exception:
                        continue  # parse() leaves these to scapy either way
                    assert _read(read(data, start, end)) == looped, (name, data.hex(), start, end)
                    compared += looped is not None
    assert compared > 1000


def test_generated_plans_make_the_fields_the_loop_makes():
    proto.load()
    planned = [_tcp_fields]
    checked = 0
    for data in _datas():
        chain = fast.parse(data, "raw")
        if chain is None or len(chain) < 2 or type(chain[1]).__name__ != "TCP":
            continue
        tcp = chain[1]
        start = len(chain[0].raw_packet_cache)
        for plan in planned:
            made, found, _n = plan(tcp, start, data)
            steps = plan.plans[(id(found), start)][1]
            assert made == [_one(step, tcp, tcp.fields.get(step[0])) for step in steps]
            checked += plan.plans[(id(found), start)][3] is not None
    assert isinstance(planned[0], Planned) and checked > 50
