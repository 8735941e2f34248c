"""One module per `tutor` subcommand (see `tutor.cli`)."""

from __future__ import annotations

import sys


def fail(message: str, code: int = 2) -> int:
    """Print a one-line error to stderr and return the exit code."""
    print(f"tutor: {message}", file=sys.stderr)
    return code
