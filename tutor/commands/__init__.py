"""One module per `tutor` subcommand (see `tutor.cli`), and the one wrapper
every subcommand runs in (`run_command`): input errors become one line and
exit 2, SIGTERM stops a command the way Ctrl-C does (its `with` blocks close
servers, captures, namespaces and child processes on the way out)."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from labs.model.trace import MASK

STOPPED = "stopped."


#: `user:password@` in a URL or an address an error quotes back.
_USERINFO = re.compile(r"(?<![\w.~%!$&'()*+,;=:-])([\w.~%!$&'()*+,;=-]+):([^@\s/]+)@")


def fail(message: str, code: int = 2) -> int:
    """Print a one-line error to stderr and return the exit code. A password
    the learner put in a URL is masked: an error quotes what it was given,
    and error lines end up in terminals, logs and bug reports."""
    one_line = " ".join(message.split())
    masked = _USERINFO.sub(lambda m: f"{m[1]}:{MASK}@", one_line)
    print(f"tutor: {masked}", file=sys.stderr)
    return code


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread is, so it unwinds like Ctrl-C."""


#: Set once SIGTERM arrived: a command that reports Ctrl-C's 130 then exits 143.
_terminated = threading.Event()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs in the main thread, SIGTERM raises `Terminated`
    (a KeyboardInterrupt): whatever cleans up after Ctrl-C cleans up after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        _terminated.set()
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_command(func: Callable[[Any], int], args: Any) -> int:
    """Run one subcommand: its exit code, or one line and the code for what
    escaped it (bad input 2, a lab failure 1, Ctrl-C 130, SIGTERM 143, a bug 1)."""
    _terminated.clear()
    try:
        with sigterm_as_interrupt():
            code = int(func(args))
    except KeyboardInterrupt:
        code = fail(STOPPED, 130)
    except BrokenPipeError:
        return 0  # the reader went away (`| head`)
    except Exception as err:
        from labs.api import LabError

        if isinstance(err, LabError):
            return fail(str(err), err.exit_code)
        if os.environ.get("TUTOR_DEBUG"):
            raise
        return fail(
            f"failed unexpectedly ({type(err).__name__}: {err}); TUTOR_DEBUG=1 shows details.", 1
        )
    return 128 + signal.SIGTERM if code == 130 and _terminated.is_set() else code


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """How much of a trace to print, and which packets: shared by `lab run`
    and `explain`."""
    parser.add_argument(
        "--full",
        action="store_true",
        help="every packet and section after the summary (the default when not on a terminal)",
    )
    parser.add_argument(
        "--short", action="store_true", help="only the summary, also when not on a terminal"
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="--full, with every layer and field and its bytes",
    )
    parser.add_argument(
        "--filter",
        metavar="EXPR",
        help="only the packets a Wireshark display filter selects, e.g. 'tcp.flags.syn == 1' "
        "(with --json, `packets` holds only those)",
    )
    parser.add_argument(
        "--diagram",
        choices=("text", "mermaid", "svg"),
        help="print only the ladder diagram of every packet, as text, Mermaid or SVG",
    )


def apply_filter(trace: Any, expr: str | None) -> Any:
    """The trace with only the packets `expr` selects (BadInput when it cannot
    be read). When none matches because a name is in no packet (a likely
    typo), stderr says so."""
    if not expr:
        return trace
    from labs.api import compile_filter, filter_trace, unknown_names

    chosen = filter_trace(trace, expr)
    missing = unknown_names(compile_filter(expr), trace)
    if not chosen.packets and missing:
        print(
            f"tutor: no packet matches --filter {expr!r}: none has {', '.join(missing)} "
            "(--verbose shows every field name in this trace).",
            file=sys.stderr,
        )
    return chosen


def print_trace(trace: Any, args: argparse.Namespace, total: int) -> None:
    """The trace as text on stdout: the summary, and the rest when asked for
    or when stdout is not a terminal (a file or a pipe gets it all, as HTTPie
    prints a body it would only describe on screen)."""
    from tutor.tracetext import print_trace as show

    if getattr(args, "diagram", None):
        from tutor.ladder import RENDERERS

        sys.stdout.write(RENDERERS[args.diagram](trace, show_secrets=args.show_secrets))
        return
    full = args.full or args.verbose or (not args.short and not sys.stdout.isatty())
    show(
        trace,
        sys.stdout,
        show_secrets=args.show_secrets,
        verbose=args.verbose,
        full=full,
        filtered=args.filter or "",
        total=total,
    )
