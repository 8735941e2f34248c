"""The timing waterfall of a capture read as a stream, with memory that
does not grow with its packets.

Each process that dissects packets writes what the waterfall reads of each
(its `Seen`) to an unnamed temporary file (`SeenStore`), in batches; the
child of a two-process read writes into a file its parent opened, so
nothing but the secrets travels back (`labs.files.parallel`).

`waterfall_of` then reads the files twice. The waterfall keeps only the
first `MAX_EXCHANGES` exchanges by start, so the first pass finds a time
`u` by which at least that many exchanges have surely started (each TCP
connection whose handshake was answered, each DNS lookup no connection
can claim); the packets of a connection that begins after `u` and that no
DNS answer names cannot change those exchanges, and the second pass leaves
them out (all but their SYNs, which a probe's answer may quote). What is
kept is per conversation or per exchange: the result is what
`labs.waterfall.from_seen` gives for all the packets
(tests/test_explain_memory.py).

`collecting` frees, as the packets are read, the garbage the paused
collector would leave.
"""

from __future__ import annotations

import gc
import heapq
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from labs.files.batches import dump_batch, load_batches
from labs.trace import Packet, Phase
from labs.waterfall import MAX_EXCHANGES, Seen, _dns_pairs, _host, from_seen

#: Seens written to the file at once (`labs.files.batches`).
_BATCH = 4096

#: A Seen as written: its fields in order.
Record = tuple[Any, ...]


class SeenStore:
    """The `Seen`s of the packets one process read, in a temporary file."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+b")
        self.batch: list[Record] = []

    def add(self, s: Seen) -> None:
        self.batch.append(
            (s.index, s.time, s.src, s.dst, s.summary, s.origin, s.interface,
             s.layers, s.values, s.quoted, s.qtype)
        )  # fmt: skip
        if len(self.batch) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            dump_batch(self.batch, self.file)
            self.batch = []
        self.file.flush()

    def records(self) -> Iterator[Record]:
        """Every Seen stored (also those another process wrote), as records."""
        self.flush()
        self.file.seek(0)
        for batch in load_batches(self.file):
            yield from batch

    def clear(self) -> None:
        self.batch = []
        self.file.seek(0)
        self.file.truncate()

    def close(self) -> None:
        self.file.close()


def _flags(values: dict[str, tuple[str, ...]]) -> int:
    found = values.get("tcp.flags")
    try:
        return int(found[0], 0) if found else 0
    except ValueError:
        return 0


def _tcp(layers: frozenset[str]) -> bool:
    """A packet `labs.waterfall` times as part of a TCP connection."""
    return "TCP" in layers and "ICMP" not in layers


def _left_out(stores: Sequence[SeenStore]) -> tuple[set[frozenset[str]], bool]:
    """The first pass: the connections whose packets (but SYNs) cannot
    change the waterfall, and whether the packets crossed several interfaces."""
    conns: dict[frozenset[str], list[Any]] = {}  # [first time, first SYN-ACK, a SYN]
    dns: list[Seen] = []
    named: set[str] = set()
    interfaces: set[str] = set()
    for store in stores:
        for r in store.records():
            time, src, dst, origin, layers, values = r[1], r[2], r[3], r[5], r[7], r[8]
            if origin != "wire":
                continue
            interfaces.add(r[6])
            if _tcp(layers):
                c = conns.get(key := frozenset((src, dst)))
                if c is None:
                    c = conns[key] = [time, float("inf"), False]
                bits = _flags(values) & 0x12
                c[0] = min(c[0], time)
                if bits == 0x12:
                    c[1] = min(c[1], time)
                c[2] = c[2] or bits == 0x02
            elif "DNS" in layers:
                dns.append(Seen(*r))
                named.update(values.get("dns.a", ()), values.get("dns.aaaa", ()))
    hosts = {_host(e) for key in conns for e in key}
    # An upper bound of the start of exchanges that surely are distinct: a
    # connection's first (its handshake in it), a lookup no connection claims.
    bounds = [c[1] for c in conns.values() if c[2] and c[1] != float("inf")]
    for qs, a in _dns_pairs(sorted(dns, key=lambda p: (p.time, p.index))):
        answers = (*a.values.get("dns.a", ()), *a.values.get("dns.aaaa", ())) if a else ()
        if not hosts.intersection(answers):
            bounds.append(qs[0].time)
    several = len(interfaces) > 1
    if len(bounds) < MAX_EXCHANGES:
        return set(), several
    u = heapq.nsmallest(MAX_EXCHANGES, bounds)[-1]
    out = {key for key, c in conns.items() if c[0] > u and not any(_host(e) in named for e in key)}
    return out, several


def waterfall_of(stores: Sequence[SeenStore]) -> tuple[Phase, ...]:
    """`from_seen` of every Seen in `stores`, reading only those it needs."""
    left_out, several = _left_out(stores)
    kept: list[Seen] = []
    layer_sets: dict[frozenset[str], frozenset[str]] = {}
    for store in stores:
        for r in store.records():
            layers = r[7]
            if (
                left_out
                and r[5] == "wire"
                and _tcp(layers)
                and frozenset((r[2], r[3])) in left_out
                and _flags(r[8]) & 0x12 != 0x02
            ):
                continue
            shared = layer_sets.setdefault(layers, layers)
            kept.append(Seen(r[0], r[1], r[2], r[3], r[4], r[5], r[6], shared, r[8], r[9], r[10]))
    return from_seen(kept, several)


#: Packets read between two collections of the young objects.
COLLECT_EVERY = 1024


def collecting(packets: Iterable[Packet]) -> Iterator[Packet]:
    """`packets`, with the young garbage collected now and then: while a
    capture is read the collector is paused (`labs.dissect.core.paused_gc`:
    its full scans of the heap cost as much as the dissection), but a full
    scapy dissection leaves reference cycles (a layer and its underlayer)
    that only the collector frees, and uncollected they grew with the
    capture. Collecting the two young generations looks only at the objects
    made since the last time, so it costs little."""
    for n, p in enumerate(packets, 1):
        if n % COLLECT_EVERY == 0:
            gc.collect(1)
        yield p


__all__ = ["COLLECT_EVERY", "SeenStore", "collecting", "waterfall_of"]
