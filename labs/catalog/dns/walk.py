"""The dns lab's small Internet for the recursive walk: a root server, a TLD
server for `example.` and the authoritative server for `shop.example.`, each
a dnslib server on its own loopback address, port 53 (a referral gives only
addresses, so the resolver asks every server on port 53).

The root and the TLD server answer like the real ones do: for a name below
a zone they delegate, a referral (no AA flag, the child's NS records in the
authority section and their addresses, the glue, in the additional
section). Their zones use the real delegation TTLs (two days); every
address outside 127.0.0.0/8 is a documentation address (RFC 5737/3849).
"""

from __future__ import annotations

import secrets
from contextlib import ExitStack
from dataclasses import dataclass

from dnslib import QTYPE, RCODE, DNSLabel, DNSRecord
from dnslib.server import DNSHandler

from labs.catalog.dns.server import ZONE, DnsServer, ZoneResolver

#: The servers' names, as the referrals give them.
ROOT_NS = "a.root-servers.example."
TLD_NS = "a.nic.example."
AUTH_NS = "ns1.shop.example."

ROOT_ZONE = """\
.                       86400 IN SOA a.root-servers.example. nstld.root-servers.example. 2026120200 1800 900 604800 86400
.                      518400 IN NS  a.root-servers.example.
a.root-servers.example. 518400 IN A  {root}
example.               172800 IN NS  a.nic.example.
a.nic.example.         172800 IN A   {tld}
"""

TLD_ZONE = """\
example.            900 IN SOA a.nic.example. hostmaster.nic.example. 2026120200 1800 900 604800 86400
example.         172800 IN NS  a.nic.example.
a.nic.example.   172800 IN A   {tld}
a.root-servers.example. 172800 IN A {root}
shop.example.    172800 IN NS  ns1.shop.example.
ns1.shop.example. 172800 IN A  {auth}
"""


class DelegatingResolver(ZoneResolver):
    """A zone's authoritative server that also delegates: a name at or
    below a child zone (one with NS records of its own in this zone) gets a
    referral, the rest an authoritative answer as `ZoneResolver` gives."""

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        cut = self._cut(request.q.qname)
        if cut is None:
            return super().resolve(request, handler)
        reply = request.reply(ra=0, aa=0)
        for rr in self.records[cut]:
            if rr.rtype == QTYPE.NS:
                reply.add_auth(rr)
                for glue in self.records.get(rr.rdata.label, []):
                    if glue.rtype == QTYPE.A:
                        reply.add_ar(glue)
        reply.header.rcode = RCODE.NOERROR
        return reply

    def _cut(self, qname: DNSLabel) -> DNSLabel | None:
        """The highest delegated name `qname` is at or below, if any."""
        for name, rrs in self.records.items():
            if (
                name != self.origin
                and qname.matchSuffix(name)
                and any(rr.rtype == QTYPE.NS for rr in rrs)
            ):
                return name
        return None


@dataclass(frozen=True)
class Addresses:
    """Where each part of the lab's small Internet lives: four addresses of
    one 127.53.N.0/24 (N random, so two runs at once do not meet)."""

    net: str

    @property
    def resolver(self) -> str:
        return f"{self.net}.1"

    @property
    def root(self) -> str:
        return f"{self.net}.2"

    @property
    def tld(self) -> str:
        return f"{self.net}.3"

    @property
    def auth(self) -> str:
        return f"{self.net}.4"

    @property
    def names(self) -> dict[str, str]:
        """Each address's role, as the explanation names it."""
        return {
            self.resolver: "the recursive resolver (Unbound)",
            self.root: f"the root server ({ROOT_NS})",
            self.tld: f"the example. TLD server ({TLD_NS})",
            self.auth: f"shop.example.'s authoritative server ({AUTH_NS})",
        }


def auth_zone(address: str) -> str:
    """The shop.example. zone with its name server at the lab's address."""
    return ZONE.replace("300 IN A     192.0.2.53", f"300 IN A     {address}")


def start_servers(stack: ExitStack, tries: int = 8) -> tuple[Addresses, list[DnsServer]]:
    """Start the root, TLD and authoritative servers on port 53 of a free
    127.53.N.0/24 (needs root: port 53 is privileged) and enter them into
    `stack`. OSError if no block of addresses was free."""
    last: OSError | None = None
    for _ in range(tries):
        where = Addresses(f"127.53.{secrets.randbelow(254) + 1}")
        servers = [
            DnsServer(ROOT_ZONE.format(root=where.root, tld=where.tld), ".", where.root, 53),
            DnsServer(
                TLD_ZONE.format(root=where.root, tld=where.tld, auth=where.auth),
                "example.",
                where.tld,
                53,
            ),
            DnsServer(auth_zone(where.auth), "shop.example.", where.auth, 53),
        ]
        for server in servers[:2]:
            server.resolver = DelegatingResolver(server.zone, server.origin)
        inner = ExitStack()
        try:
            for server in servers:
                inner.enter_context(server)
        except OSError as exc:
            inner.close()
            last = exc
            continue
        stack.enter_context(inner)
        return where, servers
    raise last or OSError("no free loopback addresses")
