"""What a tcp-handshake run keeps besides its packets: where it talked and
knocked, what the server answered, and this machine's ephemeral port range,
read when it ran (the explanation quotes it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TcpResult:
    #: The port of the server the lab connected to.
    server_port: int
    #: The closed port it knocked on: only with its own server, else None.
    closed_port: int | None
    #: The bytes the server sent back.
    answer: bytes
    #: net.ipv4.ip_local_port_range when the lab ran (None if unreadable).
    port_range: tuple[int, int] | None
