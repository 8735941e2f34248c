"""The tcp-handshake lab as declared: its target (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Target

SPEC = LabSpec(
    id="tcp-handshake",
    title="Open and close a TCP connection",
    module=4,
    summary="SYN, SYN-ACK, ACK; one line of data; FIN; then a closed port answers RST.",
    package=__package__ or "",
    target=Target("host-port", "HOST:PORT"),
)
