"""Where to listen for a lab's traffic to one server: the interface the
routing table picks for it (scapy's copy of the routes), narrowed to that
host. Lives with the capture because it asks scapy; `labs.core` never
imports scapy."""

from __future__ import annotations

import socket

from labs.core.hostport import Endpoint


def capture_where(server: Endpoint) -> tuple[str, str | None]:
    """`open_capture`'s iface and host for traffic to `server`: `lo` for this machine;
    else the interface the routing table picks (scapy reads it at import),
    narrowed to that host so the machine's other traffic stays out."""
    if server.loopback:
        return "lo", None
    import scapy.route  # noqa: F401  (loading them fills conf.route and conf.route6)
    import scapy.route6  # noqa: F401
    from scapy.config import conf

    table = conf.route6 if server.family == socket.AF_INET6 else conf.route
    return str(table.route(server.address)[0]), server.address


__all__ = ["capture_where"]
