"""`tutor explain` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse

from tutor.commands import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="(not yet available)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return fail("`tutor explain` is not available yet.", 1)
