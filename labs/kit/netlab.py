"""The kit for labs that build their own network in namespaces (or simulate
it where namespaces cannot be built): the topologies, building and running
them, their routing tables, and the simulator. Separate from `labs.kit` so a
capture lab never imports the namespace machinery."""

from labs.model import waterfall
from labs.netsim import conditions, netlab, netns, routes, routing_sim
from labs.netsim.netlab import arp_step, cap, frames
from labs.netsim.ns_agent import key as probe_key
from labs.netsim.routes import RouteEntry
from labs.netsim.topology import GATEWAY_NAT, SLOW_NETWORK, TRACEROUTE, Topology, draw

__all__ = [
    "GATEWAY_NAT",
    "TRACEROUTE",
    "SLOW_NETWORK",
    "RouteEntry",
    "Topology",
    "arp_step",
    "cap",
    "conditions",
    "draw",
    "frames",
    "netlab",
    "netns",
    "probe_key",
    "routes",
    "routing_sim",
    "waterfall",
]
