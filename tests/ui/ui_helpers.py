"""Small helpers shared by the UI tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

FIXTURE = Path(__file__).parent.parent / "data" / "course"
SIZE = (120, 36)


def text(widget: object) -> str:
    """The plain text a Static shows (markup removed)."""
    return str(widget.visual)  # type: ignore[attr-defined]
