"""The steps timeline beside the packet list: two rows a step, its title
(as the CLI lists steps; the step's internal name only where it has none),
then when it started and its packets ("at 0 µs, packets 1-3"). A row too long for the pane is cut with "…"
rather than wrapped (a wrapped title took four rows at 120 columns, and a
wrap laid out at one width and drawn at another lost its last row); the
narration says the whole title when the step is picked. The pane is as wide
as its longest row, up to `most` (the screen sets it for its size)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from labs.model.numbers import ALL_WIRE, Numbering, numbering_of
from tutor.steptext import packets_said
from tutor.timetext import took

if TYPE_CHECKING:
    from textual.geometry import Size

    from labs.model.trace import Step, Trace


def step_prompt(step: Step, numbering: Numbering = ALL_WIRE) -> Text:
    """A step's two rows: its title (bold), then when it started and its
    packets, in the CLI's words ("at 0 µs, packets 1-3"; `numbering`: the
    trace's, where packets read inside TLS are lettered)."""
    when = f"at {took(step.start)}"
    if step.packets:
        when += f", {packets_said(step.packets, numbering=numbering)}"
    return Text.assemble(
        (step.title or step.name.replace("-", " "), "bold"),
        "\n ",
        (when, "dim"),
    )


class StepList(OptionList):
    """The steps of a trace, one option each (id "step-N": its index)."""

    DEFAULT_CSS = """
    StepList {
        text-wrap: nowrap; text-overflow: ellipsis; padding: 0 0 0 1;
        scrollbar-gutter: stable; scrollbar-size-vertical: 1;
    }
    """

    #: The most cells the pane takes, borders and scrollbar counted (None: no
    #: limit but the CSS's). Not a max-width style: a maximised pane (z) has none.
    most: reactive[int | None] = reactive(None, layout=True)
    #: The longest row's cells: a large capture has thousands of steps, and
    #: the layout asks for the content's width often.
    _widest = 0

    def fill(self, trace: Trace) -> None:
        self.clear_options()
        numbering = numbering_of(trace)
        prompts = [step_prompt(step, numbering) for step in trace.steps]
        self._widest = max(
            (cell_len(row) for p in prompts for row in p.plain.split("\n")), default=0
        )
        # In one call: each option added alone lays the list out again.
        self.add_options([Option(p, id=f"step-{n}") for n, p in enumerate(prompts)])
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        padding = self.get_component_styles("option-list--option").padding
        bar = self.styles.scrollbar_size_vertical
        # The layout adds a stable gutter only where overflow-x is auto (here hidden).
        extra = 0 if self.show_vertical_scrollbar else bar
        want = self._widest + padding.width + self._get_left_gutter_width() + extra
        if self.most is None:
            return want
        return max(0, min(want, self.most - self.styles.gutter.width - (bar - extra)))
