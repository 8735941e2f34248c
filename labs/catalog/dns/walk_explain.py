"""The dns lab's words for the recursive walk: who asked whom, what each
answer was (a referral with glue, an authoritative answer, a copy from the
cache), the RD/RA/AA flags and the TTLs, all read from this run's packets
(`labs.catalog.dns.wire`). The stub's own lookups then get the authoritative
mode's sections (`labs.catalog.dns.explain`): flags, bytes, records."""

from __future__ import annotations

from dataclasses import replace

from labs.catalog.dns.explain import lookup_facts, lookup_sections
from labs.catalog.dns.hops import Hop, during, first_ttl, read_hops, rrs, short
from labs.catalog.dns.result import DnsResult
from labs.catalog.dns.walk_sections import walk_sections
from labs.catalog.dns.wire import Message
from labs.kit import Fact, LabError, Packet, Recording, Section, Step, Trace, make_trace, sender_ip
from labs.model.numbers import ref


def _asks(q: Message) -> str:
    """The RD bit in words, then its name and value as Wireshark shows them."""
    if q.bit(8):
        return "with recursion desired (RD 1): 'find the answer for me'"
    return "without recursion desired (RD 0): it wants only what this server holds"


def _answer_flags(resp: Message) -> str:
    """The AA and RA bits in words, with their names for finding them in Wireshark."""
    aa = (
        "Authoritative (AA 1: the server owns this zone)"
        if resp.bit(10)
        else "Not authoritative (AA 0)"
    )
    ra = "recursion available (RA 1)" if resp.bit(7) else "no recursion available (RA 0)"
    return f"{aa}, {ra}."


def _glue(resp: Message, servers: list[str]) -> list[str]:
    """The addresses the additional section gives for the named servers (the glue)."""
    names = {s.rstrip(".").lower() for s in servers}
    return [
        r.data
        for r in resp.section("additional")
        if r.rtype in ("A", "AAAA") and r.name.rstrip(".").lower() in names
    ]


def hop_text(hop: Hop) -> str:
    q, resp = hop.lookup.query, hop.lookup.response
    asked = f"{short(hop.asker).capitalize()} asks {short(hop.asked)} {q.qtype} {q.qname}"
    asked += f" {_asks(q)}."
    if resp is None:
        return asked + " No answer came."
    kind, flags = hop.kind, _answer_flags(resp)
    if kind == "priming":
        return (
            f"{asked} Priming: before anything else the resolver checks its root hints: "
            f"the root names its servers ({', '.join(rrs(resp, 'answer', 'NS'))}) and their "
            f"addresses ({', '.join(rrs(resp, 'additional', 'A'))}). {flags}"
        )
    if kind == "referral":
        ns = rrs(resp, "authority", "NS")
        glue = _glue(resp, ns)
        zone = resp.section("authority")[0].name
        whose = "its address" if len(glue) == 1 else "their addresses"
        given = (
            f"with {whose} {', '.join(glue)} given along (the 'glue')"
            if glue
            else "with no address given along (no glue)"
        )
        return (
            f"{asked} A referral, not an answer: \"I don't know, ask {zone}'s server"
            f'{"s" if len(ns) > 1 else ""} {", ".join(ns)}", {given}. {flags}'
        )
    if kind == "answer":
        answers = "; ".join(f"{r.rtype} {r.data} (TTL {r.ttl})" for r in resp.section("answer"))
        return f"{asked} The answer: {answers}. {flags}"
    meaning = " (no such name)" if resp.rcode == 3 else ""
    return f"{asked} The answer: {kind}{meaning}. {flags}"


def walk_steps(hops: tuple[Hop, ...], t0: float, packets: tuple[Packet, ...]) -> tuple[Step, ...]:
    steps = []
    for hop in sorted(hops, key=lambda h: h.lookup.query.index):
        members = [packets[i] for i in hop.lookup.packets]
        q = hop.lookup.query
        title = f"{short(hop.asker)} -> {short(hop.asked)}: {q.qtype} {q.qname}"
        steps.append(Step.over("dns", members, hop_text(hop), title, t0))
    return tuple(steps)


def walk_facts(hops: tuple[Hop, ...]) -> list[Fact]:
    stubs = [h for h in hops if h.stub]
    if not stubs:
        return []
    first, facts = stubs[0], []
    walk = during(hops, first)
    if walk:
        asked = list(dict.fromkeys(h.asked for h in walk))  # in the order asked
        facts.append(Fact(
            "walk_servers", str(len(asked)),
            f"For the first question the resolver asked {len(asked)} servers: "
            + ", ".join(short(a) for a in asked) + ".",
            tuple(h.lookup.query.index for h in walk), "ip.dst", label="Servers the resolver asked for the first question",
        ))  # fmt: skip
        referrals = [h for h in walk if h.kind == "referral"]
        facts.append(Fact(
            "referrals", str(len(referrals)),
            f"{len(referrals)} answers on the way were referrals: no answer records, NS "
            "records in the authority section.",
            tuple(h.lookup.response.index for h in referrals if h.lookup.response), "dns.count.answers", label="Referrals on the way (ask another server)",
        ))  # fmt: skip
        owners = [
            (h, h.lookup.response)
            for h in walk
            if h.kind == "answer" and h.lookup.response is not None and h.lookup.response.bit(10)
        ]
        if owners:
            hop, answer = owners[0]
            facts.append(Fact(
                "aa_set_by", short(hop.asked),
                f"Only {short(hop.asked)}'s answer in {ref(answer.index)} has the AA flag: it "
                "owns the zone. The copy the resolver passes on has AA 0.",
                (answer.index,), "dns.flags.authoritative", label="Who set the AA flag (the zone's owner)",
            ))  # fmt: skip
    if len(stubs) > 1 and first.lookup.query.qname == stubs[1].lookup.query.qname:
        second = stubs[1]
        extra = during(hops, second)
        packets = list(second.lookup.packets) + [i for h in extra for i in h.lookup.packets]
        # Without the resolver's own packets (a reconstructed capture) the count proves nothing.
        facts += [] if not walk else [Fact(
            "second_lookup_packets", str(len(packets)),
            f"The same question again: {len(packets)} packets, "
            + ("nobody else asked: the cache answered." if not extra else "the resolver asked again."),
            tuple(sorted(packets)), "dns.flags.response", label="Packets when the same question comes again",
        )]  # fmt: skip
        ttl1, ttl2 = first_ttl(first), first_ttl(second)
        r1, r2 = first.lookup.response, second.lookup.response
        if ttl1 is not None and ttl2 is not None and r1 is not None and r2 is not None:
            change = "lower" if ttl2 < ttl1 else "the same" if ttl2 == ttl1 else "higher"
            facts.append(Fact(
                "cached_ttl", change,
                f"The first answer said TTL {ttl1}, the cached one {ttl2}: the cache counts down.",
                (r1.index, r2.index), "dns.resp.ttl", label="TTL in the cached answer, against the first",
            ))  # fmt: skip
    return facts


def walk_trace(rec: Recording[DnsResult]) -> Trace:
    res = rec.result
    trace = make_trace(rec, decode_as={res.port: "dns"}, client=sender_ip(rec.raws[0]), steps=())
    hops = read_hops(trace.packets, res)
    stubs = tuple(h.lookup for h in hops if h.stub)
    if not stubs:
        raise LabError("The capture did not contain the DNS questions.", "Run the lab again.")
    t0 = trace.packets[0].time
    return replace(
        trace,
        steps=walk_steps(hops, t0, trace.packets),
        sections=walk_sections(hops, trace, res) + lookup_sections(stubs),
        facts=tuple(lookup_facts(stubs)) + tuple(walk_facts(hops)),
    )


def fallback_section(reason: str) -> tuple[Section, ...]:
    if not reason:
        return ()
    return (
        Section(
            "Not the recursive walk: one server answers directly",
            f"This run could not start the walk ({reason}), so the lab asked shop.example.'s "
            "own server directly, as a resolver does at the end of its walk. Run it as root "
            "with Unbound installed to see root -> example. -> shop.example. and the cache.",
        ),
    )
