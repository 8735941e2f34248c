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

from collections.abc import Callable
from functools import partial
from typing import Any

from labs.dissect.proto.fastread import _BITS_OP, _GROUP, _OTHER, _RUN, reader, rest

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


def _read(cls: type[Light], data: bytes, start: int, end: int) -> Light | None:
    """Packet.do_dissect's loop over the header at data[start:end] (used
    when `labs.dissect.proto.fastread` has no generated reader for `cls`)."""
    return rest(cls(), data, start, start, end, cls.plan)


#: header class name -> its reader: (data, start, end) -> Light or None.
_READERS: dict[str, Callable[[bytes, int, int], Light | None]] = {}


def _readers() -> dict[str, Callable[[bytes, int, int], Light | None]]:
    if not _READERS:
        from scapy.layers.inet import IP, TCP, UDP
        from scapy.layers.inet6 import IPv6
        from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Ether

        for c in (IP, TCP, UDP, IPv6, CookedLinux, CookedLinuxV2, Ether):
            cls = _light(c)
            _READERS[c.__name__] = reader(cls) or partial(_read, cls)
    return _READERS


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
    readers = _READERS or _readers()
    pos = 0
    end = size = len(data)
    outer = None
    if link in _OUTER:
        outer = readers[_OUTER[link]](data, 0, size)
        if outer is None:
            return None
        pos = len(outer.raw_packet_cache)
        name = _NEXT_ETHER.get(outer.fields["type" if link == "ethernet" else "proto"])
    else:
        version = data[0] >> 4 if data else 0
        name = "IP" if version == 4 else "IPv6" if version == 6 else None
    if name is None:
        return None
    ip = readers[name](data, pos, size)
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
    pos += hlen
    transport = readers[nxt](data, pos, end)
    if transport is None:
        return None
    pos += len(transport.raw_packet_cache)
    if nxt == "UDP":
        length = transport.fields["len"]
        if length < 8:
            return None
        end = min(end, pos - 8 + length)
    chain: list[Any] = [ip, transport] if outer is None else [outer, ip, transport]
    if outer is not None:
        outer.payload = ip
    ip.payload = transport
    if pos < end:
        transport.payload = Raw(data[pos:end])
        chain.append(transport.payload)
    if end < size:
        chain.append(Padding(data[end:]))
        if pos >= end:
            transport.payload = chain[-1]
    return chain
