"""`tutor serve`: the course in a browser, one process and one progress file per learner.

This module is the command: where it may listen (loopback unless told, and
another address only with --allow-remote and a warning), where progress is
kept, and what it says on start. The web side is `tutor.web`.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from tutor.commands import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="the course in a web browser, one session per learner",
        description="Serve the course to web browsers: the page asks for a learner id, and "
        "each browser session runs its own tutor process with that learner's progress, kept "
        "on this machine. Binds to 127.0.0.1 (this machine only) unless told otherwise.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="required with a --host other than loopback: other machines can then run labs here",
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        help="where each learner's progress is kept (default: learners/ in the tutor home)",
    )
    p.add_argument(
        "--max-sessions",
        type=int,
        default=40,
        metavar="N",
        help="concurrent browser sessions before new ones are turned away (default 40, "
        "what a busy 2-CPU machine held: docs/classroom.md)",
    )
    p.set_defaults(func=run)


def check_host(host: str, allow_remote: bool) -> tuple[bool, str | None]:
    """Whether `host` is loopback, or the one-line error for a host refused.

    Only address literals: a name would need the resolver, and "localhost"
    is not always 127.0.0.1.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False, f"--host must be an IP address, not {host!r} (e.g. 127.0.0.1)"
    if address.is_loopback:
        return True, None
    if not allow_remote:
        return False, (
            f"--host {host} lets other machines open the course and run its labs here; "
            "add --allow-remote if that is what you want"
        )
    return False, None


def run(args: argparse.Namespace) -> int:
    loopback, error = check_host(args.host, args.allow_remote)
    if error:
        return fail(error)
    if not 1 <= args.port <= 65535:
        return fail(f"--port must be 1-65535, not {args.port}")
    if args.max_sessions < 1:
        return fail(f"--max-sessions must be at least 1, not {args.max_sessions}")
    from tutor.progress import home
    from tutor.web import CourseServer

    data = Path(args.data).expanduser() if args.data else home() / "learners"
    try:
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        return fail(f"cannot use {data} for learners' progress: {err.strerror}")
    where = f"[{args.host}]" if ":" in args.host else args.host
    if not loopback:
        print(
            f"tutor: warning: listening on {args.host}: anyone who can reach port {args.port} "
            "can open the course and run its labs on this machine (servers; as root, network "
            "namespaces), with no login. Put it behind a proxy that asks for one.",
            file=sys.stderr,
        )

    def announce(_: object = None) -> None:  # once listening
        print(
            f"tutor serve: the course on http://{where}:{args.port}/ "
            f"({'this machine only' if loopback else 'reachable from other machines'}); "
            f"one tutor process per browser session, at most {args.max_sessions}; each "
            f"learner's progress in {data}/<learner id>. Ctrl-C stops it and every session.",
            flush=True,
        )

    server = CourseServer(data, args.host, args.port, args.max_sessions, loopback)
    try:
        server.serve_forever(announce)
    except OSError as err:  # the port is taken, or the address is not this machine's
        return fail(f"cannot listen on {where}:{args.port}: {err.strerror or err}")
    return 0
