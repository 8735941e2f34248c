"""Every renderer of a trace writes a time as `took` does ("25 µs", "2.8 ms"):
the ladder (text, Mermaid, SVG), the waterfall (the CLI's, the Timing
pane's, a drill report's), the steps and the banner. Their
own spellings had a 25 µs gap read "0.000", "0.0 ms" or "0.00 s"."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from labs.model.trace import Trace, loads
from tutor import ladder, waterfall_text
from tutor.timetext import took, took_cell
from tutor.waterfall_text import timing_blocks

GOLDEN = Path(__file__).parent / "data" / "golden"
#: A number with decimals and no unit, or a unit-less "0.000": the old columns.
BARE = re.compile(r"(?<![\d.])\d+\.\d{2,}(?![\d.]*\s*(µs|ms|s|min)\b)")


def tls() -> Trace:
    """A capture whose first packets are 25 and 44 µs apart."""
    return loads((GOLDEN / "explain" / "tls.pcap.json").read_text(encoding="utf-8"))


def test_took_cell_is_took_right_aligned():
    assert took_cell(2.5e-05) == "     25 µs"
    assert took_cell(0.0028) == "    2.8 ms"
    assert took_cell(125) == " 2 min 5 s"


def test_each_ladder_row_starts_with_its_time_as_took():
    trace = tls()
    lad = ladder.ladder(trace)
    rows = ladder.text_lines(lad)[1:]
    assert rows[1].startswith("     25 µs |"), rows[1]
    for arrow, row in zip(lad.arrows, rows, strict=True):
        assert row.startswith(took_cell(arrow.time) + " |"), row
    assert not any(BARE.search(row[:11]) for row in rows)


def test_mermaid_and_svg_say_each_time_as_took():
    trace = tls()
    mermaid = ladder.render_mermaid(trace)
    assert "2 TCP SYN-ACK (25 µs)" in mermaid, mermaid  # No. 2 in Wireshark
    svg = ladder.render_svg(trace)
    assert 'fill="#666">25 µs</text>' in svg
    assert "0.000 s" not in svg and "(0.0 ms)" not in mermaid


def test_the_ladder_fits_the_terminal_it_is_given():
    trace = loads((GOLDEN / "tcp-handshake" / "default" / "trace.json").read_text("utf-8"))
    assert len(ladder.ladder(trace).hosts) == 3
    lines = ladder.brief_lines(trace, ladder.MAX_ARROWS, width=80)
    assert max(len(line) for line in lines) <= 80, lines
    # Room to spare: no label is cut.
    wide = ladder.brief_lines(trace, ladder.MAX_ARROWS, width=120)
    assert max(len(line) for line in wide) <= 120
    assert not any("…" in line for line in wide), wide


def test_each_waterfall_row_ends_with_its_time_as_took():
    trace = tls()
    lines = waterfall_text.block(trace)
    assert lines[0] == (
        "Timing waterfall (0 to 2.7 ms after the first packet; packets until 2.8 ms)"
    )
    bars = [line for line in lines if "|" in line]
    assert bars[0].endswith("|     25 µs"), bars[0]
    for ph, line in zip(trace.waterfall, bars, strict=True):
        if len(ph.packets) == 1:
            assert line.endswith("|  1 packet"), line  # not "0 µs", read as instant
        else:
            assert line.endswith("|" + took_cell(ph.end - ph.start)), line
    assert not any(BARE.search(line) for line in bars)


def test_the_cli_and_the_timing_pane_draw_one_waterfall():
    trace = tls()
    (head, lines), (ladder_head, _) = timing_blocks(trace, full=True)
    assert [head, *lines] == waterfall_text.block(trace)
    assert "in s" not in ladder_head


def test_a_drill_reports_diagrams_say_times_as_took():
    from tutor.commands.drill_report import _diagrams

    text = "\n".join(_diagrams(tls(), None))
    assert "|     25 µs" in text and "     25 µs |" in text, text
    assert not BARE.search(text), text


def test_the_steps_and_the_banner_say_times_as_took():
    """(The packet list's times: the lab screen's snapshots.)"""
    from tutor.screens.trace_view import capture_banner, meaning_blocks
    from tutor.widgets.step_list import step_prompt

    trace = tls()
    tls_step = trace.steps[1]
    assert "at 711 µs, packet" in step_prompt(tls_step).plain
    meaning = "\n".join(text for _, text in meaning_blocks(trace, False))
    for step in trace.steps:
        assert f"**{step.title}** (at {took(step.start)}, " in meaning, step
    head, _ = capture_banner(trace)
    assert f"{len(trace.packets)} packets over 2.8 ms" in head.splitlines()[0], head
    assert "0.00 s" not in head
    one = replace(trace, packets=trace.packets[:1])
    assert "1 packet over 0 µs" in capture_banner(one)[0]


def test_the_conversations_table_keeps_wiresharks_seconds_and_says_so():
    from labs.api import conversations, explain_file
    from tutor.streamtext import conversations_text

    trace = explain_file(Path(__file__).parent / "data" / "pcaps" / "tls.pcap")
    head, row = conversations_text(conversations(trace), width=200).splitlines()[1:3]
    assert head.endswith("start (s)  duration (s)"), head
    assert row.endswith("0.000000        0.0028"), row  # as Rel Start and Duration read


def test_a_drill_probes_sub_millisecond_timing_is_not_zero():
    """A 0.3 ms DNS answer read "0 ms" in a drill's probe details."""
    from labs.drills.probes import result

    got = {"outcome": "ok", "words": "answered", "timings": {"dns": 0.0003, "connect": 0.0123}}
    probe = result(1, {"kind": "resolve", "name": "shop.example"}, "dig", got, None, sim=False)
    assert dict(probe.details) == {"dns": "300 µs", "connect": "12.3 ms"}
