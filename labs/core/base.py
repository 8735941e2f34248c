"""What every lab is handed and hands on: its context (progress and
cancellation) and the raw packets it gives to dissection. What a lab is asked
to do is a `labs.core.spec.LabRequest`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from labs.model.errors import Cancelled


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
    #: `time` in whole nanoseconds since the epoch, as the capture file
    #: stored it (-1: not known). A float of epoch seconds is ~0.24 µs coarse
    #: in 2026, too coarse for the differences tshark shows of a nanosecond
    #: capture (tcp.analysis.rto).
    ns: int = -1


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
