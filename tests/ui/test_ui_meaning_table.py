"""A table in "What it means" laid out for its pane: Textual's Markdown table
gave "What went wrong" (lossy-http.pcapng) a Seen column of 17 at 120
columns, "8" over "retransmissions" and one packet number a line, while the
explanation had 86 cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_helpers import SIZE

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest, CaptureScreen
from tutor.widgets.fitted_table import column_widths

LOSSY = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "lossy-http.pcapng"


def screen_rows(app) -> list[str]:
    """The screen as the terminal shows it, a string a row (80 columns are
    40 rows high here: the table's third row is below the 24th)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("size", [(80, 40), SIZE], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_what_went_wrong_keeps_its_labels_whole(course, size):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(LOSSY)))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CaptureScreen)
        await pilot.press("m")
        await pilot.pause()
        rows = screen_rows(app)
        said = "\n".join(rows)
        assert "What went wrong" in said
        # Each label on one row, in a column no wider than it needs.
        for label in ("8 retransmissions", "2 fast retransmissions", "5 segments not captured"):
            assert label in said, said
        head = next(r for r in rows if "Seen" in r and "Packets" in r)
        assert head.index("Packets") - head.index("Seen") <= len("5 segments not captured") + 4
        # The explanation has the most room; the packet list two numbers a row or more.
        assert head.index("What it means") - head.index("Packets") < (size[0] - 10) // 2
        assert "#28, #34," in said  # tshark: frames 28 and 34 are retransmissions


def test_column_widths():
    rows = [["Seen", "Packets", "What it means"], ["2 fast retransmissions", "#25, #47", "x " * 60]]
    assert column_widths(rows, 200) == [22, 8, 120]  # room for all: natural widths
    seen, packets, meaning = column_widths(rows, 64)
    assert seen == 22 and packets + meaning == 64 - 22 and meaning > 4 * packets
    # Too narrow for the label and the others' longest words: the label gives
    # way, down to its longest word ("retransmissions"), and every column
    # keeps its own longest word ("Packets", "meaning").
    rows[1][1] = "#25, #47, #61, #70, #75, #80, #85, #90, #95"
    seen, packets, meaning = column_widths(rows, 30)
    assert 15 <= seen < 22 and packets >= 7 and meaning >= 7 and seen + packets + meaning <= 30
    assert column_widths([["a", "b"]], 1) == [1, 1]
