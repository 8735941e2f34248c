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
    from labs.trace import Packet

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
            self.add_columns("#", "Time", "What happened", "Source → Destination")
        else:
            self.add_columns("#", "Time", "Source", "Destination", "What happened")
        for p in packets:
            summary = Text(summary_text(p, show_secrets))
            if p.origin != "wire":
                summary = Text.assemble(("inside TLS: ", "italic magenta"), summary)
            if p.conversation and p.origin == "wire":
                summary = Text.assemble((f"[{p.conversation}] ", "dim"), summary)
            when = f"{p.time * 1000:.1f} ms"
            cells: tuple[str | Text, ...]
            if narrow:
                cells = (str(p.index), when, summary, Text(f"{p.src} → {p.dst}"))
            else:
                cells = (str(p.index), when, Text(p.src), Text(p.dst), summary)
            self.add_row(*cells, key=str(p.index))

    def row_of(self, index: int) -> int | None:
        """The row showing packet `index`, or None when the filter hides it."""
        try:
            return self.get_row_index(str(index))
        except Exception:  # RowDoesNotExist: filtered out
            return None
