"""Text a new user reads first on the lab screen, whole at 80x24: the target
and filter boxes' placeholders (Textual cuts a placeholder silently where the
box ends) and the intro banner with its "Press r" line."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Input, Static

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.fitted_input import fitted


def test_fitted_takes_the_longest_that_fits_else_cuts_with_an_ellipsis():
    options = ("a long placeholder", "short", "tiny")
    assert fitted(options, 40) == "a long placeholder"
    assert fitted(options, 6) == "short"
    assert fitted(options, 3) == "ti…"


async def test_at_80x24_placeholders_fit_and_the_intro_is_whole(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen("http-api")
        pilot.app.push_screen(screen)
        await pilot.pause()
        await pilot.pause()
        for box in screen.query(Input).filter("#target, #filter"):
            room = box.content_size.width - 1
            assert cell_len(box.placeholder) <= room, box.placeholder
        assert "empty: the embedded server" in screen.query_one("#target", Input).placeholder
        banner = screen.query_one("#banner", Static)
        lines = banner.visual.get_height(banner.styles, banner.content_size.width)
        assert banner.content_size.height >= lines >= 3
