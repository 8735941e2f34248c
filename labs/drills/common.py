"""What the drills share: the seeded names and addresses of a variant, and
the choices of a diagnosis built from them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from labs.drills.spec import LAYERS, Choice, Diagnosis, Evidence, Variant, World
from labs.drills.world import GATEWAY

DOMAINS = ("shop.example", "payments.example", "fleet.example", "tickets.example")
SERVICES = ("api", "checkout", "orders", "billing")
ADDRESSES = ("203.0.113.80", "203.0.113.81", "203.0.113.90", "203.0.113.120")


@dataclass(frozen=True)
class Facts:
    seed: int
    rng: random.Random
    domain: str
    host: str
    address: str

    @property
    def web(self) -> str:
        return f"www.{self.domain}"


def facts(seed: int) -> Facts:
    rng = random.Random(seed)
    domain = rng.choice(DOMAINS)
    return Facts(seed, rng, domain, f"{rng.choice(SERVICES)}.{domain}", rng.choice(ADDRESSES))


def calls(f: Facts) -> tuple[Choice, ...]:
    return (
        Choice("dns-admin", f"whoever runs the DNS zone {f.domain}",
               f"the records of the zone {f.domain}"),
        Choice("office-network", "the office network team (the gateway, its routes, its resolver)",
               f"the office gateway {GATEWAY} (its routes, NAT and links, and its DNS resolver)"),
        Choice("firewall", "the security team that runs the firewall at the ISP",
               "the ISP's firewall (what it lets through, refuses or drops, and when it forgets "
               "an idle connection)"),
        Choice("app-team", f"the team that runs {f.host} (its server and its configuration)",
               f"the servers of {f.host} (what listens on them, what they answer, their load "
               "balancer)"),
        Choice("certificates", f"whoever issues and renews {f.host}'s TLS certificate",
               f"the TLS certificate {f.host} shows"),
        Choice("laptop-it", "IT support, for the laptop's own network settings",
               "the laptop's own settings (its address, its gateway)"),
        Choice("our-devs", "our own developers, who wrote the code that calls the API",
               "our code that calls the API (how often it calls, how it reuses connections)"),
    )  # fmt: skip


def faults(f: Facts, port: int = 443) -> dict[str, str]:
    return {
        "no-record": f"{f.host} has no DNS record (NXDOMAIN)",
        "stale-dns": f"the office resolver still hands out an old address for {f.host}",
        "slow-dns": "the office DNS resolver takes seconds to answer",
        "fw-drop": f"a firewall silently drops connections to port {port}",
        "fw-reject": f"a firewall actively refuses connections to port {port}",
        "no-route": "a router on the way has no route toward the server",
        "wrong-gateway": "the laptop sends its traffic to a gateway that does not exist",
        "no-nat": "the office gateway does not translate (NAT) the laptop's private address",
        "mtu": "big packets are lost on a narrow link and the 'too big' warnings are blocked",
        "cert-expired": f"{f.host}'s TLS certificate has expired",
        "cert-name": f"{f.host}'s TLS certificate is for another name",
        "localhost": f"the server listens only on 127.0.0.1, not on {f.address}",
        "server-down": f"the server at {f.address} is switched off",
        "rate-limited": f"{f.host} turns us away for calling it too often (a rate limit)",
        "backend-down": f"one of the servers behind {f.host}'s load balancer is down",
        "idle-reset": "a middlebox forgets idle connections and resets them when they are reused",
    }


def variant(
    f: Facts,
    *,
    story: str,
    world: World,
    answer: Diagnosis,
    evidence: Evidence,
    hints: tuple[str, str, str],
    explain: str,
    url: str,
    port: int = 443,
    near: tuple[str, ...] = (),
) -> Variant:
    """A variant with its fault choices: the right one, the `near` misses a
    learner is likely to pick, and seeded others (five in all, shuffled)."""
    pool = faults(f, port)
    others = [k for k in pool if k != answer.fault and k not in near]
    picked = [answer.fault, *near[:4]]
    picked += f.rng.sample(others, 5 - len(picked))
    f.rng.shuffle(picked)
    return Variant(
        seed=f.seed,
        story=story,
        world=world,
        layers=tuple(Choice(k, t) for k, t in LAYERS),
        faults=tuple(Choice(k, pool[k]) for k in picked),
        calls=calls(f),
        answer=answer,
        evidence=evidence,
        hints=hints,
        explain=explain,
        url=url,
    )
