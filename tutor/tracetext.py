"""A Trace as text for the terminal (`tutor explain`, `tutor lab run`), the
way HTTPie and curl talk: a short summary first (what ran, the steps, the
exchanges, what the run proves) that fits one screen, then with `full` every
packet and section. Tables wrap to the width given; `print_trace` adds
colour on a terminal (rich leaves it out for pipes and under NO_COLOR).

Reads only the plain dataclasses of `labs.model.trace`; secrets (fields marked
`secret`, and their values wherever a sentence quotes them) are masked
unless the learner asks to see them.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from labs.model.numbers import numbering_of
from labs.model.trace import MASK, Section, Trace, mask_secrets
from tutor.durations import when
from tutor.packettext import WIDTH, field_value, legend, packet_lines, wrap
from tutor.steptext import packets_said, step_lines
from tutor.texttable import table
from tutor.timetext import counted, span, took
from tutor.waterfall_text import timing_blocks

#: The one formatter of a duration on the command line (`tutor.timetext.took`).
duration = took

_LOUD = {
    "reconstructed": "RECONSTRUCTED: these packets were not captured. The bytes your program sent and "
    "received are real; the IP/TCP headers around them were rebuilt by tutor.",
    "simulated": "SIMULATED: nothing was sent. These packets were computed from a model of the network.",
}
_CAPTURES = {
    "live": "Captured live on this machine.",
    "file": "Read from a capture file.",
    "reconstructed": "Reconstructed from the bytes seen at the socket.",
    "simulated": "Simulated.",
}

#: The width of text for a pipe or a file when COLUMNS does not say one.
#: What went wrong's title (labs.dissect.expert): the header counts its rows.
WENT_WRONG = "What went wrong"


def text_width(out: TextIO | None = None) -> int:
    """The width to write text in, one rule for every text command: COLUMNS
    when it is a positive whole number (the user's word, as `ls` and `git`
    take it, also into a pipe), else the width of the terminal `out` is (stdout
    by default), else WIDTH."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        stream = out if out is not None else sys.stdout
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or WIDTH
    except (AttributeError, OSError, ValueError):
        pass  # no file behind it (a test's capture, a closed stream)
    return WIDTH


class Heading(str):
    """A line that starts a part of the output (styled on a terminal)."""


class Loud(str):
    """A line the learner must not miss: the packets were not captured."""


def header(trace: Trace, width: int = WIDTH, total: int | None = None) -> list[str]:
    title = f"{trace.lab} · {trace.target}" if trace.target else trace.lab
    lines: list[str] = [Heading(wrap(title, "", width))]
    loud = _LOUD.get(trace.capture)
    if loud:
        lines.append(Loud(wrap(f"!! {loud}", "", width)))
    note = trace.capture_note or _CAPTURES.get(trace.capture, "")
    if note:
        lines.append(wrap(note, "", width))
    n = len(trace.packets) if total is None else total
    if not n:
        lines.append("No packets to show.")
        return lines
    whole = total is None or total == len(trace.packets)
    bits = [counted(trace) if whole else f"{n} packet{'s' if n != 1 else ''}"]
    if trace.started:
        bits.insert(0, f"started {when(trace.started)}")
    spread = span(trace)
    if total is None or total == len(trace.packets):
        bits[-1] += f" over {took(spread)}" if n > 1 else ""
    if trace.duration and trace.capture != "file" and trace.duration > spread:
        # Two times that differ, each said for what it is: the run also
        # started the lab's servers and its capture, which no packet shows.
        bits.append(f"the whole run took {took(trace.duration)}, starting its servers included")
    text = "; ".join(bits)
    text = f"{text[:1].upper()}{text[1:]}. {numbering_of(trace).said()}"
    lines.append(wrap(text, "", width))
    wrong = _went_wrong(trace)
    return [*lines, wrap(wrong, "", width)] if wrong else lines


def _went_wrong(trace: Trace) -> str:
    """What went wrong's rows in a few words ("" when it has none): the first
    lines a learner reads say that the section below has something to show.
    Rows that say "(nothing wrong" (keep-alives, window updates) are not
    counted as trouble."""
    part = next((s for s in trace.sections if s.title == WENT_WRONG and s.kind == "table"), None)
    rows = [row.split("\t") for row in part.body.splitlines()[1:]] if part else []
    seen = [row[0] for row in rows if "(nothing wrong" not in row[-1]]
    if not seen:
        return ""
    more = f" and {len(seen) - 3} more" if len(seen) > 3 else ""
    return f"{WENT_WRONG} (the table below): {', '.join(seen[:3])}{more}."


def steps(trace: Trace, width: int = WIDTH, brief: bool = False) -> list[str]:
    """The Steps part (`tutor.steptext`): every step by its title and times;
    `brief`: a line each, or past MANY_STEPS how many there are of each kind."""
    return ["", Heading("Steps"), *step_lines(trace, width, brief)] if trace.steps else []


def section(s: Section, width: int = WIDTH) -> list[str]:
    lines: list[str] = ["", Heading(wrap(s.title, "", width))]
    if s.kind == "code":
        lines += ["    " + line for line in s.body.splitlines()]
    elif s.kind == "table":
        lines += table(s.body, width)
    else:
        for para in s.body.split("\n\n"):
            lines.append(wrap(para.replace("\n", " "), "  ", width))
    return lines


def facts(trace: Trace, width: int = WIDTH, brief: bool = False) -> list[str]:
    """What the run proves, in the learner's words ("Packets in the
    handshake: 3"), each with its evidence; the explanation under each
    except in the summary (`brief`), which keeps to a line a fact."""
    if not trace.facts:
        return []
    lines: list[str] = ["", Heading("What this run shows")]
    numbers = numbering_of(trace)
    for f in trace.facts:
        evidence = []
        if f.packets:
            evidence.append(packets_said(f.packets, numbering=numbers))
        if f.filter:
            evidence.append(f.filter)
        tail = f" ({', '.join(evidence)})" if evidence else ""
        label, value = f.reads()
        lines.append(wrap(f"{label}: {value}{tail}", "  ", width - 4).replace("\n  ", "\n      "))
        if f.explain and not brief:
            lines.append(wrap(f.explain, "      ", width))
    return lines


def _matching(
    trace: Trace, filtered: str, total: int | None, show_secrets: bool, verbose: bool, width: int
) -> list[str]:
    """The packets a display filter chose, and a line saying that what
    follows is not filtered."""
    n, numbers = len(trace.packets), numbering_of(trace)
    lines = ["", Heading(f"Packets matching {filtered}: {n} of {total}")]
    if verbose:
        lines += legend(trace, width)
    for p in trace.packets:
        lines += packet_lines(
            p, show_secrets=show_secrets, verbose=verbose, width=width, no=numbers.label(p.index)
        )
    said = (
        f"Below: the steps, the waterfall and What went wrong of the whole capture ({total} "
        "packets); the ladder draws only the matching ones."
    )
    return [*lines, "", wrap(said, "", width)]


def summary_table(trace: Trace) -> Section | None:
    """The run's first table (the exchanges, the questions and answers): the
    summary shows it; the full output does not repeat it."""
    return next((s for s in trace.sections if s.kind == "table"), None)


def lines_of(
    trace: Trace,
    *,
    show_secrets: bool = False,
    verbose: bool = False,
    full: bool = True,
    width: int = WIDTH,
    filtered: str = "",
    total: int | None = None,
) -> list[str]:
    """The output as lines (headings marked), secrets masked. `filtered`: the
    display filter that chose `trace.packets` out of `total`."""
    # One Steps part: each step in full output, a line each (or past
    # MANY_STEPS a count of each kind) in the summary.
    lines = header(trace, width, total)
    if filtered:
        # What the learner asked for first (as `tshark -Y` prints only it); the
        # steps, timing and findings that follow are the whole capture's.
        lines += _matching(trace, filtered, total, show_secrets, verbose, width)
    lines += steps(trace, width, brief=not full)
    first = summary_table(trace)
    if first is not None:
        lines += section(first, width)
    lines += facts(trace, width, brief=not full)
    for title, block in timing_blocks(trace, full, show_secrets, width):
        lines += ["", Heading(wrap(title, "", width)), *block]
    if full and trace.packets and not filtered:
        lines += ["", Heading("Packets")]
        if verbose:
            lines += legend(trace, width)
        numbers = numbering_of(trace)
        for p in trace.packets:
            lines += packet_lines(
                p,
                show_secrets=show_secrets,
                verbose=verbose,
                width=width,
                no=numbers.label(p.index),
            )
    if full:
        for s in trace.sections:
            if s is not first:
                lines += section(s, width)
    else:
        more = len(trace.sections) - (first is not None)
        what = [f"every packet ({total or len(trace.packets)})"] if not filtered else []
        what += [f"{more} more section{'s' if more != 1 else ''}"] if more else []
        if what:
            said = f"--full shows {' and '.join(what)}; --filter EXPR picks packets."
            lines += ["", wrap(said, "", width)]
    secrets = [] if show_secrets else trace.secret_values()
    if not secrets:
        return lines
    # Masked over every line: sentences, sections and curl lines quote them too.
    masked = [type(line)(mask_secrets(line, secrets)) for line in lines]
    note = f"Secrets (credentials, cookies, API keys) are shown as {MASK}; --show-secrets reveals them."
    # In a summary the note joins the --full line, so the summary fits a screen.
    gap = [] if not full and masked and str(masked[-1]).startswith("--full") else [""]
    return [*masked, *gap, wrap(note, "", width)]


def render(
    trace: Trace,
    *,
    show_secrets: bool = False,
    verbose: bool = False,
    full: bool = True,
    width: int = WIDTH,
    filtered: str = "",
    total: int | None = None,
) -> str:
    """The whole trace as plain text: summary first, then every packet and
    section (`full=False`: the summary only)."""
    lines = lines_of(
        trace,
        show_secrets=show_secrets,
        verbose=verbose,
        full=full,
        width=width,
        filtered=filtered,
        total=total,
    )
    return "\n".join(lines) + "\n"


def print_trace(trace: Trace, out: TextIO, **kw: Any) -> None:
    """`render` for a terminal: as wide as it is, headings in colour. rich
    drops the colour for a pipe and under NO_COLOR."""
    from rich.console import Console
    from rich.text import Text

    class Piped(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 when the reader goes away (`| head`); the command
            # ends quietly with 0 instead (tutor.commands.run_command).
            raise BrokenPipeError

    # The width given: rich would read COLUMNS=0 as a width of 0 and print nothing.
    width = text_width(out)
    console = Piped(file=out, highlight=False, soft_wrap=True, width=width)
    for line in lines_of(trace, width=width, **kw):
        style = "bold cyan" if isinstance(line, Heading) else ""
        style = "bold yellow" if isinstance(line, Loud) else style
        if line.startswith("  #"):
            style = "bold"
        console.print(Text(line, style=style))


__all__ = ["MASK", "duration", "field_value", "lines_of", "print_trace", "render"]
