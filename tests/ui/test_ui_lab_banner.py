"""The lab screen's banner after a run fits the rows it has: what ran, how
many packets in how long, on one line; the capture note on the next, cut
with a pointer to "What it means" (where it is in full) when it is longer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Static

from labs.model.trace import Trace
from tutor.timetext import span, took

NOTE = (
    "Captured live on lo with scapy, filtered to this lab's own traffic "
    "(tcp and (port 43395 or port 51781)): every header and byte is "
    "exactly what crossed the interface."
)


def live_trace() -> Trace:
    from labs.files.explain import explain_file

    pcap = Path(__file__).resolve().parent.parent / "data" / "pcaps" / "http.pcap"
    trace = explain_file(pcap)
    return replace(
        trace,
        lab="tcp-handshake",
        target="127.0.0.1:43395",
        capture="live",
        capture_note=NOTE,
        duration=3.6,
    )


def shown(banner: Static) -> list[str]:
    """The banner's rows as the terminal shows them."""
    region = Region(0, 0, banner.size.width, banner.size.height)
    return [strip.text.strip() for strip in banner.render_lines(region)]


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_banner_after_a_run_fits_and_points_to_the_full_note(app, size):
    from tutor.screens.lab import LabScreen

    trace = live_trace()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = LabScreen("tcp-handshake")
        app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        await pilot.pause()
        banner = screen.query_one("#banner", Static)
        rows = shown(banner)
        assert len(rows) == 2, rows
        assert rows[0].startswith("tcp-handshake → 127.0.0.1:43395")
        # The packets' span as `took` says it everywhere ("3.60 s" was the
        # banner's own spelling, and the whole run's time, servers starting
        # included), and not wrapped off to a row the banner lacks.
        assert f"22 packets over {took(span(trace))}" in rows[0], rows
        # In a learner's words: the interface said, no library named.
        assert rows[1].startswith("Captured live on the loopback interface (lo)"), rows
        assert "scapy" not in " ".join(rows)
        assert rows[1].endswith("… (m: in full)"), rows  # not cut mid-sentence unsaid
        # The full note is where the banner points.
        await pilot.press("m")
        await pilot.pause()
        from tutor.screens.trace_view import meaning_blocks

        assert (
            NOTE.replace("lo with scapy", "the loopback interface (lo)")
            in (meaning_blocks(trace, False)[0][1])
        )
        assert screen.query_one("#tabs").active == "meaning-tab"


async def test_a_banner_that_fits_is_shown_whole(app):
    from tutor.screens.lab import LabScreen

    trace = replace(live_trace(), capture_note="Captured live.")
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        screen = LabScreen("tcp-handshake")
        app.push_screen(screen)
        await pilot.pause()
        screen.show_trace(trace)
        await pilot.pause()
        rows = shown(screen.query_one("#banner", Static))
        assert rows[1] == "Captured live."
        assert "…" not in " ".join(rows) and rows[0].startswith("tcp-handshake → ")


def test_a_capture_files_banner_says_its_span_in_the_clis_units():
    """'14 packets in 0.00 s' said a 2.8 ms capture took no time."""
    from labs.api import explain_file
    from tutor.screens.capture import file_banner

    trace = explain_file(Path(__file__).parent.parent / "data" / "pcaps" / "tls.pcap")
    head = file_banner(trace, "tls.pcap").lines[0]
    assert f"{len(trace.packets)} packets over 2.8 ms" in head, head
