"""The quick check in an 80x24 terminal: the verdict for a wrong answer is on
screen to its last word, with Next under it, and a choice that wraps goes on
under its own text, not under its number."""

from __future__ import annotations

from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.quiz import QuizScreen


def rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def _quiz(pilot) -> None:
    lesson = pilot.app.course.lesson("tcp-ip-model")
    assert lesson is not None
    pilot.app.push_screen(QuizScreen(lesson))
    for _ in range(2):
        await pilot.pause()


async def test_a_wrong_answers_verdict_is_on_screen_whole():
    async with make_app(load_course(), Store.memory()).run_test(size=(80, 24)) as pilot:
        await _quiz(pilot)
        await pilot.press("2")  # right
        await pilot.press("n")
        await pilot.press("4")  # wrong: "The port numbers"
        for _ in range(3):
            await pilot.pause()
        shown = rows(pilot.app)
        screen = " ".join(" ".join(shown).split())
        assert "✗ Not quite." in screen
        # The explanation's last words, then the button that goes on.
        assert "which a layer 7 device sees too." in screen, shown
        assert any("Next (n)" in line for line in shown), shown


async def test_a_wrapped_choice_stays_under_its_own_text():
    async with make_app(load_course(), Store.memory()).run_test(size=(80, 24)) as pilot:
        await _quiz(pilot)
        shown = rows(pilot.app)
        at = next(n for n, line in enumerate(shown) if "4  The link layer:" in line)
        column = shown[at].index("The link layer:")
        rest = shown[at + 1]
        assert rest[column:].startswith("program"), (shown[at], rest)
        assert rest[:column].strip(" │") == "", rest
