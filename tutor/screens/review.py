"""Glossary review: due terms one at a time; recall, reveal, grade 1-4."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tutor.review import GRADES, NEW_PER_DAY, Review, when


class ReviewScreen(Screen[None]):
    """Due cards first; space reveals the answer; 1-4 grades it."""

    SUB_TITLE = "Review"

    DEFAULT_CSS = """
    ReviewScreen #card { width: 1fr; max-width: 90; height: auto; margin: 1 2; padding: 1 2; border: round $primary; }
    ReviewScreen #term { text-style: bold; color: $accent; }
    ReviewScreen #answer { margin-top: 1; }
    ReviewScreen #count { padding: 0 2; color: $text-muted; }
    """

    BINDINGS = [
        Binding("space", "reveal", "Show answer"),
        Binding("1", "grade(1)", "Again", key_display="1"),
        Binding("2", "grade(2)", "Hard", key_display="2"),
        Binding("3", "grade(3)", "Good", key_display="3"),
        Binding("4", "grade(4)", "Easy", key_display="4"),
        Binding("escape", "back", "Back"),
        Binding("escape", "leave", "End review", tooltip="End the review and quit"),
    ]

    def __init__(self, quit_on_back: bool = False) -> None:
        super().__init__()
        #: Opened by `tutor glossary --review`: Esc ends the app, back to the
        #: shell the learner came from (not the course outline under it).
        self.quit_on_back = quit_on_back
        self.queue: list[str] = []
        #: The terms in the queue never graded yet (new, to learn).
        self.new: set[str] = set()
        self.current: str | None = None
        self.revealed = False
        self.done = 0
        #: New terms past today's allowance (a capture can add 30 at once).
        self.waiting = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="count")
        with VerticalScroll():
            with Vertical(id="card"):
                yield Static("", id="term")
                yield Static("", id="prompt")
                yield Static("", id="answer")
        yield Footer()

    @property
    def review(self) -> Review:
        return Review(self.app.store)  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        glossary = self.app.course.glossary  # type: ignore[attr-defined]
        reviews, new = self.review.queue()
        self.queue = [t for t in reviews + new if glossary.get(t) is not None]
        self.new = set(new)
        self.waiting = self.review.waiting()
        self._next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Space until the answer is shown, then the grades, as the card on
        show allows: the footer keeps to the keys that do something (and fits
        80 columns, which all of them at once did not)."""
        if action == "reveal":
            return self.current is not None and not self.revealed
        if action == "grade":
            return self.current is not None and self.revealed
        if action == "back":
            return not self.quit_on_back
        if action == "leave":
            return self.quit_on_back
        return True

    def _next(self) -> None:
        self.revealed = False
        self.refresh_bindings()
        if not self.queue:
            self.current = None
            status = self.review.status()
            later = f" The next term is due {when(status.next_due)}." if status.next_due else ""
            if status.scheduled == 0:
                text = "Nothing to review yet: terms join your review deck when a lesson teaches them, and a protocol when a lab or a capture file shows it."
            else:
                wait = (
                    f" {self.waiting} more new terms wait: {NEW_PER_DAY} new a day."
                    if self.waiting
                    else ""
                )
                text = f"All done for now: you reviewed {self.done} term{'s' if self.done != 1 else ''}.{wait}{later}"
            self.query_one("#term", Static).update("Review")
            self.query_one("#prompt", Static).update(Text(text))
            self.query_one("#answer", Static).update(
                "Esc ends the review." if self.quit_on_back else "Esc goes back."
            )
            self.query_one("#count", Static).update("")
            return
        self.current = self.queue.pop(0)
        term = self.app.course.glossary.get(self.current)  # type: ignore[attr-defined]
        self.query_one("#count", Static).update(self._count())
        self.query_one("#term", Static).update(Text(term.term))
        self.query_one("#prompt", Static).update(
            "What does it mean, and why would an engineer mention it? Say it to yourself, then press space."
        )
        self.query_one("#answer", Static).update("")

    def _count(self) -> str:
        """What is left, the term on show included: "2 due · 13 new · 1
        reviewed", and the new terms that wait for later days ("14 new
        today; 20 more wait: 15 new a day"), which the capture or lab that
        added them counted as joining the review."""
        left = [self.current, *self.queue]
        new = sum(t in self.new for t in left)
        parts = [f"{len(left) - new} due"] if len(left) > new else []
        if self.waiting:
            parts += [f"{new} new today; {self.waiting} more wait: {NEW_PER_DAY} new a day"]
        elif new:
            parts += [f"{new} new"]
        return " · ".join([*parts, f"{self.done} reviewed"])

    def action_reveal(self) -> None:
        if self.current is None or self.revealed:
            return
        self.revealed = True
        self.refresh_bindings()
        term = self.app.course.glossary.get(self.current)  # type: ignore[attr-defined]
        aliases = f"Also called: {', '.join(term.aliases)}\n\n" if term.aliases else ""
        grades = "   ".join(f"{k} {v}" for k, v in GRADES.items())
        self.query_one("#answer", Static).update(
            Text(
                f"{term.short}\n\n{term.explain}\n\n{aliases}Source: {term.source}\n\nHow well did you know it?  {grades}"
            )
        )

    def action_grade(self, rating: int) -> None:
        if self.current is None or not self.revealed:
            return  # graded only once the answer is seen (`check_action`)
        due = self.review.grade(self.current, rating)
        self.new.discard(self.current)  # graded: if it comes again, it is due, not new
        self.done += 1
        if rating == 1:
            self.queue.append(self.current)  # again: see it once more this session
        self.notify(f"{GRADES[rating]}: next review {when(due)}.", timeout=2)
        self._next()

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_leave(self) -> None:
        await self.app.action_quit()
