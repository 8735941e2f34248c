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
- Add the module's name to `BUILTIN` below so `load()` imports it.

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

_loaded = False


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
    "HEADERS",
    "App",
    "Rule",
    "Stream",
    "app",
    "header",
    "load",
    "rules_mapper",
]
