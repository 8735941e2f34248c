"""Bugs a new user hit (issue 14), each as it was met: a glossary search
that matches nothing, state shown by colour only, glossary links that needed
a mouse, and the lab list and help when their lines wrap."""

from __future__ import annotations

from ui_helpers import SIZE, text

from tutor.screens.glossary import GlossaryScreen
from tutor.widgets.marked import MarkedCheckbox, MarkedRadioButton
from tutor.widgets.term_view import TermView


async def test_a_search_that_matches_nothing_clears_the_entry(app):
    async with app.run_test(size=SIZE) as pilot:
        app.action_glossary()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, GlossaryScreen)
        await pilot.press(*"tcp")
        await pilot.pause()
        await pilot.press("x", "x")
        await pilot.pause()
        # In a real terminal the list's highlight of TCP can arrive after the
        # search emptied it (seen in tmux; Pilot's timing never shows it):
        # deliver that late message by hand.
        from types import SimpleNamespace

        screen._highlighted(SimpleNamespace(option_id="tcp"))
        await pilot.pause()
        view = screen.query_one(TermView)
        assert "No term matches" in text(view.query_one("#term-text"))
        assert screen.query_one("#results").border_title == "0 terms"


async def test_ticked_and_picked_show_in_the_glyph_not_only_the_colour(app):
    from textual.app import App, ComposeResult
    from textual.widgets import RadioSet

    class Boxes(App[None]):
        def compose(self) -> ComposeResult:
            yield MarkedCheckbox("accept an untrusted certificate", id="box")
            with RadioSet():
                yield MarkedRadioButton("3 packets", id="three")
                yield MarkedRadioButton("4 packets", id="four")

    async with Boxes().run_test() as pilot:
        box = pilot.app.query_one("#box", MarkedCheckbox)
        assert "✓" not in box._button.plain and "X" not in box._button.plain
        box.value = True
        assert "✓" in box._button.plain
        three = pilot.app.query_one("#three", MarkedRadioButton)
        four = pilot.app.query_one("#four", MarkedRadioButton)
        three.value = True
        await pilot.pause()
        assert "●" in three._button.plain and "●" not in four._button.plain


async def test_the_lessons_terms_are_reachable_with_tab_and_enter(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the first lesson
        await pilot.pause()
        terms = app.screen.query_one("#lesson-terms")
        for _ in range(6):
            if app.focused is terms:
                break
            await pilot.press("tab")
        assert app.focused is terms
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.query_one(TermView).term is not None


async def test_a_wrapped_lab_list_line_stays_in_its_column(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        await pilot.pause()
        import io

        from rich.console import Console

        first = app.screen.query_one("#labs").get_option_at_index(0)
        out = io.StringIO()
        Console(width=76, color_system=None, file=out).print(first.prompt)
        rendered = out.getvalue().splitlines()
        assert len(rendered) > 3  # something wrapped at 80 columns
        assert all(line.startswith(" " * 15) for line in rendered[1:] if line.strip())
