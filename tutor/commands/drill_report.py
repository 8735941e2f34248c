"""'Explain it to my engineer': a finished (or running) drill as Markdown:
the story, what was probed (each probe's timing waterfall and ladder), the
diagnosis and its grade, and last what matters most: the evidence packets
in words and why the right answer is right. The evidence packet's Wireshark
fields: those its display filter reads, or all of them (`fields=True`,
`tutor drill report --fields`). The CLI and the TUI both call `markdown`."""

from __future__ import annotations

import re
from typing import Any

from labs.model.numbers import number
from labs.model.trace import Packet, Trace
from tutor.packettext import wrap
from tutor.timetext import took, took_cell

#: At most this many of the packets the evidence's filter selects are told in
#: words (a retransmitted SYN is selected once on each side of the gateway).
EVIDENCE_PACKETS = 4


def _code(value: str) -> str:
    """A value as one table cell: control characters as `tshark -T fields`
    prints them (`\\n`), `|` escaped, a backtick inside a longer fence."""
    for char, shown in (("\r", "\\r"), ("\n", "\\n"), ("\t", "\\t"), ("|", "\\|")):
        value = value.replace(char, shown)
    if "`" not in value:
        return f"`{value}`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"``{pad}{value}{pad}``"


def _fields(p: Packet, only: set[str] | None = None) -> list[str]:
    """The packet's fields as a table (`only`: those with these filter names)."""
    rows = ["| layer | field | value | meaning |", "|---|---|---|---|"]
    for layer in p.layers:
        for f in layer.fields:
            if f.filter and not f.secret and (only is None or f.filter in only):
                show = " ".join(f.show.split()).replace("|", "\\|")
                rows.append(f"| {layer.name} | `{f.filter}` | {_code(f.value)} | {show} |")
    return rows


def _diagrams(trace: Trace, width: int | None) -> list[str]:
    from tutor.ladder import brief_lines
    from tutor.waterfall_text import block

    out: list[str] = []
    water = block(trace)
    if water:
        out += ["```", *water, "```", ""]
    if trace.packets:
        out += ["```", *brief_lines(trace, 40, width=width), "```", ""]
    return out


def _diagnosis(st: Any, grade: Any) -> list[str]:
    lines = ["## Diagnosis", ""]
    for name in ("layer", "fault", "call"):
        part = getattr(grade, name)
        mark = "right" if part.right else f"wrong; the answer is `{part.correct}`"
        lines.append(f"- **{name}**: `{part.given}` ({mark}): {part.text}")
        if getattr(part, "why", ""):
            lines.append(f"  - {part.why}")
    if grade.note:
        lines += ["", f"My note: {grade.note}"]
    return [*lines, "", f"Time: {took(grade.seconds)}; hints used: {grade.hints_used}.", ""]


def _evidence(rep: Any, fields: bool) -> list[str]:
    """The evidence packets in words (each its own byte-derived sentence),
    the filter that finds them, and the fields that filter reads."""
    from labs.api import filter_trace

    found = rep.grade.found
    ev = found.evidence
    lines = ["## The evidence, in packets", ""]
    trace = dict((r.number, t) for r, t in rep.traces).get(found.probe_number)
    if trace is None or found.packet is None:
        return [*lines, f"Not among my probes: `{ev.probe}` shows it ({ev.field} = {ev.value}: "
                f"{ev.says}).", ""]  # fmt: skip
    chosen = filter_trace(trace, ev.filter).packets
    lines += [f"In probe {found.probe_number}, the packets that show it:", ""]
    for p in chosen[:EVIDENCE_PACKETS]:
        where = f", {p.interface}" if p.interface else ""
        lines.append(
            f"- Packet {number(p.index)} ({took_cell(p.time).strip()}{where}): {p.explain}"
        )
    if len(chosen) > EVIDENCE_PACKETS:
        lines.append(f"- ... and {len(chosen) - EVIDENCE_PACKETS} more like them.")
    p = trace.packets[found.packet]
    lines += ["", f"Packet {number(found.packet)} has `{ev.field}` = `{ev.value}`: {ev.says}. "
              "Wireshark finds these packets with this display filter:", "",
              "```", ev.filter, "```", ""]  # fmt: skip
    named = set(re.findall(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+", ev.filter)) | {ev.field}
    table = _fields(p, None if fields else named)
    total = len(_fields(p)) - 2
    lines += [f"Packet {number(found.packet)}'s " + ("fields:" if fields else "fields the filter "
              "reads:"), "", *table, ""]  # fmt: skip
    if not fields and total > len(table) - 2:
        lines += [f"(`tutor drill report --fields` lists all {total} of its fields.)", ""]
    return lines


def markdown(rep: Any, width: int | None = None, fields: bool = False) -> str:
    """The report; `width`: prose wrapped to it (tables and diagrams never)."""
    st, grade = rep.state, rep.grade
    name = getattr(st, "number", 0) or st.drill
    lines = [f"# Incident drill {name}: {st.title}", ""]
    if rep.simulated:
        lines += [
            "> **SIMULATED**: nothing was sent; the packets below were computed by tutor's "
            "drill simulator from the drill's facts. There is no capture file.",
            "",
        ]
    # The id names the fault: said once the drill is answered, not before.
    known = f" (`{st.drill}`)" if grade is not None else ""
    lines += [f"Drill {name}{known}, variant (seed) {st.seed}, {st.mode}.", "",
              "## What happened", "", st.story, ""]  # fmt: skip
    lines += ["## What I checked", ""]
    for p in st.probes:
        lines.append(f"{p.number}. `{p.like}`: **{p.outcome}**. {p.words}")
    if not st.probes:
        lines.append("(no probes)")
    lines.append("")
    for result, trace in sorted(rep.traces, key=lambda rt: rt[0].number):
        lines += [f"## Probe {result.number}: `{result.like}`", "", result.words, ""]
        lines += _diagrams(trace, width)
    if not rep.simulated and rep.traces:
        lines += [f"The capture of probe {rep.traces[0][0].number} is saved beside this file "
                  "(.pcap); open it in Wireshark: its packet numbers match this report's.", ""]  # fmt: skip
    if grade is not None:
        lines += _diagnosis(st, grade)
        lines += _evidence(rep, fields)
        lines += ["## Why the answer is right", "", grade.explanation, ""]
    text = "\n".join(lines)
    return _wrapped(text, width) if width else text


def _wrapped(text: str, width: int) -> str:
    """Prose lines wrapped to `width`, under their own bullet or quote mark;
    code blocks, tables and headings as they are (a wrapped row breaks them)."""
    out: list[str] = []
    fence = False
    for line in text.split("\n"):
        if line.startswith("```"):
            fence = not fence
        if fence or line.startswith(("```", "|", "#")) or len(line) <= width:
            out.append(line)
            continue
        lead = re.match(r"(> | *(?:- |\d+\. )?)", line).group(1)  # type: ignore[union-attr]
        pad = "> " if lead == "> " else " " * len(lead)
        out.append(lead + wrap(line[len(lead) :], pad, width)[len(pad) :])
    return "\n".join(out)
