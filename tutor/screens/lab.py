"""The lab screen: run a lab, then read what crossed the wire.

Wireshark's three panes for a learner: a steps timeline and the packet list,
the layer/field tree with a plain-language narration, and a hex pane that
highlights the bytes of the selected field. The lab runs in a thread worker
through `labs.api.run_lab`; this screen only renders the `Trace` that
comes back (it never touches sockets).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Static, TabbedContent

from tutor.screens.trace_screen import MORE_KEYS, PANE_KEYS, TraceScreen
from tutor.screens.trace_view import in_screen_words
from tutor.widgets.fitted_input import FittedInput
from tutor.widgets.lab_options import LabOptionsBar, screen_words
from tutor.widgets.lab_options import hint as option_hint
from tutor.widgets.packet_table import PacketTable
from tutor.widgets.predict import PredictPanel

if TYPE_CHECKING:
    from textual.css.query import QueryType
    from textual.widget import Widget

    from labs.api import LabSpec
    from labs.model.trace import Trace
    from tutor.content import Lesson


def target_placeholders(lab: LabSpec) -> tuple[str, ...]:
    """The target box's placeholders, longest first (`FittedInput` shows the
    first that fits): each says what an empty box runs against, none cut."""
    return (
        f"live target {lab.target.hint} (empty: the embedded server)",
        "live target (empty: the embedded server)",
        "target (empty: embedded server)",
        "empty: embedded server",
        "target",
    )


def target_hint(lab: LabSpec) -> str:
    """The hint line for the target box: all the longest placeholder says."""
    return (
        f"target: a live {lab.target.hint}, or leave it empty for the lab's "
        "embedded server. Enter runs the lab."
    )


class LabScreen(TraceScreen):
    """Run one lab and explore its trace."""

    SUB_TITLE = "Lab"

    # The footer shows the few keys a first run needs, so it fits 80
    # columns (the tabs' keys are in their names); ? lists every key (the
    # help reads these bindings).
    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("x", "cancel", "Cancel"),
        *PANE_KEYS,
        Binding("d", "timing", "Timing and ladder", show=False),
        Binding("t", "focus_target", "Target", show=False),
        Binding("o", "controls", "Show/hide target and options", show=False),
        Binding("p", "save_pcap", "Save pcap", show=False),
        Binding("f", "predictions", "Predictions", show=False),
        # The one key of a lesson's lab the tabs' names do not give (f is
        # "f Predict first"); a lab without predictions hides it.
        Binding("e", "evidence", "Evidence"),
        *MORE_KEYS,
        # While the target box or an option's box has the focus, r and the
        # other letters are typed into it: the footer says the keys that
        # work there instead (`check_action`), and Escape leaves the box, not
        # the lab. Priority, to take the place of the box's own hidden Enter.
        Binding(
            "enter",
            "run_from_box",
            "Run",
            key_display="⏎",
            priority=True,
            tooltip="In the target box or an option's box: run the lab",
        ),
        Binding(
            "escape",
            "leave_box",
            "Leave the box",
            priority=True,
            tooltip="In the target box or an option's box: leave it for Run",
        ),
        Binding("escape", "back", "Back"),
    ]

    @dataclass
    class Progress(Message):
        text: str

    @dataclass
    class Finished(Message):
        trace: Trace

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, lab_id: str, lesson: Lesson | None = None, target: str = "") -> None:
        super().__init__()
        from labs.api import get

        self.lab = get(lab_id)
        self.lesson = lesson
        self.initial_target = target
        self._cancel = threading.Event()

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        # The title's own row in a terminal under 100 columns (-tiny), where
        # beside the box it left the target a dozen cells ("target") and
        # pushed the Run button to the edge; the bar's copy shows elsewhere.
        yield Static(f"Lab: {self.lab.title}", id="lab-heading")
        with Horizontal(id="lab-bar"):
            yield Static(f"Lab: {self.lab.title}", id="lab-title")
            if self.lab.needs == "netns":
                yield Static(
                    "The lab builds its own small network on this machine.", id="target-note"
                )
            else:
                yield FittedInput(
                    self.initial_target, placeholders=target_placeholders(self.lab), id="target"
                )
            yield Button("Run the lab", id="run", variant="primary")
        if self.lab.options:
            yield LabOptionsBar(self.lab, id="lab-options")
        # What a box's shortened placeholder leaves out, while it has the focus.
        yield Static("", id="lab-hint")
        yield Static(Text(self._intro()), id="banner", classes="intro")
        yield from self.compose_tabs(
            self.lab.id, lesson=self.lesson, topology=self.lab.needs == "netns"
        )
        yield Footer()

    @on(events.DescendantFocus)
    def _show_hint(self, event: events.DescendantFocus) -> None:
        said = self._hints().get(event.widget.id or "", "")
        hint = self.query_one("#lab-hint", Static)
        hint.update(Text(said))
        hint.set_class(bool(said), "-shown")

    def _hints(self) -> dict[str, str]:
        hints = {"target": target_hint(self.lab)}
        # The text boxes: a placeholder shortened to fit is theirs.
        boxes = (o for o in self.lab.options if o.kind not in ("flag", "choice"))
        hints.update((f"opt-{o.name}", option_hint(o)) for o in boxes)
        return hints

    def _intro(self) -> str:
        from labs.api import availability
        from tutor.commands.lab import here  # the lab list's words for it

        avail = availability(self.lab)
        return f"{self.lab.summary}\nPress r to run it. {here(avail.version, avail.reason)}"

    def fit(self) -> None:
        super().fit()
        # Short: the target box and Run take one row each, not three (a
        # border above and below): the bar is one row.
        short = self.has_class("-short")
        for box in self.query("#target, #run"):
            box.compact = short  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.fit()
        self.query_one(PacketTable).fill((), narrow=self.is_narrow(), show_secrets=False)
        if self.query(PredictPanel):
            self.show_tab("predict-tab")
        else:
            self.query_one("#run", Button).focus()

    # -- running ---------------------------------------------------------------

    def action_run(self) -> None:
        if self.workers and any(w.group == "lab" and w.is_running for w in self.workers):
            self.notify("The lab is already running; x cancels it.")
            return
        self._cancel = threading.Event()
        self.set_banner(f"Running {self.lab.id}… (x to cancel)", "warn")
        # Disabling the focused button would hand focus to the target box,
        # where x and q would be typed instead of cancelling.
        self.show_tab(self.query_one(TabbedContent).active)
        self.query_one("#run", Button).disabled = True
        target = self.query("#target")
        text = target.first(Input).value.strip() if target else ""
        bar = self.query(LabOptionsBar)
        self._run(text or None, bar.first().given() if bar else {})

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    @work(thread=True, exclusive=True, exit_on_error=False, group="lab")
    def _run(self, target: str | None, given: dict[str, object]) -> None:
        from labs.api import Cancelled, LabError, run_lab

        def progress(text: str) -> None:
            self.post_message(self.Progress(text))

        try:
            # Validated here by the lab's spec, as the CLI validates its flags.
            request = self.lab.request(target=target, given=given)
            trace = run_lab(request, progress=progress, cancel=self._cancel)
        except Cancelled:
            self.post_message(
                self.Failed("Stopped. Servers and captures were closed. Press r to run again.")
            )
        except LabError as err:
            self.post_message(self.Failed(str(err)))
        except Exception as err:  # a bug in a lab must not take the app down
            self.post_message(
                self.Failed(f"The lab failed unexpectedly: {type(err).__name__}: {err}")
            )
        else:
            self.post_message(self.Finished(trace))

    def action_cancel(self) -> None:
        if any(w.group == "lab" and w.is_running for w in self.workers):
            self._cancel.set()
            self.set_banner(
                "Stopping… the lab closes its servers and capture as soon as the step it is "
                "in returns (a request already waiting may take until its timeout).",
                "warn",
            )

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        self.set_banner(f"{message.text}  (x to cancel)", "warn")

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.query_one("#run", Button).disabled = False
        self.set_banner(in_screen_words(message.text, screen_words(self.lab)), "error")

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.query_one("#run", Button).disabled = False
        self.show_trace(message.trace)
        self._check_predictions(message.trace)

    def _check_predictions(self, trace: Trace) -> None:
        panels = self.query(PredictPanel)
        if panels and self.lesson is not None:
            said = panels.first().check(trace, self.lesson, getattr(self.app, "store", None))
            self.show_tab("predict-tab")
            self.notify(said)

    @on(PredictPanel.ShowEvidence)
    def _show_evidence(self, message: PredictPanel.ShowEvidence) -> None:
        self.select_evidence(message.packets, message.filter)

    def action_evidence(self) -> None:
        """Jump to the evidence for the prediction in focus (or the first)."""
        panels = self.query(PredictPanel)
        if not panels or not panels.first().show_evidence():
            self.notify("Run the lab first: evidence comes from your own trace.")

    def action_predictions(self) -> None:
        if self.query(PredictPanel):
            self.show_tab("predict-tab")

    def show_trace(self, trace: Trace) -> None:
        super().show_trace(trace)
        self.sub_title = f"Lab · {trace.capture}"
        self.collapse_controls()

    def focus_next(self, selector: str | type[QueryType] = "*") -> Widget | None:
        # Tab past the last question wraps to the top of the screen: not into the
        # target box, where the r the intro asks for would be typed as a host name,
        # but on to Run. t, shift+tab or a click still reach the box.
        widget = super().focus_next(selector)
        if widget is not None and widget.id == "target":
            widget = super().focus_next(selector)
        return widget

    # -- other actions ----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("run_from_box", "leave_box"):
            return self._in_box()
        if action == "focus_target":
            return self.lab.needs != "netns"
        if action in ("predictions", "evidence"):
            return bool(self.lesson and self.lesson.predicts)
        return super().check_action(action, parameters)

    def _in_box(self) -> bool:
        """Whether the focus is in the target box or an option's text box."""
        box = self.focused
        return isinstance(box, Input) and (
            box.id == "target" or any(a.id == "lab-options" for a in box.ancestors)
        )

    def action_run_from_box(self) -> None:
        self.action_run()

    def action_leave_box(self) -> None:
        # To Run, where r and Enter run the lab; while it runs (Run is
        # disabled), to the packet list.
        run = self.query_one("#run", Button)
        (self.query_one("#packets") if run.disabled else run).focus()

    def action_back(self) -> None:
        self._cancel.set()
        self.dismiss(None)
