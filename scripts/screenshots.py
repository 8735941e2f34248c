"""Regenerate the README's screenshots from the real app: the course outline
and the http-api lab screen after a run (`python scripts/screenshots.py`)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


async def main() -> None:
    os.environ.setdefault("TUTOR_HOME", tempfile.mkdtemp(prefix="tutor-shots-"))
    from textual.widgets import Tree

    from tutor.app import make_app
    from tutor.screens.lab import LabScreen
    from tutor.widgets.packet_view import PacketView

    DOCS.mkdir(exist_ok=True)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.save_screenshot(str(DOCS / "outline.svg"))
        lesson = app.course.lesson("requests-and-methods") or app.course.lessons[0]
        screen = LabScreen("http-api", lesson)
        app.push_screen(screen)
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen.action_wire()
        await pilot.pause()
        tree = screen.query_one("#fields", Tree)
        tree.focus()
        for _ in range(30):
            await pilot.press("down")
            node = tree.cursor_node
            if node is not None and node.data and node.data[1] is not None:
                li, fi = node.data
                if (
                    screen.query_one(PacketView).packet
                    and screen.query_one(PacketView).packet.layers[li].fields[fi].filter
                    == "tcp.flags"
                ):
                    break
        await pilot.pause()
        app.save_screenshot(str(DOCS / "lab.svg"))
    print(f"wrote {DOCS / 'outline.svg'} and {DOCS / 'lab.svg'}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
