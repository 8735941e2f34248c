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

from tutor.screens.lab_view import LabViewMixin
from tutor.screens.trace_view import OneRowEach, fitted_banner
from tutor.widgets.diagrams import LadderView, TraceDiagrams
from tutor.widgets.filter_bar import FilterBar
from tutor.widgets.packet_table import PacketTable
from tutor.widgets.packet_view import PacketView, Pane
from tutor.widgets.predict import PredictPanel
from tutor.widgets.step_list import StepList

if TYPE_CHECKING:
    from labs.model.trace import Packet, Trace
    from tutor.content import Lesson, Term
    from tutor.progress import Store

    #: The review deck: the glossary's terms, and the store that keeps the deck.
    Deck = tuple[tuple[Term, ...], Store]


#: The panes' keys, the same on every trace screen, in footer order. Each
#: screen lists them among its own (`[Run, Cancel, *PANE_KEYS, ...]`) rather
#: than inheriting them as TraceScreen.BINDINGS: Textual puts a base class's
#: keys first, and the lab's footer would no longer start with Run.
PANE_KEYS = [
    Binding("slash", "filter", "Filter", key_display="/"),
    Binding("z", "maximize_pane", "Maximise"),
    Binding("m", "meaning", "Meaning"),
    Binding("w", "wire", "Packets", show=False),
]
#: The trace screens' keys the footer leaves to ? (after each screen's own).
MORE_KEYS = [
    Binding("S", "toggle_secrets", "Show/hide secrets", show=False),
    Binding("c", "conversations", "Conversations", show=False),
    Binding("F", "follow", "Follow stream", show=False),
    Binding("g", "app.glossary", "Glossary", show=False),
    # r makes the trace here (runs the lab, reads the file again): R is the
    # glossary review r opens elsewhere, the terms this trace showed among it.
    Binding("R", "app.review", "Review", tooltip="Review the glossary terms you met", show=False),
    Binding("L", "app.labs", "Labs", show=False),
]


class TraceScreen(LabViewMixin, Screen[None]):
    """Shows one trace in the shared panes (`compose_tabs`, `show_trace`)."""

    CSS_PATH = "lab.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.trace: Trace | None = None
        #: The packets the filter lets through (None: all of them).
        self.shown: tuple[Packet, ...] | None = None
        self.show_secrets = False

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
                with TabPane("Predict first", id="predict-tab"):
                    yield PredictPanel(lesson, id="predict")
            with TabPane("Packets", id="wire-tab"):
                yield FilterBar(id="filter-bar")
                with Horizontal(id="top"):
                    yield StepList(id="steps")
                    yield PacketTable(id="packets", cursor_type="row", zebra_stripes=True)
                yield PacketView(lab_id, topology=topology, id="packet")
            with TabPane("What it means", id="meaning-tab"):
                with Pane(id="meaning-scroll"):
                    yield Markdown(f"{waiting} to see what it means.")
            with TabPane("Timing", id="timing-tab"):
                yield TraceDiagrams(id="diagrams")

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
        self.refill_packets()
        self.show_meaning()
        self.query_one(TraceDiagrams).show(trace)
        if trace.packets:
            self.query_one(PacketView).show(trace.packets[0])
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

    def review_deck(self) -> Deck | None:
        """The glossary's terms and the progress store the review deck is in,
        read here, so a worker thread can schedule a trace's terms."""
        course = getattr(self.app, "course", None)
        store = getattr(self.app, "store", None)
        return (course.glossary.terms, store) if course is not None and store else None

    def schedule_terms(self, trace: Trace, deck: Deck | None = None) -> int:
        """Glossary terms whose Wireshark fields this trace showed join the
        review deck (R, or r elsewhere); how many were new to it. With `deck`
        (`review_deck`), safe in a worker: a large capture's fields take a
        while to go through."""
        deck = deck or self.review_deck()
        if deck is None:
            return 0
        from tutor.review import Review

        terms, store = deck
        return Review(store).schedule_seen(terms, trace)

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
