"""Every line of a lesson's code blocks fits the narrowest reader, so no
command output, ladder or table is cut off or broken mid-row.

The lesson screen at 80x24 shows a code block CODE_WIDTH columns wide and
crops the rest (a code block does not wrap, and the keyboard cannot scroll it
sideways); `tutor show` on an 80-column terminal has 78 and wraps the rest
onto a new line. CODE_WIDTH fits both; the last two tests check that it
still does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.cells import cell_len
from textual.widgets._markdown import MarkdownFence

from tutor.content import Lesson, content_root, course
from tutor.course import FRONT, Course

#: Columns a code-block line may take (a character of a wide script counts 2).
CODE_WIDTH = 68

COURSE = course()
LESSONS = [lesson for lesson in COURSE.lessons if lesson.available]


def code_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number in the file, text) of each line inside a code block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(FRONT, 1) + 1 if lines and lines[0].strip() == FRONT else 0
    body = lines[start:]
    for token in MarkdownIt("commonmark").parse("\n".join(body)):
        if token.type not in ("fence", "code_block") or token.map is None:
            continue
        count = len(token.content.splitlines())
        if token.type == "code_block":
            first, shown = token.map[0], token.content.splitlines()
        else:
            # The source line, not the token's text: inside a list or a quote
            # the reader indents the block too, about as much as the source.
            first = token.map[0] + 1
            shown = body[first : first + count]
        for i, text in enumerate(shown):
            yield start + first + i + 1, text


def too_wide(lesson: Lesson) -> list[str]:
    return [
        f"{lesson.path}:{n}: {cell_len(text)} columns: {text}"
        for n, text in code_lines(content_root().parent / lesson.path)
        if cell_len(text) > CODE_WIDTH
    ]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_code_block_lines_fit_the_reader(lesson):
    wide = too_wide(lesson)
    assert wide == [], f"code lines wider than {CODE_WIDTH} columns:\n" + "\n".join(wide)


def test_a_wide_line_is_found_and_named(tmp_path):
    long = "x" * (CODE_WIDTH + 1)
    path = tmp_path / "01-a.md"
    path.write_text(
        f'+++\nid = "a"\n+++\nText.\n\n```\n{"y" * CODE_WIDTH}\n{long}\n```\n\n'
        f"- item\n\n  ```\n  {'z' * (CODE_WIDTH - 1)}\n  ```\n",
        encoding="utf-8",
    )
    # the second line of the block, and the indented line inside the list item
    assert [n for n, text in code_lines(path) if cell_len(text) > CODE_WIDTH] == [8, 14]


def fitting_lesson() -> tuple[Course, Lesson, str]:
    """The course with its first lesson's body one code block holding a line
    of exactly CODE_WIDTH columns (which ends in a mark, so a cut shows)."""
    line = ("0123456789" * 10)[: CODE_WIDTH - 1] + "#"
    first = COURSE.modules[0]
    lesson = replace(first.lessons[0], body=f"```\n{line}\n```\n", objectives=())
    module = replace(first, lessons=(lesson, *first.lessons[1:]))
    return replace(COURSE, modules=(module, *COURSE.modules[1:])), lesson, line


async def test_the_lesson_screen_at_80x24_shows_such_a_line_whole():
    from tutor.app import make_app
    from tutor.progress import Store

    changed, lesson, line = fitting_lesson()
    app = make_app(course=changed, store=Store.open())
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lesson(lesson)
        await pilot.pause()
        await pilot.pause()
        fence = app.screen.query_one(MarkdownFence)
        fence.scroll_visible(animate=False)
        await pilot.pause()
        shown = [strip.text for strip in app.screen._compositor.render_strips()]
        assert any(line in row for row in shown), "\n".join(shown)


def test_tutor_show_at_80_columns_prints_such_a_line_on_one_row(monkeypatch, capsys):
    from tutor.commands.show import print_rich

    changed, lesson, line = fitting_lesson()
    monkeypatch.setenv("COLUMNS", "80")
    print_rich(changed, lesson)
    out = capsys.readouterr().out
    assert any(line in row for row in out.splitlines()), out
