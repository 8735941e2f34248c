"""At 80 columns every key the footer lists is on screen whole: a footer cut
at "? He" or "L La" hides the keys a new user looks for."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from tutor.screens.lesson import LessonScreen


def cut_keys(screen) -> list[str]:
    width = screen.app.size.width
    return [
        f"{k.key_display} {k.description}"
        for k in screen.query(FooterKey)
        if k.region.width == 0 or k.region.right > width
    ]


async def test_outline_and_lesson_footers_fit_80_columns(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query(FooterKey)
        assert cut_keys(app.screen) == []
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert cut_keys(app.screen) == []
        # The keys the footer leaves out still work here.
        await pilot.press("g")
        await pilot.pause()
        assert type(app.screen).__name__ == "GlossaryScreen"
        assert cut_keys(app.screen) == []
