"""What dissection remembers of each conversation, kept as bytes while it is idle.

A capture of many short connections would otherwise keep, for every one it
ever saw, the protocol chosen for it and its Streams (`labs.dissect.session.Session`)
and its handshake numbers (`labs.dissect.narrate.Roles`): about 3 KB a
connection. As `labs.dissect.tcp_analysis` does for its own state, a
conversation no packet came to for one sweep is frozen to bytes, all of it,
and thawed exactly when a packet of it comes again (ports are reused), so
what is read is the same as if it had stayed in memory
(tests/test_explain_memory.py). `freeze`, `thaw` and `idle` are the
helpers all these tables share (`labs.dissect.tcp_analysis` too).

`forget` drops a conversation's state for good once its last packet is
read (`labs.dissect.core.dissect_stream`, when a survey of the capture
says which packet that is).
"""

from __future__ import annotations

import marshal
import pickle
from dataclasses import fields
from typing import Any, TypeVar

from labs.dissect.proto.base import Stream

#: Packets read between two looks for idle conversations (by `Session`,
#: those with a payload; by `Roles`, TCP segments): a connection of the
#: capture's bulk lasts far fewer.
SWEEP = 1024

#: A conversation as `Session` keys it: both (address, port) ends.
Conv = frozenset[tuple[str, int]]

_KEPT = tuple(f.name for f in fields(Stream) if f.name != "expect")

K = TypeVar("K")


def freeze(value: Any) -> bytes:
    """Plain values (numbers, strings, tuples, lists, dicts, frozensets) as
    bytes, all of them: `thaw` gives them back the same."""
    return marshal.dumps(value)


def thaw(blob: bytes) -> Any:
    return marshal.loads(blob)


def idle(touched: dict[K, int], since: int) -> list[K]:
    """The keys of `touched` (key -> when it was last touched) not touched
    after `since`, taken out of it: a sweep's conversations to freeze."""
    out = [key for key, last in touched.items() if last <= since]
    for key in out:
        del touched[key]
    return out


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
    for conv in idle(touched, since):
        blob = freeze_session(protos, streams, conv)
        if blob is not None:
            session.frozen[conv_name(conv)] = blob
        elif conv in protos or any(k in streams for k in stream_keys(conv)):
            touched[conv] = since  # kept in memory: looked at again next sweep


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


def forget(session: Any, one: tuple[str, int], other: tuple[str, int], a: str, b: str) -> None:
    """Drop all `session` (a `labs.dissect.session.Session`) remembers of
    the conversation between `one` and `other` (address, port), `a` and `b`
    as endpoints: its protocol and Streams, who opened it and its handshake
    numbers (`Roles`), its TCP analysis; in memory or frozen. For a
    conversation none of whose packets is left to read: what the others
    share (who is a client, which ports a protocol announced) stays."""
    conv = frozenset((one, other))
    session.protos.pop(conv, None)
    for key in stream_keys(conv):
        session.streams.pop(key, None)
    if session.frozen:
        session.frozen.pop(conv_name(conv), None)
    session._touched.pop(conv, None)
    roles = session.roles
    for table in (roles.syns, roles.isn, roles.fin):
        table.pop((a, b), None)
        table.pop((b, a), None)
    x, y = (a, b) if a <= b else (b, a)
    if roles.frozen:
        roles.frozen.pop(f"{x} {y}", None)
    roles._touched.pop((x, y), None)
    tcp = session.tcp
    ends = frozenset((a, b))
    tcp.conversations.pop(ends, None)
    tcp.touched.pop(ends, None)
    if tcp.frozen:
        tcp.frozen.pop(" ".join(sorted(ends)), None)


def freeze_roles(tables: tuple[dict[tuple[str, str], int], ...], a: str, b: str) -> bytes | None:
    """The entries of both directions of the conversation between `a` and
    `b` in each of `tables` (dicts by (sender, receiver)), taken out as
    bytes; None when there are none."""
    values = [t.pop(k, None) for t in tables for k in ((a, b), (b, a))]
    if all(v is None for v in values):
        return None
    return freeze(values)


def thaw_roles(blob: bytes, tables: tuple[dict[tuple[str, str], int], ...], a: str, b: str) -> None:
    values = iter(thaw(blob))
    for t in tables:
        for k in ((a, b), (b, a)):
            v = next(values)
            if v is not None:
                t[k] = v


__all__ = [
    "SWEEP",
    "Conv",
    "conv_name",
    "forget",
    "freeze",
    "freeze_roles",
    "freeze_session",
    "idle",
    "stream_keys",
    "sweep_session",
    "thaw",
    "thaw_roles",
    "thaw_session",
]
