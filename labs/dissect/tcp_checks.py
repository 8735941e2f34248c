"""The checks of Wireshark's `tcp_analyze_sequence_number` (packet-tcp.c),
in its order and with its thresholds, over what it remembers of each
direction of a conversation (`Side`): which `tcp.analysis.*` flags one
segment gets, and the bookkeeping after them. `labs.dissect.tcp_analysis`
keeps the conversations and says the flags in words."""

from __future__ import annotations

from dataclasses import dataclass, field

SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10
MOD = 1 << 32


def gt(a: int, b: int) -> bool:
    """a after b in sequence space (RFC 1982 arithmetic, as Wireshark's GT_SEQ)."""
    return 0 < (a - b) % MOD < 1 << 31


def lt(a: int, b: int) -> bool:
    return gt(b, a)


@dataclass(slots=True)
class Side:
    """What Wireshark remembers of one direction (tcp_analyze_seq_info)."""

    nextseq: int = 0
    nextseq_frame: int = 0
    nextseq_time: float = 0.0
    #: the same time in whole nanoseconds since the epoch (-1: not known)
    nextseq_ns: int = -1
    maxseqtobeacked: int = 0
    lastack: int = 0
    #: what Wireshark subtracts for relative numbers (-1: not known yet)
    base: int = -1
    lastack_time: float = 0.0
    lastnondupack: int = 0
    dupacknum: int = 0
    window: int = -1
    #: -1: no SYN seen; -2: the SYN had no window-scale option; else the shift
    win_scale: int = -1
    last_flags: frozenset[str] = frozenset()
    #: segments not yet acknowledged, in capture order: [frame, seq, nextseq, time, ns]
    unacked: list[list[float]] = field(default_factory=list)
    #: by sequence number: when this side last sent data starting there,
    #: and the wait before that copy (to tell a timer backing off)
    sent: dict[int, tuple[float, float | None]] = field(default_factory=dict)
    #: when this side last sent an ACK number other than the one before
    ackmoved_time: float = 0.0


@dataclass(slots=True)  # not frozen: one per TCP packet, and a frozen __init__ costs ~5x
class Segment:
    """The numbers of one TCP header that the analysis reads (never changed)."""

    src: str
    dst: str
    seq: int
    ack: int
    flags: int
    seglen: int
    window: int
    wscale: int | None
    time: float
    #: the packet's index among the packets on the wire (Wireshark's frame number
    #: is one more; a lab's plaintext read inside TLS is not counted)
    index: int
    #: the packet's time in whole nanoseconds since the epoch, as tshark keeps
    #: it (-1: not known): an epoch float is ~0.24 µs coarse in 2026, too
    #: coarse for a nanosecond capture's differences
    ns: int = -1


def us(seconds: float) -> int:
    """A time difference in whole microseconds, as tshark compares a pcap's times
    (two epoch floats differ ~0.2 µs off: equal times once read as "less")."""
    return round(seconds * 1_000_000)


def check(
    first_rtt: float | None, fwd: Side, rev: Side, s: Segment
) -> tuple[list[str], dict[str, float | int]]:
    """Wireshark's checks, in its order (see the module docstring)."""
    out: list[str] = []
    extra: dict[str, float | int] = {}
    seq, ack, seglen, window = s.seq, s.ack, s.seglen, s.window
    plain = not s.flags & (SYN | FIN | RST)
    same_numbers = seq == fwd.nextseq and ack == fwd.lastack
    if seglen == 1 and seq == fwd.nextseq and rev.window == 0:
        out.append("zero_window_probe")
        return _after_checks(first_rtt, fwd, rev, s, out, extra, skip=True)
    if window == 0 and plain:
        out.append("zero_window")
    if fwd.nextseq and gt(seq, fwd.nextseq) and not s.flags & RST:
        out.append("lost_segment")
    if seglen <= 1 and seq == (fwd.nextseq - 1) % MOD and plain:
        out.append("keep_alive")
    if seglen == 0 and window and window != fwd.window and same_numbers and plain:
        out.append("window_update")
    if (
        seglen > 0
        and rev.win_scale != -1
        and rev.window >= 0
        and (seq + seglen) % MOD == (rev.lastack + (rev.window << max(rev.win_scale, 0))) % MOD
        and plain
    ):
        out.append("window_full")
    if seglen == 0 and window and window == fwd.window and same_numbers and plain:
        if "keep_alive" in rev.last_flags:
            out.append("keep_alive_ack")
            return _after_checks(first_rtt, fwd, rev, s, out, extra, skip=True)
    if seglen == 0 and window == 0 and window == fwd.window and same_numbers and plain:
        if "zero_window_probe" in rev.last_flags:
            out.append("zero_window_probe_ack")
            return _after_checks(first_rtt, fwd, rev, s, out, extra, skip=True)
    if seglen == 0 and window and window == fwd.window and same_numbers and plain:
        fwd.dupacknum += 1
        out.append("duplicate_ack")
        extra["duplicate_ack_num"] = fwd.dupacknum
        extra["duplicate_ack_frame"] = fwd.lastnondupack
    return _after_checks(first_rtt, fwd, rev, s, out, extra, skip=False)


def _after_checks(
    first_rtt: float | None,
    fwd: Side,
    rev: Side,
    s: Segment,
    out: list[str],
    extra: dict[str, float | int],
    skip: bool,
) -> tuple[list[str], dict[str, float | int]]:
    """From Wireshark's `finished_fwd` on: the dup-ACK counter, unseen
    ACKed data, and which kind of retransmission a repeated segment is."""
    seq, ack, seglen, t = s.seq, s.ack, s.seglen, s.time
    if ack != fwd.lastack:
        fwd.lastnondupack = s.index + 1
        fwd.dupacknum = 0
    if rev.maxseqtobeacked and gt(ack, rev.maxseqtobeacked) and s.flags & ACK:
        out.append("ack_lost_segment")
        rev.maxseqtobeacked = rev.nextseq
    if skip or not (seglen > 0 or s.flags & (SYN | FIN)) or "keep_alive" in out:
        return out, extra
    not_advanced = bool(fwd.nextseq) and lt(seq, fwd.nextseq)
    if seglen > 1 and (fwd.nextseq - 1) % MOD == seq:
        not_advanced = False
    if (
        not_advanced
        and rev.dupacknum >= 2
        and rev.lastack == seq
        and us(t - rev.lastack_time) < 20_000
    ):
        out.append("fast_retransmission")
        return out, extra
    threshold = us(first_rtt) if first_rtt else 3000
    if (
        not_advanced
        and us(t - fwd.nextseq_time) < threshold
        and fwd.nextseq != (seq + seglen) % MOD
    ):
        out.append("out_of_order")
        return out, extra
    if seglen > 0 and rev.lastack and not gt(seq + seglen, rev.lastack):
        out.append("spurious_retransmission")
        return out, extra
    if not_advanced:
        out.append("retransmission")
        # Timed from the eldest segment still unacknowledged, else from the one
        # that reached furthest (tshark 4.0's "RTO based on delta from frame":
        # after Path MTU discovery resends a window in smaller pieces, every
        # piece is timed from the eldest, not from the segment it repeats).
        since = fwd.unacked[0] if fwd.unacked else None
        frame, sent = (int(since[0]), since[3]) if since else (fwd.nextseq_frame, fwd.nextseq_time)
        sent_ns = int(since[4]) if since else fwd.nextseq_ns
        if s.ns >= 0 and sent_ns >= 0:
            # Both times exact: tshark's value to the nanosecond, whatever the
            # capture's precision (a microsecond capture's ends in 000).
            extra["rto"] = (s.ns - sent_ns) / 1e9
        else:
            # Epoch seconds as floats are ~0.2 µs coarse: to the microsecond (from
            # times in whole microseconds, tshark's value exactly).
            extra["rto"] = round(t - sent, 6)
        extra["rto_frame"] = frame
        if since is not None and int(since[1]) == seq and s.flags & SYN:
            # Timed from this very SYN (or SYN-ACK) sent before, which no ACK
            # covered since: its sequence number, + 1 for an answer to it.
            extra["unanswered"] = seq
        last = fwd.sent.get(seq)
        sent = last[0] if last is not None else fwd.nextseq_time
        if seglen and rev.lastack_time > sent and not gt(rev.lastack, seq):
            # The receiver's latest ACK came after the copy before (or, that copy
            # not captured, after the newest data) and still asks for these
            # bytes: the waits since it, and since the last ACK that moved (which
            # restarts the sender's timer, RFC 6298 5.3), tell ACKs from a timer.
            extra["quiet"] = round(t - rev.lastack_time, 6)
            extra["moved"] = round(t - rev.ackmoved_time, 6)
        if last is not None:
            extra["since_last"] = t - last[0]
            if last[1]:
                extra["previous_wait"] = last[1]
    return out, extra


def remember(fwd: Side, rev: Side, s: Segment, flags: list[str]) -> None:
    """Wireshark's bookkeeping after the checks: the highest sequence number
    seen, the ACK and window this direction last sent, the segments still
    waiting for an acknowledgment."""
    nextseq = (s.seq + s.seglen) % MOD
    if s.seglen or s.flags & (SYN | FIN):
        if s.flags & (SYN | FIN):
            nextseq = (nextseq + 1) % MOD
        if len(fwd.unacked) < _MAX_UNACKED:
            fwd.unacked.append([s.index + 1, s.seq, nextseq, s.time, s.ns])
        if s.seglen:
            last = fwd.sent.get(s.seq)
            if last is None and len(fwd.sent) >= 4096:
                fwd.sent.clear()  # old data: its retransmissions are long over
            fwd.sent[s.seq] = (s.time, None if last is None else s.time - last[0])
    probe = "zero_window_probe" in flags
    if (gt(nextseq, fwd.nextseq) or not fwd.nextseq) and not probe:
        fwd.nextseq, fwd.nextseq_frame, fwd.nextseq_time = nextseq, s.index + 1, s.time
        fwd.nextseq_ns = s.ns
    if (s.seq == fwd.maxseqtobeacked or not fwd.maxseqtobeacked) and not probe:
        fwd.maxseqtobeacked = fwd.nextseq
    fwd.window = s.window
    if s.ack != fwd.lastack:
        fwd.ackmoved_time = s.time
    fwd.lastack = s.ack
    fwd.lastack_time = s.time
    fwd.last_flags = frozenset(flags)
    if rev.unacked:
        rev.unacked = _still_unacked(rev.unacked, s.ack)


#: Wireshark stops listing a direction's segments at this many (its ACKs unseen).
_MAX_UNACKED = 10_000


def _still_unacked(unacked: list[list[float]], ack: int) -> list[list[float]]:
    """The segments `ack` leaves unacknowledged (one it covers in part
    starts at `ack` from now on)."""
    kept = []
    for u in unacked:
        seq, nextseq = int(u[1]), int(u[2])
        if ack != nextseq and gt(nextseq, ack):
            if gt(ack, seq):
                u[1] = ack
            kept.append(u)
    return kept


__all__ = [
    "ACK",
    "FIN",
    "MOD",
    "RST",
    "SYN",
    "Segment",
    "Side",
    "check",
    "gt",
    "lt",
    "remember",
    "us",
]
