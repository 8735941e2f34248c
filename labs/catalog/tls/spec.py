"""The tls lab as declared: its target and options (see labs.core.spec)."""

from __future__ import annotations

from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="tls",
    title="Look inside HTTPS",
    module=7,
    summary="What anyone on the path sees of HTTPS (SNI, certificate) and what they cannot.",
    package=__package__ or "",
    target=Target("url", "https://HOST[:PORT]/PATH"),
    options=(
        Option(
            "insecure",
            "--insecure",
            "accept an untrusted certificate",
            "flag",
            "do not verify the server's certificate",
        ),
    ),
)
