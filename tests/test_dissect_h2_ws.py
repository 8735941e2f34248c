"""The HTTP/2 and WebSocket dissectors on bytes made here: frames that end
in a later TCP segment, HPACK's dynamic table across requests, a table size
update, extended WebSocket lengths, unmasking, and the HTTP/1.1 fallback.
tshark reads the same packets (written to a pcap) as the reference."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hpack import Encoder
from scapy.layers.inet import IP, TCP
from tshark_compare import compare

from labs.core.base import RawPacket
from labs.dissect.core import build_trace, dissect_all
from labs.dissect.proto.http2_hpack import representations
from labs.dissect.proto.websocket import accept_for
from labs.files.pcapio import write_pcap
from labs.model.trace import Packet

CLIENT, SERVER = ("127.0.0.1", 40000), ("127.0.0.1", 8443)
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _segments(flows: list[tuple[bool, bytes]]) -> list[RawPacket]:
    """TCP segments with these payloads (True: client to server), numbered
    like one connection, after a handshake, so tshark reassembles them."""
    seq = {True: 1000, False: 5000}
    out = [
        RawPacket(
            0.0,
            bytes(
                IP(src=CLIENT[0], dst=SERVER[0])
                / TCP(sport=CLIENT[1], dport=SERVER[1], flags="S", seq=999)
            ),
        ),
        RawPacket(
            0.001,
            bytes(
                IP(src=SERVER[0], dst=CLIENT[0])
                / TCP(sport=SERVER[1], dport=CLIENT[1], flags="SA", seq=4999, ack=1000)
            ),
        ),
        RawPacket(
            0.002,
            bytes(
                IP(src=CLIENT[0], dst=SERVER[0])
                / TCP(sport=CLIENT[1], dport=SERVER[1], flags="A", seq=1000, ack=5000)
            ),
        ),
    ]
    for i, (up, data) in enumerate(flows):
        (src, sport), (dst, dport) = (CLIENT, SERVER) if up else (SERVER, CLIENT)
        tcp = TCP(sport=sport, dport=dport, flags="PA", seq=seq[up], ack=seq[not up])
        out.append(RawPacket(0.01 * (i + 1), bytes(IP(src=src, dst=dst) / tcp / data)))
        seq[up] += len(data)
    return out


def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return (
        len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload
    )


def _h2_flows() -> list[tuple[bool, bytes]]:
    enc = Encoder()
    head = [
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", "shop.example"),
        (":path", "/a"),
    ]
    first = _frame(1, 0x5, 1, enc.encode(head))
    second = _frame(1, 0x5, 3, enc.encode([*head[:3], (":path", "/b")]))
    settings = _frame(4, 0, 0, (4).to_bytes(2, "big") + (16384).to_bytes(4, "big"))
    server = Encoder()
    # A table size update before the first header, as some servers send.
    server.header_table_size = 2048
    answer = _frame(1, 0x4, 1, server.encode([(":status", "200")]))
    body = bytes(range(256)) * 40  # 10240 bytes, split across two segments
    data = _frame(0, 0x1, 1, body)
    return [
        (True, PREFACE + settings + first),
        (True, second),
        (False, _frame(4, 0, 0, b"") + answer + data[:3000]),
        (False, data[3000:] + _frame(8, 0, 1, (10240).to_bytes(4, "big"))),
    ]


def _frames(p: Packet) -> list[str]:
    return [layer.name for layer in p.layers if layer.name.startswith("HTTP2")]


def test_a_frame_split_across_segments_is_shown_where_it_ends():
    packets = dissect_all(_segments(_h2_flows()), {SERVER[1]: "http2"})
    assert _frames(packets[3]) == ["HTTP2 preface", "HTTP2 SETTINGS", "HTTP2 HEADERS"]
    assert _frames(packets[5]) == ["HTTP2 SETTINGS", "HTTP2 HEADERS", "HTTP2 continuation"]
    assert _frames(packets[6]) == ["HTTP2 DATA", "HTTP2 WINDOW_UPDATE"]
    data = packets[6].layers[-2]
    # The frame's header arrived in the earlier segment: its fields there have
    # no bytes here, the data's bytes start at this segment's payload.
    assert data.field("http2.length").value == "10240" and data.field("http2.length").length == 0
    assert data.field("http2.data.data").length == 10240 + 9 - 3000
    assert packets[6].summary == "HTTP2 DATA[1], WINDOW_UPDATE[1]"


def test_hpack_indexes_what_the_first_request_sent():
    packets = dissect_all(_segments(_h2_flows()), {SERVER[1]: "http2"})
    second = packets[4].layers[-1]
    reprs = [f.value for f in second.fields if f.filter == "http2.header.repr"]
    assert reprs.count("Indexed Header Field") == 3  # only :path is spelled out
    assert int(second.field("http2.length").value) < int(
        packets[3].layers[-1].field("http2.length").value
    )
    answer = next(layer for layer in packets[5].layers if layer.name == "HTTP2 HEADERS")
    assert answer.field("http2.header_table_size_update.header_table_size").value == "2048"
    assert answer.field("http2.header.count").value == "2"  # the update counts, as in Wireshark


def test_an_http1_direction_is_read_as_http():
    flows = [(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), (False, _frame(4, 0, 0, b""))]
    packets = dissect_all(_segments(flows), {SERVER[1]: "http2"})
    assert packets[3].field("http.request.method").value == "GET"
    assert _frames(packets[4]) == ["HTTP2 SETTINGS"]


def test_hpack_representations_are_found_by_their_prefixes():
    block = Encoder().encode([(":method", "GET"), ("x-new", "1")])
    kinds = [r[2] for r in representations(block)]
    assert kinds == [
        "Indexed Header Field",
        "Literal Header Field with Incremental Indexing - New Name",
    ]


def _ws_flows() -> list[tuple[bool, bytes]]:
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    upgrade = (
        f"GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    switched = (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_for(key)}\r\n\r\n"
    ).encode()
    mask = bytes([1, 2, 3, 4])
    text = b"hello"
    masked = bytes(c ^ mask[i % 4] for i, c in enumerate(text))
    big = b"x" * 300  # 126: a 16-bit extended length
    pushed = bytes([0x81, 126]) + len(big).to_bytes(2, "big") + big
    return [
        (True, upgrade),
        (False, switched + bytes([0x81, 2]) + b"hi"),
        (True, bytes([0x81, 0x80 | len(text)]) + mask + masked),
        (False, pushed[:100]),
        (False, pushed[100:] + bytes([0x88, 2, 0x03, 0xE8])),
    ]


def test_websocket_frames_masks_and_lengths():
    packets = dissect_all(_segments(_ws_flows()), {SERVER[1]: "websocket"})
    assert packets[3].field("http.sec_websocket_key").value == "dGhlIHNhbXBsZSBub25jZQ=="
    # RFC 6455 section 1.3's own example.
    assert packets[4].field("http.sec_websocket_accept").value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert packets[4].field("websocket.payload.text").value == "hi"
    hello = packets[5]
    assert hello.field("websocket.mask").value == "1"
    assert hello.field("websocket.masking_key").value == "01:02:03:04"
    assert hello.field("websocket.payload.text").value == "hello"
    assert packets[6].layers[-1].name == "WebSocket continuation"
    assert packets[7].field("websocket.payload_length_ext_16").value == "300"
    assert packets[7].field("websocket.payload.close.status_code").value == "1000"


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize(
    ("flows", "proto", "prefixes"),
    [(_h2_flows, "http2", ("http2.",)), (_ws_flows, "http", ("websocket.", "http.sec_websocket"))],
    ids=["http2", "websocket"],
)
def test_tshark_reads_the_same_fields(tmp_path: Path, flows, proto, prefixes):
    raws = _segments(flows())
    name = "http2" if proto == "http2" else "websocket"
    trace = build_trace(lab="t", target="t", capture="file", raws=raws, decode_as={SERVER[1]: name})
    pcap = tmp_path / "made.pcap"
    write_pcap(trace, pcap)
    assert compare(trace, pcap, prefixes, [f"tcp.port=={SERVER[1]},{proto}"]) > 20
    assert os.path.getsize(pcap) > 0
