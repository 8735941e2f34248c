"""What a new user met in the TUI: a Timing pane cut at 80x24 with its later
bars out of reach, a maximised ladder without its "Hosts:" key, a key
sequence that blanked the screen; an R that reviewed only on the trace
screens (though their notification says "R reviews them"); a follow
summary cut at 80 columns; placeholders cut in their boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Input, Static
from ui_helpers import loaded

from labs.api import get
from tutor import waterfall_text
from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest
from tutor.screens.lab import LabScreen
from tutor.widgets.diagrams import LadderView

DATA = Path(__file__).resolve().parent.parent / "data"
TRACEROUTE = DATA / "programs" / "traceroute.pcapng"
LOSSY = DATA / "pcaps" / "lossy-http.pcapng"


def rows(app: object) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]  # type: ignore[attr-defined]


async def test_every_waterfall_row_can_be_scrolled_into_view_at_80x24(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(TRACEROUTE)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        assert screen.trace is not None
        lines = [x for x in waterfall_text.render(screen.trace).splitlines() if x.strip()]
        last = lines[-1].strip()  # the last bar: "probes | ... | 313 µs"
        await pilot.press("d")
        await pilot.pause()
        for _ in range(12):
            if any(last in r for r in rows(app)):
                break
            await pilot.press("pagedown")
            await pilot.pause()
        assert any(last in r for r in rows(app)), "\n".join(rows(app))


async def test_the_maximised_ladder_keeps_its_hosts_key(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(TRACEROUTE)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("d")
        screen.query_one(LadderView).focus()
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        shown = rows(app)
        assert screen.maximized is not None
        assert any(r.strip().startswith("Hosts: A = 198.51.100.2") for r in shown), shown
        assert any("|  ICMPv6 multicast listener report" in r for r in shown), shown


@pytest.mark.parametrize("keys", [("d", "tab", "pagedown", "z"), ("d", "tab", "tab", "z")])
async def test_no_key_sequence_blanks_the_timing_tab(course, keys):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(TRACEROUTE)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        # The tab strip maximised was the tabs' names over a blank screen.
        words = [r for r in rows(app)[:-1] if r.strip() and set(r.strip()) - set("━╸╺─")]
        assert len(words) > 8, "\n".join(rows(app))


@pytest.mark.parametrize("where", ["outline", "labs"])
async def test_capital_r_opens_the_review_and_the_footer_says_so(course, where):
    from textual.widgets._footer import FooterKey

    from tutor.screens.review import ReviewScreen

    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        if where == "labs":
            await pilot.press("L")
            await pilot.pause()
        footer = {str(k.key_display): k.description for k in pilot.app.screen.query(FooterKey)}
        assert footer.get("R") == "Review" and "r" not in footer, footer
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReviewScreen)


async def test_the_follow_summary_wraps_at_80_columns(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(LOSSY)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("F")
        await pilot.pause()
        # The dialog's rows, between its borders.
        inside = [r.split("█")[1] for r in rows(app) if r.count("█") >= 2]
        text = " ".join(" ".join(inside).split())
        assert "← server to client: 60203 bytes in 33 pieces" in text, text


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lab", ["dns", "webhooks", "http-api"])
async def test_no_placeholder_is_cut_in_its_box(course, lab, size):
    async with make_app(course, Store.memory()).run_test(size=size) as pilot:
        screen = LabScreen(lab)
        pilot.app.push_screen(screen)
        await pilot.pause()
        await pilot.pause()
        for box in screen.query(Input):
            if not box.display or not box.region.width or box.value:
                continue
            room = box.content_size.width - 1
            said = box.placeholder
            assert cell_len(said) <= room and not said.endswith("…"), (box.id, said, room)
        # What a shortened placeholder leaves out is in the hint line while it has focus.
        spec = get(lab)
        asides = {o.name: o.placeholder for o in spec.options if "(" in o.placeholder}
        for name, whole in asides.items():
            screen.query_one(f"#opt-{name}", Input).focus()
            await pilot.pause()
            hint = screen.query_one("#lab-hint", Static)
            assert hint.display and whole[whole.index("(") :] in str(hint.visual)
        screen.query_one("#target", Input).focus()
        await pilot.pause()
        assert "empty for the lab's embedded server" in str(
            screen.query_one("#lab-hint", Static).visual
        )
