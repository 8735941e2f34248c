"""The words of TCP analysis: Wireshark's field and Info-column names for
each flag (`labs.dissect.tcp_analysis` decides which flags a segment gets),
the Fields added under the TCP layer, and a sentence for the learner."""

from __future__ import annotations

from collections.abc import Callable

from labs.dissect.tcp_checks import MOD
from labs.model.numbers import ref
from labs.model.timewords import took
from labs.model.trace import Field

#: Wireshark's field, its Expert Info text, and what it means for a learner.
KINDS: dict[str, tuple[str, str]] = {
    "retransmission": ("This frame is a (suspected) retransmission", "retransmission"),
    "fast_retransmission": (
        "This frame is a (suspected) fast retransmission",
        "fast retransmission",
    ),
    "spurious_retransmission": (
        "This frame is a (suspected) spurious retransmission",
        "spurious retransmission",
    ),
    "out_of_order": ("This frame is a (suspected) out-of-order segment", "out of order"),
    "lost_segment": ("Previous segment(s) not captured (common at capture start)", "gap"),
    "ack_lost_segment": ("ACKed segment that wasn't captured (common at capture start)", "unseen"),
    "duplicate_ack": ("Duplicate ACK", "duplicate ACK"),
    "zero_window": ("TCP Zero Window segment", "zero window"),
    "zero_window_probe": ("TCP Zero Window Probe", "zero window probe"),
    "zero_window_probe_ack": ("ACK to a TCP Zero Window Probe", "zero window probe ACK"),
    "window_full": ("TCP window specified by the receiver is now completely full", "window full"),
    "window_update": ("TCP window update", "window update"),
    "keep_alive": ("TCP keep-alive segment", "keep-alive"),
    "keep_alive_ack": ("ACK to a TCP keep-alive segment", "keep-alive ACK"),
    "reused_ports": (
        "A new tcp session is started with the same ports as an earlier session in this trace",
        "ports reused",
    ),
}

#: Wireshark's Info-column tag for each flag (what tshark prints before the summary).
TAGS = {
    "retransmission": "TCP Retransmission",
    "fast_retransmission": "TCP Fast Retransmission",
    "spurious_retransmission": "TCP Spurious Retransmission",
    "out_of_order": "TCP Out-Of-Order",
    "lost_segment": "TCP Previous segment not captured",
    "ack_lost_segment": "TCP ACKed unseen segment",
    "duplicate_ack": "TCP Dup ACK",
    "zero_window": "TCP ZeroWindow",
    "zero_window_probe": "TCP ZeroWindowProbe",
    "zero_window_probe_ack": "TCP ZeroWindowProbeAck",
    "window_full": "TCP Window Full",
    "window_update": "TCP Window Update",
    "keep_alive": "TCP Keep-Alive",
    "keep_alive_ack": "TCP Keep-Alive ACK",
    "reused_ports": "TCP Port numbers reused",
}

#: The order Wireshark adds the flags to the tree (and, reversed, to the Info column).
ORDER = (
    "fast_retransmission", "spurious_retransmission", "retransmission", "out_of_order",
    "reused_ports", "lost_segment", "ack_lost_segment", "keep_alive", "window_update",
    "window_full", "keep_alive_ack", "duplicate_ack", "zero_window_probe", "zero_window",
    "zero_window_probe_ack",
)  # fmt: skip


#: The name of the Field (no Wireshark name: tutor's own) that marks a SYN as
#: its conversation's first SYN sent again after the connection ended.
AGAIN = "The first SYN again, after the close"


def tag(flag: str, extra: dict[str, float | int]) -> str:
    if flag == "duplicate_ack":
        # Wireshark's "Dup ACK 17#1": the ACK it repeats is frame 17, tutor's #17 too.
        return f"TCP Dup ACK {int(extra['duplicate_ack_frame'])}#{extra['duplicate_ack_num']}"
    return TAGS[flag]


def fields(flags: list[str], extra: dict[str, float | int], at: int) -> list[Field]:
    out = [
        Field(
            "SEQ/ACK analysis",
            "tcp.analysis.flags",
            "",
            ", ".join(KINDS[f][1] for f in flags),
            at,
            0,
            "What Wireshark concludes from following this conversation's numbers "
            "(no byte of the packet says it).",
        )
    ]
    for name in flags:
        text, short = KINDS[name]
        meaning = _MEANING[name]
        if name == "retransmission" and "again_isn" in extra:
            meaning = "This SYN was sent before: it began this conversation, which has ended since."
        elif name == "retransmission" and extra.get("handshake") == 2 and extra.get("unanswered"):
            meaning = "This SYN-ACK was sent before, and no ACK of it came since."
        elif extra.get("synack") and name in ("reused_ports", "lost_segment"):
            meaning = _NEW_NUMBER[name]
        out.append(Field(text, f"tcp.analysis.{name}", "", short, at, 0, meaning))
        if name in ("fast_retransmission", "spurious_retransmission"):
            # Wireshark marks these as retransmissions too (a filter on
            # tcp.analysis.retransmission finds every kind).
            text, short = KINDS["retransmission"]
            out.append(Field(text, "tcp.analysis.retransmission", "", short, at, 0, ""))
        if name == "duplicate_ack":
            num, frame = extra["duplicate_ack_num"], extra["duplicate_ack_frame"]
            out.append(Field("Duplicate ACK number", f"{_A}duplicate_ack_num", str(num), str(num), at, 0))  # fmt: skip
            out.append(Field("Duplicate to the ACK in frame", f"{_A}duplicate_ack_frame", str(frame), f"packet #{int(frame)}", at, 0))  # fmt: skip
        if name == "retransmission" and extra.get("rto_frame"):
            rto, frame = extra["rto"], int(extra["rto_frame"])
            out.append(Field("The RTO for this segment was", f"{_A}rto", f"{rto:.9f}", f"{rto:.3f} s", at, 0, _RTO))  # fmt: skip
            out.append(Field("RTO based on delta from frame", f"{_A}rto_frame", str(frame), f"packet #{frame}", at, 0))  # fmt: skip
    if "again_isn" in extra:
        isn = str(extra["again_isn"])
        out.append(Field(AGAIN, None, isn, f"initial sequence number {isn}", at, 0, _again(extra)))
    return out


_A = "tcp.analysis."
_RTO = "Retransmission timeout: how long after the highest-numbered segment this copy was sent."
_MEANING = {
    "retransmission": "The sender sent these bytes before, and no acknowledgment covered them "
    "yet: it sends them again.",
    "fast_retransmission": "Sent again at once, without waiting for the timer: the receiver "
    "repeated the same ACK (duplicate ACKs), which says a segment went missing.",
    "spurious_retransmission": "Sent again although the receiver had already acknowledged "
    "these bytes: the copy was not needed.",
    "out_of_order": "An earlier part of the stream, arriving after a later one.",
    "lost_segment": "The capture jumps ahead in this direction's numbering: bytes before "
    "this segment were lost, or the capture did not see them.",
    "ack_lost_segment": "This acknowledges bytes the capture never saw.",
    "duplicate_ack": "The same acknowledgment again, with no new data: the receiver is "
    "still waiting for a missing segment.",
    "zero_window": "The receiver's buffer is full: the sender must stop until it opens.",
    "zero_window_probe": "One byte sent into a closed window, to ask whether it has opened.",
    "zero_window_probe_ack": "The answer to a zero window probe.",
    "window_full": "This segment fills all the room the receiver announced.",
    "window_update": "No data, only a new window size: the receiver has room again.",
    "keep_alive": "A segment that repeats the last byte, only to check the other side is "
    "still there on an idle connection.",
    "keep_alive_ack": "The answer to a keep-alive: still here.",
    "reused_ports": "A new connection on the same two ports as an earlier one in this capture: "
    "Wireshark counts it as a conversation of its own.",
}

#: What the flags of a SYN-ACK from another initial sequence number mean.
_NEW_NUMBER = {
    "reused_ports": "Another initial sequence number from this side on these ports: Wireshark "
    "notes it, but keeps a SYN-ACK in its conversation (only a SYN begins a new one).",
    "lost_segment": "The jump is this SYN-ACK's new initial sequence number: no data of its "
    "connection comes before it.",
}


def _reused(extra: dict[str, float | int]) -> str:
    stream, earlier = int(extra.get("stream", -1)), int(extra.get("earlier_stream", -1))
    if extra.get("synack"):
        kept = f" Wireshark still counts it in TCP conversation {stream} (only a SYN begins a new one)."
        return (
            "This side answers with another initial sequence number than it used before on "
            "these two ports: a new connection on the same ports (Wireshark's \"TCP Port numbers "
            'reused"), so its bytes are counted afresh from here.' + (kept if stream >= 0 else "")
        )
    first = ref(int(extra["earlier"]))  # the earlier connection's first packet, as numbered
    if stream < 0 or earlier < 0:
        # Not told the tcp.stream numbers: the earlier connection by its first packet.
        head = f"A new connection on the same two ports as the one begun at {first}: "
        own = "a new conversation, with a stream of its own."
    else:
        head = (
            f"A new connection on the same two ports as TCP conversation {earlier} "
            f"(tcp.stream == {earlier}, its first packet {first}): "
        )
        own = f"TCP conversation {stream} (tcp.stream == {stream}), a conversation of its own."
    if extra.get("ended"):
        return head + f"that one had finished, so this SYN begins {own}"
    return head + (
        "the capture never showed that one end (no FIN or RST), but this SYN starts from "
        f"another initial sequence number, so it begins {own}"
    )


def _again(extra: dict[str, float | int]) -> str:
    """A SYN with the initial sequence number its side already used, after
    the conversation ended: the same SYN, not a new connection."""
    stream = int(extra.get("stream", -1))
    conv = f"TCP conversation {stream}" if stream >= 0 else "this conversation"
    return (
        f"Retransmission: this SYN starts from initial sequence number {extra['again_isn']}, "
        f"the one this side already used in {conv}, though that connection had finished: "
        f"the same SYN again, not a new connection, so Wireshark keeps it in {conv}."
    )


def _synack_again(extra: dict[str, float | int]) -> str:
    """A SYN-ACK sent again that no ACK acknowledged (Wireshark times it
    from that SYN-ACK, still unacknowledged: tcp.analysis.rto_frame)."""
    return (
        f"Retransmission: the same SYN-ACK again, {float(extra['rto']):.3g} s after "
        f"#{int(extra['rto_frame'])}: no ACK acknowledging it (one answering "
        f"{(int(extra['unanswered']) + 1) % 2**32}) came, so this side still waits for the "
        "handshake to complete and answers the SYN again."
    )


def reset(a: str, b: str, port: int | None, ack: int | None, alone: bool, isn: int | None) -> str:
    """A reset from `a` to `b`: a refusal when it acknowledges (`ack`) the SYN `b` sent (ISN
    `isn`) and nothing else answered it (`alone`), as a closed port does (RFC 9293 3.10.7.1)."""
    if alone and ack is not None and isn is not None and ack == (isn + 1) % MOD:
        why = "or a firewall rejected the connection on its behalf"
        return f"{a} refuses the conversation (RST): nothing listens on port {port}, {why}."
    return f"{a} aborts the conversation with {b} at once (RST)."


def stray_ack(
    a: str, b: str, seq: int | None, ack: int | None, isn: int | None, *fins: int | None
) -> str:
    """What an ACK from `a` after `b`'s SYN-ACK (initial sequence number
    `isn`) is when it falls short of that SYN-ACK, else "": `fins`, the
    sequence numbers of the FINs `a` and `b` sent before on these ports."""
    if ack is None or isn is None or (ack - isn - 1) % MOD < MOD // 2:
        return ""
    out = (
        f"{a} answers {b}'s SYN-ACK with an ACK that does not acknowledge it: it acknowledges "
        f"{ack}, not {(isn + 1) % MOD} (that SYN-ACK's number + 1), so no handshake completes."
    )
    if None not in fins and (seq, ack) == tuple((f + 1) % MOD for f in fins if f is not None):
        out += (
            f" {ack} is one past {b}'s FIN and {seq} one past {a}'s own: the numbers the earlier "
            "connection ended with. A side that still keeps that ended connection (as the one "
            "that closed first does, in TIME-WAIT) answers a segment it cannot accept with an "
            "ACK of where it stands (RFC 9293, section 3.10.7.4)."
        )
    return out


def _resent(extra: dict[str, float | int], what: str) -> str:
    """Why it came again: `quiet`, the wait after an ACK still asking for it."""
    since, before, quiet = (extra.get(k) for k in ("since_last", "previous_wait", "quiet"))
    if quiet is not None and quiet < 0.2:
        # Under 200 ms (Linux's TCP_RTO_MIN) since an ACK that moved: no timer ran out.
        timer = " without waiting for its timer" if extra.get("moved", 1) < 0.2 else ""
        return (
            f"Retransmission: {what}, {took(quiet)} after the receiver's last ACK, which still "
            "asked for them: its acknowledgments showed these bytes missing, and the sender "
            f"sent them again{timer}."
        )
    why = f", {since:.3g} s later" if since is not None else ""
    why += ": the earlier copy or its acknowledgment was lost"
    if quiet is not None:
        why = f": the receiver's last ACK still asked for them, and no ACK came for {took(quiet)}"
    back = since and before and 1.6 < since / before < 2.5
    return f"Retransmission: {what}{why}, so the sender's timer ran out" + (
        "; the wait doubled, which is TCP backing off." if back else "."
    )


def sentence(flags: list[str], extra: dict[str, float | int], n: int) -> str:
    """One sentence for the learner about what the flags mean here (`n`: data bytes)."""
    if not flags:
        return ""
    first = flags[-1] if "lost_segment" in flags[:-1] else flags[0]
    if first == "reused_ports":
        return _reused(extra)
    if first == "retransmission" and "again_isn" in extra:
        return _again(extra)
    if first == "retransmission" and extra.get("handshake") == 2 and extra.get("unanswered"):
        return _synack_again(extra)
    if first == "retransmission":
        return _resent(extra, f"the same {n} bytes again" if n else "the same segment again")
    if first == "fast_retransmission":
        return (
            f"Fast retransmission: these {n} bytes sent again at once, because the receiver "
            "repeated its ACK (duplicate ACKs), which says a segment went missing."
        )
    if first == "duplicate_ack":
        return (
            f"Duplicate ACK (number {extra['duplicate_ack_num']}): the receiver asks again for "
            "the same byte: later data arrived while earlier bytes were still missing."
        )
    return _MEANING[first]


def _seq(v: int, at: int) -> Field:
    return Field(
        "Sequence number (relative)",
        "tcp.seq",
        str(v),
        f"{v} (relative)",
        at + 4,
        4,
        f"Relative sequence number: byte {v} of what this side sends in this connection "
        "(its SYN is byte 0); the raw number is tcp.seq_raw.",
    )


def _ack(v: int, at: int) -> Field:
    return Field(
        "Acknowledgment number (relative)",
        "tcp.ack",
        str(v),
        f"{v} (relative)",
        at + 8,
        4,
        f"Relative acknowledgment number: the other side's bytes before its byte {v} have "
        "arrived; the raw number is tcp.ack_raw.",
    )


def _unacked(v: int, at: int) -> Field:
    return Field(
        "Acknowledgment number",
        "tcp.ack",
        str(v),
        str(v),
        at + 8,
        4,
        "No ACK flag: it means nothing here, and Wireshark shows the raw number.",
    )


def _nxtseq(v: int, at: int) -> Field:
    return Field(
        "Next sequence number (relative)",
        "tcp.nxtseq",
        str(v),
        f"{v} (relative)",
        at,
        0,
        f"Where this side's next segment starts: byte {v} (this one's start, plus its data, "
        "plus one for a SYN or a FIN). Computed: no byte carries it.",
    )


#: One table per kind of Field, by value << 32 | the header's offset (both
#: below 2**32; an int key costs no tuple). Most values repeat (0, 1, the
#: same sizes in every connection); a table is emptied when it grows too big.
_SEQS: dict[int, Field] = {}
_ACKS: dict[int, Field] = {}
_UNACKED: dict[int, Field] = {}
_NXTS: dict[int, Field] = {}
_MEMO_MAX = 12_500


def _made(
    memo: dict[int, Field], key: int, make: Callable[[int, int], Field], v: int, at: int
) -> Field:
    """The Field for `v` at `at`, made once while `memo` keeps it."""
    if len(memo) > _MEMO_MAX:
        memo.clear()
    hit = memo[key] = make(v, at)
    return hit


def numbered(
    given: tuple[Field, ...],
    numbers: tuple[int, int, int],
    acked: bool,
    stream: Field | None,
    at: int,
) -> tuple[Field, ...]:
    """The TCP header's fields (at byte `at`) with Wireshark's relative
    numbers (and stream index) where Wireshark puts them: the stream index
    and tcp.seq before the raw sequence number, tcp.nxtseq and tcp.ack
    before the raw acknowledgment number."""
    seq, ack, nxt = numbers
    key = (seq << 32) | at
    f_seq = _SEQS.get(key) or _made(_SEQS, key, _seq, seq, at)
    key = (nxt << 32) | at
    f_nxt = _NXTS.get(key) or _made(_NXTS, key, _nxtseq, nxt, at)
    key = (ack << 32) | at
    if acked:
        f_ack = _ACKS.get(key) or _made(_ACKS, key, _ack, ack, at)
    else:
        f_ack = _UNACKED.get(key) or _made(_UNACKED, key, _unacked, ack, at)
    head = (f_seq,) if stream is None else (stream, f_seq)
    if len(given) > 3 and given[2].filter == "tcp.seq_raw" and given[3].filter == "tcp.ack_raw":
        return given[:2] + head + (given[2], f_nxt, f_ack) + given[3:]
    return given + head + (f_nxt, f_ack)


__all__ = [
    "AGAIN",
    "KINDS",
    "ORDER",
    "TAGS",
    "fields",
    "numbered",
    "reset",
    "sentence",
    "stray_ack",
    "tag",
]
