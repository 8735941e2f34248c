"""The slow-network lab as declared: its network conditions (see labs.spec).
The validators live here, not in the lab's run, so listing the labs stays cheap."""

from __future__ import annotations

from labs.errors import BadInput
from labs.spec import LabSpec, Option, Target


def _number(flag: str, text: str, low: float, high: float, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{flag} {text!r}: give a number of {unit}.") from None
    if not low <= value <= high:
        raise BadInput(f"{flag} {text}: give {low:g} to {high:g} {unit}.")
    return value


def delay(text: str) -> float:
    return _number("--delay", text, 0, 2000, "ms of round-trip time")


def jitter(text: str) -> float:
    return _number("--jitter", text, 0, 500, "ms")


def loss(text: str) -> float:
    return _number("--loss", text, 0, 50, "percent")


def rate(text: str) -> int:
    return int(_number("--rate", text, 64, 1_000_000, "kbit/s"))


def mtu(text: str) -> int:
    # 576: the smallest datagram every IPv4 host must accept (RFC 791); 1500: Ethernet's.
    return int(_number("--mtu", text, 576, 1500, "bytes"))


SPEC = LabSpec(
    id="slow-network",
    title="When the network is slow, lossy or small",
    module=4,
    summary="The same HTTPS API call through a router with delay, loss, a rate limit or a small MTU.",
    package=__package__ or "",
    target=Target("none", "(none: the lab builds its own network)"),
    needs="netns",
    options=(
        Option("delay", "--delay", "round-trip delay (ms)", "text",
               "round-trip time added by router 1, in ms (half each way; default 100)", default=100.0,
               metavar="MS", placeholder="delay: RTT ms (100)", parse=delay, suggest=("0", "50", "200")),
        Option("jitter", "--jitter", "jitter (ms)", "text",
               "random +/- variation of each packet's delay, in ms", default=0.0,
               metavar="MS", placeholder="jitter ms", parse=jitter),
        Option("loss", "--loss", "loss (%)", "text",
               "percent of packets router 1 drops, each way", default=0.0,
               metavar="PCT", placeholder="loss %, e.g. 5", parse=loss, suggest=("0", "2", "5", "10")),
        Option("rate", "--rate", "rate limit (kbit/s)", "text",
               "router 1's rate limit, in kbit/s, each way", default=0,
               metavar="KBIT", placeholder="rate kbit/s", parse=rate, suggest=("1000", "10000")),
        Option("mtu", "--mtu", "MTU between routers", "text",
               "the MTU of the cable between the two routers, in bytes", default=0,
               metavar="BYTES", placeholder="MTU, e.g. 1280", parse=mtu, suggest=("1280",)),
        Option("blackhole", "--blackhole", "filter ICMP (black hole)", "flag",
               "with --mtu: the routers' ICMP 'fragmentation needed' is filtered"),
        Option("simulate", "--simulate", "simulated version", "flag",
               "run the simulated version even where namespaces work"),
    ),
)  # fmt: skip
