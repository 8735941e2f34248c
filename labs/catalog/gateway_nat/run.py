"""The gateway-nat lab: a laptop on a private home network (RFC 1918) calls
an API server on the "Internet" (RFC 5737) through a gateway that masquerades.

The lab captures on both sides of the gateway and pairs each packet with
itself before and after translation: the source address and port rewritten
on the way out, the destination put back on the way in, checksums and TTL
changed, and the gateway's connection-tracking entry that remembers it all.
It answers the learner's question: why does the API see a different address
than my laptop has? Everything said is read from the captured bytes.
"""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass
from typing import Any

from labs.base import LabContext, LabOptions, RawPacket
from labs.catalog.gateway_nat.explain import Pair, compare_table, conntrack_section, pair_text, walk
from labs.netsim import netlab, netns, routes, routing_sim
from labs.netsim.netlab import arp_step, frames
from labs.netsim.topology import GATEWAY_NAT, draw
from labs.trace import Fact, Section, Step, Trace

LAN = "192.168.1.0/24"
PORT = 80
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


@dataclass(frozen=True)
class Run:
    """What one run produced, live or simulated."""

    raws: list[RawPacket]
    tables: dict[str, list[dict[str, Any]]]
    ruleset: str
    conntrack: list[str]
    conntrack_source: str


def _addresses() -> tuple[str, str, str]:
    laptop, gw, server = GATEWAY_NAT.nodes
    return laptop.interfaces[0].ip, gw.toward(server.role).ip, server.interfaces[0].ip


def find_pairs(raws: list[RawPacket], pkts: list[Any]) -> list[Pair]:
    """Each TCP packet as it entered the gateway and as it left: same IP
    identification, sequence and acknowledgment numbers, flags and length."""
    from scapy.layers.inet import IP, TCP

    laptop_ip = _addresses()[0]

    def key(p: Any) -> tuple[int, ...]:
        return (p[IP].id, p[TCP].seq, p[TCP].ack, int(p[TCP].flags), len(p[TCP].payload))

    lan: dict[tuple[int, ...], int] = {}
    wan: dict[tuple[int, ...], int] = {}
    for i, p in enumerate(pkts):
        if p.haslayer(TCP):
            side = lan if "lan" in raws[i].interface.lower() else wan
            side.setdefault(key(p), i)
    pairs = []
    for k, i in lan.items():
        j = wan.get(k)
        if j is None:
            continue
        outbound = pkts[i][IP].src == laptop_ip
        pairs.append(Pair(i, j, True) if outbound else Pair(j, i, False))
    return sorted(pairs, key=lambda p: p.before)


def _phase(p: Any, seen_data: bool) -> str:
    from scapy.layers.inet import TCP

    flags = int(p[TCP].flags)
    if flags & 0x01:
        return "close"
    if len(p[TCP].payload):
        return "data"
    return "tcp-connect" if not seen_data else ""


def _steps(raws: list[RawPacket], pkts: list[Any], pairs: list[Pair]) -> tuple[Step, ...]:
    topo = GATEWAY_NAT
    lan = {i for i, r in enumerate(raws) if "lan" in r.interface.lower()}
    steps: list[Step] = []
    for only, name in ((lan, "arp"), (set(range(len(raws))) - lan, "arp-internet")):
        step = arp_step(pkts, topo, only, name)
        if step is not None:
            steps.append(step)
    first_out = next((p for p in pairs if p.outbound), None)
    first_in = next((p for p in pairs if not p.outbound), None)
    for pair, name, title in (
        (first_out, "nat-out", "The first packet leaves: source rewritten"),
        (first_in, "nat-in", "The answer comes back: destination put back"),
    ):
        if pair is not None:
            steps.append(
                Step(name, (pair.before, pair.after), pair_text(pair, pkts, topo), title=title)
            )
    # The rest of the conversation, grouped into phases, each pair translated the same way.
    groups: dict[str, list[Pair]] = {}
    phase, seen_data = "tcp-connect", False
    for pair in pairs:
        if pair in (first_out, first_in):
            continue
        now = _phase(pkts[pair.before], seen_data)
        if now == "data":
            now = "request" if pair.outbound else "response"
            seen_data = True
        if now == "close" or phase == "close":
            now = "close"
        phase = now or phase
        groups.setdefault(phase, []).append(pair)
    titles = {
        "tcp-connect": "The rest of the handshake",
        "request": "The request",
        "response": "The response",
        "close": "Closing the connection",
    }
    for name, members in groups.items():
        out = sum(1 for p in members if p.outbound)
        many = len(members) != 1
        text = (
            f"{len(members)} more packet{'s' if many else ''} crossed the gateway here ({out} "
            f"out, {len(members) - out} back), translated the same way with the same "
            "connection-tracking entry: "
            + "; ".join(pair_text(p, pkts, topo, short=True) for p in members[:2])
            + "."
        )
        indexes = tuple(sorted(i for p in members for i in (p.before, p.after)))
        steps.append(Step(name, indexes, text, title=titles[name]))
    return tuple(sorted(steps, key=lambda s: min(s.packets)))


def _why(pkts: list[Any], pairs: list[Pair]) -> str:
    from scapy.layers.inet import IP, TCP

    first = next((p for p in pairs if p.outbound), None)
    if first is None:
        return "No packet crossed the gateway, so there is nothing to compare."
    before, after = pkts[first.before], pkts[first.after]
    mine, seen = before[IP].src, after[IP].src
    ranges = [str(n) for n in RFC1918 if ipaddress.IPv4Address(mine) in n]
    private = (
        f"{mine} is in {ranges[0]}, one of the private ranges of RFC 1918 that any home or "
        "office may use, so thousands of networks reuse it and the Internet cannot route to it."
        if ranges
        else f"{mine} is the laptop's own address."
    )
    said = ""
    for pair in pairs:
        body = bytes(pkts[pair.after][TCP].payload)
        if not pair.outbound and b"you_are" in body:
            try:
                said = json.loads(body.split(b"\r\n\r\n", 1)[1])
            except (ValueError, IndexError):
                said = ""
    told = (
        f" The API said so itself: it answered that it saw the request come from "
        f"{said['you_are']}:{said['your_port']}."
        if isinstance(said, dict)
        else ""
    )
    return (
        f"Your laptop's address is {mine}. {private} The gateway therefore replaces it with its "
        f"own public address, {seen}, on every packet it sends out (port {before[TCP].sport} "
        f"became {after[TCP].sport}), and remembers the swap to undo it on the answers. So the "
        f"API only ever sees {seen}: the address of your gateway, shared by every device "
        f"behind it.{told} That is why an API's logs, rate limits and IP allow-lists talk "
        "about your office's or home's public address, not your laptop's."
    )


def _facts(raws: list[RawPacket], pkts: list[Any], pairs: list[Pair]) -> tuple[Fact, ...]:
    from scapy.layers.inet import IP
    from scapy.layers.l2 import ARP

    facts = []
    first = next((p for p in pairs if p.outbound), None)
    if first is not None:
        before, after = pkts[first.before][IP], pkts[first.after][IP]
        owner = GATEWAY_NAT.owner_of(after.src)
        facts.append(
            Fact(
                "server_sees",
                owner[0].kind if owner else after.src,
                f"On the Internet side the packet comes from {after.src}, not {before.src}.",
                (first.before, first.after),
                "ip.src",
            )
        )
        changed = [n for n in ("src", "dst") if getattr(before, n) != getattr(after, n)]
        facts.append(
            Fact(
                "address_rewritten",
                {"src": "source", "dst": "destination"}[changed[0]]
                if len(changed) == 1
                else "both",
                f"Going out, ip.src changed from {before.src} to {after.src}; ip.dst stayed "
                f"{after.dst}."
                if changed == ["src"]
                else "See the before/after table.",
                (first.before, first.after),
                "ip.src",
            )
        )
    lan = [i for i, r in enumerate(raws) if "lan" in r.interface.lower()]
    arp = next((i for i in lan if pkts[i].haslayer(ARP) and pkts[i][ARP].op == 1), None)
    ip_first = next((i for i in lan if pkts[i].haslayer(IP)), None)
    if arp is not None or ip_first is not None:
        yes = arp is not None and (ip_first is None or arp < ip_first)
        facts.append(
            Fact(
                "arp_first",
                "yes" if yes else "no",
                "The laptop's ARP request for its gateway comes before its first IP packet."
                if yes
                else "No ARP request came before the first IP packet on the LAN side.",
                (arp if arp is not None else ip_first or 0,),
                "arp.opcode",
            )
        )
    return tuple(facts)


def _sections(
    run: Run, pkts: list[Any], pairs: list[Pair], version: netlab.Version
) -> tuple[Section, ...]:
    topo = GATEWAY_NAT
    laptop_ip, _public, server_ip = _addresses()
    out = [
        Section("The network", draw(topo, at="gw", note="NAT happens here"), "code"),
        Section("Why the API sees a different IP than your laptop has", _why(pkts, pairs)),
    ]
    first_out = next((p for p in pairs if p.outbound), None)
    first_in = next((p for p in pairs if not p.outbound), None)
    if first_out is not None:
        out.append(compare_table("The first packet, before and after the gateway", first_out, pkts))
    if first_in is not None:
        out.append(compare_table("The answer, before and after the gateway", first_in, pkts))
    out.append(
        Section(
            "The gateway's NAT rule" + (" (simulated)" if version.simulated else ""),
            run.ruleset,
            "code",
        )
    )
    out.extend(
        conntrack_section(run.conntrack, run.conntrack_source, pairs, pkts, version.simulated)
    )
    out.append(Section("The NAT table, step by step", walk(pairs, pkts, topo, run.ruleset)))
    for role, dst in (("laptop", server_ip), ("gw", server_ip), ("server", laptop_ip)):
        node = topo.node(role)
        table = routes.parse(run.tables[role])
        out.append(routes.table_section(node.label, table, dst, version.table_source))
        out.append(
            Section(
                f"How {node.label} chose where to send a packet for {dst}",
                routes.explain(node.label, routes.lookup(table, dst)),
            )
        )
    return tuple(out)


def _live(options: LabOptions, ctx: LabContext) -> Run:
    topo = GATEWAY_NAT
    _laptop_ip, _public, server_ip = _addresses()
    gw = topo.node("gw")
    with netns.network(topo, ctx) as net:
        tables = {n.role: net.routes(n.role) for n in topo.nodes}
        # Started together: the NAT rule, the API server, the sniffer on both sides.
        nat = net.agent("gw", "nat", lan=LAN)
        server = net.agent("server", "serve", host=server_ip, port=PORT)
        sniffer = net.agent("gw", "sniff", ifaces=[i.name for i in gw.interfaces])
        ruleset = nat.read(15, ctx)["ruleset"]
        server.read(15, ctx)
        sniffer.read(15, ctx)
        for role in ("laptop", "gw", "server"):
            net.ip(role, "neigh", "flush", "all")  # so the ARP exchange happens, and is seen
        ctx.say(f"Your laptop calls the API at {server_ip} through the gateway...")
        client = net.agent("laptop", "request", host=server_ip, port=PORT, timeout=options.timeout)
        client.read(options.timeout + 5, ctx)
        sniffer.tell("stop")
        result = sniffer.read(10, ctx)
        server.tell("stop")
    names = {
        i.name: f"{'LAN' if i.name.startswith('lan') else 'Internet'} side ({i.name})"
        for i in gw.interfaces
    }
    raws = sorted(
        (
            RawPacket(float(t), bytes.fromhex(h), "ethernet", names.get(i, i))
            for t, i, h in result["frames"]
        ),
        key=lambda r: r.time,
    )
    track = result["conntrack"]
    return Run(raws, tables, ruleset, track["lines"], track["source"])


def run(options: LabOptions, ctx: LabContext) -> Trace:
    t0 = time.monotonic()
    version = netlab.choose(options, GATEWAY_NAT, "on both sides of the gateway")
    if version.simulated:
        sim = routing_sim.gateway_nat(GATEWAY_NAT, LAN, PORT)
        result = Run(
            sim.frames, routing_sim.tables(GATEWAY_NAT), sim.ruleset, sim.conntrack, "simulated"
        )
    else:
        result = _live(options, ctx)
    from labs.dissect.core import build_trace

    pkts = frames(result.raws)
    pairs = find_pairs(result.raws, pkts)
    laptop_ip, _public, server_ip = _addresses()
    trace = build_trace(
        lab="gateway-nat",
        target=f"http://{server_ip}:{PORT}/whoami from {laptop_ip} through the gateway",
        capture=version.capture,
        raws=result.raws,
        capture_note=version.note,
        steps=netlab.timed(_steps(result.raws, pkts, pairs), result.raws),
        sections=_sections(result, pkts, pairs, version),
        facts=_facts(result.raws, pkts, pairs),
        started=version.started,
        duration=round(time.monotonic() - t0, 3),
        client=laptop_ip,
    )
    return netlab.mark_simulated(trace) if version.simulated else trace
