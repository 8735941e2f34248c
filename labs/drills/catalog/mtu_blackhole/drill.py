"""mtu-blackhole: big packets vanish and the 'too big' warnings are filtered."""

from __future__ import annotations

from labs.drills import common
from labs.drills.spec import Diagnosis, Drill, Evidence, Record, Service, Variant, World
from labs.drills.world import CLIENT


def variant(seed: int) -> Variant:
    f = common.facts(seed)
    mtu = f.rng.choice((1400, 1380, 1420))
    return common.variant(
        f,
        story=(
            f"Since the office moved to a new ISP line, small calls to http://{f.host}/ work, but "
            "every upload of a file (a few kilobytes or more) hangs until it times out."
        ),
        world=World(
            records=(Record(f.host, f.address), Record(f.web, f.address)),
            services=(Service(f.address, 80, "http", f.host),),
            mtu=mtu, blackhole=True,
        ),
        answer=Diagnosis("ip", "mtu", "office-network"),
        evidence=Evidence(
            f"fetch http://{f.host}/upload upload=20000",
            f"ip.len == 1500 && ip.src == {CLIENT}", "ip.len", "1500",
            f"full-size packets (1500 bytes, longer than the link's {mtu}; ip.flags 0x02: Don't "
            "Fragment) leave the laptop on lan0 but never appear on wan0, and no ICMP says why",
        ),
        hints=(
            f"Compare a small fetch (`fetch http://{f.host}/`) with an upload "
            f"(`fetch http://{f.host}/upload upload=20000`).",
            f"Capture the upload (`fetch http://{f.host}/upload upload=20000`): which packets "
            "leave the office LAN (lan0) and which reach the Internet side (wan0)? Look at their "
            "ip.len and ip.flags.",
            f"In the capture of `fetch http://{f.host}/upload upload=20000`, the full-size "
            f"packets (ip.len 1500, Don't Fragment) are retransmitted and never "
            f"appear on wan0: the link after the gateway carries only {mtu} bytes, and the ICMP "
            "'fragmentation needed' that should tell the laptop is filtered.",
        ),
        explain=(
            f"Small packets pass (`fetch http://{f.host}/`); full-size ones (1500 bytes, Don't "
            "Fragment set) never reach the "
            f"Internet side: the link behind the office gateway carries at most {mtu} bytes. The "
            "gateway should answer ICMP 'fragmentation needed' so the laptop sends smaller "
            "packets (Path MTU discovery, RFC 1191), but a firewall rule drops those messages: an "
            "MTU black hole. The office network team must let that ICMP through (or clamp MSS)."
        ),
        url=f"http://{f.host}/",
        near=("fw-drop", "server-down", "no-route"),
    )  # fmt: skip


DRILL = Drill(
    id="mtu-blackhole",
    title="Small requests work, big uploads hang",
    summary="An MTU black hole: full-size packets vanish and the ICMP that would say so is filtered.",
    variant=variant,
)
