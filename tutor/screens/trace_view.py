"""Small pieces the lab screen uses to show a trace: the capture banner,
field labels with secrets masked, and the "What it means" Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Markdown, Static

from labs.model.numbers import numbering_of
from labs.model.trace import mask_secrets, secret_parts
from tutor.steptext import packets_said
from tutor.timetext import counted, span, took
from tutor.tracetext import field_value

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from textual.widget import Widget

    from labs.model.trace import Field, Packet, Trace

#: After a secret's value with only the secret masked ("Bearer ••••").
MASKED = "(masked; S shows secrets)"

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


#: Where a banner line too long for its row is cut; the last adds where it is whole.
CUT, MORE = "…", "… (m: in full)"
SEP = "  ·  "


#: A live capture's note names the interface and the library that sniffed it
#: (`labs.capture.live`); a learner needs the first, in words, not the second.
_LIVE_ON = re.compile(r"Captured live on (\S+) with scapy")


def _live_on(match: re.Match[str]) -> str:
    iface = match[1]
    where = "the loopback interface (lo)" if iface == "lo" else f"the network interface {iface}"
    return f"Captured live on {where}"


def learner_note(note: str) -> str:
    """The capture note in a learner's words: "Captured live on lo with
    scapy" says "Captured live on the loopback interface (lo)"."""
    return _LIVE_ON.sub(_live_on, note)


def capture_banner(trace: Trace) -> tuple[str, str]:
    """Two lines: what ran (a lab and its target, or the capture file read;
    the count and time before the longer parts), and how the packets were
    obtained."""
    text, kind = BANNERS.get(trace.capture, (trace.capture, "warn"))
    count = f"{counted(trace)} over {took(span(trace))}"
    if trace.capture == "file":
        # `tutor explain FILE` is no lab and has no target: the file is what
        # the learner opened, said as the capture screen's banner says it.
        where = f"Capture file {PurePath(trace.target).name}{SEP}{count}"
    else:
        where = f"{trace.lab} → {trace.target}{SEP}{count}"
    if trace.capture_note:
        # Each lab's own note names the kind and says what it means for this run.
        text = learner_note(trace.capture_note)
    return f"{where}\n{text}", kind


@dataclass(frozen=True)
class OneRowEach:
    """Lines shown one terminal row each, cut where they do not fit: the lab
    banner has two rows after a run in most terminals, and a note wrapped onto
    a third row is cut mid-sentence with nothing said. The last cut line ends
    with where the whole text is (What it means, m)."""

    lines: tuple[str, ...]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for n, line in enumerate(self.lines):
            parts = line.split(SEP)
            if cell_len(line) > width and len(parts) > 1:
                parts.pop()  # whole items go before any is cut mid-way
                while len(parts) > 1 and cell_len(SEP.join(parts) + SEP + CUT) > width:
                    parts.pop()
                line = SEP.join(parts) + SEP + CUT
            text = Text(line, no_wrap=True, overflow="ellipsis")
            if text.cell_len > width:
                tail = MORE if n == len(self.lines) - 1 else CUT
                text.truncate(max(0, width - cell_len(tail)), overflow="crop")
                # At a word's end when one is near, so the row ends in whole words.
                space = text.plain.rfind(" ")
                if space > len(text.plain) - 16:
                    text.truncate(space, overflow="crop")
                text.rstrip()
                text.append(tail)
            yield text


def fitted_banner(trace: Trace) -> tuple[OneRowEach, str]:
    """`capture_banner` for the screen, a row a line."""
    text, kind = capture_banner(trace)
    return OneRowEach(tuple(text.splitlines())), kind


def field_label(field: Field, show_secrets: bool) -> str:
    """A field as the CLI writes it (`field_value`: "40 bytes", not "40 bytes (40)")."""
    value = field_value(field, show_secrets)
    if field.secret and not show_secrets:
        value = f"{value} {MASKED}"
    filt = f"  [{field.filter}]" if field.filter else ""
    return f"{field.name}: {value}{filt}"


def masked_ranges(packet: Packet) -> list[tuple[int, int]]:
    """The bytes to hide: each secret part of a secret field (the scheme word
    "Bearer " and cookie names stay readable), else the whole field."""
    ranges = []
    for f in (f for layer in packet.layers for f in layer.fields if f.secret):
        raw = packet.data[f.offset : f.offset + f.length]
        parts = [p.encode("utf-8", "replace") for p in secret_parts(f.name, f.value)]
        found = [(raw.find(p), len(p)) for p in parts if p and raw.find(p) >= 0]
        ranges += [(f.offset + at, n) for at, n in found] or [(f.offset, f.length)]
    return ranges


#: The steps "What it means" lists: a capture file can have thousands, and
#: each is a widget in the Markdown (the steps pane lists them all, cheaply).
MEANING_STEPS = 60


def meaning_blocks(trace: Trace, show_secrets: bool) -> list[tuple[str, str]]:
    """The lab's explanation as ("markdown" | "code" | "table", text) blocks:
    capture note, sections, facts, steps. Code sections stay separate so the
    screen can wrap them (a Markdown code fence would cut long lines off),
    tables so their columns fit the pane (`tutor.widgets.fitted_table`)."""
    text, _ = capture_banner(trace)
    blocks: list[tuple[str, str]] = []
    # A capture file's trace is named for the file, not for `tutor explain`.
    name = PurePath(trace.target).name if trace.capture == "file" else trace.lab
    parts = [f"# {name}: what it means", text.replace("\n", "  \n")]
    secrets = [] if show_secrets else trace.secret_values()
    for section in trace.sections:
        parts.append(f"## {section.title}")
        body = mask_secrets(section.body, secrets)
        if section.kind in ("code", "table"):
            blocks.append(("markdown", "\n\n".join(parts)))
            blocks.append((section.kind, body))
            parts = []
        else:
            parts.append(body)
    numbers = numbering_of(trace)
    if trace.facts:
        parts.append("## What this run shows")  # the CLI's words for the same facts
        for fact in trace.facts:
            where = f" ({packets_said(fact.packets, numbering=numbers)})" if fact.packets else ""
            label, value = fact.reads()
            parts.append(f"- **{label}: {value}** — {fact.explain}{where}")
    if trace.steps:
        parts.append("## Steps")
        for step in trace.steps[:MEANING_STEPS]:
            # "(0 µs)" read as a duration: when the step starts, and its packets.
            where = f", {packets_said(step.packets, numbering=numbers)}" if step.packets else ""
            title = step.title or step.name
            parts.append(f"- **{title}** (at {took(step.start)}{where}): {step.explain}")
        if len(trace.steps) > MEANING_STEPS:
            more = len(trace.steps) - MEANING_STEPS
            parts.append(f"… and {more} more steps: the steps pane beside the packets lists all.")
    if parts:
        blocks.append(("markdown", "\n\n".join(parts)))
    return blocks


def meaning_widget(kind: str, text: str) -> Widget:
    """One of `meaning_blocks` as the widget that shows it."""
    if kind == "markdown":
        return Markdown(text)
    if kind == "table":
        from tutor.widgets.fitted_table import FittedTable

        return Static(FittedTable(text), classes="table")
    return Static(Text(text), classes="code")


def in_screen_words(text: str, words: dict[str, str]) -> str:
    """An error worded for the command line, with each flag named as the lab
    screen names its control (`words`, from the lab's spec)."""
    for flag, said in sorted(words.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(flag, said)
    return text.replace("--timeout S waits longer", "a slower server may need the CLI's --timeout")
