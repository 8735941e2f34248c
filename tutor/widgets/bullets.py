"""A bulleted list whose items wrap under their own text, not under the
bullet: markup text wraps back to its first column, so a list written as
lines of "  • item" went on at column 0 once an item was wider than its pane."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text


def bullet_list(items: Sequence[str]) -> Table:
    """Each item (plain text) after "  •", as a two-column grid."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row("  •", Text(item))
    return grid


def with_bullets(before: str, items: Sequence[str], after: str = "") -> RenderableType:
    """Markup `before`, the items as a `bullet_list`, then markup `after`."""
    parts: list[RenderableType] = [Text.from_markup(before, emoji=False), bullet_list(items)]
    if after:
        parts.append(Text.from_markup(after, emoji=False))
    return Group(*parts)


__all__ = ["bullet_list", "with_bullets"]
