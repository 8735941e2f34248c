"""A learner's `--target HOST[:PORT]`: read it, say clearly what is wrong
with it, and find the address to talk to. Shared by the labs whose target is
a server rather than a URL (tcp-handshake, dns)."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from labs.model.errors import BadInput

_FORM = re.compile(
    r"\[(?P<v6>[0-9A-Fa-f:.]+)\](?::(?P<p6>\d+))?|(?P<host>[^\s:/\[\]@]+)(?::(?P<port>\d+))?"
)


@dataclass(frozen=True)
class Endpoint:
    """Where a lab connects: the resolved address family, address and port."""

    family: int
    address: str
    port: int

    @property
    def shown(self) -> str:
        """`127.0.0.1:53` or `[::1]:53`, as the trace's target."""
        if self.family == socket.AF_INET6:
            return f"[{self.address}]:{self.port}"
        return f"{self.address}:{self.port}"

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback


def parse_host_port(text: str, default_port: int | None, hint: str) -> tuple[str, int]:
    """`HOST`, `HOST:PORT`, `[IPv6]:PORT` (and a bare IPv6 address when a
    default port exists) -> (host, port). `default_port` None makes the port
    required. Anything else raises BadInput with `hint`."""
    text = text.strip()
    form = "HOST:PORT" if default_port is None else "HOST[:PORT]"
    if "://" in text:
        raise BadInput(f"--target {text!r} is a URL; this lab wants {form}.", hint)
    if default_port is not None and text.count(":") > 1 and not text.startswith("["):
        try:
            return str(ipaddress.IPv6Address(text)), default_port  # a bare IPv6 address
        except ValueError:
            raise BadInput(f"--target {text!r} is not {form}.", hint) from None
    match = _FORM.fullmatch(text)
    port_text = (match["p6"] or match["port"]) if match else None
    if not match or (port_text is None and default_port is None):
        raise BadInput(f"--target {text!r} is not {form}.", hint)
    port = int(port_text) if port_text is not None else int(default_port or 0)
    if not 1 <= port <= 65535:
        raise BadInput(f"Port {port} is out of range.", "A port is a number from 1 to 65535.")
    return match["v6"] or match["host"], port


def parse_url(
    text: str, lab: str, speaks: str, schemes: tuple[str, ...], hint: str, assume: str | None = None
) -> SplitResult:
    """The learner's URL `--target` for a lab that `speaks` a protocol over
    `schemes`: checked once for every URL lab (empty, no scheme -- or `assume`
    one --, another protocol's scheme, a port outside 1-65535, no host or an
    impossible one) with BadInput worded for the learner."""
    raw = text.strip()
    if not raw or any(c.isspace() for c in raw):
        raise BadInput(f"--target {text!r} is not a URL (it is empty or has spaces).", hint)
    if "://" not in raw:
        if assume is None:
            raise BadInput(f"--target {raw!r} has no scheme.", f"Write it as {schemes[0]}://{raw}.")
        raw = f"{assume}://{raw}"
    try:
        url = urlsplit(raw)
        port = url.port
    except ValueError:
        raise BadInput(
            f"--target {text!r} is not a usable URL, or the port in it is not a number "
            "from 1 to 65535.",
            hint,
        ) from None
    if url.scheme.lower() not in schemes:
        raise BadInput(f"The {lab} lab speaks {speaks}, not {url.scheme}:// ({text}).", hint)
    if port == 0:
        raise BadInput(f"The port in {text!r} is not a number from 1 to 65535.", hint)
    host = url.hostname or ""
    if not host:
        raise BadInput(f"{text!r} names no host.", hint)
    if len(host) > 253 or any(len(label) > 63 for label in host.split(".")):
        raise BadInput(f"{host!r} is not a possible host name (too long).", hint)
    return url


def resolve(host: str, port: int, socktype: int) -> Endpoint:
    """The address to use for `host` (one DNS lookup for a name), IPv4 first:
    it is what the lessons draw, and what most servers answer on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socktype)
    except socket.gaierror as exc:
        raise BadInput(
            f"Cannot find the address of {host!r} ({exc.strerror}).",
            "Check the spelling, or give an IP address.",
        ) from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _type, _proto, _name, sockaddr = infos[0]
    return Endpoint(family, str(sockaddr[0]), port)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it; we let go of it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_is_closed(host: str, port: int) -> bool:
    """True when nothing accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except OSError:
        return True
