"""'Explain it to my engineer': a finished (or running) drill as Markdown: the
story, the diagnosis and its grade, the evidence packet with its Wireshark
fields and values, each probe's timing waterfall and ladder diagram. The CLI
(`tutor drill report`) and the TUI both call `markdown`."""

from __future__ import annotations

from typing import Any

from labs.model.numbers import number
from labs.model.trace import Packet, Trace
from tutor.timetext import took


def _code(value: str) -> str:
    """A value as one table cell: control characters as `tshark -T fields`
    prints them (`\\n`), `|` escaped, a backtick inside a longer fence."""
    for char, shown in (("\r", "\\r"), ("\n", "\\n"), ("\t", "\\t"), ("|", "\\|")):
        value = value.replace(char, shown)
    if "`" not in value:
        return f"`{value}`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"``{pad}{value}{pad}``"


def _fields(p: Packet) -> list[str]:
    rows = ["| layer | field | value | meaning |", "|---|---|---|---|"]
    for layer in p.layers:
        for f in layer.fields:
            if f.filter and not f.secret:
                show = " ".join(f.show.split()).replace("|", "\\|")
                rows.append(f"| {layer.name} | `{f.filter}` | {_code(f.value)} | {show} |")
    return rows


def _diagrams(trace: Trace) -> list[str]:
    from tutor.ladder import brief_lines
    from tutor.waterfall_text import block

    out: list[str] = []
    water = block(trace)
    if water:
        out += ["```", *water, "```", ""]
    if trace.packets:
        out += ["```", *brief_lines(trace, 40), "```", ""]
    return out


def markdown(rep: Any) -> str:
    st, grade = rep.state, rep.grade
    lines = [f"# Incident drill: {st.title}", ""]
    if rep.simulated:
        lines += [
            "> **SIMULATED**: nothing was sent; the packets below were computed by tutor's "
            "drill simulator from the drill's facts. There is no capture file.",
            "",
        ]
    lines += [f"Drill `{st.drill}`, variant (seed) {st.seed}, {st.mode}.", "", "## What happened",
              "", st.story, ""]  # fmt: skip
    lines += ["## What I checked", ""]
    for p in st.probes:
        lines.append(f"{p.number}. `{p.like}`: **{p.outcome}**. {p.words}")
    if not st.probes:
        lines.append("(no probes)")
    lines.append("")
    if grade is not None:
        lines += ["## Diagnosis", ""]
        for name in ("layer", "fault", "call"):
            part = getattr(grade, name)
            mark = "right" if part.right else f"wrong; the answer is `{part.correct}`"
            lines.append(f"- **{name}**: `{part.given}` ({mark}): {part.text}")
        if grade.note:
            lines += ["", f"My note: {grade.note}"]
        lines += ["", grade.explanation, "",
                  f"Time: {took(grade.seconds)}; hints used: {grade.hints_used}.", ""]  # fmt: skip
        ev, found = grade.found.evidence, grade.found
        lines += ["## The evidence", "",
                  f"Display filter: `{ev.filter}`; field `{ev.field}` = `{ev.value}`: {ev.says}.", ""]  # fmt: skip
        traces = {r.number: t for r, t in rep.traces}
        trace = traces.get(found.probe_number) if found.probe_number is not None else None
        if trace is not None and found.packet is not None:
            p = trace.packets[found.packet]
            lines += [
                f"Probe {found.probe_number}, packet {number(found.packet)} ({p.interface}): "
                f"{p.src} → {p.dst}, {p.summary}.",
                "",
                *_fields(p),
                "",
            ]
        else:
            lines += [f"(Not among my probes; `{ev.probe}` shows it.)", ""]
    for result, trace in rep.traces:
        lines += [f"## Probe {result.number}: `{result.like}`", "", result.words, ""]
        lines += _diagrams(trace)
    if not rep.simulated and rep.traces:
        lines += ["The capture of the first probe above is saved beside this file (.pcap); open "
                  "it in Wireshark: its packet numbers match this report's.", ""]  # fmt: skip
    return "\n".join(lines)
