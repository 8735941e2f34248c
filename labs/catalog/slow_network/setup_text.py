"""The slow-network lab's two "code" sections about its set-up: the network
drawn with where the conditions were made, and the conditions with every
command run. A code section is printed as written (the CLI indents it 4
columns and never wraps it, so a command pastes whole); the sentences in
them are therefore broken here to fit 80 columns."""

from __future__ import annotations

import textwrap

from labs.catalog.slow_network.result import SlowResult
from labs.kit.netlab import SLOW_NETWORK, draw
from labs.model.trace import Section

#: Columns a line of words may take: 80 less the CLI's indent.
PROSE_WIDTH = 76


def _wrap(text: str, indent: str = "", hang: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        PROSE_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent + text]


def _forwarder(said: str) -> list[str]:
    """The forwarder's sentence ("forwarder in r1 between eth0 and hold0:
    hold each frame 50 ms, drop 5%"): past the width, what it does goes
    under where it sits."""
    where, _, what = said.partition(": ")
    return [said] if len(said) <= PROSE_WIDTH or not what else [where + ":", *_wrap(what, "  ")]


def network_section(run: SlowResult) -> Section:
    """The network, with the mechanism under router 1 (where it acts)."""
    *drawing, note = draw(SLOW_NETWORK, at="r1", note=run.mechanism).split("\n")
    under = note[: len(note) - len(note.lstrip())]
    return Section("The network", "\n".join([*drawing, *_wrap(run.mechanism, under)]), "code")


def conditions_section(run: SlowResult, asked: str) -> Section:
    """What was asked and how it was made, each broken to fit with its later
    lines under its words, then every command as run (whole, however long).
    The forwarder is no command but a sentence saying what the lab's own
    process does, so it is broken to fit like the others."""
    lines = [
        *_wrap("asked: " + asked, hang=" " * 7),
        *_wrap("mechanism: " + run.mechanism, hang=" " * 11),
    ]
    for command in run.commands:
        lines += _forwarder(command) if command.startswith("forwarder ") else [command]
    return Section("The conditions and how they were made", "\n".join(lines), "code")
