"""PostgreSQL's messages as declared: the scapy packets (`fields_desc`) of
their headers and bodies, and `Body`, which reads them one after another and
makes the Wireshark-named Fields with their offsets in the packet."""

from __future__ import annotations

from typing import Any

from scapy.fields import (
    ByteField,
    IntField,
    ShortField,
    SignedIntField,
    SignedShortField,
    StrFixedLenField,
    StrLenField,
    StrNullField,
)
from scapy.packet import Packet

from labs.model.trace import Field


class PgHeader(Packet):
    name = "PGSQL header"
    fields_desc = [StrFixedLenField("type", b"", 1), IntField("length", 0)]


class PgUntyped(Packet):
    name = "PGSQL untyped"
    fields_desc = [IntField("length", 0), ShortField("major", 0), ShortField("minor", 0)]


class PgParam(Packet):
    name = "PGSQL parameter"
    fields_desc = [StrNullField("param", b""), StrNullField("setting", b"")]


class PgColumn(Packet):
    name = "PGSQL column"
    fields_desc = [
        StrNullField("col", b""),
        IntField("table", 0),
        SignedShortField("index", 0),
        IntField("type", 0),
        SignedShortField("size", 0),
        SignedIntField("typemod", 0),
        SignedShortField("format", 0),
    ]


class PgValue(Packet):
    name = "PGSQL value"
    fields_desc = [
        SignedIntField("length", 0),
        StrLenField("data", b"", length_from=lambda p: max(p.length, 0)),
    ]


class PgSaslInitial(Packet):
    name = "PGSQL SASL initial response"
    fields_desc = [
        StrNullField("mech", b""),
        SignedIntField("length", 0),
        StrLenField("data", b"", length_from=lambda p: max(p.length, 0)),
    ]


class PgErrorField(Packet):
    name = "PGSQL error field"
    fields_desc = [StrFixedLenField("code", b"", 1), StrNullField("value", b"")]


def one(name: str, field: Any) -> type[Packet]:
    """A scapy packet of one field (a count, a key, a string)."""
    return type(f"Pg_{name}", (Packet,), {"name": f"PGSQL {name}", "fields_desc": [field]})


PgInt = one("int", IntField("value", 0))
PgShort = one("short", ShortField("value", 0))
PgByte = one("byte", ByteField("value", 0))
PgString = one("string", StrNullField("value", b""))
PgWhich = one("which", StrFixedLenField("value", b"", 1))


def read(
    cls: type[Packet], data: bytes, pos: int
) -> tuple[Packet, dict[str, tuple[int, int]], int]:
    """Parse `cls` at data[pos:]; returns it, each field's (offset, length)
    in `data`, and where it ends. A field's length is that of its value
    serialised again, which is exactly the bytes it consumed."""
    pkt = cls(data[pos:])
    spans: dict[str, tuple[int, int]] = {}
    for f in pkt.fields_desc:
        n = len(f.addfield(pkt, b"", pkt.getfieldval(f.name)))
        spans[f.name] = (pos, n)
        pos += n
    if pos > len(data):
        raise ValueError("a field runs past the end of the message")
    return pkt, spans, pos


def text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


class Body:
    """The Fields of one message, with offsets counted in the packet."""

    def __init__(self, data: bytes, base: int) -> None:
        self.data, self.base, self.pos = data, base, 0
        self.fields: list[Field] = []

    def read(self, cls: type[Packet]) -> tuple[Packet, dict[str, tuple[int, int]]]:
        pkt, spans, self.pos = read(cls, self.data, self.pos)
        return pkt, {k: (self.base + o, n) for k, (o, n) in spans.items()}

    def add(
        self,
        label: str,
        filt: str | None,
        value: str,
        span: tuple[int, int],
        explain: str = "",
        show: str | None = None,
        secret: bool = False,
    ) -> None:
        self.fields.append(
            Field(label, filt, value, value if show is None else show, *span, explain, secret)
        )

    def string(self, label: str, filt: str, explain: str = "", secret: bool = False) -> str:
        pkt, spans = self.read(PgString)
        value = text(pkt.value)
        self.add(label, filt, value, spans["value"], explain, secret=secret)
        return value

    def number(self, cls: type[Packet], label: str, filt: str, explain: str = "") -> int:
        pkt, spans = self.read(cls)
        self.add(label, filt, str(pkt.value), spans["value"], explain)
        return int(pkt.value)

    @property
    def left(self) -> int:
        return len(self.data) - self.pos
