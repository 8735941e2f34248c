"""Conversations and follow stream on screen (keys c and F in the lab
screen): the text `tutor explain --conversations` / `--follow N` prints,
in a dialog that Escape closes. Computed by labs.api from the trace in
hand: no socket is touched."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class StreamsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    StreamsScreen { align: center middle; }
    StreamsScreen > Vertical {
        width: 95%; height: 90%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    StreamsScreen #streams-text { width: auto; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{self.title_text}[/b]  (Esc closes)")
            # Both ways: a conversations table wider than the dialog scrolls, not cut.
            with ScrollableContainer():
                # markup off: a stream's bytes are shown as they are
                yield Static(self.text, id="streams-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
