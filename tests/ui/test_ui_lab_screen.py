"""The lab screen on stored lab runs (no network): it fits 80x24, the tree
opens at the lab's protocol, the display filter, evidence scrolled into
view, End, maximising a pane, and secrets in the packet list after S."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static, Tree

from labs.model.trace import loads
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.packet_view import PacketView

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"


def stored(lab: str) -> object:
    return loads((GOLDEN / lab / "default" / "trace.json").read_text())


async def lab_screen(pilot, lab: str, trace) -> LabScreen:
    screen = LabScreen(lab)
    pilot.app.push_screen(screen)
    await pilot.pause()
    screen.show_trace(trace)
    await pilot.pause()
    await pilot.pause()
    return screen


def visible(widget) -> bool:
    return widget.display and widget.region.height > 0 and widget.region.width > 0


async def test_80x24_shows_packets_tree_and_bytes_with_what_happened(course):
    trace = stored("dns")
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await lab_screen(pilot, "dns", trace)
        table = screen.query_one("#packets", DataTable)
        # Folded after the run: the target box gives its rows to the packets.
        assert not visible(screen.query_one("#lab-bar"))
        assert table.region.height >= 5
        assert [str(c.label) for c in table.columns.values()][2] == "What happened"
        assert table.region.right <= 80
        assert screen.query_one("#fields", Tree).region.height >= 3
        assert screen.query_one("#side").region.height >= 3
        await pilot.press("o")  # the target and options come back
        assert visible(screen.query_one("#lab-bar"))


async def test_the_tree_opens_at_the_labs_protocol_with_lower_layers_folded(course):
    trace = stored("dns")
    async with make_app(course, Store.memory()).run_test(size=(120, 36)) as pilot:
        screen = await lab_screen(pilot, "dns", trace)
        tree = screen.query_one("#fields", Tree)
        layers = tree.root.children
        names = [str(n.label) for n in layers]
        assert [n.is_expanded for n in layers] == [False, False, True]
        # A folded layer still says what it carries.
        assert "127.0.0.1 → 127.0.0.1" in names[0] and names[2].startswith("DNS")
        node = tree.cursor_node
        assert node is not None and node.parent is layers[2]
        assert tree.scroll_offset.y <= node.line < tree.scroll_offset.y + tree.size.height


async def test_evidence_selects_the_field_and_scrolls_the_tree_to_it(course):
    trace = stored("dns")
    answer = next(p for p in trace.packets if p.field("dns.resp.ttl"))
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await lab_screen(pilot, "dns", trace)
        screen.select_evidence((answer.index,), "dns.resp.ttl")
        await pilot.pause()
        await pilot.pause()
        tree = screen.query_one("#fields", Tree)
        li, fi = tree.cursor_node.data
        assert answer.layers[li].fields[fi].filter == "dns.resp.ttl"
        line = tree.cursor_node.line
        assert tree.scroll_offset.y <= line < tree.scroll_offset.y + tree.size.height
        ttl = answer.field("dns.resp.ttl")
        assert (
            screen.query_one("#hex").highlighted_hex()
            == answer.hex[ttl.offset * 2 : (ttl.offset + ttl.length) * 2]
        )


async def test_display_filter_completion_and_a_one_line_error(course):
    trace = stored("dns")
    async with make_app(course, Store.memory()).run_test(size=(120, 36)) as pilot:
        screen = await lab_screen(pilot, "dns", trace)
        table = screen.query_one("#packets", DataTable)
        await pilot.press("slash", *"dns.flags.resp")
        await pilot.press("right")  # take the completion
        box = screen.query_one("#filter", Input)
        assert box.value == "dns.flags.response"
        await pilot.press(*" == 1")
        await pilot.pause()
        answers = [p.index for p in trace.packets if p.number("dns.flags.response") == 1]
        assert table.row_count == len(answers)
        status = screen.query_one("#filter-status", Static)
        assert f"{len(answers)} of {len(trace.packets)}" in str(status.render())
        await pilot.press(*" &&")  # cannot be read yet: says why, keeps the list
        await pilot.pause()
        assert status.has_class("error") and "ends where a field" in str(status.render())
        assert table.row_count == len(answers)
        box.value = ""
        await pilot.pause()
        assert table.row_count == len(trace.packets)


async def test_end_goes_to_the_last_packet_and_z_maximises(course):
    trace = stored("http-api")
    async with make_app(course, Store.memory()).run_test(size=(120, 36)) as pilot:
        screen = await lab_screen(pilot, "http-api", trace)
        table = screen.query_one("#packets", DataTable)
        table.focus()
        await pilot.press("end")
        assert table.cursor_row == len(trace.packets) - 1 and table.scroll_x == 0
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("z")
        assert screen.maximized is table
        await pilot.press("z")
        assert screen.maximized is None


@pytest.mark.parametrize("secrets", [False, True])
async def test_the_packet_list_shows_the_password_after_S(course, secrets):
    trace = stored("ftp")
    password = next(p for p in trace.packets if p.summary.startswith("FTP PASS"))
    async with make_app(course, Store.memory()).run_test(size=(120, 36)) as pilot:
        screen = await lab_screen(pilot, "ftp", trace)
        if secrets:
            await pilot.press("S")
        table = screen.query_one("#packets", DataTable)
        row = table.get_row(str(password.index))
        said = " ".join(str(c) for c in row)
        secret = next(f for layer in password.layers for f in layer.fields if f.secret)
        assert (secret.value in said) is secrets and ("••••" in said) is not secrets
        view = screen.query_one(PacketView)
        assert view.show_secrets is secrets


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_a_long_summary_is_cut_before_the_addresses_are(course, size):
    # At 120x36 the steps pane left the list too narrow for its longest
    # "What happened" and the destination's port was off screen.
    from labs.files.explain import explain_file

    trace = explain_file(GOLDEN.parent / "pcaps" / "http.pcap")
    async with make_app(course, Store.memory()).run_test(size=size) as pilot:
        screen = await lab_screen(pilot, "http-api", trace)
        table = screen.query_one("#packets", DataTable)
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert sum(widths) <= table.scrollable_content_region.width
        labels = [str(c.label) for c in table.columns.values()]
        ends = max(len(f"{p.src} → {p.dst}") for p in trace.packets)
        assert widths[labels.index("Source → Destination")] >= ends
