"""Writing a Trace as JSON fast enough for captures of tens of thousands of
packets (`tutor explain --json`).

The output is the JSON of `labs.model.trace.to_json` (same keys, same order, so
`labs.model.trace.loads` reads it back), written packet by packet, one packet per
line. `json.dumps(asdict(trace))` copies every field into a dict first and
took longer than dissecting the packets; here each Field's text is built
once and reused, because dissection hands out the same frozen Field for the
header fields that repeat from packet to packet.
"""

from __future__ import annotations

import codecs
import errno
import io
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass, replace
from json.encoder import encode_basestring as _quote  # type: ignore[attr-defined]
from math import isfinite
from typing import Any, TextIO

from labs.dissect.core import paused_gc
from labs.model.trace import (
    Field,
    Layer,
    Packet,
    Phase,
    Step,
    Trace,
    mask_secrets,
    mask_value,
    packet_secrets,
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _opt(value: str | None) -> str:
    return "null" if value is None else _quote(value)


#: (name, filter, offset, length, secret) -> the fixed pieces of a Field's
#: text: a Field met for the first time is mostly one whose value never
#: repeats (a sequence number, a checksum) in a place that always does.
_PIECES: dict[tuple[str, str | None, int, int, bool], tuple[str, str, str]] = {}
_PIECES_MAX = 4096


def _field_text(f: Field) -> str:
    key = (f.name, f.filter, f.offset, f.length, f.secret)
    pieces = _PIECES.get(key)
    if pieces is None:
        if len(_PIECES) >= _PIECES_MAX:
            _PIECES.clear()
        pieces = _PIECES[key] = (
            f'{{"name":{_quote(f.name)},"filter":{_opt(f.filter)},"value":',
            f',"offset":{f.offset},"length":{f.length},"explain":',
            ',"secret":true}' if f.secret else ',"secret":false}',
        )
    value = _quote(f.value)
    show = value if f.show is f.value else _quote(f.show)
    return f'{pieces[0]}{value},"show":{show}{pieces[1]}{_quote(f.explain)}{pieces[2]}'


def _time(t: float) -> str:
    # What json.dumps writes for a finite float, without its call overhead.
    return repr(t) if isfinite(t) else _dumps(t)


#: Field texts remembered at most: the Fields that repeat (ports, flags,
#: addresses) are found again at once; unique ones (sequence numbers) must
#: not make the table grow with the capture.
_TEXTS_MAX = 8192


class Texts:
    """JSON text of each Field by identity. The Fields are kept alive here,
    so an id in the table always names the same Field."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.kept: list[Field] = []

    def packet(self, p: Packet) -> str:
        get = self.by_id.get
        layers = []
        for layer in p.layers:
            parts = []
            for f in layer.fields:
                text = get(id(f))
                if text is None:
                    if len(self.kept) >= _TEXTS_MAX:
                        self.by_id.clear()
                        self.kept.clear()
                    text = self.by_id[id(f)] = _field_text(f)
                    self.kept.append(f)
                parts.append(text)
            layers.append(
                f'{{"name":{_quote(layer.name)},"offset":{layer.offset},"length":{layer.length},'
                f'"fields":[{",".join(parts)}]}}'
            )
        return (
            f'{{"index":{p.index},"time":{_time(p.time)},"src":{_quote(p.src)},'
            f'"dst":{_quote(p.dst)},"summary":{_quote(p.summary)},"hex":"{p.hex}",'
            f'"explain":{_quote(p.explain)},"layers":[{",".join(layers)}],'
            f'"origin":{_quote(p.origin)},"conversation":{_quote(p.conversation)},'
            f'"interface":{_quote(p.interface)}}}'
        )


_STEP_FIELDS = tuple(g.name for g in fields(Step))


def write_json(trace: Trace, out: TextIO) -> None:
    """Write `trace` to `out` as the trace JSON (docs/trace-format.md)."""
    with paused_gc():
        texts = Texts()
        write_parts(trace, (texts.packet(p) for p in trace.packets), out)


def write_parts(
    trace: Trace,
    packets: Iterable[str] | Callable[[TextIO], None],
    out: TextIO,
    steps: Iterable[Step] | None = None,
    waterfall: Callable[[], tuple[Phase, ...]] | None = None,
) -> None:
    """The trace JSON of `trace` with `packets` (each packet's JSON text, in
    order) in place of its own, and `steps` (made as they are written) in
    place of its steps when given: `labs.files.streamjson` writes the text
    of packets dissected in another process, read back from a file. A
    callable `packets` writes the packets' text itself, each one after
    "\n" and the ones after the first after ",\n" (`copy_pieces`).
    `waterfall`, when given, is asked for `trace`'s waterfall when it is
    written: after the packets."""
    out.write("{")
    # The TLS key log is a secret kept out of the JSON, as `labs.model.trace.to_json` does.
    for i, f in enumerate(f for f in fields(Trace) if f.name != "keylog"):
        if i:
            out.write(",\n")
        out.write(f"{_quote(f.name)}:")
        value = getattr(trace, f.name)
        if f.name == "waterfall" and waterfall is not None:
            value = waterfall()
        if f.name == "packets":
            out.write("[")
            if callable(packets):
                packets(out)
            else:
                for j, text in enumerate(packets):
                    out.write(("\n" if j == 0 else ",\n") + text)
            out.write("\n]")
        elif f.name == "steps" and steps is not None:
            out.write("[")
            for j, step in enumerate(steps):
                out.write(("," if j else "") + _dumps({k: getattr(step, k) for k in _STEP_FIELDS}))
            out.write("]")
        elif isinstance(value, tuple):
            # Steps, sections, facts: flat dataclasses (tuples become arrays).
            names = [g.name for g in fields(value[0])] if value else []
            out.write(_dumps([{k: getattr(v, k) for k in names} for v in value]))
        else:
            out.write(_dumps(value))
    out.write("}\n")


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


#: Errors with which the kernel refuses `os.sendfile` between two files
#: (a terminal, a file opened to append): their bytes then pass through here.
_REFUSED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EOPNOTSUPP})
#: Bytes copied by one call at most.
_SEND_MAX = 1 << 30
_READ_MAX = 1 << 20


def byte_sink(out: TextIO) -> int | None:
    """`out`'s file descriptor, when bytes written there read as what
    `out.write` would write of UTF-8 text with "\n" line ends: a
    TextIOWrapper in UTF-8 on a system whose line end is "\n" (a stream
    opened with newline="\r\n" on purpose would not be; nothing here does)."""
    if not isinstance(out, io.TextIOWrapper) or os.linesep != "\n":
        return None
    try:
        if codecs.lookup(out.encoding).name != "utf-8":
            return None
        return out.fileno()
    except (LookupError, OSError, ValueError):
        return None


def copy_pieces(out: TextIO, fd: int, pieces: Iterable[tuple[int, int, int]]) -> None:
    """Write each piece (a file descriptor, an offset, a length) of a file
    to `out` (whose descriptor is `fd`, `byte_sink`), in order: copied by
    the kernel, so that the bytes never pass through Python (the packets'
    text is most of a capture's JSON: 1.3 GB for 200,000 packets), or read
    and written here where the kernel refuses."""
    out.flush()
    kernel = True
    for src, offset, length in pieces:
        end = offset + length
        while kernel and offset < end:
            try:
                sent = os.sendfile(fd, src, offset, min(end - offset, _SEND_MAX))
            except OSError as err:
                if err.errno not in _REFUSED:
                    raise
                kernel = False
                break
            if sent == 0:  # the piece lies past the end of its file
                raise OSError(errno.EIO, "a packet's text is missing from its file")
            offset += sent
        while offset < end:
            data = os.pread(src, min(end - offset, _READ_MAX), offset)
            if not data:
                raise OSError(errno.EIO, "a packet's text is missing from its file")
            left = memoryview(data)
            while left:
                left = left[os.write(fd, left) :]
            offset += len(data)


__all__ = [
    "Masker",
    "Texts",
    "byte_sink",
    "copy_pieces",
    "packet_secrets",
    "write_json",
    "write_parts",
]
