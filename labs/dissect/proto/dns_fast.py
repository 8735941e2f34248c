"""The common DNS messages read without scapy: the header, questions, and
records of the everyday types (A, AAAA, NS, CNAME, PTR, TXT), with the same
fields, values and byte offsets scapy's reading gives (`labs.dissect.proto.dns`).

scapy builds a Packet per record and reads the message twice (once to
dissect, once to replay where each field sits): a 63 KB answer of 230 TXT
records took a third of a second. Here each record is a struct read. Anything
else (other record types, a name that is not plain labels and pointers, a
record running past the message, bytes left over) returns None and the
message is read by scapy as before; tests/test_dns_fast.py checks both agree.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import replace

from labs.dissect.proto.base import make_field
from labs.dissect.proto.dns_more import MDNS_BITS
from labs.dissect.proto.dns_records import (
    _RDATA,
    ANSWER,
    OPT,
    QUESTION,
    SECTIONS,
    _opt_fields,
    _pointer,
    _rdata_text,
    _txt_fields,
)
from labs.model.trace import Field

#: Record types read here (A, NS, CNAME, PTR, TXT, AAAA): their data is an
#: address, a name or strings, in the plain DNSRR layout; and EDNS's OPT (`_opt`).
SIMPLE = frozenset({1, 2, 5, 12, 16, 28})
_NAMES = (2, 5, 12)
_HEAD = struct.Struct("!HHIH")
_SECTION_KEYS = ("qd", "an", "ns", "ar")


class _Decline(Exception):
    """Not a message this module reads: scapy reads it."""


def _name(msg: bytes, pos: int) -> tuple[bytes, int]:
    """The name at `pos` as scapy's dns_get_str gives it (labels joined by
    dots, a trailing dot; b"." for the root) and where it ends in place."""
    name, end, n = b"", -1, len(msg)
    seen: list[int] = []
    while True:
        if pos >= n:
            raise _Decline
        cur = msg[pos]
        if cur & 0xC0:
            if cur & 0xC0 != 0xC0 or pos + 1 >= n:
                raise _Decline
            if end < 0:
                end = pos + 2
            pos = (cur & 0x3F) << 8 | msg[pos + 1]
            if pos in seen or len(seen) >= 20:
                raise _Decline
            seen.append(pos)
            continue
        if not cur:
            return name or b".", end if end >= 0 else pos + 1
        if pos + 1 + cur > n:
            raise _Decline
        name += msg[pos + 1 : pos + 1 + cur] + b"."
        pos += 1 + cur


def sections(payload: bytes, offset: int, mdns: bool = False) -> list[Field] | None:
    """The fields of the questions and records of `payload` (a whole DNS
    message whose first byte is at `offset` in the packet), or None when
    scapy must read it."""
    if len(payload) < 12:
        return None
    packet = bytes(offset) + payload
    counts = struct.unpack_from("!4H", payload, 4)
    fields: list[Field] = []
    pos = 12
    try:
        for section, count in zip(_SECTION_KEYS, counts, strict=True):
            for _ in range(count):
                if section == "qd":
                    pos = _question(payload, pos, offset, packet, mdns, fields)
                else:
                    pos = _record(payload, pos, offset, packet, section, mdns, fields)
    except _Decline:
        return None
    # Bytes after the records: scapy keeps them as a payload of its own.
    return fields if pos == len(payload) else None


def _named(f: Field, packet: bytes, out: list[Field]) -> None:
    out.append(f)
    ptr = _pointer(packet, f)
    if ptr:
        out.append(ptr)


def _bit(name: str, value: int, at: int, out: list[Field]) -> None:
    label, filt, meaning = MDNS_BITS[name]
    out.append(Field(label, filt, str(value), str(value), at, 1, meaning))


def _question(
    msg: bytes, pos: int, offset: int, packet: bytes, mdns: bool, out: list[Field]
) -> int:
    name, at = _name(msg, pos)
    if at + 4 > len(msg):
        raise _Decline
    qtype, qclass = struct.unpack_from("!HH", msg, at)
    _named(make_field(QUESTION["qname"], name, offset + pos, at - pos), packet, out)
    out.append(make_field(QUESTION["qtype"], qtype, offset + at, 2))
    if mdns:
        _bit("unicastresponse", qclass >> 15, offset + at + 2, out)
    out.append(make_field(QUESTION["qclass"], qclass & 0x7FFF, offset + at + 2, 2))
    return at + 4


def _record(
    msg: bytes, pos: int, offset: int, packet: bytes, section: str, mdns: bool, out: list[Field]
) -> int:
    name, at = _name(msg, pos)
    if at + 10 > len(msg):
        raise _Decline
    rtype, rclass, ttl, rdlen = _HEAD.unpack_from(msg, at)
    rd, end = at + 10, at + 10 + rdlen
    if rtype == 41 and end <= len(msg):
        _opt(msg, pos, name, at, offset, packet, SECTIONS.get(section, ""), out)
        return end
    if rtype not in SIMPLE or not rdlen or end > len(msg):
        raise _Decline
    if (rtype == 1 and rdlen != 4) or (rtype == 28 and rdlen != 16):
        raise _Decline  # scapy reads 4 (16) bytes whatever the length says
    value: object = None
    if rtype in _NAMES:
        value, name_end = _name(msg, rd)
        if name_end != end:
            raise _Decline
    elif rtype == 1:
        value = socket.inet_ntoa(msg[rd:end])
    elif rtype == 28:
        value = socket.inet_ntop(socket.AF_INET6, msg[rd:end])
    suffix = SECTIONS.get(section, "")
    f = make_field(ANSWER["rrname"], name, offset + pos, at - pos)
    _named(replace(f, name=f.name + suffix) if suffix else f, packet, out)
    out.append(make_field(ANSWER["type"], rtype, offset + at, 2))
    if mdns:
        _bit("cacheflush", rclass >> 15, offset + at + 2, out)
    out.append(make_field(ANSWER["rclass"], rclass & 0x7FFF, offset + at + 2, 2))
    out.append(make_field(ANSWER["ttl"], ttl, offset + at + 4, 4))
    out.append(make_field(ANSWER["rdlen"], rdlen, offset + at + 8, 2))
    if rtype == 16:
        out.extend(_txt_fields(packet, offset + rd, rdlen, suffix))
        return end
    label, filt, meaning = _RDATA[rtype]
    text = _rdata_text(rtype, value)
    data = Field(label + suffix, filt, text, text, offset + rd, rdlen, meaning)
    if rtype in _NAMES:
        _named(data, packet, out)
    else:
        out.append(data)
    return end


#: EDNS options scapy reads with a class of its own (owner, DAU/DHU/N3U, client
#: subnet, extended error): left to scapy, whose reading of them may stop short.
_OWN_OPTIONS = frozenset({4, 5, 6, 7, 8, 15})


def _opt(
    msg: bytes,
    pos: int,
    name: bytes,
    at: int,
    offset: int,
    packet: bytes,
    suffix: str,
    out: list[Field],
) -> None:
    """The EDNS OPT pseudo-record (RFC 6891), as `dns_records.record_fields` reads it."""
    rclass, extrcode, version, z, rdlen = struct.unpack_from("!HBBHH", msg, at + 2)
    at_opt, end = at + 10, at + 10 + rdlen
    while at_opt < end:
        if at_opt + 4 > end:
            raise _Decline
        code, n = struct.unpack_from("!HH", msg, at_opt)
        if at_opt + 4 + n > end or code in _OWN_OPTIONS or (code == 10 and not 8 <= n <= 40):
            raise _Decline
        at_opt += 4 + n
    f = make_field(OPT["rrname"], name, offset + pos, at - pos)
    _named(replace(f, name=f.name + suffix) if suffix else f, packet, out)
    out.append(make_field(OPT["type"], 41, offset + at, 2))
    out.append(make_field(OPT["rclass"], rclass, offset + at + 2, 2))
    out.append(make_field(OPT["extrcode"], extrcode, offset + at + 4, 1))
    out.append(make_field(OPT["version"], version, offset + at + 5, 1))
    out.append(make_field(OPT["z"], z, offset + at + 6, 2))
    do = z >> 15 & 1
    out.append(
        Field("DO bit", "dns.resp.z.do", str(do), "set" if do else "not set", offset + at + 6, 1)
    )
    out.append(make_field(OPT["rdlen"], rdlen, offset + at + 8, 2))
    out.extend(_opt_fields(packet, offset + at + 10, rdlen))
