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


#: Packet numbers listed per kind; the rest are counted.
_SHOWN = 8


def _listed(numbers: list[int], total: int) -> str:
    shown = ", ".join(f"#{n}" for n in numbers[:_SHOWN])
    return shown + (f" and {total - _SHOWN} more" if total > _SHOWN else "")


def expert_section(views: Sequence[View]) -> Section | None:
    """The section for a capture with TCP in it; None without TCP."""
    found = Expert()
    for v in views:
        found.add(v)
    return found.section()


class Expert:
    """`expert_section` one packet at a time, keeping per kind only its count
    and the first packet numbers it lists (a capture read as a stream)."""

    def __init__(self) -> None:
        self.tcp = False
        #: flag -> (how many, the first numbers)
        self.found: dict[str, tuple[int, list[int]]] = {}

    def add(self, v: View) -> None:
        if v.kind == "TCP":
            self.tcp = True
        for flag in v.analysis:
            if flag == "retransmission" and (
                "fast_retransmission" in v.analysis or "spurious_retransmission" in v.analysis
            ):
                continue
            n, numbers = self.found.get(flag, (0, []))
            if n < _SHOWN:
                numbers.append(v.number)
            self.found[flag] = (n + 1, numbers)

    def section(self) -> Section | None:
        if not self.tcp:
            return None
        rows = ["Seen\tPackets\tWhat it means"]
        for flag, one, many, meaning in _KINDS:
            n, numbers = self.found.get(flag, (0, []))
            if n:
                rows.append(f"{n} {one if n == 1 else many}\t{_listed(numbers, n)}\t{meaning}")
        if len(rows) == 1:
            return Section(
                TITLE,
                "Nothing that Wireshark's TCP analysis flags (its Expert Info): no retransmission, "
                "no lost or out-of-order segment, no duplicate ACK, no full or zero window.",
            )
        # A table: the text output shows it at the top, with the steps.
        return Section(TITLE, "\n".join(rows), "table")


__all__ = ["TITLE", "Expert", "expert_section"]
