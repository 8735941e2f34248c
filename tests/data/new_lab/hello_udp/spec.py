"""The hello-udp lab as declared: one option of its own."""

from __future__ import annotations

from labs.kit import LabSpec, Option, Target

SPEC = LabSpec(
    id="hello-udp",
    title="Say hello over UDP",
    module=4,
    summary="One datagram to a small echo server and its answer: UDP has no handshake.",
    package=__package__ or "",
    target=Target("host-port", "HOST:PORT of a UDP echo server"),
    options=(
        Option(
            "greeting",
            "--greeting",
            "greeting",
            "text",
            "what to send",
            metavar="TEXT",
            placeholder="what to send",
            default="hello",
        ),
    ),
)
