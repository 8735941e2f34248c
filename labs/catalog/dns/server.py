"""The dns lab's embedded server: an authoritative DNS server (dnslib) on
127.0.0.1 UDP for a small zone of its own, with documentation addresses only
(RFC 5737 for IPv4, RFC 3849 for IPv6), so nothing it says points anywhere real.

It answers like a real authoritative server does: the AA flag set, RA clear
(it only knows its own zone and will not look anything up for you), CNAME
chains followed inside the zone, NXDOMAIN with the zone's SOA for a name that
does not exist, and REFUSED for names outside the zone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from dnslib import OPCODE, QTYPE, RCODE, RR, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

ORIGIN = "shop.example."

#: The embedded zone. `api` is a two-step CNAME chain (api -> api.edge -> edge),
#: as a CDN or API gateway would set it up.
ZONE = """\
shop.example.          300 IN SOA   ns1.shop.example. hostmaster.shop.example. 2024060101 3600 600 86400 300
shop.example.          300 IN NS    ns1.shop.example.
shop.example.          300 IN A     192.0.2.10
shop.example.          300 IN AAAA  2001:db8::10
shop.example.          300 IN MX    10 mail.shop.example.
shop.example.          300 IN TXT   "v=spf1 -all"
www.shop.example.      300 IN CNAME shop.example.
api.shop.example.       60 IN CNAME api.edge.shop.example.
api.edge.shop.example.  60 IN CNAME edge.shop.example.
edge.shop.example.      30 IN A     192.0.2.20
mail.shop.example.     300 IN A     192.0.2.25
ns1.shop.example.      300 IN A     192.0.2.53
"""

#: The longest CNAME chain we follow before giving up (a loop in the zone).
MAX_CHAIN = 8


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Answers from one zone as its authoritative server."""

    def __init__(self, zone: str = ZONE, origin: str = ORIGIN) -> None:
        self.origin = DNSLabel(origin)
        self.records: dict[DNSLabel, list[RR]] = {}
        for rr in RR.fromZone(zone):
            self.records.setdefault(rr.rname, []).append(rr)
        self.soa = next(rr for rr in self.records[self.origin] if rr.rtype == QTYPE.SOA)

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply(ra=0, aa=1)
        if request.header.opcode != OPCODE.QUERY:
            reply.header.rcode = RCODE.NOTIMP
            reply.header.aa = 0
            return reply
        qname, qtype = request.q.qname, request.q.qtype
        if not qname.matchSuffix(self.origin):
            reply.header.rcode = RCODE.REFUSED
            reply.header.aa = 0
            return reply
        name = qname
        for _ in range(MAX_CHAIN):
            rrs = self.records.get(name)
            if rrs is None:
                reply.header.rcode = RCODE.NXDOMAIN
                reply.add_auth(self.soa)
                return reply
            wanted = [rr for rr in rrs if rr.rtype == qtype or qtype == QTYPE.ANY]
            cname = next((rr for rr in rrs if rr.rtype == QTYPE.CNAME), None)
            if wanted or cname is None:
                break
            reply.add_answer(cname)
            name = cname.rdata.label
            if not name.matchSuffix(self.origin):
                return reply
        for rr in wanted:
            reply.add_answer(rr)
            if rr.rtype in (QTYPE.MX, QTYPE.NS):
                self._add_addresses(reply, rr.rdata.label)
        if not reply.rr:
            # The name exists but has no record of this type ("NODATA").
            reply.add_auth(self.soa)
        return reply

    def _add_addresses(self, reply: DNSRecord, host: DNSLabel) -> None:
        for rr in self.records.get(host, []):
            if rr.rtype in (QTYPE.A, QTYPE.AAAA):
                reply.add_ar(rr)


class _Quiet(DNSLogger):  # type: ignore[misc]
    """dnslib logs every query to stdout by default; the lab prints its own story."""

    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error", prefix=False)


class DnsServer:
    """The embedded DNS server on 127.0.0.1, UDP, with an ephemeral port.

    Use as a context manager; `port` is set once started. `zone`/`origin`
    let tests start a second, different server.
    """

    def __init__(
        self, zone: str = ZONE, origin: str = ORIGIN, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host = host
        self.port = port
        self.zone, self.origin = zone, origin
        self.resolver = ZoneResolver(zone, origin)
        self._server: DNSServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DnsServer:
        self._server = DNSServer(self.resolver, address=self.host, port=self.port, logger=_Quiet())
        self.port = self._server.server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="dns-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def wrap_socket(self, wrap: Callable[[Any], Any]) -> None:
        """Let a reconstructed capture record this server's side: its socket
        becomes `wrap(socket)`, a recording proxy over the same descriptor
        (socketserver reads `server.socket` for every datagram)."""
        if self._server is not None:
            self._server.server.socket = wrap(self._server.server.socket)

    def stop(self) -> None:
        if self._server is None:
            return
        if self._thread is not None and self._thread.is_alive():
            self._server.server.shutdown()
            self._thread.join(timeout=5)
        self._server.server.server_close()
        self._server = None

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
