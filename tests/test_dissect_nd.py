"""IPv6 Neighbor Discovery options (RFC 4861 4.6), as tshark names them
(icmpv6.opt.*), compared with tshark field by field: a capture of ping -6
between two namespaces (tests/data/pcaps/ndp-options.pcap: a multicast
solicitation with the source link-layer address, the advertisement with the
target's, a unicast reachability check and an answer without an option), the
duplicate address checks with a nonce in tests/data/programs/ping.pcapng,
and a router advertisement's MTU option in a third-party capture. The
narration says which hardware address an option gives, never the frame's
sender's."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_dissect_programs
from scapy.compat import raw
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
from scapy.layers.l2 import Ether
from test_dissect_programs import TSHARK, check, tshark_json
from test_dissect_tshark import COMPARED

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.explain import explain_file
from labs.files.pcapio import read_capture

DATA = Path(__file__).parent / "data"
ND = DATA / "pcaps" / "ndp-options.pcap"
CAPTURES = [ND, DATA / "programs" / "ping.pcapng", DATA / "thirdparty" / "dpkt-nb6-http.pcap"]
OPTIONS = (
    "icmpv6.opt.type icmpv6.opt.length icmpv6.opt.linkaddr icmpv6.opt.src_linkaddr "
    "icmpv6.opt.target_linkaddr icmpv6.opt.mtu icmpv6.opt.nonce"
).split()
#: Fields without a value (tshark -T json -e prints 1 for each): compared by count.
PRESENT = ("icmpv6.opt", "icmpv6.opt.reserved")


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_options_match_tshark(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_dissect_programs, "NAMES", [*COMPARED, *OPTIONS])
    check(path, {}, {})
    monkeypatch.setattr(test_dissect_programs, "NAMES", list(PRESENT))
    theirs = tshark_json(path, False)
    ours = dissect_all(read_capture(path)[0])
    for packet, want in zip(ours, theirs, strict=True):
        have = [f.filter for layer in packet.layers for f in layer.fields]
        for name in PRESENT:
            assert have.count(name) == len(want.get(name, [])), (packet.index, name)


def test_the_options_are_read_and_said():
    trace = explain_file(ND)
    ask, answer, check_, reply = (trace.packets[i] for i in (0, 1, 4, 5))
    values = {f.filter: f.value for layer in ask.layers for f in layer.fields}
    assert values["icmpv6.opt.type"] == "1" and values["icmpv6.opt.length"] == "1"
    assert values["icmpv6.opt.src_linkaddr"] == "02:00:00:00:0a:01"
    assert ask.explain.endswith(
        "who has 2001:db8:1::2? It gives its own hardware address, 02:00:00:00:0a:01 (source "
        "link-layer address option), so the answer needs no asking back."
    )
    assert answer.explain == (
        "2001:db8:1::2 answers 2001:db8:1::1: 2001:db8:1::2 is at 02:00:00:00:0b:02 "
        "(target link-layer address option)."
    )
    assert "It gives its own hardware address, 02:00:00:00:0b:02" in check_.explain
    assert "no link-layer address option" in reply.explain
    first, second = (s for s in trace.steps if s.name == "nd")
    assert (
        "2001:db8:1::1 asks who has 2001:db8:1::2, giving its own hardware address "
        "02:00:00:00:0a:01; 2001:db8:1::2 answers: it is at 02:00:00:00:0b:02" in first.explain
    )
    assert "2001:db8:1::1 answers: it has 2001:db8:1::1, with no link-layer address option" in (
        second.explain
    )


def test_the_address_said_is_the_options_not_the_frames_sender():
    # A router answering for a neighbor (proxy ND): its own frame, the neighbor's address.
    proxy = (
        Ether(src="02:00:00:00:00:99", dst="02:00:00:00:00:0a")
        / IPv6(src="fe80::99", dst="fe80::a")
        / ICMPv6ND_NA(tgt="fe80::b", S=1, R=1, O=0)
        / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:0b")
    )
    (packet,) = dissect_all([RawPacket(0.0, raw(proxy), "ethernet")])  # type: ignore[arg-type]
    assert packet.explain == (
        "fe80::99 answers fe80::a: fe80::b is at 02:00:00:00:00:0b (target link-layer address "
        "option)."
    )
    assert "02:00:00:00:00:99" not in packet.explain
