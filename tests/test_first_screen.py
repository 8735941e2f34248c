"""The first screen, made cheap (issue 14, item 6): the parsed course comes
from a cache that notices every edit, the outline imports no parser and no
Rich emoji table, and what only titles the outline (the count of terms due)
or repeats its work (the first ScreenResume) waits until after the first
paint — with the same outline once it settles. (How long it takes is
measured by `make bench`, scripts/bench_first_screen.py, not here.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tutor.app import make_app
from tutor.content import load_course
from tutor.course_cache import CACHE_NAME, cache_dir, cached_course
from tutor.progress import Store
from tutor.review import Review
from tutor.screens.outline import OutlineScreen, OutlineTree

FIXTURE = Path(__file__).parent / "data" / "course"
SIZE = (120, 36)


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the fixture course without its broken lesson (a course with
    problems is never cached)."""
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    (root / "02-addresses" / "02-ports.md").unlink()
    assert load_course(root).problems == ()
    return root


class Loads:
    """load_course, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, root: Path):
        self.calls += 1
        return load_course(root)


def test_the_second_start_reads_the_course_from_the_cache(content):
    load = Loads()
    first = cached_course(content, load)
    again = cached_course(content, load)
    assert load.calls == 1 and again == first
    cached = cache_dir() / CACHE_NAME
    assert cached.stat().st_mode & 0o777 == 0o600


def test_an_edited_lesson_is_parsed_again(content):
    load = Loads()
    cached_course(content, load)
    lesson = next(content.rglob("*.md"))
    text = lesson.read_text()
    lesson.write_text(text.replace('title = "', 'title = "Edited ', 1))
    course = cached_course(content, load)
    assert load.calls == 2
    assert any(x.title.startswith("Edited ") for x in course.lessons)


def test_a_new_file_is_noticed(content):
    load = Loads()
    cached_course(content, load)
    (content / "notes.txt").write_text("a file the course did not have")
    cached_course(content, load)
    assert load.calls == 2


def test_a_cache_others_could_write_is_not_unpickled(content):
    load = Loads()
    cached_course(content, load)
    (cache_dir() / CACHE_NAME).chmod(0o666)
    cached_course(content, load)
    assert load.calls == 2


def test_a_damaged_cache_means_parsing_again(content):
    load = Loads()
    cached_course(content, load)
    (cache_dir() / CACHE_NAME).write_bytes(b"\x80\x05not a pickle")
    assert cached_course(content, load) == load_course(content)
    assert load.calls == 2


def test_a_course_with_problems_is_not_cached():
    load = Loads()
    course = cached_course(FIXTURE, load)
    assert course.problems  # the fixture has a broken lesson on purpose
    cached_course(FIXTURE, load)
    assert load.calls == 2
    assert not (cache_dir() / CACHE_NAME).exists()


def test_the_outline_on_a_cache_hit_imports_no_parser_and_no_emoji_table(tmp_path):
    code = """
        import asyncio, json, sys
        from tutor.app import make_app

        async def run():
            app = make_app()
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                assert type(app.screen).__name__ == "OutlineScreen"

        asyncio.run(run())
        print(json.dumps(sorted(sys.modules)))
    """
    env = {**os.environ, "TUTOR_HOME": str(tmp_path / "home")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        for _ in range(2)  # the first fills the cache, as after an install
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr
    first, loaded = (json.loads(r.stdout) for r in runs)
    assert "tutor.content" in first  # parsed: the test can fail
    assert "tutor.screens.outline" in loaded  # the outline really showed
    assert [m for m in ("tomllib", "tutor.content", "tutor.lesson_files") if m in loaded] == []
    assert "rich._emoji_codes" not in loaded


async def test_the_terms_due_title_the_outline_once_it_is_painted():
    course = load_course(FIXTURE)
    store = Store.memory()
    Review(store).schedule(["tcp", "packet"], "lesson:test")
    app = make_app(course, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(OutlineTree)
        # Met, never reviewed: new terms to learn, not due for review.
        assert tree.border_title == "Course · 2 new terms to learn (R)"


async def test_the_title_and_the_review_tell_due_terms_from_new_ones():
    from datetime import UTC, datetime, timedelta

    from tutor.screens.review import ReviewScreen

    store = Store.memory()
    review = Review(store)
    review.schedule(["tcp", "packet"], "lab:tcp-handshake")
    review.grade("tcp", 1, datetime.now(UTC) - timedelta(hours=1))  # Again, an hour ago: due
    app = make_app(load_course(FIXTURE), store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(OutlineTree)
        assert tree.border_title == "Course · 1 due for review, 1 new (R)"
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.current == "tcp"
        count = app.screen.query_one("#count")
        assert str(count.render()) == "1 due · 1 new · 0 reviewed"
        await pilot.press("space", "3")
        await pilot.pause()
        assert app.screen.current == "packet"
        assert str(count.render()) == "1 new · 1 reviewed"


async def test_marks_change_when_coming_back_to_the_outline():
    """The first ScreenResume is skipped (on_mount has just made the marks);
    every later one, coming back from a lesson, redraws them."""
    course = load_course(FIXTURE)
    store = Store.memory()
    app = make_app(course, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(OutlineTree)
        module = tree.root.children[0]
        assert [str(n.label)[0] for n in module.children] == ["○", "○"]
        await pilot.press("enter")  # opens the lesson under the cursor
        await pilot.pause()
        assert not isinstance(app.screen, OutlineScreen)
        for lesson in module.data.lessons:
            store.mark_done(lesson.id)
        app.pop_screen()
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)
        assert [str(n.label)[0] for n in module.children] == ["✓", "✓"]
        assert str(module.label).endswith("2/2")
