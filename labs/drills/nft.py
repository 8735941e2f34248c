"""The ISP router's firewall of the firewall drills: TCP to a port is dropped
(the caller waits until it gives up) or rejected with a TCP reset (refused
at once). nftables over netlink (pyroute2), as gateway-nat sets its NAT;
called in a thread that has entered the router's namespace."""

from __future__ import annotations

import socket
import struct

from labs.netsim import nft

#: NFT_REJECT_TCP_RST: answer the SYN with a reset, as `reject with tcp reset`.
_TCP_RST = 1


def ruleset(rules: list[tuple[int, str]]) -> str:
    """The rules in `nft list ruleset` form."""
    lines = [
        f"    tcp dport {port} " + ("reject with tcp reset" if action == "reject" else "drop")
        for port, action in rules
    ]
    return (
        "table ip tutor_firewall {\n  chain forward {\n"
        "    type filter hook forward priority filter; policy accept;\n"
        + "\n".join(lines)
        + "\n  }\n}"
    )


def firewall(rules: list[tuple[int, str]]) -> str:
    from pyroute2.nftables.expressions import genex, verdict

    expressions = []
    for port, action in rules:
        dport = struct.pack("!H", port)
        match = nft.transport_match(bytes([socket.IPPROTO_TCP]), 2, dport)  # th dport
        if action == "reject":
            end = [genex("reject", {"type": _TCP_RST, "icmp_code": 0})]
        else:
            end = verdict(0)  # NF_DROP
        expressions.append((match, end))
    nft.add_table("tutor_firewall", "forward", "filter", 0, expressions)
    return ruleset(rules)


def masquerade(lan: str) -> None:
    """The office gateway's NAT: `ip saddr LAN masquerade`, as gateway-nat's."""
    nft.masquerade(lan, random_port=False)


def blackhole() -> None:
    """Drop the ICMP 'fragmentation needed' this node sends (as slow-network's
    black hole, `labs.netsim.slow_agent.blackhole`)."""
    # destination unreachable, fragmentation needed
    nft.drop_output("tutor_blackhole", bytes([socket.IPPROTO_ICMP]), b"\x03\x04")
