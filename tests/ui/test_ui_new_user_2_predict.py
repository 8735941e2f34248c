"""The "Predict first" tab at 80x24: the question holding the focus is marked
on screen (in plain text, not only by a faint colour), and Tab past the last
question does not drop into the target box, so r still runs the lab."""

from __future__ import annotations

from textual.widgets import Input, RadioSet, Static

from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.predict import PredictPanel


def rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def marked(app, words: str) -> bool | None:
    """Whether the screen row that starts the question `words` has a mark
    before its text; None when the question is scrolled out of sight."""
    line = next((r for r in rows(app) if words in r), None)
    return None if line is None else line.split(words)[0].strip() != ""


async def _lab(pilot) -> LabScreen:
    lesson = load_course().lesson("tcp-handshake")
    assert lesson is not None and len(lesson.predicts) >= 2
    screen = LabScreen("tcp-handshake", lesson)
    pilot.app.push_screen(screen)
    for _ in range(3):
        await pilot.pause()
    return screen


async def test_the_question_with_the_focus_is_marked(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await _lab(pilot)
        assert screen.focused is screen.query_one("#choices-0", RadioSet)
        assert marked(pilot.app, "1. How many packets") is True
        assert marked(pilot.app, "2. What will the acknowledgment") is not True
        await pilot.press("tab")
        await pilot.pause()
        assert screen.focused is screen.query_one("#choices-1", RadioSet)
        assert marked(pilot.app, "2. What will the acknowledgment") is True
        assert marked(pilot.app, "1. How many packets") is not True
        await pilot.press("shift+tab")
        await pilot.pause()
        assert marked(pilot.app, "1. How many packets") is True
        assert marked(pilot.app, "2. What will the acknowledgment") is not True


async def test_r_runs_the_lab_after_tab_past_the_last_question(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await _lab(pilot)
        started: list[object] = []
        screen._run = lambda target, given: started.append(target)  # no real lab in a UI test
        panel = screen.query_one(PredictPanel)
        last = screen.query_one(f"#choices-{len(panel.lesson.predicts) - 1}", RadioSet)
        while screen.focused is not last:
            await pilot.press("tab")
        await pilot.press("tab")
        await pilot.press("r")
        await pilot.pause()
        assert screen.query_one("#target", Input).value == ""
        assert started == [None]
        banner = str(screen.query_one("#banner", Static).render())
        assert banner.startswith("Running tcp-handshake"), banner
