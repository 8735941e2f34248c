"""DNS over UDP: header, flags, questions and answers, read by scapy's DNS.

Each question and resource record is walked field by field like any header
(`labs.dissect.proto.walk`; the records themselves in `labs.dissect.proto.dns_records`), so a
name that is only a compression pointer (0xc00c) is shown as such, with
where it points.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from labs.dissect.proto import dns_fast
from labs.dissect.proto.base import App, Rule, Stream, app, dec, hex4, make_field
from labs.dissect.proto.dns_records import ANSWER, ANSWER_TYPES, QUESTION, SECTIONS, record_fields
from labs.dissect.proto.walk import spots
from labs.model.trace import Field, Layer

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
_RCODE_MEANING = {
    0: "no error: the answer (if any) follows",
    1: "the server could not understand the question",
    2: "the server failed to find an answer",
    3: "no such name: the name does not exist",
    4: "the server does not support this kind of question",
    5: "the server refuses to answer",
}


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

#: Flags Wireshark shows only in responses.
_RESPONSE_ONLY = {"aa", "ra", "ad", "rcode"}


#: The header's bit fields as scapy's DNS declares them: name, byte, value from the 16 flag bits.
_FLAG_BITS = (
    ("qr", 2, 15, 1),
    ("opcode", 2, 11, 0xF),
    ("aa", 2, 10, 1),
    ("tc", 2, 9, 1),
    ("rd", 2, 8, 1),
    ("ra", 3, 7, 1),
    ("z", 3, 6, 1),
    ("ad", 3, 5, 1),
    ("cd", 3, 4, 1),
    ("rcode", 3, 0, 0xF),
)


def _header(payload: bytes, offset: int) -> list[Field]:
    """The header's fields, read as scapy's walk reads them (see `_dissect`)."""
    ident, flags = int.from_bytes(payload[:2], "big"), int.from_bytes(payload[2:4], "big")
    values = {name: flags >> shift & mask for name, _at, shift, mask in _FLAG_BITS}
    msg = SimpleNamespace(qr=values["qr"], rcode=values["rcode"])
    spots = [("id", ident, 0, 2), *((n, values[n], at, 1) for n, at, _s, _m in _FLAG_BITS)]
    for i, name in enumerate(("qdcount", "ancount", "nscount", "arcount")):
        spots.append((name, int.from_bytes(payload[4 + 2 * i : 6 + 2 * i], "big"), 4 + 2 * i, 2))
    fields: list[Field] = []
    for name, value, at, n in spots:
        if msg.qr or name not in _RESPONSE_ONLY:
            fields.append(make_field(HEADER[name], value, offset + at, n, msg))
        if name == "id":
            fields.append(
                Field("Flags", "dns.flags", hex4(flags), _flag_summary(msg), offset + 2, 2)
            )
    return fields


def dissect(payload: bytes, offset: int, stream: Stream, mdns: bool = False) -> list[Layer]:
    # The everyday messages are read directly (`labs.dissect.proto.dns_fast`);
    # scapy reads the rest.
    records = dns_fast.sections(payload, offset, mdns)
    if records is not None:
        fields = (*_header(payload, offset), *records)
        return [Layer("DNS", offset, len(payload), fields)]
    from scapy.config import conf

    # scapy stops a record list at 100 items (conf.max_list_count), a guard
    # against runaway lists; a real message can hold more (a 63 KB answer of
    # TXT records), and its own bytes bound how many it can hold. Raised
    # while the fields are walked too (that replays scapy's reading).
    limit = conf.max_list_count
    conf.max_list_count = max(limit, len(payload) // 11 + 1)
    try:
        return _dissect(payload, offset, mdns)
    finally:
        conf.max_list_count = limit


def _dissect(payload: bytes, offset: int, mdns: bool = False) -> list[Layer]:
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
                rec_fields, n = record_fields(rec, rules, pos, packet, spot.name, mdns)
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
    return [f for layer in layers if _is_dns(layer) for f in layer.fields if f.filter == filt]


def _is_dns(layer: Layer) -> bool:
    """A DNS message's layer, also one put together from TCP segments."""
    return layer.name == "DNS" or layer.name.startswith("DNS (")


def summarize(layers: tuple[Layer, ...]) -> str:
    q = _values(layers, "dns.qry.name")
    t = _values(layers, "dns.qry.type")
    what = f"{t[0].show} {q[0].value}" if q and t else ""
    resp = _values(layers, "dns.flags.response")
    if resp and resp[0].value == "1":
        rcode = _values(layers, "dns.flags.rcode")
        if rcode and rcode[0].value != "0":
            return f"DNS response {rcode[0].show} {what}".rstrip()
        answers = [value for value, _kind in _answers(layers)]
        return f"DNS response {what}" + (f" → {_some(answers)}" if answers else "")
    return f"DNS query {what}".rstrip()


def _some(items: list[str], most: int = 4, width: int = 80) -> str:
    """Items joined for one line: a 63 KB answer of TXT records must not make
    a line of 63 KB (the fields hold every record in full)."""
    clipped = [i if len(i) <= width else i[: width - 1] + "…" for i in items[:most]]
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(clipped) + more


#: Where a record sits, by the mark its fields' names carry (the answer section has none).
_MARKS = (("authority", SECTIONS["ns"]), ("additional", SECTIONS["ar"]))


class _Record:
    """One resource record as its fields give it: its section, owner name,
    type, TTL and the values Wireshark names its data by."""

    __slots__ = ("data", "kind", "name", "section", "ttl")

    def __init__(self, section: str, name: str) -> None:
        self.section, self.name, self.kind = section, name, ""
        self.ttl: int | None = None
        self.data: list[tuple[str, str]] = []  # (value, kind) of each data field


def _records(layers: tuple[Layer, ...]) -> list[_Record]:
    """Every record of the answer, authority and additional sections, in order."""
    out: list[_Record] = []
    for layer in layers:
        if not _is_dns(layer):
            continue
        for f in layer.fields:
            filt = f.filter or ""
            if filt in ("dns.resp.name", "dns.srv.service"):
                section = next((s for s, m in _MARKS if f.name.endswith(m)), "answer")
                out.append(_Record(section, f.value))
            elif not out:
                continue
            elif filt == "dns.resp.type" and not out[-1].kind:
                out[-1].kind = f.show  # the first only: NSEC's bitmap repeats the filter
            elif filt == "dns.resp.ttl" and out[-1].ttl is None:
                out[-1].ttl = int(f.value)
            elif filt in ANSWER_TYPES:
                out[-1].data.append((f.value, ANSWER_TYPES[filt]))
    return out


def _values_of(rec: _Record) -> list[tuple[str, str]]:
    """A record's data as the learner reads it: a TXT record's strings together."""
    if rec.data and rec.data[0][1] == "TXT":
        return [(" ".join(v for v, _k in rec.data), "TXT")]
    return rec.data


def _answers(layers: tuple[Layer, ...]) -> list[tuple[str, str]]:
    """(data, record type) of each record in the answer section (not
    authority or additional); a TXT record's strings are read together."""
    return [v for r in _records(layers) if r.section == "answer" for v in _values_of(r)]


def _referral(records: list[_Record]) -> str:
    """A referral's words ("" if it is none): no answer, NS records in the
    authority section and no SOA (RFC 2308 section 2.2); the caller checks
    NOERROR and AA 0. Glue: the additional records giving those servers'
    addresses, matched by name."""
    authority = [r for r in records if r.section == "authority"]
    ns = [r for r in authority if r.kind == "NS" and r.data]
    if not ns or any(r.kind == "SOA" for r in authority):
        return ""
    glue: dict[str, list[str]] = {}
    for r in records:
        if r.section == "additional" and r.kind in ("A", "AAAA") and r.data:
            glue.setdefault(r.name.lower(), []).append(r.data[0][0])
    servers = []
    for r in ns:
        server = r.data[0][0]
        at = glue.get(server.lower())
        servers.append(f"{server}, at {' and '.join(at)}" if at else server)
    given = sum(1 for r in ns if r.data[0][0].lower() in glue)
    along = ""
    if given:
        along = (
            ": the address given along, 'glue'"
            if given == 1 and len(servers) == 1
            else ": the addresses given along, 'glue'"
        )
    listed = "; ".join(servers[:3]) + (f"; and {len(servers) - 3} more" if len(servers) > 3 else "")
    return (
        f"a referral: this server does not know, it names the servers for the zone {ns[0].name} "
        f"({listed}{along})"
    )


def _with_ttls(records: list[_Record]) -> str:
    """The answer's records with how long each may be cached: one TTL for all
    when they agree; each record's own otherwise, and the shortest for the
    whole answer (a cache keeps each record by its own TTL, RFC 2181 section 5.2)."""
    # A record of a type whose data is not read here is still there ("a record of type HTTPS").
    shown = [(v, k, r.ttl) for r in records for v, k in _values_of(r) or [("", r.kind)]]
    ttls = [r.ttl for r in records if r.ttl is not None]
    if len(set(ttls)) <= 1:
        found = _some([f"{v} ({k})" if v else f"a record of type {k}" for v, k, _t in shown])
        return found + (f" (may be cached for {ttls[0]} s)" if ttls else "")
    found = _some(
        [f"{v} ({k}, TTL {t} s)" if v else f"a record of type {k} (TTL {t} s)" for v, k, t in shown]
    )
    return f"{found}: the whole answer may be cached for at most {min(ttls)} s, its shortest TTL"


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
    records = _records(layers)
    answers = [r for r in records if r.section == "answer"]
    if not answers:
        aa = _values(layers, "dns.flags.authoritative")
        referral = _referral(records) if aa and aa[0].value == "0" else ""
        if referral:
            return f"the DNS reply for {name} is {referral}"
        return f"the DNS answer for {name}: no {kind} record"
    found = _with_ttls(answers)
    if not q:  # an unsolicited answer (multicast DNS announces without a question)
        return f"a DNS answer without a question (an announcement): {found}"
    return f"the DNS answer: {name} → {found}"


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


app(App("dns", ("udp",), (53,), dissect, describe, looks_like_dns, summarize))


def _mdns(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    return dissect(payload, offset, stream, mdns=True)


# Multicast DNS (RFC 6762): DNS messages to 224.0.0.251 / ff02::fb port 5353,
# the class's top bit reused; LLMNR (RFC 4795, port 5355) is DNS's format too.
app(App("mdns", ("udp",), (5353,), _mdns, describe, None, summarize))
app(App("llmnr", ("udp",), (5355,), dissect, describe, None, summarize))
