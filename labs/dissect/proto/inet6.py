"""IPv6 beyond the fixed header: the hop-by-hop options header and MLDv2
reports (the multicast group memberships a host announces), with
Wireshark's field names; scapy dissects them, the rules name them."""

from __future__ import annotations

import ipaddress
from typing import Any

from labs.dissect.proto.base import Rule, dec, header, hex2, hex4, rules_mapper
from labs.model.trace import Field, Layer

_HOPOPTS = {
    "nh": Rule("Next header", "ipv6.hopopts.nxt", dec),
    "len": Rule(
        "Length",
        "ipv6.hopopts.len",
        dec,
        lambda v: f"{(int(v) + 1) * 8} bytes",
        "The header's length in 8-byte units, not counting the first 8 bytes.",
    ),
}
_hopopts = rules_mapper("IPv6 Hop-by-Hop Options", _HOPOPTS)


@header("IPv6ExtHdrHopByHop")
def hop_by_hop(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """Options every router on the path must read (a router alert for MLD)."""
    lay, length = _hopopts(layer, start, packet)
    kept = [f for f in lay.fields if f.filter]
    at, end = start + 2, start + length
    while at < end:
        kind = packet[at]
        if kind == 0:  # Pad1: one byte
            at += 1
            continue
        size = packet[at + 1] if at + 1 < end else 0
        name = {1: "PadN", 5: "Router alert", 194: "Jumbo payload"}.get(kind, f"Option {kind}")
        kept.append(Field("Option type", "ipv6.opt.type", f"0x{kind:02x}", name, at, 1))
        kept.append(
            Field("Option length", "ipv6.opt.length", str(size), f"{size} bytes", at + 1, 1)
        )
        if kind == 5 and size == 2:
            alert = int.from_bytes(packet[at + 2 : at + 4], "big")
            kept.append(
                Field(
                    "Router alert",
                    "ipv6.opt.router_alert",
                    str(alert),
                    "MLD" if alert == 0 else str(alert),
                    at + 2,
                    2,
                    "Asks every router on the way to look inside this packet (it carries MLD).",
                )
            )
        at += 2 + size
    return Layer(lay.name, lay.offset, lay.length, tuple(kept)), length


_MLD2 = {
    "type": Rule(
        "Type",
        "icmpv6.type",
        dec,
        lambda v: "multicast listener report (MLDv2)",
        "A host tells the routers on its link which multicast groups it wants to receive.",
    ),
    "res": Rule("Code", "icmpv6.code", dec),
    "cksum": Rule("Checksum", "icmpv6.checksum", hex4),
    "records_number": Rule("Number of records", "icmpv6.mldr.nb_mcast_records", dec),
}
_mld2 = rules_mapper("ICMPv6", _MLD2)

_RECORD_TYPES = {
    1: "is include",
    2: "is exclude",
    3: "change to include",
    4: "change to exclude (join)",
    5: "allow new sources",
    6: "block old sources",
}


@header("ICMPv6MLReport2")
def mld_report(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    lay, length = _mld2(layer, start, packet)
    fields = [f for f in lay.fields if f.filter]
    at, end = start + 8, len(packet)
    for _ in range(int(layer.records_number or 0)):
        if at + 20 > end:
            break
        rtype, aux, nsrc = (
            packet[at],
            packet[at + 1],
            int.from_bytes(packet[at + 2 : at + 4], "big"),
        )
        group = str(ipaddress.IPv6Address(packet[at + 4 : at + 20]))
        fields += [
            Field("Record type", "icmpv6.mldr.mar.record_type", str(rtype), _RECORD_TYPES.get(rtype, str(rtype)), at, 1),
            Field("Aux data length", "icmpv6.mldr.mar.aux_data_len", str(aux), str(aux), at + 1, 1),
            Field("Number of sources", "icmpv6.mldr.mar.nb_sources", str(nsrc), str(nsrc), at + 2, 2),
            Field(
                "Multicast address",
                "icmpv6.mldr.mar.multicast_address",
                group,
                group,
                at + 4,
                16,
                "The group this record is about.",
            ),
        ]  # fmt: skip
        at += 20 + nsrc * 16 + aux * 4
    return Layer("ICMPv6", start, max(length, at - start), tuple(fields)), max(length, at - start)


_FRAGMENT = {
    "nh": Rule("Next header", "ipv6.fraghdr.nxt", dec),
    "res1": Rule("Reserved octet", "ipv6.fraghdr.reserved_octet", hex2),
    "offset": Rule(
        "Offset",
        "ipv6.fraghdr.offset",
        dec,
        lambda v: f"{int(v)} (× 8 = byte {int(v) * 8})",
        "Where this piece goes in the original packet, counted in 8-byte units.",
    ),
    "res2": Rule("Reserved bits", "ipv6.fraghdr.reserved_bits", dec),
    "m": Rule(
        "More Fragments",
        "ipv6.fraghdr.more",
        dec,
        explain="1: more pieces follow; 0: this is the last piece.",
    ),
    "id": Rule(
        "Identification",
        "ipv6.fraghdr.ident",
        lambda v: f"0x{int(v):08x}",
        explain="The same number on every piece of one packet, so the receiver can put them together.",
    ),
}
# IPv6 routers never fragment: only the sender does, with this header (RFC 8200 section 4.5).
header("IPv6ExtHdrFragment")(rules_mapper("IPv6 Fragment header", _FRAGMENT))


# Neighbor Discovery options (RFC 4861 section 4.6), after the fixed part of
# a solicitation, advertisement or router message: type, length in 8-byte
# units, then the value. Read from the bytes, as Wireshark names them.
_OPTIONS = {
    1: "Source link-layer address",
    2: "Target link-layer address",
    3: "Prefix information",
    4: "Redirected header",
    5: "MTU",
    14: "Nonce",
}
_LINKADDR = {
    1: (
        "icmpv6.opt.src_linkaddr",
        "The sender's own hardware (MAC) address, so the receiver can answer it "
        "(and note it) without asking.",
    ),
    2: (
        "icmpv6.opt.target_linkaddr",
        'The hardware (MAC) address of the target address: the answer to "who has it?".',
    ),
}


def _mac(b: bytes) -> str:
    return b.hex(":")


@header("ICMPv6NDOptSrcLLAddr", "ICMPv6NDOptDstLLAddr", "ICMPv6NDOptMTU", "ICMPv6NDOptUnknown")
def nd_option(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """One option, as Wireshark's icmpv6.opt.*: type, length (in 8-byte
    units), and the link-layer address, MTU or nonce it carries."""
    kind = packet[start] if start < len(packet) else 0
    units = packet[start + 1] if start + 1 < len(packet) else 0
    size = min(max(units * 8, 2), len(packet) - start)
    name = _OPTIONS.get(kind, f"Option {kind}")
    value = packet[start + 2 : start + size]
    fields = [
        Field("ICMPv6 Option", "icmpv6.opt", "", name, start, size),
        Field("Type", "icmpv6.opt.type", str(kind), f"{name} ({kind})", start, 1),
        Field(
            "Length",
            "icmpv6.opt.length",
            str(units),
            f"{units} ({units * 8} bytes)",
            start + 1,
            1,
            "The option's length in 8-byte units, its type and length bytes included.",
        ),
    ]
    title = name
    if kind in _LINKADDR and len(value) >= 6:
        mac = _mac(value[:6])
        title = f"{name} : {mac}"
        fields.append(Field("Link-layer address", "icmpv6.opt.linkaddr", mac, mac, start + 2, 6))
        named, meaning = _LINKADDR[kind]
        fields.append(Field(name, named, mac, mac, start + 2, 6, meaning))
    elif kind == 5 and len(value) >= 6:
        mtu = int.from_bytes(value[2:6], "big")
        title = f"MTU : {mtu}"
        fields.append(Field("Reserved", "icmpv6.opt.reserved", "", "", start + 2, 2))
        fields.append(
            Field(
                "MTU",
                "icmpv6.opt.mtu",
                str(mtu),
                f"{mtu} bytes",
                start + 4,
                4,
                "The largest packet this link carries: hosts on it send no bigger one.",
            )
        )
    elif kind == 14 and value:
        nonce = _mac(value)
        fields.append(
            Field(
                "Nonce",
                "icmpv6.opt.nonce",
                nonce,
                nonce,
                start + 2,
                len(value),
                "A random number a duplicate address check carries, so the host can tell "
                "its own solicitation looped back from another host's (RFC 7527).",
            )
        )
    elif value:
        fields.append(Field("Data", None, value.hex(":"), value.hex(":"), start + 2, len(value)))
    return Layer(f"ICMPv6 Option ({title})", start, size, tuple(fields)), size
