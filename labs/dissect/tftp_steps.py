"""Where one TFTP transfer's step ends and the next one's begins.

Steps group consecutive packets of one step name (`steps.group`), so two
transfers in a row, both "tftp", would read as one. A new read or write
request begins a step of its own (`begins`, which the grouping honours)
when no other transfer is still under way, so each transfer is a step
titled with its file. Transfers that overlap stay one step: a step is a
stretch of time. A transfer is under way from its request until an error
or its last data block, one shorter than the block size (512 bytes, or what
the server's option acknowledgment accepted: RFC 1350 section 6, RFC 2348)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.dissect.steps import View

#: Transfers under way remembered at most (a capture of requests never answered).
_KEEP = 256


class Transfers:
    """`name` gives each TFTP packet its step name, in capture order, and
    says (`begins`) whether it begins a step of its own."""

    def __init__(self) -> None:
        self.begins = False
        self.seen = False
        #: a transfer under way: its client's endpoint -> the block size
        self.open: dict[str, int] = {}

    def name(self, v: View) -> str:
        self.begins = False
        app = v.app
        if app[:1] != ("tftp",):
            return "tftp"
        op = app[1]
        if op in ("1", "2"):
            # The transfers before have ended: this request begins a step of its own.
            self.begins = self.seen and not self.open
            self.seen = True
            if len(self.open) >= _KEEP:
                self.open.pop(next(iter(self.open)))
            self.open.setdefault(v.src, 512)
            return "tftp"
        client = v.dst if v.dst in self.open else v.src if v.src in self.open else None
        if client is not None:
            if op == "5":
                del self.open[client]
            elif op == "6" and len(app) > 7 and app[7].isdigit():
                self.open[client] = int(app[7])
            elif op == "3" and app[4].isdigit() and int(app[4]) < self.open[client]:
                del self.open[client]  # the last block (its ACK follows in this step)
        return "tftp"
