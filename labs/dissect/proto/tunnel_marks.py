"""What says a packet carries a tunnel (PPPoE, L2TP), read on every
packet without importing the tunnels' readers (`labs.dissect.proto.ppp`,
`l2tp`, `l2tp3`): only a capture with a tunnel in it needs those."""

from __future__ import annotations

from labs.model.trace import Layer

#: EtherTypes of PPPoE's two stages
PPPOE_DISCOVERY, PPPOE_SESSION = 0x8863, 0x8864
#: UDP port of L2TP (versions 2 and 3)
L2TP_PORT = 1701
#: IP protocol number of L2TPv3 straight on IP
L2TPV3_IP_PROTO = 115


def carried_by_ip(layer: Layer) -> bool:
    """Whether this IP header says L2TPv3 follows."""
    proto = layer.field("ip.proto") or layer.field("ipv6.nxt")
    return proto is not None and proto.value == str(L2TPV3_IP_PROTO)
