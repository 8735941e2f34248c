"""How `labs.dissect.proto.fast` reads a header by its plan: `rest`, the
loop over the plan's ops (a struct run, a bit group, another field), and
`reader`, one generated reader per header class.

The loop costs a turn, a tuple unpack and a dict store per field for every
header of every packet. A header's fixed part (the plan's leading struct
runs and whole-byte bit groups) is the same for every packet, so `reader`
writes, once per header class, a function that reads all of it with one
`Struct.unpack_from` and builds the values dict in one literal. It is
generated source (`exec`) rather than a closure because only straight-line
code avoids the per-field loop; the source depends only on the scapy field
declarations, never on packet bytes. What follows the fixed part (options)
is read by `rest`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

#: Light stands for `labs.dissect.proto.fast.Light` (which imports this module).
Light = Any

#: What `rest` does for the next field(s): read a run of byte-aligned fields
#: with one struct call, a group of bit fields filling whole bytes through
#: one memo lookup, one bit field through the memo, or any other field
#: through its own getfield.
_RUN, _GROUP, _BITS_OP, _OTHER = 0, 1, 2, 3
#: Values remembered per bit group (version and header length, flags and
#: fragment offset take a handful of values across a capture).
_GROUP_MEMO_MAX = 4096


#: (data, start, end) -> the header at data[start:end], or None (see `rest`).
Reader = Callable[[bytes, int, int], Any]


def _source(names: list[str], fixed: list[str], size: int, rest: str) -> str:
    lines = [
        "def read(data, start, end):",
        f"    if end - start < {size}:",
        "        return None",
        f"    {', '.join(names)}, = unpack_from(data, start)",
        "    layer = new(cls)",
        *fixed,
        rest,
    ]
    return "\n".join(lines) + "\n"


def reader(cls: Any) -> Reader | None:
    """The generated reader of `cls` (a `fast.Light` class), or None when
    its plan does not start with a fixed part of one byte order."""
    plan = cls.plan
    fmt = ""
    order = ""
    names: list[str] = []  # what unpack_from returns, in order
    env: dict[str, Any] = {"cls": cls, "new": cls.__new__, "rest": rest, "group": _group}
    convert: list[str] = []  # statements turning raw values into field values
    entries: list[str] = []  # the values dict, in field order
    size = 0
    n = 0
    for n, op in enumerate(plan):  # noqa: B007 - n says where the fixed part ends
        if op[0] == _RUN:
            st = op[1]
            if order and st.format[0] != order:
                return None  # runs of two byte orders: `rest` reads them
            order = st.format[0]
            fmt += st.format[1:]
            size += st.size
            for i, (name, conv) in enumerate(op[2]):
                var = f"v{n}_{i}"
                names.append(var)
                if conv is not None:
                    env[f"seen{n}_{i}"] = conv.seen
                    env[f"conv{n}_{i}"] = conv
                    convert += [
                        f"    {var}c = seen{n}_{i}.get({var})",
                        f"    if {var}c is None:",
                        f"        {var}c = conv{n}_{i}(layer, {var})",
                    ]
                    var += "c"
                entries.append(f"{name!r}: {var}")
        elif op[0] == _GROUP:
            fields, nbytes = op[1], op[2]
            fmt += f"{nbytes}s"
            size += nbytes
            var = f"g{n}"
            names.append(var)
            env[f"memo{n}"] = op[3]
            env[f"op{n}"] = op
            convert += [
                f"    {var}v = memo{n}.get({var})",
                f"    if {var}v is None:",
                f"        {var}v = group(op{n}, layer, {var})",
            ]
            entries += [f"{f.name!r}: {var}v[{i}][1]" for i, f in enumerate(fields)]
        else:
            break
    else:
        n = len(plan)
    if not names:
        return None
    env["unpack_from"] = struct.Struct((order or "!") + fmt).unpack_from
    fixed = [*convert, f"    layer.fields = {{{', '.join(entries)}}}", "    layer.payload = None"]
    ops = plan[n:]
    env["ops"] = ops
    if not ops:
        tail = f"    layer.raw_packet_cache = data[start : start + {size}]\n    return layer"
    elif len(ops) == 1 and ops[0][0] == _OTHER and ops[0][2] is not None:
        # One field sized by the others (IP or TCP options), most often empty.
        env["sized"] = ops[0][2]
        tail = (
            "    if sized.empty_is_list and sized.length_from(layer) == 0:\n"
            f"        layer.fields[{ops[0][1].name!r}] = []\n"
            f"        layer.raw_packet_cache = data[start : start + {size}]\n"
            "        return layer\n"
            f"    return rest(layer, data, start, start + {size}, end, ops)"
        )
    else:
        tail = f"    return rest(layer, data, start, start + {size}, end, ops)"
    source = _source(names, fixed, size, tail)
    exec(compile(source, f"<fast reader {cls.__name__}>", "exec"), env)  # noqa: S102
    return env["read"]  # type: ignore[no-any-return]


def rest(
    layer: Light, data: bytes, start: int, pos: int, end: int, plan: list[tuple[Any, ...]]
) -> Light | None:
    """The fields of `plan` read from data[pos:end] into `layer`, which starts at `start`."""
    values = layer.fields
    s: Any = data[pos:end]
    for op in plan:
        kind = op[0]
        if kind == _RUN:
            st = op[1]
            if type(s) is not bytes or len(s) < st.size:
                return None  # a short or misaligned header: scapy reads it
            for (name, conv), raw in zip(op[2], st.unpack_from(s), strict=True):
                values[name] = raw if conv is None else conv(layer, raw)
            s = s[st.size :]
            continue
        if kind == _GROUP:
            if type(s) is not bytes or len(s) < op[2]:
                return None
            for name, value in _group(op, layer, s):
                values[name] = value
            s = s[op[2] :]
            continue
        f = op[1]
        if kind == _BITS_OP:
            s, val = _bits(f, layer, s)
        elif op[2] is not None and type(s) is bytes and op[2].length_from(layer) == 0:
            sized = op[2]
            if sized.empty_is_list:
                val = []  # no options
            else:
                rest, val = f.getfield(layer, s)
                sized.empty_is_list = rest is s and val == []
                s = rest
        else:
            s, val = f.getfield(layer, s)
        if f.isconditional and val is None:
            return None  # conditional layouts are left to scapy
        values[f.name] = val
    if isinstance(s, tuple):
        return None
    layer.raw_packet_cache = data[start : end - len(s)] if s else data[start:end]
    return layer


def _group(op: tuple[Any, ...], layer: Light, s: bytes) -> tuple[tuple[str, Any], ...]:
    """The values of a group of bit fields that fills `op[2]` whole bytes."""
    fields, size, memo = op[1], op[2], op[3]
    window = s[:size]
    hit = memo.get(window)
    if hit is None:
        rest: Any = window
        out = []
        for f in fields:
            rest, value = f.getfield(layer, rest)
            out.append((f.name, value))
        if rest:
            raise ValueError("short bit fields")  # parse() then leaves it to scapy
        hit = tuple(out)
        if len(memo) < _GROUP_MEMO_MAX:
            memo[window] = hit
    return hit


#: (bit field, the bytes it spans, bit position) -> (bytes used, new bit position, value).
#: A header's bit fields (version and length, flags, fragment offset) take
#: a handful of values across a capture; reading bits is scapy's slowest getfield.
_BITS: dict[tuple[Any, bytes, int], tuple[int, int, Any]] = {}


def _bits(f: Any, layer: Light, s: Any) -> tuple[Any, Any]:
    data, bn = s if isinstance(s, tuple) else (s, 0)
    window = data[: (f.size + bn - 1) // 8 + 1]
    key = (f, window, bn)
    hit = _BITS.get(key)
    if hit is None:
        rest, value = f.getfield(layer, (window, bn) if bn else window)
        left, bits = rest if isinstance(rest, tuple) else (rest, 0)
        hit = (len(window) - len(left), bits, value)
        if len(_BITS) < 65536:
            _BITS[key] = hit
    used, bits, value = hit
    return ((data[used:], bits) if bits else data[used:]), value
