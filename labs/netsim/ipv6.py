"""IPv6 in a lab's namespaces, when a lab asks for it (IPv6 is off by
default, so captures show only the lab's IPv4 traffic).

Addresses come from the documentation prefix 2001:db8::/32 (RFC 3849) and
exist only inside the lab's namespaces. Interfaces keep their link-local
addresses (routers need them for neighbor discovery) but skip duplicate
address detection and router solicitations, so the path is ready at once
and the capture holds little besides the lab's own traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

from labs.netsim.netns import Network, run_command


@dataclass(frozen=True)
class Plan:
    """Per role: its (interface, address/64) pairs and its default route."""

    addresses: dict[str, tuple[tuple[str, str], ...]]
    gateways: dict[str, str]

    def ip(self, role: str) -> str:
        return self.addresses[role][0][1].split("/")[0]


#: The slow-network line over IPv6: one /64 per cable, as the IPv4 /24s.
SLOW_NETWORK = Plan(
    {
        "laptop": (("eth0", "2001:db8:1::10/64"),),
        "r1": (("eth0", "2001:db8:1::1/64"), ("eth1", "2001:db8:2::1/64")),
        "r2": (("eth0", "2001:db8:2::2/64"), ("eth1", "2001:db8:3::1/64")),
        "server": (("eth0", "2001:db8:3::80/64"),),
    },
    {
        "laptop": "2001:db8:1::1",
        "r1": "2001:db8:2::2",
        "r2": "2001:db8:2::1",
        "server": "2001:db8:3::1",
    },
)


def _sysctls(ifname: str) -> str:
    conf = f"/proc/sys/net/ipv6/conf/{ifname}"
    # DAD and solicitations off before IPv6 comes on: the addresses are usable at once.
    values = (("accept_dad", 0), ("accept_ra", 0), ("router_solicitations", 0), ("disable_ipv6", 0))
    return "; ".join(f"echo {v} > {conf}/{k}" for k, v in values)


def enable(net: Network, plan: Plan, moved: dict[tuple[str, str], str] | None = None) -> list[str]:
    """Turn IPv6 on for the plan's interfaces (an address `moved` to another
    interface, such as the forwarder's splice, goes there), add the
    addresses and default routes, and let routers forward. Returns the commands."""
    commands = []
    for role, pairs in plan.addresses.items():
        devs = [(moved or {}).get((role, dev), dev) for dev, _addr in pairs]
        script = "; ".join(_sysctls(dev) for dev in devs)
        if net.topology.node(role).forwards:
            script += "; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"
        run_command(["ip", "netns", "exec", net.ns(role), "sh", "-c", script])
        lines = [
            f"-6 addr add {addr} dev {dev} nodad"
            for dev, (_d, addr) in zip(devs, pairs, strict=True)
        ]
        lines.append(f"-6 route add default via {plan.gateways[role]}")
        for line in lines:
            run_command(["ip", "-n", net.ns(role), *line.split()])
        commands += [f"ip -n {role} {line}" for line in lines]
    return commands


__all__ = ["SLOW_NETWORK", "Plan", "enable"]
