"""Conversations and follow stream on screen (keys c and F in the lab
screen): the text `tutor explain --conversations` / `--follow N` prints,
in a dialog that Escape closes. Computed by labs.api from the trace in
hand: no socket is touched."""

from __future__ import annotations

from rich.text import Text
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
            yield Label(self._title(wide=False), id="streams-title")
            # Both ways: a conversations table wider than the dialog scrolls, not cut.
            with ScrollableContainer(id="streams-scroll"):
                # markup off: a stream's bytes are shown as they are
                yield Static(self.text, id="streams-text", markup=False)

    def _title(self, wide: bool) -> Text:
        # Wider than the dialog (the conversations table at 80 columns): the
        # columns past its edge are there, and the title says how to reach them.
        keys = "Esc closes · ← → scroll sideways" if wide else "Esc closes"
        return Text.assemble((self.title_text, "bold"), f"  ({keys})")

    def on_mount(self) -> None:
        self.query_one("#streams-scroll").focus()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        scroll = self.query_one("#streams-scroll", ScrollableContainer)
        wide = scroll.virtual_size.width > scroll.scrollable_content_region.width
        self.query_one("#streams-title", Label).update(self._title(wide))

    def action_close(self) -> None:
        self.dismiss(None)
