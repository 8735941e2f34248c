"""`tutor show` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse

from tutor.commands import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="(not yet available)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return fail("`tutor show` is not available yet.", 1)
