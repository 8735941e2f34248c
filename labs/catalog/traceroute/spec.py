"""The traceroute lab as declared: its probes, and the network conditions on
router 1's link (labs.core.condition_options)."""

from __future__ import annotations

from labs.core.condition_options import condition_options
from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="traceroute",
    title="Trace the route through routers",
    module=3,
    summary="Find the two routers on the way to a server: each probe may cross one more "
    "router than the last, and the router where it runs out says so (TTL, ICMP time exceeded).",
    package=__package__ or "",
    target=Target("none", "(none: the lab builds its own network)"),
    needs="netns",
    options=(
        Option(
            "mode",
            "--mode",
            "mode",
            "choice",
            "the probes: udp, icmp (echo) or tcp (SYN)",
            choices=("udp", "icmp", "tcp"),
            default="udp",
            metavar="M",
        ),
        *condition_options(),
        Option(
            "simulate",
            "--simulate",
            "simulated version",
            "flag",
            "run the simulated version even where namespaces work",
        ),
    ),
)
