"""`tutor diff A.json B.json`: two traces (from `--json`) compared in meaning."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labs.model.trace import Trace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two runs (trace JSON files) in meaning",
        description="Compare two traces saved with `tutor lab run LAB --json > A.json` or "
        "`tutor explain FILE --json`: packets per step, retransmissions, phase timings, "
        "status codes, headers and facts. Ports, sequence numbers, ids and timestamps are "
        "normalised away. Exit 0 whether or not they differ.",
    )
    p.add_argument("a", metavar="A.json")
    p.add_argument("b", metavar="B.json")
    p.add_argument("--json", action="store_true", help="print the differences as a JSON list")
    p.set_defaults(func=run)


def _load(path: str) -> Trace:
    from labs.api import read_trace_file

    return read_trace_file(path)  # BadInput in words: one line, exit 2 (run_command)


def run(args: argparse.Namespace) -> int:
    from tutor.tracediff import diff, different_labs, render

    a, b = _load(args.a), _load(args.b)
    if args.json:
        # The list stays the differences alone, for programs; the warning
        # goes where a person reading the terminal still sees it.
        warning = different_labs(a, b)
        if warning is not None:
            sys.stderr.write(warning + "\n")
        sys.stdout.write(json.dumps(diff(a, b), indent=2) + "\n")
        return 0
    from tutor.tracetext import text_width

    sys.stdout.write(render(a, b, (args.a, args.b), text_width(sys.stdout)))
    return 0
