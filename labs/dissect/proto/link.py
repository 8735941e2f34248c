"""Link-layer headers: Ethernet, the Linux cooked headers (v1 and v2), and ARP."""

from __future__ import annotations

import struct
from typing import Any

from labs.dissect.proto.base import Rule, colons, dec, header, hex4, make_field, rules_mapper
from labs.model.trace import Field, Layer

_ETHERTYPES = {
    0x0800: "IPv4",
    0x86DD: "IPv6",
    0x0806: "ARP",
    0x8100: "VLAN",
    0x8863: "PPPoE discovery",
    0x8864: "PPPoE session",
}


def _ethertype(v: Any) -> str:
    return _ETHERTYPES.get(int(v), hex4(v))


def _ethertype_explain(v: Any, layer: Any) -> str:
    name = _ETHERTYPES.get(int(v))
    return (
        f"What the frame carries: {hex4(v)} means {name}."
        if name
        else f"What the frame carries: {hex4(v)}, a protocol this tool does not decode."
    )


def _mac(v: Any) -> str:
    return str(v).lower()


ETHER = {
    "dst": Rule(
        "Destination MAC",
        "eth.dst",
        _mac,
        explain=lambda v, layer: (
            "ff:ff:ff:ff:ff:ff is the broadcast address: every device on the local network reads this frame."
            if str(v).lower() == "ff:ff:ff:ff:ff:ff"
            else "The hardware address of the next device on the local network (not the final destination)."
        ),
    ),
    "src": Rule(
        "Source MAC",
        "eth.src",
        _mac,
        explain="The hardware address of the network card that sent this frame.",
    ),
    "type": Rule("EtherType", "eth.type", hex4, _ethertype, _ethertype_explain),
}

_ARP_OPS = {1: "request", 2: "reply"}

ARP = {
    "hwtype": Rule("Hardware type", "arp.hw.type", dec),
    "ptype": Rule("Protocol type", "arp.proto.type", hex4, _ethertype),
    "hwlen": Rule("Hardware size", "arp.hw.size", dec),
    "plen": Rule("Protocol size", "arp.proto.size", dec),
    "op": Rule(
        "Opcode",
        "arp.opcode",
        dec,
        lambda v: _ARP_OPS.get(int(v), str(v)),
        lambda v, layer: (
            f"A request: who has {layer.pdst}? Tell {layer.psrc}."
            if int(v) == 1
            else f"A reply: {layer.psrc} is at {str(layer.hwsrc).lower()}."
            if int(v) == 2
            else f"ARP operation {int(v)}."
        ),
        uses_layer=True,
    ),
    "hwsrc": Rule("Sender MAC address", "arp.src.hw_mac", _mac),
    "psrc": Rule("Sender IP address", "arp.src.proto_ipv4", str),
    "hwdst": Rule(
        "Target MAC address",
        "arp.dst.hw_mac",
        _mac,
        explain=lambda v, layer: (
            "All zeros: the sender does not know it yet; that is what it is asking."
            if int(layer.op) == 1
            else ""
        ),
        uses_layer=True,
    ),
    "pdst": Rule("Target IP address", "arp.dst.proto_ipv4", str),
}

header("Ether")(rules_mapper("Ethernet", ETHER))

header("ARP")(rules_mapper("ARP", ARP))

# The Linux cooked headers: what a capture on `any` (or on a link without
# its own header) gets instead of each interface's header. v1 is 16 bytes
# (`tcpdump -i any` on older libpcap), v2 20 (newer libpcap and Wireshark):
# the same facts, v2 adding the interface, in another order.

_PKTTYPES = {0: "to us", 1: "broadcast", 2: "multicast", 3: "to another host", 4: "sent by us"}
#: ARPHRD_* link types (Linux's if_arp.h) a capture on `any` meets most.
_HATYPES = {
    1: "Ethernet",
    512: "PPP",
    772: "Loopback",
    776: "IPv6 in IPv4 (sit)",
    778: "GRE",
    65534: "none (a tun device, WireGuard)",
}
#: Linux's own protocol numbers (if_ether.h), used where the type is 1536 or less.
_LTYPES = {1: "Novell 802.3", 2: "AX.25", 4: "802.2 LLC", 0x0C: "CAN", 0x0D: "CAN FD"}
_GRE = 778

SLL = {
    "pkttype": Rule(
        "Packet type",
        "sll.pkttype",
        dec,
        lambda v: _PKTTYPES.get(int(v), str(v)),
        "Added by Linux when capturing: whether the packet came in or went out.",
    ),
    "hatype": Rule(
        "Link-layer address type",
        "sll.hatype",
        dec,
        lambda v: _HATYPES.get(int(v), f"ARPHRD type {int(v)}"),
        "What kind of link the interface is (Linux's ARPHRD_ number): it says how to read "
        "the address.",
    ),
    "halen": Rule(
        "Link-layer address length",
        "sll.halen",
        dec,
        explain="How many of the 8 address bytes hold the sender's address.",
    ),
    "eth": Rule(
        "Source",
        "sll.src.eth",
        colons,
        explain=lambda v, layer: (
            "All zeros: the loopback interface has no hardware address."
            if not any(v)
            else "The hardware address of the interface that sent the packet "
            "(the header keeps no destination)."
        ),
    ),
    "ipv4": Rule(
        "Source",
        "sll.src.ipv4",
        lambda v: ".".join(map(str, v)),
        explain="A 4-byte link address: the IPv4 address of the tunnel end that sent it.",
    ),
    "other": Rule("Source", "sll.src.other", colons, explain="The sender's link-layer address."),
    "unused": Rule(
        "Unused",
        "sll.unused",
        colons,
        explain="The rest of the 8-byte address field: the address is shorter.",
    ),
    "etype": Rule("Protocol", "sll.etype", hex4, _ethertype, _ethertype_explain),
    "ltype": Rule(
        "Protocol",
        "sll.ltype",
        hex4,
        lambda v: _LTYPES.get(int(v), f"Linux protocol {hex4(v)}"),
        "A number this small is Linux's own protocol number, not an EtherType: "
        "the packet kept its link's own framing.",
    ),
    "gretype": Rule(
        "Protocol",
        "sll.gretype",
        hex4,
        _ethertype,
        "What the GRE tunnel carries (GRE numbers its payload with EtherTypes).",
    ),
    "reserved": Rule(
        "Reserved",
        None,
        dec,
        explain="Two bytes Linux leaves at zero (Wireshark does not show them).",
    ),
    "ifindex": Rule(
        "Interface index",
        "sll.ifindex",
        dec,
        lambda v: f"interface {int(v)}",
        "Which of the machine's interfaces the packet crossed, by Linux's number for it "
        "(`ip link` lists them; 1 is lo): a capture on `any` records them all.",
    ),
}


def _protocol(proto: int, hatype: int, at: int) -> Field:
    """The protocol field as Wireshark names it: Linux's own number (1536 or
    less), what a GRE tunnel carries, or an EtherType."""
    kind = "ltype" if proto <= 1536 else "gretype" if hatype == _GRE else "etype"
    return make_field(SLL[kind], proto, at, 2)


def _address(head: bytes, at: int, halen: int, start: int) -> list[Field]:
    """The sender's address in the 8 bytes at head[at:], read by its length
    as Wireshark reads it (4: IPv4, 6: Ethernet), and the bytes left unused."""
    size = min(halen, 8)
    kind = {4: "ipv4", 6: "eth"}.get(halen, "other" if halen else "")
    out = [make_field(SLL[kind], head[at : at + size], start + at, size)] if kind else []
    if size < 8:
        out.append(make_field(SLL["unused"], head[at + size : at + 8], start + at + size, 8 - size))
    return out


@header("CookedLinux")
def cooked_v1(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """The 16-byte Linux cooked (v1) header: packet type, link type, the
    sender's address and the protocol."""
    head = packet[start : start + 16]
    if len(head) < 16:
        raise ValueError("a Linux cooked header is 16 bytes")
    pkttype, hatype, halen = struct.unpack_from("!HHH", head)
    fields = [
        make_field(SLL["pkttype"], pkttype, start, 2),
        make_field(SLL["hatype"], hatype, start + 2, 2),
        make_field(SLL["halen"], halen, start + 4, 2),
        *_address(head, 6, halen, start),
        _protocol(int.from_bytes(head[14:16], "big"), hatype, start + 14),
    ]
    return Layer("Linux cooked capture", start, 16, tuple(fields)), 16


@header("CookedLinuxV2")
def cooked_v2(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """The 20-byte Linux cooked v2 header, in Wireshark's order: the
    protocol, the interface and its link type, the packet type and the
    sender's address."""
    head = packet[start : start + 20]
    if len(head) < 20:
        raise ValueError("a Linux cooked v2 header is 20 bytes")
    proto, reserved, ifindex, hatype, pkttype, halen = struct.unpack_from("!HHIHBB", head)
    fields = [
        _protocol(proto, hatype, start),
        make_field(SLL["reserved"], reserved, start + 2, 2),
        make_field(SLL["ifindex"], ifindex, start + 4, 4),
        make_field(SLL["hatype"], hatype, start + 8, 2),
        make_field(SLL["pkttype"], pkttype, start + 10, 1),
        make_field(SLL["halen"], halen, start + 11, 1),
        *_address(head, 12, halen, start),
    ]
    return Layer("Linux cooked capture v2", start, 20, tuple(fields)), 20


_VLAN = {
    "prio": Rule(
        "Priority",
        "vlan.priority",
        dec,
        explain="Class of service (0-7): switches may send higher priorities first.",
    ),
    "dei": Rule(
        "Drop eligible", "vlan.dei", dec, explain="1: may be dropped first when congested."
    ),
    "vlan": Rule(
        "VLAN ID",
        "vlan.id",
        dec,
        explain=lambda v, layer: (
            f"This frame belongs to virtual LAN {int(v)}: switches keep it apart from "
            "the other VLANs sharing the same cables."
        ),
    ),
    "type": Rule("Type", "vlan.etype", hex4, _ethertype, _ethertype_explain),
}

header("Dot1Q")(rules_mapper("802.1Q VLAN", _VLAN))


def cooked_trailer(payload: bytes, offset: int, frame: int) -> list[Layer]:
    """Bytes after the packet in a Linux cooked frame, split as Wireshark
    splits them: zeros that pad the frame (header included) to Ethernet's
    60-byte minimum (eth.padding), then the rest, a trailer (sll.trailer)."""
    n = len(payload)
    pad = 60 - (frame - n) if frame >= 60 and frame - n < 60 else 0
    if any(payload[:pad]):
        pad = 0  # not zeros: all of it is trailer
    out = []
    if pad:
        says = "Filler bytes after the packet (the frame's minimum size on Ethernet)."
        body = payload[:pad].hex(":")
        field = Field("Padding", "eth.padding", body, f"{pad} bytes", offset, pad, says)
        out.append(Layer("Padding", offset, pad, (field,)))
    if n > pad:
        says = "Bytes after the packet, not part of it: the interface's driver kept them."
        at, rest = offset + pad, n - pad
        body = payload[pad:].hex(":")
        field = Field("Trailer", "sll.trailer", body, f"{rest} bytes", at, rest, says)
        out.append(Layer("Trailer", at, rest, (field,)))
    return out
