"""What a packet carried in an L2TP tunnel is, for the narration: the
packet inside (its layers from its IP header on, and its own ends), and a
sentence saying which tunnel carries it. Wireshark's packet list does the
same: its Info column shows the innermost protocol, not the tunnel's UDP
datagram. The packet itself stays in the tunnel's conversation (its UDP
ends): that is what crosses the network between the two routers."""

from __future__ import annotations

from dataclasses import dataclass

from labs.model.trace import Layer

_IP = ("IPv4", "IPv6")


@dataclass(frozen=True)
class Carried:
    """The packet inside a tunnel: its layers, its ends, and the sentence
    that says how it travels."""

    layers: tuple[Layer, ...]
    src: str
    dst: str
    words: str


def _value(layer: Layer, *names: str) -> str:
    found = next((f for name in names if (f := layer.field(name)) is not None), None)
    return found.value if found is not None else ""


def _end(ip: str, port: str) -> str:
    if not port:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def carried(layers: tuple[Layer, ...], src: str, dst: str) -> Carried | None:
    """The packet an L2TP data message carries (None when the message
    carries no IP packet: a control message, a PPP control frame)."""
    names = [layer.name for layer in layers]
    if "L2TP" not in names:
        return None
    tunnel = names.index("L2TP")
    at = next((i for i in range(tunnel + 1, len(layers)) if names[i] in _IP), None)
    if at is None:
        return None
    ip = layers[at]
    inside = layers[at:]
    moved = inside[1] if len(inside) > 1 and inside[1].name in ("TCP", "UDP") else None
    kind = moved.name.lower() if moved is not None else ""
    sport = _value(moved, f"{kind}.srcport") if moved is not None else ""
    dport = _value(moved, f"{kind}.dstport") if moved is not None else ""
    head = layers[tunnel]
    which = f"tunnel {_value(head, 'l2tp.tunnel')}, session {_value(head, 'l2tp.session')}"
    return Carried(
        inside,
        _end(_value(ip, "ip.src", "ipv6.src"), sport),
        _end(_value(ip, "ip.dst", "ipv6.dst"), dport),
        f"It travels inside the L2TP tunnel from {src} to {dst} ({which}): a PPP frame in a "
        "UDP datagram between the two routers.",
    )
