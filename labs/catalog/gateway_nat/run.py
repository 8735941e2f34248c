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
from dataclasses import replace
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import ARP

from labs.catalog.gateway_nat import slow
from labs.catalog.gateway_nat.explain import (
    Pair,
    addresses,
    compare_table,
    conntrack_section,
    find_pairs,
    pair_text,
    walk,
)
from labs.catalog.gateway_nat.result import NatResult
from labs.core.base import LabContext, RawPacket
from labs.kit import LabRequest, Recording, make_trace, now, recording
from labs.kit.netlab import (
    GATEWAY_NAT,
    arp_step,
    conditions,
    draw,
    frames,
    netlab,
    netns,
    routes,
    routing_sim,
)
from labs.model.trace import Fact, Section, Step, Trace

LAB = "gateway-nat"
RESULT = NatResult
LAN = "192.168.1.0/24"
PORT = 80
#: The slow link's random drops: None, different every run (tests fix it).
SEED: int | None = None
#: Where the conditions go: the gateway's LAN side is the slow link, its
#: Internet side the narrow cable.
WHERE = conditions.Where(
    "gw", "lan0", "wan0", (("gw", "wan0"), ("server", "eth0")), ("gw",),
    cable="the gateway's Internet side (its wan0 and the server's eth0)",
)  # fmt: skip
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _phase(p: Any, seen_data: bool) -> str:
    flags = int(p[TCP].flags)
    if flags & 0x01:
        return "close"
    if len(p[TCP].payload):
        return "data"
    return "tcp-connect" if not seen_data else ""


def _steps(raws: tuple[RawPacket, ...], pkts: list[Any], pairs: list[Pair]) -> tuple[Step, ...]:
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


def _facts(raws: tuple[RawPacket, ...], pkts: list[Any], pairs: list[Pair]) -> tuple[Fact, ...]:
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
                label="Who the server sees as the sender",
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
                label="Address the gateway rewrites going out",
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
                label="ARP before the first IP packet",
            )
        )
    return tuple(facts)


def _sections(
    run: NatResult, pkts: list[Any], pairs: list[Pair], simulated: bool
) -> tuple[Section, ...]:
    topo = GATEWAY_NAT
    laptop_ip, _public, server_ip = addresses()
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
            "The gateway's NAT rule" + (" (simulated)" if simulated else ""),
            run.ruleset,
            "code",
        )
    )
    out.extend(conntrack_section(run.conntrack, run.conntrack_source, pairs, pkts, simulated))
    out.append(Section("The NAT table, step by step", walk(pairs, pkts, topo, run.ruleset)))
    for role, dst in (("laptop", server_ip), ("gw", server_ip), ("server", laptop_ip)):
        node = topo.node(role)
        table = routes.parse(run.tables[role])
        out.append(routes.table_section(node.label, table, dst, routes.table_source(simulated)))
        out.append(
            Section(
                f"How {node.label} chose where to send a packet for {dst}",
                routes.explain(node.label, routes.lookup(table, dst)),
            )
        )
    return tuple(out)


def _live(
    timeout: float, ctx: LabContext, cond: conditions.Conditions
) -> tuple[list[RawPacket], NatResult]:
    topo = GATEWAY_NAT
    _laptop_ip, _public, server_ip = addresses()
    gw = topo.node("gw")
    with netns.network(topo, ctx) as net, conditions.slowed(net, cond, WHERE, ctx, SEED) as link:
        tables = net.tables()
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
        client = net.agent("laptop", "request", host=server_ip, port=PORT, timeout=timeout)
        client.read(timeout + 5, ctx)
        sniffer.tell("stop")
        sniffed = sniffer.read(10, ctx)
        server.tell("stop")
        made = None if cond.perfect else link.made(ctx)
    names = {
        i.name: f"{'LAN' if i.name.startswith('lan') else 'Internet'} side ({i.name})"
        for i in gw.interfaces
    }
    raws = netlab.agent_raws(sniffed["frames"], lambda i: names.get(i, i))
    track = sniffed["conntrack"]
    return raws, NatResult(tables, ruleset, tuple(track["lines"]), track["source"], made)


def record(req: LabRequest, ctx: LabContext) -> Recording[NatResult]:
    started, clock = now()
    where = "on both sides of the gateway"
    capture, note = netlab.choose(req.option("simulate"), GATEWAY_NAT, where)
    # --mtu narrows WHERE.narrow, the gateway's Internet side: no routers pair here.
    cond = conditions.Conditions.asked(req.options)
    cond = replace(cond, mtu_where="on the gateway's Internet side")
    if capture == "simulated":
        sim = routing_sim.gateway_nat(GATEWAY_NAT, LAN, PORT)
        tables = routing_sim.tables(GATEWAY_NAT)
        raws, result = sim.frames, NatResult(tables, sim.ruleset, tuple(sim.conntrack), "simulated")
        if not cond.perfect:
            note += (f" The conditions you asked for ({cond.describe()}) need the namespace "
                     "version: the simulator does not apply them.")  # fmt: skip
    else:
        raws, result = _live(req.timeout, ctx, cond)
        if result.made is not None:
            note += f" The network: {cond.describe()}, made by {result.made.mechanism}."
    laptop_ip, _public, server_ip = addresses()
    target = f"http://{server_ip}:{PORT}/whoami from {laptop_ip} through the gateway"
    return recording(LAB, target, capture, note, raws, result, started, clock)


def explain(rec: Recording[NatResult]) -> Trace:
    simulated = rec.capture == "simulated"
    pkts = frames(rec.raws)
    pairs = find_pairs(rec.raws, pkts)
    trace = make_trace(
        rec,
        steps=netlab.timed(_steps(rec.raws, pkts, pairs), rec.raws),
        sections=_sections(rec.result, pkts, pairs, simulated),
        facts=_facts(rec.raws, pkts, pairs),
        client=addresses()[0],
    )
    made = rec.result.made
    lost = slow.loss_step(trace, pairs, made)
    steps = (
        tuple(sorted((*trace.steps, lost), key=lambda s: min(s.packets))) if lost else trace.steps
    )
    extra = tuple(slow.sections(trace, pairs, made))
    trace = replace(trace, steps=steps, sections=trace.sections[:2] + extra + trace.sections[2:])
    return netlab.mark_simulated(trace) if simulated else trace
