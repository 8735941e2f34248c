"""The drill screen's small calls into the session (`labs.api`): where the
session lives, stopping it without failing, and an error in one line."""

from __future__ import annotations

from pathlib import Path


def home() -> Path:
    from tutor.progress import home as tutor_home

    return tutor_home()


def stop_quietly(where: Path) -> None:
    """Stop the drill under `where`; nothing running (or already gone) is fine:
    leaving the screen must never fail."""
    from labs.api import drill_stop

    try:
        drill_stop(where)
    except Exception:
        pass


def error_line(err: Exception) -> str:
    """An error in one line for the screen: BadInput and LabError already are."""
    from labs.api import LabError

    if isinstance(err, LabError):
        return str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"The drill failed unexpectedly: {type(err).__name__}: {err}"
