"""Saving a lab's packets as a pcap: the dialog asking where, and the save."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from tutor.screens.base import Dialog

if TYPE_CHECKING:
    from labs.model.trace import Trace


def default_path(lab: str) -> str:
    """In the tutor home, not the working directory: a pcap can hold the lab's
    API key, and the working directory is often a git checkout."""
    from tutor.progress import home

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return str(home() / "captures" / f"tutor-{lab}-{stamp}.pcap")


def save(trace: Trace, path: str) -> tuple[str, bool]:
    """Write the trace's wire packets; a one-line message and whether it worked."""
    from labs.api import LabError, save_capture

    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        count, keys = save_capture(trace, target)
    except (OSError, LabError) as err:
        return f"Could not save {path}: {err}", False
    note = " (reconstructed headers)" if trace.capture == "reconstructed" else ""
    also = f" The session keys that decrypt it are in {keys}." if keys else ""
    return f"Saved {count} packets to {path}{note}. Open it in Wireshark.{also}", True


class SavePcapScreen(Dialog[str | None]):
    """Dismisses with the chosen path, or None when cancelled."""

    DEFAULT_CSS = """
    SavePcapScreen { align: center middle; }
    SavePcapScreen > Vertical {
        width: 90; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    SavePcapScreen Label { width: 100%; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose_dialog(self) -> ComposeResult:
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
