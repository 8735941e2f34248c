"""A hex dump of one packet that highlights the bytes of the selected field,
the way Wireshark's bytes pane does."""

from __future__ import annotations

from rich.text import Text
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.widgets import Static

WIDTH = 16
MASK = "••"


def render_hex(
    data: bytes,
    highlight: tuple[int, int] | None = None,
    masked: list[tuple[int, int]] | None = None,
    layers: list[tuple[int, int]] | None = None,
    per_row: int = WIDTH,
) -> Text:
    """Rows of `offset  hex bytes  ascii`.

    `highlight` is (offset, length) of the selected field; `masked` ranges are
    secrets shown as •• (and · in the ASCII column); `layers` ranges alternate
    a faint tint so the learner sees where each header starts.
    """
    hl = range(highlight[0], highlight[0] + highlight[1]) if highlight else range(0)
    secret = {i for off, n in (masked or []) for i in range(off, off + n)}
    tint: dict[int, str] = {}
    for n, (off, length) in enumerate(layers or []):
        for i in range(off, min(off + length, len(data))):
            tint[i] = "" if n % 2 == 0 else "dim"
    out = Text(no_wrap=True, overflow="ellipsis")
    half = per_row // 2
    for row in range(0, len(data), per_row):
        chunk = data[row : row + per_row]
        out.append(f"{row:04x}  ", style="bold cyan")
        for i, byte in enumerate(chunk):
            pos = row + i
            style = "reverse bold yellow" if pos in hl else tint.get(pos, "")
            out.append(MASK if pos in secret else f"{byte:02x}", style=style)
            out.append(" " if i != half - 1 else "  ")
        out.append("   " * (per_row - len(chunk)) + (" " if len(chunk) < half else ""))
        out.append(" ")
        for i, byte in enumerate(chunk):
            pos = row + i
            ch = "·" if pos in secret else (chr(byte) if 32 <= byte < 127 else ".")
            out.append(ch, style="reverse bold yellow" if pos in hl else tint.get(pos, ""))
        if row + per_row < len(data):
            out.append("\n")
    return out


class HexDump(Static):
    """Shows `render_hex` for the current packet; call `show()` to update."""

    DEFAULT_CSS = """
    HexDump {
        height: auto;
        padding: 0 1;
    }
    """

    #: Bytes a row: 16 like Wireshark, 8 in a narrow terminal.
    per_row = WIDTH
    #: The highlighted (offset, length) to keep in view, None for none.
    _wanted: tuple[int, int] | None = None

    def show(
        self,
        data: bytes,
        highlight: tuple[int, int] | None = None,
        masked: list[tuple[int, int]] | None = None,
        layers: list[tuple[int, int]] | None = None,
    ) -> None:
        #: What is on screen, kept so tests can read the highlighted bytes.
        self.rendered = (
            render_hex(data, highlight, masked, layers, self.per_row)
            if data
            else Text("(no bytes)")
        )
        self.update(self.rendered)
        self._wanted = highlight if data else None
        # In a short terminal the pane shows a row or two of the dump: the bytes
        # of the field just picked must be among them, not rows below out of
        # sight. After the refresh, when the pane knows the dump's new height.
        self.call_after_refresh(self._highlight_into_view)

    def _highlight_into_view(self) -> None:
        pane = self.parent
        if not isinstance(pane, ScrollableContainer):
            return
        wanted = self._wanted
        if wanted is None:
            pane.scroll_home(animate=False, immediate=True)
            return
        offset, length = wanted
        if length <= 0:
            return  # a computed field has no bytes to show
        first = offset // self.per_row
        last = (offset + length - 1) // self.per_row
        top = self.virtual_region.y + self.styles.padding.top
        # Taller than the pane (a whole layer): its first row stays in view.
        rows = Region(0, top + first, self.size.width, last - first + 1)
        pane.scroll_to_region(rows, animate=False, origin_visible=True, immediate=True)

    def highlighted_hex(self) -> str:
        """The hex digits currently highlighted, in order (e.g. "a002")."""
        text = getattr(self, "rendered", Text())
        cells = (text.plain[s.start : s.end] for s in text.spans if "reverse" in str(s.style))
        return "".join(
            c for c in cells if len(c) == 2 and all(ch in "0123456789abcdef" for ch in c)
        )
