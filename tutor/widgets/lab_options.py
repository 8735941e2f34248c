"""The row of a lab's own options on the lab screen, built from the options
its spec declares (labs.core.spec): the TUI's version of the CLI's flags. What the
learner sets here is validated by the same spec as the command line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import HorizontalScroll, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Select

from tutor.widgets.fitted_input import FittedInput
from tutor.widgets.marked import MarkedCheckbox

if TYPE_CHECKING:
    from textual.widget import Widget

    from labs.api import LabSpec, Option


def control(opt: Option) -> Widget:
    """The control for one declared option, by its kind."""
    ident = f"opt-{opt.name}"
    if opt.kind == "flag":
        return MarkedCheckbox(opt.label, id=ident, compact=True)
    if opt.kind == "choice":
        choices = [(c, c) for c in opt.choices]
        if opt.default is not None:
            return Select(choices, value=opt.default, allow_blank=False, id=ident, compact=True)
        # Blank is the lab's own choice, as the CLI without the flag.
        return Select(choices, prompt=opt.label, id=ident, compact=True)
    # Common values complete as you type (-> accepts); any valid text is taken.
    suggester = SuggestFromList(opt.suggest, case_sensitive=False) if opt.suggest else None
    return FittedInput(placeholders=placeholders(opt), suggester=suggester, id=ident, compact=True)


#: A placeholder's closing aside: "(with a target)" of "name to look up (with a target)".
_ASIDE = re.compile(r"\s*\([^()]*\)$")


def placeholders(opt: Option) -> tuple[str, ...]:
    """A box's placeholders, longest first (`FittedInput` shows the first that
    fits): the whole, then without its closing aside, then the label. What
    the shorter leave out is in the hint line (`hint`) while the box has focus."""
    whole = opt.placeholder or opt.label
    out = [whole, _ASIDE.sub("", whole), opt.label]
    return tuple(dict.fromkeys(p for p in out if p))


def hint(opt: Option) -> str:
    """The line under the bar while the option's box has focus: what the
    option does, and the placeholder whole ("(with a target)" included)."""
    whole = opt.placeholder or opt.label
    aside = _ASIDE.search(whole)
    said = opt.help
    if aside and aside.group().strip() not in said:
        said += aside.group()
    return f"{opt.label}: {said}."


def screen_words(spec: LabSpec) -> dict[str, str]:
    """Each CLI flag of the lab as this screen names its control, so an
    error worded for the command line reads right here."""
    words = {"--target": "the target box"}
    for opt in spec.options:
        words[opt.flag] = {
            "flag": f"'{opt.label}'",
            "choice": f"the {opt.label}",
        }.get(opt.kind, f"the {opt.label} box")
    return words


def width(opt: Option) -> int:
    """The columns a control takes in the bar, with its margin (the CSS below)."""
    if opt.kind == "flag":
        return len(opt.label) + 5 + 2  # the compact box, a space, the label, padding; margin
    return (20 if opt.kind == "choice" else 24) + 2


def rows(options: tuple[Option, ...], budget: int) -> list[list[Option]]:
    """The options in rows of at most `budget` columns, in order: one row
    when they fit, so only a lab with many options takes a second."""
    out: list[list[Option]] = [[]]
    used = 0
    for opt in options:
        if out[-1] and used + width(opt) > budget:
            out.append([])
            used = 0
        out[-1].append(opt)
        used += width(opt)
    return out


class LabOptionsBar(Vertical):
    """Rows of compact controls, as many as a 120-column screen needs to
    show them all (slow-network's seven take two); a row wider than the
    screen scrolls, and tab scrolls the focused control into view."""

    DEFAULT_CSS = """
    LabOptionsBar { height: auto; padding: 0 1; }
    LabOptionsBar > HorizontalScroll { height: 1; scrollbar-size-horizontal: 0; }
    LabOptionsBar HorizontalScroll > * { width: auto; margin-right: 2; }
    LabOptionsBar Select { width: 20; }
    LabOptionsBar Input { width: 24; }
    """

    #: The columns of one row: a 120-column terminal less the bar's padding.
    ROW = 118

    def __init__(self, lab: LabSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lab = lab

    def compose(self) -> ComposeResult:
        for row in rows(self.lab.options, self.ROW):
            with HorizontalScroll():
                for opt in row:
                    yield control(opt)

    def given(self) -> dict[str, Any]:
        """What the learner set, by option name, for `LabSpec.request`."""
        out: dict[str, Any] = {}
        for opt in self.lab.options:
            value = self.query_one(f"#opt-{opt.name}").value  # type: ignore[attr-defined]
            if value is Select.NULL:  # nothing chosen in a Select with a prompt
                continue
            if opt.kind == "list":
                value = (value,) if str(value).strip() else ()
            out[opt.name] = value
        return out
