"""tcp.analysis decisions made on time differences, compared as tshark does:
in whole microseconds of the capture's times. A retransmission exactly one
handshake time (the first RTT) after the furthest segment is a
retransmission to tshark; as a difference of two epoch floats it came out a
hair smaller about one time in five, and tutor called it out of order (a CI
run of the slow-network lab: tshark flagged one retransmission tutor did
not)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.pcapio import write_pcap

C, S = "10.0.0.1", "10.0.0.2"
#: start times (whole microseconds) whose float differences came out short
STARTS = (1764000000.01346, 1764000000.080145, 1764000000.106819, 1764000000.200178)


def _seg(src: str, dst: str, flags: str, seq: int, ack: int, data: bytes = b"") -> bytes:
    sport, dport = (1000, 80) if src == C else (80, 1000)
    tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack)
    packet = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst) / tcp
    return bytes(packet / Raw(data)) if data else bytes(packet)


def _capture(t0: float) -> list[RawPacket]:
    """A handshake with a 50 ms first RTT, two segments, and the first sent
    again exactly 50 ms after the second (the furthest)."""
    timed = [
        (0.0, _seg(C, S, "S", 100, 0)),
        (0.025, _seg(S, C, "SA", 500, 101)),
        (0.05, _seg(C, S, "A", 101, 501)),
        (0.06, _seg(C, S, "PA", 101, 501, b"x" * 100)),
        (0.061, _seg(C, S, "PA", 201, 501, b"y" * 100)),
        (0.111, _seg(C, S, "PA", 101, 501, b"x" * 100)),
    ]
    return [RawPacket(round(t0 + t, 6), data, "ethernet") for t, data in timed]


def _flags(raws: list[RawPacket]) -> set[str]:
    last = dissect_all(raws)[-1]
    return {f.filter for layer in last.layers for f in layer.fields if ".analysis." in f.filter}


@pytest.mark.parametrize("t0", STARTS)
def test_a_resend_exactly_one_rtt_after_the_furthest_segment_is_a_retransmission(t0, tmp_path):
    raws = _capture(t0)
    flags = _flags(raws)
    assert "tcp.analysis.retransmission" in flags and "tcp.analysis.out_of_order" not in flags
    if shutil.which("tshark"):
        path = tmp_path / "resend.pcap"
        write_pcap(raws, path)
        shown = subprocess.run(
            ["tshark", "-r", str(path), "-Y", "tcp.analysis.retransmission", "-T", "fields"]
            + ["-e", "frame.number"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout.split()  # fmt: skip
        assert shown == ["6"]
