"""TCP segments put back in order before HTTP reads them, as tshark 4.0's
reassembly does for a message whose length it knows: a fast retransmission
fills the gap that segments after it were waiting on, and the message names
every segment it came from (tests/data/programs/lossy-link.pcapng, curl and
http.server across tutor's lossy forwarder). TLS records completed across
segments name theirs too (tests/data/pcaps/tls12-cert.pcapng,
tls13-hrr.pcapng), compared with tshark's `-T json` as
tests/test_dissect_programs.py compares the captures of other programs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_dissect_programs import TSHARK, check

from labs.dissect.core import dissect_all
from labs.dissect.proto import http
from labs.dissect.proto.base import Stream
from labs.files.pcapio import read_capture
from labs.model.trace import Layer

DATA = Path(__file__).parent / "data"
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n"  # 38 bytes
BODY = bytes(range(65, 95))  # 30 bytes
SEQ = 1000


def _packets(path: Path):  # type: ignore[no-untyped-def]
    raws, _link = read_capture(path)
    return dissect_all(raws)


def _send(stream: Stream, at: int, data: bytes, *flags: str) -> list[Layer]:
    """One segment carrying msg[at:at+len(data)], its payload at byte 54 of its packet."""
    stream.state["tcp.seq"], stream.state["tcp.analysis"] = SEQ + at, flags
    return http.dissect(data, 54, stream)


def test_lossy_link_response_is_read_once_its_gaps_are_filled() -> None:
    packets = _packets(DATA / "programs" / "lossy-link.pcapng")
    # frame 8 comes after a lost segment: kept in place, not read as a continuation
    held = packets[7].layers[-1]
    assert held.name == "HTTP (part)" and held.fields[0].name == "Held after a gap"
    assert "[TCP segment of a reassembled PDU]" in packets[7].summary
    # frame 26, a fast retransmission of the lost bytes, is read (it was shown as a copy)
    assert packets[25].layers[-1].name == "HTTP (part)"
    layer = packets[53].layers[-1]
    assert layer.name == "HTTP"
    count, size = layer.field("tcp.segment.count"), layer.field("tcp.reassembled.length")
    assert count is not None and count.value == "26"  # tshark: 26 segments, 35338 bytes
    assert size is not None and size.value == "35338"
    code = layer.field("http.response.code")
    assert code is not None and code.value == "200"
    assert (code.offset, code.length) == (layer.offset, 0)  # its bytes were in frame 6


def test_a_fast_retransmission_fills_the_gap_and_completes_the_message() -> None:
    stream = Stream()
    msg = HEAD + BODY
    assert _send(stream, 0, msg[:40])[-1].name == "HTTP (part)"
    kept = _send(stream, 55, msg[55:], "lost_segment")
    assert kept[0].fields[0].name == "Held after a gap"
    done = _send(stream, 40, msg[40:55], "fast_retransmission")
    layer = done[-2]  # then Data: the body has no Content-Type
    assert layer.name == "HTTP"
    count = layer.field("tcp.segment.count")
    assert count is not None and count.value == "3"
    body = layer.field("http.file_data")
    assert body is not None and body.value == BODY.decode()
    # Nothing read here points past this packet's 15 bytes (54..69).
    assert all(f.offset + f.length <= 69 for f in layer.fields)
    assert layer.offset + layer.length <= 69
    assert "early" not in stream.state and "held" not in stream.state


def test_a_retransmission_on_timeout_fills_a_gap_but_is_else_a_copy() -> None:
    """As tshark with tcp.reassemble_out_of_order on: resent bytes that the
    segments kept after a gap wait for complete the message; a copy of bytes
    read already is only a copy."""
    stream = Stream()
    msg = HEAD + BODY
    _send(stream, 0, msg[:40])
    _send(stream, 55, msg[55:], "lost_segment")
    done = _send(stream, 40, msg[40:55], "retransmission")
    assert [layer.name for layer in done] == ["HTTP", "Data"]
    again = _send(stream, 40, msg[40:55], "retransmission")
    assert [layer.name for layer in again] == ["TCP payload"]


def test_only_the_new_bytes_of_an_overlap_are_read() -> None:
    stream = Stream()
    msg = HEAD + BODY
    _send(stream, 0, msg[:50])
    done = _send(stream, 45, msg[45:], "fast_retransmission")
    layer = done[-2]  # then Data: the body has no Content-Type
    body = layer.field("http.file_data")
    assert body is not None and body.value == BODY.decode()  # not 5 bytes twice
    count = layer.field("tcp.segment.count")
    assert count is not None and count.value == "2"


def test_a_gap_past_the_message_is_said_out_loud() -> None:
    stream = Stream()
    msg = HEAD + BODY
    _send(stream, 0, msg[:40])
    after = _send(stream, 200, b"HTTP/1.1 204 No Content\r\n\r\n", "lost_segment")
    assert after[0].name == "HTTP (gap)"
    assert "cannot be read whole" in after[0].fields[0].explain
    assert after[-1].field("http.response.code") is not None  # reading starts again


def test_a_tls_record_names_its_segments() -> None:
    packets = _packets(DATA / "pcaps" / "tls12-cert.pcapng")
    layer = packets[17].layers[-1]
    assert layer.name.startswith("TLS Application Data (reassembled from 4")
    count, size = layer.field("tcp.segment.count"), layer.field("tcp.reassembled.length")
    assert count is not None and count.value == "4"  # tshark: frames 14, 15, 17, 18
    assert size is not None and size.value == "5016"  # the 5011-byte record and its header
    assert (count.offset, count.length) == (layer.offset, 0)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("name", ["tls12-cert", "tls13-hrr"])
def test_tls_captures_match_tshark_with_reassembly(name: str) -> None:
    """Every field of test_dissect_programs (tcp.segment.count and
    tcp.reassembled.length among them), with only its KNOWN differences."""
    check(DATA / "pcaps" / f"{name}.pcapng")
