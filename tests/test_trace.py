"""The trace JSON contract (docs/trace-format.md): shape, and a lossless round trip."""

from __future__ import annotations

import json

import pytest

from labs.model.trace import Fact, Field, Layer, Packet, Section, Step, Trace, dumps, loads, to_json


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


def accessor_sample() -> Packet:
    ip = Layer("IPv4", 0, 20, (Field("Protocol", "ip.proto", "6", "TCP", 9, 1),))
    tcp = Layer(
        "TCP",
        20,
        20,
        (
            Field("Source port", "tcp.srcport", "51514", "51514", 20, 2),
            Field("Flags", "tcp.flags", "0x0012", "SYN, ACK", 32, 2),
            Field("Option", None, "01", "NOP", 40, 1),
        ),
    )
    quoted = Layer("TCP (quoted)", 48, 8, (Field("Source port", "tcp.srcport", "80", "80", 48, 2),))
    dns = Layer(
        "DNS",
        60,
        40,
        (
            Field("Time to live", "dns.resp.ttl", "300", "300 s", 70, 4),
            Field("Time to live", "dns.resp.ttl", "60", "60 s", 90, 4),
        ),
    )
    return Packet(0, 0.0, "a", "b", "s", "", "", (ip, tcp, quoted, dns))


def test_field_is_the_first_with_that_filter_name():
    pkt = accessor_sample()
    flags = pkt.field("tcp.flags")
    assert flags is not None and flags.show == "SYN, ACK"
    assert pkt.field("tcp.srcport").value == "51514"  # the packet's own, not the quoted one
    assert pkt.field("udp.srcport") is None


def test_fields_are_all_with_that_filter_name_in_order():
    pkt = accessor_sample()
    assert [f.value for f in pkt.fields("dns.resp.ttl")] == ["300", "60"]
    assert [f.value for f in pkt.fields("tcp.srcport")] == ["51514", "80"]
    assert pkt.fields("dns.a") == ()


def test_layer_and_a_layers_field():
    pkt = accessor_sample()
    tcp = pkt.layer("TCP")
    assert tcp is not None and tcp.offset == 20
    assert pkt.layer("TCP (quoted)").field("tcp.srcport").value == "80"
    assert pkt.layer("UDP") is None
    assert tcp.field("ip.proto") is None


def test_number_reads_decimal_and_hex_values():
    pkt = accessor_sample()
    assert pkt.number("dns.resp.ttl") == 300
    assert pkt.number("tcp.flags") == 0x12
    assert pkt.number("tcp.window_size_value") is None
    bad = Packet(
        0, 0.0, "a", "b", "s", "", "", (Layer("X", 0, 1, (Field("n", "x.n", "n/a", "", 0, 1),)),)
    )
    assert bad.number("x.n") is None


def test_accessors_do_not_change_the_json():
    pkt = accessor_sample()
    pkt.field("tcp.flags")
    assert set(json.loads(dumps(Trace("x", "y", "live", (), (pkt,))))["packets"][0]) == {
        "index", "time", "src", "dst", "summary", "hex", "explain", "layers",
        "origin", "conversation", "interface",
    }  # fmt: skip
