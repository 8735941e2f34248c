"""What a run of the http-api lab knows besides the bytes on the wire: each
request it sent, as the caller asked for it (so the explanation can say who
put each header there), and how the calls were made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hop:
    """One request the lab sent (a redirect it followed is a hop of its own)."""

    #: Why this request is in the lab ("ask without a key").
    why: str
    method: str
    #: The URL, a password in it masked.
    url: str
    #: Header names (lower case) the caller set itself.
    set_here: tuple[str, ...]
    #: How the request body was given: "json", "data" or "".
    body_kind: str
    #: Who "the caller" is, for labels: "the lab" or "you".
    setter: str
    #: The response body as the client got it (decompressed), at most the read cap.
    body: bytes = b""
    truncated: bool = False
    #: The FACTS.md fact this hop's status answers, if any.
    fact: str = ""


@dataclass(frozen=True)
class ApiResult:
    hops: tuple[Hop, ...]
    #: The server's port: its packets are read as HTTP, or as TLS when `tls`.
    port: int
    tls: bool
    #: --insecure: the certificate was not checked (curl gets -k).
    insecure: bool
    #: The host name of the learner's target ("" for the embedded API).
    host: str
    #: The port of the embedded API's keep-alive copy (0: none in this run).
    keepalive_port: int = 0
