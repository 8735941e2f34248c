"""DNS questions and resource records, field by field: Wireshark's names
for each record type's data (A, AAAA, CNAME, NS, PTR, MX, TXT, SOA), TXT
strings with their length bytes, and compression pointers explained where
a name ends in one. `labs.dissect.proto.dns` reads the message around them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from labs.dissect.proto.base import Rule, dec, hex2, hex4, make_field
from labs.dissect.proto.dns_more import MDNS_BITS, bitmap_types, srv_owner
from labs.dissect.proto.walk import spots
from labs.model.trace import Field

TYPES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    41: "OPT",
    65: "HTTPS",
    255: "ANY",
}


def name_text(v: Any) -> str:
    """A DNS name as Wireshark prints it (no trailing dot; the root is <Root>)."""
    s = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    s = s.rstrip(".")
    return s or "<Root>"


def type_name(v: Any) -> str:
    return TYPES.get(int(v), str(int(v)))


QUESTION = {
    "qname": Rule("Name", "dns.qry.name", name_text, explain="The name being looked up."),
    "qtype": Rule(
        "Type",
        "dns.qry.type",
        dec,
        type_name,
        lambda v, layer: f"The kind of record asked for: {type_name(v)}.",
    ),
    "qclass": Rule("Class", "dns.qry.class", hex4, lambda v: "IN" if int(v) == 1 else str(v)),
}

_RDATA = {
    1: ("Address", "dns.a", "The IPv4 address the name points to."),
    28: ("AAAA Address", "dns.aaaa", "The IPv6 address the name points to."),
    5: (
        "CNAME",
        "dns.cname",
        "An alias: the name is another name for this one; look that up instead.",
    ),
    2: ("Name server", "dns.ns", "A server that knows the answers for this zone."),
    16: (
        "Text",
        "dns.txt",
        "Text attached to the name (often proof of who owns the domain, or mail policy).",
    ),
    12: ("Domain name", "dns.ptr.domain_name", "The name for this address (a reverse lookup)."),
}


def _ttl_explain(v: Any, layer: Any) -> str:
    n = int(v)
    return f"Time to live: caches may keep this answer for {n} seconds before asking again."


def _seconds(v: Any) -> str:
    return f"{int(v)} s"


def _mailbox(v: Any, layer: Any) -> str:
    first, _, rest = name_text(v).partition(".")
    mail = f" ({first}@{rest})" if rest else ""
    return f"Who runs the zone: a mailbox written as a name, its first dot standing for @{mail}."


ANSWER = {
    "rrname": Rule("Name", "dns.resp.name", name_text),
    "type": Rule("Type", "dns.resp.type", dec, type_name),
    "rclass": Rule("Class", "dns.resp.class", hex4, lambda v: "IN" if int(v) == 1 else str(v)),
    "ttl": Rule("Time to live", "dns.resp.ttl", dec, lambda v: f"{int(v)} s", _ttl_explain),
    "rdlen": Rule("Data length", "dns.resp.len", dec),
    "preference": Rule(
        "Preference", "dns.mx.preference", dec, explain="Lower numbers are tried first."
    ),
    "exchange": Rule(
        "Mail exchange",
        "dns.mx.mail_exchange",
        name_text,
        explain="The server that receives mail for this name.",
    ),
    # SOA: the zone's own description, sent in answers to SOA questions and
    # in the authority section of "no such name" answers.
    "mname": Rule(
        "Primary name server",
        "dns.soa.mname",
        name_text,
        explain="The zone's primary server, where its master copy is kept.",
    ),
    "rname": Rule("Responsible authority's mailbox", "dns.soa.rname", name_text, explain=_mailbox),
    "serial": Rule(
        "Serial number",
        "dns.soa.serial_number",
        dec,
        explain="The zone's version number: secondary servers copy the zone again when it grows.",
    ),
    "refresh": Rule(
        "Refresh interval",
        "dns.soa.refresh_interval",
        dec,
        _seconds,
        "How often secondary servers check the serial number for changes.",
    ),
    "retry": Rule(
        "Retry interval",
        "dns.soa.retry_interval",
        dec,
        _seconds,
        "How soon a secondary server tries again after a failed check.",
    ),
    "expire": Rule(
        "Expire limit",
        "dns.soa.expire_limit",
        dec,
        _seconds,
        "How long a secondary server keeps answering from its copy without reaching the primary.",
    ),
    "minimum": Rule(
        "Minimum TTL",
        "dns.soa.minimum_ttl",
        dec,
        _seconds,
        "How long resolvers may remember that a name does not exist (at most this and the "
        "record's own time to live, RFC 2308).",
    ),
}

_SKIP = {"cacheflush", "unicastresponse"}

#: The EDNS OPT pseudo-record (RFC 6891) reuses the class and TTL fields.
OPT = {
    **ANSWER,
    "rclass": Rule(
        "UDP payload size",
        "dns.rr.udp_payload_size",
        dec,
        lambda v: f"{int(v)} bytes",
        "The largest UDP answer the sender can take (EDNS); without it, 512 bytes.",
    ),
    "extrcode": Rule("Higher bits in extended RCODE", "dns.resp.ext_rcode", hex2),
    "version": Rule("EDNS0 version", "dns.resp.edns0_version", dec),
    "z": Rule(
        "Z",
        "dns.resp.z",
        hex4,
        lambda v: "DO (DNSSEC answer OK)" if int(v) & 0x8000 else "none",
        lambda v, layer: (
            "The DO bit is set: the sender wants DNSSEC signatures in the answer."
            if int(v) & 0x8000
            else ""
        ),
    ),
}


def _opt_fields(packet: bytes, at: int, size: int) -> list[Field]:
    """The options inside an OPT record: code, length and data each
    (Wireshark's dns.opt.code, dns.opt.len, dns.opt.data)."""
    out: list[Field] = []
    pos, end = at, at + size
    while pos + 4 <= end:
        code = int.from_bytes(packet[pos : pos + 2], "big")
        n = int.from_bytes(packet[pos + 2 : pos + 4], "big")
        name = _OPTION_NAMES.get(code, f"option {code}")
        out.append(Field("Option code", "dns.opt.code", str(code), name, pos, 2))
        out.append(Field("Option length", "dns.opt.len", str(n), f"{n} bytes", pos + 2, 2))
        data = packet[pos + 4 : min(pos + 4 + n, end)]
        if data:
            out.append(
                Field(
                    "Option data",
                    "dns.opt.data",
                    data.hex(":"),
                    f"{len(data)} bytes",
                    pos + 4,
                    len(data),
                )
            )
        pos += 4 + n
    return out


_OPTION_NAMES = {3: "NSID", 8: "client subnet", 10: "cookie", 12: "padding", 15: "extended error"}

#: Wireshark filter of a record's data -> the record type it belongs to.
#: Service records (RFC 2782): where a named service listens.
SRV = {
    "priority": Rule("Priority", "dns.srv.priority", dec),
    "weight": Rule("Weight", "dns.srv.weight", dec),
    "port": Rule("Port", "dns.srv.port", dec, explain="The port the service listens on."),
    "target": Rule(
        "Target", "dns.srv.target", name_text, explain="The host that offers the service."
    ),
    "nextname": Rule("Next Domain Name", "dns.nsec.next_domain_name", name_text),
}


ANSWER_TYPES = {
    "dns.a": "A",
    "dns.aaaa": "AAAA",
    "dns.cname": "CNAME",
    "dns.mx.mail_exchange": "MX",
    "dns.ns": "NS",
    "dns.ptr.domain_name": "PTR",
    "dns.soa.mname": "SOA",
    "dns.txt": "TXT",
    "dns.srv.target": "SRV",
}


def _pointer(packet: bytes, f: Field) -> Field | None:
    """A field explaining the compression pointer that ends this name, if any."""
    pos, end, labels = f.offset, f.offset + f.length, 0
    while pos < end and packet[pos] and packet[pos] & 0xC0 != 0xC0:
        pos += packet[pos] + 1
        labels += 1
    if pos + 2 > end or packet[pos] & 0xC0 != 0xC0:
        return None
    target = ((packet[pos] & 0x3F) << 8) | packet[pos + 1]
    value = f"0x{packet[pos]:02x}{packet[pos + 1]:02x}"
    rest = ".".join(f.value.split(".")[labels:]) or f.value
    return Field(
        "Name pointer",
        None,
        value,
        f"→ offset {target}",
        pos,
        2,
        f"A compression pointer: instead of repeating {rest}, {value} points back to "
        f"offset {target} of the DNS message, where it was first written.",
    )


#: Record sections as the narration names them; answers are unmarked.
SECTIONS = {"ns": " (authority)", "ar": " (additional)"}


def _rdata_text(rtype: int, value: Any) -> str:
    if rtype in (2, 5, 12):
        return name_text(value)
    return value.hex(":") if isinstance(value, bytes) else str(value)


def _txt_fields(packet: bytes, at: int, size: int, suffix: str) -> list[Field]:
    """A TXT record's data: one or more strings, each a length byte then
    that many bytes of text (Wireshark: dns.txt.length, dns.txt)."""
    label, filt, meaning = _RDATA[16]
    out: list[Field] = []
    pos, end = at, at + size
    while pos < end:
        n = min(packet[pos], end - pos - 1)
        text = packet[pos + 1 : pos + 1 + n].decode("utf-8", "replace")
        out.append(
            Field(
                "TXT length",
                "dns.txt.length",
                str(packet[pos]),
                f"{packet[pos]} bytes",
                pos,
                1,
                "How many bytes of text follow (one byte, so at most 255 per string).",
            )
        )
        out.append(Field(label + suffix, filt, text, text, pos + 1, n, meaning))
        pos += 1 + n
    return out


def record_fields(
    rec: Any, rules: dict[str, Rule], start: int, packet: bytes, section: str, mdns: bool = False
) -> tuple[list[Field], int]:
    found, length = spots(rec, start, packet)
    out: list[Field] = []
    rtype = int(getattr(rec, "type", 0) or 0)
    if rtype == 41:
        rules = OPT
    suffix = SECTIONS.get(section, "")
    rdata_at = None
    for spot in found:
        if spot.name in _SKIP:
            if mdns:
                bit_label, bit_filter, bit_meaning = MDNS_BITS[spot.name]
                bit = str(int(spot.value or 0))
                out.append(Field(bit_label, bit_filter, bit, bit, spot.offset, 1, bit_meaning))
            continue
        if spot.name == "typebitmaps" and rdata_at is not None:
            out.extend(bitmap_types(packet, spot.offset, rdata_at[0] + rdata_at[1], type_name))
            continue
        if spot.name in SRV:
            out.append(make_field(SRV[spot.name], spot.value, spot.offset, spot.length, rec))
            continue
        if spot.name == "rdlen":
            # scapy forgets length fields after dissection (it recomputes them
            # on build), so replaying getfield cannot size rdata: read rdlen.
            rdlen = int.from_bytes(packet[spot.offset : spot.offset + spot.length], "big")
            start_at = spot.offset + spot.length
            rdata_at = (start_at, max(0, min(rdlen, len(packet) - start_at)))
            length = max(length, rdata_at[0] + rdata_at[1] - start)
        if spot.name == "rdata":
            if rdata_at is not None:
                spot = spot._replace(offset=rdata_at[0], length=rdata_at[1])
            if rtype == 16:
                out.extend(_txt_fields(packet, spot.offset, spot.length, suffix))
                continue
            if rtype == 41:
                out.extend(_opt_fields(packet, spot.offset, spot.length))
                continue
            label, filt, meaning = _RDATA.get(rtype, ("Data", None, ""))
            val = _rdata_text(rtype, spot.value)
            out.append(Field(label + suffix, filt, val, val, spot.offset, spot.length, meaning))
            if rtype in (2, 5, 12):
                ptr = _pointer(packet, out[-1])
                if ptr:
                    out.append(ptr)
            continue
        rule = rules.get(spot.name)
        if rule is None:
            continue
        value = rdlen if spot.name == "rdlen" and rdata_at else spot.value
        f = make_field(rule, value, spot.offset, spot.length, rec)
        if suffix and (spot.name == "rrname" or f.filter in ANSWER_TYPES):
            # Marked, so "the answer" leaves authority and additional records out.
            f = replace(f, name=f.name + suffix)
        if rtype == 33 and spot.name == "rrname":
            out.extend(srv_owner(f, suffix))
            continue
        out.append(f)
        if rtype == 41 and spot.name == "z":
            do = int(value) >> 15 & 1
            out.append(
                Field(
                    "DO bit", "dns.resp.z.do", str(do), "set" if do else "not set", spot.offset, 1
                )
            )
        if spot.name in ("qname", "rrname", "exchange", "mname", "rname"):
            ptr = _pointer(packet, f)
            if ptr:
                out.append(ptr)
    return out, length
