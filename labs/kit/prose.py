"""Sentences inside a lab's "code" sections: such a section is printed as
written (a command, a header or a key log must paste whole), so the lab
breaks its sentences itself, to fit 80 columns once the CLI indents them.
One rule for every lab that mixes the two."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

#: Columns a line of words in a "code" section may take: the CLI prints it 4
#: columns in and never wraps it.
PROSE_WIDTH = 76
#: Joins words that must stay on one line through `textwrap` (which breaks
#: only at ASCII whitespace); turned back into spaces after wrapping.
_GLUE = "\u00a0"


def code_prose(text: str, indent: str = "", hang: str = "", keep: str = "") -> list[str]:
    """`text` as lines of at most PROSE_WIDTH columns: the first after
    `indent`, the others after `indent + hang`; a word longer than a line (a
    URL, a path, a header name, a value) gets a line of its own, whole;
    `keep`, a phrase in `text`, is never split across lines."""
    if keep:
        text = text.replace(keep, keep.replace(" ", _GLUE))
    lines = textwrap.wrap(
        text,
        PROSE_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_GLUE, " ") for line in lines] or [(indent + text).rstrip()]


def conditions_lines(asked: str, mechanism: str, commands: Iterable[str]) -> list[str]:
    """Network conditions as a lab made them: what was asked and the
    mechanism, each broken to fit with its later lines under its words,
    then every command as run (whole, however long). The forwarder
    ("forwarder in r1 between eth0 and hold0: hold each frame 50 ms, drop
    5%") is no command but a sentence saying what the lab's own process
    does: past the width, what it does goes under where it sits."""
    lines = [
        *code_prose("asked: " + asked, hang=" " * 7),
        *code_prose("mechanism: " + mechanism, hang=" " * 11),
    ]
    for command in commands:
        where, _, what = command.partition(": ")
        if command.startswith("forwarder ") and len(command) > PROSE_WIDTH and what:
            lines += [where + ":", *code_prose(what, "  ")]
        else:
            lines.append(command)
    return lines


__all__ = ["PROSE_WIDTH", "code_prose", "conditions_lines"]
