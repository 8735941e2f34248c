"""The row of a lab's own options on the lab screen: the TUI's version of the
CLI's flags (--mode, --method, --name, --type, --insecure, --simulate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Select

if TYPE_CHECKING:
    from textual.widget import Widget

    from labs.base import LabOptions
    from labs.registry import LabInfo

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
QTYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS")


def has_options(lab: LabInfo) -> bool:
    return bool(lab.modes) or bool(
        {"method", "name", "qtype", "insecure", "simulate"} & set(lab.options)
    )


class LabOptionsBar(Horizontal):
    DEFAULT_CSS = """
    LabOptionsBar { height: auto; padding: 0 1; }
    LabOptionsBar > * { width: auto; margin-right: 2; }
    LabOptionsBar Select { width: 20; }
    LabOptionsBar Input { width: 36; }
    """

    def __init__(self, lab: LabInfo, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lab = lab

    def compose(self) -> ComposeResult:
        opts = self.lab.options
        if self.lab.modes:
            modes = [(m, m) for m in self.lab.modes]
            yield Select(modes, value=self.lab.modes[0], allow_blank=False, id="opt-mode")
        if "method" in opts:
            methods = [(m, m) for m in METHODS]
            yield Select(methods, value="GET", allow_blank=False, id="opt-method")
        if "name" in opts:
            yield Input(placeholder="name to look up (with a target)", id="opt-name")
        if "qtype" in opts:
            # Blank is the lab's own scenario (every type and a missing name),
            # as the CLI without --type; a type asks one question.
            yield Select([(t, t) for t in QTYPES], prompt="all types", id="opt-qtype")
        if "insecure" in opts:
            yield Checkbox("accept an untrusted certificate", id="opt-insecure")
        if "simulate" in opts:
            yield Checkbox("simulated version", id="opt-simulate")

    def _value(self, selector: str, kind: type[Widget]) -> str | bool | None:
        found = self.query(selector)
        if not found:
            return None
        value = found.first(kind).value  # type: ignore[attr-defined]
        if value is Select.NULL:  # nothing chosen in a Select with a prompt
            return None
        return value if isinstance(value, bool) else (str(value).strip() or None)

    def options(self, target: str | None) -> LabOptions:
        """LabOptions from these fields, as the CLI builds them from its flags."""
        from labs.base import LabOptions

        def text(selector: str, kind: type[Widget]) -> str | None:
            value = self._value(selector, kind)
            return value if isinstance(value, str) else None

        return LabOptions(
            target=target,
            mode=text("#opt-mode", Select),
            method=text("#opt-method", Select),
            name=text("#opt-name", Input),
            qtype=text("#opt-qtype", Select),
            insecure=bool(self._value("#opt-insecure", Checkbox)),
            simulate=bool(self._value("#opt-simulate", Checkbox)),
        )
