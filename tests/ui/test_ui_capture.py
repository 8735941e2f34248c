"""A capture file in the TUI (`tutor explain FILE --tui`, o on the outline):
the lab screen's panes on the file's trace, read in a worker, with no lab
controls; a file too large or unreadable said in one line; and the flags
--tui cannot go with refused before any UI starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static, TabbedContent
from ui_helpers import SIZE, loaded, text

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens import capture
from tutor.screens.capture import CaptureRequest, OpenCaptureScreen
from tutor.screens.outline import OutlineScreen
from tutor.screens.streams import StreamsScreen

PCAPS = Path(__file__).resolve().parent.parent / "data" / "pcaps"
HTTP = PCAPS / "http.pcap"


@pytest.mark.parametrize("size", [(80, 24), SIZE], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_explain_tui_opens_straight_on_the_file(course, size):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=size) as pilot:
        screen = await loaded(pilot)
        assert len(pilot.app.screen_stack) == 2  # the capture alone, over the default screen
        table = screen.query_one("#packets", DataTable)
        assert table.row_count == 22
        banner = text(screen.query_one("#banner", Static))
        assert banner.startswith("http.pcap") and "Read from the capture file http.pcap" in banner
        assert "Captured live" not in banner and "Press r" not in banner
        assert "http.pcap" in screen.sub_title
        assert not screen.query("#lab-bar, #run, #target, #lab-options")
        await pilot.press("d")
        assert screen.query_one("#tabs", TabbedContent).active == "timing-tab"
        await pilot.press("w", "c")
        await pilot.pause()
        assert isinstance(pilot.app.screen, StreamsScreen)
        said = str(pilot.app.screen.query_one("#streams-text", Static).render())
        assert "TCP conversations (2)" in said
        # The TUI's own key, not the CLI's flag.
        assert "--follow" not in said and "Esc, then F on one of its packets" in said
        await pilot.press("escape", "F")
        await pilot.pause()
        assert isinstance(pilot.app.screen, StreamsScreen)
        assert "GET /orders?page=1" in str(pilot.app.screen.query_one("#streams-text").render())
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is screen
        await pilot.press("escape")  # opened by --tui: Escape quits, as q does
        await pilot.pause()
        assert pilot.app.return_code == 0


async def test_a_capture_over_the_limit_is_refused_in_one_line(course, monkeypatch):
    monkeypatch.setattr(capture, "MAX_PACKETS", 5)
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        banner = screen.query_one("#banner", Static)
        said = text(banner)
        assert "http.pcap has more than 5 packets" in said and "--limit 5" in said
        assert "\n" not in said.strip() and banner.has_class("error")
        assert screen.query_one("#packets", DataTable).row_count == 0
        await pilot.press("c")  # no trace: says so, opens nothing
        await pilot.pause()
        assert pilot.app.screen is screen


async def test_a_file_that_is_no_capture_is_said_in_one_line(course, tmp_path):
    bad = tmp_path / "notes.pcap"
    bad.write_text("not a capture\n")
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(bad)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        banner = screen.query_one("#banner", Static)
        assert banner.has_class("error") and "notes.pcap" in text(banner)
        assert "Traceback" not in text(banner)


async def test_o_on_the_outline_opens_a_capture_by_path(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, OpenCaptureScreen)
        app.screen.query_one("#path", Input).value = str(HTTP.with_name("missing.pcap"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OpenCaptureScreen)  # stays, and says why
        assert "is not there" in str(app.screen.query_one("#open-error").render())
        app.screen.query_one("#path", Input).value = str(HTTP)
        await pilot.press("enter")
        screen = await loaded(pilot)
        assert screen.query_one("#packets", DataTable).row_count == 22
        await pilot.press("escape")  # from the outline: back to it, not out
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen) and app.return_code is None


@pytest.mark.parametrize(
    "flags, said",
    [
        (["--json"], "--tui and --json cannot be used together"),
        (["--diagram", "text"], "--tui and --diagram cannot be used together"),
        (["--follow", "0"], "--tui and --follow cannot be used together"),
        (["--conversations"], "--tui and --conversations cannot be used together"),
        (["--limit", "20000"], "--limit with --tui must be 1 to 10000"),
    ],
)
def test_explain_tui_refuses_what_it_cannot_do_in_one_line(capsys, flags, said):
    from tutor.cli import main

    assert main(["explain", str(HTTP), "--tui", *flags]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1


def test_explain_tui_on_a_missing_file_or_without_a_terminal(capsys, tmp_path):
    from tutor.cli import main

    assert main(["explain", str(tmp_path / "none.pcap"), "--tui"]) == 2
    assert "none.pcap is not a file" in capsys.readouterr().err
    assert main(["explain", str(HTTP), "--tui"]) == 2  # pytest's stdin is no terminal
    assert "--tui needs a terminal" in capsys.readouterr().err


async def test_what_it_means_names_the_file_and_says_what_went_wrong(course):
    from textual.widgets import Markdown

    lossy = PCAPS / "lossy-http.pcapng"
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(lossy)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert screen.query_one("#tabs", TabbedContent).active == "meaning-tab"
        said = "\n".join(
            m.source for m in screen.query("#meaning-scroll Markdown").results(Markdown)
        )
        assert said.startswith("# lossy-http.pcapng: what it means")
        assert "## What went wrong" in said and "retransmission" in said
