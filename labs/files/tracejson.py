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

import json
from collections.abc import Iterable
from dataclasses import fields
from json.encoder import encode_basestring as _quote  # type: ignore[attr-defined]
from math import isfinite
from typing import Any, TextIO

from labs.dissect.core import paused_gc
from labs.model.trace import Field, Packet, Step, Trace


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


def write_json(trace: Trace, out: TextIO) -> None:
    """Write `trace` to `out` as the trace JSON (docs/trace-format.md)."""
    with paused_gc():
        texts = Texts()
        write_parts(trace, (texts.packet(p) for p in trace.packets), out)


def write_parts(
    trace: Trace, packets: Iterable[str], out: TextIO, steps: Iterable[Step] | None = None
) -> None:
    """The trace JSON of `trace` with `packets` (each packet's JSON text, in
    order) in place of its own, and `steps` (made as they are written) in
    place of its steps when given: `labs.files.streamjson` writes the text
    of packets dissected in another process, read back from a file."""
    out.write("{")
    # The TLS key log is a secret kept out of the JSON, as `labs.model.trace.to_json` does.
    for i, f in enumerate(f for f in fields(Trace) if f.name != "keylog"):
        if i:
            out.write(",\n")
        out.write(f"{_quote(f.name)}:")
        value = getattr(trace, f.name)
        if f.name == "packets":
            out.write("[")
            for j, text in enumerate(packets):
                out.write(("\n" if j == 0 else ",\n") + text)
            out.write("\n]")
        elif f.name == "steps" and steps is not None:
            names = [g.name for g in fields(Step)]
            out.write("[")
            for j, step in enumerate(steps):
                out.write(("," if j else "") + _dumps({k: getattr(step, k) for k in names}))
            out.write("]")
        elif isinstance(value, tuple):
            # Steps, sections, facts: flat dataclasses (tuples become arrays).
            names = [g.name for g in fields(value[0])] if value else []
            out.write(_dumps([{k: getattr(v, k) for k in names} for v in value]))
        else:
            out.write(_dumps(value))
    out.write("}\n")


__all__ = ["Texts", "write_json", "write_parts"]
