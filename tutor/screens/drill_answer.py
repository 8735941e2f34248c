"""The drill's diagnosis form: which layer, what is wrong, who to call (each a
list of the drill's own choices), a free-text note, and after submitting the
verdict in its place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Markdown, RadioButton, RadioSet

from tutor.screens.drill_view import grade_markdown

if TYPE_CHECKING:
    from textual.geometry import Size

    from labs.api import DrillState, Grade

#: The three questions: the State's field with the choices, and how it is asked.
QUESTIONS = (
    ("layers", "Which layer is at fault?"),
    ("faults", "What is wrong?"),
    ("calls", "Who do you call?"),
)


class Choice(RadioButton):
    """A radio button whose label wraps under itself, past the button: a
    drill's choices run to 90 characters and a cut one cannot be judged."""

    DEFAULT_CSS = "Choice { height: auto; }"

    def _lines(self, width: int) -> list[Content]:
        room = max(1, width - self._button.cell_length - 2)
        return [line.pad(1, 1) for line in self._label.wrap(room)] or [Content("  ")]

    def render(self) -> Content:
        style = self.get_visual_style("toggle--label")
        lines = [line.stylize_before(style) for line in self._lines(self.content_size.width)]
        indent = Content(" " * self._button.cell_length)
        rows = [Content.assemble(self._button, lines[0])]
        rows += [Content.assemble(indent, line) for line in lines[1:]]
        return Content("\n").join(rows)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))


class DiagnosisForm(VerticalScroll):
    DEFAULT_CSS = """
    DiagnosisForm { padding: 0 1; }
    DiagnosisForm > Label { margin-top: 1; text-style: bold; }
    DiagnosisForm RadioSet { width: 1fr; height: auto; border: none; padding: 0; }
    DiagnosisForm RadioButton { width: 1fr; }
    DiagnosisForm #note { margin-top: 1; }
    DiagnosisForm #submit { margin-top: 1; }
    DiagnosisForm #verdict { display: none; }
    DiagnosisForm.-graded #verdict { display: block; }
    """

    @dataclass
    class Submitted(Message):
        layer: str
        fault: str
        call: str
        note: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._keys: dict[str, list[str]] = {}

    def compose(self) -> ComposeResult:
        yield Markdown("", id="verdict")
        yield Label("The choices appear once the drill has started.", id="waiting")

    async def set_choices(self, state: DrillState) -> None:
        """A fresh form for this drill (a replay changes the choices)."""
        self.remove_class("-graded")
        await self.remove_children([c for c in self.children if c.id != "verdict"])
        widgets: list[Label | RadioSet | Input | Button] = []
        for field, question in QUESTIONS:
            choices = getattr(state, field)
            self._keys[field] = [c.key for c in choices]
            widgets.append(Label(question))
            buttons = [Choice(f"{n}. {c.text}") for n, c in enumerate(choices, 1)]
            widgets.append(RadioSet(*buttons, id=f"q-{field}"))
        widgets.append(
            Input(placeholder="Your note for the engineer (saved with the answer)", id="note")
        )
        widgets.append(Button("Submit the diagnosis", id="submit", variant="primary"))
        await self.mount_all(widgets)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted, "#note")
    def _submit(self) -> None:
        picked: list[str] = []
        for field, question in QUESTIONS:
            radio = self.query_one(f"#q-{field}", RadioSet)
            index = radio.pressed_index
            if index < 0:
                self.app.notify(f"Answer “{question}” first.", severity="warning")
                radio.focus()
                return
            picked.append(self._keys[field][index])
        note = self.query_one("#note", Input).value.strip()
        self.post_message(self.Submitted(picked[0], picked[1], picked[2], note))

    def show_grade(self, grade: Grade, state: DrillState) -> None:
        """The verdict on top; the form stays below, locked, to compare."""
        verdict = self.query_one("#verdict", Markdown)
        verdict.update(grade_markdown(grade, state))
        self.add_class("-graded")
        for widget in self.query("RadioSet, Input, Button"):
            widget.disabled = True
        self.scroll_home(animate=False)
