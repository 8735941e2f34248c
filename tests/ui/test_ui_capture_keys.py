"""The capture screen as a new user meets it (`tutor explain FILE --tui`, where
it is the only screen): a reload that fails says the packets shown are the
previous reading; help lists the capture screen's keys, not a lab's; Enter and
Escape in the filter box go back to the packet list instead of ending the app.
(The conversations dialog's keys: test_ui_dialog_footer; the glossary terms
that join the review: test_ui_terms_met.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import DataTable, Input, Static
from ui_helpers import SIZE, loaded, text

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest
from tutor.screens.help import HelpScreen

HTTP = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"


async def test_a_failed_reload_says_the_packets_shown_are_the_previous_reading(course, tmp_path):
    copy = tmp_path / "copy.pcap"
    shutil.copyfile(HTTP, copy)
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(copy)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#packets", DataTable)
        banner = screen.query_one("#banner", Static)
        read_at = screen.read_at
        assert table.row_count == 22 and read_at
        copy.unlink()  # moved away, say
        await pilot.press("r")
        await loaded(pilot)
        said = text(banner)
        assert banner.has_class("error")
        assert said.startswith(
            f"Reading it again failed: the packets below are still the 22 read at {read_at}."
        )
        assert "no such file" in said  # and why
        assert f"reading of {read_at}" in screen.sub_title
        assert table.row_count == 22  # still there to read
        # Whole on screen at 80x24, not cut at the banner's usual height.
        rows = [strip.text for strip in screen._compositor.render_strips()]
        assert any("Check the path." in row for row in rows), "\n".join(rows)
        shutil.copyfile(HTTP, copy)  # back: the next r reads it, and the mark goes
        await pilot.press("r")
        await loaded(pilot)
        assert not banner.has_class("error") and text(banner).startswith("copy.pcap  ·  22")
        assert "reading of" not in screen.sub_title


async def test_a_first_read_that_fails_says_only_why(course, tmp_path):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(tmp_path / "gone.pcap")))
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        said = text(screen.query_one("#banner", Static))
        assert "no such file" in said and "previous reading" not in said
        assert "still" not in said


async def test_help_on_a_capture_lists_its_keys_not_a_labs(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(text(s) for s in app.screen.query(Static))
        assert shown.startswith("Keys: Capture file")
        for words in (
            "Read the file again",
            "Conversations",
            "Follow stream",
            "Review the glossary",
        ):
            assert words in shown, words
        for words in ("Run the lab", "Predictions", "Save pcap", "Target", "Open a capture"):
            assert words not in shown, words  # the lab's and the outline's keys
        # r reads the file here: the app's r (Review) is not listed as working.
        assert "Review (in" not in shown and "\nr " not in shown.split("Everywhere")[1]
        # Every row fits the dialog at 80x24: the keys on one screen, no scrolling.
        scroll = app.screen.query_one("#help")
        assert scroll.max_scroll_y == 0, scroll.max_scroll_y


async def test_enter_and_escape_in_the_filter_go_back_to_the_packets(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#packets", DataTable)
        await pilot.press("slash", *"http", "enter")
        await pilot.pause()
        assert app.focused is table and table.row_count < 22
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert app.return_code is None and app.screen is screen  # not the app's end
        assert app.focused is table
        assert screen.query_one("#filter", Input).value == "http" and table.row_count < 22
        await pilot.press("escape")  # from the list, Escape closes as the footer says
        await pilot.pause()
        assert app.return_code == 0


async def test_help_on_a_lab_without_a_target_box_says_nothing_of_one(course):
    from tutor.screens.help import sections_here
    from tutor.screens.lab import LabScreen

    async with make_app(course, Store.memory()).run_test(size=SIZE) as pilot:
        await pilot.pause()
        for lab, box in (("gateway-nat", False), ("http-api", True)):
            screen = LabScreen(lab)
            pilot.app.push_screen(screen)
            await pilot.pause()
            (title, rows), (_everywhere, app_rows) = sections_here(type(pilot.app), screen)
            assert title == "Lab" and ("r", "Run") in rows
            assert any("target box" in what for _key, what in rows) == box, lab
            assert "r" not in dict(app_rows)  # r runs the lab here: not the app's Review
            screen.dismiss(None)
            await pilot.pause()
