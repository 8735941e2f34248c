"""The Timing pane: the waterfall bars, the comparison with the previous
run, and the ladder whose selection follows the packet list and moves it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static
from ui_helpers import SIZE

from labs.model.trace import Trace, loads
from tutor.widgets.diagrams import LadderView, TraceDiagrams

GOLDEN = Path(__file__).parent.parent / "data" / "golden"


def golden(path: str) -> Trace:
    return loads((GOLDEN / path).read_text(encoding="utf-8"))


class Host(App[None]):
    """Just the pane, fed a stored trace (a live run's times change every time)."""

    def __init__(self, trace: Trace) -> None:
        super().__init__()
        self.trace = trace
        self.picked: list[int] = []

    def compose(self) -> ComposeResult:
        yield TraceDiagrams()

    def on_mount(self) -> None:
        self.query_one(TraceDiagrams).show(self.trace)

    def on_ladder_view_picked(self, message: LadderView.Picked) -> None:
        self.picked.append(message.index)


async def test_ladder_has_an_arrow_per_packet_and_reports_the_pick():
    trace = golden("tcp-handshake/default/trace.json")
    app = Host(trace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ladder = app.query_one(LadderView)
        assert ladder.option_count == len(trace.packets)
        ladder.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        assert app.picked and app.picked[-1] == ladder.highlighted
        app.picked.clear()
        ladder.follow(7)  # the packet list moved: follow it, without echoing it back
        await pilot.pause()
        assert ladder.highlighted == 7 and app.picked == []


async def test_a_second_run_is_compared_with_the_first():
    slow = golden("slow-network/rtt-200-loss-5/trace.json")
    app = Host(golden("slow-network/simulated/trace.json"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.query_one(TraceDiagrams)
        assert "Timing waterfall" in str(pane.query_one("#waterfall", Static).render())
        pane.show(slow)
        await pilot.pause()
        compare = str(pane.query_one("#compare", Static).render())
        assert compare.startswith("Compared with your previous run:")
        assert "fact Round trip (SYN to SYN-ACK): 100 ms -> 200 ms" in compare


def test_timing_pane_snapshot(snap_compare):
    assert snap_compare(Host(golden("slow-network/simulated/trace.json")), terminal_size=SIZE)
