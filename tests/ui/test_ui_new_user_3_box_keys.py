"""The footer while a text box has the focus, at 80x24: there letters and "/"
are typed into the box, so the footer says the keys that work in it (Enter
runs the lab from the target box or an option's, Escape leaves the box, not
the lab), and the screen's usual keys again once the focus leaves it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input
from ui_helpers import loaded

from tutor.app import make_app
from tutor.progress import Store
from tutor.screens.capture import CaptureRequest
from tutor.screens.lab import LabScreen

HTTP = Path(__file__).parent.parent / "data" / "pcaps" / "http.pcap"


def footer(app) -> str:
    return app.screen._compositor.render_strips()[-1].text


async def _lab(pilot, lab: str) -> tuple[LabScreen, list[tuple[object, object]]]:
    screen = LabScreen(lab)
    started: list[tuple[object, object]] = []
    screen._run = lambda target, given: started.append((target, given))  # no real lab here
    pilot.app.push_screen(screen)
    for _ in range(3):
        await pilot.pause()
    return screen, started


async def test_the_target_box_footer_says_its_own_keys(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen, started = await _lab(pilot, "oauth")
        assert "r Run" in footer(pilot.app)
        await pilot.press("t")
        await pilot.pause()
        assert screen.focused is screen.query_one("#target", Input)
        said = footer(pilot.app)
        assert "⏎ Run" in said and "esc Leave the box" in said
        for key in ("r Run", "/ Filter", "esc Back", "x Cancel"):
            assert key not in said, said  # typed into the box, or not what Escape does
        await pilot.press("r", "/")
        await pilot.pause()
        assert screen.query_one("#target", Input).value == "r/" and not started
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is screen  # left the box, not the lab
        assert screen.focused is screen.query_one("#run")
        said = footer(pilot.app)
        assert "r Run" in said and "esc Back" in said and "⏎" not in said
        await pilot.press("t", "end", "backspace", "enter")
        await pilot.pause()
        assert started and started[0][0] == "r"


async def test_an_option_box_runs_the_lab_on_enter(course):
    async with make_app(course, Store.memory()).run_test(size=(80, 24)) as pilot:
        screen, started = await _lab(pilot, "gateway-nat")  # no target box: options only
        box = screen.query_one("#opt-delay", Input)
        box.focus()
        await pilot.pause()
        said = footer(pilot.app)
        assert "⏎ Run" in said and "esc Leave the box" in said and "r Run" not in said
        await pilot.press("2", "0", "enter")
        await pilot.pause()
        assert started and started[0][1]["delay"] == "20"


async def test_the_filter_box_footer_says_how_to_leave_it(course):
    app = make_app(course, Store.memory(), capture=CaptureRequest(str(HTTP)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        await pilot.press("slash")
        await pilot.pause()
        said = footer(app)
        assert "esc Back to the packets" in said
        assert "/ Filter" not in said and "esc Close" not in said
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.return_code is None
        said = footer(app)
        assert "/ Filter" in said and "esc Close" in said and "Back to the packets" not in said
