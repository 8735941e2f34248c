"""What a traceroute run leaves besides its frames."""

from __future__ import annotations

from dataclasses import dataclass

from labs.kit.netlab import RouteEntry, conditions


@dataclass(frozen=True)
class TracerouteResult:
    """The kind of probes sent, every node's routing table by role (read
    inside its namespace, or modelled by the simulator), and the network
    conditions router 1's link was given and what they did (None: none asked)."""

    mode: str
    tables: dict[str, tuple[RouteEntry, ...]]
    made: conditions.Made | None = None
