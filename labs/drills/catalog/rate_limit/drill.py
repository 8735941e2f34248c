"""rate-limit: 429 with Retry-After from the API's rate limiter."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    limit = f.rng.choice((2, 3))
    window = f.rng.choice((30, 60))
    return common.variant(
        f,
        story=(
            f"The nightly import job calls http://{f.host}/ in a tight loop. The first few calls "
            "work, then most of them fail; an hour later it starts working again, then fails again."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 80, "module:ratelimit", f.host,
                              args=("--limit", str(limit), "--window", str(window))),),
        ),
        answer=Diagnosis("http", "rate-limited", "our-devs"),
        evidence=Evidence(
            f"fetch http://{f.host}/ count=5", "http.response.code == 429", "http.response.code",
            "429", f"after {limit} calls the API answers 429 Too Many Requests, with a "
            "Retry-After header saying how long to wait",
        ),
        hints=(
            "One call is not enough to see it: call the API several times in a row "
            f"(`fetch http://{f.host}/ count=5`).",
            "Everything below HTTP works (the answers come back at once). Read the status codes "
            "and headers of the later calls.",
            f"429 Too Many Requests with Retry-After: the API allows {limit} calls per {window} s "
            "per client. Whose code calls too fast?",
        ),
        explain=(
            f"DNS, TCP and the server are fine: every call gets a quick answer. After {limit} "
            f"calls in {window} s the API answers 429 Too Many Requests (RFC 6585) with "
            "Retry-After (RFC 9110): it is protecting itself. The calling code must slow down and "
            "honour Retry-After (or ask the API's owner for a higher quota)."
        ),
        url=f"http://{f.host}/",
        port=80,
        near=("backend-down", "fw-reject", "server-down"),
    )  # fmt: skip


DRILL = Drill(
    id="rate-limit",
    title="It works, then it does not",
    summary="429 Too Many Requests with Retry-After from the API's rate limiter.",
    variant=variant,
)
