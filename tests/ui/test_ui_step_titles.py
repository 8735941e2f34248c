"""The steps pane beside the packet list: each step is two rows (its title, as
the CLI lists steps, not its internal name; then when it started and its
packets, "at 0 µs, packets 1-3"), a title too long for the pane is cut with "…" (its
whole text in the narration when the step is picked), and the pane takes the
width its titles need within limits, leaving the packet list readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, Static

from labs.model.trace import loads
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest, CaptureScreen
from tutor.screens.lab import LabScreen
from tutor.screens.trace_screen import TraceScreen
from tutor.steptext import packets_said
from tutor.timetext import took

DATA = Path(__file__).resolve().parent.parent / "data"


def trace_of(name: str) -> object:
    return loads((DATA / "golden" / name / "default" / "trace.json").read_text())


def pane_rows(steps: OptionList) -> list[str]:
    """The steps pane's rows as drawn (scrollbar columns left out)."""
    width = steps.scrollable_content_region.width
    return [steps.render_line(y).text[:width].rstrip() for y in range(steps.size.height)]


async def shown(pilot, name: str) -> TraceScreen:
    """The lab screen on a stored run, or the capture screen on a file (its
    steps pane boxed, the lab screen's a rule in a short terminal)."""
    if name.endswith(".pcap"):
        pilot.app.push_screen(CaptureScreen(CaptureRequest(str(DATA / "pcaps" / name))))
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        return pilot.app.screen
    screen = LabScreen(name)
    pilot.app.push_screen(screen)
    await pilot.pause()
    screen.show_trace(trace_of(name))
    await pilot.pause()
    await pilot.pause()
    return screen


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("http.pcap", (120, 36)),
        ("oauth", (120, 36)),
        ("http.pcap", (100, 30)),
        ("webhooks", (100, 30)),
    ],
)
async def test_step_titles_are_whole_or_cut_with_an_ellipsis(course, name, size):
    async with make_app(course, Store.memory()).run_test(size=size) as pilot:
        screen = await shown(pilot, name)
        trace = screen.trace
        steps = screen.query_one("#steps", OptionList)
        rows = [r for r in pane_rows(steps) if r]
        titles = [s.title or s.name.replace("-", " ") for s in trace.steps]
        # Two rows a step, never a title wrapped onto a third.
        said, when = [r.strip() for r in rows[0::2]], [r.strip() for r in rows[1::2]]
        assert said and all(s.title for s in trace.steps)  # no step name on show
        for line, title in zip(said, titles, strict=False):
            assert line == title or (line.endswith("…") and title.startswith(line[:-1])), line
        for line, step in zip(when, trace.steps, strict=False):
            whole = f"at {took(step.start)}, {packets_said(step.packets)}"
            assert line == whole or (line.endswith("…") and whole.startswith(line[:-1])), line
        if name == "http.pcap":  # short titles: whole at 120 columns
            assert said == titles[: len(said)] or size[0] < 120
        # The packet list keeps its columns: "What happened" and whole addresses.
        table = screen.query_one("#packets", DataTable)
        widths = {str(c.label): c.get_render_width(table) for c in table.columns.values()}
        assert sum(widths.values()) <= table.scrollable_content_region.width
        assert widths["What happened"] >= 20
        ends = max(len(f"{p.src} → {p.dst}") for p in trace.packets)
        short = max(len(f"{p.src} → :{p.dst.rpartition(':')[2]}") for p in trace.packets)
        assert widths["Source → Destination"] - 2 >= min(ends, short)
        # The whole title is in the narration when the step is picked.
        long = max(range(len(said)), key=lambda n: len(titles[n]))
        steps.focus()
        steps.highlighted = long
        await pilot.pause()
        narration = str(screen.query_one("#narration", Static).visual)
        assert narration.startswith(f"{titles[long]}: ")


async def test_at_80x24_the_steps_give_their_columns_to_the_packets(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen = await shown(pilot, "oauth")
        assert not screen.query_one("#steps").display
        table = screen.query_one("#packets", DataTable)
        assert table.region.width == 80


async def test_z_on_the_steps_gives_their_titles_the_whole_width(course):
    async with make_app(course, Store.memory()).run_test(size=(120, 36)) as pilot:
        screen = await shown(pilot, "oauth")
        steps = screen.query_one("#steps", OptionList)
        steps.focus()
        await pilot.press("z")
        await pilot.pause()
        assert screen.maximized is steps and steps.region.width == 120
        titles = [s.title or s.name for s in screen.trace.steps]
        said = [r.strip() for r in pane_rows(steps)[0::2] if r]
        assert said and said == titles[: len(said)]
