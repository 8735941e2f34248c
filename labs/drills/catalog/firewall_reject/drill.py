"""firewall-reject: the ISP's firewall answers SYNs to 443 with a reset."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Rule, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    return common.variant(
        f,
        story=(
            f"Every call to https://{f.host}/ fails instantly with 'connection refused'. The "
            f"team that runs {f.host} swears the service is up and listening on port 443, and "
            f"http://{f.host}/ answers."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 443, "https", f.host), Service(f.address, 80, "http", f.host)),
            rules=(Rule(443, "reject"),),
        ),
        answer=Diagnosis("tcp", "fw-reject", "firewall"),
        evidence=Evidence(
            f"connect {f.host}:443", "tcp.flags.reset == 1 && ip.ttl == 64", "ip.ttl", "64",
            "the reset reaches the office gateway with TTL 64: it was made one router away, by "
            f"the ISP router, not by the server, whose own packets (`connect {f.host}:80`) "
            "arrive with TTL 63",
        ),
        hints=(
            f"Refused means a TCP reset came back. Who sent it? Capture `connect {f.host}:443` "
            "and look.",
            f"Capture `connect {f.host}:80` (opens) and `connect {f.host}:443` (refused). Compare "
            "ip.ttl of the answers on the Internet side (wan0).",
            "The server's own packets arrive with TTL 63 (one router on the way); the reset "
            "arrives with 64: the router next door made it. A firewall rejecting on its behalf.",
        ),
        explain=(
            "Port 443 is refused at once while port 80 on the same address opens "
            f"(`connect {f.host}:80`). The reset's "
            "ip.ttl gives its author away: every router lowers the TTL by one, and the reset "
            "arrives with one more than the server's own packets, so it was made one hop nearer: "
            "a firewall rule that rejects (with a TCP reset) instead of the server."
        ),
        url=f"https://{f.host}/",
        port=443,
        near=("fw-drop", "localhost", "server-down"),
    )  # fmt: skip


DRILL = Drill(
    id="firewall-reject",
    title="Connection refused, but the server is up",
    summary="A firewall rejects port 443 with its own TCP reset; the TTL gives it away.",
    variant=variant,
)
