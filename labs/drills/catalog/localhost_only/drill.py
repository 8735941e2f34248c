"""localhost-only: the server listens on 127.0.0.1, not on its public address."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    port = f.rng.choice((443, 8443))
    return common.variant(
        f,
        story=(
            f"Right after this morning's deploy of {f.host}, every call to "
            f"https://{f.host}:{port}/ is refused. The team says 'it works on the server: "
            f"curl https://localhost:{port}/ answers fine'."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, port, "https", f.host, bind="127.0.0.1"),
                      Service(f.address, 80, "http", f.host)),
        ),
        answer=Diagnosis("tcp", "localhost", "app-team"),
        evidence=Evidence(
            f"connect {f.host}:{port}", f"tcp.flags.reset == 1 && ip.ttl == 63 && ip.src == {f.address}",
            "ip.ttl", "63",
            f"the reset comes from {f.address} itself (TTL 63, as its packets on port 80 have: "
            f"`connect {f.host}:80`): the "
            f"machine is up, but nothing listens on {f.address}:{port}",
        ),
        hints=(
            f"Try `connect {f.host}:{port}`, and port 80 on the same machine: "
            f"`connect {f.host}:80`.",
            f"Refused: a TCP reset came back. Capture `connect {f.host}:{port}`: who made it? "
            f"Compare its ip.ttl with the server's packets on port 80 (capture "
            f"`connect {f.host}:80`).",
            f"The server itself refuses: its port {port} is open only on 127.0.0.1 (so 'curl "
            f"localhost' works there), not on {f.address}. Whose configuration is that?",
        ),
        explain=(
            f"The reset comes from {f.address} itself: same TTL as its answers on port 80 "
            f"(`connect {f.host}:80`), so the "
            f"machine is up and reachable, but its kernel has no listener on {f.address}:{port}. "
            "The service is bound to 127.0.0.1 (reachable only from the server itself), a "
            "deploy setting the team that runs it must change (listen on 0.0.0.0 or the address)."
        ),
        url=f"https://{f.host}:{port}/",
        port=port,
        near=("fw-reject", "server-down", "fw-drop"),
    )  # fmt: skip


DRILL = Drill(
    id="localhost-only",
    title="It works on the server",
    summary="The API listens on 127.0.0.1 only; its own reset says so.",
    variant=variant,
)
