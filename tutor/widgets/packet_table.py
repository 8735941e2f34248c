"""The packet list: one row a packet, "What happened" in plain words. Home
and End go to the first and last packet (DataTable's own scroll sideways),
and in a narrow terminal "What happened" comes before the addresses so it
is never the column off screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

if TYPE_CHECKING:
    from labs.model.trace import Packet

#: What the packet list shows instead of a secret the dissector already hid.
HIDDEN = "********"


def summary_text(packet: Packet, show_secrets: bool) -> str:
    """The packet's line; with secrets shown, the value the summary hid
    ("PASS ********" becomes the password the hex pane shows)."""
    if not show_secrets or HIDDEN not in packet.summary:
        return packet.summary
    secret = next((f for layer in packet.layers for f in layer.fields if f.secret), None)
    return packet.summary.replace(HIDDEN, secret.value) if secret else packet.summary


class PacketTable(DataTable[object]):
    BINDINGS = [
        Binding("home", "first", "First packet", show=False),
        Binding("end", "last", "Last packet", show=False),
    ]

    def action_first(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def fill(self, packets: tuple[Packet, ...], *, narrow: bool, show_secrets: bool) -> None:
        """List `packets` (what never crossed the wire says so)."""
        self.clear(columns=True)
        # "#" not "No.": these count from 0, Wireshark's No. from 1 (the banner says so).
        if narrow:
            self.add_column("#")
            self.add_column("Time")
            self.add_column("What happened", width=self._room_for_what(packets))
            self.add_column("Source → Destination")
        else:
            self.add_columns("#", "Time", "Source", "Destination", "What happened")
        for p in packets:
            summary = Text(summary_text(p, show_secrets))
            if p.origin != "wire":
                summary = Text.assemble(("inside TLS: ", "italic magenta"), summary)
            if p.conversation and p.origin == "wire":
                summary = Text.assemble((f"[{p.conversation}] ", "dim"), summary)
            summary.overflow = "ellipsis"  # cut to leave the addresses whole: say so
            when = f"{p.time * 1000:.1f} ms"
            cells: tuple[str | Text, ...]
            if narrow:
                cells = (str(p.index), when, summary, Text(f"{p.src} → {p.dst}"))
            else:
                cells = (str(p.index), when, Text(p.src), Text(p.dst), summary)
            self.add_row(*cells, key=str(p.index))

    def _room_for_what(self, packets: tuple[Packet, ...]) -> int | None:
        """In a narrow list, "What happened" as wide as its longest line but
        no wider than leaves the addresses whole (a long summary is cut at
        its end instead: its start says what happened, and a cut address
        loses its port). None: as wide as its content (not laid out yet)."""
        width = self.scrollable_content_region.width
        if not width or not packets:
            return None
        pad = 2 * self.cell_padding
        index = max(len(str(p.index)) for p in packets)
        when = max(len(f"{p.time * 1000:.1f} ms") for p in packets)
        ends = max(len(f"{p.src} → {p.dst}") for p in packets)
        left = width - (max(index, 1) + pad) - (max(when, 4) + pad) - (ends + pad) - pad
        longest = max(len(p.summary) for p in packets) + 16  # room for "inside TLS: ", "[data 1] "
        return max(min(left, longest), 20) if left < longest else None

    def row_of(self, index: int) -> int | None:
        """The row showing packet `index`, or None when the filter hides it."""
        try:
            return self.get_row_index(str(index))
        except Exception:  # RowDoesNotExist: filtered out
            return None
