"""The dns lab: questions built with scapy, sent over UDP, answered by a DNS
server, and read back byte by byte (header, flags, question, records, TTLs,
name compression).

With no --target, `--mode recursive` (the default, where the machine allows
it: see `labs.catalog.dns.recursive`) asks a real recursive resolver, which
walks the lab's own root, TLD and authoritative servers and then answers
from its cache. `--mode authoritative` (and the fallback without root or
Unbound) starts only the authoritative server for `shop.example.`
(`labs.catalog.dns.server`) and asks it six questions: A, AAAA, a CNAME
chain, MX, TXT and a name that does not exist. With `--target HOST[:PORT]`
it asks the resolver the learner names one question (`--name`, `--type`,
default `example.com.` A).

The recursive mode is the default because module 5's first lesson teaches
the walk root -> TLD -> the zone's server and the cached second answer:
the lab the lesson opens should show exactly that.
"""

from __future__ import annotations

import secrets
import socket
import time
from contextlib import ExitStack
from dataclasses import replace

from labs.catalog.dns import recursive
from labs.catalog.dns.explain import lookup_facts, lookup_sections, lookup_steps
from labs.catalog.dns.result import DnsResult
from labs.catalog.dns.server import DnsServer
from labs.catalog.dns.walk_explain import fallback_section, walk_trace
from labs.catalog.dns.wire import read_lookups
from labs.kit import (
    Capture,
    Endpoint,
    LabContext,
    LabError,
    LabRequest,
    Plan,
    Recording,
    Trace,
    capture_run,
    capture_where,
    make_trace,
    parse_host_port,
    resolve,
    sender_ip,
)

LAB = "dns"
#: The embedded scenario: what a browser, a mail server and an app would ask.
SCENARIO = (
    ("shop.example.", "A"),
    ("shop.example.", "AAAA"),
    ("api.shop.example.", "A"),
    ("shop.example.", "MX"),
    ("shop.example.", "TXT"),
    ("nope.shop.example.", "A"),
)
DEFAULT_QUESTION = ("example.com.", "A")
TARGET_HINT = "Give --target as HOST or HOST:PORT of a DNS server, for example 127.0.0.1:5353."


def ask(cap: Capture, server: Endpoint, name: str, qtype: str, timeout: float) -> None:
    """Send one question built with scapy and wait for the answer with its ID."""
    # lazy: scapy's DNS classes, only once a question is built
    from scapy.layers.dns import DNS, DNSQR

    query = DNS(id=secrets.randbelow(65536), rd=1, qd=DNSQR(qname=name, qtype=qtype))
    where = server.shown
    # A fresh socket (and so a fresh random source port) for every question,
    # as stub resolvers do, which makes forged answers harder to slip in.
    raw_sock = socket.socket(server.family, socket.SOCK_DGRAM)
    try:
        # Wrapped before connect(): a reconstruction learns the peer from it.
        sock = cap.wrap(raw_sock)
        sock.connect((server.address, server.port))
        sock.settimeout(timeout)
        sock.send(bytes(query))
        deadline = time.monotonic() + timeout
        while True:
            reply = sock.recv(65535)
            if len(reply) >= 2 and int.from_bytes(reply[:2], "big") == query.id:
                return
            sock.settimeout(max(0.01, deadline - time.monotonic()))
    except TimeoutError:
        raise LabError(
            f"No DNS answer from {where} within {timeout:g} s.",
            "Check the address and port: is a DNS server there?",
        ) from None
    except ConnectionRefusedError:
        raise LabError(
            f"Nothing answers DNS at {where} (the port is closed).",
            "Check the port: DNS servers usually listen on 53.",
        ) from None
    except OSError as exc:
        raise LabError(f"Could not ask {where}: {exc.strerror or exc}.") from None
    finally:
        raw_sock.close()


def questions(req: LabRequest) -> tuple[tuple[str, str], ...]:
    """What to ask: the scenario (or example.com. A of a target) unless the
    learner named a name or a type (both already checked by the spec)."""
    name, qtype = req.option("name"), req.option("qtype")
    if name is None and qtype is None:
        return SCENARIO if req.target is None else (DEFAULT_QUESTION,)
    if name is None:
        name = SCENARIO[0][0] if req.target is None else DEFAULT_QUESTION[0]
    return ((name, qtype or "A"),)


def record(req: LabRequest, ctx: LabContext) -> Recording[DnsResult]:
    asked = questions(req)
    target = parse_host_port(req.target, 53, TARGET_HINT) if req.target else None
    fallback = ""
    if target is None and req.option("mode") == "recursive":
        fallback = recursive.why_not() or ""
        if not fallback:
            walk = (asked[0], *asked)  # the first question twice: cold, then cached
            return recursive.record(req, ctx, walk, ask)
        ctx.say(f"No recursive walk here: {fallback}. Asking the zone's own server instead.")
    chosen: list[Endpoint] = []

    def setup(stack: ExitStack) -> Plan:
        if target is None:
            ctx.say("Starting the lab's own DNS server for shop.example. on 127.0.0.1 ...")
            dns = stack.enter_context(DnsServer())
            server = Endpoint(socket.AF_INET, "127.0.0.1", dns.port)
        else:
            server = resolve(*target, socket.SOCK_DGRAM)
        chosen.append(server)
        iface, host = capture_where(server)
        return Plan(server.shown, (server.port,), "udp", iface, host)

    def talk(cap: Capture, plan: Plan) -> DnsResult:
        server = chosen[0]
        for name, qtype in asked:
            ctx.check()
            ctx.say(f"Asking {server.shown}: {qtype} {name}")
            ask(cap, server, name, qtype, req.timeout)
        return DnsResult(server.port, asked, fallback=fallback)

    return capture_run(ctx, LAB, setup, talk)


def explain(rec: Recording[DnsResult]) -> Trace:
    if rec.result.mode == "recursive":
        return walk_trace(rec)
    port = rec.result.port
    # The questions' source: the narration calls it "your computer".
    trace = make_trace(rec, decode_as={port: "dns"}, client=sender_ip(rec.raws[0]), steps=())
    lookups = read_lookups(trace.packets, port)
    if not lookups:
        raise LabError("The capture did not contain the DNS questions.", "Run the lab again.")
    return replace(
        trace,
        steps=lookup_steps(lookups, trace.packets),
        sections=fallback_section(rec.result.fallback) + lookup_sections(lookups),
        facts=lookup_facts(lookups),
    )


RESULT = DnsResult
