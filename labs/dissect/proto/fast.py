"""The common headers (Ethernet, Linux cooked, IPv4, IPv6, TCP, UDP) read
with scapy's own field declarations, without building scapy packets.

`Packet.do_dissect` is a loop over `fields_desc` calling each field's
`getfield`; building a scapy `Packet` around that loop costs about three
times the loop itself, and a 20,000-packet capture pays it twice per
packet. `parse` runs the same loop on light stand-ins (`Light`) that the
header mappers read exactly like scapy layers. Anything it does not expect
(fragments, IP options it cannot size, other protocols) returns None, and
the caller falls back to a full scapy dissection.
"""

from __future__ import annotations

from typing import Any

_CLASSES: dict[str, type[Light]] = {}


class Light:
    """A dissected header: its field values (`fields`), the bytes it took
    (`raw_packet_cache`) and what follows (`payload`), like a scapy layer."""

    __slots__ = ("fields", "raw_packet_cache", "payload")
    fields_desc: list[Any] = []
    #: how `_read` reads the fields, in order (see `_compile`)
    plan: list[tuple[Any, ...]] = []
    _by_name: dict[str, Any] = {}

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.raw_packet_cache: bytes = b""
        self.payload: Any = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def get_field(self, name: str) -> Any:
        return self._by_name[name]

    def getfieldval(self, name: str) -> Any:
        return self.fields[name]


class Payload:
    """The bytes after the last header (`Raw`) or after the packet (`Padding`)."""

    __slots__ = ("load",)

    def __init__(self, load: bytes):
        self.load = load


class Raw(Payload):
    __slots__ = ()


class Padding(Payload):
    __slots__ = ()


_INT_FLAGS: list[type] = []


def _int_flags_class() -> type:
    if not _INT_FLAGS:
        from scapy.fields import FlagsField

        class IntFlagsField(FlagsField):  # type: ignore[misc]
            """Reads flags as a plain int: scapy wraps each value in a
            FlagValue, which cost more than reading the rest of the header.
            The rules format flags from the int themselves."""

            __slots__ = ()

            def m2i(self, pkt: Any, x: Any) -> Any:
                return x

        _INT_FLAGS.append(IntFlagsField)
    return _INT_FLAGS[0]


def _plain_flags(field: Any) -> Any:
    import copy

    plain = copy.copy(field)
    plain.__class__ = _int_flags_class()
    return plain


def _plain_bits(f: Any) -> bool:
    """A big-endian bit field of fixed size, whose value depends only on its bytes."""
    from scapy.fields import BitField

    return type(f) in (BitField, _int_flags_class()) and not f.rev and f.size > 0


def _light(scapy_cls: Any) -> type[Light]:
    """A Light subclass named like the scapy class, with its fields_desc."""
    from scapy.fields import FlagsField

    cls = _CLASSES.get(scapy_cls.__name__)
    if cls is None:
        desc = [_plain_flags(f) if isinstance(f, FlagsField) else f for f in scapy_cls.fields_desc]
        cls = type(
            scapy_cls.__name__,
            (Light,),
            {
                "__slots__": (),
                "fields_desc": desc,
                "plan": _compile(desc),
                "_by_name": {f.name: f for f in desc},
            },
        )
        _CLASSES[scapy_cls.__name__] = cls
    return cls


#: What _read does for the next field(s): read a run of byte-aligned fields
#: with one struct call, a group of bit fields filling whole bytes through
#: one memo lookup, one bit field through the memo, or any other field
#: through its own getfield.
_RUN, _GROUP, _BITS_OP, _OTHER = 0, 1, 2, 3
#: Values remembered per bit group (version and header length, flags and
#: fragment offset take a handful of values across a capture).
_GROUP_MEMO_MAX = 4096


def _struct_field(f: Any) -> bool:
    """A field whose getfield is scapy's plain struct read (`Field.getfield`)."""
    from scapy.fields import Field

    return isinstance(f, Field) and type(f).getfield is Field.getfield and not f.isconditional


def _compile(desc: list[Any]) -> list[tuple[Any, ...]]:
    """Packet.do_dissect's loop for one header, planned once: consecutive
    struct fields of the same byte order become one `Struct.unpack_from`
    (each value then goes through the field's own m2i, as getfield does)."""
    import struct

    from scapy.fields import Field

    plan: list[tuple[Any, ...]] = []
    run: list[Any] = []
    bits: list[Any] = []

    def close() -> None:
        if run:
            fmt = run[0].fmt[0] + "".join(f.fmt[1:] for f in run)
            reads = [(f.name, None if type(f).m2i is Field.m2i else _Converter(f)) for f in run]
            plan.append((_RUN, struct.Struct(fmt), reads))
            run.clear()
        # Bit fields that do not end on a byte boundary are read one by one.
        plan.extend((_BITS_OP, f) for f in bits)
        bits.clear()

    for f in desc:
        inner = getattr(f, "fld", f)  # Emph(SourceIPField(...)) reads as its field
        if _plain_bits(f):
            if run:
                close()
            bits.append(f)
            size = sum(b.size for b in bits)
            if size % 8 == 0:
                plan.append((_GROUP, tuple(bits), size // 8, {}))
                bits.clear()
            continue
        if (
            not bits
            and _struct_field(inner)
            and inner.fmt[0] in "!><="
            and (not run or run[0].fmt[0] == inner.fmt[0])
        ):
            run.append(inner)
            continue
        close()
        plan.append((_OTHER, f, _empty_when(f)))
    close()
    return plan


class _Sized:
    """A list field sized by other fields (IP and TCP options): when its
    `length_from` says 0 bytes, the value is [] without a getfield call, once
    the field itself has shown that it reads 0 bytes as []."""

    __slots__ = ("length_from", "empty_is_list")

    def __init__(self, length_from: Any):
        self.length_from = length_from
        self.empty_is_list: bool | None = None


#: Fields sized by other fields without a `length_from` (scapy reads TCP
#: options up to the header length itself).
_LENGTHS = {"TCPOptionsField": lambda layer: (layer.fields["dataofs"] - 5) * 4}


def _empty_when(f: Any) -> _Sized | None:
    length_from = getattr(f, "length_from", None) or _LENGTHS.get(type(f).__name__)
    return _Sized(length_from) if callable(length_from) else None


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


class _Converter:
    """A field's m2i with its results remembered when they come from bytes
    (addresses: a capture repeats the same few)."""

    __slots__ = ("field", "seen")

    def __init__(self, field: Any):
        self.field = field
        self.seen: dict[bytes, Any] = {}

    def __call__(self, layer: Light, raw: Any) -> Any:
        if type(raw) is not bytes:
            return self.field.m2i(layer, raw)
        hit = self.seen.get(raw)
        if hit is None:
            hit = self.field.m2i(layer, raw)
            if len(self.seen) < 65536:
                self.seen[raw] = hit
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


def _read(cls: type[Light], data: bytes, start: int) -> Light | None:
    """Packet.do_dissect's loop over the header at data[start:]."""
    layer = cls()
    values = layer.fields
    s: Any = data[start:]
    for op in cls.plan:
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
    layer.raw_packet_cache = data[start : len(data) - len(s)] if s else data[start:]
    return layer


_TYPES: dict[str, type[Light]] = {}


def _types() -> dict[str, type[Light]]:
    if not _TYPES:
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Ether

        for c in (IP, TCP, UDP, IPv6, CookedLinux, CookedLinuxV2, Ether):
            _TYPES[c.__name__] = _light(c)
    return _TYPES


_NEXT_ETHER = {0x0800: "IP", 0x86DD: "IPv6"}
#: The link header each link starts with.
_OUTER = {"ethernet": "Ether", "linux-sll": "CookedLinux", "linux-sll2": "CookedLinuxV2"}
_NEXT_IP = {6: "TCP", 17: "UDP"}


def parse(data: bytes, link: str) -> list[Any] | None:
    """The headers of `data` then its payload (and padding), or None when
    scapy must dissect it."""
    try:
        return _parse(data, link)
    except Exception:
        return None


def _parse(data: bytes, link: str) -> list[Any] | None:
    types = _types()
    out: list[Any] = []
    pos = 0
    end = len(data)
    if link in _OUTER:
        outer = _read(types[_OUTER[link]], data, 0)
        if outer is None:
            return None
        out.append(outer)
        pos = len(outer.raw_packet_cache)
        name = _NEXT_ETHER.get(outer.fields["type" if link == "ethernet" else "proto"])
    else:
        version = data[0] >> 4 if data else 0
        name = "IP" if version == 4 else "IPv6" if version == 6 else None
    if name is None:
        return None
    ip = _read(types[name], data, pos)
    if ip is None:
        return None
    f = ip.fields
    hlen = len(ip.raw_packet_cache)
    if name == "IP":
        if f["frag"] or int(f["flags"]) & 1 or f["len"] < hlen:
            return None  # fragments: scapy shows them as raw data
        end = min(end, pos + f["len"])
        nxt = _NEXT_IP.get(f["proto"])
    else:
        end = min(end, pos + hlen + f["plen"])
        nxt = _NEXT_IP.get(f["nh"])
    if nxt is None:
        return None
    out.append(ip)
    pos += hlen
    transport = _read(types[nxt], data[:end], pos)
    if transport is None:
        return None
    pos += len(transport.raw_packet_cache)
    if nxt == "UDP":
        length = transport.fields["len"]
        if length < 8:
            return None
        end = min(end, pos - 8 + length)
    out.append(transport)
    chain: list[Any] = out[:]
    if pos < end:
        chain.append(Raw(data[pos:end]))
    if end < len(data):
        chain.append(Padding(data[end:]))
    for a, b in zip(chain, chain[1:], strict=False):
        if isinstance(a, Light):
            a.payload = b
    return chain
