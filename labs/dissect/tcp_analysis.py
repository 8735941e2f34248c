"""TCP analysis as Wireshark does it (its `tcp.analysis.*` flags), in words.

Wireshark follows each direction of a TCP conversation: the next sequence
number it expects, the last ACK and window it saw, how many duplicate ACKs
came in a row. From these it flags retransmissions, duplicate ACKs, lost
and out-of-order segments, zero windows and keep-alives, and a SYN (or
SYN/ACK) that starts over on a conversation's ports. The checks
(`labs.dissect.tcp_checks`) are the same checks, in the same order and with
the same thresholds, as Wireshark's `tcp_analyze_sequence_number`
(packet-tcp.c), so each flag is
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
from labs.dissect.tcp_checks import ACK, FIN, MOD, RST, SYN, Segment, Side, check, remember
from labs.dissect.tcp_header import header_numbers
from labs.model.trace import Field

#: Flags saying the segment's bytes were sent before.
RESENT = frozenset({"retransmission", "fast_retransmission", "spurious_retransmission"})


@dataclass(slots=True)
class _Conversation:
    sides: dict[tuple[str, str], Side] = field(default_factory=dict)
    syn_time: float | None = None
    first_rtt: float | None = None
    #: a FIN or RST was seen, and the index of the first packet: what is
    #: said of it when a new connection reuses its ports
    ended: bool = False
    first: int = -1
    #: its tcp.stream number (`Analyzer.numbered`; -1: not told yet)
    stream: int = -1


_SIDE = tuple(f.name for f in fields(Side))


def _freeze(conv: _Conversation) -> bytes:
    """`conv` as bytes, all of it: `_thaw` gives it back the same."""
    sides = [(k, tuple(getattr(side, n) for n in _SIDE)) for k, side in conv.sides.items()]
    return idle.freeze((sides, conv.syn_time, conv.first_rtt, conv.ended, conv.first, conv.stream))


def _thaw(blob: bytes) -> _Conversation:
    sides, *rest = idle.thaw(blob)
    return _Conversation({k: Side(*values) for k, values in sides}, *rest)


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
        #: the last segment's conversation, and what is said of the segment
        #: once its tcp.stream number is known (`numbered`)
        self._conv = _Conversation()
        self._unsaid: tuple[list[str], dict[str, float | int], int] | None = None

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

    def scales(self, src: str, dst: str) -> tuple[int, int]:
        """The window-scale state (`Side.win_scale`) of the direction `src` to
        `dst` and of the other one, -1 for a side never seen; an idle
        conversation is read where it is kept, not put back."""
        key = frozenset((src, dst))
        conv = self.conversations.get(key)
        if conv is None:
            blob = self.frozen.get(" ".join(sorted(key)))
            conv = _thaw(blob) if blob is not None else None
        sides = conv.sides if conv is not None else {}
        fwd, rev = sides.get((src, dst)), sides.get((dst, src))
        return (fwd.win_scale if fwd else -1, rev.win_scale if rev else -1)

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
        ended, earlier, earlier_stream = conv.ended, conv.first, conv.stream
        if conv.first < 0:
            conv.first = s.index
        if fwd is None:
            fwd = conv.sides[(s.src, s.dst)] = Side()
        elif s.flags & SYN and fwd.base >= 0 and s.seq != fwd.base:
            # Another initial sequence number on known ports: "TCP Port numbers
            # reused" (Wireshark's dissect_tcp, before the analysis). A SYN
            # opens a new conversation; a SYN/ACK stays in this one, its side
            # counted from its new number.
            reused = True
            if s.flags & ACK:
                fwd.base = s.seq
            else:
                self.reused = True
                conv = self.conversations[frozenset((s.src, s.dst))] = _Conversation()
                conv.first = s.index
                fwd = conv.sides[(s.src, s.dst)] = Side()
        rev = conv.sides.get((s.dst, s.src))
        if rev is None:
            rev = conv.sides[(s.dst, s.src)] = Side()
        if s.flags & (FIN | RST):
            conv.ended = True
        self.numbers = _relative(fwd, rev, s)
        self._handshake(conv, fwd, rev, s)
        flags, extra = check(conv.first_rtt, fwd, rev, s)
        remember(fwd, rev, s, flags)
        self._conv, self._unsaid = conv, None
        if s.flags & SYN and "retransmission" in flags:
            extra["handshake"] = 2 if s.flags & ACK else 1
        if reused:
            flags.insert(0, "reused_ports")
            extra["ended"], extra["earlier"] = ended, earlier
            extra["earlier_stream"] = earlier_stream
            extra["synack"] = bool(s.flags & ACK)
            self._unsaid = flags, extra, s.seglen
        elif s.flags & (SYN | ACK) == SYN and ended and flags[:1] == ["retransmission"]:
            # The ISN this side already used here, after the end: the same
            # SYN again (tshark keeps it in the conversation), not a new one.
            extra["again_isn"] = s.seq
            self._unsaid = flags, extra, s.seglen
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

    def numbered(self, found: Found, stream: int) -> Found:
        """`found` (what `analyze` gave for the last segment) once the
        segment's tcp.stream number is known: the conversation remembers
        it, and a sentence about a conversation names it by it."""
        self._conv.stream = stream
        unsaid = self._unsaid
        if unsaid is None:
            return found
        self._unsaid = None
        flags, extra, seglen = unsaid
        extra["stream"] = stream
        return found._replace(sentence=words.sentence(flags, extra, seglen))

    @staticmethod
    def _handshake(conv: _Conversation, fwd: Side, rev: Side, s: Segment) -> None:
        if s.flags & SYN:
            fwd.win_scale = s.wscale if s.wscale is not None else -2
            if s.flags & ACK and (fwd.win_scale == -2 or rev.win_scale == -2):
                fwd.win_scale = rev.win_scale = -2  # scaling needs both sides' option
            if not s.flags & ACK:
                conv.syn_time = s.time
        elif s.flags & ACK and conv.syn_time is not None and conv.first_rtt is None:
            conv.first_rtt = s.time - conv.syn_time


def _relative(fwd: Side, rev: Side, s: Segment) -> tuple[int, int, int]:
    """Wireshark's relative numbers (its default): counted from the first
    sequence number seen each way, the ISN when the SYN was captured, else
    one before the first segment's (or the first ACK's) number, so a capture
    that starts mid-connection counts from 1. An ACK number counts only
    with the ACK flag (else it is the raw one); the next sequence number
    counts the SYN and the FIN as one byte each."""
    flags = s.flags
    if fwd.base < 0:
        fwd.base = s.seq if flags & SYN else (s.seq - 1) % MOD
    ack = s.ack
    if flags & ACK:
        if rev.base < 0:
            rev.base = (ack - 1) % MOD
        ack = (ack - rev.base) % MOD
    seq = (s.seq - fwd.base) % MOD
    nxt = seq + s.seglen + 1 if flags & (SYN | FIN) else seq + s.seglen
    return seq, ack, nxt % MOD


__all__ = ["NOTHING", "RESENT", "Analyzer", "Found", "Segment", "header_numbers"]
