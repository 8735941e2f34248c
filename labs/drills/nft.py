"""The ISP router's firewall of the firewall drills: TCP to a port is dropped
(the caller waits until it gives up) or rejected with a TCP reset (refused
at once). nftables over netlink (pyroute2), as gateway-nat sets its NAT;
called in a thread that has entered the router's namespace."""

from __future__ import annotations

import socket
import struct
from typing import Any

#: NFT_REJECT_TCP_RST: answer the SYN with a reset, as `reject with tcp reset`.
_TCP_RST = 1


def _eq(data: bytes) -> dict[str, Any]:
    from pyroute2.nftables.expressions import genex

    return genex("cmp", {"sreg": 1, "op": 0, "data": {"attrs": [("NFTA_DATA_VALUE", data)]}})


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
    from pyroute2.nftables.main import NFTables

    nft = NFTables(nfgen_family=socket.AF_INET)
    try:
        nft.table("add", name="tutor_firewall")
        nft.chain(
            "add", table="tutor_firewall", name="forward", hook="forward",
            type="filter", policy=1, priority=0,
        )  # fmt: skip
        for port, action in rules:
            match = [
                genex("meta", {"key": 16, "dreg": 1}),  # NFT_META_L4PROTO
                _eq(bytes([socket.IPPROTO_TCP])),
                genex("payload", {"dreg": 1, "base": 2, "offset": 2, "len": 2}),  # th dport
                _eq(struct.pack("!H", port)),
                genex("counter", {}),
            ]
            if action == "reject":
                end = [genex("reject", {"type": _TCP_RST, "icmp_code": 0})]
            else:
                end = verdict(0)  # NF_DROP
            nft.rule("add", table="tutor_firewall", chain="forward", expressions=(match, end))
    finally:
        nft.close()
    return ruleset(rules)


def masquerade(lan: str) -> None:
    """The office gateway's NAT: `ip saddr LAN masquerade`, as gateway-nat's
    (here, not through labs.netsim.ns_agent, which would import scapy into the keeper)."""
    from pyroute2.nftables.expressions import genex, ipv4addr
    from pyroute2.nftables.main import NFTables

    nft = NFTables(nfgen_family=socket.AF_INET)
    try:
        nft.table("add", name="tutor_nat")
        nft.chain(
            "add", table="tutor_nat", name="postrouting", hook="postrouting",
            type="nat", policy=1, priority=100,
        )  # fmt: skip
        nft.rule(
            "add", table="tutor_nat", chain="postrouting",
            expressions=(ipv4addr(src=lan), [genex("masq", {"flags": set()})]),
        )  # fmt: skip
    finally:
        nft.close()


def blackhole() -> None:
    """Drop the ICMP 'fragmentation needed' this node sends (as slow-network's
    black hole, `labs.netsim.slow_agent.blackhole`)."""
    from pyroute2.nftables.expressions import genex, verdict
    from pyroute2.nftables.main import NFTables

    nft = NFTables(nfgen_family=socket.AF_INET)
    try:
        nft.table("add", name="tutor_blackhole")
        nft.chain(
            "add", table="tutor_blackhole", name="output", hook="output",
            type="filter", policy=1, priority=0,
        )  # fmt: skip
        match = [
            genex("meta", {"key": 16, "dreg": 1}),  # NFT_META_L4PROTO
            _eq(bytes([socket.IPPROTO_ICMP])),
            genex("payload", {"dreg": 1, "base": 2, "offset": 0, "len": 2}),  # type, code
            _eq(b"\x03\x04"),  # destination unreachable, fragmentation needed
            genex("counter", {}),
        ]
        nft.rule("add", table="tutor_blackhole", chain="output", expressions=(match, verdict(0)))
    finally:
        nft.close()
