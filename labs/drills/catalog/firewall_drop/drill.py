"""firewall-drop: TCP to 443 dropped by the ISP's firewall (timeout)."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Rule, Service, Variant, World


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    return common.variant(
        f,
        story=(
            f"Calls to https://{f.host}/ hang for a long time and then fail. The status page "
            f"of {f.host} is green, and http://{f.host}/ (port 80) still loads."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 443, "https", f.host), Service(f.address, 80, "http", f.host)),
            rules=(Rule(443, "drop"),),
        ),
        answer=Diagnosis("tcp", "fw-drop", "firewall"),
        evidence=Evidence(
            f"connect {f.host}:443",
            "tcp.analysis.retransmission && tcp.flags.syn == 1 && tcp.dstport == 443",
            "tcp.flags.syn", "1",
            "the laptop sends its SYN to port 443 again: the first one was never answered",
        ),
        hints=(
            f"Does the name resolve (`resolve {f.host}`)? Then try to open a connection to the "
            f"port the API uses (`connect {f.host}:443`).",
            f"Compare `connect {f.host}:443` with `connect {f.host}:80`. One opens; what does the "
            "other do, and how long does it take?",
            "No answer at all, not even a refusal: the SYNs are retransmitted and vanish. Something "
            "between you and the server throws them away silently. Who runs that?",
        ),
        explain=(
            f"The name resolves and port 80 on {f.address} opens (`connect {f.host}:80`), so the "
            "server and the route are "
            "fine; port 443 gets no answer at all: the laptop's SYN is retransmitted and nothing "
            "comes back. A firewall that drops (rather than refuses) is what makes a connection "
            "hang until the caller's timeout."
        ),
        url=f"https://{f.host}/",
        port=443,
        near=("fw-reject", "server-down", "localhost"),
    )  # fmt: skip


DRILL = Drill(
    id="firewall-drop",
    title="Calls hang, then time out",
    summary="A firewall drops port 443 silently: SYN, SYN again, nothing back.",
    variant=variant,
)
