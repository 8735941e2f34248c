"""The tcp-handshake lab as declared: its target (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Target

SPEC = LabSpec(
    id="tcp-handshake",
    title="Open and close a TCP connection",
    module=4,
    summary="How two programs open a connection, send a line each way and close it, and "
    "what a port where nothing listens answers (the packets SYN, SYN-ACK, ACK, FIN, RST).",
    package=__package__ or "",
    target=Target("host-port", "HOST:PORT"),
)
