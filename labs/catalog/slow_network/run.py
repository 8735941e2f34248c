"""The slow-network lab's run: build laptop - router 1 - router 2 - API
server in namespaces, make router 1's link slow, lossy or rate-limited and
the routers' cable narrow, then make the same HTTPS API calls on fresh
connections (look the name up, GET a download, POST an upload), captured on
the laptop's network card. Without namespaces it is simulated, and says so.
"""

from __future__ import annotations

from dataclasses import replace

from labs.catalog.slow_network.explain import explain
from labs.catalog.slow_network.result import Call, Drop, SlowResult
from labs.core.base import LabContext, RawPacket
from labs.kit import BadInput, LabRequest, Recording, now, recording
from labs.kit.netlab import SLOW_NETWORK, conditions, netlab, netns

__all__ = ["RESULT", "explain", "record"]

LAB = "slow-network"
RESULT = SlowResult
SERVER_IP = "203.0.113.80"
#: What the two calls move: big enough for slow start to show several round
#: trips and for a rate limit to bind, small enough to finish at 200 ms RTT.
DOWNLOAD = 200_000
UPLOAD = 100_000
#: How long a call waits in the black-hole variant before calling it a hang.
HANG = 5.0


def _conditions(req: LabRequest) -> conditions.Conditions:
    return conditions.Conditions(
        delay_ms=float(req.option("delay") or 0),
        jitter_ms=float(req.option("jitter") or 0),
        loss_pct=float(req.option("loss") or 0),
        rate_kbit=int(req.option("rate") or 0),
        mtu=int(req.option("mtu") or 0),
        blackhole=bool(req.option("blackhole")),
    )


def _drops(report: dict[str, object] | None) -> tuple[Drop, ...]:
    if not report:
        return ()
    ways = report.get("ways", [])
    assert isinstance(ways, list)
    return tuple(
        Drop(float(t), str(w["direction"]), str(head)) for w in ways for t, head in w["dropped"]
    )


def _live(
    req: LabRequest, ctx: LabContext, cond: conditions.Conditions
) -> tuple[list[RawPacket], SlowResult]:
    hang = min(req.timeout, HANG) if cond.blackhole else req.timeout
    v6 = bool(req.option("ipv6"))
    plan = conditions.ipv6.SLOW_NETWORK
    with netns.network(SLOW_NETWORK, ctx) as net:
        ctx.say(f"Making the network: {cond.describe()}...")
        applied, forwarder = conditions.apply(net, cond, ipv6=v6)
        if forwarder is not None:
            forwarder.read(15, ctx)
        if v6:
            moved = {("r1", "eth0"): conditions.SPLICE[1]} if forwarder is not None else {}
            made = conditions.ipv6.enable(net, plan, moved)
            applied = replace(applied, commands=applied.commands + tuple(made))
        server = conditions.agent(
            net, "server", "serve", host=SERVER_IP, host6=plan.ip("server") if v6 else ""
        )
        ca = server.read(15, ctx)["ca"]
        sniffer = conditions.agent(net, "laptop", "capture", iface="eth0")
        sniffer.read(15, ctx)
        ctx.say("Your laptop looks up api.shop.example, then downloads and uploads over HTTPS...")
        client = conditions.agent(
            net, "laptop", "call", dns=plan.ip("server") if v6 else SERVER_IP, ca=ca, timeout=hang,
            download=DOWNLOAD, upload=UPLOAD, upload_timeout=hang, upload_first=bool(cond.mtu),
        )  # fmt: skip
        answer = client.read(3 * hang + 15, ctx)
        sniffer.tell("stop")
        frames = sniffer.read(10, ctx)["frames"]
        report = None
        if forwarder is not None:
            forwarder.tell("stop")
            report = forwarder.read(10, ctx)
        server.tell("stop")
    raws = netlab.agent_raws(frames, lambda i: f"your laptop's card ({i})")
    calls = tuple(Call(**c) for c in answer["calls"])
    result = SlowResult(
        cond.delay_ms, cond.jitter_ms, cond.loss_pct, cond.rate_kbit, cond.mtu, cond.blackhole,
        applied.mechanism, applied.commands, calls, int(answer["dns_tries"]), _drops(report),
        answer.get("keylog", ""), v6,
    )  # fmt: skip
    return raws, result


def record(req: LabRequest, ctx: LabContext) -> Recording[SlowResult]:
    started, clock = now()
    cond = _conditions(req)
    if req.option("ipv6") and cond.mtu and cond.mtu < 1280:
        raise BadInput(f"--mtu {cond.mtu} with --ipv6: IPv6 needs links of 1280 bytes or more "
                       "(RFC 8200, section 5).")  # fmt: skip
    capture, note = netlab.choose(
        req.option("simulate"), SLOW_NETWORK, "on your laptop's network card"
    )
    note += f" The network: {cond.describe()}."
    if capture == "simulated":
        # lazy: the simulator is needed only without namespaces
        from labs.catalog.slow_network.simulate import simulate

        raws, result = simulate(cond, DOWNLOAD, UPLOAD)
    else:
        raws, result = _live(req, ctx, cond)
    if req.option("ipv6") and capture != "simulated":
        v6 = conditions.ipv6.SLOW_NETWORK
        target = f"https://api.shop.example/ ([{v6.ip('server')}]) from {v6.ip('laptop')}, "
        target += f"{cond.describe()}, over IPv6"
    else:
        target = f"https://api.shop.example/ ({SERVER_IP}) from 192.0.2.10, {cond.describe()}"
        if req.option("ipv6"):
            note += " The simulated version runs over IPv4 only: --ipv6 needs namespaces."
    return recording(LAB, target, capture, note, raws, result, started, clock)
