"""What every lab receives and returns: its options, its context (progress,
cancellation, capture mode) and the raw packets it hands to dissection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from labs.errors import Cancelled


@dataclass(frozen=True)
class LabOptions:
    """Everything a learner can ask of a lab, from the CLI or the TUI.

    Each lab reads the options it understands and ignores the rest; the CLI
    rejects options a lab does not take before the lab starts.
    """

    #: A live target (URL or HOST[:PORT]); None runs against the embedded server.
    target: str | None = None
    timeout: float = 10.0
    #: http-api
    method: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    data: str | None = None
    insecure: bool = False
    #: dns
    name: str | None = None
    qtype: str | None = None
    #: ftp: "passive" | "active"; traceroute: "udp" | "icmp" | "tcp"
    mode: str | None = None
    #: traceroute / gateway-nat: run the simulated version even where namespaces work.
    simulate: bool = False


@dataclass(frozen=True)
class RawPacket:
    """Bytes as they crossed one point of the network, before dissection.

    `link` names what the first byte is: "raw-ip" (an IP header), "ethernet"
    or "linux-sll". Labs hand lists of these to `labs.dissect.core` (never scapy
    objects to the UI).
    """

    time: float
    data: bytes
    link: str = "raw-ip"
    interface: str = ""
    conversation: str = ""
    origin: str = "wire"


@dataclass
class LabContext:
    """The lab's line back to whoever runs it: progress messages and
    cancellation. Labs call `check()` between steps (and inside loops) so a
    cancel or Ctrl-C stops them promptly, with servers and sniffers closed by
    their context managers."""

    progress: Callable[[str], None] = field(default=lambda message: None)
    cancel: threading.Event = field(default_factory=threading.Event)

    def say(self, message: str) -> None:
        self.progress(message)

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()
