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
    #: (field, read through the bit-field memo?) in order
    plan: list[tuple[Any, bool]] = []
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
                "plan": [(f, _plain_bits(f)) for f in desc],
                "_by_name": {f.name: f for f in desc},
            },
        )
        _CLASSES[scapy_cls.__name__] = cls
    return cls


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
    for f, is_bits in cls.plan:
        s, val = _bits(f, layer, s) if is_bits else f.getfield(layer, s)
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
        from scapy.layers.l2 import CookedLinux, Ether

        for c in (IP, TCP, UDP, IPv6, CookedLinux, Ether):
            _TYPES[c.__name__] = _light(c)
    return _TYPES


_NEXT_ETHER = {0x0800: "IP", 0x86DD: "IPv6"}
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
    if link in ("ethernet", "linux-sll"):
        outer = _read(types["Ether" if link == "ethernet" else "CookedLinux"], data, 0)
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
