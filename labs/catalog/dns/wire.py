"""Reading DNS messages out of a lab's raw packets: which packet is which
question and which answer, and a byte map of a message (every label, length
byte and compression pointer, with its offset) for the byte-by-byte tables.

scapy decodes the records (`DNS(payload)`); the byte map walks the message
itself because scapy resolves compression pointers away and keeps no byte
positions, and those positions are exactly what the lab teaches.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from labs.base import RawPacket

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
PROTOCOLS = {6: "TCP", 17: "UDP"}


def type_name(number: int) -> str:
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
    time: float
    src: str
    sport: int
    dst: str
    dport: int
    #: The IP protocol number (17 for UDP).
    proto: int
    #: Byte offset of the DNS message inside the packet (IP + UDP headers before it).
    offset: int
    ip_header: int
    raw: bytes
    id: int
    flags: int
    qname: str
    qtype: str
    records: tuple[Record, ...] = ()

    @property
    def is_response(self) -> bool:
        return bool(self.flags >> 15)

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def rcode_name(self) -> str:
        return RCODES.get(self.rcode, f"RCODE {self.rcode}")

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


def _rdata(rr: object) -> str:
    def text(value: object) -> str:
        return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)

    kind = type_name(rr.type)  # type: ignore[attr-defined]
    if kind == "MX":
        return f"{rr.preference} {text(rr.exchange)}"  # type: ignore[attr-defined]
    if kind == "SOA":
        parts = ("mname", "rname", "serial", "refresh", "retry", "expire", "minimum")
        return " ".join(text(getattr(rr, p)) for p in parts)
    if kind == "TXT":
        return " ".join(f'"{text(s)}"' for s in rr.rdata)  # type: ignore[attr-defined]
    return text(getattr(rr, "rdata", ""))


def parse_message(index: int, raw: RawPacket, t0: float) -> Message | None:
    """The DNS message of a raw IP/UDP packet, or None when there is none."""
    from scapy.layers.dns import DNS
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6

    data = raw.data
    if not data or data[0] >> 4 not in (4, 6):
        return None
    ip = IP(data) if data[0] >> 4 == 4 else IPv6(data)
    if UDP not in ip:
        return None
    header = ip.ihl * 4 if data[0] >> 4 == 4 else 40
    start = header + 8
    end = header + ip[UDP].len
    payload = data[start:end]
    if len(payload) < 12:
        return None
    try:
        dns = DNS(payload)
    except Exception:  # scapy raises assorted errors on garbage; it is just not DNS
        return None
    question = dns.qd[0] if dns.qd else None
    records = tuple(
        Record(section, _name(rr.rrname), type_name(rr.type), int(rr.ttl), _rdata(rr))
        for section, rrs in (("answer", dns.an), ("authority", dns.ns), ("additional", dns.ar))
        for rr in rrs or ()
        if rr.type != 41  # the EDNS OPT pseudo-record is not an answer
    )
    return Message(
        index=index,
        time=raw.time - t0,
        src=ip.src,
        sport=ip[UDP].sport,
        dst=ip.dst,
        dport=ip[UDP].dport,
        proto=ip.proto if data[0] >> 4 == 4 else ip.nh,
        offset=start,
        ip_header=header,
        raw=bytes(payload),
        id=struct.unpack("!H", payload[:2])[0],
        flags=struct.unpack("!H", payload[2:4])[0],
        qname=_name(question.qname) if question else "",
        qtype=type_name(question.qtype) if question else "",
        records=records,
    )


def _name(value: object) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def read_lookups(raws: list[RawPacket], server_port: int) -> tuple[Lookup, ...]:
    """Pair each query to `server_port` with the response that carries its ID."""
    t0 = raws[0].time if raws else 0.0
    messages = [m for i, raw in enumerate(raws) if (m := parse_message(i, raw, t0)) is not None]
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
                and (m.dst, m.dport) == (query.src, query.sport)
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
    (
        10,
        "AA",
        "dns.flags.authoritative",
        "authoritative: the server owns this zone",
        "not authoritative: relayed or cached",
    ),
    (
        9,
        "TC",
        "dns.flags.truncated",
        "truncated: the answer did not fit; ask again over TCP",
        "not truncated",
    ),
    (
        8,
        "RD",
        "dns.flags.recdesired",
        "recursion desired: please look it up for me",
        "no recursion asked for",
    ),
    (
        7,
        "RA",
        "dns.flags.recavail",
        "recursion available: this server will look up any name for you",
        "no recursion: this server only answers for what it knows itself",
    ),
)


def flags_summary(flags: int) -> str:
    opcode = (flags >> 11) & 0xF
    parts = [
        "response" if flags >> 15 else "query",
        "standard query" if opcode == 0 else f"opcode {opcode}",
    ]
    parts += [name for bit, name, *_ in FLAG_BITS[1:] if flags >> bit & 1]
    if flags >> 15:
        parts.append(RCODES.get(flags & 0xF, f"rcode {flags & 0xF}"))
    return f"0x{flags:04x}: " + ", ".join(parts)


def byte_map(msg: bytes) -> list[Span]:
    """Every field of a DNS message with its offset (from the message's first byte)."""
    ident, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    spans = [
        Span(
            0, 2, "ID (dns.id)", f"{ident}: picked by the asker; the answer carries the same number"
        ),
        Span(2, 2, "Flags (dns.flags)", flags_summary(flags)),
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
