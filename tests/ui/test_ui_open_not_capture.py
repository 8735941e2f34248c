"""o (Open capture) on a file that is no capture (README.md): the error in the
dialog, one line, the dialog still open, as for a missing file. It was three
empty panes with the error as their banner."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tutor.screens.capture import CaptureScreen, OpenCaptureScreen

README = Path(__file__).resolve().parents[2] / "README.md"
LOSSY = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "lossy-http.pcapng"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_file_that_is_no_capture_is_refused_in_the_dialog(app, size, tmp_path):
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        for path, said in (
            (tmp_path / "missing.pcap", "is not there"),
            (README, "README.md is not a pcap or pcapng capture file"),
        ):
            app.screen.query_one("#path", Input).value = str(path)
            await pilot.press("enter")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, OpenCaptureScreen), app.screen
            error = app.screen.query_one("#open-error")
            assert said in str(error.render()) and error.region.height == 1
            assert not any(isinstance(s, CaptureScreen) for s in app.screen_stack)
        # A pcapng file (its own first bytes) opens.
        app.screen.query_one("#path", Input).value = str(LOSSY)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaptureScreen)
