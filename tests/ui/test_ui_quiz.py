"""The quick check: passing, failing, trying again, answers saved as given,
and progress that survives a restart."""

from __future__ import annotations

from textual.widgets import OptionList, Static
from ui_helpers import SIZE, text

from tutor.screens.lesson import LessonScreen
from tutor.screens.outline import OutlineScreen, OutlineTree
from tutor.screens.quiz import QuizScreen

# The fixture lesson "packets": right answers are 2, 1, 1 (keys are 1-based).


async def start_quiz(pilot) -> QuizScreen:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, QuizScreen)
    assert "at least 2 right" in text(screen.query_one("#quiz-progress", Static))
    return screen


async def answer(pilot, key: str) -> str:
    """Answer with a number key; returns the feedback shown."""
    await pilot.press(key)
    await pilot.pause()
    feedback = text(pilot.app.screen.query_one("#feedback", Static))
    await pilot.press("enter")  # the Next button has focus
    await pilot.pause()
    return feedback


async def test_passing_marks_the_lesson_done(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_quiz(pilot)
        assert "What does a packet's header hold?" in text(screen.query_one("#question", Static))
        feedback = await answer(pilot, "2")
        assert feedback.startswith("✓ Right.") and "envelope" in feedback
        assert "Question 2 of 3" in text(screen.query_one("#quiz-progress", Static))
        assert (await answer(pilot, "3")).startswith("✗ Not quite. You chose 3; the answer is 1")
        await answer(pilot, "1")
        result = text(screen.query_one("#question", Static))
        assert "Passed: 2 of 3 right." in result and "marked done" in result
        assert app.store.status("packets") == "done"
        given = [(a.question, a.choice, a.correct) for a in app.store.answers("packets", "check")]
        assert given == [(0, 1, True), (1, 2, False), (2, 0, True)]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert "✓ done" in text(app.screen.query_one("#lesson-heading", Static))


async def test_after_passing_n_goes_on_to_the_next_lesson(app):
    async with app.run_test(size=SIZE) as pilot:
        await start_quiz(pilot)
        for key in ("2", "1", "1"):
            await answer(pilot, key)
        assert app.focused.id == "next-lesson"
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == "layers"
        await pilot.press("escape")  # the lesson replaced the one before it
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)


async def test_failing_leaves_the_lesson_open_and_try_again_restarts(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_quiz(pilot)
        for key in ("1", "2", "1"):
            await answer(pilot, key)
        result = text(screen.query_one("#question", Static))
        assert "Not yet: 1 of 3 right; passing takes 2." in result
        assert app.store.status("packets") == "started"
        await pilot.press("t")
        await pilot.pause()
        assert "Question 1 of 3" in text(screen.query_one("#quiz-progress", Static))
        # Arrows and enter answer too.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert text(screen.query_one("#feedback", Static)).startswith("✓ Right.")
        await pilot.press("enter")
        for key in ("1", "1"):
            await answer(pilot, key)
        assert "Passed: 3 of 3 right." in text(screen.query_one("#question", Static))
        assert app.store.status("packets") == "done"
        assert len(app.store.answers("packets")) == 6


async def test_one_answer_per_question(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_quiz(pilot)
        await pilot.press("1", "2", "3")
        await pilot.pause()
        assert len(app.store.answers("packets")) == 1
        assert screen.query_one("#choices", OptionList).disabled


async def test_progress_survives_a_restart(new_app):
    first = new_app()
    async with first.run_test(size=SIZE) as pilot:
        await start_quiz(pilot)
        for key in ("2", "1", "1"):
            await answer(pilot, key)
        await pilot.press("escape", "escape")
        await pilot.pause()
        await pilot.press("q")
    assert first.return_code == 0

    second = new_app()
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = second.screen.query_one(OutlineTree)
        packets = tree.root.children[0].children[0]
        assert packets.data.id == "packets" and str(packets.label).startswith("✓")
        assert str(tree.root.children[0].label).endswith("1/2")
        # It was finished, so the outline offers the next lesson.
        assert tree.cursor_node.data.id == "layers"
        detail = text(second.screen.query_one("#detail-body", Static))
        assert "Next up: you finished “What is a packet?”" in detail
