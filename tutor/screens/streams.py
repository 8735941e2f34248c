"""Conversations and follow stream on screen (keys c and F in the lab
screen): the text `tutor explain --conversations` / `--follow N` prints,
in a dialog that Escape closes. Computed by labs.api from the trace in
hand: no socket is touched."""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Label, Static

from tutor.screens.base import Dialog


class StreamText(ScrollableContainer):
    """The text, scrolling both ways: a conversations table wider than the
    dialog scrolls, not cut. Its arrow keys are in the dialog's footer only
    when there is somewhere to scroll that way."""

    BINDINGS = [
        Binding("up", "scroll_up", "Scroll", key_display="↑ ↓"),
        Binding("down", "scroll_down", "Scroll", show=False),
        Binding("left", "scroll_left", "Sideways", key_display="← →"),
        Binding("right", "scroll_right", "Sideways", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("scroll_up", "scroll_down"):
            return self.max_scroll_y > 0
        if action in ("scroll_left", "scroll_right"):
            return self.max_scroll_x > 0
        return True


def hanging(text: str) -> Group:
    """`text`'s lines wrapped to the dialog, each line's further rows under
    its own indent: a summary ("← server to client: 60203 bytes ...") is
    read whole at 80 columns, not cut and scrolled a cell at a time."""
    rows = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        rows.append(Padding(Text(body), (0, 0, 0, len(line) - len(body))))
    return Group(*rows)


class StreamsScreen(Dialog[None]):
    DEFAULT_CSS = """
    StreamsScreen { align: center middle; }
    StreamsScreen > Vertical {
        width: 95%; height: 90%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    StreamsScreen #streams-text { width: auto; }
    StreamsScreen #streams-head { height: auto; max-height: 50%; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, title: str, text: str, head: str = "") -> None:
        """`head` wraps above `text` (which scrolls both ways, as the bytes
        of a stream keep their lines)."""
        super().__init__()
        self.title_text = title
        self.text = text
        self.head = head

    def compose_dialog(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"), id="streams-title")
            if self.head:
                yield Static(hanging(self.head), id="streams-head")
            with StreamText(id="streams-scroll"):
                # markup off: a stream's bytes are shown as they are
                yield Static(self.text, id="streams-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#streams-scroll").focus()
        self.call_after_refresh(self.refresh_bindings)

    def on_resize(self) -> None:
        # Whether the text is wider or taller than the dialog: the footer's arrows.
        self.call_after_refresh(self.refresh_bindings)

    def action_close(self) -> None:
        self.dismiss(None)
