"""no-route: a wrong default gateway on the laptop, or a missing default route."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World
from labs.drills.world import GATEWAY


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    records = (Record(f.host, f.address), Record(f.web, f.address))
    services = (Service(f.address, 443, "https", f.host),)
    common_hints = (
        f"DNS answers (the resolver is on the office LAN). Now try to connect: "
        f"`connect {f.host}:443`."
    )
    if f.rng.random() < 0.5:
        wrong = f.rng.choice(("192.168.1.254", "192.168.1.100", "192.168.1.2"))
        return common.variant(
            f,
            story=(
                f"After IT 'fixed' this laptop's network settings by hand, nothing on the "
                f"Internet works from it: https://{f.host}/ times out. Other laptops are fine."
            ),
            world=World(records=records, services=services, client_gateway=wrong),
            answer=Diagnosis("ip", "wrong-gateway", "laptop-it"),
            evidence=Evidence(
                f"connect {f.host}:443", f"arp.dst.proto_ipv4 == {wrong}", "arp.dst.proto_ipv4",
                wrong, f"the laptop asks 'who has {wrong}?' and nobody answers: its default "
                "gateway does not exist",
            ),
            hints=(
                common_hints,
                f"The connection times out. Capture `connect {f.host}:443`: does any packet to "
                "the server even leave the office LAN?",
                f"The laptop keeps asking ARP 'who has {wrong}?': that is where it sends "
                f"everything not on the LAN. The real gateway is {GATEWAY}.",
            ),
            explain=(
                f"The laptop's default gateway is set to {wrong}, an address no machine on the "
                "LAN has: its ARP requests go unanswered, so no packet for the Internet ever "
                "leaves. DNS still works because the resolver is on the LAN itself. The laptop's "
                f"settings must point at {GATEWAY}."
            ),
            url=f"https://{f.host}/",
            near=("no-route", "fw-drop", "server-down"),
        )  # fmt: skip
    return common.variant(
        f,
        story=(
            f"Since the office router was replaced last night, nothing outside works: "
            f"https://{f.host}/ fails at once with 'network unreachable' on every laptop."
        ),
        world=World(records=records, services=services, gateway_default=False),
        answer=Diagnosis("ip", "no-route", "office-network"),
        evidence=Evidence(
            f"connect {f.host}:443", "icmp.type == 3 && icmp.code == 0", "icmp.code", "0",
            f"the office gateway ({GATEWAY}) answers ICMP destination unreachable, code 0: "
            "network unreachable, it has no route there",
        ),
        hints=(
            common_hints,
            f"It fails at once, not after a timeout: something answered. Capture "
            f"`connect {f.host}:443` and see who.",
            f"The office gateway {GATEWAY} answers ICMP 'network unreachable' (type 3, code 0): "
            "its routing table has no default route toward the ISP.",
        ),
        explain=(
            "Every connection is answered by the office gateway itself with ICMP destination "
            "unreachable, code 0 (network unreachable): the new router has no default route "
            "toward the ISP, so it knows no way to the server. The office network team must add it."
        ),
        url=f"https://{f.host}/",
        near=("wrong-gateway", "fw-reject", "server-down"),
    )  # fmt: skip


DRILL = Drill(
    id="no-route",
    title="Nothing outside works",
    summary="A wrong default gateway (ARP unanswered) or a missing route (ICMP unreachable).",
    variant=variant,
)
