"""The trace JSON of a capture read as a stream (`tutor explain --json`):
memory stays flat however many packets the capture holds.

Each process that dissects packets keeps a `Share`: every packet's JSON
text goes to an unnamed temporary file as soon as it is made (its length to
another), and what the
end of the document needs of it (its `View`, for the steps and "What went
wrong") to a second one, as a marshal record, and what the timing
waterfall reads of it (a compact `Seen`: the summary kept only where the
waterfall reads it) to a third (`labs.files.seens`). In memory stay only
the secrets met.

`finish` then writes the document in its order (the steps before the
packets): it reads the Views back twice in capture order (the step names
first, to a temporary file since a reset may rename an earlier SYN
"refused", `labs.files.batches.Codes`; then the steps, one run of packets
at a time), in the order the packets' conversations tell which process
read each (no table of a byte a packet), then the packets' text: each run
of packets one process read one after another is copied by the kernel from
its file to the output (`labs.files.tracejson.copy_pieces`; that text is
most of the document), or, where the secrets are masked (in every text, as
`labs.model.trace.masked` does) or the output is no file, each line is read
back. The waterfall comes after the packets, and is asked for only then
(`labs.files.parallel` works it out in another process meanwhile). The bytes are those `write_json` writes for `explain_file`
(tests/test_golden_explain.py; tests/test_explain_stream.py for masking).
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from itertools import chain
from operator import attrgetter
from typing import IO, Any, TextIO

from labs.dissect.expert import PROBING, Expert
from labs.dissect.steps import TITLES, Classifier, Run, View, view
from labs.files.batches import Codes, dump_batch, load_batches
from labs.files.seens import SeenStore, waterfall_of
from labs.files.tracejson import (
    Masker,
    Texts,
    byte_sink,
    copy_pieces,
    packet_secrets,
    write_parts,
)
from labs.model.trace import Packet, Phase, Step, Trace
from labs.model.waterfall import READS, Seen


def text_spool() -> IO[str]:
    """An unnamed temporary file (0600, gone when closed or at exit)."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")


#: Views written to the file at once (`labs.files.batches`).
_BATCH = 4096
#: Line lengths written to the file at once (`Share.sizes`).
_SIZES = 1 << 14
#: Interned values kept at most (then the table starts again: the Seens go
#: to a file, sharing only saves work, and must not grow with the capture).
#: Small: what repeats (a data segment's flags and length, the addresses)
#: is met again at once, and the SYNs' and DNS messages' values, each new,
#: filled a table of 8192 with ~3 MB that only the next clear gave back.
_INTERN_MAX = 1024
#: The layers whose fields the waterfall reads (`labs.model.waterfall.seen`).
_READ_LAYERS = ("TCP", "UDP", "ICMP", "TLS", "HTTP", "FTP", "DNS", "TFTP")
_PORTS = ("tcp.srcport", "tcp.dstport")
_FILTER, _NAME = attrgetter("filter"), attrgetter("name")


class _Compact:
    """`labs.model.waterfall.seen(p)`, with what repeats from packet to packet
    shared (addresses, layer sets, field values) and what the waterfall
    never reads of a packet left out: a TCP segment with neither SYN nor RST
    is neither a probe nor its answer (`labs.model.waterfall._probe_pairs`),
    so neither its summary nor its ports are read; nor is a DNS message's
    summary. A TCP segment then costs about 0.15 KB."""

    def __init__(self) -> None:
        self.shared: dict[Any, Any] = {}
        self._none: dict[str, tuple[str, ...]] = {}
        #: a layer's field names -> where the ones read are (the same few
        #: layouts recur: the fields read are found without a Python loop)
        self._wanted: dict[tuple[str | None, ...], tuple[int, ...]] = {}

    def _plan(self, names: tuple[str | None, ...]) -> tuple[int, ...]:
        if len(self._wanted) >= _INTERN_MAX:
            self._wanted.clear()
        found = tuple(i for i, n in enumerate(names) if n in READS or n == "dns.qry.type")
        self._wanted[names] = found
        return found

    def _one(self, key: Any, value: Any) -> Any:
        got = self.shared.get(key)
        if got is None:
            if len(self.shared) >= _INTERN_MAX:
                self.shared.clear()
            got = self.shared[key] = value
        return got

    def __call__(self, p: Packet) -> Seen:
        values: dict[str, list[str]] = {}
        quoted: dict[str, list[str]] = {}
        qtype = ""
        for layer in p.layers:
            if not layer.name.startswith(_READ_LAYERS):
                continue
            into = quoted if layer.name.endswith("(quoted)") else values
            fields = layer.fields
            filters = tuple(map(_FILTER, fields))
            wanted = self._wanted.get(filters)
            if wanted is None:
                wanted = self._plan(filters)
            for i in wanted:
                name = filters[i]
                if name == "dns.qry.type":
                    if not qtype:
                        qtype = fields[i].show
                else:
                    into.setdefault(name, []).append(fields[i].value)  # type: ignore[arg-type]
        shared = self.shared
        names = ("layers", tuple(map(_NAME, p.layers)))
        layers = shared.get(names) or self._one(names, frozenset(names[1]))
        summary = p.summary
        if "TCP" in layers and "ICMP" not in layers:
            flags = values.get("tcp.flags")
            if not flags or not int(flags[0], 0) & 0x06:  # no SYN, no reset
                summary = ""
                for name in _PORTS:
                    values.pop(name, None)
        elif "DNS" in layers:
            summary = ""
        read = ("values", tuple((k, tuple(v)) for k, v in values.items()))
        got = shared.get(read)
        values_kept = got if got is not None else self._one(read, dict(read[1]))
        if quoted:
            inside = ("values", tuple((k, tuple(v)) for k, v in quoted.items()))
            quoted_kept = shared.get(inside) or self._one(inside, dict(inside[1]))
        else:
            quoted_kept = self._none
        get = shared.get
        return Seen(
            p.index, p.time, get(p.src) or self._one(p.src, p.src),
            get(p.dst) or self._one(p.dst, p.dst), summary, p.origin, p.interface, layers,
            values_kept, quoted_kept, qtype,
        )  # fmt: skip


class Share:
    """What one process keeps of the packets it dissects (see the module)."""

    def __init__(self) -> None:
        #: each packet's JSON text, ended by ",\n": what the document puts
        #: between two packets, so that a run of them is copied as it is
        self.lines = text_spool()
        #: the length in bytes of each of those lines (native uint32s)
        self.sizes = tempfile.TemporaryFile("w+b")
        self.metas = tempfile.TemporaryFile("w+b")
        self.seens = SeenStore()
        self.secrets: set[str] = set()

    def read(self, packets: Iterable[Packet]) -> None:
        texts = Texts()
        compact = _Compact()
        write, keep = self.lines.write, self.seens.add
        batch: list[tuple[Any, ...]] = []
        sizes = array("I")
        for p in packets:
            line = texts.packet(p)
            write(line)
            write(",\n")
            sizes.append(len(line) + 2 if line.isascii() else len(line.encode()) + 2)
            if len(sizes) >= _SIZES:
                self.sizes.write(sizes.tobytes())
                del sizes[:]
            batch.append(tuple(view(p)))
            if len(batch) >= _BATCH:
                dump_batch(batch, self.metas)
                batch.clear()
            keep(compact(p))
            if '"secret":true' in line:
                self.secrets |= packet_secrets(p)
        if batch:
            dump_batch(batch, self.metas)
        self.sizes.write(sizes.tobytes())
        self.sizes.flush()
        self.lines.flush()
        self.metas.flush()
        self.seens.flush()

    def clear(self) -> None:
        """Forget what was read (a share read again from its start)."""
        for spool in (self.lines, self.sizes, self.metas):
            spool.seek(0)
            spool.truncate()
        self.seens.clear()
        self.secrets = set()

    def close(self) -> None:
        self.lines.close()
        self.sizes.close()
        self.metas.close()
        self.seens.close()


def _records(metas: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    metas.seek(0)
    return chain.from_iterable(load_batches(metas))


#: A View of a record (`tuple(view(p))`: every field), made without a
#: Python call: the Views are read twice, 400,000 times for 200,000 packets.
_VIEW = partial(tuple.__new__, View)


def _views(n: int, owner: Iterable[int] | None, shares: Sequence[Share]) -> Iterator[View]:
    """The Views of packets 0..n-1 in capture order, from the share that read each."""
    records = [_records(share.metas) for share in shares]
    if owner is None:
        return map(_VIEW, records[0])
    return map(_VIEW, map(next, map(records.__getitem__, owner)))


_NAMES = tuple(TITLES)
_CODE = {name: code for code, name in enumerate(_NAMES)}
#: Added to a packet's code when it begins a step of its own whatever the
#: name before it (`Classifier.begins`: a TFTP transfer after another).
BEGINS = 0x80


def _step_names(
    views: Iterator[View],
    n: int,
    expert: Expert,
    last: Sequence[int] = b"",
    syns: Iterable[tuple[int, str, str, str, int, int]] = (),
) -> Codes:
    """Each packet's step name (a code into _NAMES, plus BEGINS where
    `classify` says a step begins), as `classify` names them."""
    names = Codes()
    classifier = Classifier(last, syns)
    for v in views:
        name, renames = classifier.feed(v)
        names.append(_CODE[name] | (BEGINS if classifier.begins else 0))
        for at, new in renames:
            names.set(at, _CODE[new])  # a renamed SYN never begins a TFTP transfer
            expert.probing |= new in PROBING
        expert.probing |= name in PROBING
        expert.add(v)
    return names


def _steps(views: Iterator[View], names: Iterable[int]) -> Iterator[Step]:
    """`group`'s Steps, one run of packets at a time."""
    t0 = 0.0
    run: Run | None = None
    codes = iter(names)
    code = next(codes, 0)
    for i, v in enumerate(views):
        name = _NAMES[code & ~BEGINS]
        if run is None:
            run = Run(name, v)
            if i == 0:
                t0 = v.time
        run.add(v)
        following = next(codes, -1)  # -1: none follows
        if following == code & ~BEGINS:  # the same name, and no step begins there
            continue
        code = following
        first = run.first
        yield Step(
            name=name,
            packets=tuple(range(first.number, first.number + run.count)),
            explain=run.explain(),
            title=run.title(),
            start=round(first.time - t0, 6),
            duration=round(v.time - first.time, 6),
        )
        run = None


def finish(
    shell: Trace,
    n: int,
    owner: Iterable[int] | None,
    shares: Sequence[Share],
    out: TextIO,
    mask: bool = False,
    last: Sequence[int] = b"",
    syns: Iterable[tuple[int, str, str, str, int, int]] = (),
    waterfall: Callable[[], tuple[Phase, ...]] | None = None,
) -> None:
    """Write the trace JSON of `shell` (everything but its steps, packets,
    waterfall and expert section) with the `n` packets the `shares` read
    (`owner`: which share read each packet, in order, read again at each
    iteration; None: all in the first; `last`,
    `syns`: see `labs.dissect.steps.Classifier`). `waterfall` gives the
    shares' waterfall when it is asked for, after the packets (as another
    process may work it out meanwhile); by default it is worked out here."""
    stores = [share.seens for share in shares]
    phases = waterfall or (lambda: waterfall_of(stores, last))
    masker = Masker(s for share in shares for s in share.secrets) if mask else None
    expert = Expert()
    names = _step_names(_views(n, owner, shares), n, expert, last, syns)
    try:
        trace = shell
        section = expert.section()
        if section is not None:
            trace = replace(trace, sections=(*trace.sections, section))
        steps: Iterable[Step] = _steps(_views(n, owner, shares), names)
        fd = byte_sink(out)
        packets: Iterable[str] | Callable[[TextIO], None]
        if masker is not None and masker.secrets:
            trace = masker.walk(trace)
            steps = (masker.walk(step) for step in steps)
            texts = Texts()
            packets = (masker.line(line, texts) for line in _lines(n, owner, shares))
            phases = _masked(masker, phases)
        elif fd is not None:
            packets = _copier(n, owner, shares, fd)
        else:
            packets = _lines(n, owner, shares)
        write_parts(trace, packets, out, steps=steps, waterfall=phases)
    finally:
        names.close()


def _masked(
    masker: Masker, phases: Callable[[], tuple[Phase, ...]]
) -> Callable[[], tuple[Phase, ...]]:
    return lambda: masker.walk(phases())  # type: ignore[no-any-return]


def _lines(n: int, owner: Iterable[int] | None, shares: Sequence[Share]) -> Iterator[str]:
    for share in shares:
        share.lines.seek(0)
    reads = [share.lines.readline for share in shares]
    if owner is None:
        for _ in range(n):
            yield reads[0]()[:-2]
        return
    for side in owner:
        yield reads[side]()[:-2]


def _sizes(share: Share) -> Iterator[int]:
    """The length of each of `share`'s lines, in order."""
    fd, at = share.sizes.fileno(), 0
    while chunk := os.pread(fd, 4 * _SIZES, at):
        at += len(chunk)
        yield from array("I", chunk)


def _pieces(
    n: int, owner: Iterable[int] | None, shares: Sequence[Share]
) -> Iterator[tuple[int, int, int]]:
    """Where the text of packets 0..n-1 lies, as (file descriptor, offset,
    length) of each run of packets that one share read one after another,
    in order; the last without its ",\n"."""
    fds = [share.lines.fileno() for share in shares]
    sizes = [_sizes(share) for share in shares]
    at = [0] * len(shares)
    side, start, end = -1, 0, 0
    for s in [0] * n if owner is None else owner:
        if s != side:
            if side >= 0:
                yield fds[side], start, end - start
                at[side] = end
            side = s
            start = end = at[s]
        end += next(sizes[s])
    if side >= 0:
        yield fds[side], start, end - start - 2


def _copier(
    n: int, owner: Iterable[int] | None, shares: Sequence[Share], fd: int
) -> Callable[[TextIO], None]:
    """What writes the packets' text to `out` (descriptor `fd`), copied
    from the shares' files by the kernel (`copy_pieces`)."""

    def copy(out: TextIO) -> None:
        if n:
            out.write("\n")
            copy_pieces(out, fd, _pieces(n, owner, shares))

    return copy


__all__ = ["Masker", "Share", "finish", "packet_secrets", "text_spool"]
