"""`tutor show`, `tutor glossary` and `tutor lessons` into a pipe: the width
`tutor explain` writes in (COLUMNS, else 100: `tutor.tracetext.text_width`),
and a lesson's Markdown as text to read: prose wrapped, headings on a line of
their own, list items under their bullet, code blocks line for line, tables
as columns, glossary links as their words. They printed the raw Markdown,
lines of a paragraph up to 150 columns, whatever COLUMNS said."""

from __future__ import annotations

import re

import pytest

from tutor.cli import main
from tutor.content import course

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
#: The line under a Markdown table's header.
RULE = re.compile(r"\s*\|[\s:|-]*---[\s:|-]*")


def out_of(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def code_lines(body: str) -> set[str]:
    """Every line of the body's code blocks: kept as they are, never wrapped."""
    return {line.strip() for block in FENCE.findall(body) for line in block.splitlines()}


def too_wide(text: str, width: int, allowed: frozenset[str] | set[str] = frozenset()) -> list[str]:
    return [x for x in text.splitlines() if len(x) > width and x.strip() not in allowed]


@pytest.mark.parametrize("columns", [80, 60])
def test_every_lesson_fits_columns_and_keeps_its_code_blocks(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    for lesson in course().lessons:
        if not lesson.available:
            continue
        out = out_of(capsys, "show", lesson.id)
        code = code_lines(lesson.body)
        assert too_wide(out, columns, code) == [], lesson.id
        shown = {line.strip() for line in out.splitlines()}
        assert code <= shown, (lesson.id, sorted(code - shown)[:3])  # line for line
        assert "```" not in out and "[[" not in out, lesson.id
        assert not [x for x in out.splitlines() if RULE.fullmatch(x)], lesson.id
        assert not [x for x in out.splitlines() if x.startswith("#")], lesson.id


def test_a_lesson_reads_as_text(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    lesson = course().lesson("encapsulation")
    assert lesson is not None
    lines = out_of(capsys, "show", "encapsulation").splitlines()
    # A heading on its own line, underlined, with no Markdown marks.
    at = lines.index("Four envelopes for one request")
    assert lines[at + 1] == "-" * len(lines[at]) and lines[at - 1] == ""
    # List items: a bullet, the rest of the item under its first word.
    item = next(i for i, x in enumerate(lines) if x.startswith("  • TCP header + payload is a"))
    assert lines[item + 1].startswith("    ") and lines[item + 1].strip()
    numbered = next(i for i, x in enumerate(lines) if x.startswith("  1. The network card checks"))
    assert lines[numbered + 1].startswith("     ") and lines[numbered + 1].strip()
    # Bold marks are gone; a link is its words and the mark after them.
    assert any("a segment° (here 32 + 155 = 187 bytes)" in x for x in lines)
    assert not [x for x in lines if "**" in x]
    # A table's columns, its header ruled off.
    head = next(i for i, x in enumerate(lines) if x.split()[:2] == ["Envelope", "Added"])
    assert set(lines[head + 1].strip()) == {"─"}


def test_a_pipe_without_columns_is_100_wide(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    out = out_of(capsys, "show", "encapsulation")
    assert 88 < max(len(x) for x in out.splitlines()) <= 100


def test_glossary_entries_and_lists_fit_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    for argv in (("glossary", "tcp"), ("glossary", "pack"), ("glossary",)):
        assert too_wide(out_of(capsys, *argv), 50) == [], argv
    # A listed term's definition goes on under its own column.
    lines = out_of(capsys, "glossary", "pack").splitlines()
    first = next(i for i, x in enumerate(lines) if len(x) > 40)
    column = len(lines[first]) - len(lines[first].split("  ", 1)[1].lstrip())
    assert lines[first + 1].startswith(" " * column) and lines[first + 1].strip()


def test_lessons_fit_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")
    out = out_of(capsys, "lessons")
    assert too_wide(out, 70) == []
    assert "✓ done" in out and "tcp-handshake" in out
