"""Reading the http2 lab's dissected packets: which connection a packet
belongs to, its TCP flags, and its HTTP/2 frames (each a Layer named
"HTTP2 <TYPE>"), so steps, sections and facts never touch bytes again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from labs.kit import Layer, Packet

H1, H2 = "HTTP/1.1", "HTTP/2"


def connection(p: Packet) -> str:
    """H1 or H2: the lab names each connection's packets (wire and inside TLS)."""
    return H2 if p.conversation.startswith(H2) else H1


def flags(p: Packet) -> int:
    n = p.number("tcp.flags")
    return n or 0


def seg_len(p: Packet) -> int:
    return p.number("tcp.len") or 0


def frames(p: Packet) -> Iterator[Layer]:
    for layer in p.layers:
        if layer.name.startswith("HTTP2 ") and layer.field("http2.type") is not None:
            yield layer


def kind(frame: Layer) -> str:
    return frame.name[len("HTTP2 ") :]


def value(frame: Layer, name: str) -> str:
    f = frame.field(name)
    return f.value if f is not None else ""


def all_frames(packets: Iterable[Packet]) -> Iterator[tuple[Packet, Layer]]:
    for p in packets:
        for f in frames(p):
            yield p, f


def client_port(packets: Iterable[Packet], server_port: int) -> dict[str, str]:
    """Each connection's client endpoint ("127.0.0.1:50122"), from its packets."""
    out: dict[str, str] = {}
    for p in packets:
        if p.dst.endswith(f":{server_port}"):
            out.setdefault(connection(p), p.src)
    return out


def requests(packets: Iterable[Packet]) -> list[tuple[Packet, Layer]]:
    """The client's HEADERS frames that open a stream (they carry :method)."""
    return [(p, f) for p, f in all_frames(packets) if f.field("http2.headers.method") is not None]


def headers_table(frame: Layer) -> list[tuple[str, str, str, int]]:
    """(name, value, representation, bytes on the wire) of each decoded header."""
    rows: list[tuple[str, str, str, int]] = []
    fields = frame.fields
    for i, f in enumerate(fields):
        if f.filter == "http2.header.name":
            val = fields[i + 1]
            rep = fields[i + 2]
            rows.append((f.value, val.value, rep.value, f.length))
    return rows
