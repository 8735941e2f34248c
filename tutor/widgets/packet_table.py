"""The packet list: one row a packet, "What happened" in plain words. Home
and End go to the first and last packet (DataTable's own scroll sideways),
and in a narrow terminal "What happened" comes before the addresses so it
is never the column off screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from labs.model.numbers import Numbering
from labs.model.trace import MASK
from tutor.timetext import took

if TYPE_CHECKING:
    from labs.model.trace import Packet

#: What the packet list shows instead of a secret the dissector already hid
#: (the mask every output uses).
HIDDEN = MASK
#: The narrowest "What happened" before the addresses are shortened, then cut.
MIN_WHAT = 20


def _split(endpoint: str) -> tuple[str, str]:
    """ "127.0.0.1:80" -> ("127.0.0.1", "80"); "[::1]:80" -> ("[::1]", "80");
    an endpoint without a port (a MAC, ICMP's bare address) -> (it, "")."""
    if endpoint.startswith("[") and "]:" in endpoint:
        address, _colon, port = endpoint.rpartition(":")
        return address, port
    if endpoint.count(":") == 1:
        address, _colon, port = endpoint.partition(":")
        return address, port
    return endpoint, ""


def endpoints(src: str, dst: str, short: bool = False) -> str:
    """ "SRC → DST"; `short`, the destination's address left out where it is
    the source's (loopback): "127.0.0.1:41302 → :59133"."""
    (a, a_port), (b, b_port) = _split(src), _split(dst)
    if short and a == b and a_port and b_port:
        return f"{src} → :{b_port}"
    return f"{src} → {dst}"


def summary_text(packet: Packet, show_secrets: bool) -> str:
    """The packet's line; with secrets shown, the value the summary hid
    ("PASS ••••" becomes the password the hex pane shows)."""
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

    def fill(
        self,
        packets: tuple[Packet, ...],
        *,
        narrow: bool,
        show_secrets: bool,
        numbering: Numbering | None = None,
    ) -> None:
        """List `packets` (what never crossed the wire says so), numbered as
        `numbering` (the whole trace's: see `_numbering`)."""
        numbering = self._numbering(packets, numbering)
        self._filled = (packets, narrow, show_secrets)
        self._filled_width = self.size.width
        self.clear(columns=True)
        short, ends_width = False, None
        # "No." as in Wireshark: each row's number is Wireshark's No. (from 1), the
        # number `frame.number == N` finds ("9a": read inside TLS from No. 9);
        # the row's key stays the packet's index.
        if narrow:
            what, short, ends_width = self._narrow_widths(packets, numbering)
            self.add_column("No.")
            self.add_column("Time")
            self.add_column("What happened", width=what)
            self.add_column("Source → Destination", width=ends_width)
        else:
            self.add_columns("No.", "Time", "Source", "Destination", "What happened")
        for p in packets:
            summary = Text(summary_text(p, show_secrets))
            if p.origin != "wire":
                summary = Text.assemble(("inside TLS: ", "italic magenta"), summary)
            if p.conversation and p.origin == "wire":
                summary = Text.assemble((f"[{p.conversation}] ", "dim"), summary)
            summary.overflow = "ellipsis"  # cut to leave the addresses whole: say so
            when = Text(took(p.time), justify="right")  # ends aligned: "711 µs" over "2.8 ms"
            cells: tuple[str | Text, ...]
            if narrow:
                # Cut only when even the short form cannot fit: with "…", never a silent port.
                ends = Text(endpoints(p.src, p.dst, short), no_wrap=True, overflow="ellipsis")
                cells = (numbering.label(p.index), when, summary, ends)
            else:
                cells = (numbering.label(p.index), when, Text(p.src), Text(p.dst), summary)
            self.add_row(*cells, key=str(p.index))

    def on_resize(self) -> None:
        """A narrow list is laid out for its width: lay it out again for the new one."""
        packets, narrow, secrets = getattr(self, "_filled", ((), False, False))
        if not narrow or not packets or self.size.width == getattr(self, "_filled_width", 0):
            return
        row = self.cursor_row
        # The same rows, re-laid out: nothing for the screen to show anew
        # (a field the screen selected in the packet stays selected).
        with self.prevent(DataTable.RowHighlighted):
            self.fill(packets, narrow=narrow, show_secrets=secrets)
            self.move_cursor(row=row)

    def _numbering(self, packets: tuple[Packet, ...], given: Numbering | None) -> Numbering:
        """`given`, else the numbering of the last whole trace listed when
        `packets` are some of its (a filter keeps each packet's number),
        else their own: a packet read inside TLS is numbered after the wire
        packet before it in the whole trace, which a filtered list may lack."""
        whole = bool(packets) and packets[0].index == 0 and packets[-1].index == len(packets) - 1
        if given is None and whole:
            given = Numbering(packets)
        if given is not None:
            self._whole = (packets[-1].index if packets else -1, given)
            return given
        last, kept = getattr(self, "_whole", (-1, None))
        if kept is not None and packets and packets[-1].index <= last:
            return kept
        return Numbering(packets)

    def _narrow_widths(
        self, packets: tuple[Packet, ...], numbering: Numbering
    ) -> tuple[int | None, bool, int | None]:
        """In a narrow list: the width of "What happened", whether the
        addresses drop a repeated host ("127.0.0.1:41302 → :5913"), and the
        width of the addresses when even that does not fit (cut with "…").
        "What happened" is as wide as its longest line but no wider than
        leaves the addresses whole (a long summary is cut at its end: its
        start says what happened, and a cut address reads as another port).
        None: as wide as its content (not laid out yet, or room for all)."""
        width = self.scrollable_content_region.width
        if not width or not packets:
            return None, False, None
        if not self.show_vertical_scrollbar and len(packets) > self.size.height - 1:
            width -= self.styles.scrollbar_size_vertical  # about to appear
        pad = 2 * self.cell_padding
        fixed = self._fixed(packets, numbering)
        longest = max(len(p.summary) for p in packets) + 16  # room for "inside TLS: ", "[data 1] "
        for short in (False, True):
            ends = max(len(endpoints(p.src, p.dst, short)) for p in packets)
            left = width - fixed - (ends + pad)
            if left >= min(longest, MIN_WHAT):
                return (min(left, longest) if left < longest else None), short, None
        return MIN_WHAT, True, max(width - fixed - MIN_WHAT - pad, 8)

    def _fixed(self, packets: tuple[Packet, ...], numbering: Numbering | None = None) -> int:
        """The cells of "No." and "Time", and of the padding of "What happened"."""
        pad = 2 * self.cell_padding
        numbering = numbering or self._numbering(packets, None)
        no = max(len(numbering.label(p.index)) for p in packets)
        when = max(len(took(p.time)) for p in packets)
        return (max(no, 3) + pad) + (max(when, 4) + pad) + pad

    def least_width(self, packets: tuple[Packet, ...], narrow: bool) -> int:
        """The narrowest the list of `packets` is readable in, scrollbar and
        borders counted (the steps pane beside it may take the rest): narrow,
        "What happened" MIN_WHAT wide and the addresses in their short form;
        wide, each address whole in its column and twice that for what happened."""
        if not packets:
            return 0
        pad = 2 * self.cell_padding
        if narrow:
            what = MIN_WHAT
            ends = max(len(endpoints(p.src, p.dst, True)) for p in packets) + pad
        else:
            what = 2 * MIN_WHAT
            ends = max(len(p.src) for p in packets) + max(len(p.dst) for p in packets) + 2 * pad
        chrome = self.styles.scrollbar_size_vertical + self.styles.gutter.width
        return self._fixed(packets) + what + ends + chrome

    def row_of(self, index: int) -> int | None:
        """The row showing packet `index`, or None when the filter hides it."""
        try:
            return self.get_row_index(str(index))
        except Exception:  # RowDoesNotExist: filtered out
            return None
