"""What went wrong tells resets apart by what the packets before them show: a
SYN refused (the asked side's reset acknowledging it, before any SYN-ACK), a
handshake the opener reset after the SYN-ACK (a port scan's or TCP
traceroute's prober, or a program that gave up), and any other reset.
Wireshark flags all of them alike (tcp.connection.rst); the numbers below
are tshark's frame.number of each RST, sorted by the packet before it in the
same tcp.stream."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest
from explain_runs import children, serial
from explain_runs import parallel as parallel_json
from scapy.layers.inet import IP, TCP

from labs.core.base import RawPacket
from labs.dissect.expert import Expert
from labs.dissect.steps import View
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import write_pcap
from labs.model.trace import Trace
from tutor.tracetext import header

DATA = Path(__file__).parent / "data"
PROGRAMS = DATA / "programs"
PCAPS = DATA / "pcaps"


def rows(trace: Trace) -> list[list[str]]:
    (section,) = [s for s in trace.sections if s.title == "What went wrong"]
    return [row.split("\t") for row in section.body.splitlines()[1:]]


def reset_rows(trace: Trace) -> list[list[str]]:
    return [r for r in rows(trace) if "reset" in r[0] or "refused" in r[0]]


def test_a_port_scans_closed_ports_are_refusals_and_its_open_ports_the_scanners_resets():
    # tshark: 98 RSTs right after the SYN they acknowledge, 2 (#9, #16) from
    # the scanner right after a SYN-ACK.
    found = reset_rows(explain_file(PROGRAMS / "scan.pcapng"))
    assert [r[:2] for r in found] == [
        ["98 connections refused", "#6, #11, #13, #18, #20, #22, #24, #26 and 90 more"],
        ["2 handshakes reset by the opener", "#9, #16"],
    ]
    assert "nothing listens on that port, or a firewall rejected" in found[0][2]
    assert "the packets cannot tell which" in found[0][2]
    assert "something listens there" in found[1][2]


@pytest.mark.parametrize(
    ("path", "number"), [(PROGRAMS / "refused.pcapng", "#4"), (PCAPS / "refused.pcap", "#2")]
)
def test_a_closed_ports_reset_is_a_connection_refused(path, number):
    found = reset_rows(explain_file(path))
    assert [r[:2] for r in found] == [["1 connection refused", number]]
    assert "probes ports" not in found[0][2]


def test_a_tcp_traceroutes_resets_are_the_probers_own():
    found = reset_rows(explain_file(PROGRAMS / "traceroute.pcapng"))
    assert [r[0] for r in found] == ["16 handshakes reset by the opener"]
    assert found[0][1].startswith("#73, #76, #79, #82,")
    assert "this capture probes ports" in found[0][2]


def test_other_resets_keep_their_meaning_and_wireshark_is_named_once():
    # tls.pcap: the server aborts after data. tcp-old-syn.pcap: #14 answers
    # a stale ACK (other), #16 is the opener's after the resent SYN-ACK #15.
    found = reset_rows(explain_file(PCAPS / "tls.pcap"))
    assert [r[:2] for r in found] == [["1 reset (RST)", "#14"]]
    assert "a side aborted the connection at once" in found[0][2]
    old = explain_file(PCAPS / "tcp-old-syn.pcap")
    assert [r[:2] for r in reset_rows(old)] == [
        ["1 reset (RST)", "#14"],
        ["1 handshake reset by the opener", "#16"],
    ]
    for trace in (old, explain_file(PROGRAMS / "scan.pcapng")):
        body = "\n".join("\t".join(r) for r in rows(trace))
        assert body.count("tcp.connection.rst") == 1, body


def test_the_header_names_each_kind_of_reset():
    said = header(explain_file(PROGRAMS / "scan.pcapng"), width=400)[-1]
    assert said == (
        "What went wrong (the table below): 98 connections refused, "
        "2 handshakes reset by the opener."
    )


def _view(number, src, dst, flags, seq, ack=-1, seg=0):
    bits = {"S": 0x02, "SA": 0x12, "A": 0x10, "PA": 0x18, "R": 0x04, "RA": 0x14, "FA": 0x11}
    return View(
        number, number / 1000, src, dst, "", frozenset({"TCP"}), "TCP", bits[flags], seg,
        False, seq=seq, ack=ack,
    )  # fmt: skip


def _kinds(views) -> list[str]:
    expert = Expert()
    for v in views:
        expert.add(v)
    section = expert.section()
    assert section is not None
    return [row.split("\t")[0] for row in section.body.splitlines()[1:]]


C, S = "10.0.0.1:40000", "10.0.0.2:80"


def test_only_a_reset_acknowledging_the_syn_is_a_refusal():
    # One whose ACK is not the SYN's number + 1 answers nothing of it.
    assert _kinds([_view(0, C, S, "S", 100), _view(1, S, C, "RA", 0, 7)]) == ["1 reset (RST)"]
    # After the SYN-ACK the asked side's reset is not a refusal.
    assert _kinds([_view(0, C, S, "S", 100), _view(1, S, C, "SA", 5, 101), _view(2, S, C, "R", 6)])[
        0
    ] == ("1 reset (RST)")
    # A SYN carrying data (TCP Fast Open) is acknowledged past its data.
    assert _kinds([_view(0, C, S, "S", 100, seg=10), _view(1, S, C, "RA", 0, 111)]) == [
        "1 connection refused"
    ]


def test_a_reset_after_data_is_not_the_handshakes():
    handshake = [_view(0, C, S, "S", 100), _view(1, S, C, "SA", 5, 101)]
    # connect() then an abortive close, no data: the opener gave up.
    assert _kinds([*handshake, _view(2, C, S, "A", 101, 6), _view(3, C, S, "RA", 101, 6)]) == [
        "1 handshake reset by the opener"
    ]
    data = _view(2, C, S, "PA", 101, 6, seg=5)
    assert _kinds([*handshake, data, _view(3, C, S, "RA", 106, 6)])[0] == "1 reset (RST)"


def test_a_refusal_is_known_thousands_of_syns_later_in_bounded_memory():
    """A scan of filtered ports leaves SYNs nobody answers: what is kept of
    them must not grow with the capture, yet a closed port's reset after
    a thousand more probes is still a refusal."""

    def probes(n: int):
        for i in range(n):
            yield _view(i, C, f"10.0.0.2:{i}", "S", i)
        yield _view(n, "10.0.0.2:7", C, "RA", 0, 8)  # probe #7's port is closed

    def kept(n: int) -> tuple[list[str], int]:
        expert = Expert()
        tracemalloc.start()
        for v in probes(n):
            expert.add(v)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return [r.split("\t")[0] for r in expert.section().body.splitlines()[1:2]], size  # type: ignore[union-attr]

    assert kept(1000)[0] == ["1 connection refused"]
    small, big = kept(20_000)[1], kept(80_000)[1]
    assert big < small * 1.2, (small, big)


@pytest.fixture
def forking(monkeypatch):
    monkeypatch.setattr(explain, "_can_fork", lambda: True)
    before = children()
    yield
    assert children() == before


def _mixed_capture() -> list[RawPacket]:
    """Conversations interleaved so that two processes each read some:
    refused, reset by the opener, aborted after data."""

    def seg(a, b, sport, dport, flags, seq, ack, data=b""):
        return bytes(
            IP(src=a, dst=b) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack) / data
        )

    out = []
    c, s = "192.0.2.2", "192.0.2.1"
    for n in range(12):
        port, isn = 41000 + n, 1000 * n
        kind = n % 3
        out.append(seg(c, s, port, 80 + kind, "S", isn, 0))
        if kind == 0:
            out.append(seg(s, c, 80, port, "RA", 0, isn + 1))
        else:
            out.append(seg(s, c, 80 + kind, port, "SA", 7000 * n, isn + 1))
            if kind == 2:
                out.append(seg(c, s, port, 82, "PA", isn + 1, 7000 * n + 1, b"hello"))
            out.append(seg(c, s, port, 80 + kind, "R", isn + 1 + 5 * (kind == 2), 0))
    return [RawPacket(0.001 * i, p) for i, p in enumerate(out)]


def test_both_ways_of_reading_a_capture_split_resets_alike(forking, tmp_path):
    path = tmp_path / "mixed.pcap"
    write_pcap(_mixed_capture(), path)
    assert [r[0] for r in reset_rows(explain_file(path))] == [
        "4 connections refused",
        "4 resets (RST)",
        "4 handshakes reset by the opener",
    ]
    for capture in (path, PROGRAMS / "scan.pcapng", PCAPS / "tcp-old-syn.pcap"):
        assert parallel_json(capture) == serial(capture)
        out = io.StringIO()
        write_explain_json(capture, out)
        wrong = [
            s for s in json.loads(out.getvalue())["sections"] if s["title"] == "What went wrong"
        ]
        assert wrong[0]["body"] == "\n".join(
            "\t".join(r)
            for r in [["Seen", "Packets", "What it means"], *rows(explain_file(capture))]
        )
