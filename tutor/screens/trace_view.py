"""Small pieces the lab screen uses to show a trace: the capture banner,
field labels with secrets masked, and the "What it means" Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labs.trace import mask_secrets

if TYPE_CHECKING:
    from labs.trace import Field, Packet, Trace

MASKED = "•••• (masked; S shows secrets)"

#: What each kind of capture means, said loudly where it is not a capture.
BANNERS = {
    "live": ("Captured live.", "live"),
    "reconstructed": (
        "RECONSTRUCTED, not captured: the bytes your program sent and received are exact, "
        "but the IP and TCP headers around them were rebuilt.",
        "warn",
    ),
    "simulated": (
        "SIMULATED: nothing was sent. These packets were computed from a model of the network.",
        "warn",
    ),
    "file": ("Read from a capture file.", "live"),
}


def capture_banner(trace: Trace) -> tuple[str, str]:
    """Two or three lines: what ran, and how the packets were obtained."""
    text, kind = BANNERS.get(trace.capture, (trace.capture, "warn"))
    where = (
        f"{trace.lab} → {trace.target}  ·  {len(trace.packets)} packets "
        f"(#0 here is Wireshark's No. 1)  ·  {trace.duration:.2f} s"
    )
    if trace.capture_note:
        # Each lab's own note names the kind and says what it means for this run.
        text = trace.capture_note
    return f"{where}\n{text}", kind


def field_label(field: Field, show_secrets: bool) -> str:
    value = MASKED if field.secret and not show_secrets else field.show or field.value
    raw = ""
    if field.value and field.value != field.show and not (field.secret and not show_secrets):
        raw = f" ({field.value})"
    filt = f"  [{field.filter}]" if field.filter else ""
    return f"{field.name}: {value}{raw}{filt}"


def masked_ranges(packet: Packet) -> list[tuple[int, int]]:
    return [(f.offset, f.length) for layer in packet.layers for f in layer.fields if f.secret]


def _table(body: str) -> str:
    rows = [r.split("\t") for r in body.strip("\n").splitlines()]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines)


def sections_markdown(trace: Trace, show_secrets: bool) -> str:
    """The lab's explanation: capture note, sections, facts, steps."""
    text, _ = capture_banner(trace)
    parts = [f"# {trace.lab}: what it means", text.replace("\n", "  \n")]
    for section in trace.sections:
        parts.append(f"## {section.title}")
        body = section.body if show_secrets else mask_secrets(section.body, trace.secret_values())
        if section.kind == "code":
            parts.append(f"```\n{body}\n```")
        elif section.kind == "table":
            parts.append(_table(body))
        else:
            parts.append(body)
    if trace.facts:
        parts.append("## What this trace proves")
        for fact in trace.facts:
            where = f" (packets {', '.join(map(str, fact.packets))})" if fact.packets else ""
            parts.append(
                f"- **{fact.name.replace('_', ' ')}: {fact.value}** — {fact.explain}{where}"
            )
    if trace.steps:
        parts.append("## Steps")
        for step in trace.steps:
            parts.append(
                f"- **{step.title or step.name}** ({step.start * 1000:.1f} ms): {step.explain}"
            )
    return "\n\n".join(parts)


#: Labs word their errors for the command line; here the same things are boxes.
SCREEN_WORDS = {
    "--target": "the target box",
    "--insecure": "'accept an untrusted certificate'",
    "--simulate": "'simulated version'",
    "--mode": "the mode",
    "--name": "the name box",
    "--type": "the type",
}


def in_screen_words(text: str) -> str:
    for flag, words in SCREEN_WORDS.items():
        text = text.replace(flag, words)
    return text.replace("--timeout S waits longer", "a slower server may need the CLI's --timeout")
