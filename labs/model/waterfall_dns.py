"""DNS lookups in the timing waterfall: each query over UDP paired with its
answer by the two ends and the DNS ID (RFC 1035 section 4.1.1), a retry with
the same ID counted as the same lookup. The fields it reads are in
`labs.model.waterfall.READS`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.model.waterfall import Seen


def lookups(pkts: Sequence[Seen]) -> list[tuple[list[Seen], Seen | None]]:
    """Each lookup: its queries (a retry with the same id is the same lookup,
    as a stub resolver's second try after a lost datagram) and its answer."""
    found: list[tuple[list[Seen], Seen | None]] = []
    open_: dict[tuple[frozenset[str], int | None], int] = {}
    for p in pkts:
        if "DNS" not in p.layers or "TCP" in p.layers:
            continue
        key = (frozenset((p.src, p.dst)), p.number("dns.id"))
        if p.number("dns.flags.response") in (0, None):
            if key in open_:
                found[open_[key]][0].append(p)
            else:
                open_[key] = len(found)
                found.append(([p], None))
        elif key in open_:
            k = open_.pop(key)
            found[k] = (found[k][0], p)
    return found
