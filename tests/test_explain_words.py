"""Step titles and sentences that must follow the packets: ARP with the
learner's own computer named as IP lines name it, a TFTP transfer as a step
of its own (titled with the file, plain waterfall labels), IPv6 Neighbor
Discovery as ARP's counterpart, and a DNS step counting its questions."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from scapy.compat import raw
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, IPv6
from scapy.layers.l2 import Ether
from test_explain_patterns import steps_of

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.tracejson import write_json
from labs.model.trace import Step, Trace

ROOT = Path(__file__).parent.parent
PROGRAMS = ROOT / "tests" / "data" / "programs"
PCAPS = ROOT / "tests" / "data" / "pcaps"


@cache
def trace_of(path: Path, client: str | None = None) -> Trace:
    return explain_file(path, client=client)


def named(trace: Trace, name: str) -> list[Step]:
    return [s for s in trace.steps if s.name == name]


def test_arp_names_your_computer_as_ip_lines_do():
    trace = trace_of(PROGRAMS / "arp.pcapng", "192.0.2.2")
    ask, answer = trace.packets[0].explain, trace.packets[1].explain
    assert ask == (
        "your computer (52:1d:ad:d2:80:53) asks everyone on the local network: "
        "who has 192.0.2.1? Tell 192.0.2.2."
    )
    assert (
        answer == "192.0.2.1 answers your computer (192.0.2.2): 192.0.2.1 is at ea:1d:6c:97:8b:00."
    )
    # The other side named as the learner's: it answers.
    other = trace_of(PROGRAMS / "arp.pcapng", "192.0.2.1").packets[1].explain
    assert other == "your computer (192.0.2.1) answers: 192.0.2.1 is at ea:1d:6c:97:8b:00."
    # Without --client, the words stay as they were.
    plain = trace_of(PROGRAMS / "arp.pcapng").packets[1].explain
    assert plain == "192.0.2.1 answers: 192.0.2.1 is at ea:1d:6c:97:8b:00."


def test_each_tftp_transfer_is_a_step_titled_with_its_file():
    trace = trace_of(PROGRAMS / "tftp.pcapng")
    # Two transfers one after the other: a step each, both shown as "tftp"
    # (inside, the second is named "tftp-next" so the two do not merge).
    assert [s.name for s in trace.steps] == ["tftp", "tftp"]
    first, second = trace.steps
    assert first.packets == tuple(range(11)) and second.packets == (11, 12, 13)
    assert first.title == "Download notes.txt over TFTP"
    assert second.title == "Download missing.txt over TFTP"
    assert first.explain.startswith(
        "11 packets: TFTP (RFC 1350): 192.0.2.2 asks 192.0.2.1 to read notes.txt;"
    )
    assert "it answers from port 53739, not 69" in first.explain
    assert "4 blocks (1,800 bytes)" in first.explain
    assert second.explain == (
        "3 packets: TFTP (RFC 1350): 192.0.2.2 asks 192.0.2.1 to read missing.txt; it answers "
        "with error 1 (File not found)."
    )
    labels = [ph.label for ph in trace.waterfall]
    assert labels == ["TFTP download notes.txt"] * 3 + ["TFTP download missing.txt"] * 2
    assert [ph.name for ph in trace.waterfall] == [
        "request", "wait", "download", "request", "wait",
    ]  # fmt: skip


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("name", ["tftp.pcapng", "dns.pcapng"])
def test_the_streamed_json_says_the_same(name, parallel, monkeypatch):
    monkeypatch.setattr(explain, "_can_fork", lambda: parallel)
    expected = io.StringIO()
    write_json(explain_file(PROGRAMS / name), expected)
    out = io.StringIO()
    write_explain_json(PROGRAMS / name, out, parallel_from=1 if parallel else 10**9)
    assert out.getvalue() == expected.getvalue()


MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
A6, B6 = "fe80::a", "fe80::b"


def test_neighbor_discovery_is_ipv6_arp():
    ask = (
        Ether(src=MAC_A, dst="33:33:ff:00:00:0b")
        / IPv6(src=A6, dst="ff02::1:ff00:b")
        / ICMPv6ND_NS(tgt=B6)
    )
    answer = (
        Ether(src=MAC_B, dst=MAC_A)
        / IPv6(src=B6, dst=A6)
        / ICMPv6ND_NA(tgt=B6, S=1, R=0)
        / ICMPv6NDOptDstLLAddr(lladdr=MAC_B)
    )
    dad = (
        Ether(src=MAC_A, dst="33:33:ff:00:00:0c")
        / IPv6(src="::", dst="ff02::1:ff00:c")
        / ICMPv6ND_NS(tgt="fe80::c")
    )
    (only,) = steps_of([ask, answer, dad], "ethernet")
    assert only.name == "nd" and only.title == "Find the hardware address (IPv6 Neighbor Discovery)"
    assert only.explain == (
        "3 packets: Neighbor Discovery (RFC 4861), IPv6's ARP: a machine asks the local network "
        "which hardware (MAC) address has an IPv6 address (neighbor solicitation), and the owner "
        "answers (neighbor advertisement). fe80::a asks who has fe80::b; fe80::b answers: it is "
        "at 02:00:00:00:00:0b; a machine checks that nobody else uses fe80::c (duplicate address "
        "detection, RFC 4862); no answer came."
    )
    packets = dissect_all(
        RawPacket(0.0, raw(p), "ethernet")  # type: ignore[arg-type]
        for p in (ask, answer, dad)
    )
    assert packets[0].explain == (
        "fe80::a asks the local network, by multicast to the solicited-node group of fe80::b "
        "(ff02::1:ff00:b): who has fe80::b?"
    )
    assert packets[1].explain == (
        "fe80::b answers fe80::a: fe80::b is at 02:00:00:00:00:0b (target link-layer address option)."
    )
    assert packets[2].explain == (
        "A machine checks that nobody else uses fe80::c: it asks who has it, from the "
        "unspecified address :: (duplicate address detection)."
    )


def test_neighbor_discovery_in_a_capture_is_its_own_step():
    trace = trace_of(PCAPS / "frag-nd.pcap")
    (nd,) = named(trace, "nd")
    assert nd.packets == (4, 5)
    # No target link-layer address option: the frame's sender is not said to be it.
    assert "fe80::1 says, unasked, that it has fe80::1, with no link-layer address option" in (
        nd.explain
    )
    assert "fe80::1 asks who has fe80::2; no answer came." in nd.explain


def test_a_dns_step_counts_its_questions():
    first = trace_of(PROGRAMS / "dns.pcapng").steps[0]
    assert first.explain == (
        "10 packets of DNS (RFC 1035): 5 questions (A shop.example, AAAA shop.example, "
        "MX shop.example, TXT shop.example, A nothere.example) and their 5 answers (1 of them "
        "NXDOMAIN); 5 lookups, each answered in 91 µs to 14.1 ms: most of the step's 356 ms is "
        "time between them."
    )
    two = trace_of(PCAPS / "dns.pcap").steps[0]
    assert two.explain == (
        "4 packets of DNS (RFC 1035): 2 questions (A shop.example, A nope.example) and their "
        "2 answers (1 of them NXDOMAIN); 2 lookups, each answered in 459 µs to 1.3 ms."
    )
    one = trace_of(PCAPS / "edns.pcap").steps[0]
    assert (
        one.explain
        == "1 packet of DNS (RFC 1035): a question (A example.com); no answer in this step."
    )
