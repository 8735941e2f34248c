"""HTTP/1.x messages, reassembled across TCP segments as Wireshark does with
its reassembly preferences on (`tcp.desegment_tcp_streams`,
`http.desegment_headers`/`desegment_body`, `http.dechunk_body`,
`http.decompress_body`): a message whose head or body goes on in later
segments is held and read in the segment that completes it, and that layer
names how many segments it came from (Wireshark's "N Reassembled TCP
Segments", `tcp.segment.count`, `tcp.reassembled.length`). Its fields keep
their byte offsets in this packet; fields whose bytes were in earlier
segments get this payload's offset and length 0. The body is dechunked and
decompressed (`labs.dissect.proto.http_body`); the head's lines are read by
`labs.dissect.proto.http_head`.

Segments are put in sequence first (`labs.dissect.proto.tcp_order`): one
that comes after a gap inside a message of known length is kept until a
fast retransmission fills the gap, and bytes already read are not read
again. A gap nothing fills, and bytes TCP analysis says are out of order,
are said out loud: the message they belong to cannot be read whole, and
reading starts again at the next message.
"""

from __future__ import annotations

from typing import Any

from labs.dissect.proto import http_body, tcp_order
from labs.dissect.proto.base import App, Stream, app, reassembly_fields
from labs.dissect.proto.http_body import BODY_SHOWN
from labs.dissect.proto.http_head import (
    HEADERS,
    REQUEST_LINE,
    SECRET,
    STATUS,
    header_field,
    is_start,
    line_fields,
    status_meaning,
)
from labs.model.trace import Field, Layer

#: Most bytes of one message held while it is incomplete (as a cap on memory);
#: a longer body is shown piece by piece as it arrives, unassembled.
MAX_HELD = 10 * 1024 * 1024
#: A head longer than this without its blank line is not an HTTP head.
MAX_HEAD = 256 * 1024

_STARTS = (b"HTTP/1.", b"HTTP/2")


def _starts(buf: bytes | bytearray, pos: int) -> bool:
    return bool(REQUEST_LINE.match(buf, pos)) or buf.startswith(_STARTS, pos)


def _head(msg: bytes | bytearray, head_end: int) -> tuple[bool, str, dict[str, str]]:
    """(is a request, method or status code, lower-cased headers) of a head."""
    lines = bytes(msg[:head_end]).split(b"\r\n")
    request = bool(REQUEST_LINE.match(lines[0]))
    parts = lines[0].split(b" ", 2)
    what = parts[0 if request else 1].decode("latin-1") if len(parts) > 1 else ""
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return request, what, headers


def _frame(msg: bytes | bytearray, shared: dict[str, Any]) -> list[Any] | None:
    """How the message starting at msg[0] ends (RFC 9112 section 6.3), or None
    while its head is incomplete: ["none", head_end] / ["length", total] /
    ["chunked", head_end, resume_at, chunks] / ["close", head_end]."""
    end = msg.find(b"\r\n\r\n")
    if end < 0:
        return None
    head_end = end + 4
    request, what, headers = _head(msg, head_end)
    methods: list[str] = shared.setdefault("methods", [])
    if request:
        methods.append(what)
        asked = ""
    else:
        asked = methods.pop(0) if methods and not what.startswith("1") else ""
    if not request and (what.startswith("1") or what in ("204", "304") or asked == "HEAD"):
        return ["none", head_end]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return ["chunked", head_end, head_end, []]
    length = headers.get("content-length", "")
    if length.isdigit():
        return ["length", head_end + int(length)]
    return ["none" if request else "close", head_end]


def _end(msg: bytes | bytearray, frame: list[Any]) -> int | None:
    """Where the message ends, or None while bytes are missing."""
    kind = frame[0]
    if kind == "none":
        return int(frame[1])
    if kind == "length":
        return int(frame[1]) if len(msg) >= frame[1] else None
    if kind == "chunked":
        end, frame[2] = http_body.chunks(msg, frame[2], frame[3])
        return end
    return len(msg)  # read until the connection closes: what has come so far


def _message(msg: bytes, at: int, first: int, parts: int) -> list[Layer]:
    """The layer of one whole message `msg` whose first byte sits at `at` in
    this packet (negative: it began in an earlier segment), and Wireshark's
    Data layer after it for a body without a Content-Type; fields before
    `first` (this payload's start) keep no bytes of this packet."""
    end = msg.find(b"\r\n\r\n")
    head_end = len(msg) if end < 0 else end + 4
    request = bool(REQUEST_LINE.match(msg))
    fields: list[Field] = []
    headers: dict[str, str] = {}
    after: list[Layer] = []
    pos = 0
    for i, line in enumerate(msg[:head_end].split(b"\r\n")):
        if i == 0:
            fields.extend(line_fields(line, at + pos, request))
        elif line:
            f = header_field(line, at + pos, request)
            fields.append(f)
            headers[f.name.lower()] = f.value
        pos += len(line) + 2
    raw = msg[head_end:]
    if "chunked" in headers.get("transfer-encoding", "").lower() and raw:
        found: list[http_body.Chunk] = []
        http_body.chunks(msg, head_end, found)
        fields.extend(http_body.chunk_fields(msg, found, at, first))
        raw = http_body.dechunk(msg, found)
    body, note = http_body.decode(raw, headers.get("content-encoding", ""))
    if raw:
        body_at = max(at + head_end, first)
        what = ""
        coding = headers.get("content-encoding", "").strip().lower()
        if body is not raw or note:
            what = (
                f"The body: {len(raw)} bytes of {coding} data"
                + (f", {len(body)} bytes once undone" if body is not raw else "")
                + (f" ({note})" if note else "")
                + "."
            )
            fields.append(
                Field(
                    f"Content-encoded entity body ({coding})",
                    None,
                    f"{len(raw)} bytes -> {len(body)} bytes",
                    f"{len(raw)} bytes -> {len(body)} bytes" + (f", {note}" if note else ""),
                    body_at,
                    at + len(msg) - body_at,
                    "Compressed by the server (Content-Encoding); shown here as the "
                    "application reads it, after undoing the compression.",
                )
            )
        content_type = headers.get("content-type", "")
        fields.append(
            http_body.body_field(body, body_at, at + len(msg) - body_at, content_type, what)
        )
        if not content_type:
            after.append(http_body.data_layer(body, body_at, at + len(msg) - body_at))
    if parts > 1:
        fields = [f if f.offset >= first else _moved(f, first) for f in fields]
        fields += reassembly_fields(parts, len(msg), first)
    start = max(at, first)
    # Named "HTTP" whole or reassembled (labs find their messages by that
    # name); tcp.segment.count says how many segments it came from.
    return [Layer("HTTP", start, at + len(msg) - start, tuple(fields)), *after]


def _moved(f: Field, first: int) -> Field:
    return Field(f.name, f.filter, f.value, f.show, first, 0, f.explain, f.secret)


def _note(name: str, label: str, at: int, n: int, value: str, explain: str) -> Layer:
    return Layer(name, at, n, (Field(label, None, value, value, at, n, explain),))


def _continuation(payload: bytes | bytearray, at: int, explain: str) -> Layer:
    n = len(payload)
    data = Field("Data", "data.data", bytes(payload[:64]).hex(":"), f"{n} bytes", at, n, explain)
    return Layer("HTTP continuation", at, n, (data,))


def _part(buf: bytes | bytearray, pos: int, offset: int, end: int) -> Layer:
    """This payload's bytes of a message that goes on in the next segment."""
    start = max(pos, offset)
    n = end - start
    fields = [
        Field(
            "Part of an HTTP message",
            None,
            f"{n} bytes",
            f"{n} bytes",
            start,
            n,
            "The message goes on in the next segment; it is read when complete "
            "(Wireshark: [TCP segment of a reassembled PDU]).",
        )
    ]
    if pos >= offset:
        line = bytes(buf[pos - offset : pos - offset + 200]).split(b"\r\n", 1)[0]
        text = line.decode("latin-1")
        fields.append(Field("Start line", None, text, text, pos, len(line)))
    return Layer("HTTP (part)", start, n, tuple(fields))


def _reset(st: dict[str, Any]) -> None:
    for key in ("held", "parts", "frame", "body_left"):
        st.pop(key, None)


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    return tcp_order.dissect(payload, offset, stream, _read, _held_end, "HTTP")


def _held_end(st: dict[str, Any], nxt: int) -> int | None:
    """The sequence number where the message being held ends, when its
    Content-Length says (`nxt`: the one after the last byte held)."""
    held, frame = st.get("held"), st.get("frame")
    if held is None or frame is None or frame[0] != "length":
        return None
    return (nxt - len(held) + int(frame[1])) % (1 << 32)


def _read(
    payload: bytes, offset: int, stream: Stream, flags: tuple[str, ...], hi: int | None
) -> list[Layer]:
    """The payload's messages (`hi`: where this packet's own bytes end when
    bytes of earlier packets follow them)."""
    st = stream.state
    layers: list[Layer] = []
    if "out_of_order" in flags:
        return [
            _continuation(
                payload,
                offset,
                "Bytes that belong before ones already seen (out of order): they "
                "are not put back in place here, so this message is not read.",
            )
        ]
    if "lost_segment" in flags and (st.get("held") or st.get("body_left")):
        kept = len(st.get("held") or b"")
        layers.append(
            _note(
                "HTTP (gap)",
                "Gap",
                offset,
                0,
                "bytes missing",
                f"Bytes before this segment were not captured: the HTTP message begun "
                f"in earlier segments ({kept} bytes held) cannot be read whole.",
            )
        )
        _reset(st)
    pos = 0
    left = int(st.get("body_left", 0))
    if left:
        take = payload[:left]
        st["body_left"] = left - len(take)
        field = http_body.body_field(take, offset, len(take), "")
        layers.append(Layer("HTTP body", offset, len(take), (field,)))
        pos = len(take)
    held: bytearray | None = st.get("held")
    if held is not None:
        base = offset - len(held)
        held.extend(payload)
        buf: bytes | bytearray = held
        parts = int(st.get("parts", 0)) + 1
        pos = 0
    else:
        base, buf, parts = offset, payload, 1
    end_all = len(buf)
    while pos < end_all:
        frame = st.pop("frame", None) if held is not None and pos == 0 else None
        if frame is None and not _starts(buf, pos):
            rest = buf[max(pos, offset - base) :]
            layers.append(
                _continuation(
                    rest,
                    base + end_all - len(rest),
                    "Bytes that are not the start of an HTTP message: more of a message "
                    "begun before the capture or a gap.",
                )
            )
            break
        msg = buf[pos:] if pos else buf
        if frame is None:
            frame = _frame(msg, stream.shared)
        end = None if frame is None else _end(msg, frame)
        if end is None:
            if (frame is None and len(msg) > MAX_HEAD) or (
                frame is not None and (len(msg) > MAX_HELD or _too_long(frame))
            ):
                layers.extend(_message(bytes(msg), base + pos, offset, parts))
                if frame is not None and frame[0] == "length":
                    st["body_left"] = frame[1] - len(msg)
                _reset_held(st)
                return layers
            st["held"] = msg if isinstance(msg, bytearray) else bytearray(msg)
            st["parts"], st["frame"] = parts, frame
            end = base + end_all if hi is None else min(base + end_all, hi)
            layers.append(_part(buf, base + pos, offset, end))
            return layers
        layers.extend(_message(bytes(msg[:end]), base + pos, offset, parts))
        pos += end
        parts = 1
    _reset_held(st)
    return layers


def _too_long(frame: list[Any]) -> bool:
    return frame[0] == "length" and frame[1] > MAX_HELD


def _reset_held(st: dict[str, Any]) -> None:
    for key in ("held", "parts", "frame"):
        st.pop(key, None)


def _get(layers: tuple[Layer, ...], filt: str) -> str | None:
    for layer in layers:
        for f in layer.fields:
            if f.filter == filt:
                return f.value
    return None


def summarize(layers: tuple[Layer, ...]) -> str:
    method, uri = _get(layers, "http.request.method"), _get(layers, "http.request.uri")
    if method:
        return f"HTTP {method} {uri}"
    code = _get(layers, "http.response.code")
    if code:
        return f"HTTP {code} {_get(layers, 'http.response.phrase') or ''}".rstrip()
    start = _get_named(layers, "Start line")
    if start:
        return f"{start} [TCP segment of a reassembled PDU]"
    if any(layer.name == "HTTP (part)" for layer in layers):
        return "HTTP [TCP segment of a reassembled PDU]"
    n = sum(layer.length for layer in layers if layer.name.startswith("HTTP"))
    return f"HTTP body ({n} bytes)" if n else ""


def _get_named(layers: tuple[Layer, ...], name: str) -> str | None:
    for layer in layers:
        for f in layer.fields:
            if f.name == name and f.filter is None:
                return f.value
    return None


def describe(layers: tuple[Layer, ...]) -> str:
    said = _describe(layers)
    parts = _get(layers, "tcp.segment.count")
    return f"{said}, put back together from {parts} TCP segments" if parts and said else said


def _describe(layers: tuple[Layer, ...]) -> str:
    method, uri = _get(layers, "http.request.method"), _get(layers, "http.request.uri")
    if method:
        host = _get(layers, "http.host")
        where = f" on {host}" if host else ""
        return f"an HTTP request, {method} {uri}{where}"
    code = _get(layers, "http.response.code")
    if code:
        return (
            f"the HTTP response {code} {_get(layers, 'http.response.phrase') or ''}".rstrip()
            + f" ({status_meaning(int(code))})"
        )
    start = _get_named(layers, "Start line")
    if start:
        return (
            f"the start of an HTTP message ({start}) that goes on in the next segment; "
            "it is read when complete"
        )
    if _get_named(layers, "Held after a gap"):
        return (
            "more of an HTTP message, after bytes not seen yet: kept in place until "
            "they come, and read when complete"
        )
    if any(layer.name == "HTTP (part)" for layer in layers):
        return "more of an HTTP message that goes on in the next segment; it is read when complete"
    if any(layer.name == "HTTP (gap)" for layer in layers):
        return "HTTP bytes after a gap: the message they belong to cannot be read whole"
    if any(layer.name == "HTTP body" for layer in layers):
        return "more of the HTTP body"
    return "more of an HTTP message begun in an earlier segment"


__all__ = ["BODY_SHOWN", "HEADERS", "SECRET", "STATUS", "dissect", "is_start", "status_meaning"]

app(App("http", ("tcp",), (80, 8080, 8000), dissect, describe, is_start, summarize, reorders=True))
