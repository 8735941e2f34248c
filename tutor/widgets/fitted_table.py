"""A trace's table section (tab-separated rows, the first a header) laid out
for the width it is drawn at: short columns whole, long ones sharing the rest.

Textual's Markdown table shrinks its first columns to their longest word
before the others give anything ("What went wrong" at 120 columns: "8" over
"retransmissions", one packet number a line, the explanation 86 wide)."""

from __future__ import annotations

from dataclasses import dataclass
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

    All natural widths when they fit. Otherwise a label keeps its width (a
    column no wider than `LABEL` cells or a third of the room, and at most
    half of it: "5 segments not captured" reads whole), and the other columns
    share what is left in proportion to their widths, none narrower than its
    longest word."""
    count = max((len(r) for r in rows), default=0)
    cols = [[r[k] if k < len(r) else "" for r in rows] for k in range(count)]
    natural = [max((cell_len(c) for c in col), default=0) or 1 for col in cols]
    if sum(natural) <= room:
        return natural
    fair = max(1, room // max(count, 1))
    words = [
        min(fair, max((cell_len(w) for c in col for w in c.split()), default=1)) for col in cols
    ]
    label = max(room // 3, min(LABEL, room // 2))
    whole = sorted((k for k in range(count) if natural[k] <= label), key=natural.__getitem__)
    while (
        whole
        and sum(natural[k] for k in whole) + sum(words[k] for k in range(count) if k not in whole)
        > room
    ):
        whole.pop()  # the widest label gives way: the others need their words
    widths = {k: natural[k] for k in whole}
    flex = [k for k in range(count) if k not in widths]
    left = room - sum(widths.values())
    while flex:
        total = sum(natural[k] for k in flex)
        share = {k: left * natural[k] // total for k in flex}
        narrow = [k for k in flex if share[k] < words[k]]
        if not narrow:
            widths.update(share)
            widest = max(flex, key=natural.__getitem__)
            widths[widest] += left - sum(share.values())  # rounding's leftovers
            break
        for k in narrow:
            widths[k] = words[k]
            left -= words[k]
            flex.remove(k)
    return [max(1, widths[k]) for k in range(count)]


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
        for n, width in enumerate(column_widths(rows, room)):
            table.add_column(rows[0][n] if n < len(rows[0]) else "", width=width, overflow="fold")
        for row in rows[1:]:
            table.add_row(*row, *[""] * (count - len(row)))
        yield table
