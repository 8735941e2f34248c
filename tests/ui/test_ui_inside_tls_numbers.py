"""The packet list numbers a lab trace with packets read inside TLS as
Wireshark numbers its saved pcap: the wire packets 1..N, each packet read
inside TLS after the wire packet before it with a letter ("6a"); a filtered
list keeps every packet's number."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from labs.core.display_filter import filter_trace
from labs.model.trace import loads
from tutor.widgets.packet_table import PacketTable

TLS = Path(__file__).resolve().parent.parent / "data" / "golden" / "tls" / "default" / "trace.json"


class _Lists(App[None]):
    def compose(self) -> ComposeResult:
        yield PacketTable(id="packets")


def _numbers(table: PacketTable) -> list[str]:
    return [str(table.get_row_at(r)[0]) for r in range(table.row_count)]


async def test_wire_packets_are_numbered_as_the_pcap_and_inside_ones_get_a_letter():
    trace = loads(TLS.read_text(encoding="utf-8"))
    app = _Lists()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(PacketTable)
        table.fill(trace.packets, narrow=False, show_secrets=False)
        await pilot.pause()
        # The stored run: 11 wire packets, GET after wire No. 6, 200 OK after No. 8.
        assert _numbers(table) == [
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "6a",
            "7",
            "8",
            "8a",
            "9",
            "10",
            "11",
        ]
        # A filter keeps the numbers: tshark -Y 'tcp.flags.fin == 1' shows frames 9 and 10.
        fins = filter_trace(trace, "tcp.flags.fin == 1").packets
        table.fill(fins, narrow=True, show_secrets=False)
        await pilot.pause()
        assert _numbers(table) == ["9", "10"]
        inside = tuple(p for p in trace.packets if p.origin != "wire")
        table.fill(inside, narrow=False, show_secrets=False)
        await pilot.pause()
        assert _numbers(table) == ["6a", "8a"]


def test_the_step_list_numbers_its_steps_as_the_packet_list_does():
    """The steps pane said "packets 10-11" beside a packet list whose last
    No. was 15: it counted the packets read inside TLS as frames."""
    from labs.model.numbers import numbering_of
    from tutor.widgets.step_list import step_prompt

    trace = loads(TLS.read_text(encoding="utf-8"))
    numbering = numbering_of(trace)
    said = [step_prompt(step, numbering).plain for step in trace.steps]
    last = numbering.label(len(trace.packets) - 1)
    assert any("a" in s.split("packet", 1)[1] for s in said if "packet" in s), said
    assert said[-1].endswith(f"-{last}") or said[-1].endswith(f" {last}"), (said[-1], last)


def test_the_count_says_how_many_crossed_the_wire():
    """'17 packets over 13.3 ms' stood next to a list whose last No. was 15
    and a section saying 'None of the 15 packets on the wire'."""
    from tutor.screens.trace_view import capture_banner
    from tutor.tracetext import render

    trace = loads(TLS.read_text(encoding="utf-8"))
    said = "13 packets (11 on the wire, 2 read inside TLS) over"
    assert said in " ".join(render(trace, full=False).split())
    assert said in capture_banner(trace)[0]
