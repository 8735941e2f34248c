"""idle-reset: a kept-alive connection is reset when reused after being idle."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    idle = f.rng.choice((2, 3))
    return common.variant(
        f,
        story=(
            f"The app keeps its connections to http://{f.host}/ open for reuse. After a quiet "
            "moment the first call fails with 'connection reset by peer'; the retry works."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 80, "module:idle_middlebox", f.host,
                              args=("--idle-timeout", str(idle))),),
        ),
        answer=Diagnosis("tcp", "idle-reset", "firewall"),
        evidence=Evidence(
            f"fetch http://{f.host}/ reuse={idle + 1}",
            f"tcp.flags.reset == 1 && ip.src == {f.address}", "tcp.flags.reset", "1",
            f"the request sent on the connection after {idle + 1} s of silence is answered with a "
            "TCP reset; a fresh connection works",
        ),
        hints=(
            "A fresh call works. Try what the app does: reuse a connection after a pause "
            f"(`fetch http://{f.host}/ reuse={idle + 1}`).",
            f"Capture `fetch http://{f.host}/ reuse={idle + 1}`: what happens on the wire during "
            "the pause (nothing?) and right after it?",
            f"Nothing is sent while idle, then the reused connection gets a reset: something in "
            f"the path forgot it after {idle} s. Who runs the firewall with that idle timeout?",
        ),
        explain=(
            f"A connection left idle for more than {idle} s is forgotten by a middlebox on the "
            "path (a firewall or NAT with a short idle timeout), silently. The next request on it "
            f"is answered with a TCP reset. Fresh connections work (`fetch http://{f.host}/`), so "
            "the server is fine. The "
            "firewall's idle timeout must be longer than the app's pool keeps connections (or "
            "the app must send TCP keep-alives or close idle connections sooner)."
        ),
        url=f"http://{f.host}/",
        port=80,
        near=("fw-reject", "server-down", "rate-limited"),
    )  # fmt: skip


DRILL = Drill(
    id="idle-reset",
    title="The first call after a pause fails",
    summary="A middlebox's idle timeout resets kept-alive connections on reuse.",
    variant=variant,
)
