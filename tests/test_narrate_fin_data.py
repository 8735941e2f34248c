"""A TCP segment that carries data and a FIN is narrated as both: the bytes it
carries (and what they are, when a protocol module reads them), then that
they are the last from that side; its summary is the data segment's with
the FIN added."""

from __future__ import annotations

from pathlib import Path

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.pcapio import read_capture

PROGRAMS = Path(__file__).parent / "data" / "programs"


def test_a_protocol_message_with_a_fin() -> None:
    raws, _link = read_capture(PROGRAMS / "pop3.pcapng")
    last = dissect_all(raws)[18]  # the server's +OK to QUIT, with its FIN
    assert last.summary == "POP S: +OK + FIN"
    assert "sends 18 bytes to" in last.explain and "the mail server answers +OK" in last.explain
    assert last.explain.endswith(
        "carries a FIN: these are its last bytes; it will send nothing more."
    )


def test_bytes_no_module_reads_with_a_fin() -> None:
    from scapy.layers.inet import IP, TCP

    def seg(flags: str, seq: int, data: bytes = b"") -> RawPacket:
        tcp = TCP(sport=40000, dport=9999, flags=flags, seq=seq, ack=7 if "A" in flags else 0)
        return RawPacket(0.0, bytes(IP(src="192.0.2.2", dst="192.0.2.1") / tcp / data))

    packets = dissect_all([seg("S", 99), seg("FPA", 100, b"hello")])
    assert packets[1].summary == "TCP FIN, PSH, ACK (5 bytes)"
    assert packets[1].explain == (
        "192.0.2.2:40000 sends 5 bytes to 192.0.2.1:9999 (its bytes 1-5). "
        "The same segment carries a FIN: these are its last bytes; it will send nothing more."
    )
