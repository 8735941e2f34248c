"""dns-stale: a cached DNS answer (long TTL) still points at the old server."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World
from labs.drills.world import AUTHORITATIVE

OLD = ("203.0.113.66", "203.0.113.67", "203.0.113.70")


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    old = f.rng.choice(OLD)
    ttl = f.rng.choice((43200, 86400))
    return common.variant(
        f,
        story=(
            f"Last night {f.host} moved to a new server. Since then calls to https://{f.host}/ "
            "from the office hang and time out; colleagues working from home say it works."
        ),
        world=World(
            records=(Record(f.host, f.address, 300), Record(f.web, f.address)),
            services=(Service(f.address, 443, "https", f.host),),
            stale=(Record(f.host, old, ttl),),
        ),
        answer=Diagnosis("dns", "stale-dns", "office-network"),
        evidence=Evidence(
            f"resolve {f.host}", f"dns.a == {old}", "dns.a", old,
            f"the office resolver still answers {f.host} = {old}, the old server's address",
        ),
        hints=(
            "Works from home, not from the office: what differs between the two? Start with "
            "the name.",
            f"`resolve {f.host}`, then ask the name's own DNS server: "
            f"`resolve {f.host}@{AUTHORITATIVE}`. Do they agree?",
            f"The office resolver answers {old} with a TTL of many hours: it cached the answer "
            "from before the move. Who runs that resolver?",
        ),
        explain=(
            f"The office resolver answers {f.host} with {old}, the address from before the move, "
            f"and will keep doing so for hours (its TTL counts down from {ttl} s); the zone's own "
            f"server says {f.address} (`resolve {f.host}@{AUTHORITATIVE}`). Connections go to an "
            f"address where nothing answers (`connect {f.host}:443`). The "
            "office network team can flush the resolver's cache (and next time, lower the TTL "
            "before a move)."
        ),
        url=f"https://{f.host}/",
        near=("server-down", "fw-drop", "no-record"),
    )  # fmt: skip


DRILL = Drill(
    id="dns-stale",
    title="The API moved, the office did not notice",
    summary="A cached DNS answer (long TTL) still points at the old, dead server.",
    variant=variant,
)
