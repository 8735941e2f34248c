"""Network conditions as real kernel behaviour inside a lab's own namespaces:
delay, jitter and loss on router 1's link, a rate limit, a narrow link (MTU)
and an MTU black hole.

- delay, jitter, loss: `tc netem` where the kernel has it; where it does not,
  the forwarder (`labs.netsim.forwarder`) spliced into router 1 between the
  laptop's cable and the router's own interface, holding and dropping real
  frames.
- rate: `tbf` on router 1, both ways (it works on every kernel here).
- MTU: the interface MTU of the cable between the two routers.
- black hole: nftables on both routers drops the ICMP "fragmentation
  needed" they send (`labs.netsim.slow_agent.blackhole`).

`Applied` says which mechanism ran and every command, so the trace can say it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from labs.core.base import LabContext
from labs.netsim import ipv6 as ipv6
from labs.netsim.netns import Agent, Network, checksums_in_software, in_netns, run_command
from labs.netsim.netns import agent_argv as netns_agent_argv


@dataclass(frozen=True)
class Conditions:
    """What the learner asked of the network (0 = untouched)."""

    #: Round-trip time added, in ms (half each way).
    delay_ms: float = 0.0
    #: +/- ms added to each frame's delay, each way.
    jitter_ms: float = 0.0
    loss_pct: float = 0.0
    rate_kbit: int = 0
    mtu: int = 0
    blackhole: bool = False
    #: Where --mtu narrows the path, in words (a lab whose narrow cable is elsewhere says so).
    mtu_where: str = "between the routers"

    @property
    def shapes_time(self) -> bool:
        return bool(self.delay_ms or self.jitter_ms or self.loss_pct)

    @property
    def perfect(self) -> bool:
        return not (self.shapes_time or self.rate_kbit or self.mtu or self.blackhole)

    @classmethod
    def asked(cls, options: Mapping[str, Any]) -> Conditions:
        """The conditions a lab's request asks for (`request.options`: the
        knobs of `labs.core.condition_options`, and --blackhole where a lab has it)."""
        return cls(
            delay_ms=float(options.get("delay") or 0),
            jitter_ms=float(options.get("jitter") or 0),
            loss_pct=float(options.get("loss") or 0),
            rate_kbit=int(options.get("rate") or 0),
            mtu=int(options.get("mtu") or 0),
            blackhole=bool(options.get("blackhole")),
        )

    def describe(self) -> str:
        parts = []
        if self.delay_ms:
            parts.append(f"{self.delay_ms:g} ms round trip added")
        if self.jitter_ms:
            parts.append(f"+/-{self.jitter_ms:g} ms jitter")
        if self.loss_pct:
            parts.append(f"{self.loss_pct:g}% loss each way")
        if self.rate_kbit:
            parts.append(f"{self.rate_kbit} kbit/s")
        if self.mtu:
            parts.append(f"MTU {self.mtu} {self.mtu_where}")
        if self.blackhole:
            parts.append("ICMP 'fragmentation needed' filtered (black hole)")
        return ", ".join(parts) or "a perfect network (no delay, loss or limit added)"


@dataclass(frozen=True)
class Where:
    """Where in a topology the conditions go, so any namespace lab with a
    router can use them: the router whose link is slow, its interfaces
    toward the client and toward the server, the cable made narrow (each
    end as role and interface), and the routers whose ICMP a black hole
    filters. The defaults are the slow-network lab's line."""

    router: str = "r1"
    toward_client: str = "eth0"
    toward_server: str = "eth1"
    narrow: tuple[tuple[str, str], ...] = (("r1", "eth1"), ("r2", "eth0"))
    routers: tuple[str, ...] = ("r1", "r2")
    #: `narrow` in words.
    cable: str = "the narrow cable"


@dataclass(frozen=True)
class Applied:
    """What was done to the network: the mechanism in words, and the commands."""

    mechanism: str
    commands: tuple[str, ...]
    netem: bool


#: The veth pair the forwarder is spliced into, inside router 1: frames from
#: the laptop arrive on eth0, the forwarder hands them to hold0, the router's
#: IP stack receives them on hold1 (which takes eth0's address).
SPLICE = ("hold0", "hold1")


def agent_argv(command: str, args: dict[str, Any]) -> list[str]:
    """As `labs.netsim.netns.agent_argv`, for `labs.netsim.slow_agent` (it runs
    as root: -I keeps the working directory and PYTHONPATH off sys.path, and
    it dies with the run that started it)."""
    return netns_agent_argv(command, args, module="labs.netsim.slow_agent")


def agent(net: Network, role: str, command: str, **args: Any) -> Agent:
    """Start a slow_agent program inside a node; the network stops it on teardown."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", net.ns(role), *agent_argv(command, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C reaches us, not the agents; we stop them
        cwd="/",  # nothing of the learner's directory is near a root process
    )
    started = Agent(proc, net.topology.node(role).label, command)
    net.agents.append(started)
    return started


def netem_available(net: Network, role: str) -> bool:
    """Whether this kernel has netem: try it on the node's loopback, and undo."""
    ns = net.ns(role)
    probe = subprocess.run(
        ["tc", "-n", ns, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
        capture_output=True,
        timeout=10,
    )
    if probe.returncode != 0:
        return False
    subprocess.run(["tc", "-n", ns, "qdisc", "del", "dev", "lo", "root"], capture_output=True)
    return True


def _splice(net: Network, role: str, outer: str, commands: list[str]) -> None:
    """Put the forwarder's veth pair between `outer` and router 1's IP stack."""
    node = net.topology.node(role)
    address = node.interface(outer).address
    outside, inside = SPLICE
    lines = [
        f"link add {outside} type veth peer name {inside}",
        f"addr del {address} dev {outer}",
        f"addr add {address} dev {inside}",
        # Neither end the forwarder reads may answer ARP or take IP itself.
        f"link set {outer} arp off promisc on",
        f"link set {outside} arp off promisc on up",
        f"link set {inside} up",
    ]
    run_command(["ip", "-n", net.ns(role), "-batch", "-"], stdin="\n".join(lines) + "\n")
    in_netns(net.ns(role), partial(checksums_in_software, [outside, inside]))
    commands.extend(f"ip -n {role} {line}" for line in lines)


def _tc(net: Network, role: str, dev: str, spec: list[str], commands: list[str]) -> None:
    run_command(["tc", "-n", net.ns(role), "qdisc", "replace", "dev", dev, "root", *spec])
    commands.append(f"tc -n {role} qdisc replace dev {dev} root {' '.join(spec)}")


def _tbf(rate_kbit: int) -> list[str]:
    # burst: at least a few full frames; limit: the queue a slow link keeps
    # (about a second at this rate, the bufferbloat the lesson talks about).
    burst = max(4 * 1514, rate_kbit * 1000 // 8 // 100)
    limit = max(16 * 1514, rate_kbit * 1000 // 8)
    return ["tbf", "rate", f"{rate_kbit}kbit", "burst", str(burst), "limit", str(limit)]


def apply(
    net: Network,
    cond: Conditions,
    seed: int | None = None,
    where: Where = Where(),
    *,
    ipv6: bool = False,
) -> tuple[Applied, Agent | None]:
    """Make the router's link and the narrow cable behave as `cond` asks.
    Returns what was done and the forwarder (None when not needed)."""
    commands: list[str] = []
    words: list[str] = []
    forwarder = None
    router, toward_client = where.router, where.toward_client
    netem = cond.shapes_time and netem_available(net, router)
    if cond.shapes_time and netem:
        each = cond.delay_ms / 2
        spec = ["netem", "delay", f"{each:g}ms"]
        if cond.jitter_ms:
            spec.append(f"{cond.jitter_ms:g}ms")
        if cond.loss_pct:
            spec += ["loss", f"{cond.loss_pct:g}%"]
        if cond.rate_kbit:
            spec += ["rate", f"{cond.rate_kbit}kbit"]
        for dev in (where.toward_client, where.toward_server):
            _tc(net, router, dev, spec, commands)
        words.append("tc netem on the router (delay and loss by the kernel's queueing discipline)")
    elif cond.shapes_time:
        _splice(net, router, where.toward_client, commands)
        toward_client = SPLICE[1]
        forwarder = agent(
            net, router, "forward", a=where.toward_client, b=SPLICE[0],
            delay=cond.delay_ms / 2000, jitter=cond.jitter_ms / 1000, loss=cond.loss_pct / 100,
            seed=seed,
        )  # fmt: skip
        commands.append(
            f"forwarder in {router} between {where.toward_client} and {SPLICE[0]}: hold each "
            f"frame {cond.delay_ms / 2:g} ms"
            + (f" +/- {cond.jitter_ms:g} ms" if cond.jitter_ms else "")
            + (f", drop {cond.loss_pct:g}%" if cond.loss_pct else "")
        )
        words.append(
            "a forwarder process in the router that holds (and drops) real frames between its "
            "two interfaces, because this kernel has no netem"
        )
    if cond.rate_kbit and not netem:
        for dev in (where.toward_server, toward_client):
            _tc(net, router, dev, _tbf(cond.rate_kbit), commands)
        words.append("tbf rate limits on the router, both ways")
    if cond.mtu:
        for role, dev in where.narrow:
            net.ip(role, "link", "set", dev, "mtu", str(cond.mtu))
            commands.append(f"ip -n {role} link set {dev} mtu {cond.mtu}")
        words.append(f"interface MTU {cond.mtu} on {where.cable}")
    if cond.blackhole:
        for role in where.routers:
            rules = agent(net, role, "blackhole", ipv6=ipv6).read(15)
            commands.append(f"nft (in {role}): " + rules["ruleset"].replace("\n", " "))
        words.append("nftables on the routers dropping ICMP 'fragmentation needed'"
                     + (" and ICMPv6 'packet too big'" if ipv6 else ""))  # fmt: skip
    mechanism = "; ".join(words) or "nothing: a perfect network"
    return Applied(mechanism, tuple(commands), netem), forwarder


@dataclass(frozen=True)
class Drop:
    """A frame the slow link dropped: when (wall clock), which way, its first bytes (hex)."""

    time: float
    direction: str
    head: str


@dataclass(frozen=True)
class Made:
    """What a run asked of the network, how it was made (mechanism in words,
    every command, whether netem did it) and which frames the forwarder
    dropped: kept in a lab's result, so its explanation can say what the
    condition did in this run."""

    asked: Conditions
    mechanism: str
    commands: tuple[str, ...]
    netem: bool = False
    drops: tuple[Drop, ...] = ()


def drops(report: dict[str, Any] | None) -> tuple[Drop, ...]:
    """The forwarder's report as Drops, in time order."""
    ways = (report or {}).get("ways", [])
    found = (Drop(float(t), str(w["direction"]), str(h)) for w in ways for t, h in w["dropped"])
    return tuple(sorted(found, key=lambda d: d.time))


class Slowed:
    """Conditions applied to a running network (see `slowed`): `made()` once
    the traffic is over stops the forwarder and says what it dropped."""

    def __init__(self, cond: Conditions, applied: Applied, forwarder: Agent | None) -> None:
        self.cond, self.applied, self.forwarder = cond, applied, forwarder
        self.report: dict[str, Any] | None = None

    def made(self, ctx: LabContext | None = None) -> Made:
        if self.forwarder is not None and self.report is None:
            self.forwarder.tell("stop")
            self.report = self.forwarder.read(10, ctx)
        a = self.applied
        return Made(self.cond, a.mechanism, a.commands, a.netem, drops(self.report))


@contextmanager
def slowed(
    net: Network, cond: Conditions, where: Where, ctx: LabContext, seed: int | None = None
) -> Iterator[Slowed]:
    """Apply `cond` at `where` (nothing at all for a perfect network) and wait
    until the forwarder, if one is needed, forwards. The network's teardown
    stops it whatever happens."""
    if cond.perfect:
        yield Slowed(cond, Applied("nothing: a perfect network", (), False), None)
        return
    ctx.say(f"Making the network: {cond.describe()}...")
    applied, forwarder = apply(net, cond, seed, where)
    if forwarder is not None:
        forwarder.read(15, ctx)
    yield Slowed(cond, applied, forwarder)


def commands_text(made: Made) -> str:
    """The conditions as asked, the mechanism, and every command run."""
    return "\n".join(["asked: " + made.asked.describe(), "mechanism: " + made.mechanism,
                      *made.commands])  # fmt: skip


__all__ = [
    "SPLICE",
    "Applied",
    "Conditions",
    "Drop",
    "Made",
    "Slowed",
    "commands_text",
    "drops",
    "ipv6",
    "slowed",
    "Where",
    "agent",
    "agent_argv",
    "apply",
    "netem_available",
]
