"""A lab run's header counts the packets as Wireshark will: the tls lab
said "17 packets" where Wireshark shows 15 (two were read inside TLS), and
named only the first of the lettered numbers."""

from __future__ import annotations

from pathlib import Path

from labs.model.trace_file import read_trace_file
from tutor.tracetext import header

RUN = Path(__file__).parent / "data" / "golden" / "tls" / "default" / "trace.json"


def test_the_header_says_how_many_crossed_the_wire_and_which_were_read_inside() -> None:
    trace = read_trace_file(RUN)
    # As the CLI calls it: with the capture's whole count (nothing filtered).
    text = " ".join(header(trace, 200, len(trace.packets))).replace("\n", " ")
    assert "13 packets (11 on the wire, 2 read inside TLS) over 29.8 ms" in text
    assert "#6a and #8a were read inside TLS, each after the packet its number names." in text
