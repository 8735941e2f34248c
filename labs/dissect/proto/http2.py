"""HTTP/2 (RFC 9113): the connection preface and each frame, with the
Wireshark fields tshark shows for it; headers decoded with HPACK
(`labs.dissect.proto.http2_hpack`).

A frame can end in a later TCP segment than it starts (a 16 KiB DATA frame
in segments or TLS records of 16 KiB). Like Wireshark, a frame is shown in
the packet where its last byte arrives; the bytes before it are carried in
the direction's `Stream`. A direction whose first bytes are an HTTP/1.x
message is read as HTTP/1.x (`labs.dissect.proto.http`), so a lab can point
`decode_as` at a server that speaks both.

Frame layouts are parsed here by hand: scapy's HTTP/2 layer rebuilds HPACK
tables per packet and knows nothing of frames split across segments, and
`hyperframe` (which `h2` uses) reports no byte positions.
"""

from __future__ import annotations

from typing import Any

from labs.dissect.proto import http
from labs.dissect.proto.base import App, Stream, app
from labs.dissect.proto.http2_hpack import header_fields, new_decoder, representations
from labs.dissect.proto.http2_words import (
    ERRORS,
    FLAGS,
    SETTING_EXPLAIN,
    SETTINGS,
    TYPE_EXPLAIN,
    TYPES,
)
from labs.model.trace import Field, Layer

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADER = 9

#: The longest DATA payload shown as a field value (as hex); longer is cut.
DATA_SHOWN = 64


def _u(b: bytes) -> int:
    return int.from_bytes(b, "big")


class _Reader:
    """Field offsets for bytes that may have arrived in earlier packets:
    `base` is the packet offset of `data[0]` (negative positions are carried
    bytes); fields are clipped to this packet, as Wireshark shows a
    reassembled frame in its last packet."""

    def __init__(self, data: bytes, base: int, first: int) -> None:
        self.data, self.base, self.first = data, base, first

    def span(self, i: int, n: int) -> tuple[int, int]:
        start = max(self.base + i, self.first)
        return start, max(self.base + i + n, start) - start

    def field(
        self,
        label: str,
        filt: str | None,
        value: str,
        show: str,
        i: int,
        n: int,
        explain: str = "",
        secret: bool = False,
    ) -> Field:
        at, length = self.span(i, n)
        return Field(label, filt, value, show, at, length, explain, secret)


def _frame(r: _Reader, i: int, st: dict[str, Any]) -> Layer:
    d = r.data
    length, kind, flags, sid = (
        _u(d[i : i + 3]),
        d[i + 3],
        d[i + 4],
        _u(d[i + 5 : i + 9]) & 0x7FFFFFFF,
    )
    name = TYPES.get(kind, f"type {kind}")
    fields = [
        r.field(
            "Length",
            "http2.length",
            str(length),
            f"{length} bytes",
            i,
            3,
            "How many bytes of payload follow the 9-byte frame header.",
        ),
        r.field("Type", "http2.type", str(kind), name, i + 3, 1, TYPE_EXPLAIN.get(name, "")),
        r.field("Flags", "http2.flags", f"0x{flags:02x}", _flag_names(kind, flags), i + 4, 1),
    ]
    for bit, filt, label in FLAGS.get(kind, ()):
        on = bool(flags & bit)
        fields.append(
            r.field(label, filt, "1" if on else "0", "set" if on else "not set", i + 4, 1)
        )
    fields.append(
        r.field(
            "Stream", "http2.streamid", str(sid), f"stream {sid}", i + 5, 4, _stream_explain(sid)
        )
    )
    body = i + HEADER
    payload = d[body : body + length]
    fields += _payload(r, kind, flags, sid, payload, body, st)
    at, n = r.span(i, HEADER + length)
    return Layer(f"HTTP2 {name}", at, n, tuple(fields))


def _flag_names(kind: int, flags: int) -> str:
    on = [label for bit, _f, label in FLAGS.get(kind, ()) if flags & bit]
    return ", ".join(on) or "none"


def _stream_explain(sid: int) -> str:
    if sid == 0:
        return "Stream 0 is the connection itself: this frame is about all streams."
    who = "the client" if sid % 2 else "the server"
    return (
        f"Stream {sid}: one request and its response. Odd numbers are opened by {who}."
        if (sid % 2)
        else f"Stream {sid}: even numbers are opened by {who} (server push)."
    )


def _payload(
    r: _Reader, kind: int, flags: int, sid: int, p: bytes, at: int, st: dict[str, Any]
) -> list[Field]:
    out: list[Field] = []
    if kind == 4:
        for k in range(0, len(p) - len(p) % 6, 6):
            ident, value = _u(p[k : k + 2]), _u(p[k + 2 : k + 6])
            filt, label = SETTINGS.get(ident, ("http2.settings.unknown", f"setting {ident}"))
            out.append(r.field("Setting", "http2.settings.id", str(ident), label, at + k, 2))
            out.append(
                r.field(
                    label,
                    filt,
                    str(value),
                    str(value),
                    at + k + 2,
                    4,
                    SETTING_EXPLAIN.get(ident, ""),
                )
            )
    elif kind == 8 and len(p) >= 4:
        inc = _u(p[:4]) & 0x7FFFFFFF
        where = "this stream" if sid else "the whole connection"
        out.append(
            r.field(
                "Window size increment",
                "http2.window_update.window_size_increment",
                str(inc),
                f"+{inc} bytes",
                at,
                4,
                f"The receiver lets {where} send {inc} more bytes of DATA.",
            )
        )
    elif kind == 7 and len(p) >= 8:
        last, err = _u(p[:4]) & 0x7FFFFFFF, _u(p[4:8])
        out.append(
            r.field(
                "Last stream",
                "http2.goaway.last_stream_id",
                str(last),
                str(last),
                at,
                4,
                "The highest stream the sender acted on: later ones may be retried.",
            )
        )
        out.append(
            r.field(
                "Error",
                "http2.goaway.error",
                str(err),
                ERRORS.get(err, str(err)),
                at + 4,
                4,
                "NO_ERROR: a normal close." if err == 0 else "Why it closes.",
            )
        )
    elif kind == 3 and len(p) >= 4:
        err = _u(p[:4])
        out.append(
            r.field("Error", "http2.rst_stream.error", str(err), ERRORS.get(err, str(err)), at, 4)
        )
    elif kind == 6:
        filt = "http2.pong" if flags & 1 else "http2.ping"
        out.append(r.field("Ping data", filt, p.hex(), p.hex(), at, len(p)))
    elif kind == 0:
        out += _data(r, flags, p, at)
    elif kind in (1, 9):
        out += _headers(r, kind, flags, p, at, st)
    return out


def _data(r: _Reader, flags: int, p: bytes, at: int) -> list[Field]:
    pad = p[0] if flags & 0x8 and p else 0
    start = 1 if flags & 0x8 else 0
    body = p[start : len(p) - pad]
    shown = body[:DATA_SHOWN].hex(":") + (
        f" … ({len(body)} bytes)" if len(body) > DATA_SHOWN else ""
    )
    text = body[:DATA_SHOWN].decode("utf-8", "replace")
    return [
        r.field(
            "Data",
            "http2.data.data",
            shown,
            f"{len(body)} bytes: {text}",
            at + start,
            len(body),
            f"{len(body)} bytes of the body on this stream.",
        )
    ]


def _headers(
    r: _Reader, kind: int, flags: int, p: bytes, at: int, st: dict[str, Any]
) -> list[Field]:
    start, end = 0, len(p)
    if kind == 1 and flags & 0x8 and p:
        start, end = 1, len(p) - p[0]
    if kind == 1 and flags & 0x20:
        start += 5  # stream dependency and weight
    block = st.pop("block", b"") + p[start:end]
    filt = "http2.headers" if kind == 1 else "http2.continuation.header"
    out = [
        r.field(
            "Header block",
            filt,
            p[start:end].hex(":"),
            f"{end - start} bytes",
            at + start,
            end - start,
            "The headers, HPACK-compressed: this is all that crosses the wire.",
        )
    ]
    if not flags & 0x4:
        st["block"] = block  # END_HEADERS not set: a CONTINUATION frame follows
        return out
    decoder = st.get("hpack")
    if decoder is None:
        decoder = st["hpack"] = new_decoder()
    try:
        fields, headers = header_fields(block, r.base + at + start, decoder)
    except Exception:
        return out  # a block that does not decode (the capture began mid-connection)
    fields = [
        r.field(f.name, f.filter, f.value, f.show, f.offset - r.base, f.length, f.explain, f.secret)
        for f in fields
    ]
    out.append(
        r.field(
            "Header count",
            "http2.header.count",
            # Wireshark counts every representation, a table size update too.
            str(len(representations(block))),
            f"{len(headers)} headers",
            at + start,
            end - start,
        )
    )
    return out + fields


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    st = stream.state
    # Each direction is read as what its first bytes are: an h2c-only server
    # answers an HTTP/1.1 request with HTTP/2 frames (SETTINGS, GOAWAY).
    mode = st.setdefault("mode", "http1" if http.is_start(payload) else "h2")
    if mode == "http1":
        return http.dissect(payload, offset, stream)
    carry: bytes = st.pop("carry", b"")
    data = carry + payload
    r = _Reader(data, offset - len(carry), offset)
    layers: list[Layer] = []
    pos = 0
    if not st.get("started"):
        if PREFACE.startswith(data[: len(PREFACE)]) and len(data) < len(PREFACE):
            st["carry"] = data
            return [_partial(r, 0)]
        st["started"] = True
        if data.startswith(PREFACE):
            magic = r.field(
                "Magic",
                "http2.magic",
                "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n",
                "the HTTP/2 preface",
                0,
                len(PREFACE),
                "The client's first 24 bytes: a request line no HTTP/1.1 server "
                "accepts, so a server that only knows HTTP/1.1 fails at once "
                "instead of misreading frames.",
            )
            layers.append(Layer("HTTP2 preface", magic.offset, magic.length, (magic,)))
            pos = len(PREFACE)
    while pos < len(data):
        if len(data) - pos < HEADER or len(data) - pos < HEADER + _u(data[pos : pos + 3]):
            st["carry"] = data[pos:]
            layers.append(_partial(r, pos))
            break
        layers.append(_frame(r, pos, st))
        pos += HEADER + _u(data[pos : pos + 3])
    return layers


def _partial(r: _Reader, pos: int) -> Layer:
    at, n = r.span(pos, len(r.data) - pos)
    f = Field(
        "Frame continues",
        None,
        f"{n} bytes",
        f"{n} bytes",
        at,
        n,
        "The start of a frame that ends in a later segment; it is shown there.",
    )
    return Layer("HTTP2 continuation", at, n, (f,))


def detect(payload: bytes) -> bool:
    return payload.startswith(PREFACE)


def _frames(layers: tuple[Layer, ...]) -> list[tuple[str, str]]:
    out = []
    for layer in layers:
        if layer.name.startswith("HTTP2 ") and layer.field("http2.type") is not None:
            sid = layer.field("http2.streamid")
            out.append((layer.name[6:], sid.value if sid else "0"))
    return out


def summarize(layers: tuple[Layer, ...]) -> str:
    frames = _frames(layers)
    if not frames:
        if any(layer.name == "HTTP2 preface" for layer in layers):
            return "HTTP2 Magic"
        return (
            "HTTP2 (part of a frame)"
            if any(layer.name.startswith("HTTP2") for layer in layers)
            else ""
        )
    magic = "Magic, " if any(layer.name == "HTTP2 preface" for layer in layers) else ""
    return "HTTP2 " + magic + ", ".join(f"{n}[{s}]" for n, s in frames)


def describe(layers: tuple[Layer, ...]) -> str:
    frames = _frames(layers)
    if not frames:
        return "the start of an HTTP/2 frame that ends in a later packet" if layers else ""
    parts = []
    for layer in layers:
        method, path = layer.field("http2.headers.method"), layer.field("http2.headers.path")
        status = layer.field("http2.headers.status")
        sid = layer.field("http2.streamid")
        if method and path and sid:
            parts.append(f"a request {method.value} {path.value} on stream {sid.value}")
        elif status and sid:
            parts.append(f"the answer {status.value} on stream {sid.value}")
    names = ", ".join(f"{n}[{s}]" for n, s in frames)
    return f"HTTP/2 frames {names}" + (f" ({'; '.join(parts)})" if parts else "")


app(App("http2", ("tcp",), (), dissect, describe, detect, summarize))
