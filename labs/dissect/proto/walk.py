"""Where each scapy field sits in the packet: the byte offsets behind the
layer/field tree and the hex highlighting.

scapy dissects a layer by calling each field's `getfield` in `fields_desc`
order on what is left of the bytes (`Packet.do_dissect`). Replaying the same
calls on the layer's own header bytes (`raw_packet_cache`) tells where every
field starts and ends; bit fields report the byte(s) that contain them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# Layouts depend only on (class, header length, which conditional fields are
# present) for most headers (see `_fixed`); replaying getfield for each of
# 20,000 packets is the single largest cost of explaining a capture, so
# remember the layout.
_LAYOUTS: dict[tuple[Any, ...], tuple[tuple[str, int, int], ...]] = {}


class Spot(NamedTuple):
    """One scapy field of one layer: its value and its bytes in the packet.
    (A named tuple: tens of thousands are made per capture.)"""

    name: str
    value: Any
    offset: int
    length: int


def _walk(layer: Any, data: bytes) -> tuple[tuple[str, int, int], ...]:
    """(field name, offset, length) relative to the layer's first byte."""
    total = len(data)
    s: Any = data
    out: list[tuple[str, int, int]] = []
    for f in layer.fields_desc:
        if isinstance(s, tuple):
            start_bits = (total - len(s[0])) * 8 + s[1]
        else:
            start_bits = (total - len(s)) * 8
        try:
            s, val = f.getfield(layer, s)
        except Exception:
            break
        if f.isconditional and val is None:
            continue
        if isinstance(s, tuple):
            end_bits = (total - len(s[0])) * 8 + s[1]
        else:
            end_bits = (total - len(s)) * 8
        first = start_bits // 8
        last = (end_bits + 7) // 8
        out.append((f.name, first, last - first))
        if not (s[0] if isinstance(s, tuple) else s):
            break
    return tuple(out)


_CONDITIONAL: dict[type, tuple[str, ...]] = {}

#: class -> whether its layout is fixed by (header length, conditional
#: fields present): true when at most one field's size depends on the bytes
#: (IP and TCP options). Text lines (a command, then its argument) have two,
#: so lines of equal length split differently never share a layout.
_FIXED: dict[type, bool] = {}

#: Layouts of other classes, interned so equal layouts are one object.
_INTERNED: dict[tuple[tuple[str, int, int], ...], tuple[tuple[str, int, int], ...]] = {}
_INTERNED_MAX = 4096


Layout = tuple[tuple[str, int, int], ...]


def _size_is_fixed(f: Any) -> bool:
    """Whether a scapy field always takes the same number of bits."""
    from scapy.fields import ConditionalField, Emph, Field, MayEnd, _BitField

    while isinstance(f, ConditionalField | Emph | MayEnd):
        f = f.fld  # presence is part of the cache key; the size is the inner field's
    if isinstance(f, _BitField):
        return True
    # A struct-based field: scapy's own getfield reads exactly `sz` bytes.
    return isinstance(f, Field) and type(f).getfield is Field.getfield


def _fixed(cls: type, layer: Any) -> bool:
    fixed = _FIXED.get(cls)
    if fixed is None:
        fixed = _FIXED[cls] = sum(not _size_is_fixed(f) for f in layer.fields_desc) <= 1
    return fixed


def layout(layer: Any, start: int, packet: bytes) -> tuple[Layout, int]:
    """(field name, offset from the layer's start, length) for each field of
    one dissected scapy layer, and the header length (bytes the layer itself
    consumed). `packet` is the whole packet; the layer starts at `start`.
    Equal layouts are the same tuple object, so callers may key on its id."""
    data = layer.raw_packet_cache
    cls = type(layer)
    if data is None:
        # scapy drops its cache for some layers (ICMP with extensions): walk
        # the packet's bytes from the layer's start instead.
        found = _intern(_walk(layer, packet[start:]))
        return found, max((off + n for _name, off, n in found), default=0)
    if not _fixed(cls, layer):
        return _intern(_walk(layer, data)), len(data)
    conditional = _CONDITIONAL.get(cls)
    if conditional is None:
        conditional = tuple(f.name for f in layer.fields_desc if f.isconditional)
        _CONDITIONAL[cls] = conditional
    present = tuple(name for name in conditional if name in layer.fields) if conditional else ()
    key = (cls, len(data), present)
    cached = _LAYOUTS.get(key)
    if cached is None:
        cached = _walk(layer, data)
        if _covers(cached, len(data)):
            _LAYOUTS[key] = cached
        else:
            # A damaged length (an IP header length below 20) made scapy
            # slice differently the first time; give the last field the
            # bytes it took then, and do not let this layout stand for others.
            name, off, _n = cached[-1]
            cached = _intern((*cached[:-1], (name, off, max(len(data) - off, 0))))
    return cached, len(data)


def _intern(found: Layout) -> Layout:
    hit = _INTERNED.get(found)
    if hit is None:
        if len(_INTERNED) >= _INTERNED_MAX:
            return found
        hit = _INTERNED[found] = found
    return hit


def _covers(found: Layout, length: int) -> bool:
    return max((off + n for _name, off, n in found), default=0) == length


def spots(layer: Any, start: int, packet: bytes) -> tuple[list[Spot], int]:
    """The fields of one dissected scapy layer with absolute offsets and
    their values, and the header length."""
    found, length = layout(layer, start, packet)
    fields = layer.fields
    return [Spot(name, fields.get(name), start + off, n) for (name, off, n) in found], length


def deep_spots(pkt: Any, start: int, packet: bytes) -> list[tuple[Any, Spot]]:
    """`spots` for a layer and, recursively, the packets inside its list
    fields (TLS extensions, DNS records), as (owning scapy packet, Spot)."""
    out: list[tuple[Any, Spot]] = []
    found, _length = spots(pkt, start, packet)
    for spot in found:
        value = spot.value
        subs = value if isinstance(value, list) else [value]
        if value and all(hasattr(sub, "fields_desc") for sub in subs):
            pos = spot.offset
            for sub in subs:
                inner = deep_spots(sub, pos, packet)
                out.extend(inner)
                pos += _consumed(sub)
        else:
            out.append((pkt, spot))
    return out


def _consumed(pkt: Any) -> int:
    """Bytes a dissected packet (and its payloads) took from the wire."""
    total = 0
    layer = pkt
    while layer is not None and hasattr(layer, "fields_desc"):
        cache = layer.raw_packet_cache
        if cache is None:
            return total + len(bytes(layer))
        total += len(cache)
        layer = layer.payload if layer.payload else None
    return total
