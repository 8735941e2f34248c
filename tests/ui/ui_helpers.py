"""Small helpers shared by the UI tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.screens.capture import CaptureScreen

FIXTURE = Path(__file__).parent.parent / "data" / "course"
SIZE = (120, 36)


async def loaded(pilot: object) -> CaptureScreen:
    """The capture screen once its file has been read (the worker done, the
    panes filled)."""
    from tutor.screens.capture import CaptureScreen

    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.app.workers.wait_for_complete()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, CaptureScreen)
    return screen


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
