"""Small facts about ports on this machine, for the embedded servers' tests
and for labs that need a port where nothing listens."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it; we let go of it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_is_closed(host: str, port: int) -> bool:
    """True when nothing accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except OSError:
        return True
