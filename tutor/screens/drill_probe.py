"""The drill's probe tools pane: a tool (resolve, connect, fetch, trace), its
target, Run; the history of probes run so far; and the picked probe's result
in words. It only asks: the drill screen runs the probe in a worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from tutor.screens.drill_view import TOOLS, default_arg, history_label, probe_text
from tutor.widgets.packet_view import Pane

if TYPE_CHECKING:
    from labs.api import ProbeResult

READY = "Pick a tool, check its target, press enter (c: capture & explain)."


class ProbePane(Vertical):
    @dataclass
    class Run(Message):
        """The learner asked for a probe."""

        kind: str
        arg: str

    @dataclass
    class Picked(Message):
        """A probe in the history was picked: show its packets."""

        result: ProbeResult

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.url = ""
        self.results: list[ProbeResult] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="probe-bar"):
            kinds = [(k, k) for k in TOOLS]
            yield Select(kinds, value="resolve", allow_blank=False, id="kind")
            yield Input(placeholder=TOOLS["resolve"][1], id="arg")
            yield Button("Run", id="run-probe", variant="primary")
        yield Static(Text(TOOLS["resolve"][0]), id="tool-help")
        with Horizontal(id="probe-body"):
            yield OptionList(id="history")
            with Pane(id="result-scroll"):
                yield Static(READY, id="result")

    def reset(self, url: str, results: list[ProbeResult]) -> None:
        """A (new) drill: its URL fills the targets, its probes the history."""
        self.url = url
        self.query_one("#arg", Input).value = ""
        self._kind_changed(self.kind())
        self.results = list(results)
        self._fill()
        self.say(READY)

    def add(self, result: ProbeResult) -> None:
        self.results.append(result)
        self._fill()
        self.query_one("#result", Static).update(probe_text(result))

    def say(self, text: str) -> None:
        self.query_one("#result", Static).update(Text(text))

    def kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def arg(self) -> str:
        return self.query_one("#arg", Input).value.strip()

    def _fill(self) -> None:
        history = self.query_one("#history", OptionList)
        history.clear_options()
        for n, result in enumerate(self.results):
            history.add_option(Option(history_label(result), id=f"probe-{n}"))
        if self.results:
            history.highlighted = len(self.results) - 1

    @on(Select.Changed, "#kind")
    def _kind_select(self, event: Select.Changed) -> None:
        self._kind_changed(str(event.value))

    def _kind_changed(self, kind: str) -> None:
        like, example = TOOLS.get(kind, ("", ""))
        self.query_one("#tool-help", Static).update(Text(like))
        arg = self.query_one("#arg", Input)
        arg.placeholder = example
        defaults = {default_arg(k, self.url) for k in TOOLS}
        if self.url and (not arg.value or arg.value in defaults):
            arg.value = default_arg(kind, self.url)

    @on(Input.Submitted, "#arg")
    @on(Button.Pressed, "#run-probe")
    def _run(self) -> None:
        # "fetch https://..." typed in the box picks the tool too, as on the command line.
        first, _, rest = self.arg().partition(" ")
        if first in TOOLS and rest.strip():
            self.query_one("#kind", Select).value = first
            self.query_one("#arg", Input).value = rest.strip()
        self.post_message(self.Run(self.kind(), self.arg()))

    @on(OptionList.OptionHighlighted, "#history")
    def _pick(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id is not None:
            result = self.results[int(event.option_id.split("-")[1])]
            self.query_one("#result", Static).update(probe_text(result))
            self.post_message(self.Picked(result))
