"""A section table at 80 columns breaks lines between words: the dns lab's
"The walk: who asked whom" gave "compute / r ->", "192.0.2 / .10" and
"shop.ex / ample." while the Question column kept spare room."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.model.trace import loads
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.fitted_table import NAME, column_widths, wrap_cell

WALK = Path(__file__).resolve().parent.parent / "data" / "golden" / "dns" / "recursive"


def table_cells(rows: list[str]) -> list[list[str]]:
    """The text of each cell line of the screen's first boxed table."""
    top = next(i for i, r in enumerate(rows) if "╭" in r)
    cells = []
    for row in rows[top + 1 :]:
        if "╰" in row:
            break
        if row.count("│") >= 3:
            inner = row[row.index("│") + 1 : row.rindex("│")]
            cells.append([c.strip() for c in inner.split("│")])
    return cells


@pytest.mark.parametrize("size", [(80, 60), (120, 60)], ids=lambda s: f"{s[0]}")
async def test_the_dns_walk_table_wraps_between_words(course, size):
    trace = loads((WALK / "trace.json").read_text())
    async with make_app(course, Store.memory()).run_test(size=size) as pilot:
        screen = LabScreen("dns")
        pilot.app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        await pilot.pause()
        rows = [strip.text for strip in pilot.app.screen._compositor.render_strips()]
        said = "\n".join(rows)
        assert "The walk: who asked whom" in said, said
        cells = table_cells(rows[next(i for i, r in enumerate(rows) if "who asked" in r) :])
        assert cells, said
        # Every cell line is whole words of the table's text: none ends or
        # starts inside a word ("compute" / "r ->"); a name longer than its
        # column breaks after a dot ("api.edge.shop." / "example.").
        words = {p for line in trace_table(trace) for cell in line for p in pieces(cell)}
        for line in cells:
            for cell in line:
                for word in cell.split():
                    assert word in words, f"{word!r} is part of a word:\n{said}"


def pieces(cell: str) -> set[str]:
    """The words of `cell`, and each run of a word between its dots."""
    out = set()
    for word in cell.split():
        cuts = [0, *(i + 1 for i, c in enumerate(word) if c in "./:"), len(word)]
        out |= {word[a:b] for a in cuts for b in cuts if a < b}
    return out


def trace_table(trace) -> list[list[str]]:
    section = next(s for s in trace.sections if s.kind == "table" and "whom" in s.title)
    return [r.split("\t") for r in section.body.splitlines() if r.strip()]


def test_narrow_columns_get_their_longest_word_where_the_room_allows():
    rows = [
        ["Packets", "Who asks whom", "Question", "What came back", "AA", "RD", "RA"],
        ["#1, #10", "your computer -> the resolver", "A api.edge.shop.example.", "A 192.0.2.10", "0", "1", "1"],
    ]  # fmt: skip
    widths = column_widths(rows, 60)
    longest = [max(len(w) for r in rows for w in r[k].split()) for k in range(7)]
    # Every plain word whole; a name ("api.edge.shop.example.") may break
    # after a dot where that lets another column read in phrases ("your
    # computer" / "-> the" / "resolver", not a word a line).
    plain = [max((len(w) for r in rows for w in r[k].split() if "." not in w), default=1) for k in range(7)]  # fmt: skip
    assert sum(widths) <= 60 and all(w >= n for w, n in zip(widths, plain, strict=True))
    for r in rows:
        for cell, width in zip(r, widths, strict=True):
            assert set(wrap_cell(cell, width).split()) <= pieces(cell), (cell, width)
    # Short of room for every longest word: those up to NAME cells stay
    # whole ("computer"); a longer one (a name) may break after a dot.
    widths = column_widths(rows, sum(longest) - 1)
    assert all(w >= min(n, NAME) for w, n in zip(widths, longest, strict=True)), widths


def test_the_room_goes_where_it_saves_the_most_lines():
    """ "the resolver -> the root server" in two lines, not four ("the /
    resolver -> / the root / server") while the Question column is whole."""
    trace = loads((WALK / "trace.json").read_text())
    rows = trace_table(trace)
    for room, who in ((52, "the resolver"), (60, "the resolver ->")):
        widths = column_widths(rows, room)
        assert sum(widths) <= room and widths[1] >= len(who), (room, widths)
