"""The sections of the dns lab's recursive walk: the walk as a table, who
is who by address (the ladder names hosts by address only), referrals and glue, the RD/RA/AA flags, the cached second answer and its
TTL, DNS's TTL beside IP's, and where the lab differs from the Internet.
Every number is read from this run's packets."""

from __future__ import annotations

from labs.catalog.dns.hops import Hop, during, first_ttl, rrs, short
from labs.catalog.dns.result import DnsResult
from labs.kit import Section, Trace
from labs.model.numbers import ref


def walk_sections(hops: tuple[Hop, ...], trace: Trace, res: DnsResult) -> tuple[Section, ...]:
    stubs = [h for h in hops if h.stub]
    first, walked = stubs[0], any(not h.stub for h in hops)
    walk = during(hops, first)
    made = [_missing(hops, trace), _table(hops), _who(hops, res)]
    if walked:
        made += [_referral(walk), _flags(first, walk)]
    if len(stubs) > 1 and stubs[1].lookup.query.qname == first.lookup.query.qname:
        made.append(_cache(first, stubs[1], hops, trace, res, walked))
    made += [_two_ttls(first, trace), _later(stubs[2:], hops) if walked else None, _differences()]
    return tuple(s for s in made if s is not None)


def _table(hops: tuple[Hop, ...]) -> Section:
    rows = ["Packets\tWho asks whom\tQuestion\tWhat came back\tAA\tRD\tRA"]
    for hop in hops:
        q, resp = hop.lookup.query, hop.lookup.response
        packets = ", ".join(ref(i) for i in hop.lookup.packets)
        who = f"{short(hop.asker)} -> {short(hop.asked)}"
        if resp is None:
            rows.append(f"{packets}\t{who}\t{q.qtype} {q.qname}\tno answer\t\t{q.bit(8)}\t")
            continue
        back = hop.kind
        if hop.kind == "referral":
            back = f"referral to {resp.section('authority')[0].name}"
        elif hop.kind == "answer":
            back = "; ".join(f"{r.rtype} {r.data} TTL {r.ttl}" for r in resp.section("answer"))
        rows.append(
            f"{packets}\t{who}\t{q.qtype} {q.qname}\t{back}\t{resp.bit(10)}\t{q.bit(8)}\t{resp.bit(7)}"
        )
    return Section(
        "The walk: who asked whom. AA: authoritative answer, RD: recursion desired, RA: "
        "recursion available (dns.flags.authoritative, dns.flags.recdesired, dns.flags.recavail)",
        "\n".join(rows),
        kind="table",
    )


def _who(hops: tuple[Hop, ...], res: DnsResult) -> Section | None:
    """The key to the ladder diagram, which names hosts by address only."""
    seen = {a for h in hops for a in (h.lookup.query.src, h.lookup.query.dst)}
    rows = ["Address\tWho it is"]
    for address, role in res.roles:
        if any(end.rpartition(":")[0] == address for end in seen):
            rows.append(f"{address}\t{role}")
    if len(rows) == 1:
        return None
    return Section("Who is who: the addresses in the ladder", "\n".join(rows), kind="table")


def _missing(hops: tuple[Hop, ...], trace: Trace) -> Section | None:
    if trace.capture != "reconstructed":
        return None
    if any(not h.stub for h in hops):
        return Section(
            "Reconstructed: where the resolver's questions were recorded",
            "Without live capture the lab recorded the bytes at its own sockets: its questions "
            "to the resolver, and the resolver's questions as the lab's root, TLD and zone "
            "servers received and answered them. Every DNS byte is exact; the IP and UDP "
            "headers around them are rebuilt (so ip.ttl is the rebuild's, not Unbound's).",
        )
    return Section(
        "The resolver's own questions are not in this capture",
        f"This capture is {trace.capture}: it holds only what the lab's own socket sent and "
        "received, so the resolver's walk to the root, TLD and zone servers is missing. A "
        "live capture (root, with libpcap) shows it.",
    )


def _referral(walk: list[Hop]) -> Section | None:
    ref_hop = next((h for h in walk if h.kind == "referral"), None)
    if ref_hop is None or ref_hop.lookup.response is None:
        return None
    resp = ref_hop.lookup.response
    zone = resp.section("authority")[0].name
    ns, glue = rrs(resp, "authority", "NS"), rrs(resp, "additional", "A")
    ttl = resp.section("authority")[0].ttl
    return Section(
        "A referral, and its glue",
        f"{short(ref_hop.asked).capitalize()} does not know {ref_hop.lookup.query.qname}; in "
        f"{ref(resp.index)} it says who does. The answer section is empty (dns.count.answers "
        f"0). The authority section holds an NS record (dns.ns): {zone} is served by "
        f"{', '.join(ns)}. The additional section holds that server's address, "
        f"{', '.join(glue) or 'none'} (dns.a): the glue. Without it the resolver would be "
        f"stuck, because the server's name lies inside {zone} itself, the zone it cannot ask "
        f"yet. Delegations change rarely, so this NS record may be cached for {ttl} seconds "
        f"({ttl // 3600} hours).",
    )


def _flags(first: Hop, walk: list[Hop]) -> Section:
    q, resp = first.lookup.query, first.lookup.response
    lines = [
        f"RD, recursion desired (dns.flags.recdesired): your computer's question in "
        f'{ref(q.index)} has RD {q.bit(8)}, "please find the answer for me". The resolver\'s '
        f"own questions have RD {', '.join(sorted({str(h.lookup.query.bit(8)) for h in walk})) or '-'}: "
        "it walks the tree itself and asks each server only what that server knows."
    ]
    if resp is not None:
        lines.append(
            f"RA, recursion available (dns.flags.recavail): the resolver's answer in "
            f"{ref(resp.index)} has RA {resp.bit(7)}; the root, TLD and zone servers answer "
            f"with RA {', '.join(sorted({str(h.lookup.response.bit(7)) for h in walk if h.lookup.response})) or '-'}: "
            "they answer only for what they hold."
        )
        owner = [
            h
            for h in walk
            if h.kind == "answer" and h.lookup.response and h.lookup.response.bit(10)
        ]
        if owner and owner[0].lookup.response is not None:
            lines.append(
                f"AA, authoritative answer (dns.flags.authoritative): only the zone's own server "
                f"sets it ({ref(owner[0].lookup.response.index)}). The same record passed on "
                f"to your computer in {ref(resp.index)} has AA {resp.bit(10)}: it comes from "
                "the resolver's memory, not from the zone's owner."
            )
    return Section("RD, RA and AA: who sets which flag", "\n\n".join(lines))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _cache(
    first: Hop, second: Hop, hops: tuple[Hop, ...], trace: Trace, res: DnsResult, walked: bool
) -> Section:
    packets = trace.packets
    q1, r1 = first.lookup.query, first.lookup.response
    q2, r2 = second.lookup.query, second.lookup.response
    ttl1, ttl2 = first_ttl(first), first_ttl(second)
    lines = []
    if r1 is not None and r2 is not None and walked:
        lines.append(
            f"The first time, {len(during(hops, first))} questions went out from the resolver "
            f"between {ref(q1.index)} and {ref(r1.index)}, and the answer came "
            f"{_ms(packets[r1.index].time - packets[q1.index].time)} after the question "
            f"(frame.time). {res.pause:g} seconds later the lab asked again "
            f"({ref(q2.index)}): "
            + ("no other packet, " if not during(hops, second) else "the resolver asked again, ")
            + f"the answer ({ref(r2.index)}) came after "
            f"{_ms(packets[r2.index].time - packets[q2.index].time)}."
        )
    if ttl1 is not None and ttl2 is not None:
        lines.append(
            f"The TTL (dns.resp.ttl) was {ttl1} in the first answer and {ttl2} in the second. "
            "The resolver keeps the record for its TTL and counts down as it waits: whoever "
            f"asks now may keep it {ttl2} more seconds, so every copy expires at the same "
            "moment, when the zone's owner said. After that the resolver walks again."
        )
    return Section("Asked again: the answer from the cache", "\n\n".join(lines))


def _two_ttls(first: Hop, trace: Trace) -> Section | None:
    resp = first.lookup.response
    ttl = first_ttl(first)
    if resp is None or ttl is None:
        return None
    ip_ttl = trace.packets[resp.index].number("ip.ttl")
    return Section(
        "Two different TTLs in one packet",
        f"Packet {ref(resp.index)} carries two fields called TTL. In the IP header, ip.ttl = "
        f"{ip_ttl}: how many more routers the packet may cross before it is dropped (a hop "
        f"count, module 3). In the DNS record, dns.resp.ttl = {ttl}: how many seconds the "
        "answer may be kept in a cache. Same word, unrelated jobs.",
    )


def _later(stubs: list[Hop], hops: tuple[Hop, ...]) -> Section | None:
    rows = ["Your question\tServers the resolver asked for it"]
    for stub in stubs:
        asked = list(dict.fromkeys(short(h.asked) for h in during(hops, stub)))
        q = stub.lookup.query
        rows.append(f"{q.qtype} {q.qname}\t{', '.join(asked) or 'nobody: the cache answered'}")
    if len(rows) == 1:
        return None
    return Section(
        "The next questions skip the root and the TLD (the referrals are cached)",
        "\n".join(rows),
        kind="table",
    )


def _differences() -> Section:
    return Section(
        "Where this lab differs from the Internet",
        "One server at each level (the real root has 13 names and over a thousand sites), "
        "on loopback addresses 127.53.N.x instead of the Internet. The priming question "
        "(NS for the root) is what real resolvers do at start.\n\n"
        "DNSSEC, the DNS security extensions, adds signatures to records so that a resolver "
        "can check an answer really comes from the zone's owner, unchanged (RFC 4033). It "
        "is off here: the lab's zones are not signed. The resolver's own questions still "
        "carry the CD bit (checking disabled, dns.flags.checkdisable), as Unbound's always "
        "do: it asks the server not to check signatures on the resolver's behalf (RFC 4035, "
        "section 3.2.2).\n\n"
        "QNAME minimisation (RFC 9156) is a privacy measure: the resolver tells each server "
        "only as much of the name as that server needs to send it on. It is off here, so "
        "each server sees the whole question, as in the lesson; Unbound turns it on by "
        "default (Unbound 1.17, Debian 12) and then tells the root only 'example.' and the "
        "TLD only 'shop.example.'.",
    )
