"""A field's line in the packet tree and in `tutor explain -v` says what it
is once: "Sequence number (relative): 1", as Wireshark's tree says
"Sequence Number: 1 (relative sequence number)", not "(relative)" twice."""

from __future__ import annotations

from pathlib import Path

from labs.files.explain import explain_file
from tutor.packettext import packet_lines
from tutor.screens.trace_view import field_label

HTTP = Path(__file__).parent / "data" / "pcaps" / "http.pcap"
RELATIVE = ("tcp.seq", "tcp.ack", "tcp.nxtseq")


def _data_segment():
    trace = explain_file(HTTP)
    return next(p for p in trace.packets if p.layer("TCP") and p.number("tcp.len"))


def test_the_tree_says_relative_once():
    packet = _data_segment()
    tcp = packet.layer("TCP")
    assert tcp is not None
    labels = {f.filter: field_label(f, False) for f in tcp.fields}
    for name in RELATIVE:
        assert labels[name].count("relative") == 1, labels[name]
    seq = packet.field("tcp.seq")
    assert seq is not None
    assert labels["tcp.seq"] == f"Sequence number (relative): {seq.value}  [tcp.seq]"


def test_explain_verbose_says_relative_once():
    packet = _data_segment()
    lines = packet_lines(packet, show_secrets=False, verbose=True)
    for name in RELATIVE:
        (line,) = (line for line in lines if f" {name} = " in line)
        assert line.count("relative") == 1, line
