"""Help (`?`): every key, by screen, read from the bindings themselves so the
list cannot drift from what the keys really do."""

from __future__ import annotations

import textwrap

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.dom import DOMNode
from textual.widgets import Static

from tutor.screens.base import Dialog

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
        ("enter esc", "In the filter: back to the packets"),
        ("enter", "In the target box: run against that target"),
    ],
    "Capture file": [
        ("↑ ↓", "Move through steps, packets or fields (tab moves between them)"),
        ("home end", "First or last packet"),
        ("→", "In the filter: take the suggested field name"),
        ("enter esc", "In the filter: back to the packets"),
    ],
    "Labs": [("↑ ↓ enter", "Open a lab")],
    "Glossary": [
        ("type", "Search terms and aliases as you type"),
        ("enter", "Read the entry; on a related term, open it"),
        ("tab", "Move between search, results and entry"),
    ],
}


#: Widget keys that work only where an action does (a lab that builds its
#: own network has no target box): the row, and the screen's action.
WIDGET_NEEDS = {("enter", "In the target box: run against that target"): "focus_target"}


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


def works(here: DOMNode, binding: Binding, node: DOMNode | None = None) -> bool:
    """Whether the key does something on `here` now, as its footer decides
    (`check_action`): a lab opened without a lesson has no predictions.
    `node` is who binds it, when not `here` (the app, for its own keys)."""
    namespace, action, parameters = parse_action(binding.action)
    owner = here.app if namespace == "app" else node or here
    return bool(owner.check_action(action, parameters))


def _screens() -> list[tuple[str, tuple[type[DOMNode], ...]]]:
    """Each screen help knows, by its title there, with the classes whose
    keys it lists (the screen first, then widgets of it with keys of their own)."""
    from tutor.screens.capture import CaptureScreen
    from tutor.screens.glossary import GlossaryScreen
    from tutor.screens.lab import LabScreen
    from tutor.screens.lab_list import LabListScreen
    from tutor.screens.lesson import LessonScreen
    from tutor.screens.outline import OutlineScreen, OutlineTree
    from tutor.screens.quiz import QuizScreen
    from tutor.screens.review import ReviewScreen

    return [
        ("Course outline", (OutlineScreen, OutlineTree)),
        ("Lesson", (LessonScreen,)),
        ("Quick check", (QuizScreen,)),
        ("Glossary", (GlossaryScreen,)),
        ("Lab", (LabScreen,)),
        ("Capture file", (CaptureScreen,)),
        ("Labs", (LabListScreen,)),
        ("Review", (ReviewScreen,)),
    ]


def _bindings(cls: type[DOMNode]) -> list[Binding]:
    return [b for b in vars(cls).get("BINDINGS", ()) if isinstance(b, Binding)]


def sections(app: type[DOMNode], here: DOMNode | None = None) -> list[Section]:
    """Every key, by where it works; `app` is the app's class (its own keys
    work everywhere), passed in so this module needs no import of it. The
    section of `here` lists only the keys that work on it now."""

    def rows(title: str, classes: tuple[type[DOMNode], ...]) -> list[tuple[str, str]]:
        bindings = [b for cls in classes for b in _bindings(cls)]
        if isinstance(here, classes[0]):
            bindings = [b for b in bindings if works(here, b)]
        return _rows(bindings) + WIDGET_KEYS.get(title, [])

    found = [(title, rows(title, classes)) for title, classes in _screens()]
    return [("Everywhere", _except(rows("", (app,)), found)), *found]


def sections_here(app: type[DOMNode], here: DOMNode) -> list[Section]:
    """What help shows on `here`: the keys that work on it now (as its footer
    decides), then the app's keys that work everywhere and that `here` gives
    no other job (on the capture screen r reads the file again).
    Another screen's keys are for its own help: a learner who opened a capture
    file with `tutor explain --tui` never sees a lab's Run."""
    title, classes = next(
        ((t, c) for t, c in _screens() if isinstance(here, c[0])),
        (str(getattr(here, "SUB_TITLE", "") or "This screen"), (type(here),)),
    )
    bindings = [b for cls in classes for b in _bindings(cls)]
    widgets = [
        row
        for row in WIDGET_KEYS.get(title, [])
        if row not in WIDGET_NEEDS or here.check_action(WIDGET_NEEDS[row], ())
    ]
    own = _rows([b for b in bindings if works(here, b)]) + widgets
    taken = {b.key for b in bindings}
    everywhere = [b for b in _bindings(app) if b.key not in taken and works(here, b, node=here.app)]
    return [(title, own), ("Everywhere", _rows(everywhere))]


def _except(everywhere: list[tuple[str, str]], screens: list[Section]) -> list[tuple[str, str]]:
    """The app's keys, each saying where a screen gives it another job
    ("Review (in Lab: ...)"): a learner who reads an app key here meets its
    other job there."""
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


def _block(title: str | None, rows: list[tuple[str, str]], keys: int, gap: bool = True) -> Group:
    """A section as a two-column grid: a description that wraps stays in its
    column instead of running back under the keys; `gap`: a blank line after
    it (not after a column's last, where it cost the row a lab's keys need at
    80x24)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=min(keys, 15), style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    for key, what in rows:
        grid.add_row(Text(key), Text(what))
    head = [Text(title, style="bold")] if title is not None else []
    return Group(*head, grid, *([Text("")] if gap else []))


def _cut(heights: list[int], after: int) -> int:
    """Where the screen's rows (`heights`: lines each) go on into the second
    column, above the `after` lines of the app's keys, so the two columns are
    as even as they can be."""
    return min(
        range(len(heights) + 1),
        key=lambda i: max(sum(heights[:i]), sum(heights[i:]) + after),
    )


def dialog_width(columns: int) -> int:
    """The help dialog's width in a terminal `columns` wide (app.tcss #help):
    90% up to 110, but all of an 80-column terminal, whose two columns of
    keys wrapped their descriptions onto rows the dialog did not have."""
    return max(min(columns * 9 // 10, 110), min(columns, 80))


class HelpScreen(Dialog[None]):
    """The keys of the screen help was opened on, and the app's that work
    there too; escape or ? closes (its footer says escape)."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", key_display="?"),
    ]

    def compose_dialog(self) -> ComposeResult:
        below = [s for s in self.app.screen_stack if s is not self]
        found = sections_here(type(self.app), below[-1]) if below else sections(type(self.app))
        # The keys' column as wide as the widest key, so descriptions get the rest.
        keys = max(len(key) for _title, rows in found for key, _what in rows)
        # Two columns, so every key fits on one screen without scrolling.
        if below:
            (title, own), (other, everywhere) = found
            head = f"[b]Keys: {title}[/b]\n"
            # The dialog's width (app.tcss #help) less its frame, halved, less the keys.
            inner = dialog_width(self.app.size.width) - 6
            width = max(inner // 2 - 2 - min(keys, 15) - 1, 10)
            heights = [len(textwrap.wrap(what, width)) or 1 for _key, what in own]
            cut = _cut(heights, 2 + sum(len(textwrap.wrap(w, width)) for _k, w in everywhere))
            left = [_block(None, own[:cut], keys, gap=False)]
            right = [_block(None, own[cut:], keys)] if own[cut:] else []
            right.append(_block(other, everywhere, keys, gap=False))
        else:
            head = "[b]Keys[/b]  [dim]escape or ? closes · the footer shows what works here[/dim]\n"
            blocks = [_block(title, rows, keys) for title, rows in found]
            half = (len(blocks) + 1) // 2
            left, right = blocks[:half], blocks[half:]
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(head)
            with Horizontal():
                yield Static(Group(*left), classes="help-column")
                yield Static(Group(*right), classes="help-column")

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        self.dismiss()
