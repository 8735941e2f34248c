"""SQL quick checks graded on real query results: every SQL check of the
course has exactly one choice whose rows equal those of its own query on the
web-app-db lab's PostgreSQL (and that is its stored `answer`); the grader
and the quick-check screen run the queries and show what came back."""

from __future__ import annotations

import pytest

from labs.api import get, run_lab
from tutor.app import make_app
from tutor.content import load_course
from tutor.course import Check, Lesson
from tutor.progress import Store
from tutor.screens.quiz import QuizScreen
from tutor.sqlcheck import grade

COURSE = load_course()
SQL_CHECKS = [
    (lesson, n, check)
    for lesson in COURSE.lessons
    for n, check in enumerate(lesson.checks)
    if check.sql
]


def test_the_course_has_sql_checks():
    assert len(SQL_CHECKS) >= 4
    assert {lesson.lab for lesson, _n, _c in SQL_CHECKS} == {"web-app-db"}


@pytest.mark.parametrize(
    ("lesson", "n", "check"), SQL_CHECKS, ids=[f"{x.id}-{n + 1}" for x, n, _c in SQL_CHECKS]
)
def test_only_the_stored_answer_returns_the_same_rows(reconstructed, lesson: Lesson, n, check):
    request = get(lesson.lab or "").request(given={"sql": (check.sql, *check.choices)})
    facts = {f.name: f.value for f in run_lab(request).facts}
    kind = "rows" if "order by" in check.sql.lower() else "set"
    want = facts[f"{kind}_1"]
    same = [i for i in range(len(check.choices)) if facts.get(f"{kind}_{i + 2}") == want]
    assert same == [check.answer]


def _lisbon() -> Check:
    return next(c for _lesson, _n, c in SQL_CHECKS if "Lisbon" in c.question)


def test_grade_runs_the_queries_and_shows_the_rows(reconstructed):
    check = _lisbon()
    right = grade("web-app-db", check, check.answer)
    assert right.correct is True and right.problem == ""
    assert right.rows.splitlines() == ["name", "Ana Lima", "Dana Cohen"]
    wrong = grade("web-app-db", check, (check.answer + 1) % len(check.choices))
    assert wrong.correct is False and wrong.rows


def test_a_query_that_fails_is_wrong_and_says_why(reconstructed):
    groups = next(c for _lesson, _n, c in SQL_CHECKS if "each status" in c.question)
    failing = groups.choices.index("SELECT status, count(*) FROM orders")
    result = grade("web-app-db", groups, failing)
    assert result.correct is False and "GROUP BY" in result.rows


async def test_the_quick_check_screen_grades_on_real_rows(reconstructed):
    lesson = next(lesson for lesson, _n, _c in SQL_CHECKS)
    app = make_app(COURSE, Store.open())
    async with app.run_test(size=(120, 36)) as pilot:
        await app.push_screen(QuizScreen(lesson))
        await pilot.pause()
        first = lesson.checks[0]
        await pilot.press(str(first.answer + 1))
        await app.workers.wait_for_complete()
        await pilot.pause()
        feedback = str(app.screen.query_one("#feedback").visual)  # type: ignore[attr-defined]
        assert feedback.startswith("✓ Right.") and "Your query returned" in feedback
        assert "Dana Cohen" in feedback
        answers = [(a.question, a.choice, a.correct) for a in app.store.answers(lesson.id, "check")]
        assert answers == [(0, first.answer, True)]
