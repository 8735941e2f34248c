"""Wireshark's computed TCP numbers (labs.dissect.tcp_analysis,
labs.dissect.conversations): relative sequence and acknowledgment numbers,
the next sequence number and the stream index, with tshark 4.0.17's values
written down for the cases a capture of real programs rarely holds: a
connection seen from its middle, RST and FIN without ACK, headers quoted in
ICMP errors (raw numbers, a stream of their own), ports reused by a new
connection. The captures of tests/data compare them with tshark itself
(COMPARED in tests/test_dissect_tshark.py); here the values stay checked
without tshark, and in two processes."""

from __future__ import annotations

import io

from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.inet6 import ICMPv6DestUnreach, IPv6

from labs.core.base import RawPacket
from labs.core.display_filter import filter_trace
from labs.dissect.conversations import conversations
from labs.dissect.core import dissect_all
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import write_pcap
from labs.files.tracejson import write_json

NAMES = ("tcp.stream", "tcp.seq", "tcp.seq_raw", "tcp.nxtseq", "tcp.ack", "tcp.ack_raw")


def _v4(src, dst, sport, dport, flags, seq, ack=0, data=b""):
    return (
        IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack) / data
    )


def _quoting() -> list[bytes]:
    """Quotes in ICMP errors among plain segments (tshark 4.0.17's values in `QUOTING`)."""
    syn = _v4("10.0.0.1", "10.0.0.2", 1000, 80, "S", 1000)
    unseen = _v4("10.0.0.1", "10.0.0.9", 2000, 80, "PA", 5000, 7000, b"hi")
    late = IPv6(src="fd00::1", dst="fd00::2") / TCP(
        sport=3000, dport=80, flags="PA", seq=9000, ack=100
    )
    unseen6 = IPv6(src="fd00::1", dst="fd00::7") / TCP(sport=3001, dport=80, flags="S", seq=77)
    return [
        bytes(syn),
        bytes(IP(src="10.0.0.254", dst="10.0.0.1") / ICMP(type=11) / bytes(unseen)),
        bytes(IP(src="10.0.0.254", dst="10.0.0.1") / ICMP(type=11) / bytes(syn)),
        bytes(_v4("10.0.0.1", "10.0.0.3", 1001, 80, "S", 1)),
        bytes(
            IPv6(src="fd00::1", dst="fd00::2")
            / TCP(sport=3000, dport=80, flags="PA", seq=8999, ack=50)
            / b"y"
        ),
        bytes(IPv6(src="fd00::fe", dst="fd00::1") / ICMPv6DestUnreach() / bytes(late / b"x")),
        bytes(IPv6(src="fd00::fe", dst="fd00::1") / ICMPv6DestUnreach() / bytes(unseen6)),
        bytes(_v4("10.0.0.1", "10.0.0.3", 1002, 80, "R", 5, 99)),
        bytes(_v4("10.0.0.1", "10.0.0.3", 1003, 80, "F", 5, 99, b"abc")),
    ]


#: tshark -T fields -e tcp.stream -e tcp.seq -e tcp.seq_raw -e tcp.nxtseq -e tcp.ack -e tcp.ack_raw
QUOTING = [
    ("0", "0", "1000", "1", "0", "0"),
    ("1", "5000", "", "", "7000", "7000"),  # ICMPv4 quote: raw numbers, no seq_raw
    ("0", "1000", "", "", "0", "0"),
    ("2", "0", "1", "1", "0", "0"),  # stream 2: the quote above took 1
    ("3", "1", "8999", "2", "1", "50"),  # seen from its middle: counted from 1
    ("3", "9000", "9000", "", "100", "100"),  # ICMPv6 quote: raw, with seq_raw
    ("4", "77", "77", "", "0", "0"),  # a quote of a conversation never seen: a stream
    ("5", "1", "5", "1", "99", "99"),  # RST without ACK: the raw ACK number
    ("6", "1", "5", "5", "99", "99"),  # FIN and 3 bytes: next is 1 + 3 + 1
]


def _reuse() -> list[bytes]:
    a = lambda flags, seq, ack=0: _v4("10.0.0.1", "10.0.0.2", 1000, 80, flags, seq, ack)  # noqa: E731
    b = lambda flags, seq, ack=0: _v4("10.0.0.2", "10.0.0.1", 80, 1000, flags, seq, ack)  # noqa: E731
    c = lambda flags, seq, ack=0: _v4("10.0.0.1", "10.0.0.3", 1, 2, flags, seq, ack)  # noqa: E731
    return [
        bytes(p)
        for p in (
            a("S", 100),
            b("SA", 500, 101),
            a("A", 101, 501),
            a("FA", 101, 501),
            b("FA", 501, 102),
            a("A", 102, 502),
            a("S", 9000),  # a new connection on the same ports: a new stream
            b("SA", 7000, 9001),
            a("A", 9001, 7001),
            c("S", 10),
            c("S", 10),  # the same SYN again: the same stream
            _v4("10.0.0.3", "10.0.0.1", 2, 1, "SA", 20, 11),
            c("S", 50000),  # another ISN, not closed: a new stream all the same
            c("R", 50001),
            c("S", 70000),
        )
    ]


#: tcp.stream, tcp.seq, tcp.nxtseq, tcp.ack (tshark 4.0.17)
REUSE = [
    ("0", "0", "1", "0"),
    ("0", "0", "1", "1"),
    ("0", "1", "1", "1"),
    ("0", "1", "2", "1"),
    ("0", "1", "2", "2"),
    ("0", "2", "2", "2"),
    ("1", "0", "1", "0"),
    ("1", "0", "1", "1"),
    ("1", "1", "1", "1"),
    ("2", "0", "1", "0"),
    ("2", "0", "1", "0"),
    ("2", "0", "1", "1"),
    ("3", "0", "1", "0"),
    ("3", "1", "1", "0"),
    ("4", "0", "1", "0"),
]


def _raws(packets: list[bytes]) -> list[RawPacket]:
    return [RawPacket(1_700_000_000 + i / 10, p) for i, p in enumerate(packets)]


def _values(raws: list[RawPacket], names: tuple[str, ...]) -> list[tuple[str, ...]]:
    out = []
    for p in dissect_all(raws):
        got: dict[str, str] = {}
        for layer in p.layers:
            for f in layer.fields:
                if f.filter in names:
                    got.setdefault(f.filter, f.value)
        out.append(tuple(got.get(n, "") for n in names))
    return out


def test_quotes_in_icmp_errors_and_unusual_segments_as_tshark():
    assert _values(_raws(_quoting()), NAMES) == QUOTING


def test_ports_reused_by_a_new_connection_begin_a_new_stream():
    assert _values(_raws(_reuse()), ("tcp.stream", "tcp.seq", "tcp.nxtseq", "tcp.ack")) == REUSE


def test_relative_numbers_sit_on_the_raw_numbers_bytes():
    (packet,) = dissect_all(_raws(_reuse()[:1]))
    tcp = next(layer for layer in packet.layers if layer.name == "TCP")
    placed = {f.filter: (f.offset, f.length) for f in tcp.fields}
    assert placed["tcp.seq"] == placed["tcp.seq_raw"] == (tcp.offset + 4, 4)
    assert placed["tcp.ack"] == placed["tcp.ack_raw"] == (tcp.offset + 8, 4)
    assert placed["tcp.nxtseq"] == placed["tcp.stream"] == (tcp.offset, 0)
    order = [f.filter for f in tcp.fields][2:8]
    assert order == list(NAMES[:3]) + ["tcp.nxtseq", "tcp.ack", "tcp.ack_raw"]


def test_filters_on_the_computed_numbers(tmp_path):
    path = tmp_path / "reuse.pcap"
    write_pcap(_raws(_reuse()), path)
    trace = explain_file(path)
    assert [p.index for p in filter_trace(trace, "tcp.stream == 1").packets] == [6, 7, 8]
    assert [p.index for p in filter_trace(trace, "tcp.seq == 1").packets] == [2, 3, 4, 8, 13]
    # The conversations table (`--conversations`, `--follow N`) numbers them
    # the same: a reused port is a conversation of its own, as in tshark's.
    table = [(c.stream, c.frames_ab, c.frames_ba) for c in conversations(trace.packets)]
    assert table == [(0, 4, 2), (1, 2, 1), (2, 2, 1), (3, 2, 0), (4, 1, 0)]


def test_stream_numbers_are_the_same_in_two_processes(tmp_path, monkeypatch):
    # The first pass (labs.files.survey) numbers the streams for both processes:
    # a reused port and a quote of an unseen conversation shift every later number.
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    path = tmp_path / "both.pcap"
    packets = [*_reuse(), *_quoting()]
    write_pcap(_raws(packets[:6] + packets[15:] + packets[6:15]), path)
    serial, parallel = io.StringIO(), io.StringIO()
    write_json(explain_file(path), serial)
    write_explain_json(path, parallel, parallel_from=1)
    assert parallel.getvalue() == serial.getvalue()
    assert '"filter":"tcp.stream","value":"9"' in serial.getvalue()
