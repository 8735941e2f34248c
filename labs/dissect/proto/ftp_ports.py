"""Where an FTP data connection goes: the arguments of PASV replies (227),
EPSV replies (229), PORT and EPRT commands decoded into Wireshark's
`ftp.passive.*`, `ftp.epsv.port`, `ftp.active.*` and `ftp.eprt.*` fields, with
the byte arithmetic spelled out (p1*256+p2), and which data connections
Wireshark links to them (`linked_ports`)."""

from __future__ import annotations

import ipaddress
import re

from labs.model.trace import Field

_NUMBERS = re.compile(rb"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})")


def address_fields(
    arg: bytes, arg_offset: int, ip_filter: str, port_filter: str, who: str
) -> list[Field]:
    """ip and port from `h1,h2,h3,h4,p1,p2` (PASV replies and PORT commands)."""
    match = _NUMBERS.search(arg)
    if match is None:
        return []
    nums = [int(n) for n in match.groups()]
    ip = ".".join(str(n) for n in nums[:4])
    p1, p2 = nums[4], nums[5]
    port = p1 * 256 + p2
    ip_start, ip_end = match.start(1), match.end(4)
    port_start, port_end = match.start(5), match.end(6)
    return [
        Field(
            "Data address",
            ip_filter,
            ip,
            ip,
            arg_offset + ip_start,
            ip_end - ip_start,
            f"The first four numbers are the IP address {ip} {who}.",
        ),
        Field(
            "Data port",
            port_filter,
            str(port),
            f"{p1}*256+{p2} = {port}",
            arg_offset + port_start,
            port_end - port_start,
            f"The last two numbers are the port, split into two bytes: "
            f"p1*256+p2 = {p1}*256+{p2} = {port}. The data connection uses port {port}.",
        ),
    ]


def epsv_field(arg: bytes, arg_offset: int) -> list[Field]:
    match = re.search(rb"\(\|\|\|(\d+)\|\)", arg)
    if match is None:
        return []
    port = int(match.group(1))
    return [
        Field(
            "Data port",
            "ftp.epsv.port",
            str(port),
            str(port),
            arg_offset + match.start(1),
            match.end(1) - match.start(1),
            f"Extended passive mode names only the port ({port}); the client connects "
            "to the same address as the control connection, so this also works over IPv6.",
        )
    ]


def eprt_fields(arg: bytes, arg_offset: int) -> list[Field]:
    match = re.match(rb"\|([12])\|([^|]+)\|(\d+)\|", arg)
    if match is None:
        return []
    family, address, port = (
        match.group(1),
        match.group(2).decode("ascii", "replace"),
        int(match.group(3)),
    )
    ip_filter = "ftp.eprt.ip" if family == b"1" else "ftp.eprt.ipv6"
    return [
        Field(
            "Address family",
            "ftp.eprt.af",
            family.decode(),
            "IPv4" if family == b"1" else "IPv6",
            arg_offset + match.start(1),
            1,
            "1: an IPv4 address follows; 2: IPv6 (RFC 2428).",
        ),
        Field(
            "Data address",
            ip_filter,
            address,
            address,
            arg_offset + match.start(2),
            match.end(2) - match.start(2),
            f"The client asks the server to connect back to {address}.",
        ),
        Field(
            "Data port",
            "ftp.eprt.port",
            str(port),
            str(port),
            arg_offset + match.start(3),
            match.end(3) - match.start(3),
            f"...on port {port}, where the client is now listening (active mode).",
        ),
    ]


def linked_ports(fields: list[Field]) -> list[int]:
    """The data ports in these fields whose connection Wireshark 4.0 reads as
    FTP-DATA (tshark 4.0.17, checked on made-up captures of each case).

    It links a passive-mode port (PASV, EPSV) to the client. An active-mode
    port it links only as its dissector notes it: PORT as a connection from
    the server's port 20, which the port alone already makes FTP-DATA, so a
    server connecting from any other port is plain data; EPRT between the
    client's own address and the EPRT address, both the client's, so only a
    server on that same address (one host talking to itself over loopback)
    matches. (Tutor sees no addresses here: a loopback EPRT address stands
    for "the same host".) The other data connections show as data, as in
    Wireshark; the narration says whose they are."""
    found: dict[str, Field] = {f.filter: f for f in fields if f.filter}
    ports = [int(found[n].value) for n in ("ftp.passive.port", "ftp.epsv.port") if n in found]
    eprt = found.get("ftp.eprt.port")
    address = found.get("ftp.eprt.ip") or found.get("ftp.eprt.ipv6")
    if eprt is not None and address is not None and _loopback(address.value):
        ports.append(int(eprt.value))
    return ports


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
