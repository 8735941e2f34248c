"""The lab screen, driven with Pilot against the real http-api lab and its
embedded API: run, read the packets, select a field and see its bytes
highlighted; predictions checked against the learner's own trace."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Tree

from tutor.app import make_app
from tutor.content import load_course
from tutor.progress import Store
from tutor.screens.lab import LabScreen
from tutor.widgets.hexdump import HexDump
from tutor.widgets.lab_options import LabOptionsBar
from tutor.widgets.packet_view import PacketView
from tutor.widgets.predict import PredictPanel


@pytest.fixture(scope="module")
def course():
    return load_course()


async def run_lab(pilot, screen: LabScreen) -> None:
    await pilot.press("r")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def open_lab_screen(app, course, lab="http-api", lesson=None):
    screen = LabScreen(lab, lesson)
    app.push_screen(screen)
    return screen


@pytest.mark.parametrize("capture", ["auto", "reconstructed"])
async def test_run_the_lab_and_highlight_a_field(course, monkeypatch, capture):
    if capture == "reconstructed":
        monkeypatch.setenv("TUTOR_CAPTURE", "reconstructed")
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_lab_screen(app, course)
        await pilot.pause()
        await run_lab(pilot, screen)
        trace = screen.trace
        assert trace is not None, screen.query_one("#banner").render()
        if capture == "reconstructed":
            assert trace.capture == "reconstructed"
            banner = screen.query_one("#banner")
            assert "Reconstructed, not captured" in str(banner.render()) and banner.has_class(
                "warn"
            )
        table = screen.query_one("#packets", DataTable)
        assert table.row_count == len(trace.packets) > 10

        # "What it means": code sections (the curl command) are wrapping blocks,
        # and the API key they quote is masked until S.
        code = "\n".join(str(w.render()) for w in screen.query("#meaning-scroll .code"))
        assert "curl" in code
        secrets = trace.secret_values()
        assert secrets and not any(value in code for value in secrets)

        # The first packet is the SYN; walk the tree to its TCP flags field.
        tree = screen.query_one("#fields", Tree)
        tree.focus()
        flags = None
        for _ in range(60):
            await pilot.press("down")
            node = tree.cursor_node
            li, fi = node.data
            if fi is not None:
                field = screen.query_one(PacketView).packet.layers[li].fields[fi]
                if field.filter == "tcp.flags":
                    flags = field
                    break
        assert flags is not None, "no tcp.flags field reachable by keyboard"
        # The highlighted bytes in the hex pane are exactly the field's bytes.
        shown = (
            screen.query_one(PacketView)
            .packet.data[flags.offset : flags.offset + flags.length]
            .hex()
        )
        assert screen.query_one("#hex", HexDump).highlighted_hex() == shown
        assert flags.show in str(screen.query_one("#narration").render())


async def test_predictions_are_checked_against_the_trace(course):
    lesson = next(x for x in course.lessons if x.lab == "http-api" and x.predicts)
    store = Store.memory()
    app = make_app(course, store)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_lab_screen(app, course, "http-api", lesson)
        await pilot.pause()
        panel = screen.query_one(PredictPanel)
        # Answer the first question with its first choice, leave the rest open.
        first = screen.query_one("#choices-0")
        first.query("RadioButton").first().value = True
        await pilot.pause()
        await run_lab(pilot, screen)
        assert screen.trace is not None
        outcome = panel.outcomes[0]
        fact = screen.trace.fact(lesson.predicts[0].fact)
        assert outcome.observed == fact.value
        assert outcome.correct == (
            lesson.predicts[0].choices[0].strip().lower() == fact.value.lower()
        )
        answers = store.answers(lesson.id, "predict")
        assert [(a.question, a.choice, a.correct) for a in answers] == [(0, 0, outcome.correct)]
        # "Show me" jumps to the evidence packet; so does e, from the keyboard.
        screen.query_one("#evidence-0").press()
        await pilot.pause()
        assert screen.query_one(PacketView).packet.index == fact.packets[-1]
        screen.show_tab("predict-tab")
        screen.query_one(PacketView).show(screen.trace.packets[-1])
        await pilot.press("e")
        await pilot.pause()
        # The last evidence packet is the answer (the ACK that completes it, the response).
        assert screen.query_one(PacketView).packet.index == fact.packets[-1]


async def test_a_refused_target_is_one_line_on_screen(course):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen("http-api", target=f"http://127.0.0.1:{port}/")
        app.push_screen(screen)
        await pilot.pause()
        await run_lab(pilot, screen)
        banner = str(screen.query_one("#banner").render())
        assert screen.trace is None
        assert "refused" in banner.lower()
        assert "Traceback" not in banner


async def test_routing_lab_options_and_topology(course):
    """The simulated checkbox is the CLI's --simulate; the drawing follows the packet."""
    from textual.widgets import Checkbox, Select, Static

    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen("traceroute")
        app.push_screen(screen)
        await pilot.pause()
        assert not screen.query("#target")  # the lab builds its own network
        screen.query_one("#opt-simulate", Checkbox).value = True
        screen.query_one("#opt-mode", Select).value = "icmp"
        await pilot.pause()
        request = screen.lab.request(given=screen.query_one(LabOptionsBar).given())
        assert request.option("simulate") and request.option("mode") == "icmp"
        await run_lab(pilot, screen)
        assert screen.trace is not None and screen.trace.capture == "simulated"
        assert "SIMULATED" in str(screen.query_one("#banner").render())
        drawing = str(screen.query_one("#topology", Static).render())
        assert "router 1" in drawing and "^" in drawing


async def test_dns_with_default_options_runs_the_whole_scenario(course):
    """The TUI's defaults must be the CLI's: no --type means every query, so
    the lessons' DNS predictions (CNAME chain, NXDOMAIN) can be checked."""
    app = make_app(course, Store.memory())
    async with app.run_test(size=(120, 36)) as pilot:
        screen = LabScreen("dns")
        app.push_screen(screen)
        await pilot.pause()
        request = screen.lab.request(given=screen.query_one(LabOptionsBar).given())
        assert request.option("qtype") is None
        await run_lab(pilot, screen)
        facts = {f.name for f in screen.trace.facts}
        wanted = {p.fact for x in course.lessons if x.lab == "dns" for p in x.predicts}
        if screen.trace.sections[0].title.startswith("Not the recursive walk"):
            # No root or no Unbound here: the walk's facts cannot be shown (said on screen).
            wanted -= {"walk_servers", "aa_set_by", "second_lookup_packets", "cached_ttl"}
        assert wanted <= facts


def test_saving_a_simulated_run_says_why_not(tmp_path, monkeypatch):
    from labrun import run

    from tutor.screens.save_pcap import save

    monkeypatch.setenv("TUTOR_SIMULATE", "1")
    trace = run("traceroute", simulate=True)
    message, ok = save(trace, str(tmp_path / "sim.pcap"))
    assert not ok and "simulated" in message.lower()
    assert not (tmp_path / "sim.pcap").exists()


def test_trace_screens_share_their_pane_keys_and_keep_their_footer_order():
    """The keys both trace screens have are declared once (trace_screen), and
    each screen's footer keeps its order: the lab's starts with Run."""
    from tutor.screens.capture import CaptureScreen
    from tutor.screens.trace_screen import MORE_KEYS, PANE_KEYS

    def keys(screen: type, shown: bool) -> list[str]:
        merged = screen._merged_bindings.key_to_bindings.items()  # what footer and help read
        return [k for k, (b, *_) in merged if b.show or not shown]

    # enter ("⏎ Run") is shown only while a text box has the focus (check_action).
    assert keys(LabScreen, shown=True) == ["r", "x", "slash", "z", "e", "escape", "enter"]
    assert keys(CaptureScreen, shown=True) == ["slash", "z", "d", "r", "escape"]
    for screen in (LabScreen, CaptureScreen):
        declared = [id(b) for b in screen.BINDINGS]
        assert all(id(b) in declared for b in PANE_KEYS + MORE_KEYS)
    assert keys(LabScreen, shown=False)[-8:] == ["S", "c", "F", "g", "R", "L", "escape", "enter"]
