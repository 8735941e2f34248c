"""Wireshark's calculated window (tcp.window_size) and its scale factor
(tcp.window_size_scalefactor) on every TCP header: after a handshake where
both SYNs carry the window-scale option, where one or neither does, where
the capture missed one SYN or both, and in a header quoted in an ICMP error.
The values are tshark 4.0's for the same packets (compared with tshark
itself when it is installed)."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.pcapio import write_pcap
from labs.model.trace import Packet

C, S = "10.0.0.1", "10.0.0.2"
FLAGS = {"S": 0x02, "SA": 0x12, "A": 0x10, "PA": 0x18}


def _ip(src: str, dst: str, proto: int, body: bytes) -> bytes:
    addrs = bytes(int(x) for x in src.split(".")) + bytes(int(x) for x in dst.split("."))
    return struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(body), 1, 0, 64, proto, 0) + addrs + body


def _tcp(src, dst, sport, dport, flags, seq, ack, window, shift=None, data=b""):
    opts = b"" if shift is None else bytes((1, 3, 3, shift))  # NOP, window scale
    head = struct.pack(
        "!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, FLAGS[flags], window, 0, 0
    )
    return _ip(src, dst, 6, head + opts + data)


def _quote(router: str, to: str, packet: bytes) -> bytes:
    """An ICMP 'fragmentation needed' quoting the IP header and 28 bytes of `packet`."""
    return _ip(router, to, 1, struct.pack("!BBHHH", 3, 4, 0, 0, 576) + packet[:48])


def _connection(port, syn_shift, synack_shift, syn=True, synack=True):
    out = []
    if syn:
        out.append(_tcp(C, S, port, 80, "S", 100, 0, 1000, syn_shift))
    if synack:
        out.append(_tcp(S, C, 80, port, "SA", 500, 101, 2000, synack_shift))
    return [*out, _tcp(C, S, port, 80, "A", 101, 501, 30), _tcp(S, C, 80, port, "A", 501, 101, 40)]


#: name -> (packets, each packet's (tcp.window_size, tcp.window_size_scalefactor)
#: as tshark 4.0 gives them; "" where it has none).
CASES = {
    "both sides scale": (_connection(1001, 7, 8), ["1000 ", "2000 ", "3840 128", "10240 256"]),
    "only the SYN offers": (_connection(1002, 7, None), ["1000 ", "2000 ", "30 -2", "40 -2"]),
    "only the SYN-ACK offers": (_connection(1003, None, 8), ["1000 ", "2000 ", "30 -2", "40 -2"]),
    "neither offers": (_connection(1004, None, None), ["1000 ", "2000 ", "30 -2", "40 -2"]),
    "no handshake seen": (_connection(1005, 7, 8, False, False), ["30 -1", "40 -1"]),
    "SYN with the option, SYN-ACK missed": (
        _connection(1006, 7, None, True, False),
        ["1000 ", "3840 128", "40 -1"],
    ),
    # A SYN without the option turns scaling off both ways, also for the
    # side whose SYN-ACK the capture missed.
    "SYN without the option, SYN-ACK missed": (
        _connection(1007, None, None, True, False),
        ["1000 ", "30 -2", "40 -2"],
    ),
    "SYN missed, SYN-ACK with the option": (
        _connection(1008, None, 8, False, True),
        ["2000 ", "30 -1", "10240 256"],
    ),
    "a shift over 14 counts as 14": (
        _connection(1009, 15, 14),
        ["1000 ", "2000 ", "491520 16384", "655360 16384"],
    ),
    # A header quoted in an ICMP error: its window as sent, never scaled, and
    # its conversation's scale in that direction (-1: a conversation unseen).
    "quoted in an ICMP error": (
        [
            *_connection(1010, 7, 8),
            _quote("10.0.0.9", C, _tcp(C, S, 1010, 80, "PA", 101, 501, 30, data=b"x" * 100)),
            _quote("10.0.0.9", S, _tcp(S, C, 80, 1010, "A", 501, 101, 40)),
            _quote("10.0.0.9", C, _tcp(C, "10.0.0.3", 1011, 80, "A", 5, 6, 77)),
        ],
        ["1000 ", "2000 ", "3840 128", "10240 256", "30 128", "40 256", "77 -1"],
    ),
}


def _packets(packets: list[bytes]) -> tuple[Packet, ...]:
    return dissect_all([RawPacket(i * 0.001, p) for i, p in enumerate(packets)])


def _values(packet: Packet) -> str:
    def one(name: str) -> str:
        return ",".join(f.value for f in packet.fields(name))

    return f"{one('tcp.window_size')} {one('tcp.window_size_scalefactor')}"


@pytest.mark.parametrize("case", list(CASES))
def test_window_and_scale_factor_are_tsharks(case):
    packets, expected = CASES[case]
    assert [_values(p) for p in _packets(packets)] == expected


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_reads_the_same_values(tmp_path):
    packets = [p for ps, _ in CASES.values() for p in ps]
    path = tmp_path / "windows.pcap"
    write_pcap([RawPacket(i * 0.001, p) for i, p in enumerate(packets)], path)
    names = ("tcp.window_size", "tcp.window_size_scalefactor")
    args = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator= "]
    out = subprocess.run(
        [*args, *(a for n in names for a in ("-e", n))],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()
    assert [_values(p) for p in _packets(packets)] == out


def _field(packet: Packet, name: str):
    return next(iter(packet.fields(name)))


def test_the_words_say_the_scale_the_packets_set():
    syn = _tcp(C, S, 1020, 80, "S", 100, 0, 64240, 10)
    synack = _tcp(S, C, 80, 1020, "SA", 500, 101, 65160, 10)
    scaled = _packets([syn, synack, _tcp(C, S, 1020, 80, "A", 101, 501, 64)])
    size = _field(scaled[2], "tcp.window_size")
    assert (size.value, size.offset, size.length) == ("65536", 34, 2)  # the window's bytes
    assert "64 × 1,024 = 65,536 bytes" in size.explain
    assert "1,024 bytes" in _field(scaled[2], "tcp.window_size_value").explain
    assert "never scaled" in _field(scaled[0], "tcp.window_size").explain
    assert not scaled[0].fields("tcp.window_size_scalefactor")

    unknown = _packets([_tcp(C, S, 1021, 80, "A", 101, 501, 64)])[0]
    assert "the scale is unknown" in _field(unknown, "tcp.window_size").explain
    assert _field(unknown, "tcp.window_size_scalefactor").show == "unknown"

    plain = _packets([_tcp(C, S, 1022, 80, "S", 1, 0, 8192), _tcp(C, S, 1022, 80, "A", 2, 1, 8192)])
    assert "not scaled" in _field(plain[1], "tcp.window_size").explain
    for p in (*scaled[1:], unknown, plain[1]):
        assert "(if any)" not in _field(p, "tcp.window_size_value").explain


def test_a_quote_of_a_long_idle_conversation_has_its_scale():
    """Thousands of other segments later (the analysis keeps the idle
    conversation as bytes by then), the quote still gets its scale: tshark's."""
    packets = _connection(1030, 7, 8)
    for i in range(4200):
        packets.append(_tcp("10.1.0.1", "10.1.0.2", 2000 + i, 80, "A", 1, 1, 5))
        packets.append(_tcp("10.1.0.2", "10.1.0.1", 80, 2000 + i, "A", 1, 1, 5))
    late = _tcp(C, S, 1030, 80, "PA", 101, 501, 30, data=b"x" * 100)
    packets.append(_quote("10.0.0.9", C, late))
    assert _values(_packets(packets)[-1]) == "30 128"
