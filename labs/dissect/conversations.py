"""Conversations (Wireshark's Statistics › Conversations, `tshark -z
conv,tcp` / `-z conv,udp`): for each TCP or UDP conversation its two
endpoints, frames and bytes each way, when it started and how long it
lasted. Numbered as Wireshark numbers them (`tcp.stream`, `udp.stream`,
`Streams`: in the order each conversation is first seen, from 0; a new one
when a SYN reuses a TCP conversation's ports), so `--follow N`
(`labs.dissect.follow`) names the same one.

Read from the dissected packets (their endpoints and sizes), not from the
bytes a second time. Only the packets that crossed the wire count (a lab's
plaintext recorded inside a TLS tunnel is not a conversation of its own).
"""

from __future__ import annotations

import socket
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from labs.model.trace import Field, Packet


@dataclass(frozen=True)
class Conversation:
    """One conversation as Wireshark's table lists it: endpoint A sent its
    first packet; `stream` is its tcp.stream / udp.stream number; bytes are
    whole frames; times in seconds from the trace's first packet."""

    transport: str
    stream: int
    a: str
    b: str
    frames_ab: int
    bytes_ab: int
    frames_ba: int
    bytes_ba: int
    start: float
    duration: float


def transport_of(p: Packet) -> str:
    """ "tcp", "udp" or "" for a packet's first transport header."""
    for layer in p.layers:
        if layer.name in ("TCP", "UDP"):
            return layer.name.lower()
        if layer.name.startswith(("ICMP", "ARP")):
            return ""  # a TCP/UDP header quoted in an ICMP error is not a conversation
    return ""


def numbered(packets: Iterable[Packet]) -> list[tuple[Packet, str, int]]:
    """(packet, transport, stream index) for each TCP/UDP packet on the wire:
    its tcp.stream / udp.stream (`Streams`), or, in a trace written without
    them, the index counted per transport in order of first appearance."""
    seen: dict[tuple[str, frozenset[str]], int] = {}
    counts = {"tcp": 0, "udp": 0}
    out = []
    for p in packets:
        if p.origin != "wire":
            continue
        kind = transport_of(p)
        if not kind:
            continue
        key = (kind, frozenset((p.src, p.dst)))
        index = _stream_of(p, kind)
        if index is not None:
            seen[key] = index
        else:
            index = seen.get(key)
            if index is None:
                index = seen[key] = counts[kind]
                counts[kind] += 1
        out.append((p, kind, index))
    return out


def _stream_of(p: Packet, kind: str) -> int | None:
    layer = next(layer for layer in p.layers if layer.name.lower() == kind)
    f = layer.field(f"{kind}.stream")
    return None if f is None else int(f.value)


#: Where the IP header starts for each link type (as `labs.files.survey` reads it).
_IP_AT = {"ethernet": 14, "linux-sll": 16, "linux-sll2": 20, "raw-ip": 0}
_KINDS = {6: ("tcp", 1), 17: ("udp", 2)}


class _Indexed(Protocol):
    """Numbers read by index (`labs.files.survey.PacketIds`)."""

    def __getitem__(self, i: int) -> int: ...


class Streams:
    """Wireshark's stream numbers (`tcp.stream`, `udp.stream`) as packets
    are read: each TCP or UDP conversation (both ends, ip:port) numbered
    from 0 per transport in the order a header of it first appears (one
    quoted in an ICMP error too), and a TCP one again when a SYN opens a
    new connection on its ports (`labs.dissect.tcp_analysis`). A capture
    read in two processes shares the numbers of its first pass
    (`labs.files.survey`), which meets every conversation in order: each
    plain packet's number (`handed`), by name only those a full dissection
    asked for (so what is kept of them does not grow with the capture)."""

    __slots__ = ("known", "counts", "kinds", "bases", "renewed", "given", "asked", "names", "each")

    def __init__(self) -> None:
        #: "tcp a b" (ends sorted) -> number
        self.known: dict[str, int] = {}
        self.counts = {"tcp": 0, "udp": 0}
        #: a first pass's conversation number -> the transports met (bits)
        self.kinds = bytearray()
        #: a first pass's TCP conversation k, each way (2k: from its first
        #: end): the sequence number relative numbers count from (as the
        #: analysis keeps it; -1: none yet)
        self.bases = array("q")
        #: a conversation whose ports began new streams -> (from which
        #: packet, number), in order
        self.renewed: dict[str, list[tuple[int, int]]] = {}
        #: the numbers of a whole capture, read again in one share of it
        self.given = False
        #: a first pass (`labs.files.survey`): the names a full dissection asked for
        self.asked: set[str] | None = None
        #: a first pass's conversation k -> its names (2k TCP, 2k + 1 UDP)
        self.names: list[str | None] = []
        #: packet index -> its number (2n; 2n + 1 for UDP; -1: asked by name)
        self.each: _Indexed | None = None

    def number(self, transport: str, a: str, b: str, index: int) -> int:
        """The stream number of packet `index` (a header of it) between `a` and `b`."""
        each = self.each
        if each is not None:
            found = each[index]
            if found >= 0 and found & 1 == (transport == "udp"):
                return found >> 1
        key = f"{transport} {a} {b}" if a < b else f"{transport} {b} {a}"
        if self.asked is not None:
            self.asked.add(key)
        return self._number(transport, key, index)

    def _number(self, transport: str, key: str, index: int) -> int:
        n = self.known.get(key)
        if n is None:
            n = self.known[key] = self.counts[transport]
            self.counts[transport] += 1
        elif self.given and key in self.renewed:
            n = next(n for start, n in reversed(self.renewed[key]) if start <= index)
        return n

    def renew(self, transport: str, a: str, b: str, index: int) -> None:
        """The conversation's ports begin a new stream at packet `index`."""
        if self.given:
            return  # numbered already
        key = f"{transport} {a} {b}" if a < b else f"{transport} {b} {a}"
        if self.asked is not None:
            self.asked.add(key)
        self._renew(transport, key, index)

    def _renew(self, transport: str, key: str, index: int) -> None:
        old, n = self.known.get(key, -1), self.counts[transport]
        self.known[key] = n
        self.counts[transport] += 1
        self.renewed.setdefault(key, [(-1, old)]).append((index, n))

    def current(self, k: int, udp: int) -> int:
        """The number the first pass's conversation `k` (its UDP one if
        `udp`, else its TCP one) has now, as `each` keeps it."""
        return self.known[self.names[2 * k + udp]] * 2 + udp  # type: ignore[index]

    def _name(self, k: int, udp: int, ends: tuple[bytes, bytes]) -> str:
        names = self.names
        if len(names) <= 2 * k + udp:
            names.extend([None] * (2 * k + 2 - len(names)))
        a, b, kind = _endpoint(ends[0]), _endpoint(ends[1]), "udp" if udp else "tcp"
        key = f"{kind} {a} {b}" if a < b else f"{kind} {b} {a}"
        names[2 * k + udp] = key
        return key

    def handed(self, each: _Indexed) -> None:
        """The first pass is over: the processes that read the capture again
        take each plain packet's number from `each` (see `current`); only
        the names a full dissection asked for stay (a full dissection asks
        for the same again)."""
        asked = self.asked or set()
        self.known = {key: n for key, n in self.known.items() if key in asked}
        self.renewed = {key: v for key, v in self.renewed.items() if key in asked}
        self.kinds, self.bases, self.names, self.asked = bytearray(), array("q"), [], None
        self.each = each

    def plain(self, i: int, k: int, ends: tuple[bytes, bytes], data: bytes, link: str) -> None:
        """Number the conversation `k` of a first pass (`ends`: address
        bytes then port bytes, sorted) from packet `i`, a plain IPv4/IPv6
        TCP or UDP packet's bytes, as dissecting it would."""
        at = _IP_AT[link]
        v4 = data[at] >> 4 == 4
        kinds = self.kinds
        if len(kinds) <= k:
            kinds.extend(bytes(k + 1 - len(kinds)))
        if (data[at + 9] if v4 else data[at + 6]) == 17:
            if not kinds[k] & 2:
                kinds[k] |= 2
                self._number("udp", self._name(k, 1, ends), i)
            return
        t = at + 20 if v4 else at + 40
        flags, bases = data[t + 13], self.bases
        if len(bases) < 2 * k + 2:
            bases.extend([-1] * (2 * k + 2 - len(bases)))
        elif flags & 0x12 != 0x02 and kinds[k] & 1 and min(bases[2 * k], bases[2 * k + 1]) >= 0:
            return  # numbered, both ways' bases known, no SYN: nothing to learn
        src = (data[at + 12 : at + 16] if v4 else data[at + 8 : at + 24]) + data[t : t + 2]
        fwd = 2 * k if src == ends[0] else 2 * k + 1
        rev = fwd ^ 1
        seq = int.from_bytes(data[t + 4 : t + 8], "big")
        if not kinds[k] & 1:
            kinds[k] |= 1
            self._number("tcp", self._name(k, 0, ends), i)
        elif flags & 0x12 == 0x02 and bases[fwd] not in (-1, seq):
            self._renew("tcp", self.names[2 * k] or self._name(k, 0, ends), i)
            bases[fwd] = bases[rev] = -1
        if bases[fwd] < 0:
            bases[fwd] = seq if flags & 0x02 else (seq - 1) % (1 << 32)
        if flags & 0x10 and bases[rev] < 0:
            bases[rev] = (int.from_bytes(data[t + 8 : t + 12], "big") - 1) % (1 << 32)


def _endpoint(half: bytes) -> str:
    family = socket.AF_INET6 if len(half) == 18 else socket.AF_INET
    ip, port = socket.inet_ntop(family, half[:-2]), int.from_bytes(half[-2:], "big")
    return f"[{ip}]:{port}" if family == socket.AF_INET6 else f"{ip}:{port}"


def stream_field(transport: str, n: int, at: int) -> Field:
    """The `tcp.stream` / `udp.stream` Field (computed: no byte carries it)."""
    key = (transport, n, at)
    hit = _FIELDS.get(key)
    if hit is None:
        # A stream's number recurs only while it is going: a thousand cover
        # the conversations open at once (50,000 held ~25 MB at 200,000
        # packets of short connections, most of them over; 4,096 ~2.5 MB).
        if len(_FIELDS) > 1024:
            _FIELDS.clear()
        name = transport.upper()
        hit = _FIELDS[key] = Field(
            "Stream index",
            f"{transport}.stream",
            str(n),
            f"{name} conversation {n}",
            at,
            0,
            f"Wireshark's number for this {name} conversation (from 0, in the order they "
            f"appear): {transport}.stream == {n} shows all of it. No byte carries it.",
        )
    return hit


_FIELDS: dict[tuple[str, int, int], Field] = {}


@dataclass(slots=True)
class _Tally:
    a: str
    b: str
    first: float
    last: float
    frames_ab: int = 0
    bytes_ab: int = 0
    frames_ba: int = 0
    bytes_ba: int = 0


def conversations(packets: Iterable[Packet]) -> tuple[Conversation, ...]:
    """Every TCP then every UDP conversation, each in stream order; A is the
    endpoint that sent the conversation's first packet (as Wireshark has it)."""
    found: dict[tuple[str, int], _Tally] = {}
    for p, kind, index in numbered(packets):
        size = len(p.hex) // 2
        t = found.get((kind, index))
        if t is None:
            t = found[(kind, index)] = _Tally(p.src, p.dst, p.time, p.time)
        if p.src == t.a:
            t.frames_ab += 1
            t.bytes_ab += size
        else:
            t.frames_ba += 1
            t.bytes_ba += size
        t.last = p.time
    order = sorted(found, key=lambda key: (key[0] != "tcp", key[1]))
    return tuple(
        Conversation(
            transport=kind,
            stream=index,
            a=t.a,
            b=t.b,
            frames_ab=t.frames_ab,
            bytes_ab=t.bytes_ab,
            frames_ba=t.frames_ba,
            bytes_ba=t.bytes_ba,
            start=round(t.first, 6),
            duration=round(t.last - t.first, 6),
        )
        for kind, index in order
        for t in (found[(kind, index)],)
    )


__all__ = [
    "Conversation",
    "Streams",
    "conversations",
    "numbered",
    "stream_field",
    "transport_of",
]
