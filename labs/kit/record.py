"""A `Recording`: one run's evidence before it is explained, and its JSON.

A lab runs in two halves: `record` talks to the network and returns a
Recording; `explain` turns a Recording into a Trace without touching the
network. Keeping them apart is what lets a stored Recording be explained
again, byte for byte (tests/data/golden), and lets a result type say
exactly what an explanation reads besides the packets.
"""

from __future__ import annotations

import json
import os
import types
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from labs.capture.recorder import ConversationLog
from labs.core.base import RawPacket

R = TypeVar("R")

#: The most of a recording file read back (a stored run is well under this).
MAX_RECORDING_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Recording(Generic[R]):
    """What one run of a lab left behind: its packets and how they were
    obtained, what the recording sockets saw, when it ran, and the lab's own
    result (a frozen dataclass of the lab's, holding what its explanation
    needs that is not in the packets)."""

    lab: str
    #: The target as the trace shows it.
    target: str
    capture: str
    capture_note: str
    started: str
    duration: float
    raws: tuple[RawPacket, ...]
    conversations: tuple[ConversationLog, ...]
    result: R


def to_data(value: Any) -> Any:
    """JSON-ready data: a dataclass is a dict of its fields, bytes are hex,
    tuples and lists are lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


def from_data(tp: Any, data: Any) -> Any:
    """Read back what `to_data` wrote, guided by the type `tp`."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return from_data(inner[0], data) if len(inner) == 1 else data
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(args[0], v) for v in data)
        return tuple(from_data(a, v) for a, v in zip(args, data, strict=True))
    if origin is list:
        return [from_data(args[0], v) for v in data]
    if origin is dict:
        return {k: from_data(args[1], v) for k, v in data.items()}
    if tp is bytes:
        return bytes.fromhex(data)
    if tp is float and isinstance(data, int):
        return float(data)
    if isinstance(tp, type) and is_dataclass(tp):
        hints = get_type_hints(tp)
        known = {f.name for f in fields(tp)}
        return tp(**{k: from_data(hints[k], v) for k, v in data.items() if k in known})
    return data


def dumps_recording(rec: Recording[Any]) -> str:
    return json.dumps(to_data(rec), indent=1, ensure_ascii=False) + "\n"


def loads_recording(text: str, result_type: type[R]) -> Recording[R]:
    data = json.loads(text)
    rec: Recording[Any] = from_data(Recording, {**data, "result": None})
    return Recording(**{**rec.__dict__, "result": from_data(result_type, data["result"])})


def save_recording(rec: Recording[Any], path: Path) -> None:
    """Write atomically, 0600, never through a symlink planted at `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(dumps_recording(rec))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_recording(path: Path, result_type: type[R]) -> Recording[R]:
    with open(path, encoding="utf-8") as f:
        text = f.read(MAX_RECORDING_BYTES + 1)
    if len(text) > MAX_RECORDING_BYTES:
        raise ValueError(f"{path}: larger than {MAX_RECORDING_BYTES} bytes")
    return loads_recording(text, result_type)
