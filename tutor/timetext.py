"""Times as the app prints them: one formatter (`took`) for every duration
and every time since the first packet, and its fixed-width companion
(`took_cell`) for a column of them (the waterfall's, the ladder's, the
packet list's).

Each time gets the unit that suits it, so a time never reads "0.0 ms" or
"0.000 s" when it is not zero: µs below a millisecond, ms below ten seconds
(so the times of one run compare at a glance), then seconds and minutes
(`labs.model.timewords`, where the drills' probes use it too). This module
imports nothing of the app, so every renderer can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.model.timewords import took

if TYPE_CHECKING:
    from labs.model.trace import Trace

#: Cells of a time in a column: every `took` under ten minutes fits ("9 min 59 s").
CELL = 10


def took_cell(seconds: float, width: int = CELL) -> str:
    """`took(seconds)` right-aligned in `width` cells, for a column of times
    ("    2.8 ms" over "    613 ms"): the same words as `took`, so a time in a
    column reads as it does in a sentence. A longer time is not cut."""
    return took(seconds).rjust(width)


def packets(n: int) -> str:
    """ "1 packet", "22 packets": the count a time goes with."""
    return f"{n} packet{'s' if n != 1 else ''}"


def counted(trace: Trace) -> str:
    """How many packets `trace` shows, and, where some were read inside TLS,
    how many of them crossed the wire: "17 packets (15 on the wire, 2 read
    inside TLS)" (the last No. a learner sees is the wire's count)."""
    n = len(trace.packets)
    inside = sum(p.origin != "wire" for p in trace.packets)
    said = packets(n)
    return f"{said} ({n - inside} on the wire, {inside} read inside TLS)" if inside else said


def span(trace: Trace) -> float:
    """Seconds from the first packet to the last."""
    times = [p.time for p in trace.packets]
    return max(times) - min(times) if times else 0.0


__all__ = ["CELL", "counted", "packets", "span", "took", "took_cell"]
