"""The slow-network lab as declared: its network conditions (declared once for
every router lab in labs.core.condition_options), the black hole and the simulation."""

from __future__ import annotations

from labs.core.condition_options import condition_options, delay, jitter, loss, mtu, rate
from labs.core.spec import LabSpec, Option, Target

SPEC = LabSpec(
    id="slow-network",
    title="When the network is slow, lossy or small",
    module=4,
    summary="The same HTTPS API call through a router with delay, loss, a rate limit or a small MTU.",
    package=__package__ or "",
    target=Target("none", "(none: the lab builds its own network)"),
    needs="netns",
    options=(
        *condition_options(delay_default=100.0),
        Option("blackhole", "--blackhole", "filter ICMP (black hole)", "flag",
               "with --mtu: the routers' ICMP 'fragmentation needed' is filtered"),
        Option("ipv6", "--ipv6", "over IPv6", "flag",
               "make the calls over IPv6 (2001:db8::/32 inside the lab); with --mtu 1280 or more, "
               "router 1 answers ICMPv6 'packet too big'"),
        Option("simulate", "--simulate", "simulated version", "flag",
               "run the simulated version even where namespaces work"),
    ),
)  # fmt: skip

#: The validators, for code that checked them here before they were shared.
__all__ = ["SPEC", "delay", "jitter", "loss", "mtu", "rate"]
