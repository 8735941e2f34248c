"""Follow a stream (Wireshark's Follow › TCP/UDP Stream, `tshark -z
follow,tcp,ascii,N`): the bytes one conversation carried, in order, each
piece marked with the side that sent it.

TCP bytes are put in sequence order per side, as Wireshark's follow does:
bytes already shown (a retransmission, an overlap) are left out, and a
segment that comes before the bytes it follows (out of order, after a loss)
waits until the hole is filled by the retransmitted bytes, or until the
other side acknowledges past the hole: then the bytes that were never
captured are said ("[100 bytes missing in capture file].", Wireshark's words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labs.dissect.conversations import numbered
from labs.model.trace import Layer, Packet

#: bytes kept as they are in the ASCII view; every other byte is shown as "."
_KEPT = frozenset(range(0x20, 0x7F)) | {0x0A, 0x0D}
_RULE = "=" * 67


@dataclass(frozen=True)
class Piece:
    """What one packet of the stream carried: which side sent it (0: the
    side that sent the stream's first packet), the packet and the bytes."""

    node: int
    packet: int
    data: bytes


@dataclass(frozen=True)
class Followed:
    transport: str
    stream: int
    #: the two endpoints, node 0 first
    nodes: tuple[str, str]
    pieces: tuple[Piece, ...]


_MOD = 1 << 32


def _after(a: int, b: int) -> bool:
    """a after b in sequence space (RFC 1982 arithmetic)."""
    return 0 < (a - b) % _MOD < 1 << 31


def _number(layer: Layer, name: str) -> int | None:
    f = layer.field(name)
    try:
        return int(f.value, 0) if f is not None else None
    except ValueError:
        return None


def _ack(p: Packet) -> int | None:
    """The acknowledgment number of a TCP packet with the ACK flag."""
    layer = next((x for x in p.layers if x.name == "TCP"), None)
    if layer is None or not (_number(layer, "tcp.flags") or 0) & 0x10:
        return None
    return _number(layer, "tcp.ack_raw")


def _payload(p: Packet, kind: str) -> tuple[int | None, bytes]:
    """(TCP sequence number or None, payload bytes) of one packet."""
    layer = next((x for x in p.layers if x.name == kind.upper()), None)
    if layer is None:
        return None, b""
    seq = None
    if kind == "tcp":
        n = layer.field("tcp.len")
        raw = layer.field("tcp.seq_raw")
        seq = int(raw.value) if raw is not None and raw.value.isdigit() else None
        size = int(n.value) if n is not None and n.value.isdigit() else 0
    else:
        n = layer.field("udp.length")
        size = int(n.value) - 8 if n is not None and n.value.isdigit() else 0
    start = layer.offset + layer.length
    return seq, p.data[start : start + max(size, 0)]


class _Side:
    """One direction's bytes in sequence order."""

    def __init__(self) -> None:
        self.next: int | None = None
        self.waiting: list[tuple[int, int, bytes]] = []

    def take(self, seq: int, packet: int, data: bytes) -> list[tuple[int, bytes]]:
        if self.next is None:
            self.next = seq
        if _after(seq, self.next):
            self.waiting.append((seq, packet, data))  # after a hole: wait for it
            return []
        data = data[(self.next - seq) % _MOD :]  # bytes already shown are left out
        if not data:
            return []
        self.next = (self.next + len(data)) % _MOD
        return [(packet, data), *self._ready()]

    def _ready(self) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        while self.waiting:
            waiting, self.waiting = self.waiting, []
            for seq, packet, data in sorted(waiting, key=lambda w: (w[0] - waiting[0][0]) % _MOD):
                out += self.take(seq, packet, data)
            if len(self.waiting) == len(waiting):
                break
        return out

    def acked(self, ack: int, packet: int) -> list[tuple[int, bytes]]:
        """The other side acknowledged up to `ack`: bytes before it that never
        came are missing from the capture; what waited behind them follows."""
        if self.next is None:
            self.next = ack
            return []
        ahead = [w[0] for w in self.waiting if not _after(w[0], ack)]
        if not ahead:
            return []
        first = min(ahead, key=lambda seq: (seq - self.next) % _MOD)  # type: ignore[operator]
        gap = (first - self.next) % _MOD
        self.next = first
        note = f"[{gap} bytes missing in capture file].".encode()
        return [(packet, note), *self._ready()]


def follow(packets: Iterable[Packet], kind: str, stream: int) -> Followed | None:
    """Stream `stream` of transport `kind` ("tcp" or "udp"), or None if the
    trace has no such stream."""
    nodes: tuple[str, str] | None = None
    pieces = []
    sides = (_Side(), _Side())
    for p, k, index in numbered(packets):
        if k != kind or index != stream:
            continue
        if nodes is None:
            nodes = (p.src, p.dst)
        node = 0 if p.src == nodes[0] else 1
        ack = _ack(p) if kind == "tcp" else None
        if ack is not None:
            pieces += [Piece(1 - node, i, d) for i, d in sides[1 - node].acked(ack, p.index)]
        seq, data = _payload(p, kind)
        if not data:
            continue
        if seq is None:
            pieces.append(Piece(node, p.index, data))
            continue
        pieces += [Piece(node, i, d) for i, d in sides[node].take(seq, p.index, data)]
    if nodes is None:
        return None
    return Followed(kind, stream, nodes, tuple(pieces))


def stream_of(packets: Iterable[Packet], index: int) -> tuple[str, int] | None:
    """(transport, stream number) of the packet at trace index `index`."""
    for p, kind, number in numbered(packets):
        if p.index == index:
            return kind, number
    return None


def ascii_text(found: Followed) -> str:
    """The text `tshark -q -z follow,<kind>,ascii,<stream>` prints: each piece's
    length (indented for node 1), then its bytes, non-printable ones as "."."""
    lines = [
        "",
        _RULE,
        f"Follow: {found.transport},ascii",
        f"Filter: {found.transport}.stream eq {found.stream}",
        f"Node 0: {found.nodes[0]}",
        f"Node 1: {found.nodes[1]}",
    ]
    for piece in found.pieces:
        lines.append(("\t" if piece.node else "") + str(len(piece.data)))
        lines.append("".join(chr(b) if b in _KEPT else "." for b in piece.data))
    lines.append(_RULE)
    return "\n".join(lines) + "\n"


__all__ = ["Followed", "Piece", "ascii_text", "follow", "stream_of"]
