"""HTTP/1.x messages across TCP segments (tests/make_http_pcaps.sh: curl
against python's http.server in namespaces of our own: Content-Length,
chunked, gzip, deflate and chunked+gzip bodies, a POST body and a long
header), read as tshark reads them with its reassembly on: every field
below, in every packet, equal to tshark's; the message read in the segment
that completes it, with its fields' offsets in that packet."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labs.dissect.core import dissect_all
from labs.dissect.proto import http_body
from labs.files.pcapio import read_capture

DATA = Path(__file__).parent / "data"
CAPTURES = [DATA / "programs" / "http-reassembly.pcapng", DATA / "pcaps" / "http.pcap"]
TSHARK = shutil.which("tshark")
REASSEMBLY = [
    "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "http.desegment_body:TRUE",
    "-o", "http.dechunk_body:TRUE", "-o", "http.decompress_body:TRUE",
]  # fmt: skip
#: tutor's filter -> tshark's (the Content-Length header: both names carry its value)
FIELDS = {
    "http.request.method": "http.request.method",
    "http.request.uri": "http.request.uri",
    "http.request.version": "http.request.version",
    "http.response.code": "http.response.code",
    "http.response.phrase": "http.response.phrase",
    "http.host": "http.host",
    "http.content_length": "http.content_length_header",
    "http.content_type": "http.content_type",
    "http.transfer_encoding": "http.transfer_encoding",
    "http.content_encoding": "http.content_encoding",
    "http.chunk_size": "http.chunk_size",
    "tcp.segment.count": "tcp.segment.count",
    "tcp.reassembled.length": "tcp.reassembled.length",
}


def _tshark(path: Path) -> list[dict[str, list[str]]]:
    assert TSHARK is not None
    args = [TSHARK, "-r", str(path), *REASSEMBLY, "-T", "json", "-e", "http.file_data"]
    for name in FIELDS.values():
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    return [p["_source"]["layers"] for p in json.loads(out)]


def _ours(path: Path) -> list[dict[str, list[str]]]:
    raws, _link = read_capture(path)
    found = []
    for packet in dissect_all(raws):
        got: dict[str, list[str]] = {}
        for layer in packet.layers:
            for f in layer.fields:
                if f.filter in FIELDS:
                    got.setdefault(FIELDS[f.filter], []).append(f.value)
                elif f.filter == "http.file_data":
                    got.setdefault("file_data_length", []).append(f.show.split()[0])
        found.append(got)
    return found


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_fields_equal_tsharks_with_reassembly(path: Path) -> None:
    theirs, ours = _tshark(path), _ours(path)
    assert len(theirs) == len(ours)
    checked, wrong = 0, []
    for number, (want, have) in enumerate(zip(theirs, ours, strict=True), start=1):
        want = dict(want)
        if "http.file_data" in want:
            want["file_data_length"] = [str(len(v.encode())) for v in want.pop("http.file_data")]
        for name in [*FIELDS.values(), "file_data_length"]:
            if want.get(name, []) != have.get(name, []):
                wrong.append(
                    f"frame {number} {name}: tshark {want.get(name)}, tutor {have.get(name)}"
                )
            checked += len(want.get(name, []))
    assert not wrong, "\n".join(wrong[:20])
    assert checked > 20


def _packets(name: str):  # type: ignore[no-untyped-def]
    raws, _link = read_capture(DATA / "programs" / name)
    return dissect_all(raws)


def test_a_message_is_read_where_it_completes_and_names_its_segments() -> None:
    packets = _packets("http-reassembly.pcapng")
    # frame 6 starts the /text response, frame 16 completes it (tshark: 6 segments)
    start, done = packets[5], packets[15]
    assert [layer.name for layer in start.layers][-1] == "HTTP (part)"
    assert "[TCP segment of a reassembled PDU]" in start.summary
    layer = done.layers[-1]
    assert layer.name == "HTTP"
    count = layer.field("tcp.segment.count")
    assert count is not None and count.show == "6 reassembled TCP segments"
    code = layer.field("http.response.code")
    assert code is not None and (code.offset, code.length) == (layer.offset, 0)
    body = layer.field("http.file_data")
    payload = len(bytes.fromhex(done.hex)) - layer.offset
    assert body is not None and body.length == payload  # the body's last bytes are here
    assert body.value.startswith("line 0000: the quick brown fox")  # text shown as text


def test_gzip_and_chunked_are_undone() -> None:
    packets = _packets("http-reassembly.pcapng")
    layer = packets[47].layers[-1]  # /chunked-gzip: 3 chunks of gzip data
    sizes = [f.value for f in layer.fields if f.filter == "http.chunk_size"]
    assert sizes == ["181", "181", "179", "0"]
    body = layer.field("http.file_data")
    assert body is not None and body.show == "26400 bytes"
    assert body.value.startswith("line 0000")


def test_inflating_is_bounded() -> None:
    import gzip

    bomb = gzip.compress(b"\0" * (http_body.INFLATE_MAX + 1000))
    out, note = http_body.decode(bomb, "gzip")
    assert len(out) == http_body.INFLATE_MAX
    assert "cut at" in note


def test_a_gap_is_said_out_loud() -> None:
    from labs.dissect.proto import http
    from labs.dissect.proto.base import Stream

    stream = Stream()
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"
    first = http.dissect(head, 54, stream)
    assert first[-1].name == "HTTP (part)"
    stream.state["tcp.analysis"] = ("lost_segment",)
    after = http.dissect(b"xyz", 54, stream)
    assert after[0].name == "HTTP (gap)"
    assert "cannot be read whole" in after[0].fields[0].explain
    assert "held" not in stream.state
