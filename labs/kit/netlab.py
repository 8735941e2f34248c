"""The kit for labs that build their own network in namespaces (or simulate
it where namespaces cannot be built): the topologies, building and running
them, their routing tables, and the simulator. Separate from `labs.kit` so a
capture lab never imports the namespace machinery."""

from labs.netsim import netlab, netns, routes, routing_sim
from labs.netsim.netlab import arp_step, cap, frames
from labs.netsim.ns_agent import key as probe_key
from labs.netsim.routes import RouteEntry
from labs.netsim.topology import GATEWAY_NAT, TRACEROUTE, Topology, draw

__all__ = [
    "GATEWAY_NAT",
    "TRACEROUTE",
    "RouteEntry",
    "Topology",
    "arp_step",
    "cap",
    "draw",
    "frames",
    "netlab",
    "netns",
    "probe_key",
    "routes",
    "routing_sim",
]
