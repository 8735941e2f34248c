"""The one network every drill breaks in its own way, and building a `World`
in it for real (the keeper calls `build`).

    your laptop ---- office gateway ---- ISP router ---- servers
    192.168.1.23     192.168.1.1         198.51.100.2    203.0.113.80 (+ the drill's others)
                     198.51.100.1        203.0.113.1     203.0.113.53 (the name's own DNS server)

The office gateway is also the office's DNS resolver (192.168.1.1:53) and
translates the laptop's private address (NAT). The ISP router knows no route
to the office's private network, like any router on the Internet. Addresses:
RFC 1918 for the office, RFC 5737 documentation ranges outside; they exist
only inside the drill's namespaces.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from labs.drills.spec import Service, World
from labs.netsim.topology import Interface, Node, Topology

CLIENT = "192.168.1.23"
GATEWAY = "192.168.1.1"
GATEWAY_WAN = "198.51.100.1"
ISP = "198.51.100.2"
ISP_SERVERS = "203.0.113.1"
SERVER = "203.0.113.80"
AUTHORITATIVE = "203.0.113.53"
LAN = "192.168.1.0/24"
#: Where the sniffer listens (the office gateway), and what the learner reads.
SNIFF = ("lan0", "wan0")
IFACE_NAMES = {"lan0": "office LAN (lan0)", "wan0": "Internet side (wan0)"}


def topology(world: World) -> Topology:
    client_routes = (("default", world.client_gateway),)
    gw_routes = (("default", ISP),) if world.gateway_default else ()
    return Topology(
        "drill",
        (
            Node("client", "your laptop", "host", (Interface("eth0", f"{CLIENT}/24", "gw"),),
                 client_routes),
            Node("gw", "the office gateway", "gateway",
                 (Interface("lan0", f"{GATEWAY}/24", "client"),
                  Interface("wan0", f"{GATEWAY_WAN}/24", "isp")), gw_routes),
            Node("isp", "the ISP router", "router",
                 (Interface("eth0", f"{ISP}/24", "gw"),
                  Interface("eth1", f"{ISP_SERVERS}/24", "server"))),
            Node("server", "the servers", "server", (Interface("eth0", f"{SERVER}/24", "isp"),),
                 (("default", ISP_SERVERS),)),
        ),
    )  # fmt: skip


def server_addresses(world: World) -> list[str]:
    """Every address the server namespace holds: the services' and the DNS server's."""
    wanted = [SERVER, AUTHORITATIVE] + [s.address for s in world.services]
    return list(dict.fromkeys(wanted))


def dns_args(world: World) -> dict[str, Any]:
    """The DNS agent's arguments: the office resolver (cache, delay) and the
    name's own (authoritative) server, which always tells the truth."""
    truth = {r.name: [r.address, r.ttl] for r in world.records}
    cached = dict(truth) | {r.name: [r.address, r.ttl] for r in world.stale}
    return {
        "resolver": {"host": GATEWAY, "records": cached, "delay": world.dns_delay,
                     "countdown": bool(world.stale)},
        "authoritative": {"host": AUTHORITATIVE, "records": truth},
    }  # fmt: skip


def service_args(svc: Service) -> dict[str, Any]:
    return {
        "address": svc.address,
        "bind": svc.bind or svc.address,
        "port": svc.port,
        "kind": svc.kind,
        "name": svc.name,
        "cert": svc.cert,
        "args": list(svc.args),
    }


def _quiet(work: Any, *args: Any) -> None:
    work(*args)


def build(net: Any, world: World) -> list[str]:
    """Break the built network the way `world` says: extra addresses, MTU,
    NAT, the ISP's firewall, the black hole. Returns the commands, in words."""
    from labs.drills.nft import blackhole, firewall, masquerade
    from labs.netsim.netns import in_netns

    done: list[str] = []
    for address in server_addresses(world)[1:]:
        net.ip("server", "addr", "add", f"{address}/24", "dev", "eth0")
    if world.mtu:
        net.ip("gw", "link", "set", "wan0", "mtu", str(world.mtu))
        net.ip("isp", "link", "set", "eth0", "mtu", str(world.mtu))
        done.append(f"the cable between the office gateway and the ISP has MTU {world.mtu}")
    if world.nat:
        in_netns(net.ns("gw"), partial(masquerade, LAN))
        done.append(f"the office gateway masquerades {LAN}")
    if world.blackhole:
        in_netns(net.ns("gw"), blackhole)
        done.append("the office gateway drops the ICMP 'fragmentation needed' it sends")
    if world.rules:
        rules = [(r.port, r.action) for r in world.rules]
        in_netns(net.ns("isp"), partial(_quiet, firewall, rules))
        done.append("the ISP router filters " + ", ".join(f"port {p}: {a}" for p, a in rules))
    return done
