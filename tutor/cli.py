"""The `tutor` command line: `tutor` alone opens the TUI; subcommands print.

Each subcommand lives in `tutor/commands/<name>.py` with `register(subparsers)`
that adds its parser and sets `func(args) -> int`. Command modules import
nothing heavy at import time, so `tutor --help` is instant.

Exit codes: 0 ok, 2 bad usage or input, 1 the lab failed, 130 Ctrl-C, 143 SIGTERM
(`tutor.commands.run_command`).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from tutor import __version__

COMMANDS = ("lessons", "show", "glossary", "lab", "explain", "diff", "doctor", "serve", "drill")
#: One-shot commands that use scapy only to read packets, never to send or
#: sniff one: scapy need not read this machine's routes and interfaces
#: (`labs.api.skip_routes`), and the process ends when they do (`end_now`).
SENDS_NOTHING = ("explain",)


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line plus a pointer to --help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """The parser with these subcommands (all of them by default)."""
    parser = Parser(
        prog="tutor",
        description="Learn networking by watching real requests cross the wire. "
        "With no command, opens the course in the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"tutor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in commands:
        importlib.import_module(f"tutor.commands.{name}").register(sub)
    return parser


def run_tui() -> int:
    # Starting allocates some fifty thousand objects that live as long as
    # the app (Textual, the course, the stylesheet): collecting cycles among
    # them while they are made is a tenth of the time to the first screen.
    # The app turns collection back on once that screen is painted.
    gc.disable()
    from tutor.app import run

    return run()  # 143 after SIGTERM, which cancels a running lab first


def main(argv: Sequence[str] | None = None) -> int:
    """Run `tutor` with `argv`, or as the program itself (None: `sys.argv`,
    and a one-shot command that sends nothing then ends the process)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C before a command has set up its own handling (while the
        # parser and the command's modules are imported): one line, no
        # traceback, the same exit code as later.
        sys.stderr.write("tutor: stopped.\n")
        return 130


def _main(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if not words:
        # `tutor` alone: the app, without building the parser first (that
        # imports every command and lab spec: a tenth of a second before the
        # first screen).
        return run_tui()
    if list(words) == ["--version"]:
        # Nothing to parse: building the parser (every command, every lab's
        # spec) was all of its time. The line argparse's version action prints.
        sys.stdout.write(f"tutor {__version__}\n")
        return 0
    one_shot = argv is None and words[0] in SENDS_NOTHING
    if one_shot:
        # What a one-shot command's start-up makes (its modules, scapy's
        # tables of names) lives until the process ends, yet the collector
        # scanned it again and again as it grew: a twentieth of explaining
        # a small file. Off until scapy is imported, then all of it is
        # frozen out of every later collection.
        gc.disable()
    # `tutor CMD ...` parses the same with only CMD registered, and
    # registering the others is most of a one-shot command's start-up
    # (`lab` imports every lab's spec, `lessons` the course); anything else
    # (`--help`, a misspelt command) gets them all for its message.
    parser = build_parser((words[0],) if words[0] in COMMANDS else COMMANDS)
    args, extra = parser.parse_known_args(argv)
    if extra:
        # Said by the subcommand's parser, so the pointer is to its --help
        # (`tutor explain --help`), where the flags it takes are listed.
        innermost(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        return run_tui()
    if args.command in SENDS_NOTHING:
        from labs.api import skip_routes

        skip_routes()
    if one_shot:
        gc.freeze()
        gc.enable()
    from tutor.commands import run_command

    code = run_command(args.func, args)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        from tutor.commands import reader_gone

        code = reader_gone()  # what was printed is not all read: not a failure
    if argv is None and args.command in SENDS_NOTHING:
        end_now(code)
    return code


def innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the deepest subcommand `args` chose (`tutor lab run`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices.get(getattr(args, action.dest, None) or "")
            if sub is not None:
                return innermost(sub, args)
    return parser


def end_now(code: int) -> None:
    """End the process with `code`, its output flushed and its exit handlers
    run, but without Python's tear-down: freeing one by one every object
    scapy and the dissection made is a fifth of explaining a small file, in a
    process about to end. If flushing fails (a closed pipe, a full disk),
    this returns and the usual exit reports it as it always has."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        return
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
