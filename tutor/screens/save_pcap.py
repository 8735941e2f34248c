"""A small dialog asking where to save the lab's packets as a pcap file."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class SavePcapScreen(ModalScreen[str | None]):
    """Dismisses with the chosen path, or None when cancelled."""

    DEFAULT_CSS = """
    SavePcapScreen { align: center middle; }
    SavePcapScreen > Vertical {
        width: 90; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Save the packets as a pcap file (Wireshark opens it). Enter saves, Esc cancels."
            )
            yield Label(
                "It holds every byte that crossed the wire, credentials sent in clear included."
            )
            yield Input(self.default, id="path")

    @on(Input.Submitted, "#path")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
