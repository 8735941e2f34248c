"""The slow-network lab's two "code" sections about its set-up: the network
drawn with where the conditions were made, and the conditions with every
command run. A code section is printed as written (the CLI indents it 4
columns and never wraps it, so a command pastes whole); the sentences in
them are broken to fit 80 columns by the kit's one rule (`labs.kit.prose`)."""

from __future__ import annotations

from labs.catalog.slow_network.result import SlowResult
from labs.kit import code_prose, conditions_lines
from labs.kit.netlab import SLOW_NETWORK, draw
from labs.model.trace import Section


def network_section(run: SlowResult) -> Section:
    """The network, with the mechanism under router 1 (where it acts)."""
    *drawing, note = draw(SLOW_NETWORK, at="r1", note=run.mechanism).split("\n")
    under = note[: len(note) - len(note.lstrip())]
    return Section("The network", "\n".join([*drawing, *code_prose(run.mechanism, under)]), "code")


def conditions_section(run: SlowResult, asked: str) -> Section:
    """What was asked and how it was made, then every command as run."""
    lines = conditions_lines(asked, run.mechanism, run.commands)
    return Section("The conditions and how they were made", "\n".join(lines), "code")
