"""The websocket lab as declared: its target and options (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="websocket",
    title="WebSocket: a connection that stays open",
    module=6,
    summary="A connection that stays open: it starts as an HTTP request (Upgrade, "
    "Sec-WebSocket-Key and Accept), then text, binary, ping/pong and close messages, "
    "client masking, and why a proxy's idle timeout kills a quiet socket.",
    package=__package__ or "",
    target=Target("url", "ws://HOST:PORT/PATH of a WebSocket echo server"),
    options=(
        Option(
            "message",
            "--message",
            "message",
            "text",
            "the text message to send (default: hello)",
            metavar="TEXT",
            placeholder="text message (hello)",
            default="hello",
        ),
    ),
)
