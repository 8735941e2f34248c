"""What every screen that shows a trace shares: the lab screen (which runs a
lab) and the capture screen (which reads a file) show it in the same panes,
Wireshark's three for a learner: the steps and the packet list, the
layer/field tree with a plain-language narration and the bytes, then "What
it means" and the timing. The screen above says where the trace came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Markdown, OptionList, Static, TabbedContent, TabPane

from tutor.screens.base import REVIEW
from tutor.screens.lab_view import LabViewMixin
from tutor.screens.trace_view import OneRowEach, fitted_banner
from tutor.widgets.diagrams import LadderView, TraceDiagrams
from tutor.widgets.filter_bar import FilterBar
from tutor.widgets.packet_table import PacketTable
from tutor.widgets.packet_view import PacketView, Pane
from tutor.widgets.predict import PredictPanel
from tutor.widgets.step_list import StepList

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.timer import Timer

    from labs.model.trace import Packet, Trace
    from tutor.content import Lesson
    from tutor.review import Met


#: The panes' keys, the same on every trace screen, in footer order. Each
#: screen lists them among its own (`[Run, Cancel, *PANE_KEYS, ...]`) rather
#: than inheriting them as TraceScreen.BINDINGS: Textual puts a base class's
#: keys first, and the lab's footer would no longer start with Run.
PANE_KEYS = [
    Binding("slash", "filter", "Filter", key_display="/"),
    Binding("z", "maximize_pane", "Maximise"),
    # The tabs' keys are in the tabs' names ("w Packets"), where a learner
    # looks for them: the footer has no room for them at 80 columns.
    Binding("m", "meaning", "Meaning", show=False),
    Binding("w", "wire", "Packets", show=False),
]


def tab_title(key: str, name: str) -> str:
    """A tab's name after its key, as the footer writes a key: "w Packets"."""
    return f"[b]{key}[/b] {name}"


#: The trace screens' keys the footer leaves to ? (after each screen's own).
MORE_KEYS = [
    Binding("S", "toggle_secrets", "Show/hide secrets", show=False),
    Binding("c", "conversations", "Conversations", show=False),
    Binding("F", "follow", "Follow stream", show=False),
    Binding("g", "app.glossary", "Glossary", show=False),
    # r makes the trace here (runs the lab, reads the file again): R is the
    # glossary review, as on every screen, the terms this trace showed among it.
    Binding("R", "app.review", "Review", tooltip=REVIEW, show=False),
    Binding("L", "app.labs", "Labs", show=False),
    # While the filter box has the focus, the footer's keys are the box's:
    # its letters and "/" are typed, and Escape hands the keys back to the
    # list (the FilterBar's own key, which does not show). Priority, so it
    # takes the footer's place of the box's hidden ones; elsewhere it is off.
    Binding(
        "escape",
        "leave_filter",
        "Back to the packets",
        priority=True,
        tooltip="In the filter: back to the packets",
    ),
]


#: Seconds without a new term before the notification names the ones that joined.
JOIN_WAIT = 1.0


def joined(names: list[str]) -> str:
    """ "Joined your review: SYN, Sequence number. R reviews them." """
    if len(names) > 4:
        shown = f"{len(names)} terms, {', '.join(names[:3])} and {len(names) - 3} more"
    else:
        shown = ", ".join(names)
    return f"Joined your review: {shown}. R reviews {'it' if len(names) == 1 else 'them'}."


class TraceScreen(LabViewMixin, Screen[None]):
    """Shows one trace in the shared panes (`compose_tabs`, `show_trace`)."""

    CSS_PATH = "lab.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.trace: Trace | None = None
        #: The packets the filter lets through (None: all of them).
        self.shown: tuple[Packet, ...] | None = None
        self.show_secrets = False
        #: Which glossary terms the words on show name, and the deck's terms (`meet`).
        self._met: Met | None = None
        self._in_deck: set[str] = set()
        #: Terms that joined the deck since the last notification, and its timer.
        self._joined: list[str] = []
        self._joined_timer: Timer | None = None

    def compose_tabs(
        self,
        lab_id: str,
        *,
        lesson: Lesson | None = None,
        topology: bool = False,
        waiting: str = "Run the lab",
    ) -> ComposeResult:
        """The tabs: Predict first (a lesson's predictions), Packets, What it
        means, Timing; `waiting` says what fills them ("Run the lab")."""
        predicts = bool(lesson and lesson.predicts)
        with TabbedContent(id="tabs", initial="predict-tab" if predicts else "wire-tab"):
            if lesson and predicts:
                with TabPane(tab_title("f", "Predict first"), id="predict-tab"):
                    yield PredictPanel(lesson, id="predict")
            with TabPane(tab_title("w", "Packets"), id="wire-tab"):
                yield FilterBar(id="filter-bar")
                with Horizontal(id="top"):
                    yield StepList(id="steps")
                    yield PacketTable(id="packets", cursor_type="row", zebra_stripes=True)
                yield PacketView(lab_id, topology=topology, id="packet")
            with TabPane(tab_title("m", "What it means"), id="meaning-tab"):
                with Pane(id="meaning-scroll"):
                    yield Markdown(f"{waiting} to see what it means.")
            with TabPane(tab_title("d", "Timing"), id="timing-tab"):
                yield TraceDiagrams(id="diagrams")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        box = self.focused if isinstance(self.focused, Input) else None
        if action == "leave_filter":
            return box is not None and box.id == "filter"
        if action in ("filter", "back"):
            # In a box "/" is typed, though Textual offers the key all the
            # same, and Escape leaves the box (the box's keys), not the screen.
            return box is None
        return True

    def action_leave_filter(self) -> None:
        self.query_one(FilterBar).action_done()

    def set_banner(self, text: str | OneRowEach, kind: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.set_classes(kind)
        banner.update(Text(text) if isinstance(text, str) else text)

    # -- showing a trace ------------------------------------------------------

    def show_trace(self, trace: Trace) -> None:
        self.trace = trace
        self.shown = None
        self.query_one(PacketView).secrets = trace.secret_values()
        self.set_banner(*fitted_banner(trace))
        self.query_one(StepList).fill(trace)
        self.fit_steps()
        self.query_one(FilterBar).set_trace(trace)
        if trace.packets:
            # First, so the list (and the ladder, which follows it) opens at
            # packet 1, not at the row the previous run had selected.
            self.query_one(PacketView).show(trace.packets[0])
        self.refill_packets()
        self.show_meaning()
        self.query_one(TraceDiagrams).show(trace)
        self.query_one("#packets", DataTable).focus()

    def refill_packets(self) -> None:
        """List the packets the filter lets through, keeping the one selected."""
        if self.trace is None:
            return
        table = self.query_one(PacketTable)
        view = self.query_one(PacketView)
        packets = self.trace.packets if self.shown is None else self.shown
        table.fill(packets, narrow=self.is_narrow(), show_secrets=self.show_secrets)
        row = table.row_of(view.packet.index) if view.packet is not None else None
        if packets:
            table.move_cursor(row=row or 0)

    @on(FilterBar.Done)
    def _filter_done(self) -> None:
        self.query_one("#packets", DataTable).focus()

    # -- the glossary terms the learner meets --------------------------------

    @on(PacketView.Read)
    def _read(self, message: PacketView.Read) -> None:
        self.meet(message.fields, message.text)

    def meet(self, fields: Iterable[str], text: str) -> None:
        """The glossary terms `text` names about `fields` (`tutor.review.Met`)
        join the review deck (R), and a notification names them once the
        learner stops a moment: one, not one per packet passed on the way."""
        course = getattr(self.app, "course", None)
        store = getattr(self.app, "store", None)
        if course is None or store is None or self.trace is None:
            return
        from tutor.review import Met, Review

        if self._met is None:
            self._met = Met(course.glossary.terms)
            self._in_deck = Review(store).in_deck()
        # Read from memory, not the database: every packet passed by says something.
        new = [t for t in self._met.named(fields, text) if t.id not in self._in_deck]
        if not new:
            return
        added = set(Review(store).add([t.id for t in new], f"lab:{self.trace.lab}"))
        self._in_deck.update(t.id for t in new)
        self._joined.extend(t.term for t in new if t.id in added)
        if self._joined_timer is not None:
            self._joined_timer.stop()
        self._joined_timer = self.set_timer(JOIN_WAIT, self._say_joined)

    def on_unmount(self) -> None:
        # Closed before the wait was over: the terms that joined are still said.
        self._say_joined()

    def _say_joined(self) -> None:
        names, self._joined = self._joined, []
        self._joined_timer = None
        if names:
            self.notify(joined(names))

    @on(FilterBar.Applied)
    def _filtered(self, message: FilterBar.Applied) -> None:
        if message.packets is None and self.shown is None:
            return  # all of them, as listed already (a large capture lists slowly)
        self.shown = message.packets
        self.refill_packets()

    @on(DataTable.RowHighlighted, "#packets")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if self.trace is None or event.row_key.value is None:
            return
        packet = self.trace.packets[int(event.row_key.value)]
        view = self.query_one(PacketView)
        if packet is not view.packet:
            view.show(packet)
        self.query_one(LadderView).follow(packet.index)

    @on(LadderView.Picked)
    def _picked(self, event: LadderView.Picked) -> None:
        """An arrow picked in the ladder selects its packet in the list (unless filtered out)."""
        row = self.query_one(PacketTable).row_of(event.index)
        if row is not None:
            self.query_one(PacketTable).move_cursor(row=row)

    @on(OptionList.OptionHighlighted, "#steps")
    def _step(self, event: OptionList.OptionHighlighted) -> None:
        if self.trace is None or event.option_id is None:
            return
        step = self.trace.steps[int(event.option_id.split("-")[1])]
        row = self.query_one(PacketTable).row_of(step.packets[0]) if step.packets else None
        if row is not None:
            self.query_one(PacketTable).move_cursor(row=row)
        self.query_one(PacketView).say(f"{step.title or step.name}: {step.explain}")
        fields = {
            f.filter
            for i in step.packets
            for layer in self.trace.packets[i].layers
            for f in layer.fields
            if f.filter
        }
        self.meet(fields, step.explain)

    def select_evidence(self, packets: tuple[int, ...], filter_name: str | None) -> None:
        """Jump to the evidence of a fact: its first packet, and the field."""
        if self.trace is None or not packets:
            return
        # The last evidence packet is the answer (the SYN-ACK, the response).
        index = packets[-1]
        self.show_tab("wire-tab")
        table = self.query_one(PacketTable)
        if table.row_of(index) is None:  # hidden by the filter: show them all again
            self.query_one("#filter", Input).value = ""
            self.shown = None
            self.refill_packets()
        view = self.query_one(PacketView)
        view.show(self.trace.packets[index], filter_name)
        table.move_cursor(row=table.row_of(index) or 0)
