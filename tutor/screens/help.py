"""Help (`?`): every key, by screen, read from the bindings themselves so the
list cannot drift from what the keys really do."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.dom import DOMNode
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
        ("tab, enter", "The lesson's terms, listed after the text: open one"),
    ],
    "Quick check": [("↑ ↓ enter", "Choose an answer")],
    "Lab": [
        ("↑ ↓", "Move through steps, packets or fields (tab moves between them)"),
        ("home end", "First or last packet"),
        ("→", "In the filter: take the suggested field name"),
        ("enter", "In the target box: run against that target"),
    ],
    "Capture file": [
        ("↑ ↓", "Move through steps, packets or fields (tab moves between them)"),
        ("home end", "First or last packet"),
    ],
    "Labs": [("↑ ↓ enter", "Open a lab")],
    "Glossary": [
        ("type", "Search terms and aliases as you type"),
        ("enter", "Read the entry; on a related term, open it"),
        ("tab", "Move between search, results and entry"),
    ],
}


def _rows(bindings: list[Binding]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if not b.description or (not b.show and b.key.isdigit()):
            continue  # the 2-9 answer keys are listed once, as "1-9"
        key = b.key_display or {"escape": "esc"}.get(b.key, b.key)
        # A footer's word may be short ("Lab"); its tooltip says it whole.
        words = b.tooltip or b.description
        if (key, words) not in rows:
            rows.append((key, words))
    return rows


Section = tuple[str, list[tuple[str, str]]]


def works(here: DOMNode, binding: Binding) -> bool:
    """Whether the key does something on `here` now, as its footer decides
    (`check_action`): a lab opened without a lesson has no predictions."""
    namespace, action, parameters = parse_action(binding.action)
    node: DOMNode = here.app if namespace == "app" else here
    return bool(node.check_action(action, parameters))


def sections(app: type[DOMNode], here: DOMNode | None = None) -> list[Section]:
    """Every key, by where it works; `app` is the app's class (its own keys
    work everywhere), passed in so this module needs no import of it. The
    section of `here` (the screen help was opened on) lists only the keys
    that work on it now."""
    from tutor.screens.capture import CaptureScreen
    from tutor.screens.glossary import GlossaryScreen
    from tutor.screens.lab import LabScreen
    from tutor.screens.lab_list import LabListScreen
    from tutor.screens.lesson import LessonScreen
    from tutor.screens.outline import OutlineScreen, OutlineTree
    from tutor.screens.quiz import QuizScreen
    from tutor.screens.review import ReviewScreen

    def rows(cls: type[DOMNode]) -> list[tuple[str, str]]:
        bindings = [b for b in cls.BINDINGS if isinstance(b, Binding)]
        if isinstance(here, cls):
            bindings = [b for b in bindings if works(here, b)]
        return _rows(bindings)

    found = [
        ("Course outline", rows(OutlineScreen) + rows(OutlineTree) + WIDGET_KEYS["Course outline"]),
        ("Lesson", rows(LessonScreen) + WIDGET_KEYS["Lesson"]),
        ("Quick check", rows(QuizScreen) + WIDGET_KEYS["Quick check"]),
        ("Glossary", rows(GlossaryScreen) + WIDGET_KEYS["Glossary"]),
        ("Lab", rows(LabScreen) + WIDGET_KEYS["Lab"]),
        ("Capture file", rows(CaptureScreen) + WIDGET_KEYS["Capture file"]),
        ("Labs", rows(LabListScreen) + WIDGET_KEYS["Labs"]),
        ("Review", rows(ReviewScreen)),
    ]
    return [("Everywhere", _except(rows(app), found)), *found]


def _except(everywhere: list[tuple[str, str]], screens: list[Section]) -> list[tuple[str, str]]:
    """The app's keys, each saying where a screen gives it another job
    ("Review (in Lab: Run; ...)"): r reviews everywhere but on the trace screens,
    where it makes the trace (runs the lab, reads the file again)."""
    out = []
    for key, words in everywhere:
        other = [
            f"in {title}: {said}"
            for title, rows in screens
            for k, said in rows
            if k == key and said != words
        ]
        out.append((key, f"{words} ({'; '.join(other)})" if other else words))
    return out


class HelpScreen(ModalScreen[None]):
    """Every key in the app; escape or ? closes."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?"),
    ]

    def compose(self) -> ComposeResult:
        # Each section a two-column grid: a description that wraps stays in
        # its column instead of running back under the keys.
        blocks = []
        below = [s for s in self.app.screen_stack if s is not self]
        found = sections(type(self.app), below[-1] if below else None)
        # The keys' column as wide as the widest key, so descriptions get the rest.
        keys = max(len(key) for _title, rows in found for key, _what in rows)
        for title, rows in found:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=min(keys, 15), style="bold", no_wrap=True)
            grid.add_column(ratio=1)
            for key, what in rows:
                grid.add_row(Text(key), Text(what))
            blocks.append(Group(Text(title, style="bold"), grid, Text("")))
        # Two columns, so every key fits on one screen without scrolling.
        half = (len(blocks) + 1) // 2
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(
                "[b]Keys[/b]  [dim]escape or ? closes · the footer shows what works here[/dim]\n"
            )
            with Horizontal():
                yield Static(Group(*blocks[:half]), classes="help-column")
                yield Static(Group(*blocks[half:]), classes="help-column")

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss()
