"""What a dns run keeps besides its packets: the server's port (the
explanation decodes it as DNS and pairs questions to it), the questions
the lab asked, and for the recursive walk who is who."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DnsResult:
    #: The port of the DNS server the lab asked (in the walk: the resolver's).
    port: int
    #: (name, record type) of each question, in the order asked.
    questions: tuple[tuple[str, str], ...]
    #: "authoritative" (one server that owns the zone) or "recursive" (the walk).
    mode: str = "authoritative"
    #: The walk's servers: (address, role) pairs, the resolver's first.
    roles: tuple[tuple[str, str], ...] = ()
    #: Why the recursive walk could not run here (then the run is authoritative).
    fallback: str = ""
    #: Seconds the lab waited before asking the resolver the same name again.
    pause: float = 0.0
