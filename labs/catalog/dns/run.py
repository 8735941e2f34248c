"""The dns lab: questions built with scapy, sent over UDP, answered by a DNS
server, and read back byte by byte (header, flags, question, records, TTLs,
name compression).

With no --target the lab starts its own authoritative server for
`shop.example.` (`labs.catalog.dns.server`) and asks six questions: A, AAAA, a
CNAME chain, MX, TXT and a name that does not exist. With `--target
HOST[:PORT]` it asks the resolver the learner names one question (`--name`,
`--type`, default `example.com.` A).
"""

from __future__ import annotations

import re
import secrets
import socket
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from labs.base import LabContext, LabOptions, RawPacket
from labs.catalog.dns.explain import lookup_facts, lookup_sections, lookup_steps
from labs.catalog.dns.wire import read_lookups
from labs.errors import BadInput, LabError
from labs.hostport import Endpoint, capture_where, parse_host_port, resolve
from labs.trace import Trace

if TYPE_CHECKING:
    from labs.capture.core import Capture

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
COMMON_TYPES = "A, AAAA, CNAME, MX, TXT, NS, SOA"

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")
TARGET_HINT = "Give --target as HOST or HOST:PORT of a DNS server, for example 127.0.0.1:5353."


def check_name(name: str) -> str:
    """A domain name as DNS carries it (ASCII, ending with a dot), or BadInput."""
    text = name.strip()
    try:
        ascii_name = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.rstrip(".").split(".")
    if (
        not ascii_name
        or ascii_name == "."
        or len(ascii_name.rstrip(".")) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        raise BadInput(
            f"{name!r} is not a domain name.",
            "Use labels of letters, digits and hyphens separated by dots, like shop.example.",
        )
    return ascii_name.rstrip(".") + "."


def check_type(qtype: str) -> str:
    """A record type name scapy knows ("AAAA", "TYPE65", "65"), or BadInput."""
    from scapy.layers.dns import dnstypes

    text = qtype.strip().upper()
    names = {v: k for k, v in dnstypes.items()}
    if text in names:
        return text
    number = text.removeprefix("TYPE")
    if number.isdigit() and 0 < int(number) < 65536:
        return str(dnstypes.get(int(number), f"TYPE{int(number)}"))
    raise BadInput(f"{qtype!r} is not a DNS record type.", f"Try one of {COMMON_TYPES}.")


def ask(cap: Capture, server: Endpoint, name: str, qtype: str, timeout: float) -> None:
    """Send one question built with scapy and wait for the answer with its ID."""
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


def questions(options: LabOptions) -> tuple[tuple[str, str], ...]:
    if options.name is None and options.qtype is None:
        return SCENARIO if options.target is None else (DEFAULT_QUESTION,)
    name = check_name(options.name) if options.name is not None else DEFAULT_QUESTION[0]
    if options.name is None and options.target is None:
        name = SCENARIO[0][0]
    qtype = check_type(options.qtype) if options.qtype is not None else "A"
    return ((name, qtype),)


def run(options: LabOptions, ctx: LabContext) -> Trace:
    from labs.capture.core import open_capture
    from labs.dissect.core import build_trace

    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    asked = questions(options)
    target = parse_host_port(options.target, 53, TARGET_HINT) if options.target else None
    with ExitStack() as stack:
        if target is None:
            from labs.catalog.dns.server import DnsServer

            ctx.say("Starting the lab's own DNS server for shop.example. on 127.0.0.1 ...")
            dns = stack.enter_context(DnsServer())
            server = Endpoint(socket.AF_INET, "127.0.0.1", dns.port)
        else:
            server = resolve(*target, socket.SOCK_DGRAM)
        port = server.port
        iface, host = capture_where(server)
        with open_capture(ctx, ports=[port], proto="udp", iface=iface, host=host) as cap:
            for name, qtype in asked:
                ctx.check()
                ctx.say(f"Asking {server.shown}: {qtype} {name}")
                ask(cap, server, name, qtype, options.timeout)
            cap.settle()
        raws: list[RawPacket] = cap.packets()
    lookups = read_lookups(raws, port)
    if not lookups:
        raise LabError("The capture did not contain the DNS questions.", "Run the lab again.")
    return build_trace(
        lab=LAB,
        target=server.shown,
        capture=cap.kind,
        raws=raws,
        capture_note=cap.note,
        decode_as={port: "dns"},
        steps=lambda packets: lookup_steps(lookups, packets),
        sections=lookup_sections(lookups),
        facts=lookup_facts(lookups),
        started=started,
        duration=round(time.monotonic() - clock, 3),
        # The questions' source: the narration calls it "your computer".
        client=lookups[0].query.src,
    )
