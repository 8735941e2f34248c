"""In an 80x24 terminal the hex pane shows a row or two of the packet: picking
a field in the tree must bring its highlighted bytes on screen (tcp.flags.ack
is byte 33, on row 0020, below what the pane shows at first)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Tree

from labs.model.trace import loads
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.lab import LabScreen

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"


def rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_selecting_a_field_scrolls_its_bytes_into_the_hex_pane(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen("tcp-handshake")
        pilot.app.push_screen(screen)
        await pilot.pause()
        trace = loads((GOLDEN / "tcp-handshake" / "default" / "trace.json").read_text())
        screen.show_trace(trace)
        for _ in range(3):
            await pilot.pause()
        tree = screen.query_one("#fields", Tree)
        tcp = next(n for n in tree.root.children if str(n.label).startswith("TCP"))
        by_filter = {
            tcp_field.filter: node
            for node in tcp.children
            if node.data is not None and node.data[1] is not None
            for tcp_field in [trace.packets[0].layers[node.data[0]].fields[node.data[1]]]
        }
        for name, row in (("tcp.flags.ack", "0020"), ("tcp.srcport", "0010")):
            tree.focus()
            tree.move_cursor(by_filter[name])
            for _ in range(3):
                await pilot.pause()
            shown = rows(pilot.app)
            fld = next(f for f in trace.packets[0].layers[tcp.data[0]].fields if f.filter == name)
            assert any(f"(bytes {fld.offset}–" in line for line in shown), shown
            assert any(line.strip().startswith(row) for line in shown), (name, shown)
