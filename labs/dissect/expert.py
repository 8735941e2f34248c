""" "What went wrong": Wireshark's Expert Info for a capture, for a learner.

Counts the TCP analysis flags of every packet (`labs.dissect.tcp_analysis`)
and says, kind by kind, what each means and which packets show it, worst
first. Built from the light Views steps are grouped from, so a capture read
in two processes gets the same section.
"""

from __future__ import annotations

from collections.abc import Sequence

from labs.dissect.steps import View
from labs.trace import Section

TITLE = "What went wrong"

#: flag -> (one, many, what it means), worst first. A fast or spurious
#: retransmission is also flagged a retransmission; it is counted as its own kind.
_KINDS = (
    ("retransmission", "retransmission", "retransmissions",
     "data sent again because no acknowledgment came in time: a segment or its ACK was lost "
     "(or only late), and the sender's timer ran out"),
    ("fast_retransmission", "fast retransmission", "fast retransmissions",
     "data sent again at once, without waiting for the timer, because duplicate ACKs said a "
     "segment was missing"),
    ("spurious_retransmission", "spurious retransmission", "spurious retransmissions",
     "data sent again that the receiver had already acknowledged: the ACK was slow, not lost"),
    ("lost_segment", "segment not captured", "segments not captured",
     "a jump in the sequence numbers: data before it was lost on the way, or the capture "
     "missed it (normal at the start of a capture)"),
    ("ack_lost_segment", "ACK of unseen data", "ACKs of unseen data",
     "an acknowledgment of bytes the capture never saw: the capture missed them"),
    ("out_of_order", "out-of-order segment", "out-of-order segments",
     "data older than what already arrived, soon after it: overtaken on the way, or resent"),
    ("duplicate_ack", "duplicate ACK", "duplicate ACKs",
     "the receiver repeating its acknowledgment: data after a gap arrived, the gap did not"),
    ("zero_window", "zero window", "zero windows",
     "the receiver's buffer was full: the sender had to stop and wait"),
    ("zero_window_probe", "zero window probe", "zero window probes",
     "the sender asking, one byte at a time, whether a closed window has opened"),
    ("window_full", "full window", "full windows",
     "the sender used all the room the receiver announced, then had to wait"),
    ("keep_alive", "keep-alive", "keep-alives",
     "a check that the other side is still there on an idle connection (nothing wrong)"),
    ("window_update", "window update", "window updates",
     "the receiver announcing it has room again (nothing wrong)"),
)  # fmt: skip


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(f"#{n}" for n in numbers[:8])
    return shown + (f" and {len(numbers) - 8} more" if len(numbers) > 8 else "")


def expert_section(views: Sequence[View]) -> Section | None:
    """The section for a capture with TCP in it; None without TCP."""
    if not any(v.kind == "TCP" for v in views):
        return None
    found: dict[str, list[int]] = {}
    for v in views:
        for flag in v.analysis:
            if flag == "retransmission" and (
                "fast_retransmission" in v.analysis or "spurious_retransmission" in v.analysis
            ):
                continue
            found.setdefault(flag, []).append(v.number)
    rows = ["Seen\tPackets\tWhat it means"]
    for flag, one, many, meaning in _KINDS:
        numbers = found.get(flag)
        if numbers:
            n = len(numbers)
            rows.append(f"{n} {one if n == 1 else many}\t{_listed(numbers)}\t{meaning}")
    if len(rows) == 1:
        return Section(
            TITLE,
            "Nothing that Wireshark's TCP analysis flags (its Expert Info): no retransmission, "
            "no lost or out-of-order segment, no duplicate ACK, no full or zero window.",
        )
    # A table: the text output shows it at the top, with the steps.
    return Section(TITLE, "\n".join(rows), "table")


__all__ = ["TITLE", "expert_section"]
