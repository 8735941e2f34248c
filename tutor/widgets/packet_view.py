"""One packet, the way Wireshark's lower panes show it: a plain-language
narration, the layer/field tree, and the hex bytes with the selected field
highlighted (plus, for the routing labs, where the packet is in the network).

The tree opens where the lesson is: the packet's own top protocol unfolded,
the layers under it folded to one line that still says what they carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static, Tree

from labs.model.trace import mask_secrets
from tutor.screens.trace_view import field_label, masked_ranges
from tutor.widgets.hexdump import HexDump

if TYPE_CHECKING:
    from labs.model.trace import Layer, Packet

#: (layer index, field index or None for the layer itself)
NodeData = tuple[int, int | None]


#: Fields that say in one line what a folded layer carries (src → dst, then the rest).
SUMMARY_FIELDS = {
    "Ethernet": ("eth.src", "eth.dst"),
    "IPv4": ("ip.src", "ip.dst", "ip.ttl"),
    "IPv6": ("ipv6.src", "ipv6.dst", "ipv6.hlim"),
    "TCP": ("tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.len"),
    "UDP": ("udp.srcport", "udp.dstport", "udp.length"),
}


def layer_summary(layer: Layer) -> str:
    """ "127.0.0.1 → 127.0.0.1 · Time to live 64": a folded layer in one line."""
    names = SUMMARY_FIELDS.get(layer.name)
    found = [layer.field(n) for n in names] if names else list(layer.fields[:2])
    shown = [f for f in found if f is not None]
    if names and len(shown) >= 2 and shown[0].filter == names[0] and shown[1].filter == names[1]:
        rest = " · ".join(f"{f.name} {f.show or f.value}" for f in shown[2:])
        return f"{shown[0].value} → {shown[1].value}" + (f" · {rest}" if rest else "")
    return " · ".join(f"{f.name} {f.show or f.value}" for f in shown if not f.secret)


def focus_layer(packet: Packet) -> int:
    """The layer the learner is here for: the packet's top protocol (not the
    bytes it did not decode, not the probe quoted inside an ICMP error)."""
    names = [layer.name for layer in packet.layers]
    for i in range(len(names) - 1, -1, -1):
        if names[i] != "Data" and "(quoted)" not in names[i]:
            return i
    return max(0, len(names) - 1)


class Pane(VerticalScroll):
    """A scrolling pane `z` may maximise (Textual's containers refuse to)."""

    ALLOW_MAXIMIZE = True


class FieldTree(Tree[NodeData]):
    """The layer/field tree. Its selected field stays in view when the tree's
    size changes: a jump to evidence may land while a tab is still being laid
    out, and the short tree of an 80x24 terminal would leave the field below."""

    def on_resize(self) -> None:
        self.call_after_refresh(self._cursor_into_view)

    def _cursor_into_view(self) -> None:
        # The cursor as it is when this runs: the tree may have been refilled since.
        node = self.cursor_node
        if node is not None:
            self.scroll_to_node(node, animate=False)


class PacketView(Vertical):
    # The tree has no horizontal scrollbar: it cost a row of the few an 80x24
    # terminal leaves the tree, for one "▏". A label wider than the pane still
    # scrolls (← →), and the narration above says the selected field whole.
    DEFAULT_CSS = """
    PacketView #narration { height: auto; max-height: 7; padding: 0 1; border: round $accent 50%; }
    PacketView #bottom { height: 1fr; }
    PacketView #fields { width: 1fr; border: round $primary 40%; scrollbar-size-horizontal: 0; }
    PacketView #side { width: 78; border: round $primary 40%; }
    PacketView #topology { height: auto; padding: 0 1; color: $accent; }
    PacketView.narrow #side { width: 46; }
    PacketView.stacked #bottom { layout: vertical; }
    PacketView.stacked #fields { width: 1fr; height: 1fr; }
    PacketView.stacked #side { width: 1fr; height: 40%; }
    PacketView.short #narration { max-height: 4; }
    PacketView.tiny-height #topology { display: none; }
    """

    @dataclass
    class Read(Message):
        """Words about `fields` are on show for the learner to read (a packet's
        narration, a field's explanation): the glossary terms they name are met."""

        fields: tuple[str, ...]
        text: str

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
            # Full width (the drawing is ~76 columns); folded in a short terminal,
            # where the tree needs the rows ("What it means" draws the network too).
            yield Static("", id="topology")
        with Horizontal(id="bottom"):
            yield FieldTree("packet", id="fields")
            with Pane(id="side"):
                yield HexDump(id="hex")

    def on_mount(self) -> None:
        self.query_one("#fields", Tree).show_root = False

    def on_resize(self) -> None:
        # Below ~140 columns, 8 bytes a row leave the field tree room to read
        # its labels; below 100 the bytes go under the tree, 16 a row again.
        width = self.size.width
        stacked, narrow = width < 100, 100 <= width < 140
        per_row = 8 if narrow else 16
        self.set_class(stacked, "stacked")
        self.set_class(narrow, "narrow")
        self.set_class(self.screen.size.height < 40, "short")
        self.set_class(self.screen.size.height < 30, "tiny-height")
        hexdump = self.query_one("#hex", HexDump)
        if hexdump.per_row != per_row:
            hexdump.per_row = per_row
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
        top = focus_layer(packet)
        for li, layer in enumerate(packet.layers):
            end = layer.offset + layer.length - 1
            label = Text(layer.name, style="bold")
            if li < top:
                label.append(f"  {layer_summary(layer)}", style="")
            label.append(f"  (bytes {layer.offset}–{end})", style="dim")
            node = tree.root.add(label, data=(li, None), expand=li >= top)
            for fi, fld in enumerate(layer.fields):
                leaf = node.add_leaf(Text(field_label(fld, self.show_secrets)), data=(li, fi))
                if select and fld.filter == select and target is None:
                    target = leaf
        if target is None and select is None and top < len(packet.layers):
            # No field asked for: start on the top protocol's first field.
            layer_node = tree.root.children[top]
            target = layer_node.children[0] if layer_node.children else layer_node
        if self.topology:
            from labs.api import draw_packet

            drawing = draw_packet(self.lab_id, packet.src, packet.dst, packet.summary)
            topology = self.query_one("#topology", Static)
            topology.update(Text(drawing or ""))
            topology.refresh(layout=True)  # its height follows the drawing
        inside = "Inside the encrypted tunnel — not visible on the wire. "
        self.say(("" if packet.origin == "wire" else inside) + packet.explain)
        fields = tuple(f.filter for layer in packet.layers for f in layer.fields if f.filter)
        self.post_message(self.Read(fields, packet.explain))
        self._hex(None)
        if target is not None:
            if target.parent is not None:
                target.parent.expand()
            chosen = target

            # The rebuilt tree knows its lines only after a refresh.
            def choose() -> None:
                if select:
                    tree.move_cursor(chosen)
                    self.highlight(chosen.data)
                else:
                    # Start there, but keep saying what the packet is.
                    with tree.prevent(Tree.NodeHighlighted):
                        tree.move_cursor(chosen)
                # The layer's own line stays in view above its first field.
                layer = chosen.parent if chosen.parent is not tree.root else None
                tree.scroll_to_node(layer or chosen, animate=False)
                tree.scroll_to_node(chosen, animate=False)

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
        label, explain = field_label(fld, self.show_secrets), fld.explain or packet.explain
        self.say(f"{label}  ({where}){filt}\n{explain}")
        if fld.filter:
            # Not the filter's name: "ip.src" does not say "IP" to a learner.
            self.post_message(self.Read((fld.filter,), f"{label}\n{explain}"))
