"""HTTP/1.x bodies: where a message ends (RFC 9112 section 6.3), chunked
transfer coding taken apart (section 7.1), gzip/deflate content coding
undone (RFC 9110 section 8.4.1) with a bounded decompressor, and the body
shown as text when it is text, as Wireshark does with its
`http.dechunk_body` and `http.decompress_body` preferences on (and, with no
Content-Type, also as Wireshark's generic data).

Chunks are parsed by hand: no library takes apart chunked coding from bytes
already captured (http.client and h11 read it from a socket or a state
machine that also wants the head), and the offset of each chunk-size line
is needed for its field anyway. zlib (standard library) undoes the content
coding.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple

from labs.model.trace import Field, Layer

#: Longest body shown as a field value; longer bodies are shown cut, with their size.
BODY_SHOWN = 2048
#: Most bytes a compressed body is inflated to (a "zip bomb" would otherwise
#: fill memory); a body cut there says so.
INFLATE_MAX = 10 * 1024 * 1024


class Chunk(NamedTuple):
    """One chunk: its size, where its size line starts and where its data starts."""

    size: int
    line_at: int
    data_at: int


def chunks(buf: bytes | bytearray, pos: int, found: list[Chunk]) -> tuple[int | None, int]:
    """Parse chunks of `buf` from `pos`, appending to `found`. Returns the end
    of the chunked body (after the last chunk and the trailer's blank line),
    or None with the position to resume from when more bytes are needed."""
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None, pos
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return len(buf), len(buf)  # not chunked after all: take what there is
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)  # trailer fields, then a blank line
            if end < 0:
                return None, pos
            found.append(Chunk(0, pos, eol + 2))
            return end + 4, end + 4
        if len(buf) < eol + 2 + size + 2:
            return None, pos
        found.append(Chunk(size, pos, eol + 2))
        pos = eol + 2 + size + 2


def decode(body: bytes, coding: str) -> tuple[bytes, str]:
    """The body with its content coding undone, and a note ("" when there is
    nothing to say). At most INFLATE_MAX bytes come out."""
    coding = coding.strip().lower()
    if coding not in ("gzip", "x-gzip", "deflate"):
        return body, ""
    # gzip: wbits 16+15; deflate should be zlib-wrapped (RFC 9110), but some
    # servers send it raw: try the wrapper first, then raw (-15).
    tries = (31,) if coding != "deflate" else (15, -15)
    for wbits in tries:
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(body, INFLATE_MAX)
        except zlib.error:
            continue
        if d.unconsumed_tail:
            return out, f"cut at {INFLATE_MAX} bytes (the limit this tool inflates to)"
        return out, ""
    return body, f"could not be undone ({coding} data is damaged or incomplete)"


def is_text(b: bytes) -> bool:
    sample = b[:256]
    return not sample or all(c >= 0x20 or c in (9, 10, 13) for c in sample)


def body_field(body: bytes, at: int, length: int, content_type: str, what: str = "") -> Field:
    """Wireshark's http.file_data: the body as the application gets it (dechunked,
    decompressed); `at`/`length` are its bytes in this packet."""
    kind = content_type.split(";")[0].strip()
    if is_text(body):
        shown = body[:BODY_SHOWN].decode("utf-8", "replace")
    else:
        shown = body[:64].hex(":")
    if len(body) > BODY_SHOWN or (not is_text(body) and len(body) > 64):
        shown += f" … ({len(body)} bytes)"
    explain = what or f"The body ({len(body)} bytes" + (f", {kind}" if kind else "") + ")."
    return Field("Body", "http.file_data", shown, f"{len(body)} bytes", at, length, explain)


def data_layer(body: bytes, at: int, length: int) -> Layer:
    """A body without a Content-Type as Wireshark shows it: handed to its
    generic data dissector (data.data, data.len), besides http.file_data."""
    n = len(body)
    shown = body[:BODY_SHOWN].hex(":") + (f" … ({n} bytes)" if n > BODY_SHOWN else "")
    says = (
        "No Content-Type header says what these bytes are, so Wireshark hands them "
        "to its generic data dissector: bytes and their count, nothing more."
    )
    return Layer(
        "Data",
        at,
        length,
        (
            Field("Data", "data.data", shown, f"{n} bytes", at, length, says),
            Field("Length", "data.len", str(n), f"{n} bytes", at, length),
        ),
    )


def chunk_fields(buf: bytes, found: list[Chunk], at: int, first: int) -> list[Field]:
    """http.chunk_size for each chunk; `at` is where buf[0] sits in the packet,
    and sizes whose line was in an earlier segment get offset `first`, length 0."""
    out = []
    for c in found:
        line_end = buf.find(b"\r\n", c.line_at)
        where, n = at + c.line_at, line_end - c.line_at
        if where < first:
            where, n = first, 0
        out.append(
            Field(
                "Chunk size",
                "http.chunk_size",
                str(c.size),
                f"{c.size} bytes" if c.size else "0: the last chunk",
                where,
                n,
                "Chunked transfer coding: each piece is preceded by its size in hex; "
                "a size of 0 ends the body."
                if c.size
                else "The last chunk: the body ends here.",
            )
        )
    return out


def dechunk(buf: bytes, found: list[Chunk]) -> bytes:
    return b"".join(bytes(buf[c.data_at : c.data_at + c.size]) for c in found)
