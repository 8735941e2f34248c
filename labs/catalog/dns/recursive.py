"""The dns lab's recursive walk: the lab's root, TLD and authoritative
servers (`labs.catalog.dns.walk`), a real Unbound resolver whose root hints
name the lab's root (`labs.catalog.dns.unbound`), and the lab asking that
resolver like a laptop's stub resolver does: the first question makes it
walk root -> example. -> shop.example.; the same question a moment later
is answered from its cache, with a lower TTL; the other questions of the
scenario then go straight to shop.example.'s server (the referrals are
cached too).

Live capture on `lo` sees both sides: the lab's questions to the
resolver's port, and the resolver's own questions to port 53. A
reconstructed capture records the lab's socket and the lab's three
servers' sockets, so the walk is there too, with rebuilt headers."""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace

from labs.catalog.dns.result import DnsResult
from labs.catalog.dns.server import DnsServer
from labs.catalog.dns.unbound import Unbound, available
from labs.catalog.dns.walk import Addresses, start_servers
from labs.kit import (
    Capture,
    Endpoint,
    LabContext,
    LabError,
    LabRequest,
    Plan,
    Recording,
    capture_run,
)

LAB = "dns"
#: The walk's first question, asked twice (the second time from the cache).
FIRST = ("shop.example.", "A")

Ask = Callable[[Capture, Endpoint, str, str, float], None]


def why_not() -> str | None:
    """Why the walk cannot run on this machine (None: it can)."""
    if os.geteuid() != 0:
        return "the walk's root, TLD and authoritative servers need port 53, which needs root"
    return available()


def wait_for_next_seconds(ctx: LabContext) -> float:
    """Wait until the wall clock has passed two whole-second marks (1 to 2
    s): a cache counts TTLs down in whole seconds, so the second answer's
    TTL is lower by 2 (1 if a tick falls between the answer and this)."""
    pause = 2.0 - time.time() % 1.0 + 0.05
    if ctx.cancel.wait(pause):
        ctx.check()
    return round(pause, 3)


def record(
    req: LabRequest, ctx: LabContext, asked: tuple[tuple[str, str], ...], ask: Ask
) -> Recording[DnsResult]:
    where: list[Addresses] = []
    resolver: list[Endpoint] = []
    servers: list[DnsServer] = []

    def setup(stack: ExitStack) -> Plan:
        ctx.say("Starting the lab's root, example. and shop.example. servers on port 53 ...")
        try:
            addresses, started = start_servers(stack)
        except OSError as exc:
            raise LabError(
                f"The lab's DNS servers could not start: {exc.strerror or exc}."
            ) from None
        ctx.say(f"Starting Unbound, a real recursive resolver, on {addresses.resolver} ...")
        unbound = stack.enter_context(Unbound(addresses.resolver, addresses.root))
        where.append(addresses)
        servers.extend(started)
        resolver.append(Endpoint(socket.AF_INET, addresses.resolver, unbound.port))
        # The resolver's port is the lab's server port; its walk goes to port 53
        # of servers this process runs (see labs.capture.live: "opened here").
        return Plan(resolver[0].shown, (unbound.port,), "udp", "lo", None, (53, 53))

    def talk(cap: Capture, plan: Plan) -> DnsResult:
        if cap.kind == "reconstructed":
            # Unbound's questions never pass through the lab's own sockets,
            # but they arrive at the lab's servers: record them there.
            for dns in servers:
                dns.wrap_socket(lambda sock: cap.wrap(sock, server_side=True))
        server, pause = resolver[0], 0.0
        for n, (name, qtype) in enumerate(asked):
            ctx.check()
            if n == 1:
                ctx.say("Waiting a moment, then asking the same again: the cache should answer.")
                pause = wait_for_next_seconds(ctx)
            ctx.say(f"Asking the resolver {server.shown}: {qtype} {name}")
            ask(cap, server, name, qtype, req.timeout)
        roles = tuple(where[0].names.items())
        return DnsResult(server.port, asked, "recursive", roles, "", pause)

    rec = capture_run(ctx, LAB, setup, talk)
    return replace(rec, raws=tuple(r for r in rec.raws if _in_lab(r.data, where[0])))


def _in_lab(data: bytes, where: Addresses) -> bool:
    """A packet to or from the lab's 127.53.N.0/24: another program's DNS on
    lo to port 53 during the run matches the capture filter, but is not the
    lab's."""
    if len(data) < 20 or data[0] >> 4 != 4:
        return False
    net = ipaddress.ip_network(f"{where.net}.0/24")
    ends = (ipaddress.IPv4Address(data[12:16]), ipaddress.IPv4Address(data[16:20]))
    return any(end in net for end in ends)
