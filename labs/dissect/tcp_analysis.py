"""TCP analysis as Wireshark does it (its `tcp.analysis.*` flags), in words.

Wireshark follows each direction of a TCP conversation: the next sequence
number it expects, the last ACK and window it saw, how many duplicate ACKs
came in a row. From these it flags retransmissions, duplicate ACKs, lost
and out-of-order segments, zero windows and keep-alives, and a SYN (or
SYN/ACK) that starts over on a conversation's ports. The checks below
are the same checks, in the same order and with the same thresholds, as
Wireshark's `tcp_analyze_sequence_number` (packet-tcp.c), so each flag is
the one tshark sets for that packet (tests/test_tcp_analysis.py compares);
only the bookkeeping Wireshark needs for its other columns (bytes in
flight, which frame an ACK acknowledges) is left out.

`Analyzer.analyze` reads one TCP header's numbers and returns the Fields to
add under the TCP layer and one sentence for the learner.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

from labs.dissect import idle
from labs.dissect import tcp_words as words
from labs.dissect.tcp_header import header_numbers
from labs.model.trace import Field

_SYN, _FIN, _RST, _ACK = 0x02, 0x01, 0x04, 0x10
_MOD = 1 << 32

#: Flags saying the segment's bytes were sent before.
RESENT = frozenset({"retransmission", "fast_retransmission", "spurious_retransmission"})


def _gt(a: int, b: int) -> bool:
    """a after b in sequence space (RFC 1982 arithmetic, as Wireshark's GT_SEQ)."""
    return 0 < (a - b) % _MOD < 1 << 31


def _lt(a: int, b: int) -> bool:
    return _gt(b, a)


@dataclass(slots=True)
class _Side:
    """What Wireshark remembers of one direction (tcp_analyze_seq_info)."""

    nextseq: int = 0
    nextseq_frame: int = 0
    nextseq_time: float = 0.0
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
    #: segments not yet acknowledged, in capture order: [frame, seq, nextseq, time]
    unacked: list[list[float]] = field(default_factory=list)
    #: by sequence number: when this side last sent data starting there,
    #: and the wait before that copy (to tell a timer backing off)
    sent: dict[int, tuple[float, float | None]] = field(default_factory=dict)


@dataclass(slots=True)
class _Conversation:
    sides: dict[tuple[str, str], _Side] = field(default_factory=dict)
    syn_time: float | None = None
    first_rtt: float | None = None
    #: a FIN or RST was seen, and the index of the first packet: what is
    #: said of it when a new connection reuses its ports
    ended: bool = False
    first: int = -1


_SIDE = tuple(f.name for f in fields(_Side))


def _freeze(conv: _Conversation) -> bytes:
    """`conv` as bytes, all of it: `_thaw` gives it back the same."""
    sides = [(k, tuple(getattr(side, n) for n in _SIDE)) for k, side in conv.sides.items()]
    return idle.freeze((sides, conv.syn_time, conv.first_rtt, conv.ended, conv.first))


def _thaw(blob: bytes) -> _Conversation:
    sides, *rest = idle.thaw(blob)
    return _Conversation({k: _Side(*values) for k, values in sides}, *rest)


#: Segments read between two looks for idle conversations.
_SWEEP = 4096


class Found(NamedTuple):
    """What the analysis says of one segment: the fields for its TCP layer,
    the flags (Wireshark's names without `tcp.analysis.`), the Info-column
    tags ("[TCP Retransmission] ") and a sentence for the learner."""

    fields: tuple[Field, ...]
    flags: tuple[str, ...]
    tags: str
    sentence: str


NOTHING = Found((), (), "", "")


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
    #: the packet's index in the trace (Wireshark's frame number is one more)
    index: int


class Analyzer:
    """TCP analysis over the packets of one trace, in capture order."""

    def __init__(self) -> None:
        self.conversations: dict[frozenset[str], _Conversation] = {}
        #: conversations idle for a while, as bytes (a capture of many
        #: connections keeps ~0.3 KB of each, not ~2 KB), by "a b" (sorted ends)
        self.frozen: dict[str, bytes] = {}
        self.count = 0
        #: conversation -> the number of the last segment read in it
        self.touched: dict[frozenset[str], int] = {}
        #: the last segment's relative sequence, acknowledgment and next
        #: sequence numbers (Wireshark's tcp.seq, tcp.ack, tcp.nxtseq)
        self.numbers = (0, 0, 0)
        #: the last segment opened a new connection on a conversation's ports
        self.reused = False

    def _conversation(self, src: str, dst: str) -> _Conversation:
        key = frozenset((src, dst))
        conv = self.conversations.get(key)
        if conv is None:
            blob = self.frozen.pop(" ".join(sorted(key)), None)
            conv = self.conversations[key] = _Conversation() if blob is None else _thaw(blob)
        self.count += 1
        self.touched[key] = self.count
        if self.count % _SWEEP == 0:
            self._sweep()
        return conv

    def _sweep(self) -> None:
        """Freeze the conversations no segment came to since the last sweep."""
        for key in idle.idle(self.touched, self.count - _SWEEP):
            self.frozen[" ".join(sorted(key))] = _freeze(self.conversations.pop(key))

    def analyze(self, s: Segment, at: int) -> Found:
        """Fields (at byte `at`, the TCP header, zero length: Wireshark
        computes them, no byte carries them) and a sentence for the learner."""
        conv = self._conversation(s.src, s.dst)
        fwd = conv.sides.get((s.src, s.dst))
        self.reused = reused = False
        ended, earlier = conv.ended, conv.first
        if conv.first < 0:
            conv.first = s.index
        if fwd is None:
            fwd = conv.sides[(s.src, s.dst)] = _Side()
        elif s.flags & _SYN and fwd.base >= 0 and s.seq != fwd.base:
            # Another initial sequence number on known ports: "TCP Port numbers
            # reused" (Wireshark's dissect_tcp, before the analysis). A SYN
            # opens a new conversation; a SYN/ACK stays in this one, its side
            # counted from its new number.
            reused = True
            if s.flags & _ACK:
                fwd.base = s.seq
            else:
                self.reused = True
                conv = self.conversations[frozenset((s.src, s.dst))] = _Conversation()
                conv.first = s.index
                fwd = conv.sides[(s.src, s.dst)] = _Side()
        rev = conv.sides.get((s.dst, s.src))
        if rev is None:
            rev = conv.sides[(s.dst, s.src)] = _Side()
        if s.flags & (_FIN | _RST):
            conv.ended = True
        self.numbers = _relative(fwd, rev, s)
        self._handshake(conv, fwd, rev, s)
        flags, extra = _check(conv, fwd, rev, s)
        _remember(fwd, rev, s, flags)
        if reused:
            flags.insert(0, "reused_ports")
            extra["ended"], extra["earlier"] = ended, earlier
            extra["synack"] = bool(s.flags & _ACK)
        if not flags:
            return NOTHING
        shown = sorted(flags, key=words.ORDER.index)
        tags = "".join(f"[{words.tag(f, extra)}] " for f in reversed(shown))
        return Found(
            tuple(words.fields(shown, extra, at)),
            tuple(flags),
            tags,
            words.sentence(flags, extra, s.seglen),
        )

    @staticmethod
    def _handshake(conv: _Conversation, fwd: _Side, rev: _Side, s: Segment) -> None:
        if s.flags & _SYN:
            fwd.win_scale = s.wscale if s.wscale is not None else -2
            if s.flags & _ACK and (fwd.win_scale == -2 or rev.win_scale == -2):
                fwd.win_scale = rev.win_scale = -2  # scaling needs both sides' option
            if not s.flags & _ACK:
                conv.syn_time = s.time
        elif s.flags & _ACK and conv.syn_time is not None and conv.first_rtt is None:
            conv.first_rtt = s.time - conv.syn_time


def _us(seconds: float) -> int:
    """A time difference in whole microseconds, as tshark compares a pcap's times
    (two epoch floats differ ~0.2 µs off: equal times once read as "less")."""
    return round(seconds * 1_000_000)


def _relative(fwd: _Side, rev: _Side, s: Segment) -> tuple[int, int, int]:
    """Wireshark's relative numbers (its default): counted from the first
    sequence number seen each way, the ISN when the SYN was captured, else
    one before the first segment's (or the first ACK's) number, so a capture
    that starts mid-connection counts from 1. An ACK number counts only
    with the ACK flag (else it is the raw one); the next sequence number
    counts the SYN and the FIN as one byte each."""
    flags = s.flags
    if fwd.base < 0:
        fwd.base = s.seq if flags & _SYN else (s.seq - 1) % _MOD
    ack = s.ack
    if flags & _ACK:
        if rev.base < 0:
            rev.base = (ack - 1) % _MOD
        ack = (ack - rev.base) % _MOD
    seq = (s.seq - fwd.base) % _MOD
    nxt = seq + s.seglen + 1 if flags & (_SYN | _FIN) else seq + s.seglen
    return seq, ack, nxt % _MOD


def _check(
    conv: _Conversation, fwd: _Side, rev: _Side, s: Segment
) -> tuple[list[str], dict[str, float | int]]:
    """Wireshark's checks, in its order (see the module docstring)."""
    out: list[str] = []
    extra: dict[str, float | int] = {}
    seq, ack, seglen, window = s.seq, s.ack, s.seglen, s.window
    plain = not s.flags & (_SYN | _FIN | _RST)
    same_numbers = seq == fwd.nextseq and ack == fwd.lastack
    if seglen == 1 and seq == fwd.nextseq and rev.window == 0:
        out.append("zero_window_probe")
        return _after_checks(conv, fwd, rev, s, out, extra, skip=True)
    if window == 0 and plain:
        out.append("zero_window")
    if fwd.nextseq and _gt(seq, fwd.nextseq) and not s.flags & _RST:
        out.append("lost_segment")
    if seglen <= 1 and seq == (fwd.nextseq - 1) % _MOD and plain:
        out.append("keep_alive")
    if seglen == 0 and window and window != fwd.window and same_numbers and plain:
        out.append("window_update")
    if (
        seglen > 0
        and rev.win_scale != -1
        and rev.window >= 0
        and (seq + seglen) % _MOD == (rev.lastack + (rev.window << max(rev.win_scale, 0))) % _MOD
        and plain
    ):
        out.append("window_full")
    if seglen == 0 and window and window == fwd.window and same_numbers and plain:
        if "keep_alive" in rev.last_flags:
            out.append("keep_alive_ack")
            return _after_checks(conv, fwd, rev, s, out, extra, skip=True)
    if seglen == 0 and window == 0 and window == fwd.window and same_numbers and plain:
        if "zero_window_probe" in rev.last_flags:
            out.append("zero_window_probe_ack")
            return _after_checks(conv, fwd, rev, s, out, extra, skip=True)
    if seglen == 0 and window and window == fwd.window and same_numbers and plain:
        fwd.dupacknum += 1
        out.append("duplicate_ack")
        extra["duplicate_ack_num"] = fwd.dupacknum
        extra["duplicate_ack_frame"] = fwd.lastnondupack
    return _after_checks(conv, fwd, rev, s, out, extra, skip=False)


def _after_checks(
    conv: _Conversation,
    fwd: _Side,
    rev: _Side,
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
    if rev.maxseqtobeacked and _gt(ack, rev.maxseqtobeacked) and s.flags & _ACK:
        out.append("ack_lost_segment")
        rev.maxseqtobeacked = rev.nextseq
    if skip or not (seglen > 0 or s.flags & (_SYN | _FIN)) or "keep_alive" in out:
        return out, extra
    not_advanced = bool(fwd.nextseq) and _lt(seq, fwd.nextseq)
    if seglen > 1 and (fwd.nextseq - 1) % _MOD == seq:
        not_advanced = False
    if (
        not_advanced
        and rev.dupacknum >= 2
        and rev.lastack == seq
        and _us(t - rev.lastack_time) < 20_000
    ):
        out.append("fast_retransmission")
        return out, extra
    threshold = _us(conv.first_rtt) if conv.first_rtt else 3000
    if (
        not_advanced
        and _us(t - fwd.nextseq_time) < threshold
        and fwd.nextseq != (seq + seglen) % _MOD
    ):
        out.append("out_of_order")
        return out, extra
    if seglen > 0 and rev.lastack and not _gt(seq + seglen, rev.lastack):
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
        # Epoch seconds as floats are ~0.2 µs coarse: to the microsecond (from
        # times in whole microseconds, as a pcap keeps them, tshark's value exactly).
        extra["rto"] = round(t - sent, 6)
        extra["rto_frame"] = frame
        last = fwd.sent.get(seq)
        if last is not None:
            extra["since_last"] = t - last[0]
            if last[1]:
                extra["previous_wait"] = last[1]
    return out, extra


def _remember(fwd: _Side, rev: _Side, s: Segment, flags: list[str]) -> None:
    """Wireshark's bookkeeping after the checks: the highest sequence number
    seen, the ACK and window this direction last sent, the segments still
    waiting for an acknowledgment."""
    nextseq = (s.seq + s.seglen) % _MOD
    if s.seglen or s.flags & (_SYN | _FIN):
        if s.flags & (_SYN | _FIN):
            nextseq = (nextseq + 1) % _MOD
        if len(fwd.unacked) < _MAX_UNACKED:
            fwd.unacked.append([s.index + 1, s.seq, nextseq, s.time])
        if s.seglen:
            last = fwd.sent.get(s.seq)
            if last is None and len(fwd.sent) >= 4096:
                fwd.sent.clear()  # old data: its retransmissions are long over
            fwd.sent[s.seq] = (s.time, None if last is None else s.time - last[0])
    probe = "zero_window_probe" in flags
    if (_gt(nextseq, fwd.nextseq) or not fwd.nextseq) and not probe:
        fwd.nextseq, fwd.nextseq_frame, fwd.nextseq_time = nextseq, s.index + 1, s.time
    if (s.seq == fwd.maxseqtobeacked or not fwd.maxseqtobeacked) and not probe:
        fwd.maxseqtobeacked = fwd.nextseq
    fwd.window = s.window
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
        if ack != nextseq and _gt(nextseq, ack):
            if _gt(ack, seq):
                u[1] = ack
            kept.append(u)
    return kept


__all__ = ["NOTHING", "RESENT", "Analyzer", "Found", "Segment", "header_numbers"]
