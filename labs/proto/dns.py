"""DNS over UDP: header, flags, questions and answers, read by scapy's DNS.

Each question and resource record is walked field by field like any header
(`labs.proto.walk`), so a name that is only a compression pointer (0xc00c)
is shown as such, with where it points.
"""

from __future__ import annotations

from typing import Any

from labs.proto.base import App, Rule, Stream, app, dec, hex4, make_field
from labs.proto.walk import spots
from labs.trace import Field, Layer

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
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
_RCODE_MEANING = {
    0: "no error: the answer (if any) follows",
    1: "the server could not understand the question",
    2: "the server failed to find an answer",
    3: "no such name: the name does not exist",
    4: "the server does not support this kind of question",
    5: "the server refuses to answer",
}


def name_text(v: Any) -> str:
    """A DNS name as Wireshark prints it (no trailing dot; the root is <Root>)."""
    s = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    s = s.rstrip(".")
    return s or "<Root>"


def type_name(v: Any) -> str:
    return TYPES.get(int(v), str(int(v)))


HEADER = {
    "id": Rule(
        "Transaction ID",
        "dns.id",
        hex4,
        explain="A number the client picks; the answer carries the same one so the client can match them.",
    ),
    "qr": Rule(
        "Response",
        "dns.flags.response",
        dec,
        lambda v: "response" if int(v) else "query",
        lambda v, layer: (
            "1: this message is an answer." if int(v) else "0: this message is a question."
        ),
    ),
    "opcode": Rule("Opcode", "dns.flags.opcode", dec),
    "aa": Rule("Authoritative", "dns.flags.authoritative", dec),
    "tc": Rule("Truncated", "dns.flags.truncated", dec),
    "rd": Rule(
        "Recursion desired",
        "dns.flags.recdesired",
        dec,
        explain=lambda v, layer: (
            "1: 'please find the answer for me, asking other servers if needed'." if int(v) else ""
        ),
    ),
    "ra": Rule("Recursion available", "dns.flags.recavail", dec),
    "z": Rule("Z", "dns.flags.z", dec),
    "ad": Rule("Answer authenticated", "dns.flags.authenticated", dec),
    "cd": Rule("Non-authenticated data", "dns.flags.checkdisable", dec),
    "rcode": Rule(
        "Reply code",
        "dns.flags.rcode",
        dec,
        lambda v: RCODES.get(int(v), str(int(v))),
        lambda v, layer: (
            f"{RCODES.get(int(v), int(v))}: {_RCODE_MEANING.get(int(v), 'a reply code')}."
            if int(layer.qr)
            else ""
        ),
        uses_layer=True,
    ),
    "qdcount": Rule("Questions", "dns.count.queries", dec),
    "ancount": Rule("Answer RRs", "dns.count.answers", dec),
    "nscount": Rule("Authority RRs", "dns.count.auth_rr", dec),
    "arcount": Rule("Additional RRs", "dns.count.add_rr", dec),
}

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
}

_SKIP = {"cacheflush", "unicastresponse"}
#: Flags Wireshark shows only in responses.
_RESPONSE_ONLY = {"aa", "ra", "ad", "rcode"}


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
    if rtype == 16 and isinstance(value, list):
        return " ".join(
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in value
        )
    return value.hex(":") if isinstance(value, bytes) else str(value)


def _record_fields(
    rec: Any, rules: dict[str, Rule], start: int, packet: bytes, section: str
) -> tuple[list[Field], int]:
    found, length = spots(rec, start, packet)
    out: list[Field] = []
    rtype = int(getattr(rec, "type", 0) or 0)
    rdata_at = None
    for spot in found:
        if spot.name in _SKIP:
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
            label, filt, meaning = _RDATA.get(rtype, ("Data", None, ""))
            val = _rdata_text(rtype, spot.value)
            label += SECTIONS.get(section, "")
            out.append(Field(label, filt, val, val, spot.offset, spot.length, meaning))
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
        out.append(f)
        if spot.name in ("qname", "rrname", "exchange"):
            ptr = _pointer(packet, f)
            if ptr:
                out.append(ptr)
    return out, length


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    from scapy.layers.dns import DNS

    msg = DNS(payload)
    # Offsets must count within the packet, so walk on a buffer that places
    # the DNS message at `offset` (names' pointers count from the message start).
    packet = bytes(offset) + payload
    found, _hlen = spots(msg, offset, packet)
    fields: list[Field] = []
    for spot in found:
        if spot.name in ("qd", "an", "ns", "ar"):
            pos = spot.offset
            rules = QUESTION if spot.name == "qd" else ANSWER
            for rec in spot.value or []:
                rec_fields, n = _record_fields(rec, rules, pos, packet, spot.name)
                fields.extend(rec_fields)
                pos += n
            continue
        rule = HEADER.get(spot.name)
        if rule is not None and (msg.qr or spot.name not in _RESPONSE_ONLY):
            fields.append(make_field(rule, spot.value, spot.offset, spot.length, msg))
            if spot.name == "id":
                flags = int.from_bytes(payload[2:4], "big")
                fields.append(
                    Field("Flags", "dns.flags", hex4(flags), _flag_summary(msg), offset + 2, 2)
                )
    return [Layer("DNS", offset, len(payload), tuple(fields))]


def _flag_summary(msg: Any) -> str:
    kind = "response" if msg.qr else "standard query"
    return f"{kind}, {RCODES.get(int(msg.rcode), msg.rcode)}" if msg.qr else kind


def _values(layers: tuple[Layer, ...], filt: str) -> list[Field]:
    return [f for layer in layers if layer.name == "DNS" for f in layer.fields if f.filter == filt]


def summarize(layers: tuple[Layer, ...]) -> str:
    q = _values(layers, "dns.qry.name")
    t = _values(layers, "dns.qry.type")
    what = f"{t[0].show} {q[0].value}" if q and t else ""
    resp = _values(layers, "dns.flags.response")
    if resp and resp[0].value == "1":
        rcode = _values(layers, "dns.flags.rcode")
        if rcode and rcode[0].value != "0":
            return f"DNS response {rcode[0].show} {what}".rstrip()
        answers = [f.value for f in _answers(layers)]
        return f"DNS response {what}" + (f" → {', '.join(answers)}" if answers else "")
    return f"DNS query {what}".rstrip()


#: Wireshark filter of a record's data -> the record type it belongs to.
ANSWER_TYPES = {
    "dns.a": "A",
    "dns.aaaa": "AAAA",
    "dns.cname": "CNAME",
    "dns.mx.mail_exchange": "MX",
    "dns.ns": "NS",
    "dns.ptr.domain_name": "PTR",
    "dns.txt": "TXT",
}


def _answers(layers: tuple[Layer, ...]) -> list[Field]:
    """Record data from the answer section (not authority or additional)."""
    return [
        f
        for layer in layers
        if layer.name == "DNS"
        for f in layer.fields
        if f.filter in ANSWER_TYPES and not f.name.endswith(tuple(SECTIONS.values()))
    ]


def describe(layers: tuple[Layer, ...]) -> str:
    q = _values(layers, "dns.qry.name")
    t = _values(layers, "dns.qry.type")
    name = q[0].value if q else "?"
    kind = t[0].show if t else "?"
    resp = _values(layers, "dns.flags.response")
    if not (resp and resp[0].value == "1"):
        return f"a DNS question: what is the {kind} record of {name}?"
    rcode = _values(layers, "dns.flags.rcode")
    if rcode and rcode[0].value != "0":
        return f"the DNS answer for {name}: {rcode[0].show} ({_RCODE_MEANING.get(int(rcode[0].value), 'an error')})"
    answers = _answers(layers)
    ttls = _values(layers, "dns.resp.ttl")
    if not answers:
        return f"the DNS answer for {name}: no {kind} record"
    ttl = f" (may be cached for {ttls[0].value} s)" if ttls else ""
    found = ", ".join(f"{f.value} ({ANSWER_TYPES[f.filter or '']})" for f in answers)
    return f"the DNS answer: {name} → {found}{ttl}"


def looks_like_dns(payload: bytes) -> bool:
    """A cautious guess for UDP on other ports: a standard query or answer
    with one question whose name is well-formed labels ending exactly where
    its type and class leave room for the counted records."""
    if len(payload) < 17 or payload[2] & 0x78 or payload[3] & 0x40:
        return False  # opcode must be 0 (standard), Z bit clear
    qd, an, ns, ar = (int.from_bytes(payload[i : i + 2], "big") for i in (4, 6, 8, 10))
    if qd != 1 or an > 50 or ns > 50 or ar > 50 or (not payload[2] & 0x80 and an):
        return False
    pos = 12
    while pos < len(payload) and payload[pos]:
        n = payload[pos]
        label = payload[pos + 1 : pos + 1 + n]
        if n > 63 or len(label) < n or not all(0x21 <= c < 0x7F for c in label):
            return False
        pos += 1 + n
    end = pos + 5  # the root byte, then type and class
    return end <= len(payload) and (an + ns + ar > 0 or end == len(payload))


app(App("dns", ("udp",), (53, 5353), dissect, describe, looks_like_dns, summarize))
