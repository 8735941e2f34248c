"""The traceroute lab: TTL-limited probes from host A through router 1 and
router 2 to host B, built for real in network namespaces (or simulated).

Each probe leaves with a TTL one larger than the last; every router takes 1
off, and the one that reaches 0 drops the probe and answers ICMP "time
exceeded" from its own address. That answer is how the route is discovered.
What the lab explains (hops, round-trip times, which router answered) is
read from the captured bytes; each router's routing table is read from the
router itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from scapy.layers.inet import ICMP, IP, TCP, IPerror

from labs.catalog.traceroute import slow
from labs.catalog.traceroute.result import TracerouteResult
from labs.core.base import LabContext, RawPacket
from labs.kit import LabRequest, Recording, make_trace, now, recording
from labs.kit.netlab import (
    TRACEROUTE,
    Topology,
    arp_step,
    cap,
    conditions,
    draw,
    frames,
    netlab,
    netns,
    probe_key,
    routes,
    routing_sim,
)
from labs.model.trace import Fact, Section, Step, Trace

LAB = "traceroute"
RESULT = TracerouteResult
SOURCE, DEST_ROLE = "a", "b"
MAX_TTL = 8
#: The slow link's random drops: None, different every run (tests fix it).
SEED: int | None = None


@dataclass(frozen=True)
class Hop:
    """One TTL: the probe sent, and the answer that came back (if any)."""

    ttl: int
    probe: int
    answer: int | None = None
    responder: str = ""
    #: "11/0" time exceeded, "3/3" port unreachable, "0/0" echo reply, "SYN-ACK", "RST"
    kind: str = ""
    rtt_ms: float | None = None
    #: The TTL the probe still had when it reached the responder (quoted in ICMP errors).
    ttl_at_responder: int | None = None
    reached: bool = False
    extra: tuple[int, ...] = ()


def _source() -> str:
    return TRACEROUTE.node(SOURCE).interfaces[0].ip


def _destination() -> str:
    return TRACEROUTE.node(DEST_ROLE).interfaces[0].ip


def find_hops(raws: tuple[RawPacket, ...], src: str, dst: str) -> list[Hop]:
    """Pair each probe with its answer, straight from the frames."""
    pkts = frames(raws)
    hops: list[Hop] = []
    by_key: dict[Any, int] = {}
    for i, pkt in enumerate(pkts):
        if not pkt.haslayer(IP):
            continue
        ip = pkt[IP]
        key = probe_key(pkt)
        if ip.src == src:
            if pkt.haslayer(TCP) and pkt[TCP].flags & 0x04 and hops:
                hops[-1] = replace(hops[-1], extra=hops[-1].extra + (i,))
                continue
            by_key[key] = len(hops)
            hops.append(Hop(ttl=ip.ttl, probe=i))
            continue
        n = by_key.get(key)
        if n is None or hops[n].answer is not None:
            continue
        if pkt.haslayer(ICMP) and pkt[ICMP].type in (3, 11):
            kind = f"{pkt[ICMP].type}/{pkt[ICMP].code}"
            quoted = pkt[IPerror].ttl if pkt.haslayer(IPerror) else None
        elif pkt.haslayer(ICMP):
            kind, quoted = f"{pkt[ICMP].type}/{pkt[ICMP].code}", None
        else:
            kind, quoted = ("SYN-ACK" if pkt[TCP].flags & 0x12 == 0x12 else "RST"), None
        rtt = (raws[i].time - raws[hops[n].probe].time) * 1000
        hops[n] = replace(
            hops[n],
            answer=i,
            responder=ip.src,
            kind=kind,
            rtt_ms=round(rtt, 3),
            ttl_at_responder=quoted,
            reached=ip.src == dst,
        )
    return hops


def _hop_text(
    hop: Hop, topo: Topology, simulated: bool, made: conditions.Made | None, raws: Any
) -> str:
    """One hop in words, every number read from the probe and its answer."""
    who = topo.label_of(hop.responder)
    rtt = (
        ""
        if simulated or hop.rtt_ms is None
        else f" The answer came back {hop.rtt_ms:.2f} ms later."
        + slow.rtt_text(made, hop.responder, hop.rtt_ms)
    )
    if hop.answer is None:
        return (
            f"The probe with TTL {hop.ttl} got no answer in time: traceroute prints `*` for "
            "this hop. A router may drop such probes silently (a firewall, or a limit on "
            "how many ICMP errors it sends), so `*` does not mean the path is broken."
            + slow.lost_text(made, raws[hop.probe])
        )
    found = topo.owner_of(hop.responder)
    side = f", its address on the side facing {topo.node(found[1].peer).label}" if found else ""
    arrived = (
        f" It arrived there with TTL {hop.ttl_at_responder} (the copy of the probe inside "
        "the ICMP message says so)."
        if hop.ttl_at_responder is not None
        else ""
    )
    if hop.kind == "11/0":
        return (
            f"The probe left with TTL {hop.ttl}. {cap(who)} ({hop.responder}{side}) received it with "
            f"TTL {hop.ttl_at_responder}; forwarding it would take that to 0, so it dropped the "
            "probe and sent back ICMP type 11 code 0, 'time exceeded in transit', from its own "
            f"address. That is how host A learns hop {hop.ttl} is {hop.responder}.{rtt}"
        )
    if hop.kind == "3/3":
        return (
            f"The probe with TTL {hop.ttl} reached {who} ({hop.responder}) itself.{arrived} "
            "Nothing listens on the UDP port it was sent to, so the host answered ICMP type 3 "
            f"code 3, 'port unreachable': the destination is reached, the trace stops.{rtt}"
        )
    if hop.kind == "0/0":
        return (
            f"The echo request with TTL {hop.ttl} reached {who} ({hop.responder}), which answered "
            f"with an ICMP echo reply (type 0): the destination is reached, the trace stops.{rtt}"
        )
    if hop.kind == "SYN-ACK":
        return (
            f"The SYN with TTL {hop.ttl} reached {who} ({hop.responder}); a server listens on that "
            "port, so it answered SYN-ACK, ready to open a connection: the destination is "
            "reached. Host A's own system never asked for this connection (the lab built the "
            f"SYN by hand), so it answers RST and nothing is opened.{rtt}"
        )
    return f"{cap(who)} ({hop.responder}) answered {hop.kind}.{rtt}"


def _steps(
    raws: tuple[RawPacket, ...],
    hops: list[Hop],
    topo: Topology,
    simulated: bool,
    made: conditions.Made | None = None,
) -> tuple[Step, ...]:
    steps = []
    arp = arp_step(frames(raws), topo)
    if arp is not None:
        steps.append(arp)
    for hop in hops:
        members = (hop.probe,) + ((hop.answer,) if hop.answer is not None else ()) + hop.extra
        who = topo.label_of(hop.responder) if hop.answer is not None else "*"
        steps.append(
            Step(
                f"hop {hop.ttl}",
                members,
                _hop_text(hop, topo, simulated, made, raws),
                title=f"TTL {hop.ttl}: {who}",
            )
        )
    return tuple(steps)


def _report(hops: list[Hop], topo: Topology, dst: str, mode: str, simulated: bool) -> str:
    lines = [
        f"traceroute to {dst} ({topo.label_of(dst)}), {MAX_TTL} hops max, {mode.upper()} probes"
    ]
    for hop in hops:
        if hop.answer is None:
            lines.append(f"{hop.ttl:2d}  *")
            continue
        rtt = (
            "(not measured: simulated)"
            if simulated or hop.rtt_ms is None
            else f"{hop.rtt_ms:.3f} ms"
        )
        lines.append(f"{hop.ttl:2d}  {hop.responder:<14} {topo.label_of(hop.responder):<9} {rtt}")
    return "\n".join(lines)


def _facts(hops: list[Hop], topo: Topology) -> tuple[Fact, ...]:
    facts = []
    answered = [h for h in hops if h.answer is not None]
    first = next((h for h in answered if h.ttl == 1), None)
    if first is not None:
        facts.append(
            Fact(
                "ttl1_responder",
                topo.label_of(first.responder),
                f"The probe sent with TTL 1 was answered by {first.responder}.",
                (first.probe, first.answer or 0),
                "ip.src",
                label="Who answered the TTL 1 probe",
            )
        )
    if answered and answered[-1].reached:
        facts.append(
            Fact(
                "hops",
                str(len(hops)),
                f"{len(hops)} TTL values were needed to reach {answered[-1].responder}.",
                tuple(h.answer or 0 for h in answered),
                "icmp.type",
                label="Hops to the destination",
            )
        )
    expired = [h for h in answered if not h.reached]
    kinds = {h.kind.split("/")[0] for h in expired}
    if len(kinds) == 1:
        facts.append(
            Fact(
                "expiry_icmp_type",
                kinds.pop(),
                "The ICMP type of every router's answer (11: time exceeded).",
                tuple(h.answer or 0 for h in expired),
                "icmp.type",
                label="ICMP type of the routers' answers",
            )
        )
    return tuple(facts)


def _sections(
    hops: list[Hop], result: TracerouteResult, simulated: bool, raws: tuple[RawPacket, ...]
) -> tuple[Section, ...]:
    topo, dst, mode = TRACEROUTE, _destination(), result.mode
    how = routes.table_source(simulated)
    made = result.made
    out = [
        Section("The network", draw(topo, at="r1", note=made.mechanism) if made else draw(topo),
                "code"),
        Section(
            "The route, as traceroute prints it", _report(hops, topo, dst, mode, simulated), "code"
        ),
        *slow.sections(made, hops, raws),
    ]  # fmt: skip
    for role in ("a", "r1", "r2"):
        node = topo.node(role)
        table = routes.parse(result.tables[role])
        out.append(routes.table_section(node.label, table, dst, how))
        out.append(
            Section(
                f"How {node.label} chose where to send it",
                routes.explain(node.label, routes.lookup(table, dst)),
            )
        )
    ends = []
    for hop in hops:
        found = topo.owner_of(hop.responder) if hop.answer is not None else None
        if found is not None:
            what = "reaches its destination" if hop.reached else "expires"
            ends.append(draw(topo, at=found[0].role, note=f"TTL {hop.ttl}: the probe {what} here"))
    if ends:
        out.append(Section("Where each probe ended", "\n\n".join(ends), "code"))
    out.append(
        Section(
            "Why TTL exists",
            "Every IP packet carries a Time To Live. Each router subtracts 1 and drops the packet "
            "when it would reach 0, telling the sender with ICMP 'time exceeded'. Without it, a "
            "packet caught in a routing loop would circle forever. traceroute turns this safety "
            "net into a measuring tool: TTL 1 makes the first router answer, TTL 2 the second, "
            "and so on until the destination itself answers.",
        )
    )
    return tuple(out)


def _live(
    mode: str, timeout: float, ctx: LabContext, cond: conditions.Conditions
) -> tuple[list[RawPacket], TracerouteResult]:
    topo, dst = TRACEROUTE, _destination()
    src = topo.node(SOURCE).interfaces[0]
    # Each probe waits for its answer a little longer than the slow link holds it.
    wait = max(0.2, min(2.0, timeout / 5)) + (cond.delay_ms + 2 * cond.jitter_ms) / 1000
    with (
        netns.network(topo, ctx) as net,
        conditions.slowed(net, cond, conditions.Where(), ctx, SEED) as link,
    ):
        tables = net.tables()
        if mode == "tcp":
            server = net.agent(DEST_ROLE, "serve", host=dst, port=80)
            server.read(10, ctx)
        ctx.say(f"Sending {mode.upper()} probes from host A with TTL 1, 2, 3...")
        agent = net.agent(
            SOURCE, "traceroute", dst=dst, src=src.ip, iface=src.name,
            mode=mode, wait=wait, max_ttl=MAX_TTL,
        )  # fmt: skip
        sniffed = agent.read(MAX_TTL * wait + 15, ctx)
        made = None if cond.perfect else link.made(ctx)
    where = f"{topo.node(SOURCE).label} {src.name}"
    raws = netlab.agent_raws(sniffed["frames"], lambda _i: where)
    return raws, TracerouteResult(mode, tables, made)


def record(req: LabRequest, ctx: LabContext) -> Recording[TracerouteResult]:
    mode = req.option("mode") or "udp"
    started, clock = now()
    capture, note = netlab.choose(req.option("simulate"), TRACEROUTE, "on host A's network card")
    dst = _destination()
    cond = conditions.Conditions.asked(req.options)
    if capture == "simulated":
        raws = routing_sim.traceroute(TRACEROUTE, SOURCE, dst, mode, MAX_TTL)
        result = TracerouteResult(mode, routing_sim.tables(TRACEROUTE))
        if not cond.perfect:
            note += (f" The conditions you asked for ({cond.describe()}) need the namespace "
                     "version: the simulator does not apply them.")  # fmt: skip
    else:
        raws, result = _live(mode, req.timeout, ctx, cond)
        if result.made is not None:
            note += f" The network: {cond.describe()}, made by {result.made.mechanism}."
    target = f"{dst} ({TRACEROUTE.label_of(dst)}), {mode.upper()} probes"
    return recording(LAB, target, capture, note, raws, result, started, clock)


def explain(rec: Recording[TracerouteResult]) -> Trace:
    simulated = rec.capture == "simulated"
    hops = find_hops(rec.raws, _source(), _destination())
    trace = make_trace(
        rec,
        steps=netlab.timed(
            _steps(rec.raws, hops, TRACEROUTE, simulated, rec.result.made), rec.raws
        ),
        sections=_sections(hops, rec.result, simulated, rec.raws),
        facts=_facts(hops, TRACEROUTE),
        client=_source(),
    )
    return netlab.mark_simulated(trace) if simulated else trace
