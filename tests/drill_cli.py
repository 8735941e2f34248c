"""`tutor drill ...` run in-process for the CLI drill tests."""

from __future__ import annotations

import re


def drill(capsys, *args: str, joined: bool = False) -> str:  # type: ignore[no-untyped-def]
    """The output of `tutor drill ARGS` (exit 0, or the assertion says
    stderr); `joined`: a command the output breaks over lines (` \\` at a
    line's end) read back whole."""
    from tutor.cli import main

    code = main(["drill", *args])
    out, err = capsys.readouterr()
    assert code == 0, (args, err)
    return re.sub(r" \\\n\s+", " ", out) if joined else out
