"""Predict, then observe: the learner answers a lesson's predict questions
before the lab runs, and each answer is checked against the learner's own
trace (a `Fact` the lab reported), with the evidence one key away."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, RadioSet, Static

from labs.model.numbers import numbering_of
from tutor.steptext import packets_said
from tutor.widgets.marked import MarkedRadioButton

if TYPE_CHECKING:
    from labs.model.trace import Trace
    from tutor.content import Lesson, Predict
    from tutor.progress import Store


def matches(choice: str, value: str) -> bool:
    """A prediction is right when it equals the observed value (trimmed, any case)."""
    return choice.strip().casefold() == value.strip().casefold()


@dataclass(frozen=True)
class Outcome:
    """One predict question after the lab ran."""

    question: int
    chosen: int | None
    observed: str | None
    correct: bool
    packets: tuple[int, ...]
    filter: str | None
    explain: str


def check(predicts: tuple[Predict, ...], chosen: list[int | None], trace: Trace) -> list[Outcome]:
    out = []
    for n, (predict, pick) in enumerate(zip(predicts, chosen, strict=True)):
        fact = trace.fact(predict.fact)
        if fact is None:
            out.append(Outcome(n, pick, None, False, (), None, predict.explain))
            continue
        right = pick is not None and matches(predict.choices[pick], fact.value)
        out.append(Outcome(n, pick, fact.value, right, fact.packets, fact.filter, fact.explain))
    return out


class PredictPanel(VerticalScroll):
    """The lesson's predict questions; `reveal(trace)` checks them."""

    DEFAULT_CSS = """
    PredictPanel { padding: 0 1; }
    /* A bar beside the question holding the focus, in any colours: its radio
       set's own focus colour is faint, and the same in a monochrome terminal.
       The others keep the column blank, so nothing moves when focus does. */
    PredictPanel > Vertical { height: auto; margin-top: 1; border-left: blank; padding-left: 1; }
    PredictPanel > Vertical:focus-within { border-left: thick $accent; }
    PredictPanel > Vertical:focus-within > .question { color: $accent; }
    PredictPanel .question { text-style: bold; width: 100%; }
    PredictPanel RadioSet { width: 100%; }
    PredictPanel .result { margin: 0 0 0 2; }
    PredictPanel .result.right { color: $success; }
    PredictPanel .result.wrong { color: $warning; }
    PredictPanel .result.open { color: $text-muted; }
    """

    @dataclass
    class ShowEvidence(Message):
        packets: tuple[int, ...]
        filter: str | None

    def __init__(self, lesson: Lesson, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lesson = lesson
        self.outcomes: list[Outcome] = []

    def compose(self) -> ComposeResult:
        yield Static(
            "Predict first: answer these before you run the lab (r). Your answers are then "
            "checked against what your own run shows; e jumps to the evidence.",
            classes="intro",
        )
        for n, predict in enumerate(self.lesson.predicts):
            with Vertical(id=f"predict-{n}"):
                yield Static(Text(f"{n + 1}. {predict.question}"), classes="question")
                with RadioSet(id=f"choices-{n}"):
                    for choice in predict.choices:
                        yield MarkedRadioButton(Text(choice))
                yield Static("", id=f"result-{n}", classes="result")
                yield Button("Show me in the trace", id=f"evidence-{n}", disabled=True)

    def chosen(self) -> list[int | None]:
        picks: list[int | None] = []
        for n in range(len(self.lesson.predicts)):
            index = self.query_one(f"#choices-{n}", RadioSet).pressed_index
            picks.append(index if index >= 0 else None)
        return picks

    def reveal(self, trace: Trace) -> list[Outcome]:
        """Check every prediction against `trace` and show the verdicts."""
        self.outcomes = check(self.lesson.predicts, self.chosen(), trace)
        numbering = numbering_of(trace)
        for o in self.outcomes:
            predict = self.lesson.predicts[o.question]
            result = self.query_one(f"#result-{o.question}", Static)
            result.remove_class("right", "wrong", "open")
            if o.observed is not None and o.chosen is None:
                text = f"No prediction made; your trace shows {o.observed!r}. {o.explain}"
                result.add_class("open")
            elif o.observed is None:
                text = f"This run did not report {predict.fact!r}, so it cannot be checked. {o.explain}"
                result.add_class("wrong")
            else:
                said = (
                    "no prediction"
                    if o.chosen is None
                    else f"you predicted {predict.choices[o.chosen]!r}"
                )
                verdict = "✓ Right" if o.correct else "✗ Not this time"
                where = (
                    f" Evidence: {packets_said(o.packets, numbering=numbering)}"
                    if o.packets
                    else ""
                )
                field = f" ({o.filter})" if o.filter else ""
                text = f"{verdict}: {said}; your trace shows {o.observed!r}. {o.explain}{where}{field}."
                result.add_class("right" if o.correct else "wrong")
            result.update(Text(text))
            self.query_one(f"#evidence-{o.question}", Button).disabled = not o.packets
        return self.outcomes

    def current_evidence(self) -> Outcome | None:
        """The checked question holding the focus, else the first with evidence."""
        focused = self.app.focused
        node = focused
        while node is not None and node is not self:
            if isinstance(node.id, str) and node.id.startswith("predict-"):
                n = int(node.id.split("-")[1])
                found = next((o for o in self.outcomes if o.question == n and o.packets), None)
                if found:
                    return found
            node = node.parent  # type: ignore[assignment]
        return next((o for o in self.outcomes if o.packets), None)

    def check(self, trace: Trace, lesson: Lesson, store: Store | None) -> str:
        """Reveal the answers against `trace`, record them, and say how it went."""
        outcomes = self.reveal(trace)
        checked = [o for o in outcomes if o.chosen is not None and o.observed is not None]
        if store is not None:
            for o in checked:
                chosen = o.chosen if o.chosen is not None else -1  # checked: never None
                store.record_answer(lesson.id, "predict", o.question, chosen, o.correct)
        if not checked:
            return "Nothing to check: no prediction was made, or this run cannot show it."
        right = sum(o.correct for o in checked)
        return f"Your predictions, checked against your own trace: {right} of {len(checked)} right."

    def show_evidence(self) -> bool:
        outcome = self.current_evidence()
        if outcome is None:
            return False
        self.post_message(self.ShowEvidence(outcome.packets, outcome.filter))
        return True

    @on(Button.Pressed)
    def _evidence(self, event: Button.Pressed) -> None:
        if not event.button.id or not event.button.id.startswith("evidence-"):
            return
        n = int(event.button.id.split("-")[1])
        outcome = next((o for o in self.outcomes if o.question == n), None)
        if outcome and outcome.packets:
            self.post_message(self.ShowEvidence(outcome.packets, outcome.filter))
