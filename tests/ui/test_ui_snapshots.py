"""Snapshots of the key screens, on the frozen fixture course.

Update after an intended change with `pytest tests/ui --snapshot-update`, and
look at the new SVGs before committing them.
"""

from __future__ import annotations

from ui_helpers import SIZE

from tutor.app import make_app
from tutor.progress import Store


def app_with_progress(course):
    store = Store.memory()
    store.mark_done("layers")
    return make_app(course, store)


def test_outline(snap_compare, course):
    assert snap_compare(app_with_progress(course), terminal_size=SIZE)


def test_lesson(snap_compare, course):
    assert snap_compare(app_with_progress(course), terminal_size=SIZE, press=["enter"])


def test_quick_check_feedback(snap_compare, course):
    assert snap_compare(app_with_progress(course), terminal_size=SIZE, press=["enter", "c", "1"])


def test_glossary_entry(snap_compare, course):
    async def open_tcp(pilot) -> None:
        pilot.app.action_glossary("tcp")
        await pilot.pause()

    assert snap_compare(app_with_progress(course), terminal_size=SIZE, run_before=open_tcp)
