"""Routing tables and longest-prefix match, computed with `ipaddress`.

A table is read from a router for real (`ip -j route` inside its namespace)
or modelled from the lab's `Topology` for the simulated version; both come
as the same `RouteEntry`s, so the decision a router made for a destination is
explained the same way: every route that matches, and the longest one wins.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from labs.model.trace import Section
from labs.netsim.topology import Node


@dataclass(frozen=True)
class Route:
    """One line of a routing table: where packets for `network` go."""

    network: ipaddress.IPv4Network
    via: str | None
    dev: str
    #: "kernel" for a network the router is plugged into, "static" for one the lab added.
    origin: str
    #: The line as `ip route` prints it.
    text: str

    @property
    def destination(self) -> str:
        return "default" if self.network.prefixlen == 0 else str(self.network)


@dataclass(frozen=True)
class RouteEntry:
    """One route as `ip -j route` gives it (the fields the labs read): what a
    run records of each router's table, real or modelled."""

    dst: str
    dev: str
    gateway: str | None = None
    protocol: str = ""
    prefsrc: str = ""


def read(ip_json: list[dict[str, Any]]) -> tuple[RouteEntry, ...]:
    """The entries of `ip -j route` output."""
    return tuple(
        RouteEntry(
            e["dst"], e["dev"], e.get("gateway"), e.get("protocol", ""), e.get("prefsrc", "")
        )
        for e in ip_json
    )


def parse(entries: Iterable[RouteEntry]) -> tuple[Route, ...]:
    """Routes from a table's entries, read or modelled."""
    routes = []
    for e in entries:
        network = ipaddress.IPv4Network("0.0.0.0/0" if e.dst == "default" else e.dst, strict=False)
        text = e.dst + (f" via {e.gateway}" if e.gateway else "") + f" dev {e.dev}"
        if e.protocol == "kernel":
            text += f" proto kernel scope link src {e.prefsrc}"
        origin = "kernel" if e.protocol == "kernel" else "static"
        routes.append(Route(network, e.gateway, e.dev, origin, text))
    return tuple(routes)


def model(node: Node) -> tuple[RouteEntry, ...]:
    """The table the kernel would build for `node`: one route per connected
    network, plus the lab's static routes, in `ip route`'s order."""
    entries = [RouteEntry(str(i.network), i.name, None, "kernel", i.ip) for i in node.interfaces]
    for dest, via in node.routes:
        addr = ipaddress.IPv4Address(via)
        dev = next(i.name for i in node.interfaces if addr in i.network)
        entries.append(RouteEntry(dest, dev, via))

    def order(e: RouteEntry) -> tuple[int, int]:
        if e.dst == "default":
            return (0, 0)
        return (1, int(ipaddress.IPv4Network(e.dst).network_address))

    return tuple(sorted(entries, key=order))


def table_source(simulated: bool) -> str:
    """Where a run's tables came from, in the words of the table sections."""
    return "modelled by the simulator" if simulated else "`ip route` inside its namespace"


@dataclass(frozen=True)
class Decision:
    """What one router decided for one destination, and why."""

    destination: str
    routes: tuple[Route, ...]
    matches: tuple[bool, ...]
    chosen: Route | None

    @property
    def next_hop(self) -> str | None:
        """The address the packet is handed to: the route's gateway, or the
        destination itself when the network is connected."""
        if self.chosen is None:
            return None
        return self.chosen.via or self.destination


def lookup(routes: tuple[Route, ...], destination: str) -> Decision:
    """Longest-prefix match: of the routes whose network holds the destination,
    the one with the longest prefix (the most specific) wins."""
    addr = ipaddress.IPv4Address(destination)
    matches = tuple(addr in r.network for r in routes)
    best: Route | None = None
    for route, hit in zip(routes, matches, strict=True):
        if hit and (best is None or route.network.prefixlen > best.network.prefixlen):
            best = route
    return Decision(destination, routes, matches, best)


def explain(label: str, decision: Decision) -> str:
    """The decision in words, every number taken from the table."""
    dst = decision.destination
    hits = [r for r, m in zip(decision.routes, decision.matches, strict=True) if m]
    misses = [r for r, m in zip(decision.routes, decision.matches, strict=True) if not m]
    parts = [
        f"{label[:1].upper()}{label[1:]} looks up {dst} in its routing table ({len(decision.routes)} route{'' if len(decision.routes) == 1 else 's'})."
    ]
    if misses:
        parts.append(
            "No match: "
            + "; ".join(f"{r.destination} ({r.network[0]}–{r.network[-1]})" for r in misses)
            + "."
        )
    if not hits or decision.chosen is None:
        parts.append(
            f"Nothing matches, so {label} drops the packet and reports 'network unreachable'."
        )
        return " ".join(parts)
    parts.append(
        "Match: "
        + "; ".join(
            f"{r.destination} (/{r.network.prefixlen}, {r.network.prefixlen} bits agree)"
            for r in hits
        )
        + "."
    )
    chosen = decision.chosen
    if len(hits) > 1:
        parts.append(
            f"The longest prefix wins: /{chosen.network.prefixlen} is more specific than "
            + ", ".join(f"/{r.network.prefixlen}" for r in hits if r is not chosen)
            + "."
        )
    if chosen.via:
        parts.append(
            f"So it hands the packet to the next router, {chosen.via}, out of {chosen.dev}."
        )
    else:
        parts.append(
            f"{chosen.destination} is a network {label} is plugged into, so it delivers the packet "
            f"straight to {dst} out of {chosen.dev} (after asking with ARP for its MAC address)."
        )
    return " ".join(parts)


def table_section(label: str, routes: tuple[Route, ...], destination: str, how: str) -> Section:
    """A router's table as a table section, with the lookup for `destination`
    marked; `how` says where the table came from."""
    decision = lookup(routes, destination)
    rows = [f"destination\tnext hop\tinterface\tprefix\tholds {destination}?\tchosen"]
    for route, hit in zip(routes, decision.matches, strict=True):
        rows.append(
            "\t".join(
                (
                    route.destination,
                    route.via or "(directly connected)",
                    route.dev,
                    f"/{route.network.prefixlen}",
                    "yes" if hit else "no",
                    "<- longest match" if route is decision.chosen else "",
                )
            )
        )
    return Section(f"Routing table of {label} ({how})", "\n".join(rows), "table")
