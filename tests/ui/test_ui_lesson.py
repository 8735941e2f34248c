"""Reading a lesson: its parts, glossary links by mouse and by keyboard, the
the lab and review screens, help, and where the learner was."""

from __future__ import annotations

from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownParagraph
from ui_helpers import SIZE, text

from tutor.screens.glossary import GlossaryScreen
from tutor.screens.help import HelpScreen
from tutor.screens.lab import LabScreen
from tutor.screens.lesson import LessonScreen
from tutor.screens.outline import OutlineScreen, OutlineTree
from tutor.screens.review import ReviewScreen
from tutor.screens.terms import TermPicker
from tutor.widgets.term_view import TermView


async def open_packets(pilot) -> LessonScreen:
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen) and screen.lesson.id == "packets"
    return screen


async def test_lesson_shows_title_objectives_body_and_sources(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_packets(pilot)
        heading = text(screen.query_one("#lesson-heading", Static))
        assert "What is a packet?" in heading and "lesson 1 of 2" in heading
        assert "Name the two parts of every packet" in text(screen.query_one("#objectives", Static))
        body = screen.query_one("#body", Markdown)
        assert "[A packet](term:packet) is a small piece" in body.source
        assert "RFC 791 section 2.1" in text(screen.query_one("#sources", Static))
        assert app.store.status("packets") == "started"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)
        tree = app.screen.query_one(OutlineTree)
        assert str(tree.cursor_node.label).startswith("◐")


async def test_clicking_a_glossary_link_opens_its_entry(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_packets(pilot)
        paragraph = next(
            p for p in screen.query(MarkdownParagraph) if p._content.plain.startswith("A packet is")
        )
        await pilot.click(paragraph, offset=(2, 0))
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        view = app.screen.query_one(TermView)
        assert view.term is not None and view.term.id == "packet"
        assert "A small piece of a message" in text(view.query_one("#term-text", Static))
        # Back to the lesson, where the learner was.
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_terms_key_follows_a_link_without_the_mouse(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_packets(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TermPicker)
        assert [t.id for t in app.screen.terms] == ["packet", "header", "tcp"]
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.query_one(TermView).term.id == "tcp"


async def test_run_the_lab_and_review_open_their_screens(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_packets(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LabScreen)
        assert app.screen.lab.id == "tcp-handshake"
        await pilot.press("escape", "r")
        await pilot.pause()
        # The lesson's terms joined the review deck when it was opened.
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.current in {"packet", "header", "tcp"}
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)


async def test_no_lab_no_lab_key(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen.lesson.id == "layers"
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert not app.screen.query("#run-lab")


async def help_text(pilot) -> str:
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)
    listed = "\n".join(text(x) for x in pilot.app.screen.query(Static))
    await pilot.press("escape")
    await pilot.pause()
    return listed


async def test_help_lists_the_keys_of_the_screen_it_opens_on(app):
    from tutor.screens.quiz import QuizScreen

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        listed = await help_text(pilot)
        assert listed.startswith("Keys: Course outline")
        for words in ("Quit", "Glossary", "Review", "Labs", "Open a capture", "Fold or unfold"):
            assert words in listed, words
        for words in ("Quick check", "Run the lab", "Try again", "Read the file again"):
            assert words not in listed, words  # other screens' keys
        assert isinstance(app.screen, OutlineScreen)
        screen = await open_packets(pilot)
        listed = await help_text(pilot)
        assert listed.startswith("Keys: Lesson")
        for words in ("Quick check", "Terms", "Review", "Quit"):
            assert words in listed, words
        assert ("Run the lab" in listed) == bool(screen.lesson.lab)
        assert "Open a capture" not in listed
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        listed = await help_text(pilot)
        assert listed.startswith("Keys: Quick check") and "1-9" in listed
        assert "Terms" not in listed  # the lesson's, under it
        assert "Try again" not in listed  # only once the check is over (as the footer)


async def test_scroll_position_is_remembered(app, new_app):
    async with app.run_test(size=(120, 14)) as pilot:
        screen = await open_packets(pilot)
        reader = screen.query_one("#reader")
        await pilot.press("end")
        await pilot.pause()
        assert reader.scroll_y > 0
        where = reader.scroll_y
        await pilot.press("q")
    again = new_app()
    async with again.run_test(size=(120, 14)) as pilot:
        await pilot.pause()
        assert again.screen.query_one(OutlineTree).cursor_node.data.id == "packets"
        screen = await open_packets(pilot)
        await pilot.pause()
        assert screen.query_one("#reader").scroll_y == where
