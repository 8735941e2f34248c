"""The course outline: navigation, marks, unavailable lessons, resuming."""

from __future__ import annotations

from textual.widgets import Static
from ui_helpers import SIZE, text

from tutor.content import Lesson, Module
from tutor.screens.lesson import LessonScreen
from tutor.screens.outline import OutlineScreen, OutlineTree


async def test_outline_lists_modules_and_lessons_and_moves_with_arrows(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)
        tree = app.screen.query_one(OutlineTree)
        modules = [n.data for n in tree.root.children]
        assert [m.title for m in modules if isinstance(m, Module)] == [
            "How the Internet is layered",
            "Addresses",
        ]
        assert str(tree.root.children[0].label).endswith("0/2")
        # A first visit starts on the first lesson.
        assert tree.cursor_node.data.id == "packets"
        detail = app.screen.query_one("#detail-body", Static)
        assert "What is a packet?" in text(detail)
        await pilot.press("down")
        assert tree.cursor_node.data.id == "layers"
        assert "Envelopes inside envelopes" in text(detail)
        await pilot.press("down")
        assert isinstance(tree.cursor_node.data, Module)
        assert "Module 2: Addresses" in text(detail)
        # Only the module being read starts unfolded; enter unfolds another.
        assert tree.root.children[0].is_expanded and not tree.cursor_node.is_expanded
        await pilot.press("enter")
        assert tree.cursor_node.is_expanded
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "ip-addresses"


async def test_broken_lesson_is_unavailable_and_says_where(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(OutlineTree)
        broken = tree.root.children[1].children[1]
        assert isinstance(broken.data, Lesson) and not broken.data.available
        assert str(broken.label).startswith("✗")
        tree.root.children[1].expand()
        await pilot.pause()
        tree.move_cursor(broken)
        await pilot.pause()
        detail = text(app.screen.query_one("#detail-body", Static))
        assert "cannot be opened" in detail
        assert "02-addresses/02-ports.md" in detail and "line 13" in detail
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)  # nothing opened
        messages = [n.message for n in app._notifications]
        assert any("02-ports.md" in m and "line 13" in m for m in messages)
        # The content problem is also noted once at start-up.
        assert sum("content file has problems" in m for m in messages) == 1


async def test_marks_and_counts_follow_progress(app):
    app.store.mark_done("packets")
    app.store.mark_started("layers")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.screen.query_one(OutlineTree)
        module = tree.root.children[0]
        assert str(module.label).endswith("1/2")
        assert [str(n.label)[0] for n in module.children] == ["✓", "◐"]
