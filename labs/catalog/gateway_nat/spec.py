"""The gateway-nat lab as declared: its options (see labs.spec)."""

from __future__ import annotations

from labs.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="gateway-nat",
    title="Go through a NAT gateway",
    module=3,
    summary="A private host reaches a server through NAT: the packet before and after translation.",
    package=__package__ or "",
    target=Target("none", "(none: the lab builds its own network)"),
    needs="netns",
    options=(
        Option(
            "simulate",
            "--simulate",
            "simulated version",
            "flag",
            "run the simulated version even where namespaces work",
        ),
    ),
)
