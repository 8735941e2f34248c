"""The dns lab's words: steps, facts and sections written from the lookups
read out of the packets (`labs.catalog.dns.wire`), so every ID, flag, TTL, offset
and pointer the learner reads is the one in this run's bytes."""

from __future__ import annotations

from labs.catalog.dns.wire import FLAG_BITS, Lookup, Message, Record, Span, byte_map
from labs.model.numbers import ref
from labs.model.trace import Fact, Packet, Section, Step


def record_text(rr: Record) -> str:
    return f"{rr.name} {rr.rtype} {rr.data} (TTL {rr.ttl})"


def answer_text(lookup: Lookup) -> str:
    resp = lookup.response
    if resp is None:
        return "no answer came"
    answers = resp.section("answer")
    if answers:
        return f"{resp.rcode_name}: " + "; ".join(record_text(r) for r in answers)
    if resp.rcode == 0:
        return "NOERROR but no records: the name exists, without records of this type"
    return resp.rcode_name


# -- steps ---------------------------------------------------------------------


def lookup_steps(lookups: tuple[Lookup, ...], packets: tuple[Packet, ...]) -> tuple[Step, ...]:
    t0 = packets[0].time if packets else 0.0
    return tuple(
        Step.over(
            "dns",
            [packets[i] for i in lk.packets],
            f"Question {lk.query.qtype} {lk.query.qname} (ID {lk.query.id}); answer {answer_text(lk)}.",
            f"{lk.query.qtype} {lk.query.qname}",
            t0,
        )
        for lk in lookups
    )


# -- facts ---------------------------------------------------------------------


def _pointer_targets(msg: Message) -> list[tuple[Span, int]]:
    found = []
    for span in byte_map(msg.raw, msg.rcode_word):
        if span.field.endswith("pointer"):
            raw = msg.raw[span.offset : span.offset + 2]
            found.append((span, ((raw[0] & 0x3F) << 8) | raw[1]))
    return found


def lookup_facts(lookups: tuple[Lookup, ...]) -> tuple[Fact, ...]:
    if not lookups:
        return ()
    first = lookups[0]
    q = first.query
    proto = q.proto
    facts = [
        Fact(
            "dns_transport",
            proto,
            f"The question in {ref(q.index)} travels in a single {proto} datagram, "
            "no connection set up first.",
            (q.index,),
            "ip.proto",
            label="The question travels on",
        )
    ]
    if first.response is not None:
        facts.append(
            Fact(
                "packets_per_lookup",
                str(len(first.packets)),
                f"One question ({ref(q.index)}) and one answer "
                f"({ref(first.response.index)}) with the same ID {q.id}.",
                first.packets,
                "dns.flags.response",
                label="Packets in one lookup",
            )
        )
        facts.append(
            Fact(
                "authoritative",
                "yes" if first.response.bit(10) else "no",
                "The AA flag of the first answer: did the zone's own server answer?",
                (first.response.index,),
                "dns.flags.authoritative",
                label="First answer from the zone's own server (AA flag)",
            )
        )
        pointers = _pointer_targets(first.response)
        if pointers:
            span, target = pointers[0]
            facts.append(
                Fact(
                    "compression_offset",
                    str(target),
                    f"In {ref(first.response.index)} the bytes at offset {span.offset} point "
                    f"back to offset {target} instead of repeating the name.",
                    (first.response.index,),
                    "dns.resp.name",
                    label="A repeated name points back to byte",
                )
            )
    answered = [lk for lk in lookups if lk.response is not None]
    nx = next((lk.response for lk in answered if lk.response and lk.response.rcode == 3), None)
    if nx is not None:
        facts.append(
            Fact(
                "nxdomain_rcode",
                nx.rcode_name,
                f"{nx.qname} does not exist: the answer in {ref(nx.index)} has RCODE 3.",
                (nx.index,),
                "dns.flags.rcode",
                label="Answer for a name that does not exist",
            )
        )
    for lk in answered:
        assert lk.response is not None
        direct = [r for r in lk.response.section("answer") if r.rtype == "A"]
        if lk.query.qtype == "A" and direct:
            facts.append(
                Fact(
                    "a_record_ttl",
                    str(direct[0].ttl),
                    f"The A record for {direct[0].name} in {ref(lk.response.index)} may be "
                    f"cached for {direct[0].ttl} seconds.",
                    (lk.response.index,),
                    "dns.resp.ttl",
                    label="How long the A record may be cached (TTL)",
                    unit="s",
                )
            )
            break
    for lk in answered:
        assert lk.response is not None
        cnames = [r for r in lk.response.section("answer") if r.rtype == "CNAME"]
        if cnames:
            facts.append(
                Fact(
                    "cname_chain_length",
                    str(len(cnames)),
                    f"{lk.query.qname} leads through {len(cnames)} CNAME record(s) in "
                    f"{ref(lk.response.index)} before the address.",
                    (lk.response.index,),
                    "dns.cname",
                    label="CNAME records before the address",
                )
            )
            break
    return tuple(facts)


# -- sections ------------------------------------------------------------------


def lookup_sections(lookups: tuple[Lookup, ...]) -> tuple[Section, ...]:
    if not lookups:
        return ()
    sections = [_overview(lookups)]
    first = lookups[0]
    if first.response is not None:
        sections.append(_flags(first.query, first.response))
    sections.append(_reading_note(first.query))
    sections.append(_bytes_table(first.query, "the question"))
    if first.response is not None:
        sections.append(_bytes_table(first.response, "the answer"))
    compression = _compression(lookups)
    if compression is not None:
        sections.append(compression)
    for maker in (_chain, _nxdomain, _others):
        section = maker(lookups)
        if section is not None:
            sections.append(section)
    return tuple(sections)


def _overview(lookups: tuple[Lookup, ...]) -> Section:
    rows = ["Packets\tQuestion\tAnswer"]
    for lk in lookups:
        packets = ", ".join(ref(i) for i in lk.packets)
        rows.append(f"{packets}\t{lk.query.qtype} {lk.query.qname}\t{answer_text(lk)}")
    return Section("Questions and answers", "\n".join(rows), kind="table")


def _flags(query: Message, resp: Message) -> Section:
    rows = ["Flag\tQuestion\tAnswer\tWhat the answer's value means"]
    for bit, name, _filter, one, zero in FLAG_BITS:
        meaning = one if resp.bit(bit) else zero
        if name == "RD":
            meaning = f"copied from the question ({meaning})"
        rows.append(f"{name}\t{query.bit(bit)}\t{resp.bit(bit)}\t{meaning}")
    q_op, r_op = (query.flags >> 11) & 0xF, (resp.flags >> 11) & 0xF
    rows.insert(
        2,
        f"Opcode\t{q_op}\t{r_op}\t" + ("a standard query" if r_op == 0 else "not a standard query"),
    )
    rows.append(
        f"RCODE\t{query.rcode}\t{resp.rcode}\t{resp.rcode_name}"
        + (": all went well" if resp.rcode == 0 else "")
    )
    return Section(
        f"The flags, bit by bit ({ref(query.index)} and {ref(resp.index)})",
        "\n".join(rows),
        kind="table",
    )


def _reading_note(msg: Message) -> Section:
    return Section(
        "Reading the bytes",
        f"The DNS message starts at byte {msg.offset} of the packet, after {msg.ip_header} "
        "bytes of IP header and 8 bytes of UDP header. The offsets below count from the "
        "DNS message's first byte, as compression pointers do. Names are written as "
        "labels: a length byte, then that many letters, ending with a zero byte. Wireshark "
        "field names are in brackets.",
    )


def _hex(data: bytes) -> str:
    shown = data[:12].hex(" ")
    return shown + (" ..." if len(data) > 12 else "")


def _bytes_table(msg: Message, what: str) -> Section:
    rows = ["Offset\tBytes\tField\tWhat it means"]
    for span in byte_map(msg.raw, msg.rcode_word):
        chunk = msg.raw[span.offset : span.offset + span.length]
        rows.append(f"{span.offset}\t{_hex(chunk)}\t{span.field}\t{span.meaning}")
    title = f"Byte by byte: {what} in {ref(msg.index)} ({len(msg.raw)} bytes)"
    return Section(title, "\n".join(rows), kind="table")


def _compression(lookups: tuple[Lookup, ...]) -> Section | None:
    lines: list[str] = []
    saved = 0
    for lk in lookups:
        if lk.response is None:
            continue
        for span, target in _pointer_targets(lk.response):
            raw = lk.response.raw
            full = _encoded_length(raw, target)
            saved += full - 2
            if not lines:
                lines.append(
                    f"In {ref(lk.response.index)} the bytes {raw[span.offset : span.offset + 2].hex(' ')} "
                    f"at offset {span.offset} are a pointer: the two top bits (11) say "
                    f"'pointer', the other 14 bits are {target}, the offset where the name was "
                    f"already written. Two bytes instead of {full}."
                )
    if not lines:
        return None
    lines.append(f"Across all the answers here, pointers saved {saved} bytes.")
    return Section("Name compression", "\n\n".join(lines))


def _encoded_length(msg: bytes, offset: int) -> int:
    """How many bytes the name at `offset` would take written out in full."""
    total = 0
    for _ in range(128):
        size = msg[offset]
        if size & 0xC0 == 0xC0:
            offset = ((size & 0x3F) << 8) | msg[offset + 1]
            continue
        total += 1 + size
        if size == 0:
            break
        offset += 1 + size
    return total


def _chain(lookups: tuple[Lookup, ...]) -> Section | None:
    for lk in lookups:
        answers = lk.response.section("answer") if lk.response else ()
        cnames = [r for r in answers if r.rtype == "CNAME"]
        if not cnames or lk.response is None:
            continue
        hops = " -> ".join([cnames[0].name] + [r.data for r in cnames])
        final = [r for r in answers if r.rtype != "CNAME"]
        end = ", ".join(f"{r.rtype} {r.data}" for r in final) or "no address"
        shortest = min(r.ttl for r in answers)
        return Section(
            "A CNAME chain",
            f"{lk.query.qname} is an alias. The answer in {ref(lk.response.index)} walks the "
            f"chain {hops}, and ends at {end}. One question, one answer: the server "
            "followed the chain itself because it knows every name in it. Each record "
            f"keeps its own TTL; the first to expire does so after {shortest} seconds, and "
            "a cache must ask again then.",
        )
    return None


def _nxdomain(lookups: tuple[Lookup, ...]) -> Section | None:
    for lk in lookups:
        resp = lk.response
        if resp is None or resp.rcode != 3:
            continue
        text = (
            f"{lk.query.qname} does not exist: the answer in {ref(resp.index)} carries "
            f"RCODE {resp.rcode} ({resp.rcode_name}) and no answer records."
        )
        soa = next((r for r in resp.section("authority") if r.rtype == "SOA"), None)
        if soa is not None:
            minimum = int(soa.data.split()[-1])
            text += (
                f" It adds the zone's SOA record ({soa.name}) in the authority section: a "
                f"resolver may remember that the name does not exist for "
                f"{min(soa.ttl, minimum)} seconds (the smaller of the SOA's TTL, {soa.ttl}, "
                f"and its minimum field, {minimum})."
            )
        return Section("A name that does not exist", text)
    return None


def _others(lookups: tuple[Lookup, ...]) -> Section | None:
    lines: list[str] = []
    for lk in lookups:
        if lk.response is None:
            continue
        for rr in lk.response.section("answer"):
            if rr.rtype == "MX":
                pref, host = rr.data.split(maxsplit=1)
                extra = [r for r in lk.response.section("additional") if r.name == host]
                line = f"MX: mail for {rr.name} goes to {host} (preference {pref})."
                if extra:
                    line += (
                        " The server added its address ("
                        + ", ".join(r.data for r in extra)
                        + ") in the additional section, saving a second question."
                    )
                lines.append(line)
            elif rr.rtype == "TXT":
                lines.append(f"TXT: free text attached to {rr.name}: {rr.data}.")
            elif rr.rtype == "AAAA":
                lines.append(f"AAAA: the IPv6 address of {rr.name} is {rr.data}.")
    if not lines:
        return None
    return Section("Other record types", "\n\n".join(lines))
