"""A screen that says a part of the app is coming, and what to do meanwhile."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Footer, Header, Static

from tutor.screens.base import TutorScreen


class PlaceholderScreen(TutorScreen[None]):
    """Title and a few lines of text; escape goes back."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.heading = title
        self.text = text

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(classes="placeholder"):
            yield Static(f"[b]{self.heading}[/b]\n\n{self.text}", id="placeholder-text")
        yield Footer()

    def action_back(self) -> None:
        self.dismiss()
