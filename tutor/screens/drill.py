"""The drill screen: a broken network's story, the probe tools, what each
probe saw (its packets, with the lab screen's widgets), hints, the graded
diagnosis, a fresh variant and the report for an engineer.

Everything that touches the network runs in a thread worker through
`labs.api` (drill_start, drill_probe, ...); the screen only renders what
comes back. Leaving the screen stops the drill and removes its world.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import (
    Footer,
    Header,
    Input,
    Markdown,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)

from tutor.screens.base import TutorScreen
from tutor.screens.drill_answer import DiagnosisForm
from tutor.screens.drill_probe import ProbePane
from tutor.screens.drill_session import error_line, home, stop_quietly
from tutor.screens.drill_trace import ProbePackets, fill_meaning
from tutor.screens.drill_view import TOOLS, banner, story_markdown
from tutor.widgets.packet_view import Pane

if TYPE_CHECKING:
    from labs.api import DrillState, Grade, Hint, ProbeResult


class DrillScreen(TutorScreen[None]):
    """Play one drill: probe, find the evidence, diagnose."""

    SUB_TITLE = "Drill"
    CSS_PATH = "drill.tcss"
    #: The wall clock the timer reads (tests freeze it).
    clock = staticmethod(time.time)

    BINDINGS = [
        Binding("p", "tab('probe-tab')", "Probe"),
        Binding("c", "capture", "Capture"),
        Binding("h", "hint", "Hint"),
        Binding("a", "tab('answer-tab')", "Diagnose"),
        Binding("e", "report", "Report"),
        Binding("v", "replay", "Variant"),
        Binding("s", "tab('story-tab')", "Story", show=False),
        Binding("w", "tab('wire-tab')", "Packets", show=False),
        Binding("m", "tab('meaning-tab')", "What it means", show=False),
        Binding("escape", "back", "Back"),
    ]

    @dataclass
    class Started(Message):
        state: DrillState
        note: str = ""

    @dataclass
    class Probed(Message):
        result: ProbeResult
        state: DrillState | None
        capture: bool

    @dataclass
    class Hinted(Message):
        hint: Hint

    @dataclass
    class Graded(Message):
        grade: Grade

    @dataclass
    class Failed(Message):
        text: str

    @dataclass
    class Said(Message):
        text: str

    def __init__(self, drill_id: str, seed: int | None = None) -> None:
        super().__init__()
        self.drill_id = drill_id
        self.seed = seed
        self.state: DrillState | None = None
        self.results: list[ProbeResult] = []
        self.hints: list[Hint] = []
        self.grade: Grade | None = None
        self.shown: ProbeResult | None = None
        self._stopped = False
        self._note = ""
        self._leaving = 0.0

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(banner(None, 0)), id="drill-banner", classes="warn")
        with TabbedContent(id="drill-tabs", initial="story-tab"):
            with TabPane("Story", id="story-tab"):
                with Pane(id="story-scroll"):
                    yield Markdown("Building the drill's network…", id="story")
            with TabPane("Probe", id="probe-tab"):
                yield ProbePane(id="probe")
            with TabPane("Packets", id="wire-tab"):
                yield ProbePackets(self.drill_id, id="probe-packets")
            with TabPane("What it means", id="meaning-tab"):
                with Pane(id="meaning-scroll"):
                    yield Markdown("Run a probe; c captures it and explains it here.")
            with TabPane("Diagnose", id="answer-tab"):
                yield DiagnosisForm(id="diagnosis")
        yield Footer()

    def on_mount(self) -> None:
        self._fit()
        self._start(self.drill_id, self.seed)
        self.set_interval(1, self._tick)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width, height = self.size if self.size.width else self.app.size
        self.set_class(width < 100, "-narrow")
        self.set_class(height < 30, "-short")

    def _tick(self) -> None:
        if self.state is None:  # starting, or failed to: that banner stays as it was set
            return
        elapsed = self.clock() - self.state.started
        if self.grade is not None:
            elapsed = self.grade.seconds
        self._set_banner(banner(self.state, elapsed, self._note))

    def _set_banner(self, text: str, kind: str | None = None) -> None:
        widget = self.query_one("#drill-banner", Static)
        widget.update(Text(text))
        if kind is None:
            kind = "warn" if self.state is None or self.state.simulated else "live"
        widget.set_classes(kind)

    # -- starting, replaying, stopping --------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="drill")
    def _start(self, drill_id: str, seed: int | None, fresh: bool = False) -> None:
        from labs.api import drill_start, drill_state, drill_stop

        where = home()
        note = ""
        try:
            current = drill_state(where)
            if current is not None and not current.finished:
                if current.drill == drill_id and current.alive and not fresh and seed is None:
                    self.post_message(self.Started(current, "Resumed the drill in progress."))
                    return
                drill_stop(where)
                if current.drill != drill_id:
                    note = f"Stopped the drill that was in progress ({current.drill})."
            state = drill_start(where, drill_id, seed=seed, owner=os.getpid())
        except Exception as err:  # BadInput, LabError, or a bug: said on screen, never a crash
            self.post_message(self.Failed(error_line(err)))
            return
        self.post_message(self.Started(state, note))

    @on(Started)
    async def _started(self, message: Started) -> None:
        self.state = message.state
        self.results = [p for p in message.state.probes]
        self.hints, self.grade, self.shown = [], None, None
        self._note = message.note
        self.sub_title = "Drill · SIMULATED" if message.state.simulated else "Drill · live"
        self.query_one("#story", Markdown).update(story_markdown(message.state, self.hints))
        self.query_one(ProbePane).reset(message.state.url, self.results)
        self.query_one(ProbePackets).show(None)
        await self.query_one(DiagnosisForm).set_choices(message.state)
        self._tick()
        self.action_tab("story-tab")  # a fresh variant starts from its story
        if message.note:
            self.notify(message.note)

    def action_replay(self) -> None:
        """A fresh variant: other names, addresses, and maybe another fault."""
        if self._busy("drill"):
            self.notify("The drill is still starting.")
            return
        self.state = None
        self._note = "Building a fresh variant…"
        self._set_banner(banner(None, 0, self._note), "warn")
        self._start(self.drill_id, None, fresh=True)

    def action_back(self) -> None:
        if isinstance(self.focused, Input):  # escape leaves the text box first
            self.query_one("#history", OptionList).focus()
            return
        playing = self.state is not None and not self.state.finished
        if playing and self.clock() - self._leaving > 5:  # a stray escape must not end a drill
            self._leaving = self.clock()
            self.notify("Leaving stops this drill and removes its network: escape again to leave.")
            return
        self._stop_in_background()
        self.dismiss(None)

    def _stop_in_background(self) -> None:
        if not self._stopped:
            self._stopped = True
            # The app's worker, not the screen's: it outlives the screen being dismissed.
            work = partial(stop_quietly, home())
            self.app.run_worker(work, thread=True, group="drill-stop", exit_on_error=False)

    def on_unmount(self) -> None:
        """Quitting from here (q) still takes the drill's world down."""
        if not self._stopped:
            self._stopped = True
            stop_quietly(home())

    # -- probes ---------------------------------------------------------------------

    @on(ProbePane.Run)
    def _run_asked(self) -> None:
        self._probe_now(capture=False)

    def action_capture(self) -> None:
        """Capture & explain: the same probe, its packets explained in full."""
        self._probe_now(capture=True)

    def _probe_now(self, capture: bool) -> None:
        if self.state is None or self.state.finished:
            self.notify("No drill running: v starts a fresh one.", severity="warning")
            return
        if self._busy("probe"):
            self.notify("A probe is running; wait for it.")
            return
        pane = self.query_one(ProbePane)
        kind, arg = pane.kind(), pane.arg()
        if not arg:
            self.notify(f"Give {kind} a target, e.g. {TOOLS[kind][1]}.", severity="warning")
            self.query_one("#arg", Input).focus()
            return
        pane.say(f"Running {kind} {arg}…")
        self._probe(kind, arg, capture)

    @work(thread=True, exit_on_error=False, group="probe")
    def _probe(self, kind: str, arg: str, capture: bool) -> None:
        from labs.api import drill_probe, drill_state

        try:
            result = drill_probe(home(), kind, arg, capture=capture)
            state = drill_state(home())
        except Exception as err:
            self.post_message(self.Failed(error_line(err)))
            return
        self.post_message(self.Probed(result, state, capture))

    @on(Probed)
    def _probed(self, message: Probed) -> None:
        if message.state is not None:
            self.state = message.state
        self.results.append(message.result)
        self.query_one(ProbePane).add(message.result)
        self._show_result(message.result)
        if isinstance(self.focused, Input):  # so the keys (a, h, w, ...) work at once
            self.query_one("#history", OptionList).focus()
        self._tick()
        if message.capture:
            self.action_tab("meaning-tab")

    @on(ProbePane.Picked)
    def _picked(self, message: ProbePane.Picked) -> None:
        if message.result is not self.shown:
            self._show_result(message.result)

    def _show_result(self, result: ProbeResult) -> None:
        """The probe's packets in the Packets tab, their meaning in the next."""
        self.shown = result
        self.query_one(ProbePackets).show(result.trace)
        fill_meaning(self.query_one("#meaning-scroll", Pane), result.trace)

    # -- hints, diagnosis, report ------------------------------------------------------

    def action_hint(self) -> None:
        if self.state is None or self.state.finished:
            self.notify("Hints come during a drill.")
            return
        if len(self.hints) >= 3 or self.state.hints_used >= 3:
            self.notify("No hints left: all three are on the Story tab (s).")
            return
        self._hint()

    @work(thread=True, exit_on_error=False, group="hint")
    def _hint(self) -> None:
        from labs.api import drill_hint

        try:
            self.post_message(self.Hinted(drill_hint(home())))
        except Exception as err:
            self.post_message(self.Failed(error_line(err)))

    @on(Hinted)
    def _hinted(self, message: Hinted) -> None:
        self.hints.append(message.hint)
        if self.state is not None:
            used = max(self.state.hints_used + 1, message.hint.number)
            self.state = replace(self.state, hints_used=used)
            self.query_one("#story", Markdown).update(story_markdown(self.state, self.hints))
        left = f"{message.hint.left} left" if message.hint.left else "that was the last"
        self.notify(message.hint.text, title=f"Hint {message.hint.number} ({left})", timeout=15)
        self._tick()

    @on(DiagnosisForm.Submitted)
    def _submitted(self, message: DiagnosisForm.Submitted) -> None:
        if self.state is None or self.state.finished:
            self.notify("This drill is already answered: v plays a fresh variant.")
            return
        self._answer(message.layer, message.fault, message.call, message.note)

    @work(thread=True, exclusive=True, exit_on_error=False, group="answer")
    def _answer(self, layer: str, fault: str, call: str, note: str) -> None:
        from labs.api import drill_answer

        try:
            self.post_message(self.Graded(drill_answer(home(), layer, fault, call, note)))
        except Exception as err:
            self.post_message(self.Failed(error_line(err)))

    @on(Graded)
    def _graded(self, message: Graded) -> None:
        self.grade = message.grade
        if self.state is not None:
            self.state = replace(self.state, finished=True, grade=message.grade)
            self.query_one(DiagnosisForm).show_grade(message.grade, self.state)
            from tutor.screens.drill_progress import record

            record(self.app.store, self.state, message.grade)
        self._tick()

    def action_report(self) -> None:
        if self.state is None:
            self.notify("The drill has not started yet.")
            return
        self._report()

    @work(thread=True, exit_on_error=False, group="report")
    def _report(self) -> None:
        from tutor.screens.drill_report import write_report

        try:
            self.post_message(self.Said(write_report(home())))
        except Exception as err:
            self.post_message(self.Failed(error_line(err)))

    @on(Said)
    def _told(self, message: Said) -> None:
        self.notify(message.text, title="Explain it to my engineer", timeout=20)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.notify(message.text, severity="error", timeout=12)
        if self.state is None:
            self._set_banner(message.text, "error")
        self.query_one(ProbePane).say(message.text)

    # -- small things ---------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one("#drill-tabs", TabbedContent).active = tab
        inside = {
            "story-tab": "#story-scroll",
            "probe-tab": "#arg",
            "wire-tab": "#packets",
            "meaning-tab": "#meaning-scroll",
            "answer-tab": "DiagnosisForm RadioSet",
        }
        found = self.query(inside[tab])
        if found:
            found.first().focus()

    def _busy(self, group: str) -> bool:
        return any(w.group == group and w.is_running for w in self.workers)
