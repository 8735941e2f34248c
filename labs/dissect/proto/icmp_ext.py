"""ICMP extensions (RFC 4884 section 7): after the quoted packet, an ICMP
error may carry a version-2 extension header and objects, such as the MPLS
label stack a router saw the packet with (RFC 4950) or the interface it
arrived on (RFC 5837). Fields as Wireshark names them (icmp.ext.*,
icmp.mpls.*, Wireshark 4.0).

Read by hand: scapy keeps the extensions as one field whose offset it
computes as if they came right after the header, which is where the quote
really is."""

from __future__ import annotations

from typing import Any

from labs.model.trace import Field

#: Object classes (IANA "ICMP Extension Object Classes").
CLASSES = {
    1: "MPLS Label Stack Class",
    2: "Interface Information Object",
    3: "Interface Identification Object",
}


def _f(label: str, name: str | None, value: str, at: int, n: int, explain: str = "") -> Field:
    return Field(label, name, value, value, at, n, explain)


def _mpls(data: bytes, at: int) -> list[Field]:
    out = []
    for i in range(0, len(data) - len(data) % 4, 4):
        word = int.from_bytes(data[i : i + 4], "big")
        label = word >> 12
        out += [
            _f("Label", "icmp.mpls.label", str(label), at + i, 3,
               "The MPLS label the router saw: the packet was inside a provider's MPLS network "
               "(routers forward by label there, not by IP address)."),
            _f("Experimental", "icmp.mpls.exp", str((word >> 9) & 7), at + i + 2, 1),
            _f("Stack bit", "icmp.mpls.s", str((word >> 8) & 1), at + i + 2, 1),
            _f("Time to live", "icmp.mpls.ttl", str(word & 0xFF), at + i + 3, 1),
        ]  # fmt: skip
    return out


def fields(packet: bytes, icmp_at: int, ext_at: int) -> tuple[Field, ...]:
    """The fields of the ICMP header's length byte and of the extensions at
    `ext_at` (the quoted packet ends there)."""
    words = packet[icmp_at + 5]
    out = [
        _f("Length of original datagram", "icmp.length.original_datagram", str(words * 4), icmp_at + 5, 1,
           "The quote of the original packet is padded to this many bytes so the extensions after it can be found."),
        _f("Version", "icmp.ext.version", str(packet[ext_at] >> 4), ext_at, 1,
           "ICMP extensions (RFC 4884): more facts about the dropped packet, after the quote."),
        _f("Reserved", "icmp.ext.res", f"0x{int.from_bytes(packet[ext_at : ext_at + 2], 'big') & 0xFFF:04x}", ext_at, 2),
        _f("Checksum", "icmp.ext.checksum", f"0x{packet[ext_at + 2 : ext_at + 4].hex()}", ext_at + 2, 2),
    ]  # fmt: skip
    pos = ext_at + 4
    while pos + 4 <= len(packet):
        n = int.from_bytes(packet[pos : pos + 2], "big")
        if n < 4 or pos + n > len(packet):
            break
        klass, ctype = packet[pos + 2], packet[pos + 3]
        out += [
            _f("Length", "icmp.ext.length", str(n), pos, 2),
            _f("Class", "icmp.ext.class", str(klass), pos + 2, 1, CLASSES.get(klass, "")),
            _f("C-Type", "icmp.ext.ctype", str(ctype), pos + 3, 1),
        ]
        body = packet[pos + 4 : pos + n]
        if klass == 1 and ctype == 1:
            out += _mpls(body, pos + 4)
        elif body:
            out.append(_f("Object data", None, body.hex(":"), pos + 4, len(body)))
        pos += n
    return tuple(out)


#: ICMPv4 errors that quote a packet (unreachable, time exceeded, parameter problem)
_ERRORS = frozenset((3, 11, 12))


def whole_quote(packet: Any) -> Any:
    """`packet` (scapy's) with the quote of its ICMP error read whole when
    the error gives no RFC 4884 length. scapy takes the bytes of an error of
    144 bytes or more from the 137th on for extensions (RFC 4884's rule for
    senders that give no length), so a long quote (Linux quotes up to 548
    bytes of a packet too big for the link) lost its end there; Wireshark
    4.0 reads the whole rest as the quote (`icmp.favor_icmp_mpls` is off)."""
    for layer in packet.iterpayloads():
        name = type(layer).__name__
        if name not in ("ICMP", "ICMPv6DestUnreach", "ICMPv6TimeExceeded"):
            continue
        raw = bytes(layer.original or b"")
        if layer.ext is None or len(raw) <= 8 or (name == "ICMP" and raw[0] not in _ERRORS):
            return packet  # scapy read the quote where it ends
        if raw[5 if name == "ICMP" else 4]:
            return packet  # RFC 4884's length: extensions follow the quote
        quote = raw[8:]
        cls = layer.guess_payload_class(quote)
        layer.ext, layer.extpad = None, b""
        layer.remove_payload()
        layer.add_payload(cls(quote, stop_dissection_after=packet.stop_dissection_after))
        return packet
    return packet
