"""HPACK (RFC 7541): an HTTP/2 header block as Wireshark's header fields,
each with the bytes that encode it.

The decoding itself (Huffman, the static table, each direction's dynamic
table) is the `hpack` library's. It gives no byte positions, so this module
walks the block's representations by hand (RFC 7541 section 6: a prefix
integer, then zero, one or two length-prefixed strings) only to know where
each one starts and ends, and hands each slice to the library in order: one
representation at a time decodes exactly like the whole block, because the
dynamic table is updated representation by representation.
"""

from __future__ import annotations

from typing import Any

from labs.model.trace import Field

#: Header (lower case) -> its own Wireshark field, for the headers the lab
#: shows (checked against tshark 4.0's field list).
NAMED = {
    ":method": "http2.headers.method",
    ":path": "http2.headers.path",
    ":status": "http2.headers.status",
    ":authority": "http2.headers.authority",
    ":scheme": "http2.headers.scheme",
    "accept": "http2.headers.accept",
    "authorization": "http2.headers.authorization",
    "content-length": "http2.headers.content_length",
    "content-type": "http2.headers.content_type",
    "cookie": "http2.headers.cookie",
    "server": "http2.headers.server",
    "user-agent": "http2.headers.user_agent",
}
SECRET = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}

_MEANING = {
    ":method": "The method, as in HTTP/1.1's request line (a pseudo-header: HTTP/2 has no request line).",
    ":path": "The path and query, as in HTTP/1.1's request line.",
    ":authority": "The host (and port) the request is for: HTTP/1.1's Host header.",
    ":scheme": "http or https: part of the URL that HTTP/1.1 never sent.",
    ":status": "The status code: HTTP/2 has no status line, so it travels as a header.",
}

INDEXED = "Indexed Header Field"
SIZE_UPDATE = "Maximum Header Table Size Change"
_LITERAL = {
    0x40: "Literal Header Field with Incremental Indexing",
    0x00: "Literal Header Field without Indexing",
    0x10: "Literal Header Field never Indexed",
}

_REPR_EXPLAIN = {
    INDEXED: "Sent as one small number: the whole header (name and value) is already in a "
    "table both ends keep, so only its index crosses the wire.",
    _LITERAL[0x40]: "Sent in full this once and added to the table, so the next request can "
    "send it as a one-byte index.",
    _LITERAL[0x00]: "Sent in full and not remembered (values that change every time).",
    _LITERAL[0x10]: "Sent in full and never to be remembered by any hop (a secret).",
}


def _int(block: bytes, pos: int, prefix: int) -> tuple[int, int]:
    """A prefix-coded integer (RFC 7541 section 5.1) at `pos`: (value, next position)."""
    mask = (1 << prefix) - 1
    value = block[pos] & mask
    pos += 1
    if value < mask:
        return value, pos
    shift = 0
    while True:
        b = block[pos]
        pos += 1
        value += (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _skip_string(block: bytes, pos: int) -> int:
    length, pos = _int(block, pos, 7)
    if pos + length > len(block):
        raise ValueError("string runs past the header block")
    return pos + length


def representations(block: bytes) -> list[tuple[int, int, str, int]]:
    """(start, end, Wireshark's representation name, table index) of each
    representation in a header block; index 0 for a literal's new name."""
    out = []
    pos = 0
    while pos < len(block):
        b = block[pos]
        if b & 0x80:
            index, end = _int(block, pos, 7)
            out.append((pos, end, INDEXED, index))
        elif b & 0x20 and not b & 0x40:
            size, end = _int(block, pos, 5)
            out.append((pos, end, SIZE_UPDATE, size))
        else:
            kind = _LITERAL[b & 0x40 or b & 0x10]
            index, at = _int(block, pos, 6 if b & 0x40 else 4)
            if index == 0:
                at = _skip_string(block, at)
            end = _skip_string(block, at)
            name = "Indexed Name" if index else "New Name"
            out.append((pos, end, f"{kind} - {name}", index))
        pos = end
    return out


def new_decoder() -> Any:
    # lazy: hpack is only needed once an HTTP/2 conversation is seen
    from hpack import Decoder

    return Decoder()


def header_fields(block: bytes, at: int, decoder: Any) -> tuple[list[Field], list[tuple[str, str]]]:
    """The fields of a complete header block that starts at packet offset
    `at`, and the decoded (name, value) list. `decoder` is this direction's
    `hpack.Decoder`, whose dynamic table the block updates."""
    fields: list[Field] = []
    headers: list[tuple[str, str]] = []
    for start, end, kind, index in representations(block):
        decoded = decoder.decode(block[start:end], raw=True)
        if kind == SIZE_UPDATE:
            fields.append(
                Field(
                    "Header table size update",
                    "http2.header_table_size_update.header_table_size",
                    str(index),
                    f"{index} bytes",
                    at + start,
                    end - start,
                    "The sender resizes the table of remembered headers.",
                )
            )
            continue
        for raw_name, raw_value in decoded:
            name = raw_name.decode("utf-8", "replace")
            value = raw_value.decode("utf-8", "replace")
            headers.append((name, value))
            fields.extend(_one(name, value, kind, index, at + start, end - start))
    return fields, headers


def _one(name: str, value: str, kind: str, index: int, at: int, n: int) -> list[Field]:
    secret = name in SECRET
    how = _REPR_EXPLAIN.get(kind.split(" - ")[0], "")
    size = f"{n} byte{'s' if n != 1 else ''} on the wire for {len(name) + len(value)} characters"
    out = [
        Field("Name", "http2.header.name", name, name, at, n, _MEANING.get(name, "")),
        Field("Value", "http2.header.value", value, value, at, n, size, secret),
        Field("Representation", "http2.header.repr", kind, kind.split(" - ")[0], at, n, how),
        Field("Index", "http2.header.index", str(index), str(index), at, n, _index_explain(index)),
    ]
    named = NAMED.get(name)
    if named is not None:
        out.append(Field(name, named, value, value, at, n, _MEANING.get(name, ""), secret))
    return out


def _index_explain(index: int) -> str:
    if index == 0:
        return "No table entry: the name is spelled out."
    if index <= 61:
        return (
            f"Entry {index} of the static table every HTTP/2 program knows (RFC 7541 appendix A)."
        )
    return (
        f"Entry {index} is in the dynamic table: a header this connection sent before "
        "(62 is the newest)."
    )
