"""Network-layer headers: IPv4, IPv6 and ICMP (and the headers ICMP quotes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from labs.dissect.proto import icmp_ext
from labs.dissect.proto.base import Rule, dec, header, hex2, hex4, rules_mapper
from labs.model.trace import Field, Layer

PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}


def _proto_show(v: Any) -> str:
    return PROTOCOLS.get(int(v), str(int(v)))


def _ttl_explain(v: Any, layer: Any) -> str:
    n = int(v)
    if n <= 1:
        return (
            f"Time to live {n}: the next router will drop this packet and usually send back "
            "an ICMP 'time exceeded' message (this is how traceroute works)."
        )
    return (
        f"Time to live: each router on the way lowers it by one and drops the packet at 0, "
        f"so this packet can cross at most {n - 1} more routers."
    )


def _ip_flags(v: Any) -> str:
    return hex2(int(v))


def _ip_flags_show(v: Any) -> str:
    names = [n for bit, n in ((2, "Don't fragment"), (1, "More fragments")) if int(v) & bit]
    return ", ".join(names) or "none"


IP = {
    "version": Rule("Version", "ip.version", dec, explain="IP version 4: addresses are 4 bytes."),
    "ihl": Rule(
        "Header length",
        "ip.hdr_len",
        lambda v: str(int(v) * 4),
        lambda v: f"{int(v) * 4} bytes",
        lambda v, layer: (
            f"The IP header is {int(v) * 4} bytes; what follows is the {_proto_show(layer.proto)} data."
        ),
        uses_layer=True,
        layer_key=lambda layer: layer.proto,
    ),
    "tos": Rule("Differentiated services", "ip.dsfield", hex2),
    "len": Rule(
        "Total length",
        "ip.len",
        dec,
        lambda v: f"{int(v)} bytes",
        lambda v, layer: f"This IP packet (header and data) is {int(v)} bytes long.",
    ),
    "id": Rule("Identification", "ip.id", hex4),
    "flags": Rule("Flags", "ip.flags", _ip_flags, _ip_flags_show),
    # Wireshark's value counts 8-byte units (a filter ip.frag_offset==185
    # finds the fragment starting at byte 1480); the reading says bytes.
    "frag": Rule(
        "Fragment offset",
        "ip.frag_offset",
        dec,
        lambda v: f"{int(v) * 8} bytes" if int(v) else "0",
        lambda v, layer: (
            f"This piece starts at byte {int(v) * 8} of the original packet "
            f"(the field counts 8-byte units: {int(v)} × 8)."
            if int(v)
            else ""
        ),
    ),
    "ttl": Rule("Time to live", "ip.ttl", dec, explain=_ttl_explain),
    "proto": Rule(
        "Protocol",
        "ip.proto",
        dec,
        _proto_show,
        lambda v, layer: f"The next header inside is {_proto_show(v)} (protocol number {int(v)}).",
    ),
    "chksum": Rule(
        "Header checksum",
        "ip.checksum",
        hex4,
        explain="Lets the receiver detect a damaged header.",
    ),
    "src": Rule(
        "Source address",
        "ip.src",
        str,
        explain="The address of the computer that sent this packet.",
    ),
    "dst": Rule(
        "Destination address",
        "ip.dst",
        str,
        explain="The address this packet is going to; routers read it to pick the next hop.",
    ),
    "options": Rule("Options", None, lambda v: str(v)),
}

IPV6 = {
    "version": Rule(
        "Version", "ipv6.version", dec, explain="IP version 6: addresses are 16 bytes."
    ),
    "tc": Rule("Traffic class", "ipv6.tclass", lambda v: f"0x{int(v):08x}"),
    "fl": Rule("Flow label", "ipv6.flow", lambda v: f"0x{int(v):06x}"),
    "plen": Rule("Payload length", "ipv6.plen", dec),
    "nh": Rule("Next header", "ipv6.nxt", dec, _proto_show),
    "hlim": Rule("Hop limit", "ipv6.hlim", dec, explain=_ttl_explain),
    "src": Rule("Source address", "ipv6.src", str),
    "dst": Rule("Destination address", "ipv6.dst", str),
}

ICMP_TYPES = {
    0: "echo reply",
    3: "destination unreachable",
    5: "redirect",
    8: "echo request",
    11: "time exceeded",
}
UNREACHABLE = {
    0: "network unreachable",
    1: "host unreachable",
    3: "port unreachable",
    4: "fragmentation needed",
}


def _icmp_type_explain(v: Any, layer: Any) -> str:
    t = int(v)
    if t == 11:
        return "Time exceeded: a router dropped a packet whose time to live ran out, and tells the sender who it is."
    if t == 3:
        return "Destination unreachable: the packet could not be delivered; the code says why."
    if t == 8:
        return "Echo request: 'are you there?' (what ping sends)."
    if t == 0:
        return "Echo reply: the answer to an echo request."
    return f"ICMP message type {t}."


ICMP = {
    "type": Rule(
        "Type",
        "icmp.type",
        dec,
        lambda v: ICMP_TYPES.get(int(v), str(int(v))),
        _icmp_type_explain,
    ),
    "code": Rule(
        "Code",
        "icmp.code",
        dec,
        explain=lambda v, layer: (
            f"Code {int(v)}: {UNREACHABLE[int(v)]}."
            if int(layer.type) == 3 and int(v) in UNREACHABLE
            else ""
        ),
        uses_layer=True,
    ),
    "chksum": Rule("Checksum", "icmp.checksum", hex4),
    "id": Rule("Identifier", "icmp.ident", dec),
    "seq": Rule("Sequence number", "icmp.seq", dec),
    "unused": Rule("Unused", None, lambda v: str(v)),
    "reserved": Rule("Unused", None, lambda v: str(v)),
    "length": Rule("Length of original datagram", "icmp.length", dec),
    "ptr": Rule("Pointer", "icmp.pointer", dec),
    "gw": Rule("Gateway address", "icmp.redir_gw", str),
    "nexthopmtu": Rule("MTU of next hop", "icmp.mtu", dec),
}

header("IP")(rules_mapper("IPv4", IP))
header("IPerror")(rules_mapper("IPv4 (quoted)", IP))
_ipv6_fields = rules_mapper("IPv6", IPV6)


@header("IPv6", "IPerror6")
def ipv6_layer(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """IPv6, with the version also under Wireshark's shared name ip.version
    (Wireshark shows both, so a filter `ip.version == 6` finds the packet);
    the header an ICMPv6 error quotes is named as quoted."""
    lay, length = _ipv6_fields(layer, start, packet)
    version = lay.fields[0]
    shared = replace(version, filter="ip.version")
    name = "IPv6 (quoted)" if type(layer).__name__ == "IPerror6" else lay.name
    return replace(lay, name=name, fields=(shared, *lay.fields)), length


_icmp_fields = rules_mapper("ICMP", ICMP)


@header("ICMP", "ICMPerror")
def icmp_layer(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """ICMP without scapy's empty extension fields (nothing on the wire);
    an ICMP message quoted inside an ICMP error is named as quoted. An error
    with RFC 4884's length byte quotes that many 32-bit words of the packet
    and then carries extensions (an MPLS label stack, RFC 4950): the header
    is 8 bytes, the quote follows it, the extensions come after the quote."""
    lay, length = _icmp_fields(layer, start, packet)
    name = "ICMP (quoted)" if type(layer).__name__ == "ICMPerror" else lay.name
    fields = tuple(
        replace(
            f,
            filter="icmp.unused",
            value=(v := packet[f.offset : f.offset + f.length].hex(":")),
            show=v,
        )
        if f.name == "Unused"
        else f
        for f in lay.fields
        if f.length
    )
    if packet[start : start + 1] in (b"\x03", b"\x0b", b"\x0c") and len(packet) >= start + 8:
        words = packet[start + 5]
        ext_at = start + 8 + words * 4
        if words and len(packet) >= ext_at + 4:
            fields = tuple(f for f in fields if f.offset < start + 8) + icmp_ext.fields(
                packet, start, ext_at
            )
            length = 8
        elif not words and any(f.filter == "icmp.length" for f in fields):
            # No RFC 4884 length: the four bytes are one unused field, as Wireshark shows them.
            # (Before a "fragmentation needed" error's next-hop MTU, two bytes.)
            size = 2 if packet[start : start + 2] == b"\x03\x04" else 4
            if size == 4:  # scapy reads a next-hop MTU in every unreachable; only code 4 has one
                fields = tuple(f for f in fields if f.filter != "icmp.mtu")
            rest = tuple(
                f
                for f in fields
                if not start + 4 <= f.offset < start + 8
                or f.filter not in ("icmp.unused", "icmp.length")
            )
            unused = packet[start + 4 : start + 4 + size].hex(":")
            fields = (
                *rest[:3],
                Field("Unused", "icmp.unused", unused, unused, start + 4, size),
                *(f for f in rest[3:] if f.offset < start + 8),
            )
            # Then the whole rest is the quote (Linux quotes up to 548 bytes), not
            # scapy's guess of a 128-byte quote followed by extensions.
            length = 8
    return replace(lay, name=name, length=min(length, lay.length), fields=fields), length


ICMPV6_TYPES = {
    1: "destination unreachable",
    2: "packet too big",
    3: "time exceeded",
    128: "echo request",
    129: "echo reply",
    133: "router solicitation",
    134: "router advertisement",
    135: "neighbor solicitation",
    136: "neighbor advertisement",
}

ICMPV6 = {
    "type": Rule(
        "Type",
        "icmpv6.type",
        dec,
        lambda v: ICMPV6_TYPES.get(int(v), str(int(v))),
        lambda v, layer: {
            3: "Time exceeded: a router dropped a packet whose hop limit ran out.",
            1: "Destination unreachable: the packet could not be delivered.",
            133: "Router solicitation: a host asks the routers on its link to announce "
            "themselves (RFC 4861 section 4.1), rather than wait for their next announcement.",
            134: "Router advertisement: a router announces itself to the hosts on its link "
            "(RFC 4861 section 4.2).",
            135: "Neighbor solicitation: IPv6's ARP, asking who has an address on the local network.",
            136: "Neighbor advertisement: the answer, giving the hardware address.",
        }.get(int(v), ""),
    ),
    "code": Rule("Code", "icmpv6.code", dec),
    "cksum": Rule("Checksum", "icmpv6.checksum", hex4),
    "id": Rule("Identifier", "icmpv6.echo.identifier", hex4),
    "seq": Rule("Sequence", "icmpv6.echo.sequence_number", dec),
    "tgt": Rule("Target address", "icmpv6.nd.ns.target_address", str),
    # The four bytes after the checksum of a solicitation (bytes, as Wireshark shows them).
    "res": Rule("Reserved", "icmpv6.reserved", lambda v: int(v).to_bytes(4, "big").hex(":")),
    # A packet too big's: the largest packet the next link carries (RFC 4443, 3.2).
    "mtu": Rule(
        "MTU",
        "icmpv6.mtu",
        dec,
        lambda v: f"{int(v)} bytes",
        "The largest packet the link ahead carries: the sender must send smaller ones.",
    ),
}
header(
    "ICMPv6DestUnreach",
    "ICMPv6TimeExceeded",
    "ICMPv6PacketTooBig",
    "ICMPv6ND_NS",
    "ICMPv6ND_RS",
    "ICMPv6ND_RA",
)(rules_mapper("ICMPv6", ICMPV6))


_icmpv6 = rules_mapper("ICMPv6", ICMPV6)


@header("ICMPv6EchoRequest", "ICMPv6EchoReply")
def _echo6(layer: Any, start: int, packet: bytes) -> tuple[Layer, int]:
    """An echo's data as Wireshark shows it, data.data and data.len (for
    ICMPv6 it reads no sender's clock in them)."""
    lay, length = _icmpv6(layer, start, packet)
    fields: list[Field] = []
    for f in lay.fields:
        if f.filter is None and f.name == "data":
            fields += [
                replace(f, name="Data", filter="data.data"),
                Field("Length", "data.len", str(f.length), f"{f.length} bytes", f.offset, f.length),
            ]
        else:
            fields.append(f)
    return replace(lay, fields=tuple(fields)), length


def echo_time(icmp: Layer, data: bytes, now: float) -> Layer | None:
    """The ICMP layer of an echo with the sender's clock that Wireshark reads
    in the first 8 bytes of its data (ping puts it there to time the round
    trip: seconds then microseconds, in either byte order) when they fall
    within a day of the frame's own time; None when they do not."""
    kind = icmp.field("icmp.type")
    if icmp.name != "ICMP" or kind is None or kind.value not in ("0", "8") or len(data) < 8:
        return None
    for order in ("big", "little"):
        secs = int.from_bytes(data[:4], order)
        micros = int.from_bytes(data[4:8], order)
        # Wireshark compares the two as signed 32-bit numbers.
        apart = (secs - int(now) + 2**31) % 2**32 - 2**31
        if abs(apart) < 86400 and micros < 1_000_000:
            break
    else:
        return None
    when = dt.datetime.fromtimestamp(secs, dt.UTC)
    value = f"{when:%b} {when.day:2d}, {when:%Y %H:%M:%S}.{micros * 1000:09d} UTC"
    at = icmp.offset + icmp.length
    stamp = Field(
        "Timestamp from icmp data",
        "icmp.data_time",
        value,
        value,
        at,
        8,
        "When the sender sent this echo, by its own clock: ping times the round trip with it.",
    )
    return replace(icmp, length=icmp.length + 8, fields=(*icmp.fields, stamp))


def _set(v: Any) -> str:
    return "set" if int(v) else "not set"


# A neighbor advertisement: the target is the advertised address, and its
# three flags say router / answer to a solicitation / override the cache.
header("ICMPv6ND_NA")(
    rules_mapper(
        "ICMPv6",
        {
            **ICMPV6,
            "R": Rule("Router", "icmpv6.nd.na.flag.r", dec, _set, "The sender is a router."),
            "S": Rule(
                "Solicited",
                "icmpv6.nd.na.flag.s",
                dec,
                _set,
                "An answer to a neighbor solicitation.",
            ),
            "O": Rule(
                "Override",
                "icmpv6.nd.na.flag.o",
                dec,
                _set,
                "Replaces what a cache holds for the address.",
            ),
            "res": Rule("Reserved", "icmpv6.nd.na.flag.rsv", dec),
            "tgt": Rule("Target address", "icmpv6.nd.na.target_address", str),
        },
    )
)
