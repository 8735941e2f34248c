"""A trace's table section (tab-separated rows, the first a header) laid out
for the width it is drawn at: short columns whole, long ones sharing the rest.

Textual's Markdown table shrinks its first columns to their longest word
before the others give anything ("What went wrong" at 120 columns: "8" over
"retransmissions", one packet number a line, the explanation 86 wide)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

#: Cells between two columns (a space each side of the divider).
GAP = 3
#: A column this narrow reads as labels: it stays whole if it can.
LABEL = 24


def column_widths(rows: list[list[str]], room: int) -> list[int]:
    """Widths for the columns of `rows` in `room` cells (dividers not counted).

    All natural widths when they fit. Otherwise each column first gets its
    longest word ("computer", "192.0.2.10"); when those do not all fit, its
    longest word up to `NAME` cells or the widest cap that fits, whichever is
    less (a longer word is a name or an address, and breaks after a dot).
    Then a label a few cells short (an eighth of the room) takes its whole
    width (a column no wider than `LABEL` cells or a third of the room, and
    at most half of it: "5 segments not captured" reads whole) if the room
    left allows; the rest goes where it saves the
    table the most lines, and what saves none is shared in proportion to
    what each column still lacks. Last, a column gives cells to another
    where that leaves fewer cells wrapped and no more lines (`_unwrap`):
    "the resolver -> the zone's own server" whole in every row rather than
    a Question column wide enough for its one long name."""
    count = max((len(r) for r in rows), default=0)
    cols = [[r[k] if k < len(r) else "" for r in rows] for k in range(count)]
    natural = [max((cell_len(c) for c in col), default=0) or 1 for col in cols]
    if sum(natural) <= room:
        return natural
    longest = [max((cell_len(w) for c in col for w in c.split()), default=1) for col in cols]
    cap = max(longest)
    if sum(longest) > room:
        while cap > 1 and sum(min(w, cap) for w in longest) > room:
            cap -= 1
        cap = min(cap, NAME)
    widths = [min(w, cap) for w in longest]
    left = room - sum(widths)
    label = max(room // 3, min(LABEL, room // 2))
    for k in sorted(range(count), key=lambda k: natural[k] - widths[k]):
        short = natural[k] - widths[k]
        if natural[k] <= label and short <= min(left, room // 8):
            left -= short
            widths[k] = natural[k]
    if len(rows) * count <= MANY_CELLS:
        left = _fewest_lines(cols, widths, natural, left)
        _unwrap(cols, widths, longest)
    while left > 0:
        lack = {k: natural[k] - widths[k] for k in range(count) if natural[k] > widths[k]}
        if not lack:
            break
        total = sum(lack.values())
        share = {k: min(lack[k], left * lack[k] // total) for k in lack}
        if not any(share.values()):
            share[max(lack, key=lack.__getitem__)] = 1  # rounding's leftovers
        for k, more in share.items():
            widths[k] += more
            left -= more
    return [max(1, w) for w in widths]


#: A word longer than this may break (after a dot) when the columns' longest
#: words do not all fit: "api.edge.shop." / "example.", not "compute" / "r".
NAME = 12
#: Past this many cells, `_fewest_lines` is not tried (it wraps each cell at
#: several widths): the room is shared in proportion instead.
MANY_CELLS = 600


def _fewest_lines(cols: list[list[str]], widths: list[int], natural: list[int], left: int) -> int:
    """Give `left` cells, a few at a time, to the column where they save the
    table the most lines per cell (`widths` changed in place); returns the
    cells no widening could save a line with."""
    known: dict[tuple[str, int], int] = {}

    def lines(text: str, width: int) -> int:
        if (text, width) not in known:
            known[text, width] = wrap_cell(text, width).count("\n") + 1
        return known[text, width]

    count, height = len(cols), len(cols[0]) if cols else 0
    while left > 0:
        now = [[lines(col[r], widths[k]) for k, col in enumerate(cols)] for r in range(height)]
        total = sum(max(row) for row in now)
        best: tuple[float, int, int] | None = None
        for k in range(count):
            others = [max((n for j, n in enumerate(row) if j != k), default=0) for row in now]
            for more in range(1, min(left, natural[k] - widths[k]) + 1):
                rows = sum(
                    max(o, lines(cols[k][r], widths[k] + more)) for r, o in enumerate(others)
                )
                if rows < total:
                    gain = (total - rows) / more
                    if best is None or gain > best[0]:
                        best = (gain, k, more)
                    break
        if best is None:
            break
        widths[best[1]] += best[2]
        left -= best[2]
    return left


def _unwrap(cols: list[list[str]], widths: list[int], longest: list[int]) -> None:
    """Move cells from one column to another (`widths` changed in place)
    while that leaves fewer cells wrapped and no more lines, or fewer lines
    and no more cells wrapped: a column with a few long cells ("A
    api.edge.shop.example.") gives way to one whose every other cell breaks
    mid-phrase ("the resolver -> the zone's own" / "server"). A column gives
    no more than down to its longest word, or for a name ("a.b.example.")
    its longest part between dots, and never below `NAME` cells."""
    height = len(cols[0]) if cols else 0
    floors = [
        min(longest[k], max(NAME, max((cell_len(p) for c in col for p in _parts(c)), default=1)))
        for k, col in enumerate(cols)
    ]

    counts = [[_lines(c, widths[k]) for c in col] for k, col in enumerate(cols)]

    def score(counts: list[list[int]]) -> tuple[int, int]:
        wrapped = sum(n > 1 for col in counts for n in col)
        return wrapped, sum(max(col[r] for col in counts) for r in range(height))

    at: dict[tuple[int, int], list[int]] = {}

    def lines(k: int, width: int) -> list[int]:
        if (k, width) not in at:
            at[k, width] = [_lines(c, width) for c in cols[k]]
        return at[k, width]

    best = score(counts)
    while True:
        found: tuple[int, int, int, list[list[int]]] | None = None
        for j, col in enumerate(cols):
            spare = max((widths[k] - floors[k] for k in range(len(cols)) if k != j), default=0)
            # Widths at which one of the column's wrapped cells reads whole.
            for want in sorted(
                {n for c in col if widths[j] < (n := cell_len(c)) <= widths[j] + spare}
            ):
                more = want - widths[j]
                for k in range(len(cols)):
                    if k == j or widths[k] - more < floors[k]:
                        continue
                    trial = list(counts)
                    trial[j], trial[k] = lines(j, want), lines(k, widths[k] - more)
                    now = score(trial)
                    if now < best and now[1] <= best[1]:
                        best, found = now, (j, k, more, trial)
        if found is None:
            return
        j, k, more, counts = found
        widths[j] += more
        widths[k] -= more


def _parts(cell: str) -> list[str]:
    """The pieces of `cell`'s words no line may split: a word, or a name's
    parts between dots, slashes and colons (where `wrap_cell` breaks it)."""
    return [p for word in cell.split() for p in BREAKS.split(word) if p]


@lru_cache(maxsize=65536)
def _lines(text: str, width: int) -> int:
    return wrap_cell(text, width).count("\n") + 1


#: Where a word too long for its column may break: after these characters
#: ("api.edge.shop." / "example."), so no line starts inside a name's label.
BREAKS = re.compile(r"(?<=[./:;,=&?-])")


def wrap_cell(text: str, width: int) -> str:
    """`text` in lines of at most `width` cells, broken between words, a word
    longer than the line after a dot, slash or colon where it has one, and cut
    only where it has none."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        parts = [word] if cell_len(word) <= width else _pieces(word, width)
        for n, part in enumerate(parts):
            gap = " " if line and n == 0 else ""
            if line and cell_len(line) + len(gap) + cell_len(part) > width:
                lines.append(line)
                line, gap = "", ""
            line += gap + part
    if line or not lines:
        lines.append(line)
    return "\n".join(lines)


def _pieces(word: str, width: int) -> list[str]:
    """`word` cut into pieces of at most `width` cells, at `BREAKS` when one
    falls in the line, else at the width."""
    pieces: list[str] = []
    rest = word
    while cell_len(rest) > width:
        cuts = [m.start() for m in BREAKS.finditer(rest) if 0 < m.start() <= width]
        at = cuts[-1] if cuts else width
        pieces.append(rest[:at])
        rest = rest[at:]
    return [*pieces, rest] if rest else pieces


@dataclass(frozen=True)
class FittedTable:
    """`body` as a table that fits the width Rich gives it, re-laid out on
    every render (so a resized terminal gets new widths)."""

    body: str

    def rows(self) -> list[list[str]]:
        return [r.split("\t") for r in self.body.strip("\n").splitlines() if r.strip()]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self.rows()
        if not rows:
            return
        count = max(len(r) for r in rows)
        room = max(count, options.max_width - 4 - GAP * (count - 1))  # 4: the outer edges
        table = Table(box=box.ROUNDED, show_lines=True, header_style="bold")
        widths = column_widths(rows, room)
        cells = [[*r, *[""] * (count - len(r))] for r in rows]
        wrapped = [[wrap_cell(c, w) for c, w in zip(r, widths, strict=True)] for r in cells]
        for n, width in enumerate(widths):
            table.add_column(wrapped[0][n], width=width, overflow="fold")
        for row in wrapped[1:]:
            table.add_row(*row)
        yield table
