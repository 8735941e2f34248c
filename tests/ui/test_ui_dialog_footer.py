"""A dialog over the capture screen (conversations c, follow stream F, help ?)
shows a footer of its own, with the keys that work in it: the capture
screen's footer stayed in view below it, offering Reload, Filter or Quit,
keys that did nothing while the dialog was open."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_helpers import loaded

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest
from tutor.screens.help import HelpScreen
from tutor.screens.streams import StreamsScreen

HTTP = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"
#: Words of the capture screen's footer, and of the app's, that no dialog has.
BELOW = ("Reload", "Filter", "Maximise", "Meaning", "Timing", "Quit", "Help")


def bottom_row(app: object) -> str:
    """The terminal's last row as the learner sees it, dialog and all."""
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return strips[-1].text


async def open_dialog(pilot: object, key: str) -> str:
    await pilot.press(key)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return bottom_row(pilot.app)  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_conversations_dialog_shows_its_own_keys(course, size):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=size) as pilot:
        screen = await loaded(pilot)
        row = await open_dialog(pilot, "c")
        assert isinstance(app.screen, StreamsScreen)
        assert "esc Close" in row, row
        assert not [w for w in BELOW if w in row], row
        scroll = app.screen.query_one("#streams-scroll")
        # The table is laid out for the dialog's width (its counts under its
        # endpoints where one line would not fit): nothing to scroll sideways,
        # and the footer offers ← → only when there is.
        wide = scroll.virtual_size.width > scroll.scrollable_content_region.width
        assert ("Sideways" in row) == wide and not wide, row
        if wide:
            await pilot.press("right", "right")
            assert scroll.scroll_x > 0
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and "Reload" in bottom_row(app)


async def test_the_follow_stream_dialog_shows_its_own_keys(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        row = await open_dialog(pilot, "F")
        assert isinstance(app.screen, StreamsScreen)
        assert "esc Close" in row and "Scroll" in row, row
        assert not [w for w in BELOW if w in row], row
        scroll = app.screen.query_one("#streams-scroll")
        await pilot.press("down", "down")
        assert scroll.scroll_y > 0  # the stream is longer than the dialog: ↓ scrolls it
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_help_over_the_capture_screen_shows_its_own_keys(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        row = await open_dialog(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "esc Close" in row, row
        assert not [w for w in BELOW if w in row], row
