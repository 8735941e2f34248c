"""What the two routing labs (traceroute, gateway-nat) share: deciding
between the namespace and the simulated version, saying which one ran, and
reading ARP and Ethernet frames for the learner."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from labs import system
from labs.base import LabOptions, RawPacket
from labs.errors import BadInput
from labs.netsim.topology import Topology
from labs.trace import Step, Trace


@dataclass(frozen=True)
class Version:
    """Which version of a routing lab runs, and the capture note that says so."""

    simulated: bool
    note: str
    started: str

    @property
    def capture(self) -> str:
        return "simulated" if self.simulated else "live"

    @property
    def table_source(self) -> str:
        return "modelled by the simulator" if self.simulated else "`ip route` inside its namespace"


def choose(options: LabOptions, topology: Topology, where: str) -> Version:
    """Namespaces when this machine allows them, unless --simulate was asked."""
    if options.target:
        raise BadInput(
            f"The {topology.name} lab builds its own small network and takes no --target.",
            "Run it without --target (add --simulate to see the simulated version).",
        )
    cap = system.namespaces()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    if options.simulate or not cap.ok:
        why = "you asked for --simulate" if options.simulate else cap.reason.rstrip(".")
        return Version(
            True,
            f"SIMULATED: nothing was sent ({why}). These frames were built by tutor's "
            "simulator from the lab's topology and routing tables to show what a real run "
            "captures; MAC addresses are made up and times are not measured.",
            started,
        )
    names = ", ".join(n.label for n in topology.nodes)
    return Version(
        False,
        f"Captured live {where}, inside network namespaces this lab built ({names}) and "
        "removed afterwards.",
        started,
    )


def mark_simulated(trace: Trace) -> Trace:
    """Say on every packet that the simulator built it."""
    packets = tuple(
        replace(p, explain=f"Built by the simulator, not captured: {p.explain}")
        for p in trace.packets
    )
    return replace(trace, packets=packets)


def cap(text: str) -> str:
    """A label at the start of a sentence ("router 1" -> "Router 1")."""
    return text[:1].upper() + text[1:]


def frames(raws: list[RawPacket]) -> list[Any]:
    """The raw Ethernet frames as scapy packets, for the labs' own reading."""
    import scapy.layers.inet  # noqa: F401  (binds IP, TCP, UDP, ICMP under Ether)
    from scapy.layers.l2 import Ether

    return [Ether(r.data) for r in raws]


def arp_step(
    pkts: list[Any], topo: Topology, only: set[int] | None = None, name: str = "arp"
) -> Step | None:
    """The first ARP request and its reply among `pkts` (or the indexes in
    `only`), told from their own fields."""
    from scapy.layers.l2 import ARP

    arp = [
        (i, p[ARP]) for i, p in enumerate(pkts) if p.haslayer(ARP) and (only is None or i in only)
    ]
    request = next((a for _i, a in arp if a.op == 1), None)
    if request is None:
        return None
    reply = next((a for _i, a in arp if a.op == 2 and a.psrc == request.pdst), None)
    members = tuple(i for i, a in arp if a is request or a is reply)
    asker, wanted = topo.label_of(request.psrc), topo.label_of(request.pdst)
    text = (
        f"{cap(asker)} ({request.psrc}) must hand its packet to {request.pdst} ({wanted}) "
        "but does not know that machine's MAC address, so it broadcasts an ARP request "
        f"to everyone on the cable: who has {request.pdst}?"
    )
    if reply is not None:
        text += (
            f" {cap(topo.label_of(reply.psrc))} answers: {reply.psrc} is at {reply.hwsrc}. "
            "From now on the frames carry that address."
        )
    return Step(name, members, text, title=f"ARP: who has {request.pdst}?")


def timed(steps: tuple[Step, ...], raws: list[RawPacket]) -> tuple[Step, ...]:
    """Steps with their start (from the first packet) and duration filled in."""
    if not raws:
        return steps
    t0 = raws[0].time
    out = []
    for step in steps:
        times = [raws[i].time for i in step.packets]
        if times:
            step = replace(
                step, start=round(min(times) - t0, 6), duration=round(max(times) - min(times), 6)
            )
        out.append(step)
    return tuple(out)
