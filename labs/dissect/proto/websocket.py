"""WebSocket (RFC 6455): the HTTP/1.1 Upgrade, then each frame, with the
Wireshark fields tshark shows for it.

A conversation starts as HTTP (read by `labs.dissect.proto.http`, with the
Sec-WebSocket-* headers given the names Wireshark's HTTP dissector uses);
after the server's `101 Switching Protocols` both directions carry frames.
A client's frames are masked: the payload is shown as it crossed the wire
and, unmasked, as its text. A frame that ends in a later TCP segment is
shown in the packet where it ends, as Wireshark does.

Frames are read by hand: the libraries that speak WebSocket (`websockets`,
`wsproto`) parse from a stream and report no byte positions, and the layout
is a few bits and lengths (RFC 6455 section 5.2).
"""

from __future__ import annotations

import base64
import hashlib

from labs.dissect.proto import http
from labs.dissect.proto.base import App, Stream, app
from labs.model.trace import Field, Layer

#: RFC 6455 section 1.3: appended to the client's key before hashing.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPCODES = {0: "Continuation", 1: "Text", 2: "Binary", 8: "Connection Close", 9: "Ping", 10: "Pong"}
_OPCODE_EXPLAIN = {
    0: "The next piece of a message split over several frames.",
    1: "A text message (UTF-8).",
    2: "A binary message: any bytes.",
    8: "Closing the WebSocket: a status code and a reason; the other side answers with its own Close.",
    9: "'Are you there?': the other side must answer with a Pong carrying the same bytes.",
    10: "The answer to a Ping (or a one-way heartbeat).",
}
CLOSE_CODES = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1008: "policy violation",
    1009: "message too big",
    1011: "server error",
}
#: Upgrade headers -> the field Wireshark's HTTP dissector gives them.
HTTP_NAMES = {
    "sec-websocket-key": "http.sec_websocket_key",
    "sec-websocket-accept": "http.sec_websocket_accept",
    "sec-websocket-version": "http.sec_websocket_version",
    "sec-websocket-extensions": "http.sec_websocket_extensions",
    "sec-websocket-protocol": "http.sec_websocket_protocol",
}
_HTTP_EXPLAIN = {
    "sec-websocket-key": "16 random bytes in base64, new for every connection: the server must "
    "prove it read them.",
    "sec-websocket-accept": "base64(SHA-1(the client's key + a fixed GUID)): proof this server "
    "speaks WebSocket and is not an old cache replaying an answer.",
    "sec-websocket-version": "13: the only version in use (RFC 6455).",
}
SHOWN = 256


def accept_for(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def _http(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    layers = http.dissect(payload, offset, stream)
    out = []
    for layer in layers:
        fields = []
        for f in layer.fields:
            filt = HTTP_NAMES.get(f.name.lower())
            if filt is not None and f.filter is None:
                # http.py spans an unnamed header's whole line; the named
                # field is its value, at the end of the line.
                n = len(f.value.encode("latin-1", "replace"))
                f = Field(
                    f.name,
                    filt,
                    f.value,
                    f.value,
                    f.offset + f.length - n,
                    n,
                    _HTTP_EXPLAIN.get(f.name.lower(), ""),
                )
            fields.append(f)
        out.append(Layer(layer.name, layer.offset, layer.length, tuple(fields)))
    return out


def _frame_size(d: bytes, i: int) -> int | None:
    """Header plus payload bytes of the frame at `d[i:]`, or None when its header is cut."""
    if len(d) - i < 2:
        return None
    n, at = d[i + 1] & 0x7F, i + 2
    if n == 126:
        if len(d) - i < 4:
            return None
        n, at = int.from_bytes(d[i + 2 : i + 4], "big"), i + 4
    elif n == 127:
        if len(d) - i < 10:
            return None
        n, at = int.from_bytes(d[i + 2 : i + 10], "big"), i + 10
    return at - i + (4 if d[i + 1] & 0x80 else 0) + n


def _frame(d: bytes, i: int, base: int, first: int) -> Layer:
    def fld(
        label: str, filt: str | None, value: str, show: str, at: int, n: int, ex: str = ""
    ) -> Field:
        start = max(base + at, first)
        return Field(label, filt, value, show, start, max(base + at + n, start) - start, ex)

    b0, b1 = d[i], d[i + 1]
    fin, rsv, op, masked, n7 = b0 >> 7, (b0 >> 4) & 7, b0 & 0xF, b1 >> 7, b1 & 0x7F
    name = OPCODES.get(op, f"opcode {op}")
    fields = [
        fld(
            "Fin",
            "websocket.fin",
            str(fin),
            "last frame of the message" if fin else "more follow",
            i,
            1,
            "1: this frame ends the message.",
        ),
        fld(
            "Reserved",
            "websocket.rsv",
            f"0x{rsv:02x}",
            str(rsv),
            i,
            1,
            "Bits for extensions (compression sets the first); 0 here.",
        ),
        fld("Opcode", "websocket.opcode", str(op), name, i, 1, _OPCODE_EXPLAIN.get(op, "")),
        fld(
            "Mask",
            "websocket.mask",
            str(masked),
            "masked" if masked else "not masked",
            i + 1,
            1,
            "Every frame from a client is masked; frames from a server never are.",
        ),
        fld(
            "Payload length",
            "websocket.payload_length",
            str(n7),
            f"{n7}",
            i + 1,
            1,
            "The payload's length (126 or 127: the real length follows in 2 or 8 bytes).",
        ),
    ]
    at, length = i + 2, n7
    if n7 == 126:
        length = int.from_bytes(d[at : at + 2], "big")
        fields.append(
            fld(
                "Extended payload length",
                "websocket.payload_length_ext_16",
                str(length),
                f"{length} bytes",
                at,
                2,
            )
        )
        at += 2
    elif n7 == 127:
        length = int.from_bytes(d[at : at + 8], "big")
        fields.append(
            fld(
                "Extended payload length",
                "websocket.payload_length_ext_64",
                str(length),
                f"{length} bytes",
                at,
                8,
            )
        )
        at += 8
    key = b""
    if masked:
        key = d[at : at + 4]
        fields.append(
            fld(
                "Masking key",
                "websocket.masking_key",
                key.hex(":"),
                key.hex(" "),
                at,
                4,
                "4 random bytes, new for every frame; each payload byte is XORed with "
                "one of them in turn.",
            )
        )
        at += 4
    raw = d[at : at + length]
    clear = bytes(c ^ key[k % 4] for k, c in enumerate(raw)) if masked else raw
    if masked:
        fields.append(
            fld(
                "Masked payload",
                None,
                _hex(raw),
                f"{len(raw)} bytes, masked",
                at,
                len(raw),
                "The bytes as they crossed the wire: unreadable until XORed with the masking key.",
            )
        )
    fields += _payload(fld, op, clear, at)
    return Layer(
        f"WebSocket {name}",
        max(base + i, first),
        max(base + at + length, first) - max(base + i, first),
        tuple(fields),
    )


def _hex(b: bytes) -> str:
    return b[:SHOWN].hex(":") + (f" … ({len(b)} bytes)" if len(b) > SHOWN else "")


def _payload(fld, op: int, p: bytes, at: int) -> list[Field]:  # type: ignore[no-untyped-def]
    if op == 1:
        text = p.decode("utf-8", "replace")
        return [
            fld(
                "Text",
                "websocket.payload.text",
                text,
                text[:SHOWN],
                at,
                len(p),
                "The message, unmasked: what the program on the other end receives.",
            )
        ]
    if op == 8 and len(p) >= 2:
        code = int.from_bytes(p[:2], "big")
        out = [
            fld(
                "Status code",
                "websocket.payload.close.status_code",
                str(code),
                f"{code} ({CLOSE_CODES.get(code, 'see RFC 6455 section 7.4')})",
                at,
                2,
                "Why the WebSocket closes: 1000 is a normal close.",
            )
        ]
        if len(p) > 2:
            reason = p[2:].decode("utf-8", "replace")
            out.append(
                fld("Reason", "websocket.payload.close.reason", reason, reason, at + 2, len(p) - 2)
            )
        return out
    if op in (9, 10):
        filt = "websocket.payload.ping" if op == 9 else "websocket.payload.pong"
        return [
            fld(
                "Ping data" if op == 9 else "Pong data",
                filt,
                p.hex(":"),
                p.decode("utf-8", "replace"),
                at,
                len(p),
                "Any bytes; the Pong must carry the Ping's bytes back unchanged.",
            )
        ]
    if op == 2:
        return [
            fld("Data", "data.data", _hex(p), f"{len(p)} bytes", at, len(p), "The binary message."),
            fld("Length", "data.len", str(len(p)), f"{len(p)} bytes", at, len(p)),
        ]
    return []


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    st = stream.state
    # Each direction switches by its own message: the client's after its
    # Upgrade request, the server's after its 101 (a capture rebuilt from two
    # threads' records need not keep the two directions in order).
    if st.get("ws"):
        return _frames(payload, offset, st)
    if not http.is_start(payload):
        return http.dissect(payload, offset, stream)
    end = payload.find(b"\r\n\r\n")
    head = payload if end < 0 else payload[: end + 4]
    layers = _http(head, offset, stream)
    fields = [f for layer in layers for f in layer.fields]
    upgrade = any(f.filter == "http.upgrade" and f.value.lower() == "websocket" for f in fields)
    switched = any(f.filter == "http.response.code" and f.value == "101" for f in fields)
    request = any(f.filter == "http.request.method" for f in fields)
    if switched or (upgrade and request):
        st["ws"] = True
        if len(head) < len(payload):
            layers += _frames(payload[len(head) :], offset + len(head), st)
    elif len(head) < len(payload):
        layers += http.dissect(payload[len(head) :], offset + len(head), stream)
    return layers


def _frames(payload: bytes, offset: int, st: dict) -> list[Layer]:  # type: ignore[type-arg]
    carry: bytes = st.pop("carry", b"")
    data = carry + payload
    base = offset - len(carry)
    layers: list[Layer] = []
    pos = 0
    while pos < len(data):
        size = _frame_size(data, pos)
        if size is None or pos + size > len(data):
            st["carry"] = data[pos:]
            start = max(base + pos, offset)
            n = base + len(data) - start
            f = Field(
                "Frame continues",
                None,
                f"{n} bytes",
                f"{n} bytes",
                start,
                n,
                "The start of a frame that ends in a later segment; it is shown there.",
            )
            layers.append(Layer("WebSocket continuation", start, n, (f,)))
            break
        layers.append(_frame(data, pos, base, offset))
        pos += size
    return layers


def _kinds(layers: tuple[Layer, ...]) -> list[str]:
    return [
        layer.name[len("WebSocket ") :]
        for layer in layers
        if layer.name.startswith("WebSocket ") and layer.field("websocket.opcode")
    ]


def summarize(layers: tuple[Layer, ...]) -> str:
    kinds = _kinds(layers)
    if kinds:
        return "WebSocket " + ", ".join(kinds)
    return http.summarize(layers)


def describe(layers: tuple[Layer, ...]) -> str:
    parts = []
    for layer in layers:
        op = layer.field("websocket.opcode")
        if op is None:
            continue
        text = layer.field("websocket.payload.text")
        code = layer.field("websocket.payload.close.status_code")
        masked = layer.field("websocket.mask")
        what = OPCODES.get(int(op.value), "a") + " frame"
        if text is not None:
            what += f" '{text.show[:60]}'"
        if code is not None:
            what += f" (code {code.value})"
        if masked is not None and masked.value == "1":
            what += ", masked"
        parts.append(what)
    if parts:
        return "WebSocket: " + "; ".join(parts)
    return http.describe(layers)


app(App("websocket", ("tcp",), (), dissect, describe, None, summarize))
