"""The ladder for a terminal too narrow for its labels on the arrows (five
hosts or more at 80 columns), drawn as Wireshark's Flow Graph draws it: short
arrows between narrow lanes, each packet's No. and summary in a column to
their right (the summary alone where the rows are numbered already, as the
TUI's are in its "No." column), and the hosts given letters ("A", "B", ...) with a key above
when their names do not fit the lanes. `tutor.ladder.fitted` picks this or
the labels-on-arrows drawing, whichever cuts fewer labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.timetext import CELL, took_cell

if TYPE_CHECKING:
    from tutor.ladder import Arrow, Ladder

#: Cells before the first lane: the arrow's time and a space (as `tutor.ladder.TIME`).
TIME = CELL + 1
#: The narrowest lane: two cells of arrow ("->") between two lines.
NARROWEST = 3
#: The widest lane when the hosts are letters: wider ones only push the labels out.
WIDEST = 6
#: Cells between the last lane and the labels.
SPACE = 2
#: Below this many cells for the labels, the lanes leave them too little.
LEAST = 16


def letter(n: int) -> str:
    """The short name of the `n`th host: "A" to "Z", then "AA", "AB", ..."""
    return chr(65 + n) if n < 26 else letter(n // 26 - 1) + chr(65 + n % 26)


def said(arr: Arrow, numbers: bool = True) -> str:
    """What an arrow's row says at its right: the packet's No. and summary,
    or the summary alone (`numbers` False: the rows show the No. already)."""
    return f"#{arr.no or arr.index + 1} {arr.label}" if numbers else arr.label


def lines(lad: Ladder, width: int, numbers: bool = True) -> tuple[list[str], list[str]] | None:
    """(key, rows): the key naming the hosts (empty when their names head the
    lanes whole), then the header and one row per arrow, none longer than
    `width`; None when even the narrowest lanes leave the labels too little.
    `numbers`: each row's label starts with its packet's No. ("#5 ARP
    request"); False where the rows are numbered already, the label's room."""
    n = len(lad.hosts)
    longest = max((len(said(a, numbers)) for a in lad.arrows), default=0)
    room = width - TIME - SPACE
    # The hosts' own names head the lanes where that leaves every label whole.
    named = [len(h) + 1 for h in lad.hosts[:-1]]
    if sum(named) + max(len(lad.hosts[-1]), 1) + longest <= room:
        return [], _draw(lad, named, list(lad.hosts), width, numbers)
    names = [letter(k) for k in range(n)]
    gap = max(NARROWEST, len(names[-1]) + 1)
    while gap < WIDEST and (gap + 1) * (n - 1) + 1 + longest <= room:
        gap += 1
    if room - gap * (n - 1) - 1 < LEAST:
        return None
    key = _key(
        [f"{s} = {h or '(no address)'}" for s, h in zip(names, lad.hosts, strict=True)], width
    )
    return key, _draw(lad, [gap] * (n - 1), names, width, numbers)


def _key(entries: list[str], width: int) -> list[str]:
    """The entries in lines of at most `width` cells, never one split."""
    out = ["Hosts: " + entries[0]]
    for entry in entries[1:]:
        if len(out[-1]) + 3 + len(entry) <= width:
            out[-1] += "   " + entry
        else:
            out.append("       " + entry)
    return out


def _draw(lad: Ladder, gaps: list[int], names: list[str], width: int, numbers: bool) -> list[str]:
    xs = [sum(gaps[:c]) for c in range(len(names))]
    head = ""
    for x, name in zip(xs, names, strict=True):
        head = head.ljust(x) + name + " "
    out = [(" " * TIME + head).rstrip()]
    for arr in lad.arrows:
        row = [" "] * (xs[-1] + 1)
        for x in xs:
            row[x] = "|"
        lo, hi = sorted((arr.src, arr.dst))
        if lo == hi:
            row[xs[lo]] = "*"  # a packet with one end on the capture (no arrow to draw)
        else:
            row[xs[lo] + 1 : xs[hi]] = "-" * (xs[hi] - xs[lo] - 1)
            if arr.dst > arr.src:
                row[xs[hi] - 1] = ">"
            else:
                row[xs[lo] + 1] = "<"
        line = f"{took_cell(arr.time)} " + "".join(row) + " " * SPACE
        text = said(arr, numbers)
        room = width - len(line)
        out.append(line + (text if len(text) <= room else text[: room - 1] + "…"))
    return out


__all__ = ["letter", "lines", "said"]
