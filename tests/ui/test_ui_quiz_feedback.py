"""The quick check tells a learner what their wrong choice gets wrong: the
choice's own feedback above the explanation."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Static
from ui_helpers import SIZE, text

from tutor.app import make_app
from tutor.content import Course
from tutor.progress import Store
from tutor.screens.quiz import QuizScreen

WRONG = "Misconception: the header is the message. It is the envelope around it."
RIGHT = "Right: addresses and handling."


def with_feedback(course: Course) -> Course:
    """The fixture course, its first lesson's first check given feedback."""
    module = course.modules[0]
    lesson = module.lessons[0]
    first = replace(lesson.checks[0], feedback=(WRONG, RIGHT, "Misconception: a picture."))
    lesson = replace(lesson, checks=(first, *lesson.checks[1:]))
    module = replace(module, lessons=(lesson, *module.lessons[1:]))
    return replace(course, modules=(module, *course.modules[1:]))


async def feedback_after(course: Course, key: str) -> str:
    app = make_app(with_feedback(course), Store.open())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # open the first lesson
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        await pilot.press(key)
        await pilot.pause()
        return text(app.screen.query_one("#feedback", Static))


async def test_a_wrong_choice_shows_its_misconception_then_the_explanation(course):
    shown = await feedback_after(course, "1")
    assert shown.startswith("✗ Not quite. You chose 1; the answer is 2")
    assert WRONG in shown and RIGHT not in shown
    assert shown.index(WRONG) < shown.index("The header is the envelope")


async def test_the_right_choice_shows_its_own_note(course):
    shown = await feedback_after(course, "2")
    assert shown.startswith(f"✓ Right. {RIGHT}") and WRONG not in shown
    assert "The header is the envelope" in shown
