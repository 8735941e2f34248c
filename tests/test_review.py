"""Spaced-repetition review: terms met are scheduled, due ones come first,
grades move the due date the way FSRS says, and all of it survives a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tutor.progress import Store
from tutor.review import Review, when


def test_met_terms_are_scheduled_once_and_due_now(tmp_path):
    review = Review(Store.open(tmp_path))
    assert review.schedule(["tcp", "udp", "tcp"], "lesson:x") == 2
    assert review.schedule(["tcp"], "lab:y") == 0
    assert sorted(review.due_terms()) == ["tcp", "udp"]
    assert review.status().count == 2


def test_grading_moves_the_card_into_the_future(tmp_path):
    review = Review(Store.open(tmp_path))
    review.schedule(["tcp", "udp"], "lesson:x")
    now = datetime.now(UTC)
    easy = review.grade("tcp", 4, now)
    again = review.grade("udp", 1, now)
    assert easy > now + timedelta(days=1)  # known well: days away
    assert now < again < now + timedelta(hours=1)  # forgotten: minutes away
    assert review.due_terms() == []
    assert review.status().next_due is not None


def test_review_survives_a_restart(tmp_path):
    review = Review(Store.open(tmp_path))
    review.schedule(["dns"], "lesson:x")
    review.store.close()
    again = Review(Store.open(tmp_path))
    assert again.due_terms() == ["dns"]


def test_when_reads_naturally():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert when(now + timedelta(days=3), now) == "in 3 days"
    assert when(now + timedelta(minutes=10), now) == "in 10 minutes"
    assert when(now, now) == "now"


def test_new_terms_are_capped_per_day_and_counts_agree(tmp_path):
    from tutor.review import NEW_PER_DAY

    review = Review(Store.open(tmp_path))
    review.schedule([f"term-{n:03d}" for n in range(NEW_PER_DAY + 20)], "lab:x")
    due = review.due_terms()
    assert len(due) == NEW_PER_DAY == review.status().count
    assert due[0] == "term-000"  # in the order they were met
    review.grade(due[0], 3)
    # One new term started today: one fewer new term left for today.
    assert len(review.due_terms()) == NEW_PER_DAY - 1 == review.status().count


def test_terms_met_are_new_until_graded_then_due(tmp_path):
    """A first lab run meets many terms: they are new, to learn, not "due for
    review" (the outline said "15 terms due for review" before any lesson);
    a graded term falls due again at the date FSRS gives it."""
    review = Review(Store.open(tmp_path))
    assert review.status().title() == ""
    review.schedule(["tcp", "udp", "dns"], "lab:http-api")
    status = review.status()
    assert (status.count, status.reviews, status.new) == (3, 0, 3)
    assert status.title() == "3 new terms to learn"
    now = datetime.now(UTC)
    review.grade("tcp", 1, now)  # Again: due in minutes
    later = (now + timedelta(hours=1)).timestamp()
    assert review.queue(later) == (["tcp"], ["dns", "udp"])  # met together: by id
    assert review.status(later).title() == "1 due for review, 2 new"
    review.grade("udp", 4, now)  # Easy: days away (Good on a new card: minutes)
    review.grade("dns", 4, now)
    assert review.status(later).title() == "1 term due for review"
    assert review.status(now.timestamp()).title() == ""
