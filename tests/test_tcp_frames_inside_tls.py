"""Wireshark's frame-number fields of TCP analysis (tcp.analysis.duplicate_ack_frame,
tcp.analysis.rto_frame) count the frames of the capture, which a lab's trace
interleaves with the plaintext it read inside TLS. The wire packets' values
must stay tshark's whatever is read in between: they were off by one for each
packet read inside TLS before them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from labs.dissect.core import dissect_all
from labs.files.pcapread import read_capture
from labs.model.trace import Packet

LOSSY = Path(__file__).parent / "data" / "pcaps" / "lossy-http.pcapng"
#: tshark -r lossy-http.pcapng -Y tcp.analysis.duplicate_ack -T fields
#: -e frame.number -e tcp.analysis.duplicate_ack_frame
DUP_ACKS = {19: 17, 23: 17, 25: 17, 31: 29, 45: 43, 47: 43, 61: 57, 63: 57, 65: 57}


def frames(packets: tuple[Packet, ...], name: str) -> dict[int, int]:
    """Wire packet's frame number -> the value of field `name`."""
    wire = [p for p in packets if p.origin == "wire"]
    return {
        n: int(f.value)
        for n, p in enumerate(wire, 1)
        for layer in p.layers
        for f in layer.fields
        if f.filter == name
    }


def test_frames_named_by_tcp_analysis_skip_what_was_read_inside_tls():
    capture, _link = read_capture(LOSSY)
    raws = list(capture)
    assert frames(dissect_all(raws), "tcp.analysis.duplicate_ack_frame") == DUP_ACKS
    # Three packets "read inside TLS" before the losses (a copy of an early
    # packet: what it holds does not matter, only that it is not a frame).
    inside = replace(raws[3], origin="inside-tls")
    mixed = [*raws[:4], inside, inside, inside, *raws[4:]]
    packets = dissect_all(mixed)
    assert frames(packets, "tcp.analysis.duplicate_ack_frame") == DUP_ACKS
    rto = frames(packets, "tcp.analysis.rto_frame")
    assert rto and rto == frames(dissect_all(raws), "tcp.analysis.rto_frame")
