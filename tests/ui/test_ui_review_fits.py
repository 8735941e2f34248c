"""The review at 80x24, where R from a capture or a lab lands: the card is
inside the screen (its prompt was cut at "Say it to yourself"), and the footer
offers space until the answer is shown, then the grades, every key whole
(with all of them at once it was cut at "g")."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from tutor.app import make_app
from tutor.progress import Store
from tutor.review import Review
from tutor.screens.review import ReviewScreen


def footer(screen) -> tuple[list[str], list[str]]:
    """The footer's keys, and those cut at the screen's edge."""
    keys = list(screen.query(FooterKey))
    width = screen.app.size.width
    cut = [k.key for k in keys if k.region.width == 0 or k.region.right > width]
    return [k.key for k in keys], cut


async def test_the_review_card_and_its_keys_fit_80_columns(course):
    store = Store.memory()
    Review(store).schedule(["port", "tcp"], "capture")
    app = make_app(course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        card = screen.query_one("#card")
        assert card.region.right <= 80, card.region
        keys, cut = footer(screen)
        assert "space" in keys and "3" not in keys and cut == [], (keys, cut)
        await pilot.press("space")
        await pilot.pause()
        keys, cut = footer(screen)
        assert {"1", "2", "3", "4"} <= set(keys) and "space" not in keys, keys
        assert cut == [], cut
        await pilot.press("3")
        await pilot.pause()
        assert screen.done == 1 and "space" in footer(screen)[0]
