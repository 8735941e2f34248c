"""The lab screen's "Timing" pane: the trace's timing waterfall as bars, what
changed since the learner's previous run, and the ladder diagram (one column
per host, one arrow per packet, time flowing down) whose selection follows
the packet list and moves it.

The waterfall scrolls in its own focusable pane: at 80x24 it has some nine
rows, and a Static cut there hid every bar after the first with no way to
reach them. The ladder and its key ("Hosts: A = ...") are one pane, so `z`
maximises them together: the letters alone name no host."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from labs.model.trace import Trace
from tutor import ladder, tracediff, waterfall_text
from tutor.timetext import CELL, took

#: The ladder's number column, headed as the packet list's: Wireshark's No.
NO = "No."


def bars_first(trace: Trace) -> list[str]:
    """The waterfall as the CLI writes it (`waterfall_text.block`), but its
    bars straight under the heading, then the clock and what each row
    measures: at 80x24 the pane has some nine rows, which the clock and the
    legend filled, the bars below the fold."""
    whole = waterfall_text.block(trace)
    if not whole:
        return []
    bars = waterfall_text.rows(trace)
    notes = whole[1 : len(whole) - len(bars)]
    return [whole[0], *bars, *([""] if notes else []), *notes]


def numbered(no: str, line: str, more: int) -> str:
    """A ladder row (its time first, right-aligned) with its packet's No.
    in the spaces before the time, and `more` cells more for them."""
    lead = len(line) - len(line.lstrip(" "))
    return f"{no:<{lead + more}}{line[lead:]}"


class LadderView(OptionList):
    """One option per packet: its arrow in the ladder."""

    DEFAULT_CSS = """
    LadderView { height: 1fr; min-height: 8; border: round $panel; text-wrap: nowrap; }
    """

    @dataclass
    class Picked(Message):
        """The learner moved to packet `index` in the ladder."""

        index: int

    def show(self, trace: Trace, width: int, show_secrets: bool = False, keep: bool = True) -> str:
        """Draw `trace`'s ladder in `width` cells (narrower columns, or the
        labels beside them, rather than rows that wrap), each row after its
        packet's No. as the packet list numbers it; returns the heading (the
        key naming the hosts where they are letters, then the line of hosts
        under "No.") for the pane to show above it, aligned with the columns.
        `keep`: the same trace drawn again (a resize) keeps its selection; a
        new one starts at its top."""
        lad = ladder.ladder(trace, show_secrets)
        # Each row begins with its time right-aligned in CELL cells: the No.
        # goes in the spaces before it, and the rows move right only as far
        # as a number needs more room than its row's time leaves.
        more = max((len(a.no) + 1 - (CELL - len(took(a.time))) for a in lad.arrows), default=0)
        more = max(more, len(NO) + 1 + len("Time") - CELL, 0)
        # No "#N" before a label beside the lanes: the No. column says it.
        key, lines = ladder.fitted(lad, width - more, numbers=False)
        highlighted = self.highlighted if keep else None
        self.clear_options()
        self.add_options(
            [
                Option(Text(numbered(arr.no, line, more), no_wrap=True), id=str(arr.index))
                for line, arr in zip(lines[1:], lad.arrows, strict=True)
            ]
        )
        if highlighted is not None and highlighted < self.option_count:
            with self.prevent(OptionList.OptionHighlighted):
                self.highlighted = highlighted
        elif not keep:
            self.scroll_home(animate=False, immediate=True)
        hosts = f"{NO:<{more + CELL - len('Time')}}Time{lines[0][CELL:]}"
        return "\n".join([*key, hosts])

    def follow(self, index: int) -> None:
        """Highlight packet `index` without announcing it (the packet list moved)."""
        try:
            row = self.get_option_index(str(index))
        except Exception:  # noqa: BLE001 - a packet beyond the drawn ones
            return
        if self.highlighted != row:
            with self.prevent(OptionList.OptionHighlighted):
                self.highlighted = row

    @on(OptionList.OptionHighlighted)
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id is not None:
            self.post_message(self.Picked(int(event.option_id)))


class TimingScroll(VerticalScroll):
    """The waterfall and the comparison: focusable (tab, arrows, page keys
    scroll it) and maximisable (z), as the packet panes are."""

    ALLOW_MAXIMIZE = True


class LadderPane(Vertical):
    """The ladder's key and host line with the ladder: `z` on the ladder
    maximises this, not the list alone."""

    ALLOW_MAXIMIZE = True


class TraceDiagrams(Vertical):
    """The waterfall, the comparison with the previous run, and the ladder."""

    DEFAULT_CSS = """
    TraceDiagrams { height: 1fr; }
    TraceDiagrams > #timing-scroll { height: auto; max-height: 50%; }
    TraceDiagrams #waterfall { height: auto; }
    TraceDiagrams #compare { height: auto; color: $text-muted; }
    TraceDiagrams > #ladder-pane { height: 1fr; }
    TraceDiagrams #ladder-head { height: auto; text-style: bold; }
    """

    trace: reactive[Trace | None] = reactive(None, always_update=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.previous: Trace | None = None
        #: The width the ladder was drawn for (drawn again when it changes).
        self._drawn_width = 0

    def compose(self) -> ComposeResult:
        with TimingScroll(id="timing-scroll"):
            yield Static("Run the lab to see its timing.", id="waterfall")
            yield Static("", id="compare")
        with LadderPane(id="ladder-pane"):
            yield Static("", id="ladder-head")
            yield LadderView(id="ladder")

    def show(self, trace: Trace) -> None:
        """Show `trace`; the one shown before it becomes the previous run."""
        if self.trace is not None and self.trace.lab == trace.lab:
            self.previous = self.trace
        self.trace = trace

    def watch_trace(self, trace: Trace | None) -> None:
        if trace is None:
            return
        text = "\n".join(bars_first(trace)) or "No exchange to time in this trace."
        self.query_one("#waterfall", Static).update(Text(text, no_wrap=True))
        compare = ""
        if self.previous is not None:
            compare = "Compared with your previous run:\n" + (
                "\n".join(f"  {line}" for line in tracediff.diff(self.previous, trace))
                or "  the same in meaning."
            )
        self.query_one("#compare", Static).update(Text(compare))
        self._draw_ladder(keep=False)

    def on_resize(self) -> None:
        if self.trace is not None and self._ladder_width() != self._drawn_width:
            self._draw_ladder()

    def _ladder_width(self) -> int:
        """The cells a ladder row has: the list's, or before it is laid out
        (its tab not shown yet) the screen's less the border and scroll bar."""
        view = self.query_one(LadderView)
        width = view.scrollable_content_region.width or self.app.size.width - 4
        return max(width - 1, 20)

    def _draw_ladder(self, keep: bool = True) -> None:
        if self.trace is None:
            return
        self._drawn_width = self._ladder_width()
        head = self.query_one(LadderView).show(self.trace, self._drawn_width, keep=keep)
        # Two cells to the right: the list's border and padding.
        head = "\n".join("  " + line for line in head.split("\n"))
        self.query_one("#ladder-head", Static).update(Text(head, no_wrap=True))


__all__ = ["LadderPane", "LadderView", "TimingScroll", "TraceDiagrams"]
