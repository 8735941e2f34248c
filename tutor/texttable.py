"""A lab's table (tab-separated rows, the first a header) as text columns that
fit the terminal, with the capture screen's rules (`tutor.widgets.fitted_table`:
every column at least its longest word where it can, cells wrapped between
words, the room left over given where it saves the most lines). When even
that leaves a column a word or two wide, the widest column goes under its row
("What came back: ..."): at 80 columns a table of DNS hops then reads two
lines a hop instead of six."""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len

from tutor.widgets.fitted_table import MANY_CELLS, column_widths

GAP = "  "


@lru_cache(maxsize=8192)
def wrap(text: str, width: int) -> tuple[str, ...]:
    """`text` in lines of at most `width` cells, broken between words only:
    a word longer than the line (a Wireshark field name, a URL, a DNS name)
    gets a line of its own, whole, since half a name copied into `--filter`
    is a wrong name (the screen's `wrap_cell` breaks it after a dot)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and cell_len(line) + 1 + cell_len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return (*lines, line)


def _fits(text: str, width: int) -> bool:
    return all(cell_len(line) <= width for line in wrap(text, width))


def _longest(column: list[str]) -> int:
    return max((cell_len(w) for c in column for w in c.split()), default=1)


def _widths(columns: list[list[str]], room: int) -> list[list[int]]:
    """The screen's rule for column widths (`column_widths`), so a table reads
    the same in the terminal and on the capture screen; and where it leaves
    a column narrower than its longest word (the screen breaks a long name
    after a dot, text for a pipe never does) and the room allows, widths
    with each column at least its longest word, the cells it takes given a
    cell at a time by the column that loses the fewest lines by it."""
    rows = [list(r) for r in zip(*columns, strict=True)]
    widths = column_widths(rows, room)
    least = [_longest(col) for col in columns]
    owed = sum(max(0, n - w) for n, w in zip(least, widths, strict=True))
    if not owed or sum(least) > room:
        return [widths]
    whole = [max(n, w) for n, w in zip(least, widths, strict=True)]

    def lines(widths: list[int]) -> int:
        return sum(max(len(wrap(c, w)) for c, w in zip(row, widths, strict=True)) for row in rows)

    few = len(rows) * len(columns) <= MANY_CELLS  # else the column with the most to spare
    for _ in range(owed):
        donors = [j for j in range(len(whole)) if whole[j] > least[j]]
        j = min(
            donors,
            key=lambda j: (
                lines([w - (k == j) for k, w in enumerate(whole)]) if few else 0,
                least[j] - whole[j],
            ),
        )
        whole[j] -= 1
    return [widths, whole]


def _hung(text: str, hang: str, width: int, pad: str) -> list[str]:
    """`text` under a row from `hang` on, what it wraps onto two cells
    further in; from `pad` when a word would not fit from `hang`."""
    lines = _from(text, hang, width)
    return lines if all(len(line) <= width for line in lines) else _from(text, pad, width)


def _from(text: str, at: str, width: int) -> list[str]:
    first, *rest = wrap(text, max(1, width - len(at)))
    more = wrap(" ".join(rest), max(1, width - len(at) - 2)) if rest else ()
    return [at + first, *(at + "  " + m for m in more)]


def _grid(
    columns: list[list[str]], widths: list[int], pad: str, width: int
) -> tuple[list[list[str]], bool]:
    """Each row's lines, the columns side by side, and whether a cell had a
    word wider than its column: that cell goes under its row ("Header:
    value"), the word whole, rather than past its column or cut."""
    out = []
    spilled = False
    hang = pad + " " * (widths[0] + len(GAP))
    for r in range(len(columns[0])):
        under: list[str] = []
        cells: list[tuple[str, ...]] = []
        for k, (col, w) in enumerate(zip(columns, widths, strict=True)):
            if r and col[r] and not _fits(col[r], w):
                under += _hung(f"{columns[k][0]}: {col[r]}", hang, width, pad)
                spilled = True
                cells.append(("",))
            else:
                cells.append(wrap(col[r], w))
        tall = max(len(c) for c in cells)
        lines = [
            pad
            + GAP.join(
                (c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)
            ).rstrip()
            for i in range(tall)
        ]
        out.append([line for line in lines if line.strip()] + under)
    return out, spilled


def table(body: str, width: int, indent: int = 2) -> list[str]:
    """Tab-separated rows (the first a header) as lines of at most `width`,
    past it only where one word alone is wider."""
    rows = [r.split("\t") for r in body.splitlines() if r.strip()]
    if not rows:
        return []
    count = len(rows[0])
    rows = [[c.strip() for c in (r + [""] * count)[:count]] for r in rows]
    columns = [[r[k] for r in rows] for k in range(count)]
    pad = " " * indent
    room = max(count, width - indent - len(GAP) * (count - 1))
    # The layout in the fewest lines; of two as long, the one with no word
    # too wide for its column (said under its row instead), then the one with
    # its widest column under.
    laid = [(*_laid(columns, w, pad, width), 1) for w in _widths(columns, room)]
    under = _under(columns, width, pad) if count > 2 else None
    found = min([*laid, *([] if under is None else [(*under, 0)])], key=_cost)
    return found[0]


def _cost(layout: tuple[list[str], bool, int]) -> tuple[int, bool, int]:
    lines, spilled, order = layout
    return len(lines), spilled, order


def _laid(
    columns: list[list[str]], widths: list[int], pad: str, width: int
) -> tuple[list[str], bool]:
    grid, spilled = _grid(columns, widths, pad, width)
    rule = pad + "─" * (sum(widths) + len(GAP) * (len(widths) - 1))
    return [*grid[0], rule, *(line for row in grid[1:] for line in row)], spilled


def _under(columns: list[list[str]], width: int, pad: str) -> tuple[list[str], bool] | None:
    """The table with its widest column (never the first) under each row,
    as "Header: value" lined up with the second column, and whether a word
    was wider than its column; None when there is no room for the rest."""
    k = max(range(1, len(columns)), key=lambda i: max(len(c) for c in columns[i]))
    rest = columns[:k] + columns[k + 1 :]
    room = width - len(pad) - len(GAP) * (len(rest) - 1)
    if room < 10 * len(rest):
        return None
    return min((_below(columns, k, rest, w, pad, width) for w in _widths(rest, room)), key=len)


def _below(
    columns: list[list[str]], k: int, rest: list[list[str]], widths: list[int], pad: str, width: int
) -> tuple[list[str], bool]:
    """`rest` laid out in `widths`, column `k` under each row."""
    grid, spilled = _grid(rest, widths, pad, width)
    hang = pad + " " * (widths[0] + len(GAP))
    lines = _laid(rest, widths, pad, width)[0][: len(grid[0]) + 1]
    head = columns[k][0]
    for r, row in enumerate(grid[1:], 1):
        lines += row
        if columns[k][r]:
            lines += _hung(f"{head}: {columns[k][r]}", hang, width, pad)
    return lines, spilled


__all__ = ["table", "wrap"]
