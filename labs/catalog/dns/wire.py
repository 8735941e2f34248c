"""Reading DNS messages out of a lab's dissected packets: which packet is
which question and which answer, the records in them (read through
`Packet.field`, as the dissector found them), and a byte map of a message
(every label, length byte and compression pointer, with its offset) for the
byte-by-byte tables.

The byte map walks the message bytes itself: it is the lesson (where each
byte sits and why), which a field list with names already resolved no
longer shows.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from labs.model.trace import Field, Layer, Packet


def type_name(number: int) -> str:
    # lazy: scapy's table of type names, only once a message is read
    from scapy.layers.dns import dnstypes

    return str(dnstypes.get(number, f"TYPE{number}"))


@dataclass(frozen=True)
class Record:
    """One resource record as the learner reads it."""

    section: str  # "answer" | "authority" | "additional"
    name: str
    rtype: str
    ttl: int
    data: str


@dataclass(frozen=True)
class Message:
    """One DNS message in one packet, with where it sits in that packet."""

    index: int
    #: The packet's ends, as "IP:PORT".
    src: str
    dst: str
    dport: int
    #: The transport as the IP header names it ("UDP").
    proto: str
    #: Byte offset of the DNS message from the IP header (IP + UDP headers before it).
    offset: int
    ip_header: int
    raw: bytes
    id: int
    flags: int
    qname: str
    qtype: str
    records: tuple[Record, ...] = ()
    #: The reply code's name as the dissector gives it (None: a number it has no name for).
    rcode_word: str | None = None

    @property
    def is_response(self) -> bool:
        return bool(self.flags >> 15)

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def rcode_name(self) -> str:
        return self.rcode_word or f"RCODE {self.rcode}"

    def bit(self, position: int) -> int:
        return (self.flags >> position) & 1

    def section(self, name: str) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.section == name)


@dataclass(frozen=True)
class Lookup:
    """A question and the answer that carries the same ID (None if none came)."""

    query: Message
    response: Message | None

    @property
    def packets(self) -> tuple[int, ...]:
        extra = (self.response.index,) if self.response is not None else ()
        return (self.query.index, *extra)


def _fqdn(name: str) -> str:
    """A name as DNS writes it, with its final dot (the dissector prints it
    without, and the root as <Root>)."""
    return "." if name == "<Root>" else name + "."


def _value(fields: Sequence[Field], name: str) -> str:
    return next((f.value for f in fields if f.filter == name), "")


#: The fields that make a record's data, by type, joined by spaces (TXT: its strings).
_DATA = {
    "A": ("dns.a",), "AAAA": ("dns.aaaa",), "CNAME": ("dns.cname",), "NS": ("dns.ns",),
    "PTR": ("dns.ptr.domain_name",), "MX": ("dns.mx.preference", "dns.mx.mail_exchange"),
    "SOA": ("dns.soa.mname", "dns.soa.rname", "dns.soa.serial_number", "dns.soa.refresh_interval",
            "dns.soa.retry_interval", "dns.soa.expire_limit", "dns.soa.minimum_ttl"),
}  # fmt: skip
_NAMES = {"dns.cname", "dns.ns", "dns.ptr.domain_name", "dns.mx.mail_exchange", "dns.soa.mname",
          "dns.soa.rname"}  # fmt: skip


def _rdata(kind: str, fields: Sequence[Field]) -> str:
    """A record's data as one line of text, from its data fields."""
    if kind == "TXT":
        return " ".join(f'"{f.value}"' for f in fields if f.filter == "dns.txt")
    if kind not in _DATA:  # the dissector's "Data" field: the bytes as they are
        return next((f.value for f in fields if f.name.startswith("Data")), "")
    values = ((name, _value(fields, name)) for name in _DATA[kind])
    return " ".join(_fqdn(v) if name in _NAMES else v for name, v in values)


#: How the dissector marks the name of a record outside the answer section.
_SECTIONS = ((" (authority)", "authority"), (" (additional)", "additional"))


def _records(dns: Layer) -> tuple[Record, ...]:
    """The records of a DNS layer: each starts at its dns.resp.name field."""
    groups: list[list[Field]] = []
    for f in dns.fields:
        if f.filter == "dns.resp.name":
            groups.append([f])
        elif groups:
            groups[-1].append(f)
    records = []
    for head, *rest in groups:
        rtype = int(_value(rest, "dns.resp.type") or 0)
        if rtype == 41:  # the EDNS OPT pseudo-record is not an answer
            continue
        section = next((s for mark, s in _SECTIONS if head.name.endswith(mark)), "answer")
        kind = type_name(rtype)
        ttl = int(_value(rest, "dns.resp.ttl") or 0)
        records.append(Record(section, _fqdn(head.value), kind, ttl, _rdata(kind, rest)))
    return tuple(records)


def parse_message(packet: Packet) -> Message | None:
    """The DNS message of a dissected IP/UDP packet, or None when there is none."""
    dns, udp = packet.layer("DNS"), packet.layer("UDP")
    ip = packet.layer("IPv4") or packet.layer("IPv6")
    if dns is None or udp is None or ip is None or dns.length < 12:
        return None
    question, qtype = dns.field("dns.qry.name"), dns.field("dns.qry.type")
    rcode = dns.field("dns.flags.rcode")
    proto = ip.field("ip.proto") or ip.field("ipv6.nxt")
    return Message(
        index=packet.index,
        src=packet.src,
        dst=packet.dst,
        dport=packet.number("udp.dstport") or 0,
        proto=proto.show if proto is not None else "",
        offset=dns.offset - ip.offset,
        ip_header=ip.length,
        raw=packet.data[dns.offset : dns.offset + dns.length],
        id=packet.number("dns.id") or 0,
        flags=packet.number("dns.flags") or 0,
        qname=_fqdn(question.value) if question is not None else "",
        qtype=type_name(int(qtype.value)) if qtype is not None else "",
        records=_records(dns),
        # The dissector names the codes it knows and shows the others as the bare number.
        rcode_word=rcode.show if rcode is not None and rcode.show != rcode.value else None,
    )


def read_lookups(packets: Sequence[Packet], server_port: int) -> tuple[Lookup, ...]:
    """Pair each query to `server_port` with the response that carries its ID."""
    messages = [m for p in packets if (m := parse_message(p)) is not None]
    lookups = []
    for query in messages:
        if query.is_response or query.dport != server_port:
            continue
        response = next(
            (
                m
                for m in messages
                if m.is_response
                and m.index > query.index
                and m.id == query.id
                and m.dst == query.src
            ),
            None,
        )
        lookups.append(Lookup(query, response))
    return tuple(lookups)


# -- byte map ------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A run of bytes in a DNS message and what it means."""

    offset: int
    length: int
    field: str
    meaning: str


def read_name(msg: bytes, offset: int) -> str:
    """The full name at `offset`, following compression pointers."""
    labels: list[str] = []
    for _ in range(128):  # a pointer loop in a hostile message must not hang us
        size = msg[offset]
        if size == 0:
            break
        if size & 0xC0 == 0xC0:
            offset = ((size & 0x3F) << 8) | msg[offset + 1]
            continue
        labels.append(msg[offset + 1 : offset + 1 + size].decode("ascii", "replace"))
        offset += 1 + size
    return ".".join(labels) + "."


def name_spans(msg: bytes, offset: int, field: str) -> tuple[list[Span], int]:
    """The spans of the name written at `offset`, and the offset after it."""
    spans: list[Span] = []
    while True:
        size = msg[offset]
        if size == 0:
            spans.append(Span(offset, 1, f"{field} end", "length 0: the name ends here"))
            return spans, offset + 1
        if size & 0xC0 == 0xC0:
            target = ((size & 0x3F) << 8) | msg[offset + 1]
            spans.append(
                Span(
                    offset,
                    2,
                    f"{field} pointer",
                    f"compression pointer: the two top bits 11 mark a pointer, the rest "
                    f"is offset {target}, where {read_name(msg, target)} was already written",
                )
            )
            return spans, offset + 2
        label = msg[offset + 1 : offset + 1 + size].decode("ascii", "replace")
        spans.append(Span(offset, 1 + size, f"{field} label", f'length {size}, then "{label}"'))
        offset += 1 + size


#: (bit, short name, Wireshark field, meaning when 1, meaning when 0) for the flags word.
FLAG_BITS = (
    (15, "QR", "dns.flags.response", "this is a response", "this is a query"),
    (10, "AA", "dns.flags.authoritative", "authoritative: the server owns this zone",
     "not authoritative: relayed or cached"),
    (9, "TC", "dns.flags.truncated", "truncated: the answer did not fit; ask again over TCP",
     "not truncated"),
    (8, "RD", "dns.flags.recdesired", "recursion desired: please look it up for me",
     "no recursion asked for"),
    (7, "RA", "dns.flags.recavail",
     "recursion available: this server will look up any name for you",
     "no recursion: this server only answers for what it knows itself"),
)  # fmt: skip


def flags_summary(flags: int, rcode_word: str | None = None) -> str:
    opcode = (flags >> 11) & 0xF
    parts = [
        "response" if flags >> 15 else "query",
        "standard query" if opcode == 0 else f"opcode {opcode}",
    ]
    parts += [name for bit, name, *_ in FLAG_BITS[1:] if flags >> bit & 1]
    if flags >> 15:
        parts.append(rcode_word or f"rcode {flags & 0xF}")
    return f"0x{flags:04x}: " + ", ".join(parts)


def byte_map(msg: bytes, rcode_word: str | None = None) -> list[Span]:
    """Every field of a DNS message with its offset (from the message's first
    byte); `rcode_word` names its reply code (`Message.rcode_word`)."""
    ident, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    spans = [
        Span(
            0, 2, "ID (dns.id)", f"{ident}: picked by the asker; the answer carries the same number"
        ),
        Span(2, 2, "Flags (dns.flags)", flags_summary(flags, rcode_word)),
        Span(4, 2, "Questions (dns.count.queries)", str(qd)),
        Span(6, 2, "Answers (dns.count.answers)", str(an)),
        Span(8, 2, "Authority records (dns.count.auth_rr)", str(ns)),
        Span(10, 2, "Additional records (dns.count.add_rr)", str(ar)),
    ]
    offset = 12
    for _ in range(qd):
        name, offset = name_spans(msg, offset, "Question name (dns.qry.name)")
        qtype, qclass = struct.unpack("!HH", msg[offset : offset + 4])
        spans += name
        spans.append(Span(offset, 2, "Type (dns.qry.type)", f"{qtype}: {type_name(qtype)}"))
        spans.append(Span(offset + 2, 2, "Class (dns.qry.class)", _class(qclass)))
        offset += 4
    for section, count in (("Answer", an), ("Authority", ns), ("Additional", ar)):
        for _ in range(count):
            name, offset = name_spans(msg, offset, f"{section} name (dns.resp.name)")
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[offset : offset + 10])
            spans += name
            if rtype == 41:  # EDNS OPT: class and TTL are reused for other things
                spans.append(Span(offset, 10 + rdlen, "EDNS options (OPT)", f"UDP size {rclass}"))
                offset += 10 + rdlen
                continue
            spans += [
                Span(offset, 2, "Type (dns.resp.type)", f"{rtype}: {type_name(rtype)}"),
                Span(offset + 2, 2, "Class (dns.resp.class)", _class(rclass)),
                Span(
                    offset + 4,
                    4,
                    "TTL (dns.resp.ttl)",
                    f"{ttl} seconds this record may be kept in a cache",
                ),
                Span(
                    offset + 8,
                    2,
                    "Data length (dns.resp.len)",
                    f"{rdlen} bytes of record data follow",
                ),
            ]
            offset += 10
            spans += rdata_spans(msg, offset, rtype, rdlen)
            offset += rdlen
    return spans


def _class(number: int) -> str:
    return f"{number}: IN, the Internet" if number == 1 else str(number)


def rdata_spans(msg: bytes, offset: int, rtype: int, length: int) -> list[Span]:
    import ipaddress

    kind = type_name(rtype)
    chunk = msg[offset : offset + length]
    if kind == "A" and length == 4:
        return [Span(offset, 4, "Address (dns.a)", str(ipaddress.IPv4Address(chunk)))]
    if kind == "AAAA" and length == 16:
        return [Span(offset, 16, "Address (dns.aaaa)", str(ipaddress.IPv6Address(chunk)))]
    names = {
        "CNAME": "Canonical name (dns.cname)",
        "NS": "Name server (dns.ns)",
        "PTR": "Domain name (dns.ptr.domain_name)",
    }
    if kind in names:
        return name_spans(msg, offset, names[kind])[0]
    if kind == "MX":
        pref = struct.unpack("!H", chunk[:2])[0]
        spans = [Span(offset, 2, "Preference (dns.mx.preference)", f"{pref}: lower is tried first")]
        return spans + name_spans(msg, offset + 2, "Mail server (dns.mx.mail_exchange)")[0]
    if kind == "TXT":
        spans, pos = [], offset
        while pos < offset + length:
            size = msg[pos]
            text = msg[pos + 1 : pos + 1 + size].decode("utf-8", "replace")
            spans.append(Span(pos, 1, "TXT length (dns.txt.length)", str(size)))
            spans.append(Span(pos + 1, size, "Text (dns.txt)", f'"{text}"'))
            pos += 1 + size
        return spans
    if kind == "SOA":
        mname, pos = name_spans(msg, offset, "Primary server (dns.soa.mname)")
        rname, pos = name_spans(msg, pos, "Mailbox (dns.soa.rname)")
        values = struct.unpack("!5I", msg[pos : pos + 20])
        labels = (
            ("Serial (dns.soa.serial_number)", "version of the zone"),
            ("Refresh (dns.soa.refresh_interval)", "seconds"),
            ("Retry (dns.soa.retry_interval)", "seconds"),
            ("Expire (dns.soa.expire_limit)", "seconds"),
            ("Minimum TTL (dns.soa.minimum_ttl)", "seconds a 'no such name' may be cached"),
        )
        tail = [
            Span(pos + 4 * i, 4, field, f"{value} {what}")
            for i, ((field, what), value) in enumerate(zip(labels, values, strict=True))
        ]
        return mname + rname + tail
    return [Span(offset, length, "Record data", f"{length} bytes")]
