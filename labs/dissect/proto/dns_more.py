"""DNS record types and bits beyond the classic ones: multicast DNS's
reuse of the class's top bit (RFC 6762), service records (SRV, RFC 2782)
read as Wireshark reads their names, and NSEC's type bitmap (RFC 4034).
`labs.dissect.proto.dns_records` calls these while it walks a record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from labs.model.trace import Field

#: Multicast DNS (RFC 6762 sections 5.4 and 10.2) reuses the class's top bit:
#: in a question, "answer me directly (unicast)"; in an answer, "flush what
#: you cached for this name".
MDNS_BITS = {
    "unicastresponse": (
        "QU question",
        "dns.qry.qu",
        "1: the asker wants the answer sent to it directly.",
    ),
    "cacheflush": (
        "Cache flush",
        "dns.resp.cache_flush",
        "1: forget older records of this name and type.",
    ),
}


def srv_owner(f: Field, suffix: str) -> list[Field]:
    """An SRV record's name read as Wireshark reads it: service, protocol, name
    ("shop._http._tcp.local" is the shop service of _http over _tcp.local)."""
    parts = f.value.split(".", 2)
    if len(parts) < 3:
        return [f]
    labels = (
        ("Service", "dns.srv.service"),
        ("Protocol", "dns.srv.proto"),
        ("Name", "dns.srv.name"),
    )
    return [
        replace(f, name=label + suffix, filter=filt, value=part, show=part)
        for (label, filt), part in zip(labels, parts, strict=True)
    ]


def bitmap_types(packet: bytes, at: int, end: int, type_name: Callable[[int], str]) -> list[Field]:
    """The record types an NSEC record's type bitmap lists (RFC 4034 section 4.1.2)."""
    out = []
    while at + 2 <= end:
        window, size = packet[at], packet[at + 1]
        for i, byte in enumerate(packet[at + 2 : at + 2 + size]):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    t = window * 256 + i * 8 + bit
                    out.append(
                        Field(
                            "RR type in bit map",
                            "dns.resp.type",
                            str(t),
                            type_name(t),
                            at + 2 + i,
                            1,
                        )
                    )
        at += 2 + size
    return out
