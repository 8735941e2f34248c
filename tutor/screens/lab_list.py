"""The list of labs, each with the version that will run on this machine
(live capture, reconstructed, namespaces or simulated) and why."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tutor.screens.base import REVIEW


class LabListScreen(Screen[None]):
    SUB_TITLE = "Labs"
    DEFAULT_CSS = """
    LabListScreen #labs { height: 1fr; border: round $primary 40%; }
    LabListScreen #lab-help { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back"),
        # The app's R, in this footer (the labs add terms to the review).
        Binding("R", "app.review", "Review", tooltip=REVIEW),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Each lab makes a real request and shows what crossed the wire. "
            "Enter opens one; the line under each says which version runs on this machine.",
            id="lab-help",
        )
        yield OptionList(id="labs")
        yield Footer()

    def on_mount(self) -> None:
        from labs.api import availability, specs
        from tutor.commands.lab import here

        options = self.query_one("#labs", OptionList)
        for info in specs():
            avail = availability(info)
            # A grid, so a line that wraps stays in the text column.
            label = Table.grid(padding=(0, 1))
            label.add_column(width=14, style="bold", no_wrap=True)
            label.add_column(ratio=1)
            label.add_row(info.id, f"module {info.module} · {info.title}")
            label.add_row("", info.summary)
            label.add_row("", Text(here(avail.version, avail.reason), style="dim"))
            options.add_option(Option(label, id=info.id))
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#labs")
    def _open(self, event: OptionList.OptionSelected) -> None:
        from tutor.screens.lab import LabScreen

        if event.option_id:
            self.app.push_screen(LabScreen(event.option_id))

    def action_back(self) -> None:
        self.dismiss(None)
