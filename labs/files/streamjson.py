"""The trace JSON of a capture read as a stream (`tutor explain --json`):
memory stays flat however many packets the capture holds.

Each process that dissects packets keeps a `Share`: every packet's JSON
text goes to an unnamed temporary file as soon as it is made, and what the
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
read each (no table of a byte a packet), copies each packet's line back, and
masks the secrets in every text when asked, as `labs.model.trace.masked` does.
The bytes are those `write_json` writes for `explain_file`
(tests/test_golden_explain.py; tests/test_explain_stream.py for masking).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields, is_dataclass, replace
from json.encoder import encode_basestring as _quote  # type: ignore[attr-defined]
from operator import attrgetter
from typing import IO, Any, TextIO

from labs.dissect.expert import PROBING, Expert
from labs.dissect.steps import TITLES, Classifier, Run, View, view
from labs.files.batches import Codes, dump_batch, load_batches
from labs.files.seens import SeenStore, waterfall_of
from labs.files.tracejson import Texts, write_parts
from labs.model.trace import (
    Field,
    Layer,
    Packet,
    Step,
    Trace,
    mask_secrets,
    mask_value,
    secret_parts,
)
from labs.model.waterfall import READS, Seen


def text_spool() -> IO[str]:
    """An unnamed temporary file (0600, gone when closed or at exit)."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")


#: Views written to the file at once (`labs.files.batches`).
_BATCH = 4096
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
    never reads of a packet left out: a TCP segment other than a SYN is
    never a probe (`labs.model.waterfall._probe_pairs`), so neither its summary
    nor its ports are read; nor is a DNS message's summary. A TCP segment
    then costs about 0.15 KB."""

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
            if not flags or int(flags[0], 0) & 0x12 != 0x02:
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


def packet_secrets(p: Packet) -> set[str]:
    """The secret parts of `p`'s secret fields (as `Trace.secret_values`)."""
    return {
        part
        for layer in p.layers
        for f in layer.fields
        if f.secret
        for text in (f.value, f.show)
        for part in secret_parts(f.name, text)
        if len(part) >= 3
    }


class Share:
    """What one process keeps of the packets it dissects (see the module)."""

    def __init__(self) -> None:
        self.lines = text_spool()
        self.metas = tempfile.TemporaryFile("w+b")
        self.seens = SeenStore()
        self.secrets: set[str] = set()

    def read(self, packets: Iterable[Packet]) -> None:
        texts = Texts()
        compact = _Compact()
        write, keep = self.lines.write, self.seens.add
        batch: list[tuple[Any, ...]] = []
        for p in packets:
            line = texts.packet(p)
            write(line)
            write("\n")
            batch.append(tuple(view(p)))
            if len(batch) >= _BATCH:
                dump_batch(batch, self.metas)
                batch.clear()
            keep(compact(p))
            if '"secret":true' in line:
                self.secrets |= packet_secrets(p)
        if batch:
            dump_batch(batch, self.metas)
        self.lines.flush()
        self.metas.flush()
        self.seens.flush()

    def clear(self) -> None:
        """Forget what was read (a share read again from its start)."""
        for spool in (self.lines, self.metas):
            spool.seek(0)
            spool.truncate()
        self.seens.clear()
        self.secrets = set()

    def close(self) -> None:
        self.lines.close()
        self.metas.close()
        self.seens.close()


def _records(metas: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    metas.seek(0)
    for batch in load_batches(metas):
        yield from batch


def _views(n: int, owner: Iterable[int] | None, shares: Sequence[Share]) -> Iterator[View]:
    """The Views of packets 0..n-1 in capture order, from the share that read each."""
    records = [_records(share.metas) for share in shares]
    if owner is None:
        for record in records[0]:
            yield View(*record)
        return
    for side in owner:
        yield View(*next(records[side]))


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


class Masker:
    """`labs.model.trace.masked` applied piece by piece: the secrets of the whole
    capture are known before the first piece is written."""

    def __init__(self, secrets: Iterable[str]):
        self.secrets = sorted(set(secrets), key=len, reverse=True)
        self.raw = sorted(
            {v.encode("utf-8", "replace") for v in self.secrets}, key=len, reverse=True
        )
        # Each secret as it reads inside JSON text: a line without any of
        # them (and with no secret field, and no secret in its bytes) is kept.
        self.quoted = [_quote(v)[1:-1] for v in self.secrets]

    def text(self, value: str) -> str:
        return mask_secrets(value, self.secrets)

    def walk(self, obj: Any) -> Any:
        """A Trace's dataclasses (no Packets) with every text masked."""
        if isinstance(obj, Field) and obj.secret:
            return replace(
                obj,
                value=mask_value(obj.name, obj.value),
                show=mask_value(obj.name, obj.show),
                explain=self.text(obj.explain),
            )
        if is_dataclass(obj) and not isinstance(obj, type):
            return replace(obj, **{f.name: self.walk(getattr(obj, f.name)) for f in fields(obj)})
        if isinstance(obj, tuple):
            return tuple(self.walk(v) for v in obj)
        if isinstance(obj, str):
            return self.text(obj)
        return obj

    def line(self, line: str, texts: Texts) -> str:
        """One packet's JSON text (as `Texts.packet` writes it), masked."""
        at = line.index('"hex":"') + 7
        data = bytes.fromhex(line[at : line.index('"', at)])
        if (
            '"secret":true' not in line
            and not any(q in line for q in self.quoted)
            and not any(r in data for r in self.raw)
        ):
            return line
        d = json.loads(line)
        for value in self.raw:
            data = data.replace(value, b"*" * len(value))
        layers = tuple(
            Layer(layer["name"], layer["offset"], layer["length"], tuple(Field(**f) for f in layer["fields"]))
            for layer in d.pop("layers")
        )  # fmt: skip
        d["hex"] = ""
        p = self.walk(Packet(**d, layers=layers))
        return texts.packet(replace(p, hex=data.hex()))


def finish(
    shell: Trace,
    n: int,
    owner: Iterable[int] | None,
    shares: Sequence[Share],
    out: TextIO,
    mask: bool = False,
    last: Sequence[int] = b"",
    syns: Iterable[tuple[int, str, str, str, int, int]] = (),
) -> None:
    """Write the trace JSON of `shell` (everything but its steps, packets,
    waterfall and expert section) with the `n` packets the `shares` read
    (`owner`: which share read each packet, in order, read again at each
    iteration; None: all in the first; `last`,
    `syns`: see `labs.dissect.steps.Classifier`)."""
    masker = Masker(s for share in shares for s in share.secrets) if mask else None
    expert = Expert()
    names = _step_names(_views(n, owner, shares), n, expert, last, syns)
    try:
        trace = replace(shell, waterfall=waterfall_of([share.seens for share in shares], last))
        section = expert.section()
        if section is not None:
            trace = replace(trace, sections=(*trace.sections, section))
        steps: Iterable[Step] = _steps(_views(n, owner, shares), names)
        lines = _lines(n, owner, shares)
        if masker is not None and masker.secrets:
            trace = masker.walk(trace)
            steps = (masker.walk(step) for step in steps)
            texts = Texts()
            lines = (masker.line(line, texts) for line in lines)
        write_parts(trace, lines, out, steps=steps)
    finally:
        names.close()


def _lines(n: int, owner: Iterable[int] | None, shares: Sequence[Share]) -> Iterator[str]:
    for share in shares:
        share.lines.seek(0)
    reads = [share.lines.readline for share in shares]
    if owner is None:
        for _ in range(n):
            yield reads[0]()[:-1]
        return
    for side in owner:
        yield reads[side]()[:-1]


__all__ = ["Masker", "Share", "finish", "packet_secrets", "text_spool"]
