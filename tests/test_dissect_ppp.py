"""PPPoE (discovery and session), PPP's LCP and IPCP, L2TP, and a UDP
payload quoted in an ICMP error, read from frames built here byte by byte
(the real captures in tests/data/thirdparty have no discovery, no
configuration and no AVP beyond a Hello): every field compared with
tshark's as tests/test_dissect_programs.py compares a capture, and the
plain Ethernet/IPv4 path shown never to reach the PPP readers."""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

import pytest
from test_dissect_programs import TSHARK, check

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.dissect.proto import l2tp, ppp
from labs.files.pcapio import read_capture, write_pcap

AC, HOST = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")
COOKIE, UNIQ = bytes(range(8)), bytes.fromhex("deadbeef")


def _eth(dst: bytes, src: bytes, etype: int, body: bytes) -> bytes:
    frame = dst + src + struct.pack("!H", etype) + body
    return frame + bytes(max(0, 60 - len(frame)))


def _pppoe(code: int, session: int, body: bytes) -> bytes:
    return struct.pack("!BBHH", 0x11, code, session, len(body)) + body


def _tag(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value


def _control(proto: int, code: int, ident: int, body: bytes) -> bytes:
    return struct.pack("!HBBH", proto, code, ident, 4 + len(body)) + body


def _opt(kind: int, value: bytes) -> bytes:
    return bytes([kind, 2 + len(value)]) + value


def _ipv4(src: str, dst: str, proto: int, body: bytes) -> bytes:
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0, 64, proto, 0,
                       bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))  # fmt: skip
    words = sum(struct.unpack("!10H", head))
    while words >> 16:
        words = (words & 0xFFFF) + (words >> 16)
    return head[:10] + struct.pack("!H", ~words & 0xFFFF) + head[12:] + body


def _ipv6(src: str, dst: str, proto: int, body: bytes) -> bytes:
    ends = ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
    return struct.pack("!IHBB", 0x60000000, len(body), proto, 64) + ends + body


def _udp(sport: int, dport: int, body: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body


def _avp(kind: int, value: bytes) -> bytes:
    return struct.pack("!HHH", 0x8000 | (6 + len(value)), 0, kind) + value


QUERY = bytes.fromhex("1234010000010000000000000474657374076578616d706c650000010001")
LCP_OPTS = _opt(1, struct.pack("!H", 1492)) + _opt(3, b"\xc0\x23") + _opt(5, b"\x12\x34\x56\x78")
ASK = _opt(3, bytes(4)) + _opt(129, bytes(4)) + _opt(131, bytes(4))
GIVE = _opt(3, bytes([198, 51, 100, 7])) + _opt(129, bytes([198, 51, 100, 1]))
SCCRQ = _avp(0, b"\x00\x01") + _avp(2, b"\x01\x00") + _avp(7, b"lac")


def frames() -> list[bytes]:
    session = 0x0042
    return [
        _eth(b"\xff" * 6, HOST, 0x8863, _pppoe(0x09, 0, _tag(0x0101, b"") + _tag(0x0103, UNIQ))),
        _eth(HOST, AC, 0x8863, _pppoe(0x07, 0, _tag(0x0102, b"tutor-ac") + _tag(0x0101, b"")
             + _tag(0x0104, COOKIE) + _tag(0x0103, UNIQ))),
        _eth(AC, HOST, 0x8863, _pppoe(0x19, 0, _tag(0x0101, b"isp") + _tag(0x0104, COOKIE))),
        _eth(HOST, AC, 0x8863, _pppoe(0x65, session, _tag(0x0101, b"isp"))),
        _eth(AC, HOST, 0x8864, _pppoe(0, session, _control(0xC021, 1, 1, LCP_OPTS))),
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0xC021, 2, 1, LCP_OPTS))),
        _eth(AC, HOST, 0x8864, _pppoe(0, session, _control(0x8021, 1, 2, ASK))),
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0x8021, 3, 2, GIVE))),
        _eth(AC, HOST, 0x8864, _pppoe(0, session, _control(0xC021, 9, 3, b"\x12\x34\x56\x78"))),
        _eth(AC, HOST, 0x8864, _pppoe(0, session, b"\x00\x21" + _ipv4(
            "198.51.100.7", "198.51.100.1", 17, _udp(40000, 53, QUERY)))),
        _eth(AC, HOST, 0x8864, _pppoe(0, session, _control(0xC021, 5, 4, b"bye"))),
        _eth(HOST, AC, 0x8863, _pppoe(0xA7, session, b"")),
        # A provider's VLAN tag (35) before PPPoE, and a PPP frame carrying IPv6.
        _eth(AC, HOST, 0x8100, b"\x00\x23\x88\x64" + _pppoe(0, session, b"\x00\x57" + _ipv6(
            "2001:db8::2", "2001:db8::1", 17, _udp(40003, 53, QUERY)))),
        # L2TP: a tunnel opened, then a PPP frame carrying a DNS query through it.
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(1701, 1701, struct.pack(
            "!HHHHHH", 0xC802, 12 + len(SCCRQ), 0, 0, 0, 0) + SCCRQ))),
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(1701, 1701, struct.pack(
            "!HHH", 0x0002, 7, 9) + b"\xff\x03\x00\x21" + _ipv4(
            "10.0.0.2", "10.0.0.1", 17, _udp(40001, 53, QUERY))))),
        # The DNS server's port is closed: the ICMP error quotes the query.
        _eth(HOST, AC, 0x0800, _ipv4("192.0.2.2", "192.0.2.1", 1, b"\x03\x03\x00\x00\x00\x00\x00\x00"
             + _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(40002, 53, QUERY)))),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ppp") / "ppp.pcap"
    write_pcap([RawPacket(1.7e9 + i, f, "ethernet") for i, f in enumerate(frames())], path)
    return path


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_every_field_matches_tshark(capture: Path) -> None:
    tallies = check(capture, {}, {})
    # Nothing left undecoded, and the PPP family's own fields among those compared.
    assert all(t.equal == t.compared >= 250 for t in tallies.values())


def test_layers_and_explanations(capture: Path) -> None:
    raws, _link = read_capture(capture)
    packets = dissect_all(raws)
    names = [[lay.name for lay in p.layers] for p in packets]
    assert names[0] == ["Ethernet", "PPPoE Discovery", "Padding"]
    assert names[4] == ["Ethernet", "PPPoE Session", "PPP", "PPP Link Control Protocol", "Padding"]
    assert names[9][:6] == ["Ethernet", "PPPoE Session", "PPP", "IPv4", "UDP", "DNS"]
    assert names[14] == ["Ethernet", "IPv4", "UDP", "L2TP", "PPP", "IPv4", "UDP", "DNS"]
    assert names[12][:6] == ["Ethernet", "802.1Q VLAN", "PPPoE Session", "PPP", "IPv6", "UDP"]
    assert names[15][-3:] == ["IPv4 (quoted)", "UDP (quoted)", "DNS (quoted)"]
    # The narration's lines, and a frame with no IP header named by its MAC addresses.
    summaries = [p.summary for p in packets]
    assert summaries[1] == "PPPoE PADO" and summaries[4] == "PPP LCP Configuration Request"
    assert summaries[7] == "PPP IPCP Configuration Nak" and summaries[9].startswith("DNS query")
    assert summaries[13] == "L2TP Start_Control_Request"
    assert packets[0].explain.startswith("02:00:00:00:00:01 sends ff:ff:ff:ff:ff:ff a PPPoE")
    # A tunnelled packet belongs to the tunnel's conversation (its UDP datagram).
    assert (packets[14].src, packets[14].dst) == ("192.0.2.1:1701", "192.0.2.2:1701")
    said = {
        f.filter: f.explain
        for p in packets
        for lay in p.layers
        for f in lay.fields
        if f.filter and f.filter.split(".")[0] in ("pppoe", "pppoed", "ppp", "lcp", "ipcp", "l2tp")
    }
    for name in ("pppoe.code", "pppoe.session_id", "ppp.protocol", "ppp.code", "lcp.magic_number",
                 "ipcp.opt.ip_address", "l2tp.type", "l2tp.tunnel", "l2tp.avp.message_type"):  # fmt: skip
        assert said[name], name
    assert "Start_Control_Request" in said["l2tp.avp.message_type"]


def test_plain_ethernet_never_reaches_the_ppp_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("a PPP reader on the common path")

    monkeypatch.setattr(ppp, "pppoe", refuse)
    monkeypatch.setattr(l2tp, "dissect", refuse)
    raws, _link = read_capture(Path(__file__).parent / "data" / "thirdparty" / "dpkt-http.pcap")
    packets = dissect_all(raws)
    assert packets and all(p.layers[0].name == "Ethernet" for p in packets)
