"""The packet list numbers packets as Wireshark's No. column does (from 1):
the row a display filter `frame.number == N` leaves is the one numbered N,
and it is the packet Wireshark shows as No. N."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static
from ui_helpers import SIZE, loaded, text

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest

LOSSY = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "lossy-http.pcapng"


def rows(table: DataTable[object]) -> list[tuple[str, str]]:
    """Each row's number and what happened (wherever the layout put that column)."""
    what = [str(c.label) for c in table.ordered_columns].index("What happened")
    return [(str(r[0]), str(r[what])) for r in map(table.get_row_at, range(table.row_count))]


async def test_the_packet_list_is_numbered_as_wireshark_numbers_frames(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(LOSSY)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        table = screen.query_one("#packets", DataTable)
        assert str(table.ordered_columns[0].label) == "No."
        listed = rows(table)
        assert [n for n, _what in listed] == [str(n) for n in range(1, 74)]
        # tshark: frame 1 is the SYN, frame 28 the first plain retransmission.
        assert "SYN" in listed[0][1] and "[TCP Retransmission]" in listed[27][1]
        # Nothing left saying the list counts from 0.
        assert "#0" not in text(screen.query_one("#banner", Static))


async def test_frame_number_filter_leaves_the_row_with_that_number(course):
    request = CaptureRequest(str(LOSSY), filter="frame.number == 28")
    app = make_app(course, Store.memory(), capture=request)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        ((number, what),) = rows(screen.query_one("#packets", DataTable))
        assert number == "28" and "[TCP Retransmission]" in what
