"""no-nat: the gateway's masquerade rule is missing."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World
from labs.drills.world import CLIENT, GATEWAY_WAN


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    return common.variant(
        f,
        story=(
            f"After the office firewall/gateway was restored from an old backup, every call to "
            f"https://{f.host}/ times out. DNS works."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 443, "https", f.host),),
            nat=False,
        ),
        answer=Diagnosis("ip", "no-nat", "office-network"),
        evidence=Evidence(
            f"connect {f.host}:443",
            f"ip.src == {CLIENT} && ip.ttl == 63 && tcp.flags.syn == 1",
            "ip.src", CLIENT,
            f"on the Internet side (wan0) the SYN still carries the laptop's private address "
            f"{CLIENT}: the gateway did not translate it",
        ),
        hints=(
            f"The name resolves; the connection times out. Capture a connection attempt: "
            f"`connect {f.host}:443`.",
            f"The capture of `connect {f.host}:443` shows both sides of the office gateway. "
            "Compare the SYN on the office LAN (lan0) with the same SYN on the Internet side "
            "(wan0): what changed, what did not?",
            f"On wan0 the SYN still comes from {CLIENT}, a private (RFC 1918) address no "
            f"Internet router can send an answer to. It should have been {GATEWAY_WAN}.",
        ),
        explain=(
            f"The SYN leaves the office with ip.src {CLIENT}, the laptop's private address "
            f"(RFC 1918), instead of the gateway's public {GATEWAY_WAN}: the NAT (masquerade) "
            "rule is missing. The server answers, but no router on the Internet knows the way "
            "to a private address, so the answer is lost and the laptop times out."
        ),
        url=f"https://{f.host}/",
        near=("fw-drop", "no-route", "server-down"),
    )  # fmt: skip


DRILL = Drill(
    id="no-nat",
    title="Answers never come back",
    summary="The gateway forwards the laptop's private address untranslated (no NAT rule).",
    variant=variant,
)
