"""The network-condition options (--delay --jitter --loss --rate --mtu) of
every lab that runs through a router, declared once: the CLI flags, the TUI
controls and the error wording come from here for each of those labs, so they
cannot drift apart. Cheap to import (a lab's spec.py imports it); what the
values do to a network is `labs.netsim.conditions`."""

from __future__ import annotations

from labs.core.spec import Option
from labs.model.errors import BadInput


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


def condition_options(
    router: str = "router 1",
    narrow: str = "the cable between the two routers",
    delay_default: float = 0.0,
    mtu_label: str = "MTU between routers",
) -> tuple[Option, ...]:
    """The five knobs, for a lab whose slow link is `router`'s and whose
    narrow cable is `narrow`. `delay_default` is the round-trip time added
    when the learner gives none."""
    return (
        Option("delay", "--delay", "round-trip delay (ms)", "text",
               f"round-trip time added by {router}, in ms (half each way; default "
               f"{delay_default:g})", default=delay_default, metavar="MS",
               placeholder=f"delay: RTT ms ({delay_default:g})", parse=delay,
               suggest=("0", "50", "200")),
        Option("jitter", "--jitter", "jitter (ms)", "text",
               "random +/- variation of each packet's delay, in ms", default=0.0,
               metavar="MS", placeholder="jitter ms", parse=jitter),
        Option("loss", "--loss", "loss (%)", "text",
               f"percent of packets {router} drops, each way", default=0.0,
               metavar="PCT", placeholder="loss %, e.g. 5", parse=loss, suggest=("0", "2", "5", "10")),
        Option("rate", "--rate", "rate limit (kbit/s)", "text",
               f"{router}'s rate limit, in kbit/s, each way", default=0,
               metavar="KBIT", placeholder="rate kbit/s", parse=rate, suggest=("1000", "10000")),
        Option("mtu", "--mtu", mtu_label, "text",
               f"the MTU of {narrow}, in bytes", default=0,
               metavar="BYTES", placeholder="MTU, e.g. 1280", parse=mtu, suggest=("1280",)),
    )  # fmt: skip


__all__ = ["condition_options", "delay", "jitter", "loss", "mtu", "rate"]
