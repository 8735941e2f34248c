"""An input box whose placeholder is the longest of several that fits its
width: Textual cuts a placeholder where the box ends, with nothing to say so
("... >= 400" beside "140 packets" read as one number at 80 columns)."""

from __future__ import annotations

from rich.cells import cell_len
from textual.widgets import Input


def fitted(placeholders: tuple[str, ...], room: int) -> str:
    """The first of `placeholders` (longest first) no wider than `room`; the
    last cut with "…" when none is."""
    for text in placeholders:
        if cell_len(text) <= room:
            return text
    last = placeholders[-1]
    return last[: max(room - 1, 0)] + "…" if room > 0 else last


class FittedInput(Input):
    """An Input with `placeholders`, fitted again at each resize."""

    def __init__(self, value: str = "", *, placeholders: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(value, placeholder=placeholders[0], **kwargs)  # type: ignore[arg-type]
        self.placeholders = placeholders

    def on_resize(self) -> None:
        # One cell for the cursor, which sits after the text.
        self.placeholder = fitted(self.placeholders, self.content_size.width - 1)
