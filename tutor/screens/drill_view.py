"""The words of the drill screen, apart from its widgets: the banner, the
story, a probe's result, the grade, and a probe's default argument. Plain
functions of the session's data (`labs.api`'s DrillState, ProbeResult, Grade),
so they are tested without a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from textual.markup import escape

from labs.model.numbers import ref

if TYPE_CHECKING:
    from labs.api import DrillState, Grade, Hint, ProbeResult

SIMULATED_LINE = (
    "SIMULATED (no root here, or TUTOR_SIMULATE=1): nothing is sent; the probes' packets "
    "are computed from the drill's model of the network."
)

#: Each probe tool: what it is like, and an example argument (the drill's own
#: names replace the example once the drill has started).
TOOLS: dict[str, tuple[str, str]] = {
    "resolve": ("like dig: ask DNS for a name's address", "api.shop.example"),
    "connect": ("like nc -vz: can a TCP connection be opened?", "api.shop.example:443"),
    "fetch": ("like curl -w: an HTTP request, timed from the packets", "https://api.shop.example/"),
    "trace": ("like traceroute: which routers are on the way", "api.shop.example"),
}


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def banner(state: DrillState | None, elapsed: float, note: str = "") -> str:
    """The line above the tabs: the drill, its mode, the time and the hints."""
    if state is None:
        return note or "Building the drill's network…"
    mode = "SIMULATED" if state.simulated else "live network"
    hints = f"hints {state.hints_used}/3"
    head = f"{state.title} · {mode} · {clock_text(elapsed)} · {hints} · probes {len(state.probes)}"
    if state.finished:
        head += " · answered"
    return head + (f"\n{note}" if note else "")


def default_arg(kind: str, url: str) -> str:
    """What a probe tool starts with: the story's host, port or URL."""
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = parts.hostname or ""
    if kind == "fetch":
        return url
    if kind == "connect":
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{host}:{port}"
    return host


def story_markdown(state: DrillState, hints: list[Hint]) -> str:
    lines = [f"# {state.title}", ""]
    if state.simulated:
        lines += [f"> **{SIMULATED_LINE}**", ""]
    lines += ["## The ticket", "", state.story, ""]
    if state.url:
        lines += [f"What the ticket is about: `{state.url}`", ""]
    lines += [
        "## Your job",
        "",
        "1. **Probe** (p): resolve, connect, fetch, trace — from inside the drill's network. "
        "Pick the tool on the left, or type it: `fetch https://…`. **c** captures and explains.",
        "2. **Find the evidence** in the packets (w) and what they mean (m).",
        "3. **Diagnose** (a): which layer, what is wrong, who to call.",
        "",
        "Stuck? **h** gives a hint (three, each one recorded).",
    ]
    if hints:
        lines += ["", "## Hints so far", ""]
        lines += [f"{h.number}. {h.text}" for h in hints]
    return "\n".join(lines)


def probe_text(result: ProbeResult) -> str:
    """A probe's result as Textual markup: the command it is like, what
    happened, and its details as aligned label: value lines."""
    lines = [
        f"[b]#{result.number} {escape(result.kind)} {escape(result.arg)}[/b]"
        f"  [dim](like {escape(result.like)})[/dim]",
        f"[b]{escape(result.outcome)}[/b] — {escape(result.words)}",
    ]
    if result.simulated:
        lines.append("[reverse] SIMULATED [/reverse] [dim]computed, not captured[/dim]")
    width = max((len(label) for label, _ in result.details), default=0)
    lines += [f"  {escape(label.ljust(width))}  {escape(value)}" for label, value in result.details]
    if result.trace is not None:
        lines.append(
            f"[dim]{len(result.trace.packets)} packets: w shows them, m says what they mean.[/dim]"
        )
    return "\n".join(lines)


def history_label(result: ProbeResult) -> str:
    arg = result.arg if len(result.arg) <= 22 else result.arg[:21] + "…"
    return f"#{result.number} {result.kind} {arg}\n   → {result.outcome}"


def grade_markdown(grade: Grade, state: DrillState) -> str:
    """The verdict: each part right or wrong with the right answer, why, and
    where the evidence is."""
    head = "## Right: well diagnosed." if grade.correct else "## Not quite."
    lines = [head, ""]
    if state.simulated:
        lines += [f"> {SIMULATED_LINE}", ""]
    parts = (
        ("Layer", grade.layer, state.layers),
        ("What is wrong", grade.fault, state.faults),
        ("Who to call", grade.call, state.calls),
    )
    for name, part, choices in parts:
        said = next((c.text for c in choices if c.key == part.given), part.given)
        if part.right:
            lines.append(f"- ✓ **{name}:** {part.text}")
        else:
            lines.append(f"- ✗ **{name}:** you said “{said}”; it is **{part.text}**")
            if part.why:
                lines.append(f"  {part.why}")
    lines += ["", "### Why", "", grade.explanation, "", "### The evidence", ""]
    found = grade.found
    ev = found.evidence
    lines.append(f"{ev.says}")
    lines.append("")
    lines.append(f"- probe: `{ev.probe}`")
    lines.append(f"- display filter: `{ev.filter}` — field `{ev.field}` = `{ev.value}`")
    if found.probe_number is not None:
        packet = ""
        if found.packet is not None:  # numbered as the probe's packet list and Wireshark do
            packet = f", packet {ref(found.packet)}"
        lines.append(f"- in your probe #{found.probe_number}{packet}")
    else:
        lines.append("- you did not run the probe that shows it; try it now.")
    minutes = clock_text(grade.seconds)
    lines += ["", f"Time {minutes} · hints used {grade.hints_used} of 3."]
    if grade.note:
        lines += ["", f"Your note: {grade.note}"]
    lines += ["", "**v** plays a fresh variant · **e** writes the report for your engineer."]
    return "\n".join(lines)
