"""What a run of the tls lab knows besides the bytes on the wire: what the
client learned at its end of the connection (the certificate, which in TLS
1.3 is encrypted on the wire; the session keys), and where it ran."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exchange:
    """What the client learned from its end of the connection."""

    #: The server name the client asked for (None when it connected to an address).
    sni: str | None
    #: Python's spelling: "TLSv1.3".
    version: str
    cipher: str
    alpn: str | None
    #: The server's certificate (DER), as the client received it.
    cert_der: bytes
    #: Whether the client checked the certificate (False with --insecure).
    verified: bool
    request: bytes
    response: bytes
    #: The session keys (SSLKEYLOGFILE format) when the lab wrote them itself ...
    keylog: str = ""
    #: ... or the learner's SSLKEYLOGFILE they were appended to.
    keylog_path: str = ""


@dataclass(frozen=True)
class TlsResult:
    exchange: Exchange
    #: The server's port: its wire packets are read as TLS.
    port: int
    #: True when the lab talked to its own server (it trusted only that CA).
    embedded: bool
    #: When the client read the certificate (ISO 8601, UTC): "days left" counts from here.
    checked_at: str
