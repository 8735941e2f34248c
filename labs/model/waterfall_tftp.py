"""TFTP transfers in the timing waterfall (RFC 1350): each read or write
request and what follows it between the client's port and the port the
server answers from, timed as a request, the wait for the first answer, and
the blocks arriving, and labelled with the file ("TFTP download notes.txt").
The fields it reads are in `labs.model.waterfall.READS`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.model.waterfall import Seen

Phases = list[tuple[str, list["Seen"]]]


def transfers(pkts: Sequence[Seen]) -> list[tuple[str, Phases]]:
    """(label, phases) of each transfer: a download's request, wait and
    download; an upload's blocks leave as its request, as a POST's body does."""
    found: list[tuple[str, bool, list[Seen]]] = []
    by_client: dict[str, list[Seen]] = {}
    for p in pkts:
        if "TFTP" not in p.layers:
            continue
        op = p.first("tftp.opcode")
        if op in ("1", "2"):
            name = p.first("tftp.source_file" if op == "1" else "tftp.destination_file") or ""
            by_client[p.src] = [p]
            label = f"TFTP {'upload' if op == '2' else 'download'} {name}".strip()
            found.append((label, op == "2", by_client[p.src]))
        elif (kept := by_client.get(p.dst) or by_client.get(p.src)) is not None:
            kept.append(p)
    out: list[tuple[str, Phases]] = []
    for label, upload, packets in found:
        request, rest = packets[0], packets[1:]
        if upload:
            out.append((label, [("request", packets)]))
            continue
        phases: Phases = [("request", [request])]
        if rest:
            phases.append(("wait", [request, rest[0]]))
            if rest[0].first("tftp.opcode") != "5":  # an error ends it: nothing arrives
                phases.append(("download", rest))
        out.append((label, phases))
    return out
