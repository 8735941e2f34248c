"""Two runs compared in meaning (`tutor diff A.json B.json`, and the lab
screen's "compare with my previous run"): packets per step, what tshark-style
analysis flagged, phase timings, status codes, headers and facts.

What differs every run without meaning anything is normalised away before
comparing: ports, sequence numbers (ISNs), IP and DNS ids, checksums,
timestamps, dates. A diff is a list of plain lines; nothing here reads bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from labs.model.trace import Trace
from tutor.packettext import WIDTH, wrap
from tutor.timetext import took

#: Fields that change on every run and say nothing about what happened.
VOLATILE = frozenset(
    """ip.id ip.checksum tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.checksum
    udp.srcport udp.dstport udp.checksum dns.id tcp.options.timestamp.tsval
    tcp.options.timestamp.tsecr http.date http.etag eth.src eth.dst arp.src.hw_mac
    arp.dst.hw_mac tcp.options""".split()
)
_PORT = re.compile(r":\d{2,5}\b")
_STEP_NUMBER = re.compile(r"-\d+$")
#: A phase's time counts as changed when it moved by this much and by this share.
MIN_MS, MIN_SHARE = 5.0, 0.2
#: The HTTP body (Wireshark's field for it): compared as a body, not as a header.
BODY = "http.file_data"


@dataclass(frozen=True)
class Meaning:
    """A trace reduced to what it means."""

    #: packets by kind of step (its name less a "-2") and title
    steps: dict[tuple[str, str], int]
    flags: Counter[str]
    phases: dict[str, float]
    statuses: tuple[str, ...]
    headers: frozenset[str]
    #: each body on one line (a JSON body ends in a newline, which made a blank line)
    bodies: frozenset[str]
    facts: dict[str, str]
    packets: int


def _norm(text: str) -> str:
    return _PORT.sub(":PORT", text)


def meaning(trace: Trace) -> Meaning:
    steps: dict[tuple[str, str], int] = {}
    for s in trace.steps:
        kind = _STEP_NUMBER.sub("", s.name)
        key = (kind, s.title or kind)
        steps[key] = steps.get(key, 0) + len(s.packets)
    flags = Counter(
        m.group(0)
        for p in trace.packets
        for m in [re.search(r"tcp\.analysis\.\w+", p.explain)]
        if m is not None
    )
    phases: dict[str, float] = {}
    for ph in trace.waterfall:
        phases[f"{ph.exchange + 1}. {_norm(ph.label)} {ph.name}"] = (ph.end - ph.start) * 1000
    statuses = tuple(f.value for p in trace.packets for f in p.fields("http.response.code"))
    http = [
        f
        for p in trace.packets
        for layer in p.layers
        if layer.name.startswith("HTTP")
        for f in layer.fields
        if f.filter and f.filter not in VOLATILE and not f.secret
    ]
    headers = frozenset(f"{f.filter}: {_norm(f.value)}" for f in http if f.filter != BODY)
    bodies = frozenset(" ".join(_norm(f.value).split()) for f in http if f.filter == BODY)
    facts = {f.name: f.value for f in trace.facts}
    return Meaning(steps, flags, phases, statuses, headers, bodies, facts, len(trace.packets))


def _ratio(was: float, now: float) -> str:
    """How B's time compares with A's, in words where a ratio would mislead:
    a phase whose first and last packet share one timestamp took no
    measurable time, and no multiple of it means anything."""
    if round(now, 1) == 0:
        return "none in B: its packets share one timestamp"
    if round(was, 1) == 0:
        return "none in A: its packets share one timestamp"
    ratio = now / was
    return f"{ratio:.1f}x" if ratio >= 0.1 else f"1/{was / now:.0f} of A's time"


def _shorter(title: str) -> list[str]:
    """`title`, then less each parenthesis at its end in turn: "Open the
    connection (TCP handshake) (1. GET)", "... (TCP handshake)", "Open the connection"."""
    out = [title]
    while title.endswith(")") and (cut := title.rfind(" (")) > 0:
        title = title[:cut]
        out.append(title)
    return out


def _grouped(titles: list[str]) -> dict[str, list[str]]:
    """`titles` of one kind of step under the words they share: all under
    the longest they all end up as ("Send the request" for "Send the request
    (1. GET)" and "(2. GET)"), else each under itself less its parentheses
    ("Page 1: n+1" and "Page 2: join" stay two steps)."""
    common = set.intersection(*(set(_shorter(t)) for t in titles))
    if common:
        return {max(common, key=len): titles}
    groups: dict[str, list[str]] = {}
    for title in titles:
        groups.setdefault(_shorter(title)[-1], []).append(title)
    return groups


def _steps(ma: Meaning, mb: Meaning) -> list[tuple[str, int, int]]:
    """(title, packets in A, packets in B) of each kind of step, in the order
    A then B first has them: a kind is counted whole under the words its
    titles share, else title by title."""
    kinds: dict[str, list[str]] = {}
    for kind, title in (*ma.steps, *mb.steps):
        titles = kinds.setdefault(kind, [])
        if title not in titles:
            titles.append(title)
    out = []
    for kind, titles in kinds.items():
        for words, members in _grouped(titles).items():
            counts = [sum(m.steps.get((kind, t), 0) for t in members) for m in (ma, mb)]
            out.append((words, counts[0], counts[1]))
    return out


def different_labs(a: Trace, b: Trace) -> str | None:
    """One line when A and B come from different labs: compared all the
    same, but their steps and facts differ by design."""
    if a.lab == b.lab:
        return None
    return (
        f"Warning: A and B come from different labs ({a.lab} and {b.lab}): compared all "
        "the same, they differ by design, not only by what changed between runs."
    )


def diff(a: Trace, b: Trace) -> list[str]:
    """What changed from run A to run B, one line each; [] when nothing did."""
    ma, mb = meaning(a), meaning(b)
    out: list[str] = []
    if ma.packets != mb.packets:
        out.append(f"packets: {ma.packets} -> {mb.packets}")
    for title, x, y in _steps(ma, mb):
        if x != y:
            out.append(f"step {title}: {x} -> {y} packets")
    for flag in sorted(set(ma.flags) | set(mb.flags)):
        if ma.flags[flag] != mb.flags[flag]:
            out.append(f"{flag}: {ma.flags[flag]} -> {mb.flags[flag]} packets")
    for key in list(ma.phases) + [k for k in mb.phases if k not in ma.phases]:
        was, now = ma.phases.get(key), mb.phases.get(key)
        if was is None or now is None:
            out.append(f"phase {key}: {'only in B' if was is None else 'only in A'}")
        elif abs(now - was) >= MIN_MS and abs(now - was) >= MIN_SHARE * max(was, now):
            said = f"{took(was / 1000)} -> {took(now / 1000)}"
            out.append(f"phase {key}: {said} ({_ratio(was, now)})")
    if ma.statuses != mb.statuses:
        out.append(
            f"status codes: {' '.join(ma.statuses) or '-'} -> {' '.join(mb.statuses) or '-'}"
        )
    for h in sorted(ma.headers - mb.headers):
        out.append(f"header only in A: {h}")
    for h in sorted(mb.headers - ma.headers):
        out.append(f"header only in B: {h}")
    for body in sorted(ma.bodies - mb.bodies):
        out.append(f"body only in A: {body}")
    for body in sorted(mb.bodies - ma.bodies):
        out.append(f"body only in B: {body}")
    # Compared by name, the key; said in the learner's words with units.
    words = {f.name: f.reads() for trace in (a, b) for f in trace.facts}
    for name in sorted(set(ma.facts) | set(mb.facts)):
        if ma.facts.get(name) != mb.facts.get(name):
            label = words[name][0]
            before, after = (_fact(t, name) for t in (a, b))
            out.append(f"fact {label}: {before} -> {after}")
    return out


def _fact(trace: Trace, name: str) -> str:
    """The fact's value with its unit, or "-" when the trace has none."""
    fact = trace.fact(name)
    return fact.reads()[1] if fact is not None else "-"


def render(a: Trace, b: Trace, names: tuple[str, str] = ("A", "B"), width: int = WIDTH) -> str:
    """The differences as text `width` wide (`tutor.tracetext.text_width`),
    wrapped between words: a path, a field name or a URL is never cut."""
    lines = diff(a, b)
    head = f"Comparing {names[0]} ({a.lab}, {a.capture}) with {names[1]} ({b.lab}, {b.capture})"
    said = [wrap(head, "", width)]
    warning = different_labs(a, b)
    if warning is not None:
        said.append(wrap(warning, "", width))
    if not lines:
        same = "The same in meaning: ports, sequence numbers, ids and times aside."
        return "\n".join([*said, wrap(same, "", width)]) + "\n"
    # Each difference two spaces in, what it wraps onto two further.
    said += [wrap(line, "  ", width - 2).replace("\n  ", "\n    ") for line in lines]
    return "\n".join(said) + "\n"


__all__ = ["VOLATILE", "Meaning", "diff", "different_labs", "meaning", "render"]
