"""The http2 lab as declared: its target and options (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="http2",
    title="HTTP/2: many calls on one connection",
    module=6,
    summary="The same API call over HTTP/1.1 and HTTP/2: ALPN, the preface, SETTINGS, "
    "HPACK headers, streams, DATA, WINDOW_UPDATE, GOAWAY.",
    package=__package__ or "",
    target=Target("url", "https://HOST[:PORT]/PATH (or http:// for HTTP/2 in clear, h2c)"),
    options=(
        Option(
            "h2c",
            "--h2c",
            "HTTP/2 in clear (h2c)",
            "flag",
            "the lab's own server without TLS: HTTP/2 by prior knowledge, readable as is",
        ),
        Option(
            "insecure",
            "--insecure",
            "accept an untrusted certificate",
            "flag",
            "do not verify the server's certificate",
        ),
    ),
)
