"""The two small networks of the routing labs, as plain data, and their drawing.

The same `Topology` is built for real in network namespaces (`labs.netsim.netns`)
and walked by the simulator (`labs.netsim.routing_sim`), so both versions of a lab
show the same hosts, addresses and routes. Addresses come from the
documentation ranges of RFC 5737 on the "Internet" side and from RFC 1918
on the home network; they exist only inside the lab's own namespaces.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class Interface:
    """One network card of a node: its name inside the node, its address with
    prefix length ("192.0.2.1/24"), and the node at the other end of the cable."""

    name: str
    address: str
    peer: str

    @property
    def ip(self) -> str:
        return self.address.split("/")[0]

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Interface(self.address).network


@dataclass(frozen=True)
class Node:
    """A host, router, gateway or server. `routes` are the static routes the
    lab adds on top of the ones the kernel makes for each connected network:
    (destination, next hop), destination "default" or a prefix."""

    role: str
    label: str
    kind: str
    interfaces: tuple[Interface, ...]
    routes: tuple[tuple[str, str], ...] = ()

    @property
    def forwards(self) -> bool:
        """Routers and gateways pass packets on; hosts keep what is not for them."""
        return self.kind in ("router", "gateway")

    def interface(self, name: str) -> Interface:
        return next(i for i in self.interfaces if i.name == name)

    def toward(self, role: str) -> Interface:
        """The interface whose cable leads to node `role`."""
        return next(i for i in self.interfaces if i.peer == role)


@dataclass(frozen=True)
class Link:
    """A cable between two nodes (a veth pair when built for real)."""

    a: str
    a_if: str
    b: str
    b_if: str


@dataclass(frozen=True)
class Topology:
    """A line of nodes joined by cables, drawn left to right in `nodes` order."""

    name: str
    nodes: tuple[Node, ...]

    def node(self, role: str) -> Node:
        for node in self.nodes:
            if node.role == role:
                return node
        raise KeyError(role)

    def links(self) -> tuple[Link, ...]:
        seen: list[Link] = []
        for node in self.nodes:
            for iface in node.interfaces:
                other = self.node(iface.peer).toward(node.role)
                if not any({ln.a, ln.b} == {node.role, iface.peer} for ln in seen):
                    seen.append(Link(node.role, iface.name, iface.peer, other.name))
        return tuple(seen)

    def owner_of(self, address: str) -> tuple[Node, Interface] | None:
        """Which node holds `address`, and on which interface."""
        for node in self.nodes:
            for iface in node.interfaces:
                if iface.ip == address:
                    return node, iface
        return None

    def label_of(self, address: str) -> str:
        found = self.owner_of(address)
        return found[0].label if found else address


#: One end of a `_line`: role, label, kind and address with prefix length.
_End = tuple[str, str, str, str]


def _end(end: _End, router: str, gateway: str) -> Node:
    """An end of a `_line`: one card, cabled to `router`, its default route via `gateway`."""
    role, label, kind, address = end
    return Node(role, label, kind, (Interface("eth0", address, router),), (("default", gateway),))


def _router(role: str, label: str, left: tuple[str, str], right: tuple[str, str], via: str) -> Node:
    """A router of a `_line`: eth0 and eth1 as (address, peer), its default route via `via`."""
    cards = (Interface("eth0", *left), Interface("eth1", *right))
    return Node(role, label, "router", cards, (("default", via),))


def _line(name: str, first: _End, last: _End, r1_label: str = "router 1") -> Topology:
    """Two ends joined across two routers, left to right: `first` on
    192.0.2.0/24 behind router 1, the routers on 198.51.100.0/24, `last` on
    203.0.113.0/24 behind router 2. Each end's default route is its router."""
    return Topology(
        name,
        (
            _end(first, "r1", "192.0.2.1"),
            _router(
                "r1",
                r1_label,
                ("192.0.2.1/24", first[0]),
                ("198.51.100.1/24", "r2"),
                "198.51.100.2",
            ),
            # Everything router 2 does not know goes back toward router 1; the
            # destination's own network is connected, so it wins by being longer.
            _router(
                "r2",
                "router 2",
                ("198.51.100.2/24", "r1"),
                ("203.0.113.1/24", last[0]),
                "198.51.100.1",
            ),
            _end(last, "r2", "203.0.113.1"),
        ),
    )


TRACEROUTE = _line(
    "traceroute",
    ("a", "host A", "host", "192.0.2.10/24"),
    ("b", "host B", "host", "203.0.113.10/24"),
)

GATEWAY_NAT = Topology(
    "gateway-nat",
    (
        Node(
            "laptop",
            "your laptop",
            "host",
            (Interface("eth0", "192.168.1.23/24", "gw"),),
            (("default", "192.168.1.1"),),
        ),
        Node(
            "gw",
            "the gateway",
            "gateway",
            (
                Interface("lan0", "192.168.1.1/24", "laptop"),
                Interface("wan0", "203.0.113.2/24", "server"),
            ),
        ),
        # The server has no route to 192.168.1.0/24 at all, like any server on
        # the Internet: without NAT its answer would have nowhere to go.
        Node("server", "the API server", "server", (Interface("eth0", "203.0.113.80/24", "gw"),)),
    ),
)


#: The slow-network lab: the same line as traceroute's, with an API server at
#: the end. Router 1 holds the slow link (its delay, loss and rate), the
#: cable between the two routers is the narrow one (`--mtu`, like a VPN).
SLOW_NETWORK = _line(
    "slow-network",
    ("laptop", "your laptop", "host", "192.0.2.10/24"),
    ("server", "the API server", "server", "203.0.113.80/24"),
    r1_label="router 1 (the slow link)",
)


def draw(topology: Topology, at: str | None = None, note: str = "") -> str:
    """The network as text, nodes left to right, with a `^` and `note` under
    node `at` (a role) to show where a packet is:

        host A        ---- router 1        ---- router 2
        192.0.2.10/24      192.0.2.1/24         198.51.100.2/24
                           198.51.100.1/24      203.0.113.1/24
                           ^
                           TTL 1: the probe expires here
    """
    columns: list[list[str]] = []
    depth = max(len(node.interfaces) for node in topology.nodes)
    for node in topology.nodes:
        col = [node.label] + [i.address for i in node.interfaces]
        columns.append(col + [""] * (depth - len(node.interfaces)))
    width = [max(len(c) for c in col) for col in columns]
    lines = []
    for r in range(depth + 1):
        cells = []
        for i, col in enumerate(columns):
            last = i == len(columns) - 1
            joiner = "" if last else (" ---- " if r == 0 else "      ")
            cells.append(col[r].ljust(width[i]) + joiner)
        lines.append("".join(cells).rstrip())
    roles = [node.role for node in topology.nodes]
    if at in roles:
        # The marker sits under its node; the note goes on its own line so the
        # drawing keeps the same layout wherever the packet is.
        column = sum(w + 6 for w in width[: roles.index(at)])
        lines.append(" " * column + "^")
        lines.append(" " * column + (note or "here"))
    return "\n".join(line for line in lines if line)


#: The network each routing lab builds, for renderers that draw it.
LAB_TOPOLOGIES = {
    "traceroute": TRACEROUTE,
    "gateway-nat": GATEWAY_NAT,
    "slow-network": SLOW_NETWORK,
}


def _host(endpoint: str) -> str:
    return endpoint.rsplit(":", 1)[0] if endpoint.count(":") == 1 else endpoint


def draw_packet(lab: str, src: str, dst: str, summary: str) -> str | None:
    """The lab's network with a marker at the node that sent this packet (a
    trace packet's `src`, `dst` and `summary`); None for labs without one."""
    topology = LAB_TOPOLOGIES.get(lab)
    if topology is None:
        return None
    sender = topology.owner_of(_host(src))
    if sender is None:
        return draw(topology)
    return draw(topology, at=sender[0].role, note=f"{summary}, to {topology.label_of(_host(dst))}")
