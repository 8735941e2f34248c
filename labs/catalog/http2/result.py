"""What a run of the http2 lab knows besides the packets: what each
connection's client end learned (ALPN's choice, the calls' answers), and
the TLS session keys that let Wireshark read the frames."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class H1Call:
    """The API call over HTTP/1.1."""

    alpn: str | None
    request: bytes
    response: bytes
    status: int


@dataclass(frozen=True)
class StreamCall:
    """One request of the HTTP/2 connection, on its own stream."""

    stream_id: int
    path: str
    status: int
    body_bytes: int


@dataclass(frozen=True)
class H2Call:
    """The HTTP/2 connection: ALPN's choice and one StreamCall per request."""

    alpn: str | None
    streams: tuple[StreamCall, ...]
    #: The stream of each DATA frame in the order they arrived (interleaving).
    data_order: tuple[int, ...]


@dataclass(frozen=True)
class Http2Result:
    #: "tls" (ALPN chooses h2) or "h2c" (HTTP/2 in clear, by prior knowledge).
    mode: str
    #: The server's port: its packets are read as TLS (or as HTTP/2 in clear).
    port: int
    #: True when the lab talked to its own server.
    embedded: bool
    #: The host (and port) the requests name: Host / :authority.
    authority: str
    http1: H1Call
    http2: H2Call
    #: The session keys (SSLKEYLOGFILE format) when the lab wrote them itself ...
    keylog: str = ""
    #: ... or the learner's SSLKEYLOGFILE they were appended to.
    keylog_path: str = ""
