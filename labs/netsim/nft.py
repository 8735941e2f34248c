"""nftables over netlink (pyroute2) for the labs and drills that build a
network: a table with one base chain and its rules, in the namespace the
calling thread is in. Cheap to import (pyroute2 is imported when called, and
no scapy): the drills' keeper uses it too."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any


def _eq(data: bytes) -> Any:
    from pyroute2.nftables.expressions import genex

    return genex("cmp", {"sreg": 1, "op": 0, "data": {"attrs": [("NFTA_DATA_VALUE", data)]}})


def transport_match(proto: bytes, offset: int, value: bytes) -> list[Any]:
    """Packets whose layer-4 protocol is `proto` (one byte) and whose
    transport header holds `value` at `offset` (a port, an ICMP type and
    code), counted."""
    from pyroute2.nftables.expressions import genex

    return [
        genex("meta", {"key": 16, "dreg": 1}),  # NFT_META_L4PROTO
        _eq(proto),
        genex("payload", {"dreg": 1, "base": 2, "offset": offset, "len": len(value)}),
        _eq(value),
        genex("counter", {}),
    ]


def add_table(
    table: str,
    hook: str,
    kind: str,
    priority: int,
    rules: Iterable[tuple[Any, Any]],
    family: int = socket.AF_INET,
) -> None:
    """Table `table` with one chain named after its `hook` (type `kind`,
    policy accept), holding `rules`, each a (match, then) pair of expressions."""
    from pyroute2.nftables.main import NFTables

    nft = NFTables(nfgen_family=family)
    try:
        nft.table("add", name=table)
        nft.chain(
            "add", table=table, name=hook, hook=hook,
            type=kind, policy=1, priority=priority,
        )  # fmt: skip
        for rule in rules:
            nft.rule("add", table=table, chain=hook, expressions=rule)
    finally:
        nft.close()


def masquerade(lan: str, random_port: bool) -> None:
    """The gateway's NAT: `ip saddr LAN masquerade` (`random`: fully random
    source ports), in table tutor_nat."""
    from pyroute2.nftables.expressions import genex, ipv4addr

    flags = {"NF_NAT_RANGE_PROTO_RANDOM"} if random_port else set()
    rule = (ipv4addr(src=lan), [genex("masq", {"flags": flags})])
    add_table("tutor_nat", "postrouting", "nat", 100, [rule])


def drop_output(table: str, proto: bytes, what: bytes, family: int = socket.AF_INET) -> None:
    """Table `table` whose output chain drops the messages of one kind this
    node sends: layer-4 protocol `proto`, its first bytes (type, and code) `what`."""
    from pyroute2.nftables.expressions import verdict

    add_table(table, "output", "filter", 0, [(transport_match(proto, 0, what), verdict(0))], family)
