"""Packet numbers as a learner reads them: Wireshark's "No." column, from 1.

A trace keeps each packet's index, its place in the trace's list from 0 (the
JSON's "index", what code passes around). Every number shown to a learner
is that index plus one, so "#28" in tutor is No. 28 in Wireshark, and the
display filter `frame.number == 28` finds it: a learner who opens the same
capture in both never has to shift by one.
"""

from __future__ import annotations


def number(index: int) -> int:
    """The number a learner reads for the packet at `index`: Wireshark's No."""
    return index + 1


def ref(index: int) -> str:
    """The packet at `index` as a sentence names it: "#28"."""
    return f"#{index + 1}"


__all__ = ["number", "ref"]
