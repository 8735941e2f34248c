"""Patterns `tutor explain` names from the packets alone (labs.dissect.patterns):
a traceroute's hops, ARP resolution, a DHCP lease and a port scan, on the
captures of the real programs (tests/make_program_pcaps.sh) and on packets
built here for what those captures lack (an unanswered hop, IPv6, a NAK);
the streamed --json path must say the same, and ordinary traffic must keep
its steps."""

from __future__ import annotations

import io
import json
import re
from functools import cache
from pathlib import Path

import pytest

# Only the scapy layers the product itself loads: `scapy.all` binds more (PPPoE,
# BOOTP, ...) for the rest of the test process, and later dissections would
# read frames through scapy's bindings that tutor reads its own way for a user.
from scapy.compat import raw
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6TimeExceeded,
    IPv6,
)
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.dissect.steps import classify, default_steps, view
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.streamjson import _CODE, BEGINS, _steps
from labs.files.tracejson import write_json
from labs.model.trace import Step, Trace
from tutor.waterfall_text import rows

ROOT = Path(__file__).parent.parent
PROGRAMS = ROOT / "tests" / "data" / "programs"
CAPTURES = ("traceroute", "arp", "dhcp", "scan")


@cache
def trace_of(name: str) -> Trace:
    return explain_file(PROGRAMS / f"{name}.pcapng")


def step(trace: Trace, name: str) -> Step:
    found = [s for s in trace.steps if s.name == name]
    assert len(found) == 1, [s.name for s in trace.steps]
    return found[0]


def steps_of(packets: list[object], link: str = "raw-ip") -> tuple[Step, ...]:
    raws = [RawPacket(i * 0.001, raw(p), link) for i, p in enumerate(packets)]  # type: ignore[arg-type]
    views = [view(p) for p in dissect_all(raws)]
    names, starts = classify(views)
    codes = bytearray(_CODE[n] | (BEGINS if i in starts else 0) for i, n in enumerate(names))
    streamed = tuple(_steps(iter(views), codes))
    listed = default_steps(dissect_all(raws))
    assert streamed == listed  # the streamed path says the same
    return listed


def test_traceroute_names_each_hop_for_each_kind_of_probe():
    trace = trace_of("traceroute")
    assert [s.name for s in trace.steps] == [
        "other", "arp", "traceroute-udp", "traceroute-icmp", "traceroute-tcp", "other",
    ]  # fmt: skip
    for name, probes in (("traceroute-udp", "16 UDP datagrams to ports 33434-33449 with TTL 1 to 16"),
                         ("traceroute-icmp", "18 ICMP echo requests with TTL 1 to 18"),
                         ("traceroute-tcp", "18 TCP SYNs to port 80 with TTL 1 to 18")):  # fmt: skip
        text = step(trace, name).explain
        assert f"198.51.100.2 traces the route to 192.0.2.1: it sends {probes}," in text
        hops = re.findall(
            r"[Hh]op (\d+) is (router|the destination) ([\d.]+) \((\d+\.\d+) ms\)", text
        )
        assert [h[:3] for h in hops] == [
            ("1", "router", "198.51.100.1"),
            ("2", "router", "203.0.113.2"),
            ("3", "the destination", "192.0.2.1"),
        ]
        assert all(0 < float(h[3]) < 1 for h in hops)
    # Every probe and answer is in a traceroute step, from the first UDP probe to the last RST.
    assert step(trace, "traceroute-udp").packets[0] == 6
    assert step(trace, "traceroute-tcp").packets[-1] == 117


def test_arp_says_who_asks_and_the_answer():
    trace = trace_of("arp")
    assert [s.name for s in trace.steps] == ["arp"]
    assert (
        "192.0.2.2 asks who has 192.0.2.1 (3 times); 192.0.2.1 answers: it is at ea:1d:6c:97:8b:00."
        in trace.steps[0].explain
    )


def test_dhcp_names_the_address_the_server_and_the_lease():
    trace = trace_of("dhcp")
    assert [s.name for s in trace.steps] == ["dhcp"]
    text = trace.steps[0].explain
    assert text.startswith("4 packets: The computer de:1d:6f:0a:7d:60 asks for an address by DHCP.")
    assert "Offer: server 192.0.2.1 offers 192.0.2.61 for 1 hour" in text
    assert "ACK: server 192.0.2.1 leases 192.0.2.61 for 1 hour." in text


def test_scan_says_which_ports_are_open_and_closed():
    trace = trace_of("scan")
    assert [s.name for s in trace.steps] == ["arp", "scan"]
    scan = step(trace, "scan")
    assert scan.packets == tuple(range(4, 206))
    assert "192.0.2.2 probes 100 TCP ports of 192.0.2.1 with SYNs" in scan.explain
    assert "Open (answered SYN-ACK): 22, 80." in scan.explain
    assert "Closed (answered RST): 98 ports: 1-21, 23-79, 81-100." in scan.explain
    assert "No answer (filtered): none." in scan.explain


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("name", CAPTURES)
def test_the_streamed_json_says_the_same(name, parallel, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(explain, "_can_fork", lambda: parallel)
    path = f"tests/data/programs/{name}.pcapng"
    expected = io.StringIO()
    write_json(explain_file(path), expected)
    out = io.StringIO()
    write_explain_json(path, out, parallel_from=1 if parallel else 10**9)
    assert out.getvalue() == expected.getvalue()


def test_an_http_capture_keeps_its_steps():
    golden = json.loads((ROOT / "tests/data/golden/explain/http.pcap.json").read_text())
    trace = explain_file(ROOT / "tests/data/pcaps/http.pcap")
    assert [s.name for s in trace.steps] == [s["name"] for s in golden["steps"]]
    assert [s.explain for s in trace.steps] == [s["explain"] for s in golden["steps"]]


def test_the_waterfall_draws_a_traceroute_as_one_row_per_step():
    lines = rows(trace_of("traceroute"))
    assert not any("UDP 32 bytes" in line or "echo request" in line for line in lines)
    assert [line for line in lines if not line.startswith(" ")] == [
        "1. Trace the route (UDP probes): 8 answered probes, in one bar",
        "2. Trace the route (ICMP echo probes): 18 answered probes, in one bar",
        "3. Trace the route (TCP SYN probes): 2 answered probes, 16 handshakes, in one bar",
    ]


C6, R6, D6 = "2001:db8:1::2", "2001:db8:1::1", "2001:db8:2::1"


def test_an_ipv6_hop_with_no_answer_is_a_star():
    probes = [
        IPv6(src=C6, dst=D6, hlim=n) / UDP(sport=40000 + n, dport=33433 + n) / b"x"
        for n in (1, 2, 3)
    ]
    packets = [
        probes[0], IPv6(src=R6, dst=C6) / ICMPv6TimeExceeded() / probes[0],
        probes[1], probes[2], IPv6(src=D6, dst=C6) / ICMPv6DestUnreach(code=4) / probes[2],
    ]  # fmt: skip
    (only,) = steps_of(packets)
    assert only.name == "traceroute-udp"
    assert "it sends 3 UDP datagrams to ports 33434-33436 with hop limit 1 to 3" in only.explain
    assert (
        f"Hop 1 is router {R6} (1.0 ms); hop 2 is * (no answer); hop 3 is the destination {D6} (1.0 ms)."
        in only.explain
    )


def test_a_traceroute_that_never_arrives_says_so():
    probes = [IP(src="10.0.0.2", dst="10.9.9.9", ttl=n) / ICMP(id=7, seq=n) for n in (1, 2, 3)]
    te = IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=11) / probes[0]
    (only,) = steps_of([probes[0], te, probes[1], probes[2]])
    assert only.name == "traceroute-icmp"
    assert "Hop 1 is router 10.0.0.1 (1.0 ms); hops 2-3 are * (no answer)." in only.explain
    assert "The destination did not answer within 3 hops." in only.explain


def test_a_plain_time_exceeded_is_no_traceroute():
    sent = IP(src="10.0.0.2", dst="10.9.9.9", ttl=64) / UDP(sport=5000, dport=53) / b"q"
    te = IP(src="10.0.0.1", dst="10.0.0.2") / ICMP(type=11) / sent
    assert [s.name for s in steps_of([sent, te])] == ["data", "other"]


MAC_C, MAC_S = "02:00:00:00:00:02", "02:00:00:00:00:01"


def test_an_unanswered_arp_request_says_so():
    ask = Ether(src=MAC_C, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=MAC_C, psrc="192.0.2.2", pdst="192.0.2.9"
    )
    (only,) = steps_of([ask, ask], link="ethernet")
    assert only.name == "arp"
    assert "192.0.2.2 asks who has 192.0.2.9 (2 times); no answer came." in only.explain


_DHCP_TYPES = {"request": 3, "nak": 6}


def _dhcp(kind: str, src: str, dst: str, **options: str) -> object:
    """A DHCP message written byte by byte (RFC 2131: the BOOTP header, the
    magic cookie, then options), so scapy's DHCP layer is never loaded."""
    codes = {"requested_addr": 50, "server_id": 54}
    opts = bytes([53, 1, _DHCP_TYPES[kind]])
    for name, address in options.items():
        opts += bytes([codes[name], 4]) + bytes(int(x) for x in address.split("."))
    client = src == "0.0.0.0"
    header = (
        bytes([1 if client else 2, 1, 6, 0]) + (0x1234).to_bytes(4, "big") + bytes(20)
        + bytes.fromhex(MAC_C.replace(":", "")).ljust(16, b"\0") + bytes(192)
    )  # fmt: skip
    body = header + bytes.fromhex("63825363") + opts + b"\xff"
    return (
        Ether(src=MAC_C) / IP(src=src, dst=dst)
        / UDP(sport=68 if client else 67, dport=67 if client else 68) / Raw(body)
    )  # fmt: skip


def test_a_refused_dhcp_request_says_nak():
    packets = [
        _dhcp("request", "0.0.0.0", "255.255.255.255", requested_addr="198.51.100.7"),
        _dhcp("nak", "192.0.2.1", "255.255.255.255", server_id="192.0.2.1"),
    ]
    (only,) = steps_of(packets, link="ethernet")
    assert only.name == "dhcp"
    assert "Request: it asks for 198.51.100.7; NAK: server 192.0.2.1 refuses" in only.explain


def _syns(ports: range) -> list[object]:
    out: list[object] = []
    for p in ports:
        out.append(
            IP(src="10.0.0.2", dst="10.0.0.1", ttl=50) / TCP(sport=40000, dport=p, flags="S")
        )
        out.append(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=p, dport=40000, flags="RA"))
    return out


def test_four_ports_are_no_scan_five_are():
    assert "scan" not in {s.name for s in steps_of(_syns(range(20, 24)))}
    assert [s.name for s in steps_of(_syns(range(20, 25)))] == ["scan"]


def test_dns_replies_to_many_client_ports_are_no_scan():
    packets: list[object] = []
    for n in range(12):
        packets.append(
            IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=41000 + n, dport=9999) / b"ping"
        )
        packets.append(
            IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=9999, dport=41000 + n) / b"pong"
        )
    assert {s.name for s in steps_of(packets)} == {"data"}


def test_an_ipv6_echo_traceroute_reads_the_quoted_echo():
    probes = [IPv6(src=C6, dst=D6, hlim=n) / ICMPv6EchoRequest(id=9, seq=n) for n in (1, 2)]
    packets = [
        probes[0], IPv6(src=R6, dst=C6) / ICMPv6TimeExceeded() / probes[0],
        probes[1], IPv6(src=D6, dst=C6) / ICMPv6EchoReply(id=9, seq=2),
    ]  # fmt: skip
    (only,) = steps_of(packets)
    assert only.name == "traceroute-icmp"
    assert f"Hop 1 is router {R6} (1.0 ms); hop 2 is the destination {D6} (1.0 ms)." in only.explain
