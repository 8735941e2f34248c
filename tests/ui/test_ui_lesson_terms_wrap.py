"""A term's text wraps whole in a lesson's terms box: at 120x36 the DNS
lesson showed "Subdomain  A name below another in the tree: api.example.com
is a subdomain of" and lost "example.com.". The list measured its options
before its scrollbar took two columns, and kept those heights: a text one
or two cells longer than the box without the scrollbar lost its last line."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import OptionList

from tutor.app import make_app
from tutor.course import Glossary, Term
from tutor.progress import Store
from tutor.screens.lesson import LessonScreen


def long_terms() -> list[Term]:
    """Terms whose line is 60 to 115 cells long, one of each length: some
    are a cell or two wider than the box at any of the sizes tested."""
    terms = []
    for n, length in enumerate(range(60, 116)):
        name = f"Term{n:02d}"
        words = "word " * 30
        short = words[: length - len(name) - 2 - 5].rstrip() + " tail."
        terms.append(Term(f"t{n}", name, (), short, "x", (), "test"))
    return terms


def shown(app, box: OptionList) -> list[str]:
    rows = [strip.text for strip in app.screen._compositor.render_strips()]
    region = box.region
    return [
        r[region.x + 1 : region.right - 3].strip() for r in rows[region.y + 1 : region.bottom - 1]
    ]


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_term_in_the_box_is_shown_whole(course, size):
    terms = long_terms()
    first = course.modules[0]
    lesson = replace(first.lessons[0], terms=tuple(t.id for t in terms))
    module = replace(first, lessons=(lesson, *first.lessons[1:]))
    course = replace(
        course,
        modules=(module, *course.modules[1:]),
        glossary=Glossary((*course.glossary.terms, *terms)),
    )
    app = make_app(course, Store.memory())
    async with app.run_test(size=size) as pilot:
        app.push_screen(LessonScreen(lesson))
        await pilot.pause()
        box = app.screen.query_one("#lesson-terms", OptionList)
        box.focus()
        await pilot.pause()
        lines: list[str] = []
        for n in range(len(terms)):
            box.highlighted = n
            await pilot.pause()
            lines += shown(app, box)
        # Every term: its first line, then "tail." before the next term's.
        text = " ".join(" ".join(lines).split())
        for term in terms:
            start = text.index(f"{term.term} ")
            nxt = text.find("Term", start + 1)
            said = text[start : nxt if nxt > 0 else None]
            assert "tail." in said, (len(term.term) + 2 + len(term.short), said)
