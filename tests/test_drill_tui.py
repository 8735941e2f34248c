"""The drills track in the TUI, driven with Pilot against a stand-in session
(`drill_fake.FakeSession`, the contract's data classes): the outline entry,
the list, playing a drill (probe, packets, hint, diagnosis graded right and
wrong), a fresh variant, the report, and leaving or quitting stopping the
drill. Snapshots at 80x24 and 120x36."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import pytest
from drill_fake import FakeSession, frozen_clock
from textual.widgets import Input, Markdown, OptionList, RadioSet, Static, TabbedContent

from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.drill import DrillScreen
from tutor.screens.drill_answer import DiagnosisForm
from tutor.screens.drill_list import DrillListScreen
from tutor.screens.drill_outline import DrillsEntry
from tutor.widgets.packet_table import PacketTable

sys.path.insert(0, str(Path(__file__).parent / "ui"))
from ui_helpers import FIXTURE, text  # noqa: E402

SIZES = [(80, 24), (120, 36)]


@pytest.fixture(scope="module")
def course():
    return load_course(FIXTURE)


@pytest.fixture
def session(monkeypatch) -> FakeSession:
    monkeypatch.setattr(DrillScreen, "clock", staticmethod(frozen_clock))
    return FakeSession().install(monkeypatch)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_drill(pilot, drill_id: str = "dns-nxdomain") -> DrillScreen:
    await pilot.pause()
    pilot.app.clear_notifications()
    screen = DrillScreen(drill_id)
    pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def banner(screen: DrillScreen) -> str:
    return text(screen.query_one("#drill-banner", Static))


def rendered(prompt: object) -> str:
    """An option's prompt (a Rich renderable) as the text it draws."""
    from rich.console import Console

    console = Console(width=100, record=True, file=io.StringIO())
    console.print(prompt)
    return console.export_text()


async def answer(pilot, screen: DrillScreen, picks: tuple[int, int, int], note: str = "") -> None:
    await pilot.press("a")
    form = screen.query_one(DiagnosisForm)
    for radio, index in zip(form.query(RadioSet), picks, strict=True):
        radio._nodes[index].value = True  # type: ignore[attr-defined]
    form.query_one("#note", Input).value = note
    await pilot.pause()
    form.query_one("#submit").press()
    await settle(pilot)


# -- the outline and the list --------------------------------------------------


async def test_outline_lists_the_drills_after_the_modules_and_opens_them(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        tree = app.screen.query_one("#outline")
        last = tree.root.children[-1]
        assert isinstance(last.data, DrillsEntry)
        assert "new" in str(last.label)
        tree.move_cursor(last)
        await pilot.pause()
        detail = text(app.screen.query_one("#detail-body", Static))
        assert "0 of 2 drills solved" in detail
        assert "SIMULATED" in detail or "live drills" in detail
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillListScreen)
        options = app.screen.query_one("#drills", OptionList)
        assert options.option_count == 2
        # By number and symptom: an id ("dns-nxdomain") names the answer.
        shown = [rendered(options.get_option_at_index(i).prompt) for i in range(2)]
        assert shown[0].startswith(" 1 The API's name does not resolve")
        assert not any("nxdomain" in line or "lb-503" in line for line in shown)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen)
        assert session.calls[0] == ("start", "dns-nxdomain", None)
        assert session.owner == os.getpid()  # the world ends with the app, even on kill -9


# -- playing a drill -----------------------------------------------------------


async def test_a_drill_played_to_the_right_diagnosis(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot)
        assert "SIMULATED" in banner(screen)
        assert "01:23" in banner(screen)  # the frozen clock: 83 s since the start
        story = screen.query_one("#story", Markdown)
        assert "could not resolve host" in story.source
        assert "SIMULATED" in story.source

        await pilot.press("p")
        arg = screen.query_one("#arg", Input)
        assert arg.value == "billing.shop.example"  # the story's host, for resolve
        await pilot.press("enter")
        await settle(pilot)
        assert session.calls[-1] == ("probe", "resolve", "billing.shop.example", False)
        history = screen.query_one("#history", OptionList)
        assert history.option_count == 1
        result = text(screen.query_one("#result", Static))
        assert "nxdomain" in result and "like dig billing.shop.example" in result
        assert "SIMULATED" in result
        table = screen.query_one(PacketTable)
        assert table.row_count == len(screen.results[0].trace.packets) > 0
        assert "probes 1" in banner(screen)

        assert not isinstance(screen.focused, Input)  # after a probe the keys work at once
        await pilot.press("p", "escape")  # escape in the text box only leaves the box
        assert pilot.app.screen is screen and not isinstance(screen.focused, Input)
        await pilot.press("h")
        await settle(pilot)
        assert session.calls[-1] == ("hint", 1)
        assert "Hint number 1" in screen.query_one("#story", Markdown).source
        assert "hints 1/3" in banner(screen)

        await answer(pilot, screen, (0, 0, 0), note="zone lost its record")
        assert session.calls[-1] == (
            "answer",
            "dns",
            "no-record",
            "dns-admin",
            "zone lost its record",
        )
        verdict = screen.query_one("#verdict", Markdown).source
        assert "Right" in verdict and "✗" not in verdict
        assert "dns.flags.rcode" in verdict and "in your probe #1" in verdict
        # The packet the grade found (the fake's: index 2) is named by the number
        # its row in the packet list shows, Wireshark's No.
        shown = table.get_row("2")[0]
        assert shown == "3" and "- in your probe #1, packet #3\n" in verdict
        assert "answered" in banner(screen)
        assert all(r.disabled for r in screen.query(RadioSet))


async def test_a_wrong_diagnosis_is_graded_wrong_and_says_the_right_one(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot)
        await answer(pilot, screen, (2, 2, 1))
        assert session.calls[-1] == ("answer", "tcp", "fw-drop", "network", "")
        verdict = screen.query_one("#verdict", Markdown).source
        assert "Not quite" in verdict
        assert (
            "you said “TCP: ports, firewalls, nothing listening”" in verdict
            and "you did not run the probe" in verdict
        )
        assert "Not network: the fault is in the DNS zone." in verdict  # why not them


async def test_the_diagnosis_needs_all_three_answers(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot)
        await pilot.press("a")
        screen.query_one(DiagnosisForm).query_one("#submit").press()
        await settle(pilot)
        assert not any(c[0] == "answer" for c in session.calls)


async def test_a_long_choice_wraps_to_be_read_in_full_at_80_columns(course, session, monkeypatch):
    """A real drill's choices run to 90 characters: at 80 columns each wraps
    under its button instead of ending in "…"."""
    import drill_fake
    from textual.widgets import RadioButton

    long = (
        "one of the servers behind checkout.shop.example's load balancer is down "
        "(its health check still passes)"
    )
    monkeypatch.setattr(drill_fake, "FAULTS", (drill_fake.Choice("lb", long), *drill_fake.FAULTS))
    app = make_app(course, Store.memory())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_drill(pilot)
        await pilot.press("a")
        await pilot.pause()
        button = screen.query_one("#q-faults", RadioSet).query(RadioButton).first()
        assert button.size.height >= 2, button.size
        lines = [strip.text for strip in button.render_lines(button.region.reset_offset)]
        shown = " ".join(" ".join(line.split()) for line in lines)
        assert "…" not in shown and "(its health check still passes)" in shown, lines
        # The next choice starts below the wrapped one, still on one line.
        second = screen.query_one("#q-faults", RadioSet).query(RadioButton)[1]
        assert second.region.y >= button.region.bottom and second.size.height == 1


async def test_typing_the_tool_before_the_target_picks_it(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot)
        await pilot.press("p")
        screen.query_one("#arg", Input).value = "fetch https://billing.shop.example/"
        await pilot.press("enter")
        await settle(pilot)
        assert session.calls[-1] == ("probe", "fetch", "https://billing.shop.example/", False)


async def test_capture_and_explain_opens_what_it_means(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert session.calls[-1] == ("probe", "resolve", "billing.shop.example", True)
        assert screen.query_one("#drill-tabs", TabbedContent).active == "meaning-tab"
        assert screen.query("#meaning-scroll Markdown")


async def test_fresh_variant_starts_again_and_resets_the_form(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot)
        await answer(pilot, screen, (0, 0, 0))
        await pilot.press("v")
        await settle(pilot)
        starts = [c for c in session.calls if c[0] == "start"]
        assert len(starts) == 2 and starts[1][2] is None
        assert screen.grade is None and screen.state is not None and not screen.state.finished
        assert not any(r.disabled for r in screen.query(RadioSet))
        assert screen.query_one(DiagnosisForm).query("#verdict")
        assert "answered" not in banner(screen)


async def test_leaving_the_screen_stops_the_drill(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        await open_drill(pilot)
        await pilot.press("escape")  # a stray escape only warns
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen) and session.stopped == 0
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DrillScreen)
        assert session.stopped == 1


async def test_quitting_from_the_drill_stops_it(course, session):
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        await open_drill(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert session.stopped == 1


async def test_a_start_that_fails_is_said_on_screen(course, session, monkeypatch):
    import labs.api

    def refuse(*args, **kwargs):
        raise labs.api.BadInput("no drill 'nope'.", "The drills are: dns-nxdomain.")

    monkeypatch.setattr(labs.api, "drill_start", refuse)
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_drill(pilot, "dns-nxdomain")
        assert "no drill 'nope'." in banner(screen)
        await pilot.press("p", "enter")
        await settle(pilot)
        assert not any(c[0] == "probe" for c in session.calls)


async def test_the_report_is_written_private_and_its_place_said(course, session, tutor_home):
    from tutor.screens.drill_report import write_report

    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        await open_drill(pilot)
        said = write_report(tutor_home, render=lambda report: f"# {report.state.title}\n")
    reports = list((tutor_home / "reports").glob("*.md"))
    assert len(reports) == 1 and str(reports[0]) in said
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    assert reports[0].read_text() == "# The API's name does not resolve\n"
    assert "SIMULATED" in said and "no pcap" in said


def test_a_live_drill_report_saves_the_pcap_beside_it(session, tutor_home, monkeypatch):
    import labs.api
    from labs.api import DrillReport
    from tutor.screens.drill_report import write_report

    session.simulated = False
    state = session.start(tutor_home, "dns-nxdomain")
    probe = session.probe(tutor_home, "resolve", "billing.shop.example")
    report = DrillReport(state, None, ((probe, probe.trace),), False)
    monkeypatch.setattr(labs.api, "drill_report", lambda home: report)
    said = write_report(tutor_home, render=lambda report: "# report\n")
    assert "4 packets" in said
    assert session.calls[-1][0] == "save_pcap" and session.calls[-1][1].endswith(".pcap")
    md = next((tutor_home / "reports").glob("*.md"))
    assert Path(session.calls[-1][1]) == md.with_suffix(".pcap")


# -- how it looks ----------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_probe_tab(snap_compare, course, session, size):
    async def play(pilot) -> None:
        screen = await open_drill(pilot)
        await pilot.press("p", "enter")
        await settle(pilot)
        screen.query_one("#history", OptionList).focus()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(course, Store.memory()), terminal_size=size, run_before=play)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_graded(snap_compare, course, session, size):
    async def play(pilot) -> None:
        screen = await open_drill(pilot)
        await pilot.press("p", "enter")
        await settle(pilot)
        await answer(pilot, screen, (0, 1, 0), note="record gone?")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(course, Store.memory()), terminal_size=size, run_before=play)
