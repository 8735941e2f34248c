"""Conversations (Wireshark's Statistics › Conversations, `tshark -z
conv,tcp` / `-z conv,udp`): for each TCP or UDP conversation its two
endpoints, frames and bytes each way, when it started and how long it
lasted. Numbered as Wireshark numbers them (`tcp.stream`, `udp.stream`:
in the order each conversation is first seen, from 0), so `--follow N`
(`labs.dissect.follow`) names the same one.

Read from the dissected packets (their endpoints and sizes), not from the
bytes a second time. Only the packets that crossed the wire count (a lab's
plaintext recorded inside a TLS tunnel is not a conversation of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labs.model.trace import Packet


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
    """(packet, transport, stream index) for each TCP/UDP packet on the wire,
    the index counted per transport in order of first appearance."""
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
        index = seen.get(key)
        if index is None:
            index = seen[key] = counts[kind]
            counts[kind] += 1
        out.append((p, kind, index))
    return out


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


__all__ = ["Conversation", "conversations", "numbered", "transport_of"]
