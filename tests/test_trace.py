"""The trace JSON contract (docs/trace-format.md): shape, and a lossless round trip."""

from __future__ import annotations

import json

import pytest

from labs.trace import Fact, Field, Layer, Packet, Section, Step, Trace, dumps, loads, to_json


def sample() -> Trace:
    flags = Field("flags", "tcp.flags", "0x0002", "SYN", 33, 1, "asks to open a conversation")
    tcp = Layer("TCP", 20, 40, (flags,))
    pkt = Packet(
        0, 0.0, "127.0.0.1:51514", "127.0.0.1:43121", "TCP SYN", "45" + "00" * 59, "…", (tcp,)
    )
    return Trace(
        lab="http-api",
        target="http://127.0.0.1:43121/orders",
        capture="live",
        steps=(Step("tcp-connect", (0,), "opening", title="Open"),),
        packets=(pkt,),
        sections=(Section("curl", "curl http://127.0.0.1:43121/orders", "code"),),
        facts=(Fact("packets_to_connect", "3", "SYN, SYN-ACK, ACK", (0,), "tcp.flags"),),
    )


def test_json_has_the_documented_keys():
    data = json.loads(dumps(sample()))
    assert {"lab", "target", "capture", "steps", "packets"} <= data.keys()
    pkt = data["packets"][0]
    assert {"index", "time", "src", "dst", "summary", "hex", "explain", "layers"} <= pkt.keys()
    field = pkt["layers"][0]["fields"][0]
    assert field == {
        "name": "flags",
        "filter": "tcp.flags",
        "value": "0x0002",
        "show": "SYN",
        "offset": 33,
        "length": 1,
        "explain": "asks to open a conversation",
        "secret": False,
    }
    assert data["steps"][0]["packets"] == [0]


def test_round_trip_is_lossless():
    trace = sample()
    assert loads(dumps(trace)) == trace
    assert to_json(loads(dumps(trace))) == to_json(trace)


def test_capture_kind_is_checked():
    with pytest.raises(ValueError):
        Trace(lab="x", target="y", capture="guessed", steps=(), packets=())


def test_fact_lookup():
    assert sample().fact("packets_to_connect").value == "3"
    assert sample().fact("nope") is None
