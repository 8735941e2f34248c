"""Snapshots of the key screens, on the frozen fixture course.

Update after an intended change with `pytest tests/ui --snapshot-update`, and
look at the new SVGs before committing them.
"""

from __future__ import annotations

import pytest
from ui_helpers import SIZE

from tutor.app import make_app
from tutor.progress import Store


def app_with_progress(course):
    store = Store.memory()
    store.mark_done("layers")
    return make_app(course, store)


def test_outline(snap_compare, course):
    assert snap_compare(app_with_progress(course), terminal_size=SIZE)


def test_lesson(snap_compare, course):
    assert snap_compare(app_with_progress(course), terminal_size=SIZE, press=["enter"])


def test_quick_check_feedback(snap_compare, course):
    assert snap_compare(app_with_progress(course), terminal_size=SIZE, press=["enter", "c", "1"])


def test_glossary_entry(snap_compare, course):
    async def open_tcp(pilot) -> None:
        pilot.app.action_glossary("tcp")
        await pilot.pause()

    assert snap_compare(app_with_progress(course), terminal_size=SIZE, run_before=open_tcp)


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_lab_screen_on_a_stored_capture(snap_compare, course, size):
    """The lab screen's panes at three terminal sizes, fed a trace from a
    stored capture (a live run's ports and timings change every time): packet
    list, field tree, and the hex pane with the TCP flags field's bytes
    highlighted; at 80x24 the target and options have folded away."""
    from dataclasses import replace
    from pathlib import Path

    from labs.files.explain import explain_file
    from tutor.screens.lab import LabScreen
    from tutor.screens.trace_screen import JOIN_WAIT
    from tutor.widgets.packet_view import PacketView

    pcap = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"
    # The target is the path as given; CI's checkout lives elsewhere.
    trace = replace(explain_file(pcap), target="tests/data/pcaps/http.pcap")

    async def show(pilot) -> None:
        await pilot.pause()
        pilot.app.clear_notifications()  # the fixture course's deliberate problem
        screen = LabScreen("http-api")
        pilot.app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        await pilot.pause()
        view = screen.query_one(PacketView)
        view.show(trace.packets[0], "tcp.flags")
        # The tree moves its cursor after a refresh, then scrolls: let both land.
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.3)
        # The glossary terms the flags' words named joined the review, and a
        # notification says so once JOIN_WAIT has passed: past it, cleared.
        await pilot.pause(JOIN_WAIT)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app_with_progress(course), terminal_size=size, run_before=show)


def test_help_at_80x24(snap_compare, course):
    """Help on the capture screen (`tutor explain FILE --tui`): its keys only,
    all of them at 80x24, wrapped descriptions staying in their column."""
    from pathlib import Path

    from tutor.screens.capture import CaptureRequest

    pcap = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(pcap)))

    async def loaded(pilot) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.clear_notifications()  # the terms that joined the review
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=loaded)
