"""The real course content: loads cleanly, links resolve, every lesson is
complete, quick checks are answerable, labs and facts named by lessons exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labs import registry
from tutor.content import Course, link_problems, load_course

FACTS_MD = Path(registry.__file__).parent / "FACTS.md"


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


def known_facts() -> dict[str, set[str]]:
    facts: dict[str, set[str]] = {}
    for line in FACTS_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*([a-z0-9-]+)\s*\|\s*([a-z0-9_]+)\s*\|", line)
        if m and m.group(1) != "lab":
            facts.setdefault(m.group(1), set()).add(m.group(2))
    return facts


def test_the_course_loads_without_problems(course):
    assert [str(p) for p in course.problems] == []


def test_ten_modules_in_order(course):
    assert [m.number for m in course.modules] == list(range(1, 11))


def test_every_module_has_lessons(course):
    assert [m.number for m in course.modules if not m.lessons] == []


def test_every_lesson_is_complete(course):
    incomplete = []
    for lesson in course.lessons:
        missing = [
            what
            for what, ok in (
                ("objectives", lesson.objectives),
                ("sources", lesson.sources),
                ("3 checks", len(lesson.checks) >= 3),
                ("body", len(lesson.body.split()) >= 300),
                ("why-this-matters part", "why this matters" in lesson.body.lower()),
            )
            if not ok
        ]
        if missing:
            incomplete.append(f"{lesson.path}: missing {', '.join(missing)}")
    assert incomplete == []


def test_glossary_links_resolve_and_terms_are_listed(course):
    problems = [str(p) for lesson in course.lessons for p in link_problems(lesson, course.glossary)]
    assert problems == []


def test_related_terms_exist(course):
    dangling = [
        f"{t.path}: related {r!r}"
        for t in course.glossary.terms
        for r in t.related
        if course.glossary.get(r) is None
    ]
    assert dangling == []


def test_every_term_has_a_source_and_plain_explanation(course):
    bad = [
        t.id for t in course.glossary.terms if not t.source.strip() or len(t.explain.split()) < 12
    ]
    assert bad == []


def test_quick_check_answers_are_among_the_choices(course):
    for lesson in course.lessons:
        for check in lesson.checks:
            assert 0 <= check.answer < len(check.choices), lesson.path
            assert len(set(check.choices)) == len(check.choices), (
                f"{lesson.path}: duplicate choices"
            )


def test_labs_named_by_lessons_exist(course):
    lab_ids = {info.id for info in registry.specs()}
    assert {lesson.lab for lesson in course.lessons if lesson.lab} <= lab_ids


def test_every_lab_has_a_lesson(course):
    used = {lesson.lab for lesson in course.lessons if lesson.lab}
    assert {info.id for info in registry.specs()} - used == set()


def test_predict_questions_name_facts_their_lab_reports(course):
    facts = known_facts()
    wrong = [
        f"{lesson.path}: {p.fact!r} is not a fact of {lesson.lab}"
        for lesson in course.lessons
        for p in lesson.predicts
        if p.fact not in facts.get(lesson.lab or "", set())
    ]
    assert wrong == []


def test_lesson_ids_are_unique(course):
    ids = [lesson.id for lesson in course.lessons]
    assert len(ids) == len(set(ids))


def test_no_lesson_repeats_its_title_as_a_heading(course):
    """The reader and `tutor show` print the title; a `# heading` opening the
    body (the title again, or a shorter form of it) would print it twice."""
    repeated = []
    for lesson in course.lessons:
        first = next((line for line in lesson.body.splitlines() if line.strip()), "")
        if first.startswith("# "):
            repeated.append(f"{lesson.path}:{lesson.body_line}: {first!r}")
    assert repeated == []
