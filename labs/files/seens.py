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
DNS answer names cannot change those exchanges, nor can a lookup that
starts after `u` and names no host of a connection: the second pass leaves
them out (all but the SYNs a probe's answer may pair with), so what it
keeps does not grow with the capture. The result is what
`labs.model.waterfall.from_seen` gives for all the packets
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
from labs.model.trace import Packet, Phase
from labs.model.waterfall import MAX_EXCHANGES, Seen, _host, _quoted_key, from_seen

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
    """A packet `labs.model.waterfall` times as part of a TCP connection."""
    return "TCP" in layers and "ICMP" not in layers


class _Plan:
    """What the second pass keeps of the wire packets: the TCP connections
    that may be among the first exchanges (`conns`; None: every packet),
    the SYNs of the others that a probe's answer may pair with, and the
    DNS packets sent by `u` or of a lookup a connection may claim (`dns`,
    by index)."""

    def __init__(self, conns: set[str] | None, dns: set[int], u: float = 0.0) -> None:
        self.conns, self.dns, self.u = conns, dns, u
        #: keys (`_quoted_key`) of the packets other than SYNs that a probe
        #: pairs with, and the destination ports of all SYNs
        self.keys: set[tuple[str, ...]] = set()
        self.syn_ports: set[str] = set()

    def keeps(self, r: Record) -> bool:
        if self.conns is None or r[5] != "wire":
            return True
        layers = r[7]
        if _tcp(layers):
            if _conv(r[2], r[3]) in self.conns:
                return True
            if _flags(r[8]) & 0x12 != 0x02:
                return False
            # A SYN of a connection that starts too late: kept if it may pair
            # with (or stand in the way of) an earlier probe's answer.
            key = _quoted_key(Seen(*r))
            if key is None:
                return False
            return bool(
                key[1] in self.syn_ports
                or key in self.keys
                or (key[0], key[2], key[1]) in self.keys
            )
        if "DNS" in layers:
            return r[1] <= self.u or r[0] in self.dns
        return True


def _conv(src: str, dst: str) -> str:
    """A conversation (both ends, in either direction) as one string."""
    return f"{src}\0{dst}" if src <= dst else f"{dst}\0{src}"


def _number(values: dict[str, tuple[str, ...]], name: str) -> int | None:
    """`Seen.number`."""
    found = values.get(name)
    try:
        return int(found[0], 0) if found else None
    except ValueError:
        return None


def _lookups(dns: list[tuple[Any, ...]]) -> list[list[Any]]:
    """`labs.model.waterfall._dns_pairs` of the DNS packets as `_plan` keeps them:
    each lookup as [its start, its packets' indexes, its answer's addresses]."""
    lookups: list[list[Any]] = []
    open_: dict[tuple[str, int | None], int] = {}
    for time, index, conv, ident, response, answers in sorted(dns):
        key = (conv, ident)
        if response in (0, None):
            if key in open_:
                lookups[open_[key]][1].append(index)
            else:
                open_[key] = len(lookups)
                lookups.append([time, [index], ()])
        elif key in open_:
            lookup = lookups[open_.pop(key)]
            lookup[1].append(index)
            lookup[2] = answers
    return lookups


def _plan(stores: Sequence[SeenStore]) -> tuple[_Plan, bool]:
    """The first pass: what the second keeps, and whether the packets
    crossed several interfaces. The exchanges of the waterfall are sorted by
    start and only the first MAX_EXCHANGES kept: a time `u` by which that
    many have surely started (a connection's handshake answered, a lookup
    no connection claims) leaves out every exchange that starts after it."""
    conns: dict[str, list[Any]] = {}  # [first time, first SYN-ACK, a SYN]
    dns: list[tuple[Any, ...]] = []  # (time, index, conversation, id, response, answers)
    named: set[str] = set()
    interfaces: set[str] = set()
    keys: set[tuple[str, ...]] = set()
    syn_ports: set[str] = set()
    for store in stores:
        for r in store.records():
            time, src, dst, origin, layers, values = r[1], r[2], r[3], r[5], r[7], r[8]
            if origin != "wire":
                continue
            interfaces.add(r[6])
            if _tcp(layers):
                c = conns.get(key := _conv(src, dst))
                if c is None:
                    c = conns[key] = [time, float("inf"), False]
                bits = _flags(values) & 0x12
                c[0] = min(c[0], time)
                if bits == 0x12:
                    c[1] = min(c[1], time)
                if bits == 0x02:
                    c[2] = True
                    syn_ports.update(values.get("tcp.dstport", ()))
            elif "DNS" in layers:
                if "TCP" in layers:
                    continue  # not a lookup the waterfall pairs (nor a probe)
                answers = (*values.get("dns.a", ()), *values.get("dns.aaaa", ()))
                named.update(answers)
                ident, response = _number(values, "dns.id"), _number(values, "dns.flags.response")
                dns.append((time, r[0], _conv(src, dst), ident, response, answers))
            elif (probe := _quoted_key(Seen(*r))) is not None:
                keys.add(probe)
    several = len(interfaces) > 1
    hosts = {_host(e) for key in conns for e in key.split("\0")}
    # An upper bound of the start of exchanges that surely are distinct: a
    # connection's first (its handshake in it), a lookup no connection claims.
    bounds = [c[1] for c in conns.values() if c[2] and c[1] != float("inf")]
    lookups = _lookups(dns)
    del dns
    for lookup in lookups:
        lookup[2] = bool(hosts.intersection(lookup[2]))  # claimable
        if not lookup[2]:
            bounds.append(lookup[0])
    if len(bounds) < MAX_EXCHANGES:
        return _Plan(None, set()), several
    u = heapq.nsmallest(MAX_EXCHANGES, bounds)[-1]
    kept = {
        key
        for key, c in conns.items()
        if c[0] <= u or any(_host(e) in named for e in key.split("\0"))
    }
    # A lookup that no connection can claim is an exchange of its own: one
    # that starts after `u` (all its packets after it) is too late to be shown.
    indexes = {i for start, found, claimable in lookups if claimable or start <= u for i in found}
    plan = _Plan(kept, indexes, u)
    plan.keys, plan.syn_ports = keys, syn_ports
    return plan, several


def waterfall_of(stores: Sequence[SeenStore]) -> tuple[Phase, ...]:
    """`from_seen` of every Seen in `stores`, reading only those it needs."""
    plan, several = _plan(stores)
    kept: list[Seen] = []
    layer_sets: dict[frozenset[str], frozenset[str]] = {}
    for store in stores:
        for r in store.records():
            if not plan.keeps(r):
                continue
            shared = layer_sets.setdefault(r[7], r[7])
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
