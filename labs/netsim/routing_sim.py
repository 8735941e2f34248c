"""The simulated versions of the routing labs: nothing is sent.

Where namespaces are not available (not root, `TUTOR_SIMULATE=1`, or
`--simulate`), the same `Topology` is walked on paper: each router's table is
modelled (`labs.netsim.routes.model`), the next hop found by longest-prefix match,
the TTL decremented hop by hop, and the gateway's NAT table filled and read
back. The frames this returns are built here with scapy to show what a real
run would capture; every trace made from them says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from labs.core.base import RawPacket
from labs.netsim import routes
from labs.netsim.ns_agent import TRACEROUTE_PORT, http_request, http_response, nat_ruleset
from labs.netsim.topology import Interface, Node, Topology

#: Ports and sequence numbers the simulator picks (a real run's are random).
SIM_SPORT = 43210
SIM_NAT_PORT = 40123
SIM_ISN = (1_000_000, 5_000_000)


def mac(topology: Topology, role: str, ifname: str) -> str:
    """A made-up, locally administered MAC address (the 02: prefix) per interface."""
    n = [x.role for x in topology.nodes].index(role)
    i = [x.name for x in topology.node(role).interfaces].index(ifname)
    return f"02:00:00:00:{n + 1:02x}:{i + 1:02x}"


def tables(topology: Topology) -> dict[str, tuple[routes.RouteEntry, ...]]:
    return {node.role: routes.model(node) for node in topology.nodes}


@dataclass(frozen=True)
class Hop:
    """A node a packet reaches, the interface it came in on, and (for a node
    that passes it on) the routing decision it made."""

    node: Node
    came_in: Interface | None
    decision: routes.Decision | None


def path(topology: Topology, start: str, destination: str) -> list[Hop]:
    """Follow the routing tables from `start` to whoever holds `destination`."""
    node, came_in = topology.node(start), None
    hops: list[Hop] = []
    while len(hops) < len(topology.nodes) + 1:
        if any(i.ip == destination for i in node.interfaces):
            hops.append(Hop(node, came_in, None))
            return hops
        decision = routes.lookup(routes.parse(routes.model(node)), destination)
        hops.append(Hop(node, came_in, decision))
        owner = topology.owner_of(decision.next_hop or "")
        if owner is None:
            return hops
        node, came_in = owner
    return hops


@dataclass
class _Frames:
    """Frames in the order they would be captured, each at one interface."""

    items: list[RawPacket] = field(default_factory=list)

    def add(self, pkt: Any, interface: str) -> None:
        # No time passed: nothing was sent. Order is all a simulation can show.
        self.items.append(RawPacket(0.0, bytes(pkt), "ethernet", interface))


def _arp(
    f: _Frames, topo: Topology, asker: tuple[str, str], owner: tuple[str, str], where: str
) -> None:
    a_ip = topo.node(asker[0]).interface(asker[1]).ip
    o_ip = topo.node(owner[0]).interface(owner[1]).ip
    a_mac, o_mac = mac(topo, *asker), mac(topo, *owner)
    f.add(
        Ether(src=a_mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=a_mac, psrc=a_ip, pdst=o_ip),
        where,
    )
    f.add(
        Ether(src=o_mac, dst=a_mac) / ARP(op=2, hwsrc=o_mac, psrc=o_ip, hwdst=a_mac, pdst=a_ip),
        where,
    )


def traceroute(
    topology: Topology, src: str, dst: str, mode: str, max_ttl: int = 8
) -> list[RawPacket]:
    """The frames host `src` would capture on its interface while tracing to
    `dst`: the ARP for its gateway, then each probe and its answer."""
    host = topology.node(src)
    out_if = host.interfaces[0]
    hops = path(topology, src, dst)
    first = hops[1].node.role, hops[1].came_in.name if hops[1].came_in else ""
    where = f"{host.label} {out_if.name}"
    f = _Frames()
    _arp(f, topology, (src, out_if.name), first, where)
    mine, theirs = mac(topology, src, out_if.name), mac(topology, *first)
    for ttl in range(1, max_ttl + 1):
        ip = IP(src=out_if.ip, dst=dst, ttl=ttl, id=0x1000 + ttl)
        if mode == "icmp":
            probe = ip / ICMP(type=8, id=SIM_SPORT, seq=ttl) / b"tutor traceroute"
        elif mode == "tcp":
            probe = ip / TCP(sport=SIM_SPORT + ttl, dport=80, flags="S", seq=SIM_ISN[0] + ttl)
        else:
            probe = ip / UDP(sport=SIM_SPORT, dport=TRACEROUTE_PORT + ttl - 1) / b"tutor traceroute"
        f.add(Ether(src=mine, dst=theirs) / probe, where)
        k = min(ttl, len(hops) - 1)
        at = hops[k]
        # The probe as it arrived at hop k: every router before it took 1 off.
        arrived = IP(bytes(probe))
        arrived.ttl = ttl - (k - 1)
        del arrived.chksum
        back = len(path(topology, at.node.role, out_if.ip)) - 2
        reached = at.decision is None
        sender = dst if reached else (at.came_in.ip if at.came_in else dst)
        reply_ip = IP(src=sender, dst=out_if.ip, ttl=64 - back, id=0x2000 + ttl)
        if not reached:
            answer = reply_ip / ICMP(type=11, code=0) / bytes(IP(bytes(arrived)))
        elif mode == "icmp":
            answer = reply_ip / ICMP(type=0, id=SIM_SPORT, seq=ttl) / b"tutor traceroute"
        elif mode == "tcp":
            syn = probe[TCP]
            answer = reply_ip / TCP(
                sport=80, dport=syn.sport, flags="SA", seq=SIM_ISN[1], ack=syn.seq + 1
            )
        else:
            answer = reply_ip / ICMP(type=3, code=3) / bytes(IP(bytes(arrived)))
        f.add(Ether(src=theirs, dst=mine) / answer, where)
        if reached:
            if mode == "tcp":
                rst = IP(src=out_if.ip, dst=dst, ttl=64, id=0) / TCP(
                    sport=syn.sport, dport=80, flags="R", seq=syn.seq + 1
                )
                f.add(Ether(src=mine, dst=theirs) / rst, where)
            break
    return f.items


@dataclass(frozen=True)
class NatSim:
    """What the simulated gateway did: frames on both sides and its NAT table."""

    frames: list[RawPacket]
    conntrack: list[str]
    ruleset: str


def gateway_nat(topology: Topology, lan: str, port: int = 80) -> NatSim:
    """A laptop's HTTP request through the masquerading gateway, both sides."""
    laptop, gw, server = topology.nodes
    lan_if, wan_if = gw.toward(laptop.role), gw.toward(server.role)
    l_ip, s_ip, public = laptop.interfaces[0].ip, server.interfaces[0].ip, wan_if.ip
    lan_side, wan_side = f"LAN side ({lan_if.name})", f"Internet side ({wan_if.name})"
    macs = {
        "laptop": mac(topology, laptop.role, laptop.interfaces[0].name),
        "lan": mac(topology, gw.role, lan_if.name),
        "wan": mac(topology, gw.role, wan_if.name),
        "server": mac(topology, server.role, server.interfaces[0].name),
    }
    request = http_request(s_ip, "/whoami")
    response = http_response(public, SIM_NAT_PORT)
    c, s = SIM_ISN
    # (from the laptop?, flags, seq, ack, payload): one HTTP/1.0 exchange.
    talk: list[tuple[bool, str, int, int, bytes]] = [
        (True, "S", c, 0, b""),
        (False, "SA", s, c + 1, b""),
        (True, "A", c + 1, s + 1, b""),
        (True, "PA", c + 1, s + 1, request),
        (False, "PA", s + 1, c + 1 + len(request), response),
        (False, "FA", s + 1 + len(response), c + 1 + len(request), b""),
        (True, "FA", c + 1 + len(request), s + 2 + len(response), b""),
        (False, "A", s + 2 + len(response), c + 2 + len(request), b""),
    ]
    f = _Frames()
    _arp(f, topology, (laptop.role, laptop.interfaces[0].name), (gw.role, lan_if.name), lan_side)
    for n, (outbound, flags, seq, ack, data) in enumerate(talk):
        ident = 0x3000 + n
        if outbound:
            before = IP(src=l_ip, dst=s_ip, ttl=64, id=ident) / TCP(
                sport=SIM_SPORT, dport=port, flags=flags, seq=seq, ack=ack
            )
            after = IP(src=public, dst=s_ip, ttl=63, id=ident) / TCP(
                sport=SIM_NAT_PORT, dport=port, flags=flags, seq=seq, ack=ack
            )
            f.add(Ether(src=macs["laptop"], dst=macs["lan"]) / before / data, lan_side)
            if n == 0:
                _arp(
                    f,
                    topology,
                    (gw.role, wan_if.name),
                    (server.role, server.interfaces[0].name),
                    wan_side,
                )
            f.add(Ether(src=macs["wan"], dst=macs["server"]) / after / data, wan_side)
        else:
            before = IP(src=s_ip, dst=public, ttl=64, id=ident) / TCP(
                sport=port, dport=SIM_NAT_PORT, flags=flags, seq=seq, ack=ack
            )
            after = IP(src=s_ip, dst=l_ip, ttl=63, id=ident) / TCP(
                sport=port, dport=SIM_SPORT, flags=flags, seq=seq, ack=ack
            )
            f.add(Ether(src=macs["server"], dst=macs["wan"]) / before / data, wan_side)
            f.add(Ether(src=macs["lan"], dst=macs["laptop"]) / after / data, lan_side)
    entry = (
        f"ipv4     2 tcp      6 120 TIME_WAIT src={l_ip} dst={s_ip} sport={SIM_SPORT} dport={port} "
        f"src={s_ip} dst={public} sport={port} dport={SIM_NAT_PORT} [ASSURED] mark=0 zone=0 use=2"
    )
    return NatSim(f.items, [entry], nat_ruleset(lan))
