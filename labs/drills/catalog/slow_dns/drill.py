"""slow-dns: a resolver that adds seconds before every new connection."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    delay = f.rng.choice((1.5, 2.0, 2.5))
    return common.variant(
        f,
        story=(
            f"Every page of the intranet that calls http://{f.host}/ feels sluggish: each call "
            f"takes two seconds or more, yet {f.host}'s team shows server times of a few "
            "milliseconds."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 80, "http", f.host),),
            dns_delay=delay,
        ),
        answer=Diagnosis("dns", "slow-dns", "office-network"),
        evidence=Evidence(
            f"fetch http://{f.host}/", f"dns.flags.response == 1 && dns.qry.name == \"{f.host}\"",
            "dns.qry.name", f.host,
            f"the DNS answer for {f.host} arrives about {delay:g} s after its query; the rest "
            "of the call takes milliseconds",
        ),
        hints=(
            f"`fetch http://{f.host}/` and read the timings: which phase takes the time?",
            f"`resolve {f.host}` on its own. How long does the answer take? Then fetch by "
            f"address: `fetch http://{f.address}/`.",
            f"The office resolver answers after {delay:g} s, every time: each new connection waits "
            "for it. Who runs the resolver?",
        ),
        explain=(
            f"The waterfall shows it: the DNS lookup takes about {delay:g} s, connecting and the "
            f"answer a few milliseconds. Fetching by address is fast (`fetch http://{f.address}/`). "
            "The office resolver is slow "
            "(an overloaded or misconfigured forwarder); every new connection to a name pays it."
        ),
        url=f"http://{f.host}/",
        near=("stale-dns", "fw-drop", "mtu"),
    )  # fmt: skip


DRILL = Drill(
    id="slow-dns",
    title="Everything is two seconds slow",
    summary="A slow resolver adds seconds before every new connection.",
    variant=variant,
)
