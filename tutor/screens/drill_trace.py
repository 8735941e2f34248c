"""A probe's packets on the drill screen, with the lab screen's widgets: the
packet list over the field tree and bytes (Packets tab), and the probe's
explanation (What it means tab, "capture & explain")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Markdown

from tutor.screens.trace_view import meaning_blocks, meaning_widget
from tutor.widgets.packet_table import PacketTable
from tutor.widgets.packet_view import PacketView, Pane

if TYPE_CHECKING:
    from labs.model.trace import Trace


class ProbePackets(Vertical):
    """The packet list and the picked packet (tree, bytes, narration)."""

    def __init__(self, drill_id: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.drill_id = drill_id
        self.trace: Trace | None = None

    def compose(self) -> ComposeResult:
        yield PacketTable(id="packets", cursor_type="row", zebra_stripes=True)
        yield PacketView(self.drill_id, id="packet")

    def show(self, trace: Trace | None) -> None:
        self.trace = trace
        narrow = self.app.size.width < 140
        self.query_one(PacketTable).fill(
            trace.packets if trace else (), narrow=narrow, show_secrets=False
        )
        if trace is not None and trace.packets:
            self.query_one(PacketView).show(trace.packets[0])

    @on(DataTable.RowHighlighted, "#packets")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if self.trace is not None and event.row_key.value is not None:
            packet = self.trace.packets[int(event.row_key.value)]
            view = self.query_one(PacketView)
            if packet is not view.packet:
                view.show(packet)


def fill_meaning(scroll: Pane, trace: Trace | None) -> None:
    """What the probe's packets mean, as the lab screen says it."""
    scroll.remove_children()
    if trace is None:
        scroll.mount(Markdown("This probe kept no packets (the history holds only its summary)."))
        return
    scroll.mount_all(meaning_widget(kind, text) for kind, text in meaning_blocks(trace, False))
