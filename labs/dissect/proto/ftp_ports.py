"""Where an FTP data connection goes: the arguments of PASV replies (227),
EPSV replies (229), PORT and EPRT commands decoded into Wireshark's
`ftp.passive.*`, `ftp.epsv.port`, `ftp.active.*` and `ftp.eprt.*` fields, with
the byte arithmetic spelled out (p1*256+p2), whether the address named is
not the sender's (`ftp.passive.nat`, `ftp.active.nat`), and which data
connections Wireshark links to them (`linked_ports`)."""

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


def epsv_field(arg: bytes, arg_offset: int, sender: str | None = None) -> list[Field]:
    """The port a 229 reply names and, as Wireshark derives it, the address
    it is on: the reply's own source (`ftp.epsv.ip` / `ftp.epsv.ipv6`, a
    generated field with no bytes of its own)."""
    match = re.search(rb"\(\|\|\|(\d+)\|\)", arg)
    if match is None:
        return []
    port = int(match.group(1))
    named: list[Field] = []
    if sender is not None:
        try:
            address = ipaddress.ip_address(sender)
        except ValueError:
            address = None
        if address is not None:
            v6 = address.version == 6
            named.append(
                Field(
                    "Passive IPv6 address" if v6 else "Passive IP address",
                    "ftp.epsv.ipv6" if v6 else "ftp.epsv.ip",
                    str(address),
                    str(address),
                    arg_offset,
                    0,
                    f"Not in the reply: the server's address, {address}, which the reply came "
                    "from; the client connects there, to the port the reply names.",
                )
            )
    return named + [
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


#: The fields that offer a data connection's port (EPSV's is always linked).
OFFERS = ("ftp.passive.port", "ftp.active.port", "ftp.eprt.port")


def nat_field(announced: Field, sender: str | None, nat_filter: str, offset: int) -> list[Field]:
    """Wireshark's `ftp.passive.nat` / `ftp.active.nat`: present (true) when
    the address a PASV reply or a PORT command names is not the one its
    packet came from, as when the sender sits behind NAT."""
    if sender is None or _same(announced.value, sender):
        return []
    passive = nat_filter == "ftp.passive.nat"
    who, what = ("server", "reply") if passive else ("client", "command")
    return [
        Field(
            "Passive IP NAT" if passive else "Active IP NAT",
            nat_filter,
            "1",
            "True",
            offset,
            0,
            f"The {who} names {announced.value} for the data connection, but this {what} comes "
            f"from {sender}: an address translator (NAT) on the way, or a second address of "
            "the same host. Wireshark notes it here; the data connection may then use another "
            "address than the one named.",
        )
    ]


def linked_ports(fields: list[Field], addresses: tuple[str, str] | None) -> list[int]:
    """The data ports in these fields whose connection Wireshark 4.0 reads as
    FTP-DATA (tshark 4.0.17, checked on real captures of each case in
    tests/data/programs). `addresses`: (source, destination) of the packet
    that carries them, None when unknown.

    Wireshark expects each data connection between two addresses:
    - EPSV: the port at the reply's sender (the server): linked;
    - PASV: the port at the address the reply names, so a reply naming
      another address than its own (ftp.passive.nat: a server behind NAT)
      links nothing, the client connecting where it reached the server;
    - PORT: from the server's port 20, which the port alone already makes
      FTP-DATA; a server connecting from any other port is plain data;
    - EPRT: the port on the sender's (the client's) address, from the
      address EPRT names: only a host talking to itself, with one address
      for client, server and EPRT, matches.
    Decided here from the control connection: the client is taken to connect
    to the address it reached the server at (ftplib's and curl's default)
    and the server to connect back from its control address. A client that
    follows a PASV reply to another address, or a server connecting back from
    another, Wireshark links and tutor does not. The other data connections
    show as data, as in Wireshark; the narration says whose they are.
    Without addresses, a loopback EPRT address stands for "the same host"."""
    found: dict[str, Field] = {f.filter: f for f in fields if f.filter}
    ports = [int(found[n].value) for n in ("ftp.epsv.port",) if n in found]
    passive, announced = found.get("ftp.passive.port"), found.get("ftp.passive.ip")
    if passive is not None and announced is not None:
        if addresses is None or _same(announced.value, addresses[0]):
            ports.append(int(passive.value))
    eprt = found.get("ftp.eprt.port")
    address = found.get("ftp.eprt.ip") or found.get("ftp.eprt.ipv6")
    if eprt is not None and address is not None:
        if addresses is None:
            same_host = _loopback(address.value)
        else:
            same_host = all(_same(address.value, a) for a in addresses)
        if same_host:
            ports.append(int(eprt.value))
    return ports


def _same(a: str, b: str) -> bool:
    """One address, however spelled (IPv6 has many spellings)."""
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
