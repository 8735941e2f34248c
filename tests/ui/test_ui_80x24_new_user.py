"""The TUI at 80x24 as a new user found it: a lab's target box squeezed to
"target" beside a long title; a ladder without the packets' numbers that
opened, after a second run, at the first run's last packet; waterfall bars
below the fold, under the clock and the legend; footers without R
(glossary) or the lab's e, and no word anywhere of w, m, d and f."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input
from textual.widgets._footer import FooterKey
from ui_helpers import text

from labs.model.trace import loads
from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.diagrams import LadderView

DATA = Path(__file__).resolve().parent.parent / "data"
GOLDEN = DATA / "golden"
HTTP = DATA / "pcaps" / "http.pcap"


def stored(lab: str) -> object:
    return loads((GOLDEN / lab / "default" / "trace.json").read_text())


def rows(app: object) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]  # type: ignore[attr-defined]


def footer(screen) -> tuple[list[str], list[str]]:
    """The footer's keys as shown, and those cut at the screen's edge."""
    keys = list(screen.query(FooterKey))
    shown = [f"{k.key_display} {k.description}" for k in keys]
    width = screen.app.size.width
    cut = [
        s for s, k in zip(shown, keys, strict=True) if not k.region.width or k.region.right > width
    ]
    return shown, cut


async def settle(pilot, times: int = 3) -> None:
    for _ in range(times):
        await pilot.pause()


@pytest.mark.parametrize("lab", ["websocket", "tcp-handshake", "http-api"])
async def test_the_target_box_and_run_are_whole_beside_a_long_title(course, lab):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen(lab)
        pilot.app.push_screen(screen)
        await settle(pilot)
        run = screen.query_one("#run", Button)
        target = screen.query_one("#target", Input)
        shown = rows(pilot.app)
        assert run.region.right <= 79, run.region  # a cell to spare, not at the edge
        assert any("Run the lab" in r for r in shown), shown
        # The box says what an empty one runs against, not just "target".
        assert target.region.width >= 40, target.region
        assert "(empty: the embedded server)" in target.placeholder, target.placeholder
        assert any(r.strip() == f"Lab: {screen.lab.title}" for r in shown), shown


async def test_the_ladder_numbers_its_rows_and_opens_at_packet_1_after_a_second_run(course):
    trace = stored("http-api")
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen("http-api")
        pilot.app.push_screen(screen)
        await pilot.pause()
        screen.post_message(LabScreen.Finished(trace))
        await settle(pilot)
        await pilot.press("end")  # the first run read to its last packet
        await settle(pilot)
        screen.post_message(LabScreen.Finished(stored("http-api")))  # run again
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        ladder = screen.query_one(LadderView)
        assert ladder.scroll_y == 0 and ladder.highlighted == 0
        shown = rows(pilot.app)
        head = next(r for r in shown if "No." in r)
        assert head.split()[:2] == ["No.", "Time"], head
        first = next(r for r in shown if "TCP SYN " in r)
        # Packet 1, numbered as the packet list numbers it (Wireshark's No.).
        assert first.strip("│ ").split()[:3] == ["1", "0", "µs"], first
        numbers = [str(ladder.get_option_at_index(n).prompt).split()[0] for n in range(3)]
        assert numbers == ["1", "2", "3"]


async def test_the_waterfall_bars_come_before_the_clock_and_legend(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen("http-api")
        pilot.app.push_screen(screen)
        await pilot.pause()
        screen.post_message(LabScreen.Finished(stored("http-api")))
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        shown = rows(pilot.app)
        start = next(i for i, r in enumerate(shown) if r.startswith("Timing waterfall"))
        bars = [r for r in shown if "|█" in r or "| █" in r or "█|" in r or "  █" in r]
        # The first thing under the heading is a bar's exchange, then its bars.
        assert shown[start + 1].startswith("1. "), shown
        assert len(bars) >= 4, "\n".join(shown)
        assert not any(r.lstrip().startswith("Clock:") for r in shown[start : start + 6])


async def test_the_glossary_footer_offers_review(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("tab")  # out of the search box, where R is a letter
        await pilot.pause()
        shown, cut = footer(app.screen)
        assert "R Review" in shown and cut == [], shown
        await pilot.press("R")
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"


async def test_a_labs_keys_show_in_its_footer_and_tabs_and_help_lists_them():
    real = load_course()  # the fixture course has no lesson with predictions for a lab
    lesson = real.lesson("http-requests")
    assert lesson is not None and lesson.predicts
    async with make_app(real, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen("http-api", lesson)
        pilot.app.push_screen(screen)
        await settle(pilot)
        shown, cut = footer(screen)
        assert cut == [] and "e Evidence" in shown and "r Run" in shown, shown
        strip = next(r for r in rows(pilot.app) if "Predict first" in r)
        for said in ("f Predict first", "w Packets", "m What it means", "d Timing"):
            assert said in strip, strip
        await pilot.press("question_mark")
        await settle(pilot)
        listed = " ".join(text(s) for s in pilot.app.screen.query(".help-column"))
        for words in ("Packets", "Timing and ladder", "Predictions", "Evidence", "Meaning"):
            assert words in listed, listed


async def test_help_at_80x24_shows_every_key_of_a_lessons_lab_without_scrolling():
    """Help is where the keys the footer and tabs leave out are: all of them
    in view (it scrolled by a row or two, the last keys below the frame)."""
    real = load_course()
    async with make_app(real, Store.memory()).run_test(size=(80, 24)) as pilot:
        pilot.app.push_screen(LabScreen("http-api", real.lesson("http-requests")))
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert pilot.app.screen.query_one("#help").max_scroll_y == 0
        said = "\n".join(rows(pilot.app))
        for words in ("Evidence", "Predictions", "Save pcap", "Help, also while typing"):
            assert words in said, said
