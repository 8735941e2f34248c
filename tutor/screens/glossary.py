"""The glossary: search-as-you-type over terms and aliases, the matching terms,
and the full entry of the highlighted one, with related terms to follow."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Footer, Header, Input, OptionList
from textual.widgets.option_list import Option

from tutor.content import Term
from tutor.screens.base import REVIEW, TutorScreen
from tutor.widgets.term_view import TermView


class GlossaryScreen(TutorScreen[None]):
    """Opened with `g` from anywhere, or on one term by following a link."""

    SUB_TITLE = "Glossary"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_search", "Search", key_display="/"),
        # The app's R, in the footer as on the outline's: the terms read here
        # are the deck's. (While typing, R is a letter of the search.)
        Binding("R", "app.review", "Review", tooltip=REVIEW),
        Binding("down", "move(1)", "Next result", show=False, key_display="↓"),
        Binding("up", "move(-1)", "Previous result", show=False, key_display="↑"),
        # While the search box has the focus, ? and q are typed into it: the
        # footer says the keys that still get help and quit (priority, as the
        # app's own are: else the app's hidden ones would take their place).
        Binding(
            "f1",
            "typing_help",
            "Help",
            key_display="F1",
            priority=True,
            tooltip="Help, also while typing in the search box",
        ),
        Binding(
            "ctrl+q",
            "typing_quit",
            "Quit",
            key_display="^q",
            priority=True,
            tooltip="Quit, also while typing in the search box",
        ),
    ]

    def __init__(self, term_id: str | None = None) -> None:
        super().__init__()
        self.initial = term_id

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="glossary"):
            yield Input(placeholder="Search terms and aliases, e.g. tcp, 404, port", id="search")
            with Horizontal():
                yield OptionList(id="results")
                yield TermView(self.app.course, id="entry")
        yield Footer()

    def on_mount(self) -> None:
        self._fill("")
        if self.initial:
            self.show_term(self.initial)
        else:
            self.focus_search()

    # -- results -------------------------------------------------------------------

    def _fill(self, query: str) -> None:
        self.matches: list[Term] = self.app.course.glossary.search(query)
        results = self.query_one("#results", OptionList)
        results.set_options(Option(escape(t.term), id=t.id) for t in self.matches)
        results.border_title = f"{len(self.matches)} terms"
        if self.matches:
            results.highlighted = 0
        else:
            self.query_one(TermView).show(None)

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _submitted(self) -> None:
        # Enter in the search box: go read the highlighted entry.
        if self.matches:
            self.query_one(TermView).focus()

    @on(OptionList.OptionHighlighted, "#results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # A highlight from the list before the last search emptied it comes
        # late: it must not bring back an entry that no longer matches.
        if not any(t.id == event.option_id for t in self.matches):
            return
        self.query_one(TermView).show(self.app.course.glossary.get(event.option_id or ""))

    @on(OptionList.OptionSelected, "#results")
    def _selected(self) -> None:
        self.query_one(TermView).focus()

    @on(TermView.Follow)
    def _follow(self, event: TermView.Follow) -> None:
        self.show_term(event.term_id)

    # -- used by the app and by links ----------------------------------------------

    def show_term(self, term_id: str) -> None:
        """Show one term, highlighted in the list when the current search has it."""
        term = self.app.course.glossary.get(term_id)
        if term is None:
            self.app.notify(f"There is no glossary term {term_id!r}.", severity="warning")
            return
        results = self.query_one("#results", OptionList)
        index = next((i for i, t in enumerate(self.matches) if t.id == term_id), None)
        if index is None:
            search = self.query_one("#search", Input)
            with search.prevent(Input.Changed):
                search.value = ""
            self._fill("")
            index = next(i for i, t in enumerate(self.matches) if t.id == term_id)
        results.highlighted = index
        view = self.query_one(TermView)
        view.show(term)
        view.focus()

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    # -- actions -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("typing_help", "typing_quit"):
            # Elsewhere the footer says "? Help" and "q Quit"; F1 and ctrl+q
            # work all the same (the app's keys).
            return isinstance(self.focused, Input)
        return True

    def action_typing_help(self) -> None:
        self.app.action_help()

    async def action_typing_quit(self) -> None:
        await self.app.action_quit()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss()

    def action_focus_search(self) -> None:
        self.focus_search()

    def action_move(self, step: int) -> None:
        """Arrows while typing move through the results (the box keeps focus)."""
        results = self.query_one("#results", OptionList)
        if self.matches:
            current = results.highlighted or 0
            results.highlighted = max(0, min(len(self.matches) - 1, current + step))
