"""What a tcp-handshake run keeps besides its packets: where it talked and
knocked, what the server answered, and this machine's ephemeral port range
and TCP timer settings, read when it ran (the explanation quotes them)."""

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
    #: This machine's TCP timer settings (sysctl name, value) when the lab ran:
    #: the SYN retry schedule and keepalive; empty where /proc/sys is unreadable.
    timers: tuple[tuple[str, int], ...] = ()
