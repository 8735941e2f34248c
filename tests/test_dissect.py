"""Dissection from stored bytes: layers, Wireshark names and values, and
that every field's offset points at the bytes that hold it."""

from __future__ import annotations

import pytest

from labs.core.base import RawPacket
from labs.dissect.core import build_trace, dissect_packet
from labs.dissect.narrate import field_map

# A SYN from 127.0.0.1:51514 to 127.0.0.1:43121 as Linux sends it (raw IP),
# with MSS 65495, SACK permitted, timestamps, NOP, window scale 7.
SYN = bytes.fromhex(
    "4500003c"
    "1c464000"
    "40062074"
    "7f000001"
    "7f000001"
    "c93aa871"
    "0001e240"
    "00000000"
    "a002ffd7"
    "fc120000"
    "0204ffd7"
    "0402080a"
    "00000001"
    "00000000"
    "01030307"
)
# An Ethernet frame carrying an ARP request: who has 192.0.2.1? tell 192.0.2.2.
ARP_REQUEST = bytes.fromhex(
    "ffffffffffff02fc000000010806000108000604000102fc00000001c0000202000000000000c0000201"
)
# ICMP time exceeded from 198.51.100.1 quoting a UDP probe to 203.0.113.5:33434.
TIME_EXCEEDED = bytes.fromhex(
    "4500003800004000ff01"
    "0000"
    "c6336401"
    "c0000202"
    "0b00f4ff00000000"
    "4500001c0001000001110000"
    "c0000202"
    "cb007105"
    "829a829a00080000"
)


def fields_of(data: bytes, link: str = "raw-ip"):
    return field_map(dissect_packet(RawPacket(0.0, data, link)).layers)


def test_syn_values_are_wiresharks():
    f = fields_of(SYN)
    expected = {
        "ip.version": "4",
        "ip.hdr_len": "20",
        "ip.len": "60",
        "ip.id": "0x1c46",
        "ip.flags": "0x02",
        "ip.ttl": "64",
        "ip.proto": "6",
        "ip.checksum": "0x2074",
        "ip.src": "127.0.0.1",
        "tcp.srcport": "51514",
        "tcp.dstport": "43121",
        "tcp.seq_raw": "123456",
        "tcp.ack_raw": "0",
        "tcp.hdr_len": "40",
        "tcp.flags": "0x0002",
        "tcp.flags.syn": "1",
        "tcp.flags.ack": "0",
        "tcp.window_size_value": "65495",
        "tcp.checksum": "0xfc12",
        "tcp.options.mss_val": "65495",
        "tcp.options.wscale.shift": "7",
        "tcp.len": "0",
    }
    assert {k: f[k].value for k in expected} == expected
    assert f["tcp.flags"].show == "SYN"


@pytest.mark.parametrize(
    ("name", "value_bytes"),
    [
        ("ip.ttl", "40"),
        ("ip.src", "7f000001"),
        ("tcp.srcport", "c93a"),
        ("tcp.dstport", "a871"),
        ("tcp.seq_raw", "0001e240"),
        ("tcp.window_size_value", "ffd7"),
        ("tcp.checksum", "fc12"),
        ("tcp.options.mss_val", "ffd7"),
        ("tcp.options.wscale.shift", "07"),
    ],
)
def test_offsets_point_at_the_fields_bytes(name, value_bytes):
    f = fields_of(SYN)[name]
    assert SYN[f.offset : f.offset + f.length].hex() == value_bytes


def test_flag_bytes_hold_the_flags():
    f = fields_of(SYN)["tcp.flags"]
    held = int.from_bytes(SYN[f.offset : f.offset + f.length], "big") & 0x0FFF
    assert held == int(f.value, 16) == 0x002


def test_layers_tile_the_packet():
    p = dissect_packet(RawPacket(0.0, SYN))
    assert [(layer.name, layer.offset, layer.length) for layer in p.layers] == [
        ("IPv4", 0, 20),
        ("TCP", 20, 40),
    ]
    for layer in p.layers:
        for fld in layer.fields:
            assert layer.offset <= fld.offset <= fld.offset + fld.length <= len(SYN)


def test_syn_narration_quotes_the_packet():
    p = dissect_packet(RawPacket(0.0, SYN))
    assert p.summary == "TCP SYN"
    assert "127.0.0.1:51514" in p.explain and "127.0.0.1:43121" in p.explain
    assert "123456" in p.explain and "65495" in p.explain
    assert (p.src, p.dst) == ("127.0.0.1:51514", "127.0.0.1:43121")


def test_arp_over_ethernet():
    p = dissect_packet(RawPacket(0.0, ARP_REQUEST, "ethernet"))
    f = field_map(p.layers)
    assert f["eth.type"].value == "0x0806"
    assert f["eth.dst"].value == "ff:ff:ff:ff:ff:ff"
    assert f["arp.opcode"].value == "1"
    assert f["arp.src.hw_mac"].value == "02:fc:00:00:00:01"
    assert f["arp.src.proto_ipv4"].value == "192.0.2.2"
    assert f["arp.dst.proto_ipv4"].value == "192.0.2.1"
    assert ARP_REQUEST[f["arp.opcode"].offset : f["arp.opcode"].offset + 2] == b"\x00\x01"
    assert "192.0.2.1" in p.explain and "192.0.2.2" in p.explain


def test_icmp_time_exceeded_quotes_the_probe():
    p = dissect_packet(RawPacket(0.0, TIME_EXCEEDED))
    f = field_map(p.layers)
    assert f["icmp.type"].value == "11"
    assert f["ip.src"].value == "198.51.100.1"  # the outer header wins
    assert [layer.name for layer in p.layers] == ["IPv4", "ICMP", "IPv4 (quoted)", "UDP (quoted)"]
    assert p.summary == "ICMP time exceeded"
    assert "198.51.100.1" in p.explain and "time to live" in p.explain


def test_icmp_error_key_fields_are_the_routers_not_the_probes():
    from labs.dissect.narrate import outer_fields

    p = dissect_packet(RawPacket(0.0, TIME_EXCEEDED))
    outer = outer_fields(p.layers)
    assert (outer["icmp.type"].value, outer["icmp.code"].value) == ("11", "0")
    assert outer["ip.src"].value == "198.51.100.1" and outer["ip.ttl"].value == "255"
    assert "udp.length" not in outer and "udp.dstport" not in outer
    assert field_map(p.layers)["udp.dstport"].value == "33434"  # still there, quoted


def test_icmp_quoted_in_an_icmp_error_is_named_as_quoted():
    from scapy.layers.inet import ICMP, IP

    ping = bytes(IP(src="192.0.2.2", dst="203.0.113.5", ttl=1) / ICMP(id=7, seq=1))
    err = bytes(IP(src="198.51.100.1", dst="192.0.2.2") / ICMP(type=11, code=0) / ping)
    p = dissect_packet(RawPacket(0.0, err))
    assert [layer.name for layer in p.layers][1:3] == ["ICMP", "IPv4 (quoted)"]
    assert p.layers[3].name == "ICMP (quoted)"
    assert field_map(p.layers)["icmp.type"].value == "11" and p.summary == "ICMP time exceeded"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x45",
        b"\x45\x00\x01",
        SYN[:30],
        b"\x60" + b"\x00" * 10,
        b"\xff" * 40,
        SYN[:20] + b"\x01",
    ],
)
def test_garbage_never_raises(data):
    p = dissect_packet(RawPacket(0.0, data))
    assert p.hex == data.hex()
    covered = sum(layer.length for layer in p.layers if layer.name == "Data")
    assert covered <= len(data)


def test_handshake_and_refused_steps():
    from scapy.layers.inet import IP, TCP

    syn = SYN
    synack = bytes(
        IP(src="127.0.0.1", dst="127.0.0.1")
        / TCP(sport=43121, dport=51514, flags="SA", seq=9, ack=123457)
    )
    ack = bytes(
        IP(src="127.0.0.1", dst="127.0.0.1")
        / TCP(sport=51514, dport=43121, flags="A", seq=123457, ack=10)
    )
    syn2 = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / TCP(sport=51600, dport=9, flags="S", seq=5))
    rst = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / TCP(sport=9, dport=51600, flags="RA", ack=6))
    raws = [RawPacket(t, d) for t, d in enumerate([syn, synack, ack, syn2, rst])]
    trace = build_trace(
        lab="t", target="127.0.0.1:43121", capture="live", raws=raws, client="127.0.0.1"
    )
    assert [(s.name, s.packets) for s in trace.steps] == [
        ("tcp-connect", (0, 1, 2)),
        ("refused", (3, 4)),
    ]
    assert trace.steps[1].start == 3.0 and trace.steps[0].duration == 2.0
    assert "your computer (127.0.0.1:51514)" in trace.packets[0].explain
    assert "handshake is complete" in trace.packets[2].explain
    assert "nothing listens on port 9, or a firewall rejected" in trace.packets[4].explain


def test_fast_path_matches_full_scapy_dissection(monkeypatch):
    """labs.dissect.proto.fast reads common headers without scapy packets; every
    stored capture must come out the same as through scapy itself."""
    from pathlib import Path

    from labs.dissect import core as dissect
    from labs.dissect.proto import fast
    from labs.files.pcapio import read_capture

    raws = []
    for path in sorted((Path(__file__).parent / "data" / "pcaps").iterdir()):
        raws += read_capture(path)[0]
    raws += [RawPacket(0.0, d) for d in (SYN, TIME_EXCEEDED, SYN + b"\0\0\0\0")]
    quick = [dissect.dissect_all([r]) for r in raws]
    monkeypatch.setattr(fast, "parse", lambda data, link: None)
    slow = [dissect.dissect_all([r]) for r in raws]
    assert quick == slow


def test_dns_guess_rejects_other_udp():
    import random

    from labs.dissect.proto.dns import looks_like_dns

    rng = random.Random(7)
    noise = [bytes(rng.randrange(256) for _ in range(rng.randrange(64))) for _ in range(2000)]
    assert not any(looks_like_dns(b) for b in noise)
    assert not looks_like_dns(bytes(40))  # a traceroute probe's zeros
    query = bytes.fromhex("1a2b01000001000000000000") + b"\x04shop\x07example\x00\x00\x01\x00\x01"
    assert looks_like_dns(query)
    assert not looks_like_dns(query + b"junk")


def test_plaintext_inside_tls_is_read_as_http_beside_the_wire_records():
    """Packets recorded inside the tunnel share the TLS conversation's
    endpoints; build_trace reads them as HTTP, and the records still as TLS."""
    from dataclasses import replace
    from pathlib import Path

    from scapy.layers.inet import IP, TCP

    from labs.files.pcapio import read_capture

    wire, _link = read_capture(Path(__file__).parent / "data" / "pcaps" / "tls.pcap")
    first = dissect_packet(wire[0])
    client, server = first.src, first.dst
    (cip, cport), (sip, sport) = (e.rsplit(":", 1) for e in (client, server))
    request = b"GET /orders HTTP/1.1\r\nHost: shop.example\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    inside = [
        RawPacket(
            wire[-1].time + 1 + n,
            bytes(IP(src=a, dst=b) / TCP(sport=int(p), dport=int(q), flags="PA", seq=1) / data),
            origin="inside-tls",
        )
        for n, (a, p, b, q, data) in enumerate(
            [(cip, cport, sip, sport, request), (sip, sport, cip, cport, response)]
        )
    ]
    raws = [replace(r, link="raw-ip", data=r.data[14:]) for r in wire] + inside
    trace = build_trace(
        lab="t", target=server, capture="live", raws=raws, decode_as={int(sport): "tls"}
    )
    *records, get, ok = trace.packets
    assert [layer.name for layer in get.layers][-1] == "HTTP"
    assert get.summary == "HTTP GET /orders" and "200 OK" in ok.explain
    assert (get.origin, ok.origin) == ("inside-tls", "inside-tls")
    assert any(layer.name.startswith("TLS") for p in records for layer in p.layers)
    assert all(layer.name != "HTTP" for p in records for layer in p.layers)
