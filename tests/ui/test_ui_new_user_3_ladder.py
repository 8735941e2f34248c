"""The Timing tab's ladder of a capture with many hosts, at 80x24: the hosts
are letters and each packet's summary is written beside the lanes. The row
starts with the packet's No. (the ladder's "No." column), so the summary is
not preceded by "#N" again: those cells are the summary's. The CLI's text
ladder has no No. column and keeps its "#N"."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Static
from ui_helpers import loaded

from labs.api import explain_file
from tutor import ladder
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest
from tutor.widgets.diagrams import LadderView

TRACEROUTE = Path(__file__).parent.parent / "data" / "programs" / "traceroute.pcapng"


async def test_a_lettered_ladder_row_says_its_number_once(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(TRACEROUTE)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("d")
        await pilot.pause()
        view = screen.query_one(LadderView)
        head = str(screen.query_one("#ladder-head", Static).render())
        assert "Hosts: A = " in head  # the lettered layout, labels beside the lanes
        rows = [str(view.get_option_at_index(i).prompt) for i in range(view.option_count)]
        packets = screen.trace.packets
        assert len(rows) == len(packets)
        for row, packet in zip(rows, packets, strict=True):
            no = row.split()[0]
            assert no == str(packet.index + 1)  # the No. column
            assert f"#{no} " not in row, row
        # The cells "#2 " took are the label's: this one is no longer cut.
        assert rows[0].rstrip().endswith("ICMPv6 multicast listener report (MLD…")
        assert any(r.rstrip().endswith("|  ARP request") for r in rows)


def test_the_cli_ladder_keeps_its_numbers():
    lad = ladder.ladder(explain_file(TRACEROUTE))
    key, lines = ladder.fitted(lad, 80)
    assert key and key[0].startswith("Hosts: A = ")
    for line, arrow in zip(lines[1:], lad.arrows, strict=True):
        assert re.search(rf"\| +#{arrow.no or arrow.index + 1} ", line), line
