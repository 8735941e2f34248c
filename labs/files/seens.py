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
from typing import IO, Any

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
    """`labs.model.waterfall_dns.lookups` of the DNS packets as `_plan` keeps them:
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


class _Conns:
    """The first pass's TCP connections: [first time, first SYN-ACK, a SYN]
    of each open one (`open`). With `last` (`last[i]`: packet i is the last
    of its conversation, `labs.files.survey.Survey.last`) a connection is
    closed at its last packet: its bound joins the MAX_EXCHANGES smallest
    (`heap`, negated; `count` counts them all), and it is kept (`early`,
    key -> first time) only while it may start by `u` (never later than
    the MAX_EXCHANGES-th smallest bound met so far); one that cannot goes to
    a file, read again only if a DNS answer names one of its hosts (`late`).
    So a capture of many short connections keeps ~MAX_EXCHANGES of them."""

    def __init__(self, last: Sequence[int]) -> None:
        self.last = last
        self.open: dict[str, list[Any]] = {}
        self.heap: list[float] = []
        self.count = 0
        self.early: dict[str, float] = {}
        self.late: set[str] = set()
        self.spool: IO[str] | None = None
        self.hosts: set[str] = set()

    def add(self, index: int, key: str, time: float, bits: int) -> None:
        c = self.open.get(key)
        if c is None:
            c = self.open[key] = [time, float("inf"), False]
            self.hosts.update(_host(e) for e in key.split("\0"))
        c[0] = min(c[0], time)
        if bits == 0x12:
            c[1] = min(c[1], time)
        if bits == 0x02:
            c[2] = True
        if self.last and self.last[index]:
            self._close(key, self.open.pop(key))

    def _threshold(self) -> float:
        return -self.heap[0] if len(self.heap) >= MAX_EXCHANGES else float("inf")

    def _close(self, key: str, c: list[Any]) -> None:
        if c[2] and c[1] != float("inf"):
            self.count += 1
            if len(self.heap) < MAX_EXCHANGES:
                heapq.heappush(self.heap, -c[1])
            elif -c[1] > self.heap[0]:
                heapq.heapreplace(self.heap, -c[1])
        if c[0] <= self._threshold():
            self.early[key] = c[0]
            if len(self.early) > 4 * MAX_EXCHANGES:
                for k, first in list(self.early.items()):
                    if first > self._threshold():
                        self._drop(k, self.early.pop(k))
        else:
            self._drop(key, c[0])

    def _drop(self, key: str, _first: float) -> None:
        if self.spool is None:  # unnamed, 0600 (as `labs.files.streamjson.text_spool`)
            self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")
        self.spool.write(key + "\n")
        self.late.update(_host(e) for e in key.split("\0"))

    def bounds(self) -> tuple[int, list[float]]:
        """How many bounds the connections give, and the smallest of them
        (at least the MAX_EXCHANGES smallest)."""
        found = [c[1] for c in self.open.values() if c[2] and c[1] != float("inf")]
        return self.count + len(found), found + [-b for b in self.heap]

    def kept(self, u: float, named: set[str]) -> set[str]:
        """The connections that may start by `u` or whose server a DNS answer names."""
        firsts = (*((k, c[0]) for k, c in self.open.items()), *self.early.items())
        out = {k for k, first in firsts if first <= u or _named(k, named)}
        if self.spool is not None and self.late & named:
            self.spool.seek(0)
            for line in self.spool:
                key = line[:-1]
                if _named(key, named):
                    out.add(key)
        return out

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


def _named(key: str, named: set[str]) -> bool:
    return any(_host(e) in named for e in key.split("\0"))


def _plan(stores: Sequence[SeenStore], last: Sequence[int] = b"") -> tuple[_Plan, bool]:
    """The first pass: what the second keeps, and whether the packets
    crossed several interfaces. The exchanges of the waterfall are sorted by
    start and only the first MAX_EXCHANGES kept: a time `u` by which that
    many have surely started (a connection's handshake answered, a lookup
    no connection claims) leaves out every exchange that starts after it."""
    conns, dns = _Conns(last), _Dns(last)
    try:
        return _plan_with(stores, conns, dns)
    finally:
        conns.close()
        dns.close()


class _Dns:
    """The first pass's DNS packets, (time, index, conversation, id,
    response, answers), by conversation: with `last`, a conversation's
    lookups (`_lookups`: a lookup never spans conversations) are paired at
    its last packet and go to a file, so only open conversations' packets stay."""

    def __init__(self, last: Sequence[int]) -> None:
        self.last = last
        self.open: dict[str, list[tuple[Any, ...]]] = {}
        self.file: IO[bytes] | None = None
        self.batch: list[list[Any]] = []

    def add(self, entry: tuple[Any, ...]) -> None:
        self.open.setdefault(entry[2], []).append(entry)

    def passed(self, index: int, src: str, dst: str) -> None:
        """Packet `index` (from `src` to `dst`) was read."""
        if self.open and self.last and self.last[index]:
            entries = self.open.pop(_conv(src, dst), None)
            if entries is not None:
                self.batch += _lookups(entries)
                if len(self.batch) >= _BATCH:
                    if self.file is None:
                        self.file = tempfile.TemporaryFile("w+b")
                    dump_batch(self.batch, self.file)
                    self.batch = []

    def lookups(self) -> Iterator[list[Any]]:
        """Every lookup, [its start, its packets' indexes, its answer's addresses]."""
        if self.file is not None:
            self.file.seek(0)
            for batch in load_batches(self.file):
                yield from batch
        yield from self.batch
        yield from _lookups([e for entries in self.open.values() for e in entries])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _plan_with(stores: Sequence[SeenStore], conns: _Conns, dns: _Dns) -> tuple[_Plan, bool]:
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
                bits = _flags(values) & 0x12
                if bits == 0x02:
                    syn_ports.update(values.get("tcp.dstport", ()))
                conns.add(r[0], _conv(src, dst), time, bits)
            elif "DNS" in layers:
                if "TCP" not in layers:  # else not a lookup the waterfall pairs (nor a probe)
                    answers = (*values.get("dns.a", ()), *values.get("dns.aaaa", ()))
                    named.update(answers)
                    ident = _number(values, "dns.id")
                    response = _number(values, "dns.flags.response")
                    dns.add((time, r[0], _conv(src, dst), ident, response, answers))
            elif (probe := _quoted_key(Seen(*r))) is not None:
                keys.add(probe)
            dns.passed(r[0], src, dst)
    several = len(interfaces) > 1
    hosts = conns.hosts
    # An upper bound of the start of exchanges that surely are distinct: a
    # connection's first (its handshake in it), a lookup no connection claims.
    count, bounds = conns.bounds()
    for start, _found, answers in dns.lookups():
        if not hosts.intersection(answers):  # claimable by no connection
            bounds.append(start)
            count += 1
            if len(bounds) > 4 * MAX_EXCHANGES:
                bounds = heapq.nsmallest(MAX_EXCHANGES, bounds)
    if count < MAX_EXCHANGES:
        return _Plan(None, set()), several
    u = heapq.nsmallest(MAX_EXCHANGES, bounds)[-1]
    kept = conns.kept(u, named)
    # A lookup that no connection can claim is an exchange of its own: one
    # that starts after `u` (all its packets after it) is too late to be shown.
    indexes = {
        i
        for start, found, answers in dns.lookups()
        if start <= u or hosts.intersection(answers)
        for i in found
    }
    plan = _Plan(kept, indexes, u)
    plan.keys, plan.syn_ports = keys, syn_ports
    return plan, several


def waterfall_of(stores: Sequence[SeenStore], last: Sequence[int] = b"") -> tuple[Phase, ...]:
    """`from_seen` of every Seen in `stores`, reading only those it needs
    (`last`: see `_Conns`)."""
    plan, several = _plan(stores, last)
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
