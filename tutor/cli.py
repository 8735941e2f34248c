"""The `tutor` command line: `tutor` alone opens the TUI; subcommands print.

Each subcommand lives in `tutor/commands/<name>.py` with `register(subparsers)`
that adds its parser and sets `func(args) -> int`. Command modules import
nothing heavy at import time, so `tutor --help` is instant.

Exit codes: 0 ok, 2 bad usage or input, 1 the lab failed, 130 Ctrl-C, 143 SIGTERM
(`tutor.commands.run_command`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tutor import __version__

COMMANDS = ("lessons", "show", "glossary", "lab", "explain", "diff", "doctor", "serve", "drill")


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line plus a pointer to --help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tutor",
        description="Learn networking by watching real requests cross the wire. "
        "With no command, opens the course in the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"tutor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"tutor.commands.{name}").register(sub)
    return parser


def run_tui() -> int:
    import gc

    # Starting allocates some fifty thousand objects that live as long as
    # the app (Textual, the course, the stylesheet): collecting cycles among
    # them while they are made is a tenth of the time to the first screen.
    # The app turns collection back on once that screen is painted.
    gc.disable()
    from tutor.app import run

    return run()  # 143 after SIGTERM, which cancels a running lab first


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C before a command has set up its own handling (while the
        # parser and the command's modules are imported): one line, no
        # traceback, the same exit code as later.
        sys.stderr.write("tutor: stopped.\n")
        return 130


def _main(argv: Sequence[str] | None) -> int:
    if not (sys.argv[1:] if argv is None else argv):
        # `tutor` alone: the app, without building the parser first (that
        # imports every command and lab spec: a tenth of a second before the
        # first screen).
        return run_tui()
    args = build_parser().parse_args(argv)
    if args.command is None:
        return run_tui()
    from tutor.commands import run_command

    return run_command(args.func, args)


if __name__ == "__main__":
    raise SystemExit(main())
