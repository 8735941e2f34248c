"""Help (`?`): every key, by screen, read from the bindings themselves so the
list cannot drift from what the keys really do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

#: Keys that widgets handle themselves, which no BINDINGS list names.
WIDGET_KEYS: dict[str, list[tuple[str, str]]] = {
    "Course outline": [
        ("↑ ↓", "Move between lessons"),
        ("space", "Fold or unfold a module"),
    ],
    "Lesson": [
        ("↑ ↓ pgup pgdn", "Scroll"),
        ("tab", "Move to the buttons at the end"),
        ("click a link", "Open the term in the glossary"),
    ],
    "Quick check": [("↑ ↓ enter", "Choose an answer")],
    "Glossary": [
        ("type", "Search terms and aliases as you type"),
        ("↑ ↓", "Move through the results"),
        ("enter", "Read the entry; on a related term, open it"),
        ("tab", "Move between search, results and entry"),
    ],
}


def _rows(bindings: list[Binding]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if not b.description or (not b.show and b.key.isdigit()):
            continue  # the 2-9 answer keys are listed once, as "1-9"
        key = b.key_display or b.key.replace("ctrl+", "ctrl+")
        if (key, b.description) not in rows:
            rows.append((key, b.description))
    return rows


def sections() -> list[tuple[str, list[tuple[str, str]]]]:
    from tutor.app import TutorApp
    from tutor.screens.glossary import GlossaryScreen
    from tutor.screens.lesson import LessonScreen
    from tutor.screens.outline import OutlineTree
    from tutor.screens.quiz import QuizScreen

    def rows(cls: type) -> list[tuple[str, str]]:
        return _rows([b for b in cls.BINDINGS if isinstance(b, Binding)])

    return [
        ("Everywhere", rows(TutorApp)),
        ("Course outline", rows(OutlineTree) + WIDGET_KEYS["Course outline"]),
        ("Lesson", rows(LessonScreen) + WIDGET_KEYS["Lesson"]),
        ("Quick check", rows(QuizScreen) + WIDGET_KEYS["Quick check"]),
        ("Glossary", rows(GlossaryScreen) + WIDGET_KEYS["Glossary"]),
    ]


class HelpScreen(ModalScreen[None]):
    """Every key in the app; escape or ? closes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?"),
    ]

    def compose(self) -> ComposeResult:
        lines = ["[b]Keys[/b]  [dim]escape or ? closes · the footer shows what works here[/dim]"]
        for title, rows in sections():
            lines += ["", f"[b]{title}[/b]"]
            lines += [f"  [b]{escape(key):<16}[/b] {escape(what)}" for key, what in rows]
        with VerticalScroll(id="help", classes="dialog"):
            yield Static("\n".join(lines))

    def action_close(self) -> None:
        self.dismiss()
