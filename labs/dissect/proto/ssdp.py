"""SSDP (the discovery part of UPnP): HTTP-shaped messages over UDP, sent by
multicast to 239.255.255.250:1900. "M-SEARCH * HTTP/1.1" asks every device
on the network (printers, TVs, routers) to say what it is; devices answer
"HTTP/1.1 200 OK" with where to read their description, or announce
themselves with NOTIFY. Wireshark reads them with its HTTP dissector, so
the fields are http.* (Wireshark 4.0); this module does the same with ours."""

from __future__ import annotations

from dataclasses import replace

from labs.dissect.proto import http
from labs.dissect.proto.base import App, Stream, app, first_field
from labs.model.trace import Layer


def dissect(payload: bytes, offset: int, stream: Stream) -> list[Layer]:
    if not payload.startswith((b"M-SEARCH ", b"NOTIFY ", b"HTTP/1.")):
        raise ValueError("not SSDP")
    # Each datagram is a whole message: no stream to continue.
    return [replace(layer, name="SSDP") for layer in http.dissect(payload, offset, Stream())]


def describe(layers: tuple[Layer, ...]) -> str:
    method = first_field(layers, ("SSDP",), "http.request.method")
    if method is not None and method.value == "M-SEARCH":
        return "SSDP M-SEARCH: asks every UPnP device on the network to say what it is"
    if method is not None and method.value == "NOTIFY":
        return "SSDP NOTIFY: a device announces itself to the network"
    if first_field(layers, ("SSDP",), "http.response.code") is not None:
        return "SSDP answer: a device says what it is and where its description is"
    return ""


def summarize(layers: tuple[Layer, ...]) -> str:
    method = first_field(layers, ("SSDP",), "http.request.method")
    if method is not None:
        uri = first_field(layers, ("SSDP",), "http.request.uri")
        return f"SSDP {method.value} {uri.value if uri else ''}".strip()
    code = first_field(layers, ("SSDP",), "http.response.code")
    return f"SSDP {code.value}" if code is not None else "SSDP"


app(App("ssdp", ("udp",), (1900,), dissect, describe, None, summarize))
