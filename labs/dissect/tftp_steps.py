"""Where one TFTP transfer's step ends and the next one's begins.

Steps group consecutive packets of one step name (`steps.group`), so two
transfers in a row named "tftp" would read as one. A new read or write
request begins a new step when no other transfer is still under way, and
the steps' names take turns ("tftp", "tftp-next", "tftp", ...) so that each
transfer is a step of its own, titled with its file. Transfers that overlap
stay one step: a step is a stretch of time. A transfer is under way from its
request until an error or its last data block, one shorter than the block
size (512 bytes, or what the server's option acknowledgment accepted:
RFC 1350 section 6, RFC 2348)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.dissect.steps import View

#: The step names TFTP transfers take in turns.
NAMES = ("tftp", "tftp-next")
#: Transfers under way remembered at most (a capture of requests never answered).
_KEEP = 256


class Transfers:
    """`name` gives each TFTP packet its step name, in capture order."""

    def __init__(self) -> None:
        self.turn = 0
        self.seen = False
        #: a transfer under way: its client's endpoint -> the block size
        self.open: dict[str, int] = {}

    def name(self, v: View) -> str:
        app = v.app
        if app[:1] != ("tftp",):
            return NAMES[self.turn]
        op = app[1]
        if op in ("1", "2"):
            if self.seen and not self.open:
                self.turn ^= 1  # the transfers before have ended: a step of its own
            self.seen = True
            if len(self.open) >= _KEEP:
                self.open.pop(next(iter(self.open)))
            self.open.setdefault(v.src, 512)
            return NAMES[self.turn]
        client = v.dst if v.dst in self.open else v.src if v.src in self.open else None
        if client is not None:
            if op == "5":
                del self.open[client]
            elif op == "6" and len(app) > 7 and app[7].isdigit():
                self.open[client] = int(app[7])
            elif op == "3" and app[4].isdigit() and int(app[4]) < self.open[client]:
                del self.open[client]  # the last block (its ACK follows in this step)
        return NAMES[self.turn]
