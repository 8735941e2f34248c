"""PPP over Ethernet (RFC 2516) and PPP itself (RFC 1661): how a DSL or
fibre line to an Internet provider carries IP. The modem first finds the
provider's access concentrator (PPPoE discovery, EtherType 0x8863), then
every packet travels in a PPPoE session (EtherType 0x8864) as a PPP frame:
a protocol number (0x0021 IPv4, 0x0057 IPv6) then the packet, or a PPP
control message (LCP keeps the link up, PAP or CHAP logs in, IPCP hands
out the address). On Ethernet or in a Linux cooked capture (the header
`tcpdump -i any` writes). Fields as Wireshark names them (pppoe.*, pppoed.*, ppp.*, lcp.*, ipcp.*,
Wireshark 4.0).

Read by hand: scapy's PPP layers bind themselves to Ethernet for the whole
process once imported, and fold fields Wireshark shows apart."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from labs.dissect.proto import ppp_auth
from labs.dissect.proto.tunnel_marks import PPPOE_DISCOVERY as DISCOVERY
from labs.model.trace import Field, Layer

PROTOCOLS = {
    0x0021: "IPv4",
    0x0057: "IPv6",
    0xC021: "LCP (Link Control Protocol)",
    0x8021: "IPCP (IP Control Protocol)",
    0x8057: "IPv6CP (IPv6 Control Protocol)",
    0xC023: "PAP (Password Authentication Protocol)",
    0xC223: "CHAP (Challenge Handshake Authentication Protocol)",
}
#: the network packets PPP carries, by protocol number
INNER = {0x0021: "ip", 0x0057: "ipv6"}

_CODES = {
    0x00: "Session Data",
    0x09: "Active Discovery Initiation (PADI)",
    0x07: "Active Discovery Offer (PADO)",
    0x19: "Active Discovery Request (PADR)",
    0x65: "Active Discovery Session-confirmation (PADS)",
    0xA7: "Active Discovery Terminate (PADT)",
}
_CODE_WORDS = {
    0x00: "Session data: a PPP frame of an open session follows.",
    0x09: "PADI: the modem broadcasts 'is there an access concentrator?'.",
    0x07: "PADO: an access concentrator offers itself.",
    0x19: "PADR: the modem picks that concentrator and asks for a session.",
    0x65: "PADS: the concentrator confirms and gives the session its ID.",
    0xA7: "PADT: one side ends the session.",
}
_TAGS = {
    0x0000: ("End-Of-List", None),
    0x0101: ("Service-Name", "pppoed.tags.service_name"),
    0x0102: ("AC-Name", "pppoed.tags.ac_name"),
    0x0103: ("Host-Uniq", "pppoed.tags.host_uniq"),
    0x0104: ("AC-Cookie", "pppoed.tags.ac_cookie"),
    0x0110: ("Relay-Session-Id", "pppoed.tags.relay_session_id"),
}
_TEXT_TAGS = (0x0101, 0x0102)

#: LCP and IPCP codes (RFC 1661 section 5)
CONTROL_CODES = {
    1: "Configuration Request",
    2: "Configuration Ack",
    3: "Configuration Nak",
    4: "Configuration Reject",
    5: "Termination Request",
    6: "Termination Ack",
    7: "Code Reject",
    8: "Protocol Reject",
    9: "Echo Request",
    10: "Echo Reply",
    11: "Discard Request",
}
_CODE_MEANS = {
    1: "proposes settings for the link (the options below)",
    2: "accepts every option proposed",
    3: "asks for other values of some options",
    4: "refuses some options outright",
    5: "asks to close the link",
    6: "agrees to close it",
    9: "asks 'are you still there?' (keepalive)",
    10: "answers a keepalive",
}
#: option type -> (label, Wireshark's name for the whole option, for its value)
_LCP_OPTIONS = {
    1: ("Maximum Receive Unit", "lcp.opt.mtu_bytes", "lcp.opt.mru"),
    3: ("Authentication Protocol", "lcp.opt.auth_protocol_bytes", "lcp.opt.auth_protocol"),
    5: ("Magic Number", "lcp.opt.magic_number_bytes", "lcp.opt.magic_number"),
}
_IPCP_OPTIONS = {
    3: ("IP Address", "ipcp.opt.addr", "ipcp.opt.ip_address"),
    129: ("Primary DNS Server IP Address", "ipcp.opt.pri_dns", "ipcp.opt.pri_dns_address"),
    130: ("Primary NBNS Server IP Address", "ipcp.opt.pri_nbns", "ipcp.opt.pri_nbns_address"),
    131: ("Secondary DNS Server IP Address", "ipcp.opt.sec_dns", "ipcp.opt.sec_dns_address"),
    132: ("Secondary NBNS Server IP Address", "ipcp.opt.sec_nbns", "ipcp.opt.sec_nbns_address"),
}

_OPTION_WORDS = {
    "Maximum Receive Unit": "The largest frame this end takes.",
    "Authentication Protocol": "How this end wants the other to prove who it is.",
    "Magic Number": "A random number: a line looped back to its sender shows it its own.",
    "IP Address": "The address this end asks for (0.0.0.0: 'give me one'), or is given.",
    "Primary DNS Server IP Address": "The DNS server to use (asked for as 0.0.0.0).",
    "Secondary DNS Server IP Address": "A second DNS server to use.",
}


@dataclass(frozen=True)
class Framed:
    """What a PPP-carrying header read: its layers, and where the packet it
    carries starts and what it is ("ip", "ipv6"; "" when nothing follows that
    the IP reader takes)."""

    layers: list[Layer]
    inner_at: int = 0
    kind: str = ""


#: Who a Linux cooked header's packet type says received the frame: the
#: header keeps no destination address.
_RECEIVER = {
    "0": "this host",
    "1": "everyone on the link",
    "2": "a multicast group",
    "3": "another host",
    "4": "the other end of the link",
}


def frame_ends(head: Layer) -> tuple[str, str]:
    """(sender, receiver) of a PPPoE frame by its Ethernet header, or by a
    Linux cooked header (v1 or v2: the sender's address; no destination)."""
    by = {f.filter or f.name: f.value for f in head.fields}
    if "eth.src" in by:
        return by["eth.src"], by.get("eth.dst", "")
    src = by.get("sll.src.eth") or by.get("sll.src.ipv4") or by.get("sll.src.other", "")
    return src, _RECEIVER.get(by.get("sll.pkttype", ""), "the other end of the link")


def field_at(
    label: str, name: str | None, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


def u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "big")


def pppoe(data: bytes, start: int, ethertype: int) -> Framed:
    """The PPPoE header at `start` (discovery or session) and, in a
    session, the PPP frame it carries."""
    if len(data) < start + 6:
        raise ValueError("short PPPoE header")
    code = data[start + 1]
    size = u16(data, start + 4)
    end = min(len(data), start + 6 + size)
    found = "a discovery" if ethertype == DISCOVERY else "a session"
    fields = [
        field_at("Version", "pppoe.version", str(data[start] >> 4), start, 1, "PPPoE version 1."),
        field_at("Type", "pppoe.type", str(data[start] & 0xF), start, 1),
        field_at(
            "Code",
            "pppoe.code",
            f"0x{code:02x}",
            start + 1,
            1,
            _CODE_WORDS.get(code, f"PPPoE code 0x{code:02x}."),
            _CODES.get(code, ""),
        ),
        field_at(
            "Session ID",
            "pppoe.session_id",
            f"0x{u16(data, start + 2):04x}",
            start + 2,
            2,
            "Which PPPoE session this frame belongs to: the concentrator tells one subscriber's "
            "line from another's by it (0 before a session is set up).",
        ),
        field_at(
            "Payload length",
            "pppoe.payload_length",
            str(size),
            start + 4,
            2,
            f"{size} bytes follow this 6-byte header in {found} frame.",
            f"{size} bytes",
        ),
    ]
    if ethertype == DISCOVERY:
        fields += _tags(data, start + 6, end)
        return Framed([Layer("PPPoE Discovery", start, end - start, tuple(fields))])
    head = Layer("PPPoE Session", start, 6, tuple(fields))
    framed = ppp(data, start + 6, end, hdlc=False)
    return Framed([head, *framed.layers], framed.inner_at, framed.kind)


def _tags(data: bytes, at: int, end: int) -> list[Field]:
    out: list[Field] = []
    while at + 4 <= end:
        kind, size = u16(data, at), u16(data, at + 2)
        name, wireshark = _TAGS.get(kind, (f"0x{kind:04x}", None))
        value = data[at + 4 : min(end, at + 4 + size)]
        # Wireshark names a tag's type and length only with a preference set:
        # they are shown here as tutor's own reading.
        out += [
            field_at("Tag", None, f"0x{kind:04x}", at, 2, "", name),
            field_at("Tag length", None, str(size), at + 2, 2),
        ]
        if wireshark and size:
            shown = value.decode("utf-8", "replace") if kind in _TEXT_TAGS else value.hex(":")
            out.append(field_at(name, wireshark, shown, at + 4, len(value), _tag_words(kind)))
        at += 4 + size
    return out


def _tag_words(kind: int) -> str:
    return {
        0x0101: "The service the modem asks for (empty: any).",
        0x0102: "The name of the access concentrator answering.",
        0x0103: "A value the modem chose so it can match answers to its own question.",
        0x0104: "A value the concentrator hands out and expects back (against floods).",
    }.get(kind, "")


def ppp(data: bytes, start: int, end: int, hdlc: bool = True) -> Framed:
    """A PPP frame at `start`: (in HDLC framing, L2TP's: address 0xff and
    control 0x03 first, when present) the protocol, then LCP or IPCP, PAP
    or CHAP (`labs.dissect.proto.ppp_auth`), or the packet it carries."""
    fields: list[Field] = []
    at = start
    if hdlc and data[at : at + 2] == b"\xff\x03":
        fields += [
            field_at(
                "Address", "ppp.address", "0xff", at, 1, "All-stations: PPP links have two ends."
            ),
            field_at("Control", "ppp.control", "0x03", at + 1, 1, "Unnumbered information."),
        ]
        at += 2
    if at >= end:
        raise ValueError("no PPP protocol")
    width = 1 if data[at] & 1 else 2  # protocol field compression: one odd byte
    proto = int.from_bytes(data[at : at + width], "big")
    name = PROTOCOLS.get(proto, "")
    fields.append(
        field_at(
            "Protocol",
            "ppp.protocol",
            f"0x{proto:04x}",
            at,
            width,
            f"What this PPP frame carries: 0x{proto:04x}, {name}."
            if name
            else f"What this PPP frame carries: 0x{proto:04x}, which this tool does not decode.",
            name or f"0x{proto:04x}",
        ),
    )
    at += width
    head = Layer("PPP", start, at - start, tuple(fields))
    if proto in INNER:
        return Framed([head], at, INNER[proto])
    if proto in (0xC021, 0x8021) and at + 4 <= end:
        return Framed([head, control(data, at, end, proto)])
    if proto in ppp_auth.LAYERS and at + 4 <= end:
        return Framed([head, ppp_auth.read(data, at, end, proto)])
    return Framed([head])


def control(data: bytes, start: int, end: int, proto: int) -> Layer:
    """An LCP or IPCP message: code, identifier, length, then options
    (configuration) or a magic number (echo)."""
    code, ident, size = data[start], data[start + 1], u16(data, start + 2)
    stop = min(end, start + max(size, 4))
    lcp = proto == 0xC021
    what = "LCP" if lcp else "IPCP"
    means = _CODE_MEANS.get(code, "")
    fields = [
        field_at(
            "Code",
            "ppp.code",
            str(code),
            start,
            1,
            f"{what} {CONTROL_CODES.get(code, str(code)).lower()}: {means}." if means else "",
            CONTROL_CODES.get(code, str(code)),
        ),
        field_at(
            "Identifier",
            "ppp.identifier",
            str(ident),
            start + 1,
            1,
            "Matches an answer to its request.",
        ),
        field_at(
            "Length",
            "ppp.length",
            str(size),
            start + 2,
            2,
            f"This {what} message is {size} bytes.",
            f"{size} bytes",
        ),
    ]
    at = start + 4
    if code in (1, 2, 3, 4):
        fields += _options(data, at, stop, lcp, code)
    elif lcp and code in (9, 10, 11) and at + 4 <= stop:
        fields.append(
            field_at(
                "Magic number",
                "lcp.magic_number",
                f"0x{data[at : at + 4].hex()}",
                at,
                4,
                "A random number each end picked: a link that loops back to its sender "
                "shows the sender its own number.",
            )
        )
        if stop > at + 4:
            fields.append(
                field_at("Data", "lcp.data", data[at + 4 : stop].hex(":"), at + 4, stop - at - 4)
            )
    elif stop > at:
        name = "ppp.data" if code in (5, 6) else None
        fields.append(field_at("Data", name, data[at:stop].hex(":"), at, stop - at))
    label = "PPP Link Control Protocol" if lcp else "PPP IP Control Protocol"
    return Layer(label, start, stop - start, tuple(fields))


def _options(data: bytes, at: int, stop: int, lcp: bool, code: int) -> list[Field]:
    prefix = "lcp" if lcp else "ipcp"
    known = _LCP_OPTIONS if lcp else _IPCP_OPTIONS
    out: list[Field] = []
    while at + 2 <= stop:
        kind, size = data[at], data[at + 1]
        if size < 2:
            break
        label, whole, wireshark = known.get(kind, (f"Option {kind}", None, None))
        end = min(stop, at + size)
        out += [
            field_at(
                label, whole, data[at:end].hex(":"), at, end - at, _OPTION_WORDS.get(label, "")
            ),
            field_at("Type", f"{prefix}.opt.type", str(kind), at, 1, "", label),
            field_at("Length", f"{prefix}.opt.length", str(size), at + 1, 1),
        ]
        value = data[at + 2 : end]
        if wireshark and value:
            out.append(_option_value(label, wireshark, value, at + 2, code))
        at += size
    return out


def _option_value(label: str, name: str, value: bytes, at: int, code: int) -> Field:
    n = len(value)
    if name.startswith("ipcp.") and n == 4:
        addr = str(ipaddress.IPv4Address(value))
        role = {
            1: "what this end asks for",
            2: "what the other end asked for, accepted",
            3: "the value the other end should ask for instead",
            4: "refused",
        }.get(code, "")
        words = f"{addr}: {role}." if role else ""
        if addr == "0.0.0.0" and code == 1:
            words = "0.0.0.0: this end has none yet and asks the other end to give one."
        return field_at(label, name, addr, at, n, words)
    number = int.from_bytes(value, "big")
    if name == "lcp.opt.mru":
        return field_at(
            label,
            name,
            str(number),
            at,
            n,
            f"The largest PPP frame this end takes: {number} bytes.",
        )
    if name == "lcp.opt.auth_protocol":
        shown = f"0x{int.from_bytes(value[:2], 'big'):04x}"
        return field_at(
            label,
            name,
            shown,
            at,
            n,
            "How this end wants the other to log in.",
            PROTOCOLS.get(int(shown, 16), shown),
        )
    return field_at(label, name, f"0x{number:0{2 * n}x}", at, n)
