"""Protocol modules: one per protocol, each mapping scapy's dissection to
Wireshark field names, Wireshark's value formatting and plain explanations.

How a protocol plugs in (see `labs.dissect.proto.base`):

- A header scapy already knows (Ethernet, IP, TCP, ...): register a mapper for
  the scapy layer class with ``header("ClassName")(rules_mapper("Name", RULES))``
  where RULES maps each scapy field name to a `Rule` (label, Wireshark
  filter, value formatter, short reading, explanation). Write a custom mapper
  (``@header("TCP") def tcp_layer(layer, start, packet) -> (Layer, header_length)``)
  when fields must be computed (flags, options, lengths).
- A protocol that rides on TCP/UDP (DNS, HTTP, TLS, FTP): call
  ``app(App(name, transport, ports, dissect, describe, detect))``.
  `dissect(payload, offset, stream)` returns `labs.model.trace.Layer`s whose field
  offsets count from the start of the packet (`offset` is where the payload
  starts); `describe(layers)` gives the narration a phrase built from those
  fields. Use scapy to parse when it knows the protocol; otherwise parse the
  bytes plainly (FTP: lines of text).
- Add the module's name to `BUILTIN` below so `load()` imports it, and
  its App to `DIRECTORY` (or its header classes to `HEADER_MODULES`'s
  module) so a capture that needs it imports it.

A capture needs a few of these modules: `app_named`, `by_port` and
`detected` import a protocol's module when a packet first needs it, and
`load_headers` the header modules only when scapy reads a packet.

`labs.dissect.core` picks the application protocol by, in order: what the same
TCP conversation already used, `decode_as={port: name}`, the App's
well-known `ports`, then each App's `detect(payload)`. Anything else becomes a
"Data" layer of bytes.
"""

from __future__ import annotations

import importlib

from labs.dissect.proto.base import APPS, HEADERS, App, Rule, Stream, app, header, rules_mapper

#: Protocol modules imported by `load()`, lower layers first.
BUILTIN = (
    "link",
    "inet",
    "inet6",
    "transport",
    "dns",
    "dns_tcp",
    "http",
    "tls",
    "ftp",
    "pgsql",
    "http2",
    "websocket",
    "smtp",
    "dhcp",
    "ntp",
    "tftp",
    "nbns",
    "telnet",
    "mail",
    "ssdp",
    "quic",
    "wifi",
    "dropbox",
    "ppp_words",
)

#: Each application protocol, the module that registers it, the transport
#: it rides on, its well-known ports and whether it has a `detect`, in the
#: order `load()` registers them (the order `detect`s are tried). Reading
#: this rather than importing every module keeps a capture's start-up to
#: the modules its packets need: the rest were a third of tutor's own
#: imports. tests/test_proto_lazy.py checks it against what they register.
DIRECTORY: tuple[tuple[str, str, str, tuple[int, ...], bool], ...] = (
    ("dns", "dns", "udp", (53,), True),
    ("mdns", "dns", "udp", (5353,), False),
    ("llmnr", "dns", "udp", (5355,), False),
    ("dns-tcp", "dns_tcp", "tcp", (53,), False),
    ("http", "http", "tcp", (80, 8080, 8000), True),
    ("tls", "tls", "tcp", (443, 8443, 993, 995, 465), True),
    ("ftp", "ftp", "tcp", (21,), True),
    ("ftp-data", "ftp", "tcp", (20,), False),
    ("pgsql", "pgsql", "tcp", (5432,), True),
    ("http2", "http2", "tcp", (), True),
    ("websocket", "websocket", "tcp", (), False),
    ("smtp", "smtp", "tcp", (25, 587), False),
    ("dhcp", "dhcp", "udp", (67, 68), False),
    ("ntp", "ntp", "udp", (123,), False),
    ("tftp", "tftp", "udp", (69,), False),
    ("nbns", "nbns", "udp", (137,), False),
    ("telnet", "telnet", "tcp", (23,), False),
    ("pop", "mail", "tcp", (110,), False),
    ("imap", "mail", "tcp", (143,), False),
    ("ssdp", "ssdp", "udp", (1900,), False),
    ("quic", "quic", "udp", (443,), True),
    ("db-lsp-disc", "dropbox", "udp", (17500,), False),
    ("pppoe", "ppp_words", "link", (), False),
    ("ppp", "ppp_words", "link", (), False),
    ("l2tp", "ppp_words", "link", (), False),
    ("l2tpv3", "ppp_words", "link", (), False),
)
#: Modules whose header mappers only a packet scapy reads may need (IPv6
#: extension headers, Neighbor Discovery options, 802.11); the headers the
#: fast path reads are mapped by modules `labs.dissect.layers` imports.
HEADER_MODULES = ("inet6", "wifi")

_MODULE = {name: module for name, module, *_ in DIRECTORY}
_PORTS = {(transport, port): name for name, _, transport, ports, _ in DIRECTORY for port in ports}
_DETECTS = {
    transport: tuple(n for n, _, t, _, detects in DIRECTORY if t == transport and detects)
    for transport in ("tcp", "udp")
}

_loaded = False
_headers_loaded = False


def _import(module: str) -> None:
    importlib.import_module(f"labs.dissect.proto.{module}")


def app_named(name: str) -> App | None:
    """The App called `name`, its module imported if it was not yet."""
    found = APPS.get(name)
    if found is None and name in _MODULE:
        _import(_MODULE[name])
        found = APPS.get(name)
    return found


def by_port(transport: str, port: int, excluded: frozenset[str] = frozenset()) -> str:
    """The protocol whose well-known port on `transport` is `port`, or ""."""
    name = _PORTS.get((transport, port), "")
    return "" if name in excluded else name


def detected(transport: str, payload: bytes, excluded: frozenset[str] = frozenset()) -> str:
    """The first protocol on `transport` whose `detect` recognises `payload`, or ""."""
    for name in _DETECTS.get(transport, ()):
        if name not in excluded:
            found = app_named(name)
            if found is not None and found.detect is not None and found.detect(payload):
                return name
    return ""


def load_headers() -> None:
    """Import the header modules a packet read by scapy may need."""
    global _headers_loaded
    if not _headers_loaded:
        for module in HEADER_MODULES:
            _import(module)
        _headers_loaded = True


def load() -> None:
    """Import every protocol module once (each registers itself)."""
    global _loaded
    if _loaded:
        return
    for name in BUILTIN:
        try:
            importlib.import_module(f"labs.dissect.proto.{name}")
        except ModuleNotFoundError as exc:
            # A protocol module still being written (e.g. ftp) must not break the others.
            if exc.name != f"labs.dissect.proto.{name}":
                raise
    _loaded = True


__all__ = [
    "APPS",
    "BUILTIN",
    "DIRECTORY",
    "HEADERS",
    "HEADER_MODULES",
    "App",
    "Rule",
    "Stream",
    "app",
    "app_named",
    "by_port",
    "detected",
    "header",
    "load",
    "load_headers",
    "rules_mapper",
]
