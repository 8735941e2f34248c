"""Link-layer headers: Ethernet, the Linux cooked header, and ARP."""

from __future__ import annotations

from typing import Any

from labs.dissect.proto.base import Rule, dec, header, hex4, rules_mapper

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

_PKTTYPES = {0: "to us", 1: "broadcast", 2: "multicast", 3: "to another host", 4: "sent by us"}

SLL = {
    "pkttype": Rule(
        "Packet type",
        "sll.pkttype",
        dec,
        lambda v: _PKTTYPES.get(int(v), str(v)),
        "Added by Linux when capturing: whether the packet came in or went out.",
    ),
    "lladdrtype": Rule("Link-layer address type", "sll.hatype", dec),
    "lladdrlen": Rule("Link-layer address length", "sll.halen", dec),
    "src": Rule("Source address", None, lambda v: bytes(v).hex(":")),
    "proto": Rule("Protocol", "sll.etype", hex4, _ethertype, _ethertype_explain),
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
header("CookedLinux")(rules_mapper("Linux cooked capture", SLL))
header("ARP")(rules_mapper("ARP", ARP))

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
