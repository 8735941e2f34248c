"""`tcp.analysis.reused_ports` as tshark 4.0 sets it: a SYN whose sequence
number is not the one its ports' conversation started from opens a new
conversation (a new tcp.stream), and a SYN/ACK with another sequence number
on known ports is flagged too, its side then counted from it. On a real
capture (tests/data/pcaps/tcp-reuse.pcap: a client on loopback connecting
twice from the same port, made with tcpdump) and on written segments for the
cases a capture of real programs rarely holds; tshark's values are written
down, and compared with tshark itself where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.explain import explain_file
from labs.files.pcapio import write_pcap

PCAPS = Path(__file__).parent / "data" / "pcaps"
TSHARK = shutil.which("tshark")
NAMES = ("tcp.stream", "tcp.seq", "tcp.ack", "tcp.analysis.reused_ports")


def _tcp(src: str, dst: str, sport: int, dport: int):  # type: ignore[no-untyped-def]
    def make(flags: str, seq: int, ack: int = 0) -> bytes:
        ip = IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
        return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip)

    return make


def _written() -> list[RawPacket]:
    a, b = _tcp("10.0.0.1", "10.0.0.2", 1000, 80), _tcp("10.0.0.2", "10.0.0.1", 80, 1000)
    c, cb = _tcp("10.0.0.1", "10.0.0.3", 1, 2), _tcp("10.0.0.3", "10.0.0.1", 2, 1)
    d, db = _tcp("10.0.0.1", "10.0.0.4", 5, 6), _tcp("10.0.0.4", "10.0.0.1", 6, 5)
    e, eb = _tcp("10.0.0.1", "10.0.0.5", 7, 8), _tcp("10.0.0.5", "10.0.0.1", 8, 7)
    packets = [
        *(a("S", 100), b("SA", 500, 101), a("A", 101, 501)),
        *(a("FA", 101, 501), b("FA", 501, 102), a("A", 102, 502)),
        a("S", 100),  # the first ISN again after the close: a retransmission, not reused
        b("SA", 800, 101),  # another ISN in a SYN/ACK: flagged, counted from 800 on
        a("A", 101, 801),
        a("S", 9000),  # another ISN: a new stream
        *(b("SA", 7000, 9001), a("A", 9001, 7001)),
        *(c("S", 10), c("S", 10), cb("SA", 20, 11)),  # the same SYN again: not reused
        *(c("S", 50000), c("R", 50001), c("S", 70000), c("S", 70000)),  # not closed: reused
        *(d("S", 1), db("SA", 2, 2), d("R", 2), d("S", 1)),  # the same ISN after a reset
        *(e("A", 100, 200), e("S", 5), eb("SA", 9, 6), eb("SA", 19, 6)),  # seen from the middle
    ]
    return [RawPacket(1_700_000_000 + i / 10, p, "ethernet") for i, p in enumerate(packets)]


#: tcp.stream, tcp.seq, tcp.ack, tcp.analysis.reused_ports (tshark 4.0.17 -T fields)
WRITTEN = [
    *("0 0 0 -", "0 0 1 -", "0 1 1 -", "0 1 1 -", "0 1 2 -", "0 2 2 -", "0 0 0 -", "0 0 1 1"),
    *("0 1 1 -", "1 0 0 1", "1 0 1 -", "1 1 1 -", "2 0 0 -", "2 0 0 -", "2 0 1 -", "3 0 0 1"),
    *("3 1 0 -", "4 0 0 1", "4 0 0 -", "5 0 0 -", "5 0 1 -", "5 1 0 -", "5 0 0 -", "6 1 1 -"),
    *("7 0 0 1", "7 0 1 -", "7 0 1 1"),
]


def _ours(packets) -> list[str]:  # type: ignore[no-untyped-def]
    rows = []
    for p in packets:
        got = {}
        for layer in p.layers:
            for f in layer.fields:
                if f.filter in NAMES:
                    got.setdefault(f.filter, f.value or "1")
        rows.append(" ".join(got.get(n, "-") for n in NAMES))
    return rows


def _tsharks(path: Path) -> list[str]:
    assert TSHARK
    args = [TSHARK, "-r", str(path), "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields"]
    args += ["-E", "occurrence=f", *(x for n in NAMES for x in ("-e", n))]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [" ".join(v or "-" for v in line.split("\t")) for line in out.splitlines()]


def test_written_segments_are_flagged_as_tshark_flags_them():
    assert _ours(dissect_all(_written())) == WRITTEN


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_the_written_values_are_tsharks(tmp_path):
    path = tmp_path / "reuse.pcap"
    write_pcap(_written(), path)
    assert _tsharks(path) == WRITTEN


def test_a_real_second_connection_on_the_same_ports_is_flagged_and_said():
    trace = explain_file(PCAPS / "tcp-reuse.pcap")
    rows = _ours(trace.packets)
    assert [r.split()[0] for r in rows] == ["0"] * 11 + ["1"] * 11
    assert [i for i, r in enumerate(rows) if r.endswith(" 1")] == [11]
    syn = trace.packets[11]
    assert syn.summary.startswith("[TCP Port numbers reused] ")
    # Each conversation named by its tcp.stream, as the packets' own field gives it.
    old, new = _stream(trace.packets[0]), _stream(syn)
    assert (old, new) == ("0", "1")
    assert (
        f"A new connection on the same two ports as TCP conversation {old} (tcp.stream == "
        f"{old}, its first packet #1): that one had finished, so this SYN begins TCP "
        f"conversation {new} (tcp.stream == {new}), a conversation of its own." in syn.explain
    )
    wrong = next(s for s in trace.sections if s.title == "What went wrong")
    row = next(r for r in wrong.body.splitlines() if "reused" in r)
    assert row.startswith("1 port pair reused\t#12\t")  # Wireshark's frame 12


def _stream(packet) -> str:  # type: ignore[no-untyped-def]
    return next(f.value for f in packet.fields("tcp.stream"))


def test_a_reused_pair_that_never_finished_is_said_so():
    trace = explain_file_of(_written())
    said = trace.packets[15].explain  # a SYN with another ISN, the old connection open
    assert "as TCP conversation 2 (tcp.stream == 2, its first packet #13):" in said
    assert "never showed that one end" in said and "begins TCP conversation 3 " in said
    assert [_stream(trace.packets[i]) for i in (12, 15)] == ["2", "3"]
    assert "had finished" in trace.packets[17].explain  # after the reset
    said = trace.packets[7].explain  # a SYN/ACK with another ISN: no new stream
    assert "answers with another initial sequence number" in said
    assert "still counts it in TCP conversation 0 (only a SYN begins a new one)" in said
    said = trace.packets[6].explain  # the first SYN again after the close
    assert said.startswith(
        "Retransmission: this SYN starts from initial sequence number 100, the one this side "
        "already used in TCP conversation 0, though that connection had finished"
    )
    assert _stream(trace.packets[6]) == "0"


@pytest.mark.parametrize("parallel_from", [10**9, 1], ids=["one-process", "two-processes"])
def test_the_conversations_are_named_alike_in_two_processes(parallel_from, monkeypatch):
    """The stream numbers a first pass gives to the second: the same words."""
    import io
    import json

    from labs.files import explain
    from labs.files.explain import write_explain_json

    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    out = io.StringIO()
    write_explain_json(PCAPS / "tcp-reuse.pcap", out, parallel_from=parallel_from)
    said = json.loads(out.getvalue())["packets"][11]["explain"]
    assert "as TCP conversation 0 (tcp.stream == 0, its first packet #1)" in said
    assert "begins TCP conversation 1 (tcp.stream == 1)" in said


def explain_file_of(raws: list[RawPacket]):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "written.pcap"
        write_pcap(raws, path)
        return explain_file(path)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_the_real_capture_is_tsharks():
    assert _ours(dissect_all_of(PCAPS / "tcp-reuse.pcap")) == _tsharks(PCAPS / "tcp-reuse.pcap")


def dissect_all_of(path: Path):  # type: ignore[no-untyped-def]
    from labs.files.pcapio import read_capture

    return dissect_all(read_capture(path)[0])


@pytest.mark.parametrize("parallel_from", [10**9, 1], ids=["one-process", "two-processes"])
def test_the_waterfall_times_a_reused_port_pair_as_two_connections(parallel_from):
    """The second connection on the same ports was missing from the waterfall
    (its rows were those of the first, which it had joined)."""
    import io
    import json

    from labs.files.explain import write_explain_json

    out = io.StringIO()
    write_explain_json(PCAPS / "tcp-reuse.pcap", out, parallel_from=parallel_from)
    waterfall = json.loads(out.getvalue())["waterfall"]
    connects = [p["packets"] for p in waterfall if p["name"] == "connect"]
    assert connects == [[0, 1, 2], [11, 12, 13]], connects
