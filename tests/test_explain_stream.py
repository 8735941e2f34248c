"""`tutor explain --json` reads a capture as a stream (issue 16 item 10,
issue 10 item 6): packets come from the file one at a time and what stays
in memory for the end of the document is small, yet the JSON is the one
`write_json(explain_file(F))` gives (tests/test_golden_explain.py pins
the bytes; these check the pieces that make it so)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from labs.dissect.core import dissect_all
from labs.dissect.expert import expert_section
from labs.dissect.steps import View
from labs.files import explain
from labs.files.explain import explain_file, write_explain_json
from labs.files.pcapio import read_capture
from labs.files.pcapread import CaptureStream, open_capture, parse_capture
from labs.files.streamjson import _Compact
from labs.files.tracejson import write_json
from labs.model.waterfall import from_seen, waterfall

PCAPS = Path(__file__).parent / "data" / "pcaps"
NAMES = sorted(p.name for p in PCAPS.iterdir())


def test_the_json_path_never_reads_the_whole_capture(monkeypatch):
    """The streamed writer goes through open_capture, never read_capture
    (which holds every packet), and gives explain_file's JSON."""
    path = PCAPS / "lossy-http.pcapng"
    expected = io.StringIO()
    write_json(explain_file(path), expected)

    def whole(*_a: object, **_k: object) -> None:
        raise AssertionError("read_capture holds the whole capture")

    monkeypatch.setattr(explain, "read_capture", whole)
    for parallel in (False, True):
        monkeypatch.setattr(explain, "_can_fork", lambda parallel=parallel: parallel)
        out = io.StringIO()
        write_explain_json(path, out, parallel_from=1)
        assert out.getvalue() == expected.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_the_stream_reads_what_the_list_reads(name):
    data = (PCAPS / name).read_bytes()
    whole = parse_capture(data, name)
    stream = CaptureStream(data, name)
    assert list(stream) == list(whole) == list(stream)  # read again from the start
    assert (stream.info.truncated, stream.info.note) == (whole.truncated, whole.note)
    with open_capture(PCAPS / name) as opened:
        assert list(opened) == list(whole)


def test_a_damaged_stream_notes_where_it_stops():
    data = (PCAPS / "dns.pcap").read_bytes()
    cut = data[: len(data) - 3]
    stream = CaptureStream(cut, "cut.pcap")
    packets = list(stream)
    assert packets == list(parse_capture(cut, "cut.pcap")) and stream.info.truncated


@pytest.mark.parametrize("name", NAMES)
def test_compact_residue_gives_the_same_waterfall(name):
    raws, _link = read_capture(PCAPS / name)
    packets = dissect_all(raws)
    compact = _Compact()
    kept = [compact(p) for p in packets]
    assert from_seen(kept) == waterfall(packets)


def test_what_went_wrong_counts_past_the_packets_it_lists():
    views = [
        View(n, n / 10, "a:1", "b:2", "[TCP Retransmission] x", frozenset({"TCP"}), "TCP", 0x18, 5, False, ("retransmission",))
        for n in range(12)
    ]  # fmt: skip
    section = expert_section(views)
    assert section is not None
    assert "12 retransmissions\t#1, #2, #3, #4, #5, #6, #7, #8 and 4 more\t" in section.body
