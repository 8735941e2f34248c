"""The review says when more new terms wait than today's allowance: a capture
said 34 terms "joined your review: R reviews them", and R showed "15 new"
with no word of the other 19."""

from __future__ import annotations

import pytest

from tutor.app import make_app
from tutor.content import Course, load_course
from tutor.progress import Store
from tutor.review import NEW_PER_DAY, Review
from tutor.screens.review import ReviewScreen


@pytest.fixture(scope="module")
def real() -> Course:
    """The real course: the fixture's glossary is smaller than a day's allowance."""
    return load_course()


async def test_the_review_says_how_many_new_terms_wait_for_later_days(real):
    course = real
    store = Store.memory()
    terms = [t.id for t in course.glossary.terms][: NEW_PER_DAY + 5]
    assert len(terms) == NEW_PER_DAY + 5
    Review(store).schedule(terms, "capture")
    app = make_app(course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        count = str(app.screen.query_one("#count").render())
        assert f"{NEW_PER_DAY} new today; 5 more wait: {NEW_PER_DAY} new a day" in count, count
        await pilot.press("space", "3")
        await pilot.pause()
        count = str(app.screen.query_one("#count").render())
        assert f"{NEW_PER_DAY - 1} new today; 5 more wait" in count, count


async def test_no_word_of_waiting_when_all_new_terms_fit_today(course):
    store = Store.memory()
    Review(store).schedule([t.id for t in course.glossary.terms][:3], "capture")
    app = make_app(course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        count = str(app.screen.query_one("#count").render())
        assert "3 new" in count and "wait" not in count, count
