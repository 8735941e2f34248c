"""Why a segment came again, said only as far as the packets tell, and its
bytes put to use: a retransmission soon after an ACK that still asked for
its bytes answers those ACKs (no timer); one after a long silence fits the
sender's timer. A retransmission that brings the bytes segments kept after a
gap wait for completes the HTTP message, as tshark does with
`tcp.reassemble_out_of_order` on. On tests/data/pcaps/lossy-http.pcapng (the
Linux stack behind a queue that drops, with SACK) and on written segments."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from labs.core.base import RawPacket
from labs.dissect.core import dissect_all
from labs.files.pcapio import read_capture, write_pcap

LOSSY = Path(__file__).parent / "data" / "pcaps" / "lossy-http.pcapng"
TSHARK = shutil.which("tshark")
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n"  # 38 bytes
BODY = bytes(range(65, 95))  # 30 bytes


def _lossy():  # type: ignore[no-untyped-def]
    raws, _link = read_capture(LOSSY)
    return dissect_all(raws)


def test_a_copy_soon_after_acks_asking_for_it_is_no_timer() -> None:
    packets = _lossy()
    resent = [p for p in packets if p.summary.startswith("[TCP Retransmission]")]
    assert [p.index for p in resent] == [27, 33, 49, 51, 53, 55, 65, 67]  # tshark's frames - 1
    for p in resent:
        if p.index == 65:  # 220 ms after the receiver's last ACK (#64)
            assert "no ACK came for 220 ms, so the sender's timer ran out" in p.explain
            continue
        assert "after the receiver's last ACK, which still asked for them" in p.explain
        assert "without waiting for its timer" in p.explain and "timer ran out" not in p.explain
    assert "6.0 ms after the receiver's last ACK" in packets[27].explain  # #26 at 238.3 ms


def test_resent_bytes_fill_the_gap_and_the_response_is_read() -> None:
    packets = _lossy()
    for p in packets[33:70]:
        if p.index in (43, 45, 57, 59, 61, 63):
            continue  # the bytes before these had not come yet (they do in #47..#67)
        assert "not seen yet" not in p.explain, p.index
    assert packets[27].summary.startswith("[TCP Retransmission] HTTP")
    http = packets[69].layer("HTTP")
    assert http is not None
    fields = {f.filter: f.value for f in http.fields}
    # tshark -o tcp.reassemble_out_of_order:TRUE: frame 70, 33 segments, 60203 bytes
    assert fields["http.response.code"] == "200"
    assert fields["tcp.segment.count"] == "33"
    assert fields["tcp.reassembled.length"] == "60203"


def _written(path: Path, asked: bool) -> Path:
    """A response whose middle 15 bytes never show up but come again later,
    the segment after the gap kept meanwhile: 4 ms after the receiver asked
    for them again (`asked`), else 300 ms on with nothing from it since."""
    msg = HEAD + BODY

    def seg(src: str, flags: str, seq: int, ack: int, data: bytes = b"") -> bytes:
        sport, dport = (80, 1000) if src == "s" else (1000, 80)
        a, b = ("10.0.0.2", "10.0.0.1") if src == "s" else ("10.0.0.1", "10.0.0.2")
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=8192)
        return bytes(Ether() / IP(src=a, dst=b) / tcp / data)

    c, s = 100, 500  # initial sequence numbers
    rows = [
        (0.0, seg("c", "S", c, 0)),
        (0.001, seg("s", "SA", s, c + 1)),
        (0.002, seg("c", "A", c + 1, s + 1)),
        (0.003, seg("c", "PA", c + 1, s + 1, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")),
        (0.010, seg("s", "A", s + 1, c + 27, msg[:40])),
        (0.011, seg("c", "A", c + 27, s + 41)),
        (0.030, seg("s", "PA", s + 56, c + 27, msg[55:])),  # after 15 bytes not seen
    ]
    if asked:
        rows.append((0.031, seg("c", "A", c + 27, s + 41)))  # still asks for byte 41
    rows.append((0.035 if asked else 0.331, seg("s", "A", s + 41, c + 27, msg[40:55])))
    raws = [RawPacket(1_700_000_000 + t, data, "ethernet") for t, data in rows]
    write_pcap(raws, path)
    return path


@pytest.mark.parametrize("asked", [True, False])
def test_a_written_gap_filled_by_a_copy(tmp_path: Path, asked: bool) -> None:
    path = _written(tmp_path / "resent.pcap", asked)
    raws, _link = read_capture(path)
    copy = dissect_all(raws)[-1]
    assert copy.summary.startswith("[TCP Retransmission]")
    if asked:
        assert "4.0 ms after the receiver's last ACK, which still asked for them" in copy.explain
        assert "without waiting for its timer" in copy.explain
    else:  # nothing from the receiver since the newest data: a timer
        assert "timer ran out" in copy.explain and "asked for them" not in copy.explain
    http = copy.layer("HTTP")
    assert http is not None
    assert {f.filter: f.value for f in http.fields}["http.response.code"] == "200"
    if TSHARK:
        args = [TSHARK, "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE", "-T"]
        args += ["fields", "-e", "tcp.analysis.retransmission", "-e", "http.response.code"]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)
        assert out.stdout.splitlines()[-1].split("\t") == ["1", "200"]
