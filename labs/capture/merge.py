"""Putting the plaintext recorded inside TLS among a live capture's frames.

The frames keep the kernel's order and stamps (a capture is a capture); the
records, stamped by the program's clock when it sent or received, go in
after every frame known to have come before them, so none can precede the
wire packets that carried it, whatever either clock says."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from labs.capture.sniff import pair_of, parse
from labs.core.base import RawPacket


@dataclass(frozen=True)
class Frame:
    """A captured frame with the program's clock when the sniffer read it: a
    frame read before a record was made came before the record, even when
    the kernel dated it late (see `labs.capture.stamps`)."""

    packet: RawPacket
    read: float


def _payload(ip: bytes) -> int:
    """Bytes a TCP segment carries (0 if it is not one)."""
    if not ip or ip[0] >> 4 not in (4, 6):
        return 0
    if ip[0] >> 4 == 4:
        start, total = (ip[0] & 0x0F) * 4, int.from_bytes(ip[2:4])
    else:
        start, total = 40, 40 + int.from_bytes(ip[4:6])
    if len(ip) < start + 13:
        return 0
    return max(0, min(total, len(ip)) - start - (ip[start + 12] >> 4) * 4)


def _after_handshakes(frames: Sequence[Frame], stripped: bool) -> dict[frozenset, int]:
    """Per connection, how many frames must precede its plaintext: up to the
    first segment with data from the end that answered the SYN (the
    ServerHello: no plaintext flows either way before it), or, with that
    segment not captured, all of its frames."""
    bound: dict[frozenset, int] = {}
    servers: dict[frozenset, tuple[str, int]] = {}
    done: set[frozenset] = set()
    for i, frame in enumerate(frames):
        data = frame.packet.data
        ip = data if stripped else data[14:]
        info = parse(ip)
        if info is None or info[0] != "tcp":
            continue
        key = frozenset((info[1], info[2]))
        if key in done:
            continue
        if info[3] & 0x12 == 0x12:
            servers[key] = info[1]
        bound[key] = i + 1
        if servers.get(key) == info[1] and _payload(ip):
            done.add(key)
    return bound


def place_inside(
    frames: Sequence[Frame], inside: Sequence[RawPacket], stripped: bool
) -> list[RawPacket]:
    """The frames in their own order, with each record after every frame
    stamped or read no later than it was made and after its connection's
    handshakes; a record's time is never before the packet shown above it."""
    if not inside:
        return [f.packet for f in frames]
    # known[i]: the earliest either clock puts frame i; its suffix minimum,
    # ascending, tells how many frames end at or before a time.
    suffix: list[float] = []
    low = float("inf")
    for f in reversed(frames):
        low = min(low, f.packet.time, f.read)
        suffix.append(low)
    suffix.reverse()
    handshakes = _after_handshakes(frames, stripped)

    def position(record: RawPacket) -> int:
        by_time = bisect_right(suffix, record.time)
        return max(by_time, handshakes.get(pair_of(record.data, True), 0))

    placed = sorted(
        ((position(r), r.time, n, r) for n, r in enumerate(inside)), key=lambda x: x[:3]
    )
    out: list[RawPacket] = []
    at = 0
    for pos, _time, _n, record in placed:
        out.extend(f.packet for f in frames[at:pos])
        at = max(at, pos)
        shown = max(record.time, out[-1].time) if out else record.time
        out.append(record if shown == record.time else replace(record, time=shown))
    out.extend(f.packet for f in frames[at:])
    return out
