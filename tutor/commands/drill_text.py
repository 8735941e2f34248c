"""What `tutor drill` and `tutor drill probe` (`tutor.commands.drill_probe`)
both print with: the progress home, JSON output, and prose and key/text
rows wrapped to the terminal. Their own module, so neither command module
imports the other."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from labs.api import drill_probe_kinds

#: What `tutor drill probe` takes: the probes, and `capture` of one.
PROBES = (*drill_probe_kinds, "capture")


def _home() -> Path:
    from tutor.progress import home

    return home()


def _data(obj: Any) -> Any:
    from labs.model.trace import to_json

    if hasattr(obj, "trace") and obj.trace is not None:
        out = asdict(replace(obj, trace=None))
        out["trace"] = to_json(obj.trace)
        return out
    return asdict(obj)


def _json(data: Any) -> int:
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def _width() -> int:
    from tutor.tracetext import text_width

    return text_width(sys.stdout)


def _say(text: str, indent: str = "") -> None:
    """Prose, wrapped to the terminal (or COLUMNS) as `tutor explain` wraps it."""
    from tutor.packettext import wrap

    print(wrap(text, indent, _width()))


def _row(key: str, text: str, key_width: int, indent: str = "  ") -> None:
    """A `key  text` row; the text wraps under itself, so the keys stay a column."""
    from tutor.packettext import wrap

    pad = " " * (len(indent) + key_width + 1)
    print(f"{indent}{key:<{key_width}} " + wrap(text, pad, _width())[len(pad) :])


__all__ = ["PROBES", "_data", "_home", "_json", "_row", "_say", "_width"]
