"""Small helpers shared by the UI tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "data" / "course"
SIZE = (120, 36)


def text(widget: object) -> str:
    """The plain text a Static shows (markup removed; a rich renderable, such
    as the help's grids, printed as plain text)."""
    import io

    from rich.console import Console
    from rich.text import Text

    content = widget.content  # type: ignore[attr-defined]
    if isinstance(content, str | Text):
        return str(widget.visual)  # type: ignore[attr-defined]
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(content)
    return out.getvalue()
