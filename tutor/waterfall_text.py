"""The timing waterfall of a trace as text bars (the CLI, the TUI's
waterfall pane and the drills' reports): one row per phase, grouped by
exchange, bars on a common time axis, each time written by `took` as
everywhere else. It draws `Trace.waterfall` as the lab measured it; it
never times anything itself."""

from __future__ import annotations

from dataclasses import replace

from labs.model.trace import Phase, Trace, mask_secrets
from tutor import ladder
from tutor.timetext import CELL, took, took_cell

#: Phases shown at most; a busy capture's waterfall is cut (and says so).
MAX_ROWS = 120
#: A bar's cells at most, and at least: a narrower width draws narrower bars,
#: but below MIN_BAR cells the phases of a busy exchange would all look alike,
#: so under a width of MIN_BAR + ROW_TEXT the rows pass the edge.
BAR, MIN_BAR = 40, 10
#: A row's cells besides its bar: "   download |" before it, "|    606 ms" after.
ROW_TEXT = len("   ") + 9 + len("||") + CELL
#: The clock and legend wrap to this width at most: like the bars, they fit
#: an 80-column terminal also on a wider one, the block's lines alike in length.
WIDTH = 78


def _span(phases: list[Phase] | tuple[Phase, ...]) -> float:
    return max(p.end for p in phases) if phases else 0.0


def _heading(trace: Trace) -> str:
    """The heading with the bars' range, and where the packets go on after
    it (a connection's goodbye, an idle tail), the last packet's time: the
    range alone reads as the capture's span."""
    span = _span(trace.waterfall)
    last = max((p.time for p in trace.packets), default=0.0)
    more = f"; packets until {took(last)}" if last > span and took(last) != took(span) else ""
    return f"Timing waterfall (0 to {took(span)} after the first packet{more})"


def _cell(ph: Phase) -> str:
    """The phase's time as `took_cell`; a phase of one packet (a request or
    an answer that fit in one) says so, rather than a "0 µs" read as "instant"."""
    if len(ph.packets) == 1:
        return "1 packet".rjust(CELL)
    return took_cell(ph.end - ph.start)


#: What a request's rows measure: their names alone do not say where one ends
#: and the next begins, and a request sent in one packet takes no time. The
#: handshakes' rows end earlier than their steps do (the step counts the last
#: ACK, or the client's Finished), so a learner saw two different times for
#: "connecting" with nothing saying why.
LEGEND = {
    "connect": "SYN to SYN-ACK, one round trip (the step counts the last ACK too)",
    "tls": "the ClientHello until the client may send encrypted data",
    "request": 'its first packet to its last ("1 packet": it fit in one)',
    "wait": "the request's last packet to the answer's first",
    "download": "the answer's first packet to its last",
    "no-reply": "the first SYN to its last resend: nothing came back, no SYN-ACK, no reset",
}


#: What a FOLDED step's row measures, and where its probes are one by one:
#: "8 answered probes, in one bar" alone leaves a learner looking for the eight.
PROBES = (
    "a whole step of probes in one bar, from its first probe sent to its last answer "
    "received; the ladder diagram draws each packet, with its own time"
)


def _legend(phases: list[Phase], width: int = WIDTH) -> list[str]:
    """A line per LEGEND phase among `phases`, aligned with the rows' names,
    and PROBES when a step was folded, each wrapped to `width` under itself."""
    names = {ph.name for ph in phases}
    said: list[tuple[str, str]] = []
    if "request" in names:
        said = [
            (name, text) for name, text in LEGEND.items() if name in names and name != "no-reply"
        ]
    elif "connect" in names:
        said = [("connect", LEGEND["connect"])]
    said += [("no-reply", LEGEND["no-reply"])] if "no-reply" in names else []
    said += [("probes", PROBES)] if "probes" in names else []
    out = []
    for name, text in said:
        lines = _wrapped(text, " " * 12, width)
        out += [f"  {name + ':':<10}{lines[0].lstrip()}", *lines[1:]]
    return out


def _cut(text: str, width: int | None) -> str:
    """`text` cut to `width` characters with "…" (a long URL as a label)."""
    if width is None or len(text) <= width:
        return text
    return text[: max(width - 1, 1)] + "…"


#: Steps made of many small probes and their answers (`tutor explain` names
#: them from the packets): the waterfall draws each as one row, not a bar per probe.
FOLDED = ("traceroute-udp", "traceroute-icmp", "traceroute-tcp", "scan")


#: A folded step's phases in words: a probe answered, a connection a probe
#: opened (a TCP SYN answered with SYN-ACK completes a handshake).
_HELD = {
    "answer": ("answered probe", "answered probes"),
    "connect": ("handshake", "handshakes"),
    "no-reply": ("SYN never answered", "SYNs never answered"),
}


def _held(kinds: dict[str, int]) -> str:
    """What a folded row holds, counted: "8 answered probes"."""
    said = []
    for name, n in kinds.items():
        one, more = _HELD.get(name, ("other exchange", "other exchanges"))
        said.append(f"{n} {one if n == 1 else more}")
    return ", ".join(said)


def folded(trace: Trace) -> list[Phase]:
    """`trace.waterfall` with the exchanges that lie wholly inside one FOLDED
    step drawn as one "probes" phase (first probe to last answer), labelled
    with the step's title; exchanges renumbered in order."""
    owner: dict[int, int] = {}
    for k, step in enumerate(trace.steps):
        if step.name in FOLDED:
            owner.update(dict.fromkeys(step.packets, k))
    if not owner:
        return list(trace.waterfall)
    exchanges: dict[int, list[Phase]] = {}
    for ph in trace.waterfall:
        exchanges.setdefault(ph.exchange, []).append(ph)
    out: list[Phase] = []
    into: dict[int, int] = {}
    #: step -> its folded exchanges by their first phase's name ({"answer": 8})
    count: dict[int, dict[str, int]] = {}
    for phases in exchanges.values():
        steps = {owner.get(i, -1) for ph in phases for i in ph.packets}
        k = steps.pop() if len(steps) == 1 else -1
        if k < 0:
            number = out[-1].exchange + 1 if out else 0
            out.extend(replace(ph, exchange=number) for ph in phases)
            continue
        kinds = count.setdefault(k, {})
        # An exchange by what it begins with: a probe's answer or a handshake.
        kinds[phases[0].name] = kinds.get(phases[0].name, 0) + 1
        label = f"{trace.steps[k].title}: {_held(kinds)}, in one bar"
        start = min(ph.start for ph in phases)
        end = max(ph.end for ph in phases)
        packets = {i for ph in phases for i in ph.packets}
        if k in into:
            got = out[into[k]]
            out[into[k]] = replace(
                got, label=label, start=min(got.start, start), end=max(got.end, end),
                packets=tuple(sorted(packets.union(got.packets))),
            )  # fmt: skip
            continue
        into[k] = len(out)
        number = out[-1].exchange + 1 if out else 0
        out.append(Phase(number, label, "probes", start, end, tuple(sorted(packets))))
    return out


def bar_cells(width: int | None) -> int:
    """A bar's cells in lines of `width` (None: BAR): what the row's name and
    time leave, BAR at most and MIN_BAR at least."""
    return BAR if width is None else max(MIN_BAR, min(BAR, width - ROW_TEXT))


def rows(
    trace: Trace,
    width: int | None = None,
    show_secrets: bool = False,
    limit: int = MAX_ROWS,
) -> list[str]:
    """The waterfall's lines in `width` columns (None: bars of BAR cells,
    labels whole): a heading per exchange (cut to `width`), then a bar per
    phase (`bar_cells`) and the time it took, right-aligned."""
    phases = folded(trace)
    if not phases:
        return []
    secrets = [] if show_secrets else trace.secret_values()
    span = _span(phases) or 1e-9
    cells = bar_cells(width)
    out: list[str] = []
    shown = -1
    for ph in phases[:limit]:
        if ph.exchange != shown:
            shown = ph.exchange
            label = f"{ph.exchange + 1}. {mask_secrets(ph.label, secrets)}"
            out.append(_cut(label, width))
        out.append(f"   {ph.name:<9}|{_bar(ph, span, cells)}|{_cell(ph)}")
    if len(phases) > limit:
        more = f"... and {len(phases) - limit} more phases (--full shows them all)."
        out += _wrapped(more, "   ", min(width or WIDTH, WIDTH))
    return out


def _bar(ph: Phase, span: float, width: int) -> str:
    a = int(ph.start / span * width)
    b = max(a + 1, round(ph.end / span * width))
    b = min(b, width)
    a = min(a, width - 1)
    return " " * a + "█" * (b - a) + " " * (width - b)


def block(
    trace: Trace,
    show_secrets: bool = False,
    limit: int = MAX_ROWS,
    width: int | None = None,
    legend: bool = True,
) -> list[str]:
    """The waterfall's heading, its clock, what the request's rows measure
    (with `legend`) and its rows, in `width` columns (`rows`; the clock and
    legend wrapped to it, or to WIDTH when wider or None); [] when it has none."""
    lines = rows(trace, width, show_secrets=show_secrets, limit=limit)
    if not lines:
        return []
    wrap = min(width or WIDTH, WIDTH)
    # Timed from the packets, unlike the CLI header's "the whole run took"
    # (which counts starting the lab's servers too): the heading says so.
    head = [_heading(trace)]
    if trace.clock:
        head += _wrapped(f"Clock: {trace.clock}", "  ", wrap)
    head += _legend(folded(trace)[:limit], wrap) if legend else []
    return head + lines


#: In the CLI's summary (not --full): this many waterfall rows and ladder
#: arrows, so that the summary stays short (the slowest exchange of a run is
#: usually among its first: DNS, connect, TLS).
BRIEF_ROWS, BRIEF_ARROWS = 12, 24


def _wrapped(text: str, indent: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, each after `indent`."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, indent + line] if line else lines


def timing_blocks(
    trace: Trace, full: bool = True, show_secrets: bool = False, width: int | None = None
) -> list[tuple[str, list[str]]]:
    """The CLI's timing part as (heading, lines) in `width` columns: the
    waterfall with its clock (`block`), then (in full output) the ladder diagram."""
    out: list[tuple[str, list[str]]] = []
    water = block(
        trace, show_secrets, limit=MAX_ROWS if full else BRIEF_ROWS, width=width, legend=full
    )
    if water:
        out.append((water[0], water[1:]))
    # The summary must fit one screen: the ladder comes with --full (and on
    # its own with --diagram text).
    if trace.packets and full:
        out.append(("Ladder diagram (time after the first packet; one arrow per packet)",
                    ladder.brief_lines(trace, ladder.MAX_ARROWS, show_secrets, width)))  # fmt: skip
    return out


def render(trace: Trace, show_secrets: bool = False) -> str:
    """The waterfall as a block of text, with its clock, or "" when it has none."""
    lines = block(trace, show_secrets)
    return "\n".join(lines) + "\n" if lines else ""


__all__ = ["BRIEF_ARROWS", "BRIEF_ROWS", "block", "render", "rows", "timing_blocks"]
