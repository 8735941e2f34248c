"""Reading back a trace JSON file the learner names (`tutor diff A.json B.json`):
the trace, or one `BadInput` saying in words what is wrong with the file (missing,
a directory, a capture rather than its trace, not JSON, not a trace)."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from labs.model.errors import BadInput
from labs.model.frozen import type_hints
from labs.model.trace import Trace, from_json

#: The most of a trace file read (a lab's trace is far smaller).
MAX_BYTES = 256 * 1024 * 1024
#: The first bytes of a pcap (either byte order, µs or ns) and of a pcapng file.
_CAPTURE_MAGIC = (
    b"\xa1\xb2\xc3\xd4",
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x4d\x3c\xb2\xa1",
    b"\x0a\x0d\x0d\x0a",
)
_WHAT = "(from `tutor lab run --json` or `tutor explain --json`)"


def read_trace_file(path: str | Path) -> Trace:
    """The trace saved at `path`, or BadInput in one line."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{name}: no such file.") from None
    except IsADirectoryError:
        raise BadInput(f"{name} is a directory, not a trace JSON file {_WHAT}.") from None
    except PermissionError:
        raise BadInput(f"{name}: you may not read this file (permission denied).") from None
    except OSError as err:
        raise BadInput(f"{name}: cannot read it ({err.strerror or 'read error'}).") from None
    if data[:4] in _CAPTURE_MAGIC:
        out = Path(name).with_suffix(".json").name
        raise BadInput(
            f"{name} is a capture, not a trace JSON: "
            f"run `tutor explain {name} --json > {out}` first."
        )
    if len(data) > MAX_BYTES:
        raise BadInput(f"{name} is larger than {MAX_BYTES >> 20} MB: not a trace file {_WHAT}.")
    not_trace = f"{name} is not a trace JSON file {_WHAT}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{not_trace}: it is not text.") from None
    if not text.strip():
        raise BadInput(f"{not_trace}: it is empty.")
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadInput(f"{not_trace}: it is not valid JSON (line {err.lineno}).") from None
    except RecursionError:
        raise BadInput(f"{not_trace}: its JSON is nested too deep.") from None
    problem = _problem(Trace, loaded, "")
    if problem:
        raise BadInput(f"{not_trace}: {problem}.")
    try:
        return from_json(loaded)
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError):
        raise BadInput(f"{not_trace}: its contents do not have the trace's shape.") from None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else "a number" if not isinstance(value, bool) else "true/false"


def _problem(cls: type, data: Any, where: str) -> str:
    """What is wrong with `data` as the JSON of dataclass `cls`, or ""."""
    whose = f"its '{where}'" if where else "it"
    if not isinstance(data, dict):
        return f"{whose} is {_kind(data)}, not an object"
    hints = type_hints(cls)
    required = [
        f.name
        for f in fields(cls)
        if f.default is MISSING and f.default_factory is MISSING and f.name not in data
    ]
    if required:
        names = ", ".join(repr(n) for n in required[:-1])
        names = f"{names} and {required[-1]!r}" if names else repr(required[-1])
        return f"{whose} {'object ' if where else ''}lacks {names}"
    for f in fields(cls):
        if f.name in data:
            said = _check(hints[f.name], data[f.name], f"{where}.{f.name}".lstrip("."))
            if said:
                return said
    return ""


def _check(tp: Any, value: Any, where: str) -> str:
    if get_origin(tp) is tuple:
        if not isinstance(value, list):
            return f"its '{where}' is {_kind(value)}, not a list"
        (inner, _ellipsis) = get_args(tp)
        for i, item in enumerate(value):
            said = _check(inner, item, f"{where}[{i}]")
            if said:
                return said
        return ""
    if isinstance(tp, type) and is_dataclass(tp):
        return _problem(tp, value, where)
    if tp is str and not isinstance(value, str):
        return f"its '{where}' is {_kind(value)}, not a string"
    if tp in (int, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"its '{where}' is {_kind(value)}, not a number"
    return ""


__all__ = ["MAX_BYTES", "read_trace_file"]
