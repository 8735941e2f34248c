"""The lab screen's keys in an 80x24 terminal, on a stored run: after z, End
and z again, the selected packet is still in view in the small list; o shows
the target and options and o again hides them (it is not typed into the box)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, TabbedContent, Tree

from labs.model.trace import loads
from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.packet_view import PacketView

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"


async def _screen(pilot, lab: str) -> LabScreen:
    screen = LabScreen(lab)
    pilot.app.push_screen(screen)
    await pilot.pause()
    screen.show_trace(loads((GOLDEN / lab / "default" / "trace.json").read_text()))
    await pilot.pause()
    await pilot.pause()
    return screen


async def test_the_selected_packet_stays_in_view_after_maximising(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await _screen(pilot, "dns")
        table = screen.query_one("#packets", DataTable)
        assert screen.focused is table
        await pilot.press("z")
        assert screen.maximized is table
        await pilot.press("end")
        await pilot.press("z")
        await pilot.pause()
        await pilot.pause()
        assert screen.maximized is None
        last = table.row_count - 1
        assert table.cursor_row == last
        top = table.scroll_offset.y
        # The header row takes one line of the table's height.
        assert top <= last < top + table.size.height - 1, (top, table.size.height)


async def test_o_shows_the_target_and_o_again_hides_it(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await _screen(pilot, "dns")
        assert screen.has_class("-collapsed")
        target = screen.query_one("#target", Input)
        before = target.value
        await pilot.press("o")
        assert not screen.has_class("-collapsed")
        await pilot.press("o")
        assert screen.has_class("-collapsed")
        assert target.value == before


async def test_evidence_from_the_predictions_tab_scrolls_the_tree_to_the_field():
    # e is pressed on "Predict first": the packets tab opens and, in its short
    # tree, the evidence field must be on screen, not just selected.
    real = load_course()  # the fixture course has no lesson with predictions for http-api
    lesson = real.lesson("http-requests")
    assert lesson is not None and lesson.predicts
    async with make_app(real, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = LabScreen("http-api", lesson)
        pilot.app.push_screen(screen)
        await pilot.pause()
        # As when a run ends: the trace is shown and the predictions checked,
        # which brings "Predict first" to the front.
        trace = loads((GOLDEN / "http-api" / "default" / "trace.json").read_text())
        screen.post_message(LabScreen.Finished(trace))
        for _ in range(3):
            await pilot.pause()
        assert screen.query_one("#tabs", TabbedContent).active == "predict-tab"
        await pilot.press("e")
        for _ in range(4):
            await pilot.pause()
        tree = screen.query_one("#fields", Tree)
        node = tree.cursor_node
        shown = screen.query_one(PacketView).packet
        assert node is not None and node.data[1] is not None and shown is not None
        li, fi = node.data
        assert shown.layers[li].fields[fi].filter == "tcp.flags"
        top = tree.scroll_offset.y
        assert top <= node.line < top + tree.size.height, (top, node.line, tree.size.height)
