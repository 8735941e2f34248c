"""What dissection remembers of each conversation, kept as bytes while it is idle.

A capture of many short connections would otherwise keep, for every one it
ever saw, the protocol chosen for it and its Streams (`labs.dissect.layers.Session`)
and its handshake numbers (`labs.dissect.narrate.Roles`): about 3 KB a
connection. As `labs.dissect.tcp_analysis` does for its own state, a
conversation no packet came to for one sweep is frozen to bytes, all of it,
and thawed exactly when a packet of it comes again (ports are reused), so
what is read is the same as if it had stayed in memory
(tests/test_explain_memory.py).
"""

from __future__ import annotations

import marshal
import pickle
from dataclasses import fields
from typing import Any

from labs.dissect.proto.base import Stream

#: Packets read between two looks for idle conversations (by `Session`,
#: those with a payload; by `Roles`, TCP segments): a connection of the
#: capture's bulk lasts far fewer.
SWEEP = 1024

#: A conversation as `Session` keys it: both (address, port) ends.
Conv = frozenset[tuple[str, int]]

_KEPT = tuple(f.name for f in fields(Stream) if f.name != "expect")


def conv_name(conv: Conv) -> str:
    """`conv` as a short string (a frozen conversation's key)."""
    return "|".join(sorted(f"{ip} {port}" for ip, port in conv))


def stream_keys(conv: Conv) -> list[tuple[str, int, str, int]]:
    """The keys of the Streams of `conv`'s two directions."""
    ends = sorted(conv)
    a, b = ends[0], ends[-1]
    return [(a[0], a[1], b[0], b[1])] if a == b else [(*a, *b), (*b, *a)]


def freeze_session(
    protos: dict[Conv, str], streams: dict[tuple[str, int, str, int], Stream], conv: Conv
) -> bytes | None:
    """`conv`'s protocol and Streams as bytes, taken out of `protos` and
    `streams`; None (and nothing taken) when there is nothing to keep or a
    module's state cannot be written as bytes."""
    parts = [
        (key, tuple(getattr(streams[key], name) for name in _KEPT))
        for key in stream_keys(conv)
        if key in streams
    ]
    name = protos.get(conv)
    if name is None and not parts:
        return None
    try:
        # One dump for both directions: their `shared` dict stays one dict.
        blob = pickle.dumps((name, parts), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
    protos.pop(conv, None)
    for key, _values in parts:
        del streams[key]
    return blob


def sweep_session(touched: dict[Conv, int], since: int, session: Any) -> None:
    """Freeze into `session.frozen` each conversation of `touched` no packet
    came to after `since` (one whose state cannot be frozen stays)."""
    protos, streams = session.protos, session.streams
    for conv in [c for c, last in touched.items() if last <= since]:
        blob = freeze_session(protos, streams, conv)
        if blob is not None:
            session.frozen[conv_name(conv)] = blob
        elif conv in protos or any(k in streams for k in stream_keys(conv)):
            continue
        del touched[conv]


def thaw_session(
    blob: bytes,
    protos: dict[Conv, str],
    streams: dict[tuple[str, int, str, int], Stream],
    conv: Conv,
    expect: dict[int, str],
) -> None:
    """Put back what `freeze_session` took (`expect`: the Session's one dict)."""
    name, parts = pickle.loads(blob)
    if name is not None:
        protos[conv] = name
    for key, values in parts:
        kept: dict[str, Any] = dict(zip(_KEPT, values, strict=True))
        streams[key] = Stream(**kept, expect=expect)


def freeze_roles(tables: tuple[dict[tuple[str, str], int], ...], a: str, b: str) -> bytes | None:
    """The entries of both directions of the conversation between `a` and
    `b` in each of `tables` (dicts by (sender, receiver)), taken out as
    bytes; None when there are none."""
    values = [t.pop(k, None) for t in tables for k in ((a, b), (b, a))]
    if all(v is None for v in values):
        return None
    return marshal.dumps(values)


def thaw_roles(blob: bytes, tables: tuple[dict[tuple[str, str], int], ...], a: str, b: str) -> None:
    values = iter(marshal.loads(blob))
    for t in tables:
        for k in ((a, b), (b, a)):
            v = next(values)
            if v is not None:
                t[k] = v


__all__ = [
    "SWEEP",
    "Conv",
    "conv_name",
    "freeze_roles",
    "freeze_session",
    "stream_keys",
    "sweep_session",
    "thaw_roles",
    "thaw_session",
]
