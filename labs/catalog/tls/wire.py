"""Reading the TLS fields of dissected packets (Wireshark's `tls.*` names),
shared by the explanation, the steps and the certificate's story."""

from __future__ import annotations

from collections.abc import Iterable

from labs.catalog.tls.result import Exchange
from labs.kit import Field, Packet

HANDSHAKE_TYPES = {
    "1": "ClientHello",
    "2": "ServerHello",
    "4": "NewSessionTicket",
    "8": "EncryptedExtensions",
    "11": "Certificate",
    "12": "ServerKeyExchange",
    "13": "CertificateRequest",
    "14": "ServerHelloDone",
    "15": "CertificateVerify",
    "16": "ClientKeyExchange",
    "20": "Finished",
}
CONTENT_TYPES = {
    "20": "ChangeCipherSpec",
    "21": "Alert",
    "22": "Handshake",
    "23": "Application Data",
}


def values(p: Packet, name: str) -> list[Field]:
    """Every field called `name` in the packet (a ClientHello lists many suites)."""
    return list(p.fields(name))


def record_types(p: Packet) -> list[Field]:
    """Each record's type, in order. Wireshark names the type of a TLS 1.3
    encrypted record `tls.record.opaque_type` (the real type is inside)."""
    names = ("tls.record.content_type", "tls.record.opaque_type")
    return [f for layer in p.layers for f in layer.fields if f.filter in names]


def tcp_flags(p: Packet) -> int:
    return p.number("tcp.flags") or 0


def payload_len(p: Packet) -> int:
    return p.number("tcp.len") or 0


def handshake(packets: Iterable[Packet], kind: str) -> Packet | None:
    """The first wire packet carrying this handshake message ("1": ClientHello)."""
    for p in packets:
        if p.origin == "wire" and any(f.value == kind for f in values(p, "tls.handshake.type")):
            return p
    return None


def tls_version(exchange: Exchange) -> str:
    """ "TLSv1.3" (Python's spelling) as the lessons write it: "TLS 1.3"."""
    return exchange.version.replace("TLSv", "TLS ")


def client_of(packets: tuple[Packet, ...]) -> str:
    syn = next((p for p in packets if p.origin == "wire" and tcp_flags(p) & 0x12 == 0x02), None)
    return syn.src if syn else ""
