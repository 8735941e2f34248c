"""The lab screen's option bar shows every option a lab declares at
120x36: slow-network's seven and traceroute's seven take two rows, a lab
with few options keeps one."""

from __future__ import annotations

import pytest

from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.lab_options import LabOptionsBar


@pytest.fixture(scope="module")
def course():
    return load_course()


@pytest.mark.parametrize(("lab", "rows"), [("slow-network", 2), ("traceroute", 2), ("http-api", 1)])
async def test_every_option_is_on_screen_at_120x36(course, lab, rows):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen(lab)
        app.push_screen(screen)
        await pilot.pause()
        bar = screen.query_one(LabOptionsBar)
        assert bar.region.height == rows
        for opt in screen.lab.options:
            region = screen.query_one(f"#opt-{opt.name}").region
            assert region.width > 0 and 0 <= region.x and region.right <= 120, opt.name
            assert bar.region.y <= region.y < bar.region.bottom, opt.name


async def test_the_second_rows_options_are_read_back(course):
    from textual.widgets import Checkbox, Input

    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen("slow-network")
        app.push_screen(screen)
        await pilot.pause()
        screen.query_one("#opt-mtu", Input).value = "1280"
        screen.query_one("#opt-blackhole", Checkbox).value = True
        request = screen.lab.request(given=screen.query_one(LabOptionsBar).given())
        assert request.option("mtu") == 1280 and request.option("blackhole")
