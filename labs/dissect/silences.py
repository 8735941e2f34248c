""" "Where the time went": the longest silences of a capture, for the "What
went wrong" section (`labs.dissect.expert`).

A learner asking "why is it slow?" wants the few moments nothing happened
that make up most of the wait, with the packets either side and what the
packets say was waited for. Kept as the capture is read: the last packet
and the longest gaps so far, so a capture read as a stream costs no more.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from labs.model.numbers import ref
from labs.model.timewords import took

if TYPE_CHECKING:
    from labs.dissect.steps import View

#: The rule: a silence is named when it lasts at least 100 ms (shorter ones a
#: person does not notice) and is at least a fifth of the capture's span (so
#: it explains much of the time, not only one wait among many); at most 3, the
#: longest, in the order they happened.
LEAST = 0.1
SHARE = 0.2
SHOWN = 3

_RETRANSMITTED = ("retransmission", "fast_retransmission", "spurious_retransmission")


class Silences:
    """The longest gaps between consecutive packets, one packet at a time."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: View | None = None
        #: (gap, seconds, what was waited for, packet before, packet after)
        self.gaps: list[tuple[float, float, str, int, int]] = []

    def add(self, v: View) -> None:
        a, self.last = self.last, v
        if self.first is None:
            self.first = v.time
        if a is None:
            return
        gap = v.time - a.time
        if gap < LEAST or (len(self.gaps) == SHOWN and gap <= self.gaps[0][0]):
            return
        waited = _waited(a, v)
        if not waited:
            return
        entry = (gap, a.time, waited, a.number, v.number)
        if len(self.gaps) < SHOWN:
            heapq.heappush(self.gaps, entry)
        else:
            heapq.heapreplace(self.gaps, entry)

    def rows(self) -> list[str]:
        """Table rows ("Seen\\tPackets\\tWhat it means") of the silences the rule names."""
        if self.first is None or self.last is None:
            return []
        span = self.last.time - self.first
        named = sorted(
            (g for g in self.gaps if span > 0 and g[0] >= SHARE * span), key=lambda g: g[1]
        )
        return [
            # A short label: the table's first column is as wide as its longest.
            f"{took(gap)} silent\t{ref(a)}, {ref(b)}\t{gap / span:.0%} of the capture's time: {waited}"
            for gap, _at, waited, a, b in named
        ]


def _waited(a: View, b: View) -> str:
    """What the packets say the silence between `a` and the next packet `b`
    waited for; "" when they say nothing (unrelated packets: no exchange was
    slow, the capture was only quiet), and the silence is not named."""
    if b.kind == "TCP" and any(flag in b.analysis for flag in _RETRANSMITTED):
        # Nothing at all came in the silence: the sender's timer, not an ACK, woke it.
        what = "its SYN-ACK" if b.bits & 0x12 == 0x12 else "its SYN" if b.bits & 0x02 else "data"
        return (
            f"{b.src} waiting for an acknowledgment that did not come, then sending {what} "
            f"again ({ref(b.number)}, a retransmission: its timer ran out)"
        )
    if b.kind == "TCP" and "keep_alive" in b.analysis:
        return (
            f"the connection idle, with nothing to send: {b.src} then checks that the other "
            f"side is still there ({ref(b.number)}, a keep-alive)"
        )
    if b.kind == "TCP" and b.bits & 0x12 == 0x02:
        return (
            f"nothing was waiting for an answer; {b.src} opened a new connection "
            f"({ref(b.number)}) only then, so the wait was on its side"
        )
    if b.app[:1] == ("dns",) and a.app[:1] == ("dns",):
        if b.app[1] == "1" and a.app[1] == "0" and b.src == a.dst:
            return f"waiting for {b.src}'s answer to the DNS question {ref(a.number)}"
        if b.app[1] == "0":
            return (
                f"no question was waiting for an answer; {b.src} asked its next one "
                f"({ref(b.number)}) only then, so the wait was on its side"
            )
    if b.kind == "TCP" and a.kind == "TCP" and b.src == a.dst and b.dst == a.src:
        if a.seg or a.bits & 0x03:
            return f"waiting for {b.src}'s answer to {ref(a.number)}"
        return (
            f"{a.src} had acknowledged everything ({ref(a.number)}), so nothing was owed to it: "
            f"the wait was {b.src}'s, before it sent {ref(b.number)}"
        )
    if b.kind == "TCP" and a.kind == "TCP" and b.src == a.src and b.dst == a.dst:
        return (
            f"{b.src} sending nothing for this long, then {ref(b.number)}: the wait was on its side"
        )
    return ""
