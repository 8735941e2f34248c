"""What the two routing labs (traceroute, gateway-nat) share: deciding
between the namespace and the simulated version, saying which one ran,
taking the frames an agent sniffed, and reading ARP and Ethernet frames
for the learner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import scapy.layers.inet  # noqa: F401  (binds IP, TCP, UDP, ICMP under Ether)
from scapy.layers.l2 import ARP, Ether

from labs.core import system
from labs.core.base import RawPacket
from labs.model.trace import Step, Trace
from labs.netsim.topology import Topology


def choose(simulate: bool, topology: Topology, where: str) -> tuple[str, str]:
    """Which version runs, as a Recording's capture ("live": namespaces when
    this machine allows them, unless --simulate was asked; else "simulated"),
    and the capture note that says so."""
    cap = system.namespaces()
    if simulate or not cap.ok:
        why = "you asked for --simulate" if simulate else cap.reason.rstrip(".")
        return (
            "simulated",
            f"SIMULATED: nothing was sent ({why}). These frames were built by tutor's "
            "simulator from the lab's topology and routing tables to show what a real run "
            "captures; MAC addresses are made up and times are not measured.",
        )
    names = ", ".join(n.label for n in topology.nodes)
    return (
        "live",
        f"Captured live {where}, inside network namespaces this lab built ({names}) and "
        "removed afterwards.",
    )


def agent_raws(frames: Iterable[list[Any]], interface: Callable[[str], str]) -> list[RawPacket]:
    """The frames an agent sniffed ([time, interface, hex]) as RawPackets,
    in time order, each at the interface `interface` names for the learner."""
    raws = (RawPacket(float(t), bytes.fromhex(h), "ethernet", interface(i)) for t, i, h in frames)
    return sorted(raws, key=lambda r: r.time)


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


def frames(raws: Iterable[RawPacket]) -> list[Any]:
    """The raw Ethernet frames as scapy packets, for the labs' own reading."""
    return [Ether(r.data) for r in raws]


def arp_step(
    pkts: list[Any], topo: Topology, only: set[int] | None = None, name: str = "arp"
) -> Step | None:
    """The first ARP request and its reply among `pkts` (or the indexes in
    `only`), told from their own fields."""
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


def timed(
    steps: tuple[Step, ...], raws: tuple[RawPacket, ...] | list[RawPacket]
) -> tuple[Step, ...]:
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
