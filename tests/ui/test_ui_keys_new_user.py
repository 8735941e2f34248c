"""Keys a new user tried: F1 (the help key of most programs) did nothing;
on the Glossary, ? and q type into the search box, and the footer said
nothing of how to get help or leave from there; the quick check's footer
was cut at 80 columns ("L La")."""

from __future__ import annotations

from textual.widgets import Input
from textual.widgets._footer import FooterKey
from ui_helpers import text

from tutor.screens.glossary import GlossaryScreen
from tutor.screens.help import HelpScreen
from tutor.screens.lesson import LessonScreen
from tutor.screens.quiz import QuizScreen


def footer(screen) -> tuple[list[str], list[str]]:
    """The footer's keys as shown, and those cut at the screen's edge."""
    width = screen.app.size.width
    keys = list(screen.query(FooterKey))
    shown = [f"{k.key_display} {k.description}" for k in keys]
    cut = [
        s for s, k in zip(shown, keys, strict=True) if k.region.width == 0 or k.region.right > width
    ]
    return shown, cut


async def test_f1_opens_help_even_while_typing_in_the_glossary(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "g")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert isinstance(app.focused, Input)
        await pilot.press("?")  # typed: it is a search
        await pilot.pause()
        assert app.screen.query_one("#search", Input).value == "?"
        shown, cut = footer(app.screen)
        # Said in the footer while typing: how to leave, get help and quit.
        assert {"esc Back", "F1 Help", "^q Quit"} <= set(shown) and cut == [], shown
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        said = " ".join(text(s) for s in app.screen.query(".help-column"))
        assert "F1" in said and "while typing" in said, said


async def test_the_quick_checks_footer_fits_80_columns(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        shown, cut = footer(app.screen)
        assert cut == [], shown
        await pilot.press("1")
        await pilot.pause()
        shown, cut = footer(app.screen)
        assert cut == [], shown
