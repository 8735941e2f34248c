"""Packet numbers as a learner reads them: Wireshark's "No." column, from 1.

A trace keeps each packet's index, its place in the trace's list from 0 (the
JSON's "index", what code passes around). A learner reads Wireshark's No.:
"#28" in tutor is No. 28 in Wireshark, and the display filter
`frame.number == 28` finds it, so nobody shifts by one between the two.

Wireshark numbers only what crossed the wire, the frames of the saved pcap.
A lab trace can also hold packets read inside TLS (origin "inside-tls"),
which never did: Wireshark shows such plaintext, decrypted, inside the frame
that carried it. So `Numbering` counts the wire packets 1..N and gives a
packet read inside TLS the number of the wire packet before it with a
letter: "#9a", "#9b". Where every packet came off the wire (a capture file,
most labs) the number is the index plus one: `number` and `ref`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Protocol, TypeVar, cast

WIRE = "wire"


def number(index: int) -> int:
    """The number a learner reads for the packet at `index` of a trace whose
    packets all crossed the wire: Wireshark's No."""
    return index + 1


def ref(index: int) -> str:
    """The packet at `index` (every packet on the wire) as a sentence names it: "#28"."""
    return f"#{index + 1}"


class HasOrigin(Protocol):
    @property
    def origin(self) -> str: ...


class HasPackets(Protocol):
    @property
    def packets(self) -> Sequence[HasOrigin]: ...


T = TypeVar("T", bound=HasPackets)


def letters(n: int) -> str:
    """The `n`th (from 1) packet read inside TLS after one wire packet: a..z, aa, ab, ..."""
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


class Numbering:
    """Every packet's number in one trace as a learner reads it, built once
    from the packets' origins (`Numbering(trace.packets)`). With every
    packet on the wire it keeps nothing: a number is the index plus one."""

    __slots__ = ("_frames", "_labels", "_wire")

    def __init__(self, packets: Sequence[HasOrigin] = ()) -> None:
        #: None: every packet is on the wire (the fast path).
        self._labels: list[str] | None = None
        self._frames: list[int] = []
        self._wire: list[int] = []
        # One pass, stopping at the first packet read inside TLS: ~400
        # instructions a packet, next to ~1M for dissecting it.
        if all(p.origin == WIRE for p in packets):
            return
        labels, frames, wire = [], [], []
        frame = after = 0
        for i, p in enumerate(packets):
            if p.origin == WIRE:
                frame, after = frame + 1, 0
                wire.append(i)
                labels.append(str(frame))
            else:
                after += 1
                labels.append(f"{frame}{letters(after)}")
            frames.append(frame)
        self._labels, self._frames, self._wire = labels, frames, wire

    @property
    def all_wire(self) -> bool:
        """True when every packet crossed the wire (numbers are index + 1)."""
        return self._labels is None

    def label(self, index: int) -> str:
        """The number of the packet at `index` as text: "9", or "9a" for the
        first packet read inside TLS after wire packet 9."""
        labels = self._labels
        if labels is None:
            return str(index + 1)
        if index < len(labels):
            return labels[index]
        # Past the packets it was built from (a fact naming a later packet):
        # wire packets, counted on from the last frame.
        return str(self._frames[-1] + index - len(labels) + 1)

    def ref(self, index: int) -> str:
        """The packet at `index` as a sentence names it: "#9", "#9a"."""
        return f"#{self.label(index)}"

    def frame(self, index: int) -> int:
        """Wireshark's frame.number of the frame that shows the packet at
        `index`: its own, or for a packet read inside TLS the wire packet's
        before it (0 if none came before)."""
        return index + 1 if self._labels is None else self._frames[index]

    def inside(self, index: int) -> bool:
        """True for a packet read inside TLS (its number carries a letter)."""
        return self._labels is not None and not self._labels[index][-1].isdigit()

    def index_of(self, frame: int) -> int | None:
        """The index of the wire packet Wireshark numbers `frame`, or None."""
        if self._labels is None:
            return frame - 1 if frame >= 1 else None
        return self._wire[frame - 1] if 1 <= frame <= len(self._wire) else None

    def said(self) -> str:
        """What a text's header says of the numbers: Wireshark's, and what
        a lettered one means where the trace has one."""
        inside = [i for i in range(len(self._frames)) if self.inside(i)]
        if not inside:
            return "Packet numbers are Wireshark's (No.)."
        if len(inside) == 1:
            return (
                f"Packet numbers are Wireshark's (No.); {self.ref(inside[0])} was read inside "
                f"TLS, after packet {self._frames[inside[0]]}."
            )
        named = [self.ref(i) for i in inside[:3]]
        listed = ", ".join(named[:-1]) + f" and {named[-1]}" if len(inside) <= 3 else ""
        listed = listed or ", ".join(named) + " and more"
        return (
            f"Packet numbers are Wireshark's (No.); {listed} were read inside TLS, each "
            "after the packet its number names."
        )

    def span(self, indexes: Sequence[int]) -> str:
        """A run of consecutive packets: "9", "6-8a"."""
        first, last = self.label(indexes[0]), self.label(indexes[-1])
        return first if len(indexes) == 1 else f"{first}-{last}"


#: The numbering of a trace whose packets all crossed the wire.
ALL_WIRE = Numbering()

#: The whole trace a filtered one was chosen from (`keep`), and its
#: numbering, by the filtered trace's id while it lives: its packets alone
#: no longer tell how many packets read inside TLS came before each, nor
#: which end of a conversation is its client (a ladder's sides).
_KEPT: dict[int, tuple[weakref.ref[object], HasPackets, Numbering]] = {}


def keep(trace: object, whole: HasPackets) -> None:
    """Remember that `trace` (a filtered trace) was chosen from `whole`."""
    key = id(trace)
    ref = weakref.ref(trace, lambda _ref: _KEPT.pop(key, None))
    _KEPT[key] = (ref, whole, Numbering(whole.packets))


def whole_of(trace: T) -> T:
    """The trace `trace` was filtered from (`keep`), else `trace` itself."""
    kept = _KEPT.get(id(trace))
    return cast(T, kept[1]) if kept is not None and kept[0]() is trace else trace


def numbering_of(trace: HasPackets, first: int | None = None) -> Numbering:
    """The numbering of `trace`'s packets: the whole trace's where it was
    filtered from one (`keep`), else built (from its `first` packets alone,
    when only those are shown: a number depends only on the packets before
    it)."""
    kept = _KEPT.get(id(trace))
    if kept is not None and kept[0]() is trace:
        return kept[2]
    return Numbering(trace.packets if first is None else trace.packets[:first])


__all__ = ["ALL_WIRE", "Numbering", "keep", "letters", "number", "numbering_of", "ref", "whole_of"]
