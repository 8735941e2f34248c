"""A checkbox and a radio button whose state shows in their glyph, not only
in its colour: a colour-blind learner or a monochrome terminal sees ✓ / ● too
(Textual's own draw the same "X" / "●" on and off, coloured differently)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class MarkedCheckbox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button


class MarkedRadioButton(RadioButton):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return super()._button
