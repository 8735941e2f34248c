"""`tutor glossary --review`: Esc ends the review and returns to the shell the
learner came from; it dropped them into the full course outline."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from tutor.app import make_app
from tutor.progress import Store
from tutor.review import Review
from tutor.screens.glossary import GlossaryScreen
from tutor.screens.outline import OutlineScreen
from tutor.screens.review import ReviewScreen


async def test_esc_in_a_review_started_from_the_shell_quits(course):
    store = Store.memory()
    Review(store).schedule(["port"], "lesson")
    app = make_app(course, store, start="review")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        keys = {f"{k.key_display} {k.description}" for k in app.screen.query(FooterKey)}
        assert "esc End review" in keys, keys
        # g goes to the glossary; Esc there comes back to the review, not out.
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.return_code is None
        await pilot.press("escape")
        await pilot.pause()
        assert app.return_code == 0
        assert not isinstance(app.screen, OutlineScreen)


async def test_esc_in_a_review_opened_in_the_app_goes_back(course):
    store = Store.memory()
    Review(store).schedule(["port"], "lesson")
    app = make_app(course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        keys = {f"{k.key_display} {k.description}" for k in app.screen.query(FooterKey)}
        assert "esc Back" in keys, keys
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen) and app.return_code is None
