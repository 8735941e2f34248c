"""Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, what `tcpdump -i any` writes
on newer libpcap) read whole, as Wireshark reads it: the 20-byte header's
fields (protocol, interface index, link type, packet type, the sender's
address cut by its length, the bytes left unused), then what it carries
(IP, ARP, PPPoE, a VLAN tag), and the bytes after the packet (padding to
60 bytes, then a trailer). The real capture (tests/data/programs/any-sll2.pcapng,
loopback) is compared with tshark in tests/test_dissect_programs.py; the
frames a loopback cannot carry (ARP, PPPoE, tunnels, other address
lengths, trailers) are built here byte by byte and compared the same way.
Also: the first pass (labs.files.survey) reads its conversations from the
bytes without a dissection, the scapy path reads what the fast path reads,
and a header cut short is shown, not an error."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from test_dissect_ppp import (
    AC,
    COOKIE,
    HOST,
    LCP_OPTS,
    QUERY,
    UNIQ,
    _control,
    _ipv4,
    _ipv6,
    _pppoe,
    _sll,
    _tag,
    _udp,
)
from test_dissect_programs import PROGRAMS, TSHARK, check

from labs.core.base import RawPacket
from labs.core.display_filter import filter_trace
from labs.dissect.core import dissect_all
from labs.dissect.layers import Session
from labs.dissect.proto import fast
from labs.files import explain, survey
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import read_capture, write_pcap

REAL = PROGRAMS / "any-sll2.pcapng"


def _sll2(proto: int, pkttype: int, body: bytes, ifindex: int = 2, hatype: int = 1,
          addr: bytes = HOST) -> bytes:  # fmt: skip
    """A Linux cooked v2 header (the sender's address padded to 8 bytes) and `body`."""
    return (
        struct.pack(
            "!HHIHBB8s", proto, 0, ifindex, hatype, pkttype, len(addr), addr.ljust(8, b"\0")
        )
        + body
    )


def _arp(op: int, mac: bytes, ip: int, target: bytes, tip: int) -> bytes:
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac, bytes([192, 0, 2, ip]),
                       target, bytes([192, 0, 2, tip]))  # fmt: skip


def _dns(src: str, dst: str, port: int) -> bytes:
    return _ipv4(src, dst, 17, _udp(port, 53, QUERY))


#: Frames whose reading is not plain IPv4/IPv6 over an Ethernet address.
LLC = 13  # 802.2 LLC/SNAP (Linux's protocol 4): tshark reads it, tutor shows data


def frames() -> list[bytes]:
    s = 0x42
    return [
        # ARP, as Ethernet pads it to 60 bytes (then 6 more: a trailer), and sent by us.
        _sll2(0x0806, 1, _arp(1, AC, 2, bytes(6), 1) + bytes(18), addr=AC),
        _sll2(0x0806, 4, _arp(2, HOST, 1, AC, 2)),
        # PPPoE discovery and session, one behind a VLAN tag, one padded (Wireshark names no padding).
        _sll2(0x8863, 4, _pppoe(0x09, 0, _tag(0x0101, b"") + _tag(0x0103, UNIQ))),
        _sll2(0x8863, 0, _pppoe(0x07, 0, _tag(0x0102, b"tutor-ac") + _tag(0x0104, COOKIE)), addr=AC),
        _sll2(0x8864, 0, _pppoe(0, s, _control(0xC021, 1, 1, LCP_OPTS)) + bytes(10), addr=AC),
        _sll2(0x8864, 4, _pppoe(0, s, b"\x00\x21" + _dns("198.51.100.7", "198.51.100.1", 40000))),
        _sll2(0x8100, 4, b"\x00\x23\x88\x64" + _pppoe(0, s, b"\x00\x57" + _ipv6(
            "2001:db8::2", "2001:db8::1", 17, _udp(40003, 53, QUERY)))),
        # A GRE tunnel (its address an IPv4 one, its type a GRE type), a tun device (no address),
        # multicast IPv6, an 8-byte address.
        _sll2(0x0800, 0, _dns("10.0.0.2", "10.0.0.1", 40001), 5, 778, bytes([203, 0, 113, 9])),
        _sll2(0x0800, 4, _dns("10.8.0.2", "10.8.0.1", 40002), 7, 65534, b""),
        _sll2(0x86DD, 2, _ipv6("fe80::1", "ff02::1", 17, _udp(40004, 53, QUERY)), 3, addr=AC),
        _sll2(0x0800, 0, _dns("192.0.2.9", "192.0.2.8", 40006), 9, 24, bytes(range(1, 9))),
        # After the IP packet: a trailer; zeros to 60 bytes then a trailer; a short frame's zeros.
        _sll2(0x0800, 3, _dns("192.0.2.9", "192.0.2.8", 40005) + b"\xaa\xbb", addr=AC),
        _sll2(0x0800, 0, _ipv4("192.0.2.9", "192.0.2.8", 17, _udp(40008, 9, b"")) + bytes(14)),
        _sll2(0x0004, 0, b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + _dns("192.0.2.9", "192.0.2.8", 40007)),
        _sll2(0x0800, 0, _ipv4("192.0.2.9", "192.0.2.8", 17, _udp(40009, 9, b"")) + bytes(6)),
        _sll2(0x0806, 1, _arp(1, AC, 2, bytes(6), 1) + b"\x01" + bytes(17), addr=AC),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frames as a classic pcap (the real capture is pcapng: both readers)."""
    path = tmp_path_factory.mktemp("sll2") / "sll2-built.pcap"
    write_pcap([RawPacket(1.7e9 + i, f, "linux-sll2") for i, f in enumerate(frames())], path)
    assert path.read_bytes()[20:24] == struct.pack("<I", 276)
    return path


def _fields(path: Path) -> list[dict[str, list[str]]]:
    raws, _link = read_capture(path)
    out = []
    for p in dissect_all(raws):
        got: dict[str, list[str]] = {}
        for lay in p.layers:
            for f in lay.fields:
                got.setdefault(f.filter or f.name, []).append(f.value)
        out.append(got)
    return out


def test_the_real_capture_is_read_whole() -> None:
    raws, link = read_capture(REAL)
    assert link == "linux-sll2" and not raws.note
    assert raws[0].data[:2] == b"\x08\x00" and len(raws[0].data) == 99  # tshark: 99 bytes
    packets = dissect_all(raws)
    assert [lay.name for lay in packets[0].layers] == [
        "Linux cooked capture v2",
        "IPv4",
        "UDP",
        "DNS",
    ]
    assert [lay.name for lay in packets[-1].layers][:3] == [
        "Linux cooked capture v2",
        "IPv6",
        "ICMPv6",
    ]
    head = packets[0].layers[0]
    # tshark 4.0.17 on packet 1, in its order; the reserved bytes have no Wireshark name.
    assert [(f.filter, f.value, f.offset, f.length) for f in head.fields] == [
        ("sll.etype", "0x0800", 0, 2),
        (None, "0", 2, 2),
        ("sll.ifindex", "1", 4, 4),
        ("sll.hatype", "772", 8, 2),
        ("sll.pkttype", "0", 10, 1),
        ("sll.halen", "6", 11, 1),
        ("sll.src.eth", "00:00:00:00:00:00", 12, 6),
        ("sll.unused", "00:00", 18, 2),
    ]
    assert [f.show for f in head.fields][2:5] == ["interface 1", "Loopback", "to us"]
    assert all(f.explain for f in head.fields)
    assert packets[0].summary == "DNS query A tutor.test" and packets[0].src == "127.0.0.1:58844"


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_built_frames_match_tshark(built: Path) -> None:
    # tshark numbers the UDP conversation in the LLC frame (tutor shows its
    # bytes as data), so the next one is udp.stream 9 there and 8 here.
    shifted = {"sll2-built": {(LLC + 1, "udp.stream")}}
    tallies = check(built, shifted, {"sll2-built": [LLC]})
    assert all(t.equal == t.compared - 1 >= 400 for t in tallies.values())
    names = {n for p in _fields(built) for n in p}
    wanted = {"sll.etype", "sll.ltype", "sll.gretype", "sll.ifindex", "sll.hatype", "sll.pkttype"}
    wanted |= {"sll.halen", "sll.src.eth", "sll.src.ipv4", "sll.src.other", "sll.unused"}
    wanted |= {"sll.trailer", "eth.padding", "arp.opcode", "pppoe.code", "vlan.id", "lcp.opt.mru"}
    assert wanted <= names


def test_addresses_protocols_and_trailers(built: Path) -> None:
    got = _fields(built)
    assert got[7]["sll.src.ipv4"] == ["203.0.113.9"] and got[7]["sll.gretype"] == ["0x0800"]
    assert "sll.src.eth" not in got[8] and got[8]["sll.unused"] == ["00:00:00:00:00:00:00:00"]
    assert got[10]["sll.src.other"] == ["01:02:03:04:05:06:07:08"] and "sll.unused" not in got[10]
    assert got[LLC]["sll.ltype"] == ["0x0004"] and "sll.etype" not in got[LLC]
    # Zeros up to 60 bytes are padding, the rest a trailer; zeros in a shorter frame, a trailer.
    assert (got[0]["eth.padding"], got[0]["sll.trailer"]) == (
        [":".join(["00"] * 12)],
        [":".join(["00"] * 6)],
    )
    assert got[11]["sll.trailer"] == ["aa:bb"] and "eth.padding" not in got[11]
    assert (got[12]["eth.padding"], got[12]["sll.trailer"]) == ([":".join(["00"] * 12)], ["00:00"])
    assert got[14]["sll.trailer"] == [":".join(["00"] * 6)] and "eth.padding" not in got[14]
    assert got[15]["sll.trailer"] == ["01" + ":00" * 17] and "eth.padding" not in got[15]


def test_arp_and_pppoe_are_narrated(built: Path) -> None:
    raws, _link = read_capture(built)
    packets = dissect_all(raws)
    names = [[lay.name for lay in p.layers] for p in packets]
    assert names[0] == ["Linux cooked capture v2", "ARP", "Padding", "Trailer"]
    assert names[4] == ["Linux cooked capture v2", "PPPoE Session", "PPP", "PPP Link Control Protocol", "Padding"]  # fmt: skip
    assert names[6][:3] == ["Linux cooked capture v2", "802.1Q VLAN", "PPPoE Session"]
    assert names[6][-3:] == ["IPv6", "UDP", "DNS"]
    assert packets[0].summary == "ARP request" and (packets[0].src, packets[0].dst) == (
        "192.0.2.2",
        "192.0.2.1",
    )
    # A PPPoE frame without IP is named by the cooked header's sender and who received it.
    assert packets[3].summary == "PPPoE PADO"
    assert packets[3].explain.startswith("02:00:00:00:00:02 sends this host a PPPoE offer")
    assert (packets[5].src, packets[5].dst) == ("198.51.100.7:40000", "198.51.100.1:53")


def test_the_scapy_path_reads_what_the_fast_path_reads(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in (REAL, built):
        fast_read = _fields(path)
        monkeypatch.setattr(fast, "parse", lambda data, link: None)
        assert _fields(path) == fast_read
        monkeypatch.undo()


def _count_dissections(monkeypatch: pytest.MonkeyPatch) -> list[RawPacket]:
    """The packets the first pass hands to a full dissection, from now on."""
    seen: list[RawPacket] = []
    real = survey._exactly

    def counting(raw: RawPacket, scratch: Session) -> tuple[object, object]:
        seen.append(raw)
        return real(raw, scratch)

    monkeypatch.setattr(survey, "_exactly", counting)
    return seen


def test_the_first_pass_reads_conversations_from_the_bytes(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every IP and ARP packet is read from its bytes (no dissection), and
    what the pass finds is what a dissection of every packet finds."""
    for path in (REAL, built):
        raws, _link = read_capture(path)
        dissected = _count_dissections(monkeypatch)
        quick = survey.survey(raws)
        # PPPoE, VLAN-tagged and LLC frames leave a doubt; nothing else does.
        assert len(dissected) == (0 if path == REAL else 6)
        monkeypatch.setattr(survey, "_scan", lambda data, link: (None, None, False))
        assert survey.survey(raws) == quick
        monkeypatch.undo()
    keys, syns = survey.survey(read_capture(REAL)[0])
    assert len({k for k in keys if k}) == 2 and len(syns) == 1  # DNS and HTTP; curl's SYN


def test_explain_names_the_link_and_reads_alike_in_two_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trace = explain_file(REAL)
    assert trace.link == "linux-sll2" and "IP header" not in trace.capture_note
    assert len(filter_trace(trace, "sll.ifindex == 1 && sll.pkttype == 0").packets) == 21
    assert len(filter_trace(trace, "sll").packets) == 21
    outs = []
    for parallel in (False, True):
        monkeypatch.setattr(explain, "_can_fork", lambda parallel=parallel: parallel)
        out = io.StringIO()
        write_explain_json(str(REAL), out, parallel_from=1 if parallel else 10**9)
        outs.append(out.getvalue())
    assert outs[0] == outs[1] and '"link":"linux-sll2"' in outs[0]


def test_a_header_cut_short_is_shown_not_an_error(tmp_path: Path) -> None:
    whole = frames()[11]
    path = tmp_path / "cut.pcap"
    write_pcap([RawPacket(1.0, whole[:n], "linux-sll2") for n in (12, 19, 20, 30)], path)
    raws, _link = read_capture(path)
    packets = dissect_all(raws)
    assert len(packets) == 4 and all(p.layers for p in packets)
    assert packets[2].layers[0].name == "Linux cooked capture v2"


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_cooked_v1_reads_its_address_and_trailers_alike(tmp_path: Path) -> None:
    """v1 shares the address and trailer reading (sll.src.eth, sll.unused, sll.trailer)."""
    empty = _ipv4("192.0.2.9", "192.0.2.8", 17, _udp(40010, 9, b""))
    frames = [_sll(0, 0x0806, _arp(1, AC, 2, bytes(6), 1) + bytes(18)), _sll(4, 0x0800, empty + bytes(14)),
              _sll(0, 0x0800, empty + b"\x01\x02"), _sll(0, 0x0806, _arp(1, AC, 2, bytes(6), 1) + b"\x05" + bytes(17))]  # fmt: skip
    path = tmp_path / "sll-trailers.pcap"
    write_pcap([RawPacket(1.7e9 + i, f, "linux-sll") for i, f in enumerate(frames)], path)
    tallies = check(path, {}, {})
    assert all(t.equal == t.compared >= 60 for t in tallies.values())
    assert {"sll.src.eth", "sll.unused", "sll.trailer", "eth.padding"} <= {
        n for p in _fields(path) for n in p
    }
