"""What a slow-network run leaves besides its frames."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    """One API call as the laptop's program saw it (its own clock, for
    comparison with the packet timestamps)."""

    method: str
    path: str
    status: int
    bytes: int
    sent: int
    seconds: float
    timed_out: bool


@dataclass(frozen=True)
class Drop:
    """A frame the slow link dropped: when, which way, its first bytes."""

    time: float
    direction: str
    head: str


@dataclass(frozen=True)
class SlowResult:
    """The conditions asked for, how they were made (mechanism and commands),
    what the calls returned, the DNS tries, and what the slow link dropped."""

    delay_ms: float
    jitter_ms: float
    loss_pct: float
    rate_kbit: int
    mtu: int
    blackhole: bool
    mechanism: str
    commands: tuple[str, ...]
    calls: tuple[Call, ...]
    dns_tries: int
    drops: tuple[Drop, ...]
    keylog: str = ""
    #: The calls went over IPv6 (--ipv6).
    ipv6: bool = False
