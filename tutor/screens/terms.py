"""A small picker listing the glossary terms a lesson uses, so every link in
the text can also be followed from the keyboard."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tutor.content import Term
from tutor.screens.base import Dialog


class TermPicker(Dialog[str | None]):
    """Dismisses with the chosen term's id, or None."""

    BINDINGS = [Binding("escape", "cancel", "Close")]

    def __init__(self, terms: list[Term]) -> None:
        super().__init__()
        self.terms = terms

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="term-picker", classes="dialog"):
            yield Static("[b]Terms in this lesson[/b]  [dim]enter opens · escape closes[/dim]")
            yield OptionList(
                *(
                    Option(f"[b]{escape(t.term)}[/b]  [dim]{escape(t.short)}[/dim]", id=t.id)
                    for t in self.terms
                ),
                id="term-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
