"""The capture screen's / filter refuses a misspelt field name as the CLI's
--filter does ("no field tcp.flgs.syn; did you mean tcp.flags.syn?"), an
error like a syntax error's that keeps the last good list, not "0 of 22"."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static
from ui_helpers import loaded, text

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest

HTTP = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_misspelt_field_is_an_error_that_keeps_the_last_list(course, size):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=size) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#packets", DataTable)
        status = screen.query_one("#filter-status", Static)
        await pilot.press("slash", *"tcp.flags.syn==1")
        await pilot.pause()
        good = table.row_count
        assert 0 < good < 22 and not status.has_class("error")
        box = screen.query_one("#filter", Input)
        box.value = "tcp.flgs.syn==1"
        await pilot.pause()
        await pilot.pause()
        assert status.has_class("error")
        said = text(status)
        assert said.startswith("no field tcp.flgs.syn; did you mean tcp.flags.syn?"), said
        # Which list is left on screen is said where the row has room (the
        # last filter that could be applied), and nothing ends in a stray " ·".
        if size[0] >= 120:
            assert said.endswith(f" · the list still shows {good} of 22"), said
        rows = [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]
        assert any(said.strip() in r for r in rows), "\n".join(rows)
        assert not any(r.endswith("·") for r in rows), "\n".join(rows)
        assert table.row_count == good  # the last good list stays
        box.value = "tcp.flags.syn==1 && http"
        await pilot.pause()
        assert not status.has_class("error")


async def test_the_typo_error_is_whole_at_80_columns(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash", *"tcp.flgs.syn==1")
        await pilot.pause()
        rows = [strip.text for strip in app.screen._compositor.render_strips()]
        assert any("did you mean tcp.flags.syn?" in r for r in rows), "\n".join(rows)
        assert screen.query_one("#filter", Input).region.width >= len("tcp.flgs.syn==1")
