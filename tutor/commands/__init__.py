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
        return reader_gone()
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


def reader_gone() -> int:
    """The reader of stdout went away (`| head`): not a failure. What is left
    in stdout's buffer goes to /dev/null, so that flushing it at exit fails
    neither loudly nor with exit 120."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return 0


#: Flags that cannot go together: (flag, flag, why), as `conflict` checks them.
CONFLICTS = (
    ("--short", "--full", "--short prints only the summary, --full everything"),
    ("--short", "--verbose", "--short prints only the summary, --verbose everything"),
    ("--json", "--short", "--json prints the whole trace"),
    ("--json", "--full", "--json prints the whole trace"),
    ("--json", "--verbose", "--json prints the whole trace with every field"),
    ("--json", "--diagram", "--diagram prints only the ladder diagram"),
    ("--diagram", "--short", "--diagram prints only the ladder diagram"),
    ("--diagram", "--full", "--diagram prints only the ladder diagram"),
    ("--diagram", "--verbose", "--diagram prints only the ladder diagram"),
    ("--conversations", "--follow", "list the streams first, then follow one"),
    ("--follow", "--filter", "--follow prints every byte of one stream, not chosen packets"),
    ("--follow", "--diagram", "--follow prints only the stream's bytes"),
    ("--follow", "--short", "--follow prints only the stream's bytes"),
    ("--follow", "--full", "--follow prints only the stream's bytes"),
    ("--follow", "--verbose", "--follow prints only the stream's bytes"),
    ("--json", "--tshark", "--json prints the stream as JSON"),
    ("--conversations", "--diagram", "--conversations prints only the table"),
    ("--conversations", "--short", "--conversations prints only the table"),
    ("--conversations", "--full", "--conversations prints only the table"),
    ("--conversations", "--verbose", "--conversations prints only the table"),
)


def conflict(args: argparse.Namespace) -> str | None:
    """The first two flags of `args` that cannot go together, said in one
    line, or None. (`--conversations --filter` goes together only with
    --json, whose packets the filter chooses.)"""

    def given(flag: str) -> bool:
        value = getattr(args, flag.removeprefix("--").replace("-", "_"), None)
        return value is not None and value is not False

    for a, b, why in CONFLICTS:
        if given(a) and given(b):
            return f"{a} and {b} cannot be used together: {why}."
    if given("--conversations") and given("--filter") and not given("--json"):
        return (
            "--conversations and --filter cannot be used together without --json: "
            "the table counts every packet (with --json, --filter chooses its packets)."
        )
    if given("--tshark") and not given("--follow"):
        return "--tshark goes with --follow N: it prints the stream as tshark does."
    return None


def note_client(trace: Any, client: str | None) -> None:
    """A note on stderr when `--client IP[:PORT]` is no end of any packet
    of `trace` (a mistyped address names nobody "your computer")."""
    if not client:
        return
    import ipaddress

    host, port = client, ""
    if client.startswith("["):
        host, _bracket, rest = client[1:].partition("]")
        port = rest.removeprefix(":")
    elif client.count(":") == 1:
        host, port = client.split(":")
    try:
        want = ipaddress.ip_address(host)
    except ValueError:
        return  # check_client said so already
    ends = ("ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4")
    ports = ("tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport")

    def same(value: str) -> bool:
        try:
            return ipaddress.ip_address(value) == want
        except ValueError:
            return False

    for p in trace.packets:
        fields = [f for layer in p.layers for f in layer.fields]
        seen = any(same(f.value) for f in fields if f.filter in ends)
        if seen and (not port or any(f.value == port for f in fields if f.filter in ports)):
            return
    print(
        f"tutor: note: no packet of this capture is from or to {client} (--client); "
        "--conversations lists the ends it has.",
        file=sys.stderr,
    )


def check_filter(expr: str | None) -> None:
    """BadInput now, before a lab runs or a file is read, when `expr` is no
    display filter."""
    if expr:
        from labs.api import compile_filter

        compile_filter(expr)


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
    be read, or names a field no packet has a keystroke or two from one they
    have, or one Wireshark does not know, as Wireshark refuses unknown fields). When none matches because a
    name is in no packet, stderr says so."""
    if not expr:
        return trace
    from labs.api import BadInput, compile_filter, filter_trace, filter_typo, unknown_names

    flt = compile_filter(expr)
    typo = filter_typo(flt, trace)
    if typo is not None:
        what = "field" if "." in typo[0] else "protocol"
        if typo[1] is None:
            raise BadInput(f"filter: Wireshark has no {what} {typo[0]}")
        raise BadInput(f"filter: no {what} {typo[0]}; did you mean {typo[1]}?")
    chosen = filter_trace(trace, expr)
    missing = unknown_names(flt, trace)
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

    if getattr(args, "diagram", None) == "text":
        sys.stdout.write(ladder_text(trace, args.show_secrets))
        return
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


def ladder_text(trace: Any, show_secrets: bool) -> str:
    """`--diagram text`: every packet's arrow in the width of the terminal
    (or COLUMNS, or 100 for a pipe), fitted as the summary fits its ladder
    (`tutor.ladder.fitted`): 30-cell lanes ran to 300 columns for a traceroute."""
    import textwrap

    from tutor import ladder
    from tutor.tracetext import text_width

    width = text_width(sys.stdout)
    lad = ladder.ladder(trace, show_secrets)
    key, lines = ladder.fitted(lad, width)
    title = "Ladder diagram (time after the first packet; one arrow per packet)"
    out = [*textwrap.wrap(title, width), *key, *lines]
    if lad.cut:
        out.append(f"... and {lad.cut} more packets (cut at {ladder.MAX_ARROWS}).")
    return "\n".join(out) + "\n"
