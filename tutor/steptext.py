"""A trace's steps as the CLI lists them: by their titles, each with when it
came and how long it took, and, in a summary of many steps, counted by
what their titles say ("18 steps: your computer -> the resolver ×6; ...")."""

from __future__ import annotations

import os.path
import re
from collections import Counter

from labs.model.numbers import ALL_WIRE, Numbering, numbering_of
from labs.model.trace import Trace
from tutor.timetext import took

#: Past this many steps the summary counts them by kind instead of listing them.
MANY_STEPS = 12
#: Past this many kinds of title the summary names one step and counts the rest.
MANY_KINDS = 6
#: A summary's step names this many runs of packets, then says how many more.
BRIEF_RUNS = 4


def packets_said(
    indexes: tuple[int, ...], most: int | None = None, numbering: Numbering = ALL_WIRE
) -> str:
    """The packets at `indexes` by the numbers a learner reads (Wireshark's
    No.; `numbering`: the trace's, where packets were read inside TLS):
    "packet 9", "packets 1-3, 6" or "packets 6-6a" (past `most` runs: "and
    12 more")."""
    runs: list[str] = []
    run: list[int] = []
    for i in (*indexes, -2):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            runs.append(numbering.span(run))
        run = [i]
    said = ", ".join(runs[:most])
    if most is not None and len(runs) > most:
        said += f" and {len(runs) - most} more runs"
    return f"packet{'s' if len(indexes) != 1 else ''} {said}"


def _hang(text: str, width: int, first: str, rest: str) -> list[str]:
    """`text` wrapped to `width`: its first line after `first`, the others
    after `rest`; the two spaces between a title and its times stay."""
    room = max(20, width - len(rest))
    if len(text) <= room:
        return [first + text]
    lines: list[str] = []
    line = ""
    for word, gap in re.findall(r"(\S+)( *)", text):
        if line and len(line) + len(word) > room:  # `line` ends with its own gap
            lines.append(line.rstrip())
            line = ""
        line += word + gap
    lines.append(line.rstrip())
    return [first + lines[0], *(rest + line for line in lines[1:])]


def step_lines(trace: Trace, width: int, brief: bool = False) -> list[str]:
    """Every step by its title, with its times; `brief`: one entry each
    (its packets cut to BRIEF_RUNS runs), or, past MANY_STEPS, how many
    there are of each kind (`--full` lists them one by one)."""
    if brief and len(trace.steps) > MANY_STEPS:
        said = "; ".join(f"{title} ×{n}" if n > 1 else title for title, n in kinds(trace))
        return _hang(f"{len(trace.steps)} steps: {said}.", width, "  ", "  ")
    lines: list[str] = []
    numbering = numbering_of(trace)
    for i, step in enumerate(trace.steps, 1):
        title = step.title or step.name.replace("-", " ")
        # One packet has no duration to tell: its step says when it came.
        times = f"at {took(step.start)}"
        times += f", took {took(step.duration)}" if len(step.packets) > 1 else ""
        if brief:
            said = f"{title}  ({times}; {packets_said(step.packets, BRIEF_RUNS, numbering)})"
            lines += _hang(said, width, f"  {i:>2}. ", "      ")
            continue
        lines += _hang(
            f"{title}  {times}  {packets_said(step.packets, numbering=numbering)}",
            width,
            f"  {i:>2}. ",
            "      ",
        )
        if step.explain:
            lines += _hang(step.explain, width, "      ", "      ")
    return lines


def kinds(trace: Trace) -> list[tuple[str, int]]:
    """The steps counted by what their titles say, in order: the title the
    steps of one name share ("Send the request" of "Send the request (1.
    GET)"), else the part of each title before its colon ("the resolver ->
    the root server" of "the resolver -> the root server: NS .")."""
    counts: Counter[str] = Counter()
    for name, n in Counter(step.name for step in trace.steps).items():
        common = title_of(trace, name)
        if common is not None:
            counts[common] += n
            continue
        heads = Counter(step.title.split(": ", 1)[0] for step in trace.steps if step.name == name)
        if len(heads) <= MANY_KINDS:
            counts.update(heads)
        else:
            first = next(s.title for s in trace.steps if s.name == name)
            counts[f"{first}, and {n - 1} more like it"] = 1
    return list(counts.items())


def title_of(trace: Trace, name: str) -> str | None:
    """What the titles of the steps called `name` have in common ("Send the
    request" of "Send the request (1. GET)" and "(2. GET)"), or None."""
    titles = {step.title or name.replace("-", " ") for step in trace.steps if step.name == name}
    if len(titles) == 1:
        return titles.pop()
    common = os.path.commonprefix(sorted(titles))
    if common not in titles:
        common = common[: common.rfind(" ")] if " " in common else ""
    common = common.rstrip(" (-:,;")
    return common if len(common) >= 3 else None


__all__ = ["MANY_STEPS", "kinds", "packets_said", "step_lines", "title_of"]
