"""What a dns run keeps besides its packets: the server's port (the
explanation decodes it as DNS and pairs questions to it) and the questions
the lab asked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DnsResult:
    #: The port of the DNS server the lab asked.
    port: int
    #: (name, record type) of each question, in the order asked.
    questions: tuple[tuple[str, str], ...]
