"""What a user met at 80x24: ports cut without a mark in the packet list
(59133 read as 5913), a ladder whose rows wrapped onto stray `|` lines with
a host missing from its heading, and a help whose "r" said Review where a lab
runs. Each as it was met."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from ui_helpers import SIZE, text

from labs.model.trace import Trace, loads
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.diagrams import LadderView, TraceDiagrams
from tutor.widgets.packet_table import endpoints

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"


def handshake(slow: bool = True) -> Trace:
    """The tcp-handshake run (loopback: one address, many ports, 3 ladder
    hosts), its last packet late as in a live run (a wider time column)."""
    trace = loads((GOLDEN / "tcp-handshake" / "default" / "trace.json").read_text())
    if not slow:
        return trace
    last = replace(trace.packets[-1], time=1.9385)
    return replace(trace, packets=(*trace.packets[:-1], last))


def test_endpoints_drop_only_a_repeated_address():
    assert endpoints("127.0.0.1:41302", "127.0.0.1:59133") == "127.0.0.1:41302 → 127.0.0.1:59133"
    assert endpoints("127.0.0.1:41302", "127.0.0.1:59133", short=True) == "127.0.0.1:41302 → :59133"
    assert endpoints("[::1]:41302", "[::1]:80", short=True) == "[::1]:41302 → :80"
    assert endpoints("10.0.0.1:5", "10.0.0.2:80", short=True) == "10.0.0.1:5 → 10.0.0.2:80"
    assert endpoints("aa:bb:cc:dd:ee:ff", "ff:ff:ff:ff:ff:ff", short=True).count("→") == 1


@pytest.mark.parametrize("size", [(80, 24), (72, 24), SIZE], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_no_port_in_the_packet_list_is_cut_without_a_mark(course, size):
    trace = handshake()
    async with make_app(course, Store.memory()).run_test(size=size) as pilot:
        screen = LabScreen("tcp-handshake")
        pilot.app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        for _ in range(3):
            await pilot.pause()
        table = screen.query_one("#packets", DataTable)
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert sum(widths) <= table.scrollable_content_region.width, widths
        ends = widths[-1] - 2 * table.cell_padding
        for p in trace.packets:
            cell = str(table.get_row(str(p.index))[-1])
            port = p.dst.rsplit(":", 1)[1]
            # Whole (the destination's port at its end) or visibly cut.
            assert (len(cell) <= ends and cell.endswith(":" + port)) or cell.endswith("…"), cell


@pytest.mark.parametrize("size", [(80, 24), SIZE], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_ladder_fits_its_pane_with_every_host_named(size):
    from textual.app import App, ComposeResult

    trace = handshake(slow=False)

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield TraceDiagrams()

        def on_mount(self) -> None:
            self.query_one(TraceDiagrams).show(trace)

    app = Host()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.pause()
        ladder = app.query_one(LadderView)
        # One row an arrow: none wrapped onto a second line.
        assert ladder.virtual_size.height == ladder.option_count == len(trace.packets)
        width = ladder.scrollable_content_region.width
        for n in range(ladder.option_count):
            assert len(str(ladder.get_option_at_index(n).prompt)) <= width
        head = text(app.query_one("#ladder-head", Static))
        assert len(head.rstrip()) <= app.size.width
        for host in ("127.0.0.1 (client)", "127.0.0.1:48533", "127.0.0.1:42845"):
            assert host in head, head


async def test_help_says_where_an_app_key_does_something_else(app):
    from tutor.screens.help import sections

    found = dict(sections(type(app)))
    everywhere = dict(found["Everywhere"])
    # R reviews on every screen (r makes the trace on the trace screens).
    assert everywhere["R"] == "Review the glossary terms you met" and "r" not in everywhere
    assert everywhere["q"] == "Quit"  # no screen gives q another job
    assert ("o", "Open a capture file") in found["Course outline"]
    assert ("c", "Conversations") in found["Capture file"]
    assert ("r", "Read the file again") in found["Capture file"]
