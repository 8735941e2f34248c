"""Reading TCP's reaction to a slow or lossy link from the captured packets:
retransmissions and their kind under the names tshark gives them
(`tcp.analysis.*`), slow start as bytes per round trip, and throughput.

tshark's expert analysis is not a library we can call from here, so the
rules that matter for this lab are written out (after Wireshark's
packet-tcp.c, in its order): a segment starting beyond what was seen is
"previous segment not captured"; a pure ACK repeating the last ACK and window
is a duplicate ACK; data starting before what was seen is a retransmission,
"fast" when two duplicate ACKs for it came just before. The lab's tests check
every flag against tshark on the saved pcap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labs.model.trace import Packet

#: tshark's names, and what each means for the learner.
FLAGS = {
    "tcp.analysis.retransmission": "a retransmission: data sent again",
    "tcp.analysis.fast_retransmission": "a fast retransmission: sent again at once, because "
    "duplicate ACKs said that segment was missing",
    "tcp.analysis.out_of_order": "out of order: data older than what already arrived, within "
    "one round trip of it (a retransmission, or a segment that was overtaken)",
    "tcp.analysis.spurious_retransmission": "a spurious retransmission: data the receiver had "
    "already acknowledged",
    "tcp.analysis.duplicate_ack": "a duplicate ACK: the receiver says again what it still misses",
    "tcp.analysis.lost_segment": "previous segment not captured: data before this never arrived here",
}

#: Wireshark calls a retransmission "fast" when it follows the duplicate
#: ACKs within this long, and without a measured first round trip, "out of
#: order" within this long of the newest data (packet-tcp.c).
FAST_WINDOW = 0.020
OOO_DEFAULT = 0.003


@dataclass
class _Side:
    nextseq: int | None = None
    nextseq_time: float = 0.0
    lastack: int | None = None
    lastack_time: float = 0.0
    window: int | None = None
    dupacks: int = 0


@dataclass(frozen=True)
class Flagged:
    """A packet tshark flags, and with which `tcp.analysis` fields (a fast
    retransmission is also a retransmission, as in Wireshark)."""

    index: int
    flags: tuple[str, ...]

    @property
    def flag(self) -> str:
        return self.flags[0]


@dataclass
class _Conn:
    sides: dict[str, _Side] = field(default_factory=dict)
    syn_time: float | None = None
    first_rtt: float = 0.0


def _n(p: Packet, name: str) -> int:
    return p.number(name) or 0


def _resent(
    me: _Side, peer: _Side, conn: _Conn, t: float, seq: int, length: int
) -> tuple[str, ...]:
    """What kind of resending a segment starting before `me.nextseq` is."""
    if peer.dupacks >= 2 and peer.lastack == seq and t - peer.lastack_time < FAST_WINDOW:
        return ("tcp.analysis.fast_retransmission", "tcp.analysis.retransmission")
    threshold = conn.first_rtt or OOO_DEFAULT
    if length and t - me.nextseq_time < threshold and me.nextseq != (seq + length) & 0xFFFFFFFF:
        return ("tcp.analysis.out_of_order",)
    if peer.lastack is not None and not _after(seq + length, peer.lastack) and length:
        return ("tcp.analysis.spurious_retransmission",)
    return ("tcp.analysis.retransmission",)


def analyse(packets: tuple[Packet, ...]) -> list[Flagged]:
    """Every packet tshark marks with one of `FLAGS`, in capture order."""
    conns: dict[frozenset[str], _Conn] = {}
    out: list[Flagged] = []
    for p in packets:
        if p.origin != "wire" or p.layer("TCP") is None or p.layer("ICMP") or p.layer("ICMPv6"):
            continue
        conn = conns.setdefault(frozenset((p.src, p.dst)), _Conn())
        me = conn.sides.setdefault(p.src, _Side())
        peer = conn.sides.setdefault(p.dst, _Side())
        seq, ack, length = _n(p, "tcp.seq_raw"), _n(p, "tcp.ack_raw"), _n(p, "tcp.len")
        flags, window = _n(p, "tcp.flags"), _n(p, "tcp.window_size_value")
        syn, fin, rst = flags & 0x02, flags & 0x01, flags & 0x04
        if syn and not flags & 0x10:
            conn.syn_time = p.time
        elif conn.syn_time is not None and not conn.first_rtt and flags == 0x10 and not length:
            conn.first_rtt = p.time - conn.syn_time  # tshark's tcp.analysis.initial_rtt
        extent = length + (1 if syn or fin else 0)
        found: tuple[str, ...] = ()
        if me.nextseq is not None and not rst and _after(seq, me.nextseq):
            found = ("tcp.analysis.lost_segment",)
        elif (
            me.nextseq is not None
            and extent == 0
            and not (syn or fin or rst)
            and ack == me.lastack
            and window == me.window
            and seq == me.nextseq
        ):
            found = ("tcp.analysis.duplicate_ack",)
            me.dupacks += 1
        elif me.nextseq is not None and extent and _after(me.nextseq, seq):
            found = _resent(me, peer, conn, p.time, seq, length)
        if found:
            out.append(Flagged(p.index, found))
        if "tcp.analysis.duplicate_ack" not in found and ack != me.lastack:
            me.dupacks = 0
        end = (seq + extent) & 0xFFFFFFFF
        if me.nextseq is None or _after(end, me.nextseq):
            me.nextseq, me.nextseq_time = end, p.time
        if flags & 0x10:
            me.lastack, me.window, me.lastack_time = ack, window, p.time
    return out


def _after(a: int, b: int) -> bool:
    """Sequence number `a` is after `b` (modulo 2**32, RFC 9293 section 3.4)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


def rounds(data: list[Packet], rtt: float) -> list[tuple[int, int]]:
    """Slow start as the receiver sees it: for each round trip since the
    first byte, the segments and bytes that arrived in it."""
    if not data or rtt <= 0:
        return []
    t0 = data[0].time
    counts: dict[int, list[int]] = {}
    for p in data:
        k = int((p.time - t0) / rtt)
        slot = counts.setdefault(k, [0, 0])
        slot[0] += 1
        slot[1] += _n(p, "tcp.len")
    last = max(counts)
    return [tuple(counts.get(k, [0, 0])) for k in range(last + 1)]  # type: ignore[misc]


def throughput_kbit(data: list[Packet]) -> float:
    """Payload bits per second from the first data packet to the last."""
    if len(data) < 2:
        return 0.0
    span = data[-1].time - data[0].time
    total = sum(_n(p, "tcp.len") for p in data[1:])
    return total * 8 / span / 1000 if span > 0 else 0.0
