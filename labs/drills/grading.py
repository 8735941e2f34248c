"""Grading a diagnosis, and finding the drill's evidence among the packets
the learner's own probes captured."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

from labs.core.display_filter import filter_trace
from labs.drills.probes import KINDS, parse
from labs.drills.spec import Choice, Found, Grade, Part, ProbeResult, Variant
from labs.model.errors import BadInput
from labs.model.numbers import number
from labs.model.trace import Trace


def _part(what: str, given: str, right: str, choices: tuple[Choice, ...]) -> Part:
    keys = [c.key for c in choices]
    if given not in keys:
        raise BadInput(f"--{what} {given!r} is not one of the choices: {', '.join(keys)}.")
    text = next(c.text for c in choices if c.key == right)
    return Part(given, given == right, right, text)


def _not_them(call: Part, fault: str, v: Variant) -> Part:
    """A wrong "who to call", with why: what the team named looks after, and
    where this drill's fault is (the right fault's words, the right team's)."""
    if call.right:
        return call
    scope = {c.key: c for c in v.calls}
    given, right = scope[call.given], scope[call.correct]
    what = next(c.text for c in v.faults if c.key == fault)
    why = (
        f"Not {given.key}: they look after {given.scope}. The fault here ({what}) is in "
        f"{right.scope}: call {right.key}."
    )
    return replace(call, why=why)


def find(v: Variant, traces: list[tuple[ProbeResult, Trace]]) -> Found:
    """The first packet of the learner's probes that the evidence's filter selects."""
    for result, trace in traces:
        chosen = filter_trace(trace, v.evidence.filter)
        if chosen.packets:
            return Found(v.evidence, result.number, chosen.packets[0].index)
    return Found(v.evidence)


#: A probe as the drills' texts cite it: in backticks, in probe syntax
#: (`connect api.shop.example:80`), what the TUI's probe box takes too.
CITED = re.compile(rf"`((?:{'|'.join(KINDS)}) [^`]+)`")


def cited(text: str) -> list[str]:
    """The probes `text` cites, each once, in order."""
    return list(dict.fromkeys(CITED.findall(text)))


def _like(probe: str) -> str:
    kind, _, arg = probe.partition(" ")
    return parse(kind, arg)[1]


def unseen(v: Variant, found: Found, traces: list[tuple[ProbeResult, Trace]]) -> list[str]:
    """The probes the explanation rests on that the learner did not run: those
    it cites (the same command: `like`), and the evidence's own when none of
    the learner's packets shows it."""
    ran = {result.like for result, _ in traces}
    out = [p for p in cited(f"{v.explain} {v.evidence.says}") if _like(p) not in ran]
    if found.packet is None and v.evidence.probe not in out:
        out.insert(0, v.evidence.probe)
    return out


def grade(
    v: Variant,
    layer: str,
    fault: str,
    call: str,
    note: str,
    traces: list[tuple[ProbeResult, Trace]],
    data: dict[str, Any],
) -> Grade:
    parts = (
        _part("layer", layer, v.answer.layer, v.layers),
        _part("fault", fault, v.answer.fault, v.faults),
        _not_them(_part("call", call, v.answer.call, v.calls), v.answer.fault, v),
    )
    found = find(v, traces)
    ev = v.evidence
    where = (
        f"Your probe {found.probe_number} shows it: packet {number(found.packet)} has "
        f"{ev.field} = {ev.value} ({ev.says})"
        if found.probe_number is not None and found.packet is not None
        else f"The probe that shows it: `{ev.probe}`; look for {ev.field} = {ev.value} ({ev.says})"
    )
    missing = unseen(v, found, traces)
    # The evidence's probe is named by `where` already when it was not run.
    told = [p for p in missing if found.packet is not None or p != ev.probe]
    more = (
        f" You did not run {' or '.join(f'`{p}`' for p in told)}, so what is said above of "
        f"{'it' if len(told) == 1 else 'them'} is not in your own packets."
        if told
        else ""
    )
    return Grade(
        *parts,
        correct=all(p.right for p in parts),
        explanation=f"{v.explain} {where}.{more}",
        unseen=tuple(missing),
        found=found,
        seconds=round(time.time() - float(data["started"]), 1),
        hints_used=int(data["hints"]),
        note=note[:2000],
    )
