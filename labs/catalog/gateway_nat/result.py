"""What a gateway-nat run leaves besides its frames."""

from __future__ import annotations

from dataclasses import dataclass

from labs.kit.netlab import RouteEntry, conditions


@dataclass(frozen=True)
class NatResult:
    """Every node's routing table by role, the gateway's NAT rule as `nft
    list ruleset` prints it, and its connection-tracking lines with where
    they were read (`conntrack -L`, /proc/net/nf_conntrack or "simulated"),
    and the network conditions the gateway was given and what they did (None:
    none asked)."""

    tables: dict[str, tuple[RouteEntry, ...]]
    ruleset: str
    conntrack: tuple[str, ...]
    conntrack_source: str
    made: conditions.Made | None = None
