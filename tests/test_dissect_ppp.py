"""PPPoE (discovery and session, on Ethernet and in a Linux cooked
capture), PPP's LCP, IPCP, PAP and CHAP, L2TP versions 2 and 3 (on UDP and
on IP), and a UDP payload quoted in an ICMP error, read from frames built
here byte by byte (the real captures in tests/data/thirdparty have no
discovery, no configuration, no login and no AVP beyond a Hello): every
field compared with tshark's as tests/test_dissect_programs.py compares a
capture, and the plain Ethernet/IPv4 path shown never to reach the PPP
readers. Also: PAP's password is a secret (masked), a packet in an L2TP
tunnel is narrated by what it is, and link keep-alives (LCP echo, L2TP
Hello and ZLB) are no exchange of the timing waterfall."""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

import pytest
import test_dissect_programs as programs
from test_dissect_programs import TSHARK, check

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.dissect.proto import l2tp, l2tp3, ppp
from labs.files.explain import explain_file
from labs.files.pcapio import read_capture, write_pcap
from labs.model.trace import MASK, dumps, masked
from labs.model.waterfall import waterfall

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
PASSWORD = b"s3cret-pw"
PAP_REQUEST = _control(0xC023, 1, 5, bytes([4]) + b"anna" + bytes([len(PASSWORD)]) + PASSWORD)
#: Fields of PAP, CHAP, L2TPv3, the Linux cooked header and plain data, compared here too.
MORE = """pap.code pap.identifier pap.length pap.peer_id.length pap.peer_id pap.password.length
pap.password pap.message.length pap.message chap.code chap.identifier chap.length chap.value_size
chap.value chap.name chap.message l2tp.ccid l2tp.sid l2tp.res sll.pkttype sll.hatype sll.halen
sll.etype data.data data.len""".split()


def _l2tp2(body: bytes, flags: int = 0x0002, ids: tuple[int, int] = (7, 9)) -> bytes:
    """An L2TPv2 message (no length, no sequence numbers) in UDP 1701 between two routers."""
    head = struct.pack("!HHH", flags, *ids)
    return _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(1701, 1701, head + body))


def _l2tp3_control(ccid: int, ns: int, body: bytes) -> bytes:
    return struct.pack("!HHIHH", 0xC803, 12 + len(body), ccid, ns, 0) + body


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
        # 16-18: PAP, the password in clear text, accepted, then a refused try.
        _eth(AC, HOST, 0x8864, _pppoe(0, session, PAP_REQUEST)),
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0xC023, 2, 5, b"\x07welcome"))),
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0xC023, 3, 6, b"\x04nope"))),
        # 19-22: CHAP: challenge, response (a hash), success, a failure without message.
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0xC223, 1, 7, b"\x04\x01\x02\x03\x04isp-ac"))),
        _eth(AC, HOST, 0x8864, _pppoe(0, session, _control(0xC223, 2, 7, b"\x10" + bytes(range(16))
             + b"anna"))),
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0xC223, 3, 7, b"Access granted"))),
        _eth(HOST, AC, 0x8864, _pppoe(0, session, _control(0xC223, 4, 8, b""))),
        # 23-25: L2TPv3 on UDP: a tunnel asked for, acknowledged (ZLB), a session's data.
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(1701, 1701,
             _l2tp3_control(0, 0, SCCRQ)))),
        _eth(HOST, AC, 0x0800, _ipv4("192.0.2.2", "192.0.2.1", 17, _udp(1701, 1701,
             _l2tp3_control(0x1234, 1, b"")))),
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(1701, 1701, struct.pack(
             "!HHI", 0x0003, 0, 0x5678) + b"\xff\x03\x00\x21" + _ipv4("10.0.0.2", "10.0.0.1", 17,
             _udp(40001, 53, QUERY))))),
        # 26-27: L2TPv3 straight on IP (protocol 115): a control message (session 0), data.
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 115, bytes(4)
             + _l2tp3_control(0, 0, SCCRQ))),
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 115, struct.pack("!I", 0x5678)
             + _ipv4("10.0.0.2", "10.0.0.1", 17, _udp(40001, 53, QUERY)))),
    ]  # fmt: skip


def _sll(pkttype: int, proto: int, body: bytes) -> bytes:
    """A Linux cooked (v1) header: packet type, ARPHRD_ETHER, the sender's address."""
    sender = HOST if pkttype == 4 else AC
    return struct.pack("!HHH8sH", pkttype, 1, 6, sender + bytes(2), proto) + body


def cooked_frames() -> list[bytes]:
    """PPPoE as `tcpdump -i any` (or a PPPoE client's own capture) saves it."""
    session = 0x0042
    return [
        _sll(4, 0x8863, _pppoe(0x09, 0, _tag(0x0101, b"") + _tag(0x0103, UNIQ))),
        _sll(0, 0x8863, _pppoe(0x07, 0, _tag(0x0102, b"tutor-ac") + _tag(0x0104, COOKIE))),
        _sll(0, 0x8864, _pppoe(0, session, _control(0xC021, 1, 1, LCP_OPTS))),
        _sll(4, 0x8864, _pppoe(0, session, PAP_REQUEST)),
        _sll(0, 0x8864, _pppoe(0, session, _control(0xC223, 1, 7, b"\x04\x01\x02\x03\x04isp-ac"))),
        _sll(4, 0x8864, _pppoe(0, session, _control(0xC021, 9, 3, b"\x12\x34\x56\x78"))),
        _sll(4, 0x8864, _pppoe(0, session, b"\x00\x21" + _ipv4(
            "198.51.100.7", "198.51.100.1", 17, _udp(40000, 53, QUERY)))),
        _sll(4, 0x8100, b"\x00\x23\x88\x64" + _pppoe(0, session, b"\x00\x57" + _ipv6(
            "2001:db8::2", "2001:db8::1", 17, _udp(40003, 53, QUERY)))),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ppp") / "ppp.pcap"
    write_pcap([RawPacket(1.7e9 + i, f, "ethernet") for i, f in enumerate(frames())], path)
    return path


@pytest.fixture(scope="module")
def cooked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ppp") / "ppp-sll.pcap"
    write_pcap([RawPacket(1.7e9 + i, f, "linux-sll") for i, f in enumerate(cooked_frames())], path)
    return path


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize(("name", "least"), [("capture", 450), ("cooked", 150)])
def test_every_field_matches_tshark(
    name: str, least: int, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(programs, "NAMES", list(dict.fromkeys([*programs.NAMES, *MORE])))
    tallies = check(request.getfixturevalue(name), {}, {})
    # Nothing left undecoded, and the PPP family's own fields among those compared.
    assert all(t.equal == t.compared >= least for t in tallies.values())
    if name == "capture":
        raws, _link = read_capture(request.getfixturevalue(name))
        got = {f.filter for p in dissect_all(raws) for lay in p.layers for f in lay.fields}
        assert set(MORE) - got == {"sll.pkttype", "sll.hatype", "sll.halen", "sll.etype"}


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


def test_logins_and_l2tpv3_are_narrated(capture: Path) -> None:
    raws, _link = read_capture(capture)
    packets = dissect_all(raws)
    names = [[lay.name for lay in p.layers] for p in packets]
    assert names[16][3] == "PPP Password Authentication Protocol"
    assert names[19][3] == "PPP Challenge Handshake Authentication Protocol"
    assert names[25] == ["Ethernet", "IPv4", "UDP", "L2TPv3", "Data"]
    assert names[26] == ["Ethernet", "IPv4", "L2TPv3"]  # on IP, session 0: control
    assert names[27] == ["Ethernet", "IPv4", "L2TPv3", "Data"]
    summaries = [p.summary for p in packets[16:28]]
    assert summaries == [
        "PPP PAP Authenticate-Request", "PPP PAP Authenticate-Ack", "PPP PAP Authenticate-Nak",
        "PPP CHAP Challenge", "PPP CHAP Response", "PPP CHAP Success", "PPP CHAP Failure",
        "L2TPv3 Start_Control_Request", "L2TPv3 ZLB", "L2TPv3 data (session 0x00005678)",
        "L2TPv3 Start_Control_Request", "L2TPv3 data (session 0x00005678)",
    ]  # fmt: skip
    assert "from anna" in packets[16].explain and "clear text" in packets[16].explain
    assert "password itself never crosses" in packets[20].explain
    assert "pseudowire type" in packets[27].explain


def test_a_tunnelled_packet_is_narrated_by_what_it_carries(capture: Path) -> None:
    """As Wireshark's Info column names the innermost protocol: the DNS
    query, between its own ends, then the tunnel that carries it."""
    raws, _link = read_capture(capture)
    packet = dissect_all(raws)[14]
    assert packet.summary == "DNS query A test.example"
    assert packet.explain.startswith(
        "10.0.0.2:40001 sends 10.0.0.1:53 a UDP datagram carrying 30 bytes of data"
    )
    assert "inside the L2TP tunnel from 192.0.2.1:1701 to 192.0.2.2:1701 (tunnel 7, session 9)" in (
        packet.explain
    )


def test_pap_password_is_a_secret(capture: Path) -> None:
    trace = explain_file(capture)
    found = [
        f
        for p in trace.packets
        for lay in p.layers
        for f in lay.fields
        if f.filter == "pap.password"
    ]
    assert [(f.value, f.secret) for f in found] == [(PASSWORD.decode(), True)]
    assert not any(PASSWORD.decode() in p.summary + p.explain for p in trace.packets)
    hidden = dumps(masked(trace))
    assert PASSWORD.decode() not in hidden and PASSWORD.hex() not in hidden and MASK in hidden
    assert PASSWORD.decode() in dumps(trace)  # what --show-secrets shows


def test_pppoe_in_a_linux_cooked_capture(cooked: Path) -> None:
    raws, link = read_capture(cooked)
    packets = dissect_all(raws)
    assert link == "linux-sll"
    assert [lay.name for lay in packets[0].layers] == ["Linux cooked capture", "PPPoE Discovery"]
    assert [p.summary for p in packets[:6]] == [
        "PPPoE PADI", "PPPoE PADO", "PPP LCP Configuration Request",
        "PPP PAP Authenticate-Request", "PPP CHAP Challenge", "PPP LCP Echo Request",
    ]  # fmt: skip
    # The cooked header keeps the sender's address only (cut to its 6 bytes), and who received it.
    assert (packets[0].src, packets[0].dst) == ("02:00:00:00:00:01", "the other end of the link")
    assert (packets[1].src, packets[1].dst) == ("02:00:00:00:00:02", "this host")
    assert packets[6].summary.startswith("DNS query") and packets[6].src == "198.51.100.7:40000"
    assert packets[7].layers[1].name.startswith("802.1Q") and packets[7].dst == "[2001:db8::1]:53"


ANSWER = bytes.fromhex(
    "1234818000010001000000000474657374076578616d706c650000010001c00c000100010000003c0004c0000235"
)


def _in_tunnel(body: bytes, back: bool = False) -> bytes:
    """An L2TPv2 message in UDP 1701 between the two routers, either way."""
    a, b = ("192.0.2.2", "192.0.2.1") if back else ("192.0.2.1", "192.0.2.2")
    return _eth(
        HOST if back else AC, AC if back else HOST, 0x0800, _ipv4(a, b, 17, _udp(1701, 1701, body))
    )


def _ppp_in_tunnel(frame: bytes, back: bool = False) -> bytes:
    return _in_tunnel(struct.pack("!HHH", 0x0002, 7, 9) + b"\xff\x03" + frame, back)


def test_keepalives_are_no_exchange_of_the_waterfall() -> None:
    """LCP echoes (in the tunnel and on PPPoE), an L2TP Hello and its ZLB
    keep the link up: no request and answer. The DNS lookup the tunnel
    carries is one, and a plain datagram and its answer still pair."""
    magic = b"\x12\x34\x56\x78"
    built = [
        _ppp_in_tunnel(_control(0xC021, 9, 1, magic)),
        _ppp_in_tunnel(_control(0xC021, 10, 1, magic), back=True),
        _in_tunnel(struct.pack("!HHHHHH", 0xC802, 20, 7, 0, 1, 0) + _avp(0, b"\x00\x06")),
        _in_tunnel(struct.pack("!HHHHHH", 0xC802, 12, 7, 0, 0, 2), back=True),
        _eth(AC, HOST, 0x8864, _pppoe(0, 0x42, _control(0xC021, 9, 2, magic))),
        _eth(HOST, AC, 0x8864, _pppoe(0, 0x42, _control(0xC021, 10, 2, magic))),
        _ppp_in_tunnel(b"\x00\x21" + _ipv4("10.0.0.2", "10.0.0.1", 17, _udp(40001, 53, QUERY))),
        _ppp_in_tunnel(b"\x00\x21" + _ipv4("10.0.0.1", "10.0.0.2", 17, _udp(53, 40001, ANSWER)), back=True),
        _eth(AC, HOST, 0x0800, _ipv4("192.0.2.1", "192.0.2.2", 17, _udp(40010, 7, b"ping"))),
        _eth(HOST, AC, 0x0800, _ipv4("192.0.2.2", "192.0.2.1", 17, _udp(7, 40010, b"ping"))),
    ]  # fmt: skip
    packets = dissect_all([RawPacket(1.7e9 + i / 10, f, "ethernet") for i, f in enumerate(built)])
    assert [p.summary for p in packets[:4]] == [
        "PPP LCP Echo Request", "PPP LCP Echo Reply", "L2TP Hello", "L2TP ZLB",
    ]  # fmt: skip
    rows = {(phase.label, phase.name, phase.packets) for phase in waterfall(packets)}
    assert rows == {("DNS A test.example", "dns", (6, 7)), ("UDP 4 bytes", "answer", (8, 9))}


def test_plain_ethernet_never_reaches_the_ppp_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("a PPP reader on the common path")

    monkeypatch.setattr(ppp, "pppoe", refuse)
    monkeypatch.setattr(l2tp, "dissect", refuse)
    monkeypatch.setattr(l2tp3, "dissect", refuse)
    raws, _link = read_capture(Path(__file__).parent / "data" / "thirdparty" / "dpkt-http.pcap")
    packets = dissect_all(raws)
    assert packets and all(p.layers[0].name == "Ethernet" for p in packets)
