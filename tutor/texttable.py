"""A lab's table (tab-separated rows, the first a header) as text columns that
fit the terminal, with the capture screen's rules (`tutor.widgets.fitted_table`:
every column at least its longest word where it can, cells wrapped between
words, the room left over given where it saves the most lines). When even
that leaves a column a word or two wide, the widest column goes under its row
("What came back: ..."): at 80 columns a table of DNS hops then reads two
lines a hop instead of six."""

from __future__ import annotations

from functools import lru_cache

from tutor.widgets.fitted_table import column_widths, wrap_cell

GAP = "  "


@lru_cache(maxsize=8192)
def wrap(text: str, width: int) -> tuple[str, ...]:
    """`text` in lines of at most `width` cells, as the screen wraps a cell
    (`wrap_cell`: between words, a long name after a dot)."""
    return tuple(wrap_cell(text, width).split("\n"))


def _widths(columns: list[list[str]], room: int) -> list[int]:
    """The screen's rule for column widths (`column_widths`), so a table reads
    the same in the terminal and on the capture screen."""
    rows = [list(r) for r in zip(*columns, strict=True)]
    return column_widths(rows, room)


def _grid(columns: list[list[str]], widths: list[int], indent: str) -> list[list[str]]:
    """Each row's lines, the columns side by side."""
    out = []
    for r in range(len(columns[0])):
        cells = [wrap(col[r], w) for col, w in zip(columns, widths, strict=True)]
        tall = max(len(c) for c in cells)
        out.append(
            [
                indent
                + GAP.join(
                    (c[i] if i < len(c) else "").ljust(w)
                    for c, w in zip(cells, widths, strict=True)
                ).rstrip()
                for i in range(tall)
            ]
        )
    return out


def table(body: str, width: int, indent: int = 2) -> list[str]:
    """Tab-separated rows (the first a header) as lines of at most `width`."""
    rows = [r.split("\t") for r in body.splitlines() if r.strip()]
    if not rows:
        return []
    count = len(rows[0])
    rows = [[c.strip() for c in (r + [""] * count)[:count]] for r in rows]
    columns = [[r[k] for r in rows] for k in range(count)]
    pad = " " * indent
    room = max(count, width - indent - len(GAP) * (count - 1))
    widths = _widths(columns, room)
    lines = _laid(columns, widths, pad)
    if count > 2:
        under = _under(columns, width, pad)
        if under is not None and len(under) <= len(lines):
            return under
    return lines


def _laid(columns: list[list[str]], widths: list[int], pad: str) -> list[str]:
    grid = _grid(columns, widths, pad)
    rule = pad + "─" * (sum(widths) + len(GAP) * (len(widths) - 1))
    return [*grid[0], rule, *(line for row in grid[1:] for line in row)]


def _under(columns: list[list[str]], width: int, pad: str) -> list[str] | None:
    """The table with its widest column (never the first) under each row,
    as "Header: value" lined up with the second column; None when there is
    no room for the rest either."""
    k = max(range(1, len(columns)), key=lambda i: max(len(c) for c in columns[i]))
    rest = columns[:k] + columns[k + 1 :]
    room = width - len(pad) - len(GAP) * (len(rest) - 1)
    if room < 10 * len(rest):
        return None
    widths = _widths(rest, room)
    grid = _grid(rest, widths, pad)
    hang = pad + " " * (widths[0] + len(GAP))
    lines = _laid(rest, widths, pad)[: len(grid[0]) + 1]
    head = columns[k][0]
    for r, row in enumerate(grid[1:], 1):
        lines += row
        if columns[k][r]:
            said = wrap(f"{head}: {columns[k][r]}", max(20, width - len(hang)))
            lines += [hang + said[0], *(hang + "  " + s for s in _rewrap(said[1:], width, hang))]
    return lines


def _rewrap(rest: tuple[str, ...], width: int, hang: str) -> tuple[str, ...]:
    """The continuation lines of an under-row cell, two columns further in."""
    return wrap(" ".join(rest), max(20, width - len(hang) - 2)) if rest else ()


__all__ = ["table", "wrap"]
