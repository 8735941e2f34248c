"""Lesson titles too long for the outline end in "…": at 80x24 the tree
cropped them silently ("Layers: how the Internet splits the wor")."""

from __future__ import annotations

import pytest

from tutor.app import make_app
from tutor.content import course as installed_course
from tutor.progress import Store
from tutor.screens.outline import OutlineScreen, OutlineTree


def tree_rows(app, tree: OutlineTree) -> list[str]:
    """The tree's rows as the terminal shows them, inside its border and padding."""
    region = tree.scrollable_content_region
    strips = app.screen._compositor.render_strips()
    return [s.text[region.x : region.right] for s in strips[region.y : region.bottom]]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_lesson_titles_are_whole_or_end_in_an_ellipsis(size):
    app = make_app(installed_course(), Store.open())
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, OutlineScreen)
        tree = app.screen.query_one(OutlineTree)
        tree.root.children[2].expand()  # a third module: the tree scrolls at 80x24
        await pilot.pause()
        rows = tree_rows(app, tree)
        shown = [node for module in tree.root.children[:3] for node in module.children]
        cut = 0
        top = tree.scroll_offset.y
        for node in shown:
            title = node.data.title  # type: ignore[union-attr]
            if not 0 <= node.line - top < len(rows):
                continue  # scrolled out of sight
            row = rows[node.line - top]
            said = row[row.index(title[:8]) :].rstrip()
            if said != title:
                cut += 1
                assert said.endswith("…") and title.startswith(said[:-1]), (title, said)
        assert cut > 0 if size[0] == 80 else cut == 0
        assert len(shown) - cut > 0  # the short ones whole
