"""Reading the recursive walk out of a dns run's packets: each question
and its answer as a `Hop`, with who asked whom (by the addresses the run's
result names) and what kind of answer came back."""

from __future__ import annotations

from dataclasses import dataclass

from labs.catalog.dns.result import DnsResult
from labs.catalog.dns.wire import Lookup, Message, parse_message
from labs.kit import Packet

#: The short names of the walk's roles, by the start of `Addresses.names`.
SHORT = {
    "the recursive": "the resolver",
    "the root": "the root server",
    "the example.": "the TLD server",
    "shop.example.": "the zone's own server",
}


def short(role: str) -> str:
    return next((name for start, name in SHORT.items() if role.startswith(start)), role)


@dataclass(frozen=True)
class Hop:
    """One question and its answer, with who asked whom."""

    lookup: Lookup
    asker: str
    asked: str
    #: Whether this is the lab (your computer) asking the resolver.
    stub: bool

    @property
    def kind(self) -> str:
        resp = self.lookup.response
        if resp is None:
            return "no answer"
        if self.lookup.query.qname == "." and self.lookup.query.qtype == "NS":
            return "priming"
        if resp.section("answer"):
            return "answer"
        if resp.rcode == 0 and any(r.rtype == "NS" for r in resp.section("authority")):
            return "referral"
        return resp.rcode_name


def _address(end: str) -> str:
    return end.rpartition(":")[0]


def read_hops(packets: tuple[Packet, ...], res: DnsResult) -> tuple[Hop, ...]:
    roles = dict(res.roles)
    messages = [m for p in packets if (m := parse_message(p)) is not None]
    hops = []
    for query in messages:
        if query.is_response:
            continue
        response = next(
            (
                m
                for m in messages
                if m.is_response and m.index > query.index and m.id == query.id
                and m.src == query.dst and m.dst == query.src
            ),
            None,
        )  # fmt: skip
        stub = query.dport == res.port
        asker = "your computer" if stub else roles.get(_address(query.src), query.src)
        hops.append(
            Hop(Lookup(query, response), asker, roles.get(_address(query.dst), query.dst), stub)
        )
    return tuple(hops)


def rrs(msg: Message, section: str, rtype: str) -> list[str]:
    return [r.data for r in msg.section(section) if r.rtype == rtype]


def during(hops: tuple[Hop, ...], stub: Hop) -> list[Hop]:
    """The resolver's own questions while it worked on the stub's question."""
    end = stub.lookup.response.index if stub.lookup.response else stub.lookup.query.index
    return [h for h in hops if not h.stub and stub.lookup.query.index < h.lookup.query.index < end]


def first_ttl(hop: Hop) -> int | None:
    resp = hop.lookup.response
    ttls = [r.ttl for r in resp.section("answer")] if resp is not None else []
    return ttls[0] if ttls else None
