"""backend-down: 503 from a load balancer with one backend down."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    dead = f.rng.choice(("app-2", "app-b", "web-2"))
    alive = {"app-2": "app-1", "app-b": "app-a", "web-2": "web-1"}[dead]
    return common.variant(
        f,
        story=(
            f"About half of the calls to http://{f.host}/ fail with '503 Service Unavailable'; "
            "retrying usually works. It started after last night's maintenance."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 80, "module:loadbalancer", f.host,
                              args=("--alive", alive, "--dead", dead)),),
        ),
        answer=Diagnosis("http", "backend-down", "app-team"),
        evidence=Evidence(
            f"fetch http://{f.host}/ count=4", "http.response.code == 503", "http.response.code",
            "503", f"every other call is answered 503 by the load balancer, its X-Backend header "
            f"naming {dead}",
        ),
        hints=(
            f"Call it a few times in a row (`fetch http://{f.host}/ count=4`): does it always "
            "fail?",
            "The failures come back at once, from the same address: the network and the balancer "
            "work. Read the failing answers' headers.",
            f"X-Backend says which server behind the balancer answered: {dead} always fails, "
            f"{alive} never. Who runs those servers?",
        ),
        explain=(
            f"The load balancer at {f.address} answers every call at once, so DNS, TCP and the "
            f"balancer are fine. It sends the calls in turn to {alive} and {dead}; {dead} is down "
            "(its port refuses connections), so every call routed there is answered 503 Service "
            "Unavailable. The team that runs the service must fix the backend (or take it out of "
            "the pool: a health check would have)."
        ),
        url=f"http://{f.host}/",
        port=80,
        near=("rate-limited", "server-down", "fw-reject"),
    )  # fmt: skip


DRILL = Drill(
    id="backend-down",
    title="Half of the calls fail with 503",
    summary="A load balancer keeps sending traffic to a backend that is down.",
    variant=variant,
)
