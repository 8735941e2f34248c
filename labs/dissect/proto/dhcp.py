"""DHCP (RFC 2131, options RFC 2132): how a computer that has just joined a
network gets its address, the gateway and the DNS servers, in four messages
(Discover, Offer, Request, ACK: "DORA"), as Wireshark names the fields
(dhcp.*, Wireshark 4.0).

Read by hand rather than through scapy's BOOTP/DHCP layers: scapy keeps all
options as one field without their byte offsets, and every field here must
light its own bytes in the hex view."""

from __future__ import annotations

import ipaddress

from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Field, Layer

#: Option 53's values (RFC 2132 section 9.6, RFC 4388 for 10-13).
MESSAGE_TYPES = {
    1: "Discover",
    2: "Offer",
    3: "Request",
    4: "Decline",
    5: "ACK",
    6: "NAK",
    7: "Release",
    8: "Inform",
}

#: What each message says, for the narration.
SAYS = {
    1: "a computer with no address yet asks, to everyone on the network, for a DHCP server",
    2: "a DHCP server offers an address",
    3: "the computer asks to take the offered address",
    4: "the computer refuses the address: someone else already uses it",
    5: "the server confirms: the address is leased",
    6: "the server refuses the request",
    7: "the computer gives its address back",
    8: "the computer asks for settings only (it has an address)",
}

_IP_OPTIONS = {
    1: ("Subnet Mask", "dhcp.option.subnet_mask"),
    3: ("Router", "dhcp.option.router"),
    6: ("Domain Name Server", "dhcp.option.domain_name_server"),
    28: ("Broadcast Address", "dhcp.option.broadcast_address"),
    50: ("Requested IP Address", "dhcp.option.requested_ip_address"),
    54: ("DHCP Server Identifier", "dhcp.option.dhcp_server_id"),
}
_SECONDS = {
    51: ("IP Address Lease Time", "dhcp.option.ip_address_lease_time"),
    58: ("Renewal Time Value", "dhcp.option.renewal_time_value"),
    59: ("Rebinding Time Value", "dhcp.option.rebinding_time_value"),
}
_TEXT = {12: ("Host Name", "dhcp.option.hostname"), 15: ("Domain Name", "dhcp.option.domain_name")}

_EXPLAIN = {
    1: "Which part of an address is the network: together with the address, the subnet.",
    3: "The default gateway: where to send packets for anywhere outside this network.",
    6: "The DNS resolvers this computer should ask.",
    50: "The address the computer asks to have (the one it was offered).",
    51: "How long the address is lent; the computer must renew it before then.",
    54: "Which DHCP server this is about (there can be several on one network).",
}

_COOKIE = bytes((99, 130, 83, 99))
_FIXED = 236  # op .. file: the BOOTP header (RFC 951), before the magic cookie


def _ip(b: bytes) -> str:
    return str(ipaddress.IPv4Address(b))


def _f(
    label: str, name: str | None, value: str, at: int, n: int, explain: str = "", show: str = ""
) -> Field:
    return Field(label, name, value, show or value, at, n, explain)


def _header(data: bytes, at: int) -> list[Field]:
    op, htype, hlen, hops = data[0], data[1], data[2], data[3]
    flags = int.from_bytes(data[10:12], "big")
    hw = data[28 : 28 + 16]
    n = min(hlen, 16)
    out = [
        _f("Message type", "dhcp.type", str(op), at, 1,
           "1 = from a client (BOOTREQUEST), 2 = from a server (BOOTREPLY).",
           "Boot Request" if op == 1 else "Boot Reply"),
        _f("Hardware type", "dhcp.hw.type", f"0x{htype:02x}", at + 1, 1, "", "Ethernet" if htype == 1 else ""),
        _f("Hardware address length", "dhcp.hw.len", str(hlen), at + 2, 1),
        _f("Hops", "dhcp.hops", str(hops), at + 3, 1, "Relay agents passed on the way (0: same network)."),
        _f("Transaction ID", "dhcp.id", f"0x{data[4:8].hex()}", at + 4, 4,
           "A random number the client picks; the server's answers repeat it, so they are matched."),
        _f("Seconds elapsed", "dhcp.secs", str(int.from_bytes(data[8:10], "big")), at + 8, 2),
        _f("Bootp flags", "dhcp.flags", f"0x{flags:04x}", at + 10, 2),
        _f("Broadcast flag", "dhcp.flags.bc", str(flags >> 15), at + 10, 2,
           "1 asks the server to broadcast its answer (the client cannot receive to an address it does not have yet)."),
        _f("Client IP address", "dhcp.ip.client", _ip(data[12:16]), at + 12, 4,
           "Filled in only by a client that already has an address (renewing)."),
        _f("Your (client) IP address", "dhcp.ip.your", _ip(data[16:20]), at + 16, 4,
           "The address the server offers or grants."),
        _f("Next server IP address", "dhcp.ip.server", _ip(data[20:24]), at + 20, 4),
        _f("Relay agent IP address", "dhcp.ip.relay", _ip(data[24:28]), at + 24, 4),
        _f("Client MAC address", "dhcp.hw.mac_addr", hw[:n].hex(":"), at + 28, n,
           "The client's hardware address: how the server tells clients apart before they have addresses."),
    ]  # fmt: skip
    if n < 16:
        out.append(
            _f(
                "Client hardware address padding",
                "dhcp.hw.addr_padding",
                hw[n:].hex(":"),
                at + 28 + n,
                16 - n,
            )
        )
    sname = data[44:108].split(b"\0", 1)[0].decode("latin-1")
    file = data[108:236].split(b"\0", 1)[0].decode("latin-1")
    out += [
        _f("Server host name", "dhcp.server", sname, at + 44, 64, "", sname or "not given"),
        _f("Boot file name", "dhcp.file", file, at + 108, 128, "", file or "not given"),
    ]
    return out


def _option(code: int, value: bytes, at: int) -> list[Field]:
    """Fields of one option whose type byte sits at `at`."""
    n = len(value)
    v_at = at + 2
    out = [
        _f("Option", "dhcp.option.type", str(code), at, 1),
        _f("Length", "dhcp.option.length", str(n), at + 1, 1),
        _f("Value", "dhcp.option.value", value.hex(":"), v_at, n),
    ]
    explain = _EXPLAIN.get(code, "")
    if code == 53 and n == 1:
        kind = MESSAGE_TYPES.get(value[0], str(value[0]))
        out.append(_f("DHCP message type", "dhcp.option.dhcp", str(value[0]), v_at, 1,
                      f"DHCP {kind}: {SAYS.get(value[0], '')}.", kind))  # fmt: skip
    elif code in _IP_OPTIONS and n >= 4:
        label, name = _IP_OPTIONS[code]
        for i in range(0, n - n % 4, 4):
            out.append(_f(label, name, _ip(value[i : i + 4]), v_at + i, 4, explain))
    elif code in _SECONDS and n == 4:
        label, name = _SECONDS[code]
        secs = int.from_bytes(value, "big")
        out.append(_f(label, name, str(secs), v_at, 4, explain, f"{secs} s"))
    elif code in _TEXT:
        label, name = _TEXT[code]
        out.append(_f(label, name, value.decode("latin-1"), v_at, n))
    elif code == 61 and n == 7 and value[0] == 1:
        # A client identifier that is a hardware type and MAC address (RFC 2132 9.14).
        out += [
            _f("Hardware type", "dhcp.hw.type", "0x01", v_at, 1, "", "Ethernet"),
            _f("Client MAC address", "dhcp.hw.mac_addr", value[1:].hex(":"), v_at + 1, 6,
               "How this client names itself to the server: its MAC address."),
        ]  # fmt: skip
    elif code == 55:
        for i, item in enumerate(value):
            out.append(_f("Parameter Request List Item", "dhcp.option.request_list_item", str(item), v_at + i, 1,
                          "" if i else "The options the client asks the server to fill in."))  # fmt: skip
    return out


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    if len(payload) < _FIXED + 4:
        # Cut short (a capture's snap length): the header fields that are there
        # whole, as Wireshark shows them.
        end = offset + len(payload)
        found = _header(payload.ljust(_FIXED, b"\0"), offset)
        whole = tuple(f for f in found if f.offset + f.length <= end)
        if not whole:
            raise ValueError("not DHCP")
        return [Layer("DHCP", offset, len(payload), whole)]
    if payload[_FIXED : _FIXED + 4] != _COOKIE:
        raise ValueError("not DHCP")
    fields = _header(payload, offset)
    fields.append(_f("Magic cookie", "dhcp.cookie", "99.130.83.99", offset + _FIXED, 4,
                     "Marks the options that follow as DHCP's (a BOOTP message would end here)."))  # fmt: skip
    pos = _FIXED + 4
    while pos < len(payload):
        code = payload[pos]
        if code == 255:
            fields.append(_f("Option End", "dhcp.option.end", "255", offset + pos, 1))
            pos += 1
            if pos < len(payload):
                rest = payload[pos:]
                fields.append(
                    _f("Padding", "dhcp.option.padding", rest.hex(":"), offset + pos, len(rest))
                )
            break
        if code == 0:  # a pad option, one byte
            pos += 1
            continue
        if pos + 2 > len(payload):
            break
        n = payload[pos + 1]
        value = payload[pos + 2 : pos + 2 + n]
        fields += _option(code, value, offset + pos)
        pos += 2 + n
    return [Layer("DHCP", offset, len(payload), tuple(fields))]


def _kind(layers: tuple[Layer, ...]) -> int | None:
    found = first_field(layers, ("DHCP",), "dhcp.option.dhcp")
    return int(found.value) if found is not None else None


def describe(layers: tuple[Layer, ...]) -> str:
    kind = _kind(layers)
    if kind is None:
        return "a BOOTP message"
    return f"DHCP {MESSAGE_TYPES.get(kind, kind)}: {SAYS.get(kind, '')}"


def summarize(layers: tuple[Layer, ...]) -> str:
    kind = _kind(layers)
    if kind is None:
        return "BOOTP"
    txid = next((lay.field("dhcp.id") for lay in layers if lay.name == "DHCP"), None)
    return f"DHCP {MESSAGE_TYPES.get(kind, kind)}" + (
        f" - Transaction ID {txid.value}" if txid else ""
    )


app(App("dhcp", ("udp",), (67, 68), dissect, describe, None, summarize))
