"""The gateway-nat lab as declared: the network conditions on the gateway
(labs.core.condition_options) and the simulation."""

from __future__ import annotations

from labs.core.condition_options import condition_options
from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="gateway-nat",
    title="Go through a NAT gateway",
    module=3,
    summary="A private host reaches a server through NAT: the packet before and after translation.",
    package=__package__ or "",
    target=Target("none", "(none: the lab builds its own network)"),
    needs="netns",
    options=(
        *condition_options(
            "the gateway", "the gateway's Internet side", mtu_label="MTU (Internet side)"
        ),
        Option(
            "simulate",
            "--simulate",
            "simulated version",
            "flag",
            "run the simulated version even where namespaces work",
        ),
    ),
)
