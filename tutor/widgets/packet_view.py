"""One packet, the way Wireshark's lower panes show it: a plain-language
narration, the layer/field tree, and the hex bytes with the selected field
highlighted (plus, for the routing labs, where the packet is in the network)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static, Tree

from labs.trace import mask_secrets
from tutor.screens.trace_view import field_label, masked_ranges
from tutor.widgets.hexdump import HexDump

if TYPE_CHECKING:
    from labs.trace import Packet

#: (layer index, field index or None for the layer itself)
NodeData = tuple[int, int | None]


class PacketView(Vertical):
    DEFAULT_CSS = """
    PacketView #narration { height: auto; max-height: 7; padding: 0 1; border: round $accent 50%; }
    PacketView #topology { height: auto; padding: 0 1; color: $accent; }
    PacketView #bottom { height: 1fr; }
    PacketView #fields { width: 1fr; border: round $primary 40%; }
    PacketView #hex-scroll { width: 78; border: round $primary 40%; }
    PacketView.narrow #hex-scroll { width: 46; }
    """

    def __init__(self, lab_id: str, topology: bool = False, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lab_id = lab_id
        self.topology = topology
        self.packet: Packet | None = None
        self._highlight: tuple[int, int] | None = None
        self.show_secrets = False
        #: Secret values of the whole trace, masked wherever a sentence quotes them.
        self.secrets: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="narration")
        if self.topology:
            yield Static("", id="topology")
        with Horizontal(id="bottom"):
            yield Tree("packet", id="fields")
            with VerticalScroll(id="hex-scroll"):
                yield HexDump(id="hex")

    def on_mount(self) -> None:
        self.query_one("#fields", Tree).show_root = False

    def on_resize(self) -> None:
        # Below ~110 columns, 8 bytes a row leave the field tree room to read.
        narrow = self.size.width < 110
        if narrow != self.has_class("narrow"):
            self.set_class(narrow, "narrow")
            self.query_one("#hex", HexDump).per_row = 8 if narrow else 16
            self._hex(self._highlight)

    def say(self, text: str) -> None:
        """Put a sentence in the narration box (secrets masked)."""
        if not self.show_secrets:
            text = mask_secrets(text, self.secrets)
        self.query_one("#narration", Static).update(Text(text))

    def show(self, packet: Packet, select: str | None = None) -> None:
        """Show one packet; `select` names a Wireshark field to highlight."""
        self.packet = packet
        tree = self.query_one("#fields", Tree)
        tree.clear()
        target = None
        for li, layer in enumerate(packet.layers):
            end = layer.offset + layer.length - 1
            node = tree.root.add(
                Text(f"{layer.name}  (bytes {layer.offset}–{end})"), data=(li, None), expand=True
            )
            for fi, fld in enumerate(layer.fields):
                leaf = node.add_leaf(Text(field_label(fld, self.show_secrets)), data=(li, fi))
                if select and fld.filter == select and target is None:
                    target = leaf
        if self.topology:
            from labs.api import draw_packet

            drawing = draw_packet(self.lab_id, packet.src, packet.dst, packet.summary)
            self.query_one("#topology", Static).update(Text(drawing or ""))
        inside = "Inside the encrypted tunnel — not visible on the wire. "
        self.say(("" if packet.origin == "wire" else inside) + packet.explain)
        self._hex(None)
        if target is not None:
            # The rebuilt tree knows its lines only after a refresh.
            def choose() -> None:
                tree.move_cursor(target)
                self.highlight(target.data)

            self.call_after_refresh(choose)

    def _hex(self, highlight: tuple[int, int] | None) -> None:
        self._highlight = highlight
        if self.packet is None:
            return
        masked = [] if self.show_secrets else masked_ranges(self.packet)
        layers = [(layer.offset, layer.length) for layer in self.packet.layers]
        self.query_one("#hex", HexDump).show(self.packet.data, highlight, masked, layers)

    @on(Tree.NodeHighlighted, "#fields")
    def _node(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        self.highlight(event.node.data)

    def highlight(self, data: NodeData | None) -> None:
        """Light up the bytes of a layer or field, and say what the field means."""
        packet = self.packet
        if packet is None or data is None:
            return
        li, fi = data
        layer = packet.layers[li]
        if fi is None:
            self._hex((layer.offset, layer.length))
            return
        fld = layer.fields[fi]
        self._hex((fld.offset, fld.length))
        where = f"bytes {fld.offset}–{fld.offset + fld.length - 1}" if fld.length else "computed"
        filt = f"  Wireshark: {fld.filter}" if fld.filter else ""
        self.say(
            f"{field_label(fld, self.show_secrets)}  ({where}){filt}\n{fld.explain or packet.explain}"
        )
