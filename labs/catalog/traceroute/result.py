"""What a traceroute run leaves besides its frames."""

from __future__ import annotations

from dataclasses import dataclass

from labs.kit.netlab import RouteEntry


@dataclass(frozen=True)
class TracerouteResult:
    """The kind of probes sent, and every node's routing table by role (read
    inside its namespace, or modelled by the simulator)."""

    mode: str
    tables: dict[str, tuple[RouteEntry, ...]]
