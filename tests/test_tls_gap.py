"""TLS records read across a gap as tshark 4.0 reads them, and a gap never
filled said out loud in "What went wrong" (issue 10).

tests/data/programs/tls-gap.pcapng is the first 52 packets of a real
`tutor lab run slow-network --loss 15 --delay 20 --ipv6` (see
tests/data/programs/README.md): the server's first 16 KB record loses two
segments, one resent out of order and one by a fast retransmission that
completes the record; the second record loses a segment that is resent out
of order and one that never comes before the capture ends. The whole capture
is compared with tshark field by field in tests/test_dissect_programs.py.
"""

from __future__ import annotations

import io
from pathlib import Path

from labs.dissect.core import dissect_all
from labs.dissect.proto import tls
from labs.dissect.proto.base import Stream
from labs.dissect.proto.tls_record import TLS12, TLS13
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import read_capture
from labs.files.tracejson import write_json
from labs.model.trace import Layer

DATA = Path(__file__).parent / "data"
GAP = DATA / "programs" / "tls-gap.pcapng"
SEQ = 5000


def _went_wrong(path: Path) -> str:
    trace = explain_file(str(path))
    return next(s.body for s in trace.sections if s.title == "What went wrong")


def _send(stream: Stream, at: int, data: bytes, *flags: str) -> list[Layer]:
    stream.state["tcp.seq"], stream.state["tcp.analysis"] = SEQ + at, flags
    return tls.dissect(data, 66, stream)


def _record(n: int, fill: int) -> bytes:
    return b"\x17\x03\x03" + n.to_bytes(2, "big") + bytes([fill]) * n


def _value(layers: list[Layer], name: str) -> str | None:
    found = [f.value for layer in layers for f in layer.fields if f.filter == name]
    return found[0] if found else None


def test_a_record_held_across_a_gap_is_read_at_the_fast_retransmission() -> None:
    raws, _link = read_capture(GAP)
    packets = dissect_all(raws)
    held = packets[16].layers[-1]  # after a gap: kept in place, not read
    assert held.name == "TLS record (continued)" and held.fields[0].name == "Held after a gap"
    done = packets[42].layers  # the fast retransmission completes the 16 KB record
    assert _value(list(done), "tls.record.length") == "16401"
    assert _value(list(done), "tcp.segment.count") == "12"  # tshark: 14,15,43,32,17,...,29


def test_bytes_past_a_waiting_record_start_the_next_one() -> None:
    """As Wireshark: a record's end is known from its header, so the bytes
    after it are read while a gap keeps it waiting; out-of-order bytes are
    put in place but not read, timeout retransmissions are left out."""
    stream = Stream()
    first, second = _record(95, 1), _record(45, 2)
    wire = first + second  # 100 + 50 bytes
    assert _value(_send(stream, 0, wire[:40]), "tls.record.length") is None
    assert _send(stream, 60, wire[60:80], "lost_segment")[0].fields[0].name == "Held after a gap"
    late = _send(stream, 80, wire[80:150])  # ends the first record, then the whole second
    assert _value(late, "tls.record.length") == "45"
    assert _send(stream, 40, wire[40:60], "retransmission")[0].name == "TLS (resent)"
    done = _send(stream, 40, wire[40:60], "fast_retransmission")
    assert _value(done, "tls.record.length") == "95"
    assert _value(done, "tcp.segment.count") == "4"  # 0-40, 60-80, 80-100, 40-60
    app = next(f for layer in done for f in layer.fields if f.filter == "tls.app_data")
    assert (app.offset, app.length) == (66, 20)  # only this packet's bytes of the record


def test_a_record_completed_out_of_order_is_counted_not_read() -> None:
    stream = Stream()
    wire = _record(95, 3)
    _send(stream, 0, wire[:40])
    _send(stream, 60, wire[60:], "lost_segment")
    done = _send(stream, 40, wire[40:60], "out_of_order")
    assert _value(done, "tcp.segment.count") == "3"
    assert _value(done, "tls.record.length") is None  # tshark: no subdissector on error


def test_bytes_after_a_lost_header_are_read_as_wireshark_guesses() -> None:
    """After a gap that took a record's header, TLS 1.3 bytes are guessed at:
    an SSLv2 header (first byte >= 0x80, third 0, 1, 2 or 4) or, with four
    printable bytes first, plain data (both seen in lossy slow-network runs)."""
    stream = Stream()
    stream.shared["version"] = TLS13
    guess = _send(stream, 0, b"\x80\x0a\x02" + bytes(9))
    assert _value(guess, "tls.record.version") == "0x0002"
    text = _send(stream, 12, b"`0yx" + bytes(20))
    assert _value(text, "data.len") == "24"
    other = _send(stream, 36, b"\x80\x0a\x05" + bytes(9))
    assert _value(other, "tls.record.version") is None
    # TLS 1.2 known: a record is read at once, type 25 too; a bad type skips
    # the length its header gives (both seen in lossy openssl s_server runs).
    tls12 = Stream()
    tls12.shared["version"] = TLS12
    cid = _send(tls12, 0, b"\x19\xf0\x1a\x00\x04" + bytes(4))
    assert _value(cid, "tls.record.content_type") == "25"
    skipped = _send(tls12, 9, b"\x99\x00\x00\x00\x02" + bytes(2) + _record(1, 7))
    assert _value(skipped, "tls.record.length") == "1"


def test_a_header_cut_at_a_segment_end_is_read_with_the_next_segment() -> None:
    """As tshark 4.0 reads the same segments (checked on a capture made of
    them): the cut header waits for the next segment; a record that ends in
    that segment says the whole segment was joined to the header."""
    stream = Stream()
    wire = _record(100, 1) + _record(3000, 2) + _record(50, 3) + _record(2000, 4)
    cuts = [0, 108, 1508, 3112, 3169, len(wire)]
    got = [_send(stream, a, wire[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]
    assert [_value(layers, "tls.record.length") for layers in got] == [
        "100", None, "3000", "50", "2000"]  # fmt: skip
    assert [_value(layers, "tcp.segment.count") for layers in got] == [None, None, "3", "2", "2"]
    assert _value(got[3], "tcp.reassembled.length") == "59"  # 2 header bytes + 57
    assert _value(got[4], "tcp.reassembled.length") == "2005"


def test_a_gap_never_filled_is_said_with_its_bytes_and_packet() -> None:
    body = _went_wrong(GAP)
    row = next(line for line in body.splitlines() if "never captured" in line)
    assert row.startswith("1428 bytes never captured\t#45\t")  # tshark's frame 45
    assert "[2001:db8:3::80]:443 to [2001:db8:1::10]:35372: 1428 bytes before #45" in row


def test_gaps_filled_later_are_not_said() -> None:
    body = _went_wrong(DATA / "pcaps" / "lossy-http.pcapng")  # 5 gaps, all resent
    assert "segments not captured" in body
    assert "never captured" not in body


def test_the_streamed_json_says_it_as_the_whole_one_does(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    whole = io.StringIO()
    write_json(explain_file(str(GAP)), whole)
    for parallel in (False, True):
        monkeypatch.setattr(explain, "_can_fork", lambda p=parallel: p)
        out = io.StringIO()
        write_explain_json(str(GAP), out, parallel_from=1 if parallel else 10**9)
        assert out.getvalue() == whole.getvalue()
    assert "1428 bytes never captured" in whole.getvalue()
