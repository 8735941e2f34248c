"""The list of labs and the one way to run them.

Listing labs imports nothing heavy; a lab's module (and scapy) is imported
only when it runs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from labs import system
from labs.base import LabContext, LabOptions
from labs.errors import BadInput
from labs.trace import Trace


@dataclass(frozen=True)
class LabInfo:
    """A lab as the learner sees it in a list, and where its code lives."""

    id: str
    title: str
    module: int
    summary: str
    #: The module with `run(options: LabOptions, ctx: LabContext) -> Trace`.
    code: str
    #: "capture": live capture or reconstructed; "netns": namespaces or simulated.
    needs: str = "capture"
    #: LabOptions fields this lab understands besides target and timeout.
    options: tuple[str, ...] = ()
    #: What --target looks like for this lab.
    target_hint: str = "URL"
    #: The values `--mode` takes, the first being the default.
    modes: tuple[str, ...] = ()


LABS: tuple[LabInfo, ...] = (
    LabInfo(
        "http-api",
        "Call an API",
        6,
        "GET/POST/... with requests: status, headers, JSON, auth, 404, 429, redirects, ETag.",
        "labs.catalog.http_api.run",
        options=("method", "headers", "data", "insecure"),
        target_hint="http(s)://HOST[:PORT]/PATH",
    ),
    LabInfo(
        "tcp-handshake",
        "Open and close a TCP connection",
        4,
        "SYN, SYN-ACK, ACK; one line of data; FIN; then a closed port answers RST.",
        "labs.catalog.tcp_handshake.run",
        target_hint="HOST:PORT",
    ),
    LabInfo(
        "dns",
        "Ask DNS",
        5,
        "A/AAAA/CNAME/MX/TXT queries over UDP, and a name that does not exist.",
        "labs.catalog.dns.run",
        options=("name", "qtype"),
        target_hint="HOST[:PORT] of a resolver",
    ),
    LabInfo(
        "tls",
        "Look inside HTTPS",
        7,
        "What anyone on the path sees of HTTPS (SNI, certificate) and what they cannot.",
        "labs.catalog.tls.run",
        options=("insecure",),
        target_hint="https://HOST[:PORT]/PATH",
    ),
    LabInfo(
        "ftp",
        "Fetch a file over FTP",
        8,
        "Login, LIST and RETR over a control and separate data connections, in clear text.",
        "labs.catalog.ftp.run",
        options=("mode",),
        target_hint="ftp://[user@]HOST[:PORT][/PATH]",
        modes=("passive", "active"),
    ),
    LabInfo(
        "traceroute",
        "Trace the route through routers",
        3,
        "TTL-limited probes through two real routers; each hop answers time-exceeded.",
        "labs.catalog.traceroute.run",
        needs="netns",
        options=("mode", "simulate"),
        target_hint="(none: the lab builds its own network)",
        modes=("udp", "icmp", "tcp"),
    ),
    LabInfo(
        "gateway-nat",
        "Go through a NAT gateway",
        3,
        "A private host reaches a server through NAT: the packet before and after translation.",
        "labs.catalog.gateway_nat.run",
        needs="netns",
        options=("simulate",),
        target_hint="(none: the lab builds its own network)",
    ),
)


def get(lab_id: str) -> LabInfo:
    for info in LABS:
        if info.id == lab_id:
            return info
    known = ", ".join(i.id for i in LABS)
    raise BadInput(f"There is no lab called {lab_id!r}.", f"Labs: {known} (see `tutor lab list`).")


@dataclass(frozen=True)
class Availability:
    """Which version of a lab will run here, and why."""

    version: str  # "live" | "reconstructed" | "namespaces" | "simulated"
    reason: str


def availability(info: LabInfo) -> Availability:
    if info.needs == "netns":
        cap = system.namespaces()
        return Availability("namespaces" if cap.ok else "simulated", cap.reason)
    cap = system.live_capture()
    return Availability("live" if cap.ok else "reconstructed", cap.reason)


def run_lab(
    lab_id: str,
    options: LabOptions | None = None,
    progress: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Trace:
    """Run a lab to completion and return its trace.

    Raises `labs.errors.LabError` (BadInput for bad options) with a one-line
    message; `Cancelled` when `cancel` is set.
    """
    info = get(lab_id)
    ctx = LabContext()
    if progress is not None:
        ctx.progress = progress
    if cancel is not None:
        ctx.cancel = cancel
    module = importlib.import_module(info.code)
    trace: Trace = module.run(options or LabOptions(), ctx)
    return trace
