"""The lab screen's display filter: Wireshark's syntax (`dns`,
`tcp.flags.syn == 1`, `!arp`), completed from the field names of this trace,
with a one-line error for a filter that cannot be read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from tutor.widgets.fitted_input import FittedInput

if TYPE_CHECKING:
    from labs.model.trace import Packet, Trace

#: The filter box's placeholder, the longest that fits the box first.
EXAMPLES = (
    "/ filter, e.g. dns · tcp.flags.syn == 1 · http.response.code >= 400 · !arp",
    "/ filter, e.g. dns · tcp.flags.syn == 1 · !arp",
    "/ filter, e.g. dns · !arp",
    "/ filter",
)
#: The most of the bar an error takes (its CSS max-width below, in percent).
ERROR_SHARE = 72
#: The name being typed at the end of the box ("tcp.fl" in "dns || tcp.fl").
_LAST_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*$")


def typo_text(name: str, meant: str | None) -> str:
    """A name no packet has that is a misspelling or that Wireshark does not
    know, in the CLI's words ("no field tcp.flgs.syn; did you mean
    tcp.flags.syn?")."""
    what = "field" if "." in name else "protocol"
    if meant is None:
        return f"Wireshark has no {what} {name}"
    return f"no {what} {name}; did you mean {meant}?"


class FieldSuggester(Suggester):
    """Completes the name being typed with a name this trace shows (→ takes it)."""

    def __init__(self) -> None:
        # No cache: the names change with every run.
        super().__init__(use_cache=False, case_sensitive=True)
        self.names: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        typed = _LAST_NAME.search(value)
        if typed is None:
            return None
        word = typed.group()
        name = next((n for n in self.names if n.startswith(word) and n != word), None)
        return value[: typed.start()] + name if name else None


class FilterBar(Horizontal):
    """One line: the filter box and what it selected (or why it cannot).
    Enter or Escape in the box hands the keys back to the packet list (`Done`):
    Escape would otherwise reach the screen, whose Escape leaves it (and ends
    `tutor explain --tui`) while the learner only meant to leave the box."""

    BINDINGS = [Binding("escape", "done", "Back to the packets", show=False)]

    DEFAULT_CSS = """
    FilterBar { height: 1; }
    FilterBar Input { width: 1fr; }
    FilterBar #filter-status { width: auto; max-width: 60%; padding: 0 1; color: $text-muted; }
    FilterBar #filter-status.error { color: $text-error; text-style: bold; max-width: 72%; }
    FilterBar #filter-status.error { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    @dataclass
    class Applied(Message):
        """The packets to list: None means every packet."""

        packets: tuple[Packet, ...] | None

    class Done(Message):
        """The learner left the box (Enter or Escape): the filter stays applied."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.suggester = FieldSuggester()
        self.trace: Trace | None = None
        #: what the list shows since the last filter that could be applied
        self.shown = ""

    def compose(self) -> ComposeResult:
        yield FittedInput(
            placeholders=EXAMPLES,
            suggester=self.suggester,
            compact=True,
            id="filter",
        )
        yield Static("", id="filter-status")

    def set_trace(self, trace: Trace) -> None:
        from labs.api import field_names

        self.trace = trace
        self.suggester.names = field_names(trace)
        self.apply(self.query_one("#filter", Input).value)

    @on(Input.Submitted, "#filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Done())

    def action_done(self) -> None:
        self.post_message(self.Done())

    @on(Input.Changed, "#filter")
    def _changed(self, event: Input.Changed) -> None:
        self.apply(event.value)

    def apply(self, text: str) -> None:
        """Select the packets `text` matches; on an error keep the last good list."""
        status = self.query_one("#filter-status", Static)
        status.remove_class("error")
        if self.trace is None:
            status.update("")
            return
        if not text.strip():
            self.shown = f"all {len(self.trace.packets)} packets"
            status.update(Text(f"{len(self.trace.packets)} packets"))
            self.post_message(self.Applied(None))
            return
        from labs.api import BadInput, compile_filter, filter_typo, unknown_names

        try:
            flt = compile_filter(text)
        except BadInput as err:
            self._refused(err.message.split(": ", 1)[-1])
            return
        typo = filter_typo(flt, self.trace)
        if typo is not None:
            # Refused as the CLI's --filter refuses it (and Wireshark an unknown
            # name): an error, the last good list kept, not "0 of 22".
            self._refused(typo_text(*typo))
            return
        # select: `frame.number == N` counts as the packet list does (#Na read
        # inside TLS belongs to wire packet N).
        chosen = flt.select(self.trace.packets)
        said = f"{len(chosen)} of {len(self.trace.packets)}"
        missing = unknown_names(flt, self.trace)
        if missing:
            said += f" · no packet has {', '.join(missing)}"
        status.update(Text(said))
        self.shown = f"{len(chosen)} of {len(self.trace.packets)}, for {text.strip()}"
        self.post_message(self.Applied(chosen))

    def _refused(self, why: str) -> None:
        """`why` the filter cannot be applied, and what the list still shows
        (the packets of the last filter that could be, often a shorter one
        typed on the way: say which)."""
        status = self.query_one("#filter-status", Static)
        status.add_class("error")
        # What the list still shows, as much as the row has room for, else
        # the error alone: a row cut after its " ·" ("did you mean
        # tcp.flags.syn? ·") said that more was coming and never said it.
        said = [f"{why} · the list still shows {self.shown}"] if self.shown else []
        if ", for " in self.shown:
            said.append(f"{why} · the list still shows {self.shown.split(', for ')[0]}")
        room = self.size.width * ERROR_SHARE // 100 - status.styles.padding.width
        status.update(Text(next((t for t in said if cell_len(t) <= room), why)))
