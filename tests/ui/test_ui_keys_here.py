"""Keys as a learner meets them on the trace screens: help (?) on a lab lists
only the keys that work there now, as the footer does (no Predictions
without a lesson, no Target on a lab that builds its own network); r on a
capture file reads it again, the nearest thing to the lab's r (Run), not the
glossary review; and the field tree of an 80x24 terminal spends no row on a
horizontal scrollbar (a lone "▏"), its long labels still readable."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from test_ui_lab_screen import lab_screen
from textual.binding import Binding
from textual.widgets import DataTable, Static, Tree
from textual.widgets._footer import FooterKey
from ui_helpers import text

from labs.model.trace import loads
from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest, CaptureScreen
from tutor.screens.help import HelpScreen, sections
from tutor.screens.lab import LabScreen
from tutor.screens.trace_view import field_label
from tutor.widgets.packet_view import PacketView

DATA = Path(__file__).resolve().parent.parent / "data"
HTTP = DATA / "pcaps" / "http.pcap"


@pytest.mark.parametrize(
    ("lab", "lesson_id", "absent", "present"),
    [
        ("http-api", None, {"f", "e"}, {"r", "x", "t"}),
        ("gateway-nat", None, {"f", "e", "t"}, {"r", "x"}),
        ("tcp-handshake", "tcp-handshake", set(), {"f", "e", "r"}),
    ],
    ids=["no-lesson", "netns-no-lesson", "lesson-with-predictions"],
)
async def test_help_on_a_lab_lists_the_keys_that_work_there(lab, lesson_id, absent, present):
    course = load_course()  # the fixture course has no predictions
    lesson = next(x for x in course.lessons if x.id == lesson_id) if lesson_id else None
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = LabScreen(lab, lesson)
        app.push_screen(screen)
        await pilot.pause()
        # The keys Textual itself counts as working on this screen (the footer's).
        active = {
            b.binding.key_display or b.binding.key
            for b in screen.active_bindings.values()
            if b.node is screen
        }
        assert absent.isdisjoint(active) and present <= active
        found = dict(sections(type(app), screen))
        listed = {key for key, _words in found["Lab"]}
        assert absent.isdisjoint(listed) and present <= listed
        ours = {
            b.key_display or b.key
            for b in LabScreen.BINDINGS
            if isinstance(b, Binding) and b.description and b.key != "escape"
        }
        assert listed & ours == active & ours  # help and footer agree, key for key
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(text(s) for s in app.screen.query(".help-column").results(Static))
        for words in ("Predictions", "Evidence"):
            assert (words in shown) == ("f" in present), words
        await pilot.press("escape")
    # Opened elsewhere, help still tells of every lab key.
    everywhere = dict(sections(type(app)))
    assert {"f", "e", "t"} <= {key for key, _words in everywhere["Lab"]}


def first_packets(source: Path, count: int, dest: Path) -> None:
    """The first `count` packets of a classic pcap, as a file still being written looks."""
    data = source.read_bytes()
    at = 24
    for _ in range(count):
        (size,) = struct.unpack_from("<I", data, at + 8)
        at += 16 + size
    dest.write_bytes(data[:at])


async def test_r_on_a_capture_reads_the_file_again(course, tmp_path):
    growing = tmp_path / "growing.pcap"
    first_packets(HTTP, 5, growing)
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(growing)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CaptureScreen)
        table = screen.query_one("#packets", DataTable)
        assert table.row_count == 5
        footer = {str(k.key_display): k.description for k in screen.query(FooterKey)}
        assert footer.get("r") == "Reload"
        table.move_cursor(row=3)
        await pilot.pause()
        shutil.copyfile(HTTP, growing)  # tcpdump -w wrote on
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen  # not the glossary review r opens elsewhere
        assert table.row_count == 22
        view = screen.query_one(PacketView)
        assert table.cursor_row == 3 and view.packet is not None and view.packet.index == 3
        assert text(screen.query_one("#banner", Static)).startswith("growing.pcap  ·  22 packets")
    found = dict(sections(type(app)))
    assert ("r", "Read the file again") in found["Capture file"]
    assert dict(found["Everywhere"])["R"] == "Review the glossary terms you met"


async def test_the_field_tree_spends_no_row_on_a_horizontal_scrollbar(course):
    trace = loads((DATA / "golden" / "http-api" / "default" / "trace.json").read_text())
    packet = trace.packets[4]  # the 401's body: a label of some 150 columns
    longest = next(f for f in packet.layers[-1].fields if f.filter == "http.file_data")
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = await lab_screen(pilot, "http-api", trace)
        view = screen.query_one(PacketView)
        view.show(packet, longest.filter)
        await pilot.pause()
        await pilot.pause()
        tree = view.query_one("#fields", Tree)
        # Wider than its pane: Textual would draw a scrollbar under it.
        assert tree.virtual_size.width > tree.scrollable_content_region.width
        rows = [strip.text for strip in screen._compositor.render_strips()]
        # Its thumb drawn as blanks ending in a partial block: "▏" or "▌", say.
        lone = [r for r in rows if r.strip() and set(r.strip()) <= set("▏▎▍▌▋▊▉█▕▐")]
        assert not lone, "\n".join(rows)
        assert not tree.show_horizontal_scrollbar or tree.scrollbar_size_horizontal == 0
        # The label cut at the pane's edge is whole in the narration, and → scrolls to it.
        label = " ".join(field_label(longest, False).split())
        assert len(label) > tree.scrollable_content_region.width
        assert label in " ".join(text(view.query_one("#narration", Static)).split())
        tree.focus()
        await pilot.press("right")
        assert tree.scroll_x > 0


@pytest.mark.parametrize("opens", ["review", "labs"])
async def test_the_footer_does_not_offer_the_screen_already_open(course, opens):
    """On the review the footer said "r Review" (and on the lab list "L Labs"):
    keys that would do nothing there."""
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        key = {"review": "r", "labs": "L"}[opens]
        await pilot.press(key)
        await pilot.pause()
        footer = {k.key for k in app.screen.query(FooterKey)}
        assert key not in footer, footer
        assert "q" in footer  # the footer is there, only that key is not
